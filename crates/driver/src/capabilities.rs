use crate::ResourceKind;
use serde::Serialize;
use std::collections::BTreeMap;

gureum_model::spelled_enum! {
    pub enum Support {
        /// The provider has it.
        Native => "native",
        /// The provider lacks it; gureum keeps it itself (e.g. VPCs on a flat network).
        Emulated => "emulated",
        Unsupported => "unsupported",
    }
}

/// What a driver is and can do; the control plane validates requests against it before
/// any provider call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DriverInfo {
    pub driver: String,
    pub version: String,
    /// The provider profile the driver reproduces (sim), if any.
    pub profile: Option<String>,
    #[schema(value_type = Object)]
    pub kinds: BTreeMap<ResourceKind, Support>,
    /// Free-form facts: acceleration used, zones, limits.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl DriverInfo {
    pub fn support(&self, kind: ResourceKind) -> Support {
        self.kinds.get(&kind).copied().unwrap_or(Support::Unsupported)
    }
}
