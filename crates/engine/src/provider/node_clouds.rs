//! Which driver runs an instance's VM: the connection's own (the server's host, in
//! process) unless the instance is placed on a node with an agent of a qemu connection,
//! whose driver is called over HTTP (the registry's agent driver) within the same connection's call
//! budget. (Agents run the qemu driver; the nodes of a sim connection's pool lend their
//! capacity and heartbeats, and their VMs stay simulated in the server.)

use crate::provider::cloud::Cloud;
use crate::{Engine, Error, Result};
use gureum_driver::Driver;
use gureum_store::NodeRecord;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A node's driver over HTTP and the agent URL it calls.
pub(crate) type AgentDriver = (String, Arc<dyn Driver>);

/// The driver whose pools' hosts may be run by agents.
pub(crate) const AGENT_DRIVER: &str = "qemu";

/// How long one call to an agent may take before its node counts as unreachable.
const AGENT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

impl Engine {
    /// The node an instance is placed on, if it is placed on one.
    pub(crate) async fn instance_node(&self, instance_id: Uuid) -> Result<Option<NodeRecord>> {
        match self.store().instance_allocation(instance_id).await? {
            Some(a) => Ok(self.store().get_by_id::<NodeRecord>(a.node_id).await?),
            None => Ok(None),
        }
    }

    /// The cloud that runs the instance's VM, disks and IPs.
    pub(crate) async fn instance_cloud(&self, connection_id: Uuid, instance_id: Uuid) -> Result<Cloud> {
        Ok(self.instance_placement(connection_id, instance_id).await?.0)
    }

    /// The instance's cloud and the node it is placed on, if any.
    pub(crate) async fn instance_placement(
        &self,
        connection_id: Uuid,
        instance_id: Uuid,
    ) -> Result<(Cloud, Option<Uuid>)> {
        match self.instance_node(instance_id).await? {
            Some(node) => Ok((self.node_cloud(connection_id, &node).await?, Some(node.id))),
            None => Ok((self.cloud(connection_id).await?, None)),
        }
    }

    /// The cloud of the node whose host holds a disk or an IP (`node_id`), the
    /// connection's own when it names none.
    pub(crate) async fn cloud_on(&self, connection_id: Uuid, node_id: Option<Uuid>) -> Result<Cloud> {
        let Some(id) = node_id else { return self.cloud(connection_id).await };
        match self.store().get_by_id::<NodeRecord>(id).await? {
            Some(node) => self.node_cloud(connection_id, &node).await,
            None => Err(Error::Conflict(format!("node {id} that holds it is gone from the pool"))),
        }
    }

    /// Every provider the connection's resources live at: its own, then each node's
    /// agent (for a pool of remote hosts), so that an inventory sees all of them.
    pub(crate) async fn provider_clouds(&self, connection_id: Uuid) -> Result<Vec<Cloud>> {
        let mut clouds = vec![self.cloud(connection_id).await?];
        for node in self.agent_nodes(connection_id).await? {
            let cloud = self.node_cloud(connection_id, &node).await?;
            if !clouds.iter().any(|c| c.same_driver(&cloud)) {
                clouds.push(cloud);
            }
        }
        Ok(clouds)
    }

    /// The nodes of the connection's pool that run an agent.
    pub(crate) async fn agent_nodes(&self, connection_id: Uuid) -> Result<Vec<NodeRecord>> {
        let Some(pool) = self.pool_of_connection(connection_id).await? else {
            return Ok(vec![]);
        };
        let nodes = self.store().list_all::<NodeRecord>(&[("pool_id", pool.id.into())]).await?;
        Ok(nodes.into_iter().filter(|n| n.agent_url.is_some()).collect())
    }

    /// The cloud of one node of the connection's pool.
    pub(crate) async fn node_cloud(&self, connection_id: Uuid, node: &NodeRecord) -> Result<Cloud> {
        let (local, budget) = self.provider(connection_id).await?;
        let (Some(url), Some(sealed), AGENT_DRIVER) =
            (&node.agent_url, &node.agent_secret, local.info().driver.as_str())
        else {
            return Ok(self.cloud_of(connection_id, local, budget));
        };
        let cached = self.inner.node_drivers.read().expect("node drivers lock").get(&node.id).cloned();
        let driver = match cached {
            Some((at, d)) if at == *url => d,
            _ => {
                let secret = self
                    .config()
                    .secret_key
                    .open(sealed)
                    .map_err(|e| Error::Internal(format!("the secret of node {} does not open: {e}", node.name)))?;
                let secret = String::from_utf8_lossy(&secret).into_owned();
                let agents = self.config().drivers.agents().ok_or_else(|| {
                    Error::Unavailable(format!("node {} has an agent, and this server cannot call agents", node.name))
                })?;
                let d = agents.open(&node.name, url, &secret, local, AGENT_CALL_TIMEOUT);
                self.inner.node_drivers.write().expect("node drivers lock").insert(node.id, (url.clone(), d.clone()));
                d
            }
        };
        Ok(self.cloud_of(connection_id, driver, budget))
    }
}
