//! Placement: an instance of a connection that has a pool goes to a ready node of that
//! pool with room for it (capacity × overcommit − what is allocated). The reservation is
//! written in the same batch as the change that needs it, guarded so that a node that
//! filled up in the meantime makes the whole batch fail instead of being overbooked.

use crate::{Engine, Error, Result};
use gureum_model::node::NodeState;
use gureum_store::{Batch, NodeRecord, PoolRecord, Resources, Store, now};
use uuid::Uuid;

/// `capacity × ratio`, rounded down: the most a pool lets its nodes hand out.
fn overcommitted(capacity: Resources, pool: &PoolRecord) -> Resources {
    let scale = |v: i64, r: f64| (v as f64 * r).floor() as i64;
    Resources {
        vcpus: scale(capacity.vcpus, pool.cpu_overcommit),
        memory_mib: scale(capacity.memory_mib, pool.memory_overcommit),
        disk_gb: scale(capacity.disk_gb, pool.disk_overcommit),
    }
}

pub(crate) fn capacity_of(n: &NodeRecord) -> Resources {
    Resources { vcpus: n.vcpus, memory_mib: n.memory_mib, disk_gb: n.disk_gb }
}

/// What the pool lets `node` still hand out, given `allocated` on it.
pub(crate) fn free_on(node: &NodeRecord, pool: &PoolRecord, allocated: Resources) -> Resources {
    let cap = overcommitted(capacity_of(node), pool);
    Resources {
        vcpus: cap.vcpus - allocated.vcpus,
        memory_mib: cap.memory_mib - allocated.memory_mib,
        disk_gb: cap.disk_gb - allocated.disk_gb,
    }
}

/// The first of `need` that `free` falls short of, as "2 vCPUs" / "512 MiB memory".
fn shortfall(need: Resources, free: Resources) -> Option<String> {
    if free.vcpus < need.vcpus {
        Some(format!("{} vCPUs", free.vcpus.max(0)))
    } else if free.memory_mib < need.memory_mib {
        Some(format!("{} MiB memory", free.memory_mib.max(0)))
    } else if free.disk_gb < need.disk_gb {
        Some(format!("{} GB disk", free.disk_gb.max(0)))
    } else {
        None
    }
}

/// "4 vCPUs", "4 vCPUs and 2048 MiB memory": the parts of `need` some node lacks.
fn describe_need(need: Resources, short: &[Resources]) -> String {
    let mut parts = vec![];
    if short.iter().any(|f| f.vcpus < need.vcpus) {
        parts.push(format!("{} vCPUs", need.vcpus));
    }
    if short.iter().any(|f| f.vcpus >= need.vcpus && f.memory_mib < need.memory_mib) {
        parts.push(format!("{} MiB memory", need.memory_mib));
    }
    if short.iter().any(|f| f.vcpus >= need.vcpus && f.memory_mib >= need.memory_mib && f.disk_gb < need.disk_gb) {
        parts.push(format!("{} GB disk", need.disk_gb));
    }
    parts.join(" and ")
}

impl Engine {
    /// The connection's general pool: where its instances are placed.
    pub(crate) async fn pool_of_connection(&self, connection_id: Uuid) -> Result<Option<PoolRecord>> {
        let general = gureum_model::pool::PoolPurpose::General.as_str();
        let filter = [("connection_id", connection_id.into()), ("purpose", general.into())];
        Ok(self.store().list_all::<PoolRecord>(&filter).await?.pop())
    }

    pub(crate) fn node_state(&self, n: &NodeRecord, at: i64) -> NodeState {
        let timeout = self.config().node_timeout.as_micros() as i64;
        NodeState::of(n.secret_hash.is_some(), n.last_heartbeat_at, at, timeout)
    }

    /// Each node with what the pool lets it still hand out and whether it is ready.
    async fn free_of(
        &self,
        pool: &PoolRecord,
        nodes: Vec<NodeRecord>,
    ) -> Result<Vec<(NodeRecord, Resources, NodeState)>> {
        let ids: Vec<Uuid> = nodes.iter().map(|n| n.id).collect();
        let usage = self.store().node_usage(&ids).await?;
        let t = now();
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            let allocated = usage.iter().find(|u| u.node_id == n.id).map(|u| u.allocated).unwrap_or_default();
            // A node shared with this pool is overcommitted as its home pool says, which
            // is what its reservations are checked against.
            let home = match n.pool_id == pool.id {
                true => None,
                false => self.store().get_by_id::<PoolRecord>(n.pool_id).await?,
            };
            let free = free_on(&n, home.as_ref().unwrap_or(pool), allocated);
            let state = self.node_state(&n, t);
            out.push((n, free, state));
        }
        Ok(out)
    }

    /// The node a new standalone disk or public IP of the connection lives on: the ready
    /// node with the most free disk (`None`: the connection has no pool).
    pub(crate) async fn home_for_new(&self, connection_id: Uuid) -> Result<Option<Uuid>> {
        let Some(pool) = self.pool_of_connection(connection_id).await? else {
            return Ok(None);
        };
        let nodes = self.store().list_all::<NodeRecord>(&[("pool_id", pool.id.into())]).await?;
        self.free_of(&pool, nodes)
            .await?
            .into_iter()
            .filter(|(_, _, state)| *state == NodeState::Ready)
            .max_by_key(|(_, free, _)| (free.disk_gb, free.vcpus))
            .map(|(n, _, _)| Some(n.id))
            .ok_or_else(|| Error::Capacity(format!("no node of pool {} is ready", pool.name)))
    }

    /// What the ready nodes of the connection's pool can still hand out, summed, with the
    /// pool's name (`None`: the connection has no pool). A stack that needs more cannot be
    /// placed whatever the order.
    pub(crate) async fn pool_free(&self, connection_id: Uuid) -> Result<Option<(String, Resources)>> {
        let Some(pool) = self.pool_of_connection(connection_id).await? else {
            return Ok(None);
        };
        let nodes = self.store().list_all::<NodeRecord>(&[("pool_id", pool.id.into())]).await?;
        let mut total = Resources::default();
        for (_, free, _) in self.free_of(&pool, nodes).await?.into_iter().filter(|(_, _, s)| *s == NodeState::Ready) {
            total.vcpus += free.vcpus;
            total.memory_mib += free.memory_mib;
            total.disk_gb += free.disk_gb;
        }
        Ok(Some((pool.name, total)))
    }

    /// Picks a ready node of the connection's pool with room for `need` (only `on`, when
    /// the instance must stay on a node) and returns it with the batch reserving it (to
    /// write with the change that needs it). `None`: the connection has no pool, so
    /// nothing is placed. No node fits: a capacity error naming what is short on each node.
    pub(crate) async fn place(
        &self,
        connection_id: Uuid,
        instance_id: Uuid,
        need: Resources,
        on: Option<Uuid>,
    ) -> Result<Option<(Uuid, Batch)>> {
        let Some(pool) = self.pool_of_connection(connection_id).await? else {
            return Ok(None);
        };
        self.place_in(&pool, instance_id, need, on).await.map(Some)
    }

    /// Picks a ready node of `pool` with room for `need` (only `on`, when given) and
    /// returns it with the batch reserving it. `instance_id` is what holds the room: an
    /// instance, or a VM template's machine.
    pub(crate) async fn place_in(
        &self,
        pool: &PoolRecord,
        instance_id: Uuid,
        need: Resources,
        on: Option<Uuid>,
    ) -> Result<(Uuid, Batch)> {
        let mut nodes = self.nodes_serving(pool).await?;
        if let Some(on) = on {
            nodes.retain(|n| n.id == on);
        }
        if nodes.is_empty() {
            return Err(Error::Capacity(format!("pool {} has no node to place the instance on", pool.name)));
        }
        let own = self.store().instance_allocation(instance_id).await?;
        let mut refusals = vec![];
        let mut short = vec![];
        let mut candidates = vec![];
        for (n, mut free, state) in self.free_of(pool, nodes).await? {
            // The instance's own allocation is replaced by the new one.
            if let Some(a) = own.as_ref().filter(|a| a.node_id == n.id) {
                free.vcpus += a.vcpus;
                free.memory_mib += a.memory_mib;
                free.disk_gb += a.disk_gb;
            }
            if state != NodeState::Ready {
                refusals.push(format!("{} is unreachable", n.name));
            } else if let Some(has) = shortfall(need, free) {
                refusals.push(format!("{} has {has}", n.name));
                short.push(free);
            } else {
                candidates.push((n, free));
            }
        }
        // The emptiest node first (by free vCPUs, then memory) spreads instances out.
        candidates.sort_by_key(|(_, f)| std::cmp::Reverse((f.vcpus, f.memory_mib)));
        match candidates.first() {
            Some((n, _)) => Ok((n.id, Store::allocation_set(instance_id, n.id, need, now()))),
            None if short.is_empty() => {
                Err(Error::Capacity(format!("no node of pool {} is ready: {}", pool.name, refusals.join("; "))))
            }
            None => Err(Error::Capacity(format!(
                "no node of pool {} has {} free: {}",
                pool.name,
                describe_need(need, &short),
                refusals.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(vcpus: i64, memory_mib: i64, disk_gb: i64) -> Resources {
        Resources { vcpus, memory_mib, disk_gb }
    }

    #[test]
    fn the_shortfall_names_the_first_resource_that_is_short() {
        assert_eq!(shortfall(r(4, 512, 10), r(2, 4096, 100)).as_deref(), Some("2 vCPUs"));
        assert_eq!(shortfall(r(1, 512, 10), r(2, 256, 100)).as_deref(), Some("256 MiB memory"));
        assert_eq!(shortfall(r(1, 512, 10), r(2, 4096, 5)).as_deref(), Some("5 GB disk"));
        assert_eq!(shortfall(r(1, 512, 10), r(1, 512, 10)), None);
        assert_eq!(describe_need(r(4, 512, 10), &[r(2, 4096, 100)]), "4 vCPUs");
    }
}
