use crate::Links;
use gureum_model::image::{ImageState, ImageVisibility, OsFamily};
use gureum_model::instance::{InstanceAction, InstanceState};
use gureum_model::public_ip::{PublicIpKind, PublicIpMode};
use gureum_model::state::LifecycleState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstanceType {
    pub id: Uuid,
    pub name: String,
    pub vcpus: i64,
    pub memory_mib: i64,
    pub gpu: Option<String>,
    pub price_per_hour: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Image {
    pub id: Uuid,
    pub name: String,
    pub visibility: ImageVisibility,
    pub os_family: OsFamily,
    pub distribution: String,
    pub version: String,
    /// Needs an instance type with a GPU.
    pub gpu: bool,
    pub min_disk_gb: i64,
    pub max_disk_gb: i64,
    pub size_gb: i64,
    pub state: ImageState,
    pub state_reason: Option<String>,
    /// My images only: where it lives and what it was made from.
    pub connection: Option<String>,
    pub source_instance: Option<String>,
    pub source_volume: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyPair {
    pub id: Uuid,
    pub name: String,
    pub state: LifecycleState,
    pub state_reason: Option<String>,
    pub fingerprint: String,
    pub key_type: String,
    pub public_key: String,
    pub connection: String,
    /// Only this user may delete the key pair.
    pub created_by: String,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    /// The generated private key (OpenSSH format): present only in the response that
    /// created it, never stored, never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPairCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// An OpenSSH public key to import; omit to have the server generate an ed25519
    /// key pair and return its private key once.
    #[serde(default)]
    pub public_key: Option<String>,
    /// Connection name (default `sim`).
    #[serde(default)]
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstancePublicIp {
    pub name: String,
    pub address: Option<String>,
    pub kind: PublicIpKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Instance {
    pub id: Uuid,
    pub name: String,
    pub state: InstanceState,
    /// Why the instance is in `Error`, or what the last failed action said.
    pub state_reason: Option<String>,
    pub instance_type: String,
    pub image: String,
    pub connection: String,
    pub zone: String,
    pub vpc: String,
    pub subnet: String,
    pub security_groups: Vec<String>,
    pub key_pair: Option<String>,
    pub public_ip_mode: PublicIpMode,
    pub public_ip: Option<InstancePublicIp>,
    pub private_ip: Option<String>,
    /// Actions the transition table allows now.
    pub allowed_actions: Vec<InstanceAction>,
    /// The operation running on the instance, if any.
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
    pub launched_at: Option<String>,
    /// The node (host) of the connection's pool the instance is placed on, when the
    /// connection has a pool.
    #[serde(default)]
    pub node: Option<String>,
    /// `unreachable` while the node misses its heartbeats: the instance is not failed
    /// for it, only shown as out of reach.
    #[serde(default)]
    pub node_state: Option<gureum_model::node::NodeState>,
    /// What the provider shows of the VM, in a single instance's GET only: its status,
    /// spec, disks and how it enforces the security groups (KT Cloud Classic: port
    /// forwarding and firewall rules on the public IP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub provider: Option<serde_json::Value>,
    /// A persistent VM's template (§1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The template version a persistent VM was cloned from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_stack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<gureum_model::lean::Environment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Instance type name or id.
    pub instance_type: String,
    /// Image name or id (public, or one of the project's images).
    pub image: String,
    /// Subnet name or id; the instance lives in its VPC and connection.
    pub subnet: String,
    /// Security group names or ids, of the subnet's VPC, each once.
    #[serde(default)]
    #[schema(schema_with = unique_names)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub key_pair: Option<String>,
    /// `none` (default), `ephemeral` (released when the instance stops or is deleted) or
    /// `static` (allocated for the instance and kept until released).
    #[serde(default)]
    pub public_ip: Option<PublicIpMode>,
    /// Existing Available volumes (names or ids) to attach, each once.
    #[serde(default)]
    #[schema(schema_with = unique_names)]
    pub volumes: Vec<String>,
    /// Root volume size in GB (default: the image's minimum).
    #[serde(default)]
    pub root_volume_size_gb: Option<i64>,
    /// cloud-init user data, at most 64 KiB.
    #[serde(default)]
    pub user_data: Option<String>,
}

gureum_model::spelled_enum! {
    pub enum RebootType {
        Soft => "soft",
        Hard => "hard",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceReboot {
    #[serde(rename = "type", default = "default_reboot")]
    pub reboot_type: RebootType,
}

fn default_reboot() -> RebootType {
    RebootType::Soft
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceResize {
    pub instance_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceCreateImage {
    /// Name of the new image in the project (1–63 characters: a letter, then letters,
    /// digits, `-`, `_` or `.`).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InstanceDeleteQuery {
    /// Also delete the attached data volumes (default: detach and keep them Available).
    #[serde(default)]
    pub delete_volumes: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsoleLog {
    pub instance: String,
    pub output: String,
}

/// A list of names or ids in which each appears once (the server refuses repeats).
pub(crate) fn unique_names() -> utoipa::openapi::Array {
    use utoipa::openapi::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).unique_items(true).build()
}
