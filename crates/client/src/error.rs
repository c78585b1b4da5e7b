use std::fmt;

/// An error of one API call: the server's error body (`{"error": {code, message,
/// request_id, field}}`) with the HTTP status, or a client-side failure (the server could
/// not be reached, its answer was not what the contract says, a wait ran out of time),
/// which has `status` 0 and an empty `request_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// HTTP status; 0 when there was no HTTP answer.
    pub status: u16,
    /// The server's stable code (`invalid_request`, `not_found`, `state_conflict`, …) or
    /// one of the client's own: `unreachable`, `bad_response`, `timeout`, `invalid_argument`.
    pub code: String,
    pub message: String,
    /// The server's request id, for its logs; empty for client-side errors.
    pub request_id: String,
    /// The request field at fault, for `invalid_request`.
    pub field: Option<String>,
}

impl ClientError {
    pub(crate) fn local(code: &str, message: impl Into<String>) -> ClientError {
        ClientError {
            status: 0,
            code: code.to_string(),
            message: message.into(),
            request_id: String::new(),
            field: None,
        }
    }

    /// The server could not be reached, or the connection broke.
    pub(crate) fn transport(base: &str, e: &reqwest::Error) -> ClientError {
        // reqwest's own text is terse ("error sending request for url …"); its root cause
        // says why ("Connection refused").
        let mut root: &dyn std::error::Error = e;
        while let Some(s) = root.source() {
            root = s;
        }
        let message = if e.is_timeout() {
            format!("no answer from {base} in time: {e}")
        } else {
            format!("cannot reach {base}: {root}")
        };
        ClientError::local(if e.is_timeout() { "timeout" } else { "unreachable" }, message)
    }

    /// A 404 from the server.
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    /// A 409 (state conflict or already exists).
    pub fn is_conflict(&self) -> bool {
        self.status == 409
    }

    /// An error the server answered (not a client-side failure).
    pub fn is_api_error(&self) -> bool {
        self.status != 0
    }
}

impl fmt::Display for ClientError {
    /// `message (code, request <id>)`; client-side errors have no request id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.request_id.is_empty() {
            write!(f, "{} ({})", self.message, self.code)
        } else {
            write!(f, "{} ({}, request {})", self.message, self.code, self.request_id)
        }
    }
}

impl std::error::Error for ClientError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_code_and_request() {
        let e = ClientError {
            status: 400,
            code: "invalid_request".into(),
            message: "cidr: must be a network address".into(),
            request_id: "abc123".into(),
            field: Some("cidr".into()),
        };
        assert_eq!(e.to_string(), "cidr: must be a network address (invalid_request, request abc123)");
        assert!(e.is_api_error());
        let local = ClientError::local("timeout", "operation x did not finish within 5s");
        assert_eq!(local.to_string(), "operation x did not finish within 5s (timeout)");
        assert!(!local.is_api_error());
    }
}
