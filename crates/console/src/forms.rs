//! Posted forms: the raw fields, and what a form shows when it comes back with errors.

use gureum_engine::Error;
use std::collections::HashMap;

/// An `application/x-www-form-urlencoded` body, fields in order (a field may repeat).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// The value of `name` unless it is absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// Every non-blank value of `name` (checkboxes, multiple selects).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }

    /// A whole number, or a field error naming the field.
    pub fn int(&self, name: &str) -> Result<Option<i64>, Error> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => {
                v.parse().map(Some).map_err(|_| Error::invalid(name, format!("must be a whole number, got {v:?}")))
            }
        }
    }

    /// Like [`FormData::int`] for a field that must be given.
    pub fn required_int(&self, name: &str) -> Result<i64, Error> {
        self.int(name)?.ok_or_else(|| Error::invalid(name, "must be given"))
    }

    /// The form's values, to show the form again.
    pub fn values(&self) -> HashMap<String, Vec<String>> {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in &self.0 {
            if k != "csrf" && k != "password" {
                m.entry(k.clone()).or_default().push(v.clone());
            }
        }
        m
    }
}

/// A form shown again: what the user typed and the errors, by field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: HashMap<String, Vec<String>>,
    pub errors: HashMap<String, String>,
    /// An error of the whole form (a conflict, a field the form does not show).
    pub general: Option<String>,
}

impl FormState {
    /// Puts an engine error where it belongs: a field error next to its field when the
    /// form has that field (`security_groups[1]` belongs to `security_groups`), anything
    /// else on the form.
    pub fn from_error(form: &FormData, e: &Error, fields: &[&str]) -> FormState {
        let mut s = FormState { values: form.values(), ..Default::default() };
        match e {
            Error::Invalid(fe) => {
                let base = fe.field.split('[').next().unwrap_or(&fe.field);
                match fields.iter().find(|f| **f == base) {
                    Some(f) => {
                        s.errors.insert(f.to_string(), fe.rule.clone());
                    }
                    None => s.general = Some(format!("{}: {}", fe.field, fe.rule)),
                }
            }
            Error::Internal(_) => {
                s.general = Some("internal server error; the server log has the details".into());
            }
            other => s.general = Some(other.to_string()),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_land_on_their_field() {
        let f = FormData::parse(b"name=a&security_groups=x&security_groups=y&csrf=t");
        assert_eq!(f.all("security_groups"), ["x", "y"]);
        let s = FormState::from_error(&f, &Error::invalid("security_groups[1]", "no such group"), &["security_groups"]);
        assert_eq!(s.errors["security_groups"], "no such group");
        assert!(!s.values.contains_key("csrf"));
        let s = FormState::from_error(&f, &Error::invalid("request", "nope"), &["name"]);
        assert_eq!(s.general.as_deref(), Some("request: nope"));
        assert!(FormData::parse(b"size_gb=abc").int("size_gb").is_err());
    }
}
