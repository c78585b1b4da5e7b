//! Tenancy: resellers own customers, customers own projects, and every user has a home
//! customer. A user's tenancy role says how far above projects they administer; quotas
//! cap what a reseller, a customer or a project may hold at once.

use crate::spelled_enum;
use crate::validation::{FieldError, in_range};
use uuid::Uuid;

/// The reseller and customer of a fresh install: everything made before tenancy (and
/// everything made without naming another) lives there.
pub const DEFAULT_RESELLER_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);
pub const DEFAULT_CUSTOMER_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0002);
pub const DEFAULT_NAME: &str = "default";

spelled_enum! {
    pub enum TenancyRole {
        /// Only the projects the user is a member of.
        None => "none",
        /// Admin in every project of the home customer; manages its users and projects.
        CustomerAdmin => "customer_admin",
        /// Admin in every project of every customer of the home reseller; manages them.
        ResellerAdmin => "reseller_admin",
    }
}

/// What a quota caps. `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimits {
    pub vcpus: Option<i64>,
    pub memory_mib: Option<i64>,
    pub instances: Option<i64>,
    pub volume_gb: Option<i64>,
}

/// What an instance or a volume holds against its quotas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaAmounts {
    pub vcpus: i64,
    pub memory_mib: i64,
    pub instances: i64,
    pub volume_gb: i64,
}

/// The largest limit accepted (far above any real cloud, small enough never to overflow
/// a counter).
pub const QUOTA_MAX: i64 = 1 << 40;

impl QuotaLimits {
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, v) in self.named() {
            if let Some(v) = v {
                in_range(field, v, 0, QUOTA_MAX)?;
            }
        }
        Ok(())
    }

    /// Each limit with its field name, in a fixed order.
    pub fn named(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("vcpus", self.vcpus),
            ("memory_mib", self.memory_mib),
            ("instances", self.instances),
            ("volume_gb", self.volume_gb),
        ]
    }
}

impl QuotaAmounts {
    /// What going from `self` to `to` adds, each amount on its own (a resize holds the
    /// larger of both types until it is confirmed or reverted).
    pub fn growth_to(self, to: QuotaAmounts) -> QuotaAmounts {
        QuotaAmounts {
            vcpus: (to.vcpus - self.vcpus).max(0),
            memory_mib: (to.memory_mib - self.memory_mib).max(0),
            instances: (to.instances - self.instances).max(0),
            volume_gb: (to.volume_gb - self.volume_gb).max(0),
        }
    }

    pub fn is_zero(self) -> bool {
        self == QuotaAmounts::default()
    }

    pub fn named(&self) -> [(&'static str, i64); 4] {
        [
            ("vcpus", self.vcpus),
            ("memory_mib", self.memory_mib),
            ("instances", self.instances),
            ("volume_gb", self.volume_gb),
        ]
    }
}

/// How a resource reads in a quota message ("8 vCPUs").
pub fn quota_unit(field: &str) -> &'static str {
    match field {
        "vcpus" => "vCPUs",
        "memory_mib" => "MiB of memory",
        "instances" => "instances",
        _ => "GB of volumes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resize_grows_each_amount_on_its_own() {
        let small = QuotaAmounts { vcpus: 2, memory_mib: 4096, instances: 1, volume_gb: 20 };
        let wide = QuotaAmounts { vcpus: 4, memory_mib: 2048, instances: 1, volume_gb: 20 };
        assert_eq!(small.growth_to(wide), QuotaAmounts { vcpus: 2, ..QuotaAmounts::default() });
        assert_eq!(wide.growth_to(small), QuotaAmounts { memory_mib: 2048, ..QuotaAmounts::default() });
        assert!(small.growth_to(small).is_zero());
    }

    #[test]
    fn limits_out_of_range_name_the_field() {
        let bad = QuotaLimits { memory_mib: Some(-1), ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().field, "memory_mib");
        assert!(QuotaLimits { vcpus: Some(0), ..Default::default() }.validate().is_ok());
    }

    #[test]
    fn default_ids_are_distinct() {
        assert_ne!(DEFAULT_RESELLER_ID, DEFAULT_CUSTOMER_ID);
    }
}
