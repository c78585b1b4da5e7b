use crate::Links;
use gureum_model::operation::{OperationStatus, StepStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationTarget {
    #[serde(rename = "type")]
    pub target_type: String,
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationStep {
    pub name: String,
    pub status: StepStatus,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Operation {
    pub id: Uuid,
    /// What the operation does, e.g. `instance_create`, `instance_stop`.
    pub kind: String,
    pub status: OperationStatus,
    pub target: OperationTarget,
    pub steps: Vec<OperationStep>,
    pub progress: Progress,
    pub error: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub links: Links,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OperationWaitQuery {
    /// Hold the request up to this many seconds (max 60) until the operation finishes.
    #[param(maximum = 60)]
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// Start of the range, RFC 3339 (default: 30 days before `to`); before `to`.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// End of the range, RFC 3339 (default: now).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<UsageFormat>,
}

/// The usage report's content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsageFormat {
    Json,
    Csv,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsageLine {
    pub instance_id: Uuid,
    pub instance: String,
    pub instance_type: String,
    pub seconds: i64,
    pub price_per_hour: f64,
    pub cost: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    pub project: String,
    pub from: String,
    pub to: String,
    /// One line per instance and instance type.
    pub lines: Vec<UsageLine>,
    pub total_seconds: i64,
    pub total_cost: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    pub id: Uuid,
    pub name: String,
    pub driver: String,
    pub region: String,
    pub zone: String,
    /// Driver settings (sim: latency, faults, capacity, profile).
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Credentials are write-only: this says only whether some are stored.
    pub has_credentials: bool,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// `sim` (or `qemu` where available).
    pub driver: String,
    /// Default: the driver's; shaped like a name.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub region: Option<String>,
    /// Default: the driver's; shaped like a name.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub zone: Option<String>,
    /// Provider credentials, encrypted at rest, never returned.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DriftItem {
    /// Provider resource kind: `vm`, `disk`, `vpc`, …
    pub kind: String,
    pub provider_id: Option<String>,
    pub name: String,
    /// The gureum resource, when there is one.
    pub gureum_type: Option<String>,
    pub gureum_id: Option<Uuid>,
    pub project: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Drift {
    pub connection: String,
    pub mapped: Vec<DriftItem>,
    pub only_in_gureum: Vec<DriftItem>,
    pub only_in_provider: Vec<DriftItem>,
}

/// Changes a connection: its settings (replaced whole) and/or its credentials.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdate {
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    /// Replaces the stored credentials; `null` removes them (left out: kept).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<serde_json::Value>,
}

/// A field that is there, even as `null` (`Some(Value::Null)`); only a missing one is
/// `None` (serde reads `null` as `None` otherwise, and "remove" would read as "keep").
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// What a driver (or a connection's driver) can do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Capabilities {
    pub driver: String,
    pub version: String,
    /// The provider profile it reproduces (sim), if any.
    pub profile: Option<String>,
    /// Per provider resource kind (`vpc`, `subnet`, `vm`, `disk`…): `native`, `emulated`
    /// (gureum keeps it itself) or `unsupported` (requests needing it are refused).
    #[schema(value_type = Object)]
    pub kinds: serde_json::Value,
    /// Limits and facts: zones, volume types and sizes, root disks, call counters.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The connection's call budget (absent for a driver not bound to a connection).
    pub max_concurrent_calls: Option<u64>,
    pub calls_per_second: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectionVerify {
    pub connection: String,
    /// Whether the provider answered with the stored credentials.
    pub ok: bool,
    pub message: String,
}

/// Takes a resource that exists only at the provider under a gureum name (`kind` `vm`
/// becomes an instance, `disk` a volume; `vpc`, `subnet`, `security_group`, `key_pair`
/// and `public_ip` the gureum resource of that name).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftAdopt {
    #[schema(value_type = AdoptableKind)]
    pub kind: String,
    pub provider_id: String,
    pub project: String,
    /// The gureum name: 1–63 characters, a letter, then letters, digits, `-`, `_` or `.`.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// vm: the subnet gureum records it in (its VPC follows).
    #[serde(default)]
    pub subnet: Option<String>,
    /// subnet, security_group: the VPC gureum records it in (it must record the
    /// provider VPC the resource belongs to).
    #[serde(default)]
    pub vpc: Option<String>,
}

/// Deletes a resource that exists only at the provider.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftDelete {
    #[schema(value_type = ProviderKind)]
    pub kind: String,
    pub provider_id: String,
}

/// Forgets a gureum record without touching the provider (its resource then shows as
/// only in the provider).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftUnregister {
    #[schema(value_type = AdoptableKind)]
    pub kind: String,
    pub project: String,
    /// The gureum name: 1–63 characters, a letter, then letters, digits, `-`, `_` or `.`.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
}

/// The provider resource kinds that can be adopted into gureum or unregistered from it
/// (the engine checks the string; this names the accepted values in the document).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum AdoptableKind {
    Vm,
    Disk,
    Vpc,
    Subnet,
    SecurityGroup,
    KeyPair,
    PublicIp,
}

/// Every provider resource kind.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ProviderKind {
    Vpc,
    Subnet,
    SecurityGroup,
    KeyPair,
    Vm,
    Disk,
    Snapshot,
    Image,
    PublicIp,
}

/// A gureum server sharing this database: when it last heartbeat and the singleton
/// workers it runs now (each held by one server at a time).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerStatus {
    /// The server's lasting identity (`<data-dir>/server.id`).
    pub id: String,
    pub seen_at: String,
    /// Heard from within the time after which its work is taken over (10 s).
    pub alive: bool,
    /// The singleton workers whose lease it holds (`reconciler`, `maintenance_scheduler`…).
    pub workers: Vec<String>,
}
