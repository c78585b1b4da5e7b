//! What a simulated VM's guest says of itself (its kernel, OS, engine and settings),
//! which maintenance updates change. It lives on the root disk, as a real guest's does:
//! a snapshot of the root disk captures it and a revert to that snapshot brings it back.

use gureum_driver::{DriverError, DriverResult, GuestFacts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kernels every simulated guest has installed, oldest first, like tiny-linux's on
/// QEMU: a kernel upgrade picks one. The last boots but never gets ready (an
/// initramfs without its drivers), for the forced failure of an upgrade.
pub(crate) const KERNELS: [&str; 3] = ["6.1.0-sim", "6.12.0-sim", "broken-6.12.0-sim"];
const BROKEN: &str = "broken-";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Guest {
    pub kernel: String,
    pub os_version: Option<String>,
    pub engine_version: Option<String>,
    pub settings: BTreeMap<String, String>,
}

impl Default for Guest {
    /// A fresh guest: the oldest kernel and the sysctls QEMU's guests report too.
    fn default() -> Guest {
        let settings = [("kernel.domainname", "(none)"), ("vm.swappiness", "60")];
        Guest {
            kernel: KERNELS[0].into(),
            os_version: None,
            engine_version: None,
            settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

impl Guest {
    /// Whether the guest boots into a usable system.
    pub fn boots(&self) -> bool {
        !self.kernel.starts_with(BROKEN)
    }

    pub fn facts(&self) -> GuestFacts {
        GuestFacts {
            kernel: Some(self.kernel.clone()),
            os_version: self.os_version.clone(),
            engine_version: self.engine_version.clone(),
            settings: self.settings.clone(),
        }
    }
}

/// The newest installed kernel `wanted` names: a release, or a prefix of one ending at a
/// version part ("6.1" is 6.1.x, not 6.12).
pub(crate) fn select_kernel(wanted: &str) -> DriverResult<&'static str> {
    let names = |k: &&str| {
        k.strip_prefix(wanted).is_some_and(|rest| {
            rest.chars().next().is_none_or(|c| !c.is_ascii_digit()) || wanted.ends_with(|c: char| !c.is_ascii_digit())
        })
    };
    KERNELS.iter().rev().find(|k| !wanted.is_empty() && names(k)).copied().ok_or_else(|| {
        DriverError::InvalidRequest(format!("no kernel {wanted:?} installed; installed: {}", KERNELS.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_names_the_newest_of_its_version() {
        assert_eq!(select_kernel("6.1").unwrap(), "6.1.0-sim", "6.1 is not 6.12");
        assert_eq!(select_kernel("6.12").unwrap(), "6.12.0-sim", "the broken one only by its name");
        assert_eq!(select_kernel("6.1.0-sim").unwrap(), "6.1.0-sim");
        assert_eq!(select_kernel("broken").unwrap(), "broken-6.12.0-sim");
        let e = select_kernel("5.10").unwrap_err().to_string();
        assert!(e.contains("installed: 6.1.0-sim, 6.12.0-sim, broken-6.12.0-sim"), "{e}");
        assert!(select_kernel("").is_err());
    }
}
