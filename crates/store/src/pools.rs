//! Pools, their nodes, what instances hold on the nodes, and join tokens. A reservation
//! is one conditional statement: it inserts (or grows) the instance's allocation only if
//! the node still has room, so two concurrent creates cannot both take the last of it.

use crate::db::{Batch, Stmt};
use crate::record::Update;
use crate::{DbResult, Store, args, record};
use uuid::Uuid;

record! {
    /// A group of nodes (hosts) of one connection, with overcommit ratios.
    pub struct PoolRecord in "pools" {
        pub id: Uuid,
        pub name: String,
        pub connection_id: Uuid,
        pub cpu_overcommit: f64,
        pub memory_overcommit: f64,
        pub disk_overcommit: f64,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub purpose: gureum_model::pool::PoolPurpose,
        /// Systems placed in the pool are named `<name_prefix>-0001.<domain>`, …
        pub name_prefix: String,
        pub domain: String,
        /// The number the next system name takes; it only grows.
        pub next_name: i64,
    }
}

record! {
    /// A host of a pool and its physical capacity.
    pub struct NodeRecord in "nodes" {
        pub id: Uuid,
        pub pool_id: Uuid,
        pub name: String,
        pub vcpus: i64,
        pub memory_mib: i64,
        pub disk_gb: i64,
        /// Where a remote node's agent listens; `None` for the server's own host.
        pub agent_url: Option<String>,
        /// SHA-256 (hex) of the node's agent secret; `None` for the server's own host.
        pub secret_hash: Option<String>,
        /// The same secret sealed with the server's key, which it presents to the agent.
        pub agent_secret: Option<String>,
        pub last_heartbeat_at: Option<i64>,
        /// An administrator set the capacity: heartbeats no longer overwrite it.
        pub capacity_pinned: bool,
        pub generation: i64,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

record! {
    /// A node serving a pool besides its home pool.
    pub struct PoolNodeRecord in "pool_nodes" {
        pub id: Uuid,
        pub pool_id: Uuid,
        pub node_id: Uuid,
        pub created_at: i64,
    }
}

record! {
    /// What one instance holds on its node.
    pub struct NodeAllocationRecord in "node_allocations" {
        pub instance_id: Uuid,
        pub node_id: Uuid,
        pub vcpus: i64,
        pub memory_mib: i64,
        pub disk_gb: i64,
        pub created_at: i64,
    }
}

record! {
    /// A one-time secret an agent presents to join a pool.
    pub struct JoinTokenRecord in "join_tokens" {
        pub id: Uuid,
        pub pool_id: Uuid,
        pub secret_hash: String,
        pub created_at: i64,
        pub expires_at: i64,
    }
}

/// vCPUs, memory and disk: a capacity, an allocation, or a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resources {
    pub vcpus: i64,
    pub memory_mib: i64,
    pub disk_gb: i64,
}

/// What is allocated on a node, and to how many instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeUsage {
    pub node_id: Uuid,
    pub allocated: Resources,
    pub instances: i64,
}

/// How the reservation statement starts; no other statement inserts allocations.
const RESERVE_SQL_START: &str = "INSERT INTO node_allocations";

impl Store {
    /// What is allocated on each of `nodes` (nodes without allocations are left out).
    pub async fn node_usage(&self, nodes: &[Uuid]) -> DbResult<Vec<NodeUsage>> {
        if nodes.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT node_id, CAST(SUM(vcpus) AS BIGINT), CAST(SUM(memory_mib) AS BIGINT), \
             CAST(SUM(disk_gb) AS BIGINT), COUNT(*) FROM node_allocations \
             WHERE node_id IN ({}) GROUP BY node_id",
            crate::placeholders(1, nodes.len())
        );
        let rows = self.db.query(&sql, nodes.iter().map(Into::into).collect()).await?;
        Ok(rows
            .iter()
            .map(|r| NodeUsage {
                node_id: r.uuid(0),
                allocated: Resources { vcpus: r.int(1), memory_mib: r.int(2), disk_gb: r.int(3) },
                instances: r.int(4),
            })
            .collect())
    }

    /// The allocations of several instances at once (for list pages).
    pub async fn instances_allocations(&self, ids: &[Uuid]) -> DbResult<Vec<NodeAllocationRecord>> {
        use crate::Record;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {} FROM node_allocations WHERE instance_id IN ({})",
            NodeAllocationRecord::select_list(),
            crate::placeholders(1, ids.len())
        );
        let rows = self.db.query(&sql, ids.iter().map(Into::into).collect()).await?;
        Ok(rows.iter().map(NodeAllocationRecord::from_row).collect())
    }

    pub async fn instance_allocation(&self, instance_id: Uuid) -> DbResult<Option<NodeAllocationRecord>> {
        Ok(self.instances_allocations(&[instance_id]).await?.pop())
    }

    /// Sets the instance's allocation to `to` on `node_id` — only if the node, with every
    /// other allocation and its pool's overcommit, has room for it. The last statement
    /// is the guarded one: no room, and the batch fails with a conflict at its index.
    /// The node's row is locked first: PostgreSQL holds that lock until commit, so a
    /// concurrent reservation checks after this one's insert is visible.
    pub fn allocation_set(instance_id: Uuid, node_id: Uuid, to: Resources, now: i64) -> Batch {
        let mut batch = Batch::from(Update::<NodeRecord>::of(node_id).stmt(now));
        batch.push(Self::allocation_release(instance_id));
        batch.push(
            Stmt::new(
                "INSERT INTO node_allocations (instance_id, node_id, vcpus, memory_mib, disk_gb, created_at) \
                 SELECT $1, n.id, $3, $4, $5, $6 FROM nodes n JOIN pools p ON p.id = n.pool_id WHERE n.id = $2 \
                 AND (SELECT CAST(COALESCE(SUM(vcpus), 0) AS BIGINT) FROM node_allocations WHERE node_id = $2) + $3 \
                     <= n.vcpus * p.cpu_overcommit \
                 AND (SELECT CAST(COALESCE(SUM(memory_mib), 0) AS BIGINT) FROM node_allocations WHERE node_id = $2) + $4 \
                     <= n.memory_mib * p.memory_overcommit \
                 AND (SELECT CAST(COALESCE(SUM(disk_gb), 0) AS BIGINT) FROM node_allocations WHERE node_id = $2) + $5 \
                     <= n.disk_gb * p.disk_overcommit",
                args![instance_id, node_id, to.vcpus, to.memory_mib, to.disk_gb, now],
            )
            .expect_one(),
        );
        batch
    }

    /// Whether a write failed because its [`Store::allocation_set`] found no room.
    pub fn is_reservation_conflict(e: &crate::DbError) -> bool {
        matches!(e, crate::DbError::Conflict { sql, .. } if sql.starts_with(RESERVE_SQL_START))
    }

    /// The pool no longer places on the node it shared.
    pub fn pool_node_unshare(pool_id: Uuid, node_id: Uuid) -> Stmt {
        Stmt::new("DELETE FROM pool_nodes WHERE pool_id = $1 AND node_id = $2", args![pool_id, node_id])
    }

    /// Forgets the instance's allocation (the instance is gone, or a new one replaces it).
    pub fn allocation_release(instance_id: Uuid) -> Stmt {
        Stmt::new("DELETE FROM node_allocations WHERE instance_id = $1", args![instance_id])
    }

    /// Keeps only the disk of the instance's allocation (shelved: the VM is gone).
    pub fn allocation_keep_disk(instance_id: Uuid) -> Stmt {
        Stmt::new("UPDATE node_allocations SET vcpus = 0, memory_mib = 0 WHERE instance_id = $1", args![instance_id])
    }

    /// After a failed action, the allocation follows what the provider has: the instance
    /// type's vCPUs and memory while the instance has a VM, none without one (its disks
    /// stay). Batch it after the instance's own update.
    pub fn allocation_follow(instance_id: Uuid, has_vm: bool) -> Stmt {
        Stmt::new(
            "UPDATE node_allocations SET \
             vcpus = $2 * (SELECT t.vcpus FROM instances i JOIN instance_types t ON t.id = i.instance_type_id \
                           WHERE i.id = $1), \
             memory_mib = $2 * (SELECT t.memory_mib FROM instances i JOIN instance_types t ON t.id = i.instance_type_id \
                                WHERE i.id = $1) \
             WHERE instance_id = $1",
            args![instance_id, has_vm as i64],
        )
    }

    /// Records a heartbeat of the node whose agent holds the secret hashing to `secret_hash`.
    pub fn node_heartbeat(secret_hash: &str, capacity: Resources, agent_url: Option<&str>, now: i64) -> Stmt {
        Stmt::new(
            "UPDATE nodes SET last_heartbeat_at = $1, \
             vcpus = CASE WHEN capacity_pinned = 0 THEN $2 ELSE vcpus END, \
             memory_mib = CASE WHEN capacity_pinned = 0 THEN $3 ELSE memory_mib END, \
             disk_gb = CASE WHEN capacity_pinned = 0 THEN $4 ELSE disk_gb END, \
             agent_url = COALESCE($6, agent_url) \
             WHERE secret_hash = $5",
            args![now, capacity.vcpus, capacity.memory_mib, capacity.disk_gb, secret_hash, agent_url],
        )
        .expect_one()
    }

    /// Deletes a pool with its join tokens.
    pub fn pool_forget(pool_id: Uuid) -> Batch {
        let mut batch = Batch::from(crate::record::delete::<PoolRecord>(pool_id));
        batch.push(Stmt::new("DELETE FROM join_tokens WHERE pool_id = $1", args![pool_id]));
        batch.push(Stmt::new("DELETE FROM pool_nodes WHERE pool_id = $1", args![pool_id]));
        batch
    }

    /// A node being removed, with the pools it served besides its own.
    pub fn node_forget(node_id: Uuid) -> Batch {
        let mut batch = Batch::from(crate::record::delete::<NodeRecord>(node_id));
        batch.push(Stmt::new("DELETE FROM pool_nodes WHERE node_id = $1", args![node_id]));
        batch
    }
}
