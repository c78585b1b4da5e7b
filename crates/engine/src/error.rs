//! The one error type of the application, with the one mapping of each variant to an
//! HTTP status (`Error::http_status`); nothing above the engine invents its own errors.

use gureum_driver::DriverError;
use gureum_model::FieldError;
use gureum_model::state::Refusal;
use gureum_store::DbError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// Bad input: names the field and the rule. Nothing was changed.
    #[error("{0}")]
    Invalid(FieldError),
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may see the resource but not do this to it.
    #[error("{0}")]
    Forbidden(String),
    /// Also the answer for resources of projects the caller is not a member of.
    #[error("{kind} {key} not found")]
    NotFound { kind: &'static str, key: String },
    /// The action is not allowed in the resource's current state.
    #[error("{0}")]
    State(Refusal),
    /// The request body is larger than the server accepts.
    #[error("{0}")]
    TooLarge(String),
    /// Already exists, in use, changed concurrently, or an idempotency key reused.
    #[error("{0}")]
    Conflict(String),
    /// It existed but is gone for good (an expired log).
    #[error("{0}")]
    Gone(String),
    /// The provider has no room (capacity or quota).
    #[error("{0}")]
    Capacity(String),
    /// A reseller's, customer's or project's quota has no room for what was asked.
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the server itself.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status and error code of this error: the one mapping the API and the
    /// console both use.
    pub fn http_status(&self) -> (u16, &'static str) {
        match self {
            Error::Invalid(_) => (400, "invalid_request"),
            Error::Unauthenticated(_) => (401, "unauthenticated"),
            Error::Forbidden(_) => (403, "forbidden"),
            Error::NotFound { .. } => (404, "not_found"),
            Error::State(_) => (409, "state_conflict"),
            Error::Conflict(_) => (409, "conflict"),
            Error::TooLarge(_) => (413, "payload_too_large"),
            Error::Gone(_) => (410, "gone"),
            Error::Capacity(_) => (409, "capacity"),
            Error::QuotaExceeded(_) => (409, "quota_exceeded"),
            Error::RateLimited(_) => (429, "rate_limited"),
            Error::Unavailable(_) => (503, "unavailable"),
            Error::Internal(_) => (500, "internal"),
        }
    }

    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::Invalid(FieldError::new(field, rule))
    }

    pub fn not_found(kind: &'static str, key: impl std::fmt::Display) -> Self {
        Error::NotFound { kind, key: key.to_string() }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(e)
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::State(r)
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict { .. } if gureum_store::Store::is_quota_conflict(&e) => {
                Error::QuotaExceeded("a quota of the project, its customer or its reseller has no room for this".into())
            }
            DbError::Conflict { .. } => {
                Error::Conflict("the resource was changed by another request; retry with its current state".into())
            }
            DbError::Unique(_) => Error::Conflict("a resource with that name already exists".into()),
            DbError::Backend(m) => Error::Internal(m),
        }
    }
}

/// Maps only a unique-constraint refusal to `to`: any other database failure keeps its
/// own meaning (a broken database is never reported as "name taken").
pub(crate) fn on_unique(to: impl FnOnce() -> Error) -> impl FnOnce(DbError) -> Error {
    move |e| match e {
        DbError::Unique(_) => to(),
        other => other.into(),
    }
}

/// Maps only "the guarded write matched no row" to `to` (the row is not there).
pub(crate) fn on_no_row(to: impl FnOnce() -> Error) -> impl FnOnce(DbError) -> Error {
    move |e| match e {
        DbError::Conflict { affected: 0, .. } => to(),
        other => other.into(),
    }
}

/// How a provider's answer reads to an API client.
impl From<DriverError> for Error {
    fn from(e: DriverError) -> Self {
        match e {
            DriverError::Capacity(m) => Error::Capacity(m),
            DriverError::RateLimited(m) => Error::RateLimited(m),
            DriverError::Unavailable(m) | DriverError::Timeout(m) => Error::Unavailable(m),
            DriverError::InvalidRequest(m) => Error::invalid("request", m),
            DriverError::NotFound { .. } | DriverError::AlreadyExists(_) | DriverError::Conflict(_) => {
                Error::Conflict(e.to_string())
            }
            DriverError::Unsupported(m) => Error::invalid("request", format!("the provider does not support {m}")),
            DriverError::Provider { .. } => Error::Unavailable(e.to_string()),
        }
    }
}
