//! The one shape of an input error: which field, which rule it broke.

use std::fmt;

/// A request field that broke a rule. `field` uses the JSON path of the request body
/// (`security_groups[1]`, `settings.latency_ms`) so clients can put the message next to
/// the input that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self { field: field.into(), rule: rule.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl std::error::Error for FieldError {}

/// Checks an integer lies in `min..=max`, naming the field and the bounds otherwise.
pub fn in_range(field: &str, value: i64, min: i64, max: i64) -> Result<(), FieldError> {
    if value < min || value > max {
        return Err(FieldError::new(field, format!("must be between {min} and {max}, got {value}")));
    }
    Ok(())
}
