use crate::Links;
use gureum_model::network::{Direction, Protocol};
use gureum_model::public_ip::{PublicIpKind, PublicIpState};
use gureum_model::state::LifecycleState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Vpc {
    pub id: Uuid,
    pub name: String,
    pub cidr: String,
    pub connection: String,
    pub state: LifecycleState,
    pub state_reason: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// A private IPv4 CIDR, /8 to /28 (e.g. `10.0.0.0/16`).
    pub cidr: String,
    /// Connection name (default `sim`).
    #[serde(default)]
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Subnet {
    pub id: Uuid,
    pub name: String,
    pub vpc: String,
    pub cidr: String,
    pub zone: String,
    pub state: LifecycleState,
    pub state_reason: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Inside the VPC's CIDR, /16 to /29, overlapping no other subnet of the VPC.
    pub cidr: String,
    /// Default: the connection's zone.
    #[serde(default)]
    pub zone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecurityGroup {
    pub id: Uuid,
    pub name: String,
    pub vpc: String,
    pub description: String,
    pub state: LifecycleState,
    pub state_reason: Option<String>,
    pub rules: Vec<SecurityGroupRule>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// VPC name or id.
    pub vpc: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecurityGroupRule {
    pub id: Uuid,
    pub direction: Direction,
    pub protocol: Protocol,
    pub port_from: Option<i64>,
    pub port_to: Option<i64>,
    pub remote_cidr: String,
    /// False when the provider accepted the rule but does not enforce it; `note` says why.
    pub applied: bool,
    pub note: Option<String>,
    pub state: LifecycleState,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupRuleCreate {
    pub direction: Direction,
    pub protocol: Protocol,
    /// tcp/udp only, 1–65535; omit both ports for all ports.
    #[serde(default)]
    pub port_from: Option<i64>,
    #[serde(default)]
    pub port_to: Option<i64>,
    /// Default `0.0.0.0/0`.
    #[serde(default)]
    pub remote_cidr: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicIp {
    pub id: Uuid,
    pub name: String,
    pub kind: PublicIpKind,
    pub address: Option<String>,
    pub instance: Option<String>,
    pub connection: String,
    /// The node (host) of the connection's pool whose port it is, when the connection has
    /// a pool: it forwards only to instances on that node.
    #[serde(default)]
    pub node: Option<String>,
    pub state: PublicIpState,
    pub state_reason: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicIpCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Connection name (default `sim`).
    #[serde(default)]
    pub connection: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicIpAttach {
    /// Instance name or id.
    pub instance: String,
}
