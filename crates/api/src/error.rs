//! The one place where application errors become HTTP: status codes and the error body
//! `{"error": {"code", "message", "request_id", "field"?}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gureum_api_types::{ErrorBody, ErrorDetail};
use gureum_engine::Error;

/// An engine error on its way out. The body is written by the request-context
/// middleware, which knows the request id.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub fn status_and_code(e: &Error) -> (StatusCode, &'static str) {
    let (status, code) = e.http_status();
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), code)
}

pub fn body(e: &Error, request_id: &str) -> ErrorBody {
    let (_, code) = status_and_code(e);
    let (message, field) = match e {
        Error::Invalid(f) => (format!("{}: {}", f.field, f.rule), Some(f.field.clone())),
        Error::TooLarge(m) => (m.clone(), Some("body".into())),
        // Internal details go to the log, not to clients.
        Error::Internal(_) => ("internal server error; the request id identifies it in the server log".into(), None),
        other => (other.to_string(), None),
    };
    ErrorBody { error: ErrorDetail { code: code.into(), message, request_id: request_id.into(), field } }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = status_and_code(&self.0);
        let mut resp = status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

impl Clone for ApiError {
    fn clone(&self) -> Self {
        ApiError(self.0.clone())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
