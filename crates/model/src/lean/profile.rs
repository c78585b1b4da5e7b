//! VM profiles and software stacks (SPEC §1): the rules their fields keep.

use crate::validation::in_range;
use crate::{FieldError, spelled_enum};

spelled_enum! {
    /// How the guest's clock is kept.
    pub enum ClockOffset {
        Utc => "utc",
        Localtime => "localtime",
    }
}

spelled_enum! {
    /// What a persistent VM with a software stack is for.
    pub enum Environment {
        Test => "test",
        Development => "development",
        Production => "production",
    }
}

/// The machine a profile (or a template made from it) describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineSize {
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub vcpus: i64,
}

impl MachineSize {
    pub fn check(self) -> Result<Self, FieldError> {
        in_range("memory_mib", self.memory_mib, 256, 1_048_576)?;
        in_range("disk_gb", self.disk_gb, 1, 5120)?;
        in_range("vcpus", self.vcpus, 1, 128)?;
        Ok(self)
    }
}

/// A short free-text field (an OS type, a version): 1–64 characters, none a control
/// character.
pub fn label(field: &str, s: &str) -> Result<String, FieldError> {
    if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must be 1–64 characters, none of them a control character"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_name_the_field_out_of_range() {
        let ok = MachineSize { memory_mib: 1024, disk_gb: 30, vcpus: 1 };
        assert_eq!(ok.check(), Ok(ok));
        assert_eq!(MachineSize { memory_mib: 100, ..ok }.check().unwrap_err().field, "memory_mib");
        assert_eq!(MachineSize { disk_gb: 0, ..ok }.check().unwrap_err().field, "disk_gb");
        assert_eq!(MachineSize { vcpus: 129, ..ok }.check().unwrap_err().field, "vcpus");
    }

    #[test]
    fn clock_offsets_are_utc_or_localtime() {
        assert_eq!(ClockOffset::parse("utc"), Some(ClockOffset::Utc));
        assert_eq!(ClockOffset::parse("gmt"), None);
    }

    #[test]
    fn labels_are_short_and_printable() {
        assert_eq!(label("os_type", "Fedora"), Ok("Fedora".to_string()));
        assert!(label("os_type", "").is_err());
        assert!(label("os_type", "a\tb").is_err());
        assert!(label("os_version", &"x".repeat(65)).is_err());
    }
}
