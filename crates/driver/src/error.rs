use crate::ResourceKind;
use thiserror::Error;

/// Everything a provider can answer, typed. The engine decides retry, unwind and the
/// HTTP status from the variant, never from the text.
#[derive(Debug, Clone, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DriverError {
    #[error("{kind} {id} not found at the provider")]
    NotFound { kind: ResourceKind, id: String },
    #[error("already exists at the provider: {0}")]
    AlreadyExists(String),
    #[error("the provider refused the request: {0}")]
    InvalidRequest(String),
    /// The account's quota or the zone's capacity is exhausted.
    #[error("insufficient capacity: {0}")]
    Capacity(String),
    #[error("the provider is rate limiting: {0}")]
    RateLimited(String),
    /// The resource is in a state that does not allow the operation.
    #[error("conflict at the provider: {0}")]
    Conflict(String),
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    #[error("the provider did not answer in time: {0}")]
    Timeout(String),
    #[error("the driver does not support {0}")]
    Unsupported(String),
    /// Anything else the provider said, with its own code.
    #[error("provider error {code}: {message}")]
    Provider { code: String, message: String },
}

impl DriverError {
    /// Transient failures worth retrying with backoff.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DriverError::RateLimited(_) | DriverError::Unavailable(_) | DriverError::Timeout(_))
    }

    /// A timeout leaves the outcome unknown: the operation may have happened.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, DriverError::Timeout(_))
    }
}

pub type DriverResult<T> = Result<T, DriverError>;
