//! Persistent VMs (SPEC §1): a customer's long-lived machine cloned from a released
//! template, and the choices its form offers.

use crate::spelled_enum;

spelled_enum! {
    pub enum PersistentVmType {
        Server => "server",
        Desktop => "desktop",
    }
}

spelled_enum! {
    /// Whether configuration management installs the software stack, and keeps it up.
    pub enum ConfigurationManagement {
        None => "none",
        /// Installed once: a one-off setup fee.
        InstallOnly => "install_only",
        /// Installed and maintained: a recurring fee.
        InstallAndMaintain => "install_and_maintain",
    }
}

/// What configuration management is billed: a setup fee once, a fee per hour after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManagementFees {
    pub setup: f64,
    pub per_hour: f64,
}

impl ConfigurationManagement {
    pub fn fees(self) -> ManagementFees {
        match self {
            Self::None => ManagementFees { setup: 0.0, per_hour: 0.0 },
            Self::InstallOnly => ManagementFees { setup: 50.0, per_hour: 0.0 },
            Self::InstallAndMaintain => ManagementFees { setup: 0.0, per_hour: 0.02 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_only_is_a_setup_fee_and_maintenance_a_recurring_one() {
        let once = ConfigurationManagement::InstallOnly.fees();
        let kept = ConfigurationManagement::InstallAndMaintain.fees();
        assert!(once.setup > 0.0 && once.per_hour == 0.0);
        assert!(kept.setup == 0.0 && kept.per_hour > 0.0);
        assert_eq!(ConfigurationManagement::None.fees(), ManagementFees { setup: 0.0, per_hour: 0.0 });
    }
}
