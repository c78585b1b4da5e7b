use crate::Links;
use gureum_model::node::NodeState;
use gureum_model::pool::PoolPurpose;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// vCPUs, memory and disk: a node's capacity, what is allocated on it, or what is free.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NodeResources {
    pub vcpus: i64,
    pub memory_mib: i64,
    pub disk_gb: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Pool {
    pub id: Uuid,
    pub name: String,
    /// The connection whose instances are placed on this pool's nodes.
    pub connection: String,
    /// Allocatable vCPUs per physical vCPU.
    pub cpu_overcommit: f64,
    pub memory_overcommit: f64,
    pub disk_overcommit: f64,
    /// `general` (instances are placed here), `template` or `persistent`.
    pub purpose: PoolPurpose,
    /// Systems placed in the pool are named `<name_prefix>-0001.<domain>` in sequence.
    pub name_prefix: String,
    pub domain: String,
    pub nodes: usize,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Connection name or id; a connection has at most one `general` pool.
    pub connection: String,
    /// `general` (default), `template` or `persistent`.
    #[serde(default)]
    pub purpose: Option<PoolPurpose>,
    /// Default `kvm`: 1–50 lowercase letters, digits and '-', starting with a letter and
    /// not ending with '-'.
    #[serde(default)]
    #[schema(pattern = "^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$", max_length = 50)]
    pub name_prefix: Option<String>,
    /// Default `gureum.internal`: DNS labels (lowercase letters, digits, inner '-')
    /// separated by dots, at most 200 characters.
    #[serde(default)]
    #[schema(
        pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
        max_length = 200
    )]
    pub domain: Option<String>,
    /// Default 4.0.
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub cpu_overcommit: Option<f64>,
    /// Default 1.0.
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub memory_overcommit: Option<f64>,
    /// Default 1.0.
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub disk_overcommit: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolUpdate {
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub cpu_overcommit: Option<f64>,
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub memory_overcommit: Option<f64>,
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub disk_overcommit: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Node {
    pub id: Uuid,
    pub name: String,
    pub pool: String,
    pub state: NodeState,
    /// The server's own host runs its VMs in-process; other nodes run a `gureum agent`.
    pub agent_url: Option<String>,
    pub capacity: NodeResources,
    /// An administrator set `capacity`: the agent's heartbeats do not change it.
    #[serde(default)]
    pub capacity_pinned: bool,
    pub allocated: NodeResources,
    /// capacity × the pool's overcommit − allocated.
    pub free: NodeResources,
    pub instances: i64,
    /// The other pools the node serves (its capacity is shared, never double-booked).
    #[serde(default)]
    pub shared_with: Vec<String>,
    pub last_heartbeat_at: Option<String>,
    pub created_at: String,
    pub links: Links,
}

/// A node of another pool of the same connection, to serve this pool too.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeShare {
    /// The node (name or id).
    pub node: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub vcpus: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub memory_mib: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub disk_gb: i64,
}

/// Sets a node's capacity. What an administrator sets is kept (`capacity_pinned`) until
/// `capacity_pinned: false` hands it back to the agent's heartbeats.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeUpdate {
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub vcpus: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub memory_mib: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    pub disk_gb: Option<i64>,
    /// Default: true when a capacity is given. `false`: the next heartbeat reports the
    /// host's own capacity again.
    #[serde(default)]
    pub capacity_pinned: Option<bool>,
}

/// A join token, shown once: `gureum agent --join-token` presents it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JoinToken {
    pub pool: String,
    pub token: String,
    pub expires_at: String,
}

/// What an agent sends to join a pool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeJoin {
    pub token: String,
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.` (not shaped like a UUID).
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// Where the agent serves driver calls: an http(s) URL.
    #[serde(default)]
    #[schema(pattern = "^https?://")]
    pub agent_url: Option<String>,
    #[schema(value_type = NodeCapacity)]
    pub capacity: NodeResources,
}

/// The answer to a join: the node and its secret (shown once) for heartbeats.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NodeJoined {
    pub node: Node,
    pub secret: String,
    /// How often the agent should heartbeat.
    pub heartbeat_seconds: u64,
}

/// A heartbeat: the node's current capacity, authenticated by its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeHeartbeat {
    pub secret: String,
    #[schema(value_type = NodeCapacity)]
    pub capacity: NodeResources,
    /// Where the agent serves its host's driver now, an http(s) URL (it may have been
    /// restarted with another address); absent: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^https?://")]
    pub agent_url: Option<String>,
}

/// A capacity an agent reports: each amount 0–2^40. (`NodeResources` also carries what
/// is free, which overcommit changes can drive below zero, so it states no bounds.)
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NodeCapacity {
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    vcpus: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    memory_mib: i64,
    #[schema(minimum = 0, maximum = 1099511627776_i64)]
    disk_gb: i64,
}
