//! Pools by purpose (SPEC §1) and the names of the systems placed in them.

use crate::FieldError;

crate::spelled_enum! {
    /// What a pool's nodes are for. A connection has at most one `general` pool (where
    /// its instances are placed) and any number of the others.
    pub enum PoolPurpose {
        General => "general",
        /// VM templates are installed here.
        Template => "template",
        /// Persistent VMs cloned from templates live here.
        Persistent => "persistent",
    }
}

/// The default prefix and domain of system names (`kvm-0001.gureum.internal`).
pub const DEFAULT_NAME_PREFIX: &str = "kvm";
pub const DEFAULT_DOMAIN: &str = "gureum.internal";

/// A DNS label: 1–63 lowercase letters, digits and '-', not starting or ending with '-'.
fn label_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A name prefix: a DNS label that starts with a letter, short enough for `-0001`.
pub fn name_prefix(field: &str, s: &str) -> Result<String, FieldError> {
    if label_ok(s) && s.len() <= 50 && s.starts_with(|c: char| c.is_ascii_lowercase()) {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(field, format!("{s:?}: 1–50 lowercase letters, digits and '-', starting with a letter")))
    }
}

/// A domain: dot-separated DNS labels, at most 200 characters.
pub fn domain(field: &str, s: &str) -> Result<String, FieldError> {
    if s.len() <= 200 && s.split('.').all(label_ok) {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            field,
            format!("{s:?}: a DNS domain such as example.net (lowercase labels separated by dots)"),
        ))
    }
}

/// The `n`th system name of a pool: `kvm-0001.example.net`.
pub fn system_name(prefix: &str, n: i64, domain: &str) -> String {
    format!("{prefix}-{n:04}.{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_names_count_up_from_the_prefix() {
        assert_eq!(system_name("kvm", 1, "example.net"), "kvm-0001.example.net");
        assert_eq!(system_name("kvm", 12345, "example.net"), "kvm-12345.example.net");
    }

    #[test]
    fn prefixes_and_domains_are_dns_names() {
        assert!(name_prefix("name_prefix", "kvm").is_ok());
        assert_eq!(name_prefix("name_prefix", "Kvm").unwrap_err().field, "name_prefix");
        assert!(name_prefix("name_prefix", "1kvm").is_err());
        assert!(domain("domain", "stepping-stone.ch").is_ok());
        assert!(domain("domain", "bad..net").is_err());
        assert!(domain("domain", "-x.net").is_err());
    }
}
