//! Hosts shared between pools (SPEC §1): a node keeps its home pool and may serve other
//! pools of its connection (a template pool and a persistent pool on the same hosts).
//! Placement in any of them books the node's one capacity, so it is never double-booked.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Node, NodeShare};
use gureum_store::{
    Key, NodeRecord, PersistentVmRecord, PoolNodeRecord, PoolRecord, Record, VmTemplateRecord, new_id, now,
};
use uuid::Uuid;

impl Engine {
    /// The nodes serving `pool`: its own and those it shares.
    pub(crate) async fn nodes_serving(&self, pool: &PoolRecord) -> Result<Vec<NodeRecord>> {
        let mut nodes = self.store().list_all::<NodeRecord>(&[("pool_id", pool.id.into())]).await?;
        for share in self.store().list_all::<PoolNodeRecord>(&[("pool_id", pool.id.into())]).await? {
            nodes.extend(self.store().get_by_id::<NodeRecord>(share.node_id).await?);
        }
        Ok(nodes)
    }

    /// The pools a node serves besides its home pool.
    pub(crate) async fn pools_shared_by(&self, node: Uuid) -> Result<Vec<Uuid>> {
        let shares = self.store().list_all::<PoolNodeRecord>(&[("node_id", node.into())]).await?;
        Ok(shares.into_iter().map(|s| s.pool_id).collect())
    }

    /// Lets `pool` place on a node of another pool of the same connection.
    pub async fn node_share(&self, ctx: &OpContext, pool: &str, req: NodeShare) -> Result<Node> {
        self.require_admin(ctx, "share nodes between pools")?;
        let pool = self.pool_record(pool).await?;
        let node = self
            .store()
            .get::<NodeRecord>(&[], &Key::parse(&req.node))
            .await?
            .ok_or_else(|| Error::invalid("node", format!("no node {:?}", req.node)))?;
        let home = self
            .store()
            .get_by_id::<PoolRecord>(node.pool_id)
            .await?
            .ok_or_else(|| Error::not_found("pool", node.pool_id))?;
        if home.id == pool.id {
            return Err(Error::invalid("node", format!("node {} is already pool {}'s own", node.name, pool.name)));
        }
        if home.connection_id != pool.connection_id {
            return Err(Error::invalid(
                "node",
                format!("node {} is a host of another connection than pool {}", node.name, pool.name),
            ));
        }
        let share = PoolNodeRecord { id: new_id(), pool_id: pool.id, node_id: node.id, created_at: now() };
        self.store().write(share.insert()).await.map_err(crate::error::on_unique(|| {
            Error::Conflict(format!("node {} already serves pool {}", node.name, pool.name))
        }))?;
        self.node_get(ctx, &home.id.to_string(), &node.id.to_string()).await
    }

    /// Stops `pool` from placing on the shared node; refused while what the pool placed
    /// there (templates, persistent VMs) is still on it.
    pub async fn node_unshare(&self, ctx: &OpContext, pool: &str, node: &str) -> Result<()> {
        self.require_admin(ctx, "share nodes between pools")?;
        let pool = self.pool_record(pool).await?;
        let share = self
            .nodes_serving(&pool)
            .await?
            .into_iter()
            .find(|n| n.pool_id != pool.id && (n.name == node || n.id.to_string() == node))
            .ok_or_else(|| Error::not_found("shared node", node))?;
        let placed = |r: Option<Uuid>| r == Some(share.id);
        let templates = self.store().list_all::<VmTemplateRecord>(&[("pool_id", pool.id.into())]).await?;
        let mut held = templates.iter().filter(|t| placed(t.node_id)).count();
        for vm in self
            .store()
            .list_all::<PersistentVmRecord>(&[("pool_id", pool.id.into()), ("deleted_at", gureum_store::Val::Null)])
            .await?
        {
            if self.store().instance_allocation(vm.id).await?.is_some_and(|a| a.node_id == share.id) {
                held += 1;
            }
        }
        if held > 0 {
            return Err(Error::Conflict(format!(
                "pool {} still has {held} systems on node {}; delete them first",
                pool.name, share.name
            )));
        }
        self.store().write(gureum_store::Store::pool_node_unshare(pool.id, share.id)).await?;
        Ok(())
    }
}
