//! Resellers, customers, their quotas and their usage roll-ups.

use crate::Links;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reseller {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub links: Links,
}

/// A new reseller or customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// At most 1024 characters.
    #[serde(default)]
    #[schema(max_length = 1024)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The reseller the customer belongs to, by name.
    pub reseller: String,
    pub reseller_id: Uuid,
    pub created_at: String,
    pub links: Links,
}

/// The limits of a quota; an omitted or null limit is unlimited.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaSet {
    /// 0–2^40.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub vcpus: Option<i64>,
    /// 0–2^40.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub memory_mib: Option<i64>,
    /// 0–2^40.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub instances: Option<i64>,
    /// 0–2^40.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub volume_gb: Option<i64>,
}

/// One resource of a quota: the limit (null: unlimited) and what is held against it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct QuotaLine {
    pub limit: Option<i64>,
    pub used: i64,
}

/// The quota of a reseller, a customer or a project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Quota {
    /// `reseller`, `customer` or `project`.
    pub scope: String,
    pub name: String,
    pub vcpus: QuotaLine,
    pub memory_mib: QuotaLine,
    pub instances: QuotaLine,
    pub volume_gb: QuotaLine,
}

/// One project's billed usage of one instance and instance type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantUsageLine {
    pub customer: String,
    pub project: String,
    pub instance_id: Uuid,
    pub instance: String,
    pub instance_type: String,
    pub seconds: i64,
    pub price_per_hour: f64,
    pub cost: f64,
}

/// Usage and cost rolled up over a reseller's (or one customer's) projects.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantUsage {
    pub reseller: String,
    /// Set for one customer's roll-up.
    pub customer: Option<String>,
    pub from: String,
    pub to: String,
    pub lines: Vec<TenantUsageLine>,
    pub total_seconds: i64,
    pub total_cost: f64,
}
