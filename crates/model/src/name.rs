//! Resource names: what users type to address a resource instead of its id.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const NAME_MAX_LEN: usize = 63;

/// A validated resource name: 1–63 characters, starting with a letter, then letters,
/// digits, `-`, `_` or `.`; never shaped like a UUID, so `{name-or-id}` in a path is
/// never ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let rule = |r: &str| Err(FieldError::new(field, r.to_string()));
        if s.is_empty() {
            return rule("must not be empty");
        }
        if s.len() > NAME_MAX_LEN {
            return rule(&format!("must be at most {NAME_MAX_LEN} characters, got {}", s.len()));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return rule("must start with a letter");
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return rule(&format!("may contain only letters, digits, '-', '_' and '.', found {c:?}"));
        }
        if uuid::Uuid::parse_str(s).is_ok() {
            return rule("must not look like a UUID");
        }
        Ok(Name(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Name::parse("name", &s).map_err(|e| serde::de::Error::custom(e.rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["web", "web-1", "db_primary", "a", "Ubuntu-22.04", &"x".repeat(63)] {
            assert!(Name::parse("name", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_names_with_the_rule() {
        let cases = [
            ("", "must not be empty"),
            ("1web", "must start with a letter"),
            ("-web", "must start with a letter"),
            ("web server", "may contain only"),
            ("wéb", "may contain only"),
        ];
        for (bad, rule) in cases {
            let e = Name::parse("name", bad).unwrap_err();
            assert!(e.rule.contains(rule), "{bad:?}: {}", e.rule);
            assert_eq!(e.field, "name");
        }
        assert!(Name::parse("name", &"x".repeat(64)).unwrap_err().rule.contains("at most 63"));
    }

    #[test]
    fn refuses_uuid_shaped_names() {
        // A UUID-shaped name would make `{name-or-id}` ambiguous.
        let e = Name::parse("name", "a0000000-0000-7000-8000-000000000000").unwrap_err();
        assert!(e.rule.contains("UUID"));
    }
}
