//! Security groups on a pool of several hosts. A group is made at the connection's own
//! provider, unless every host of the pool is an agent's (then gureum keeps it: the own
//! provider of such a connection lives in the serving process, and the other servers
//! sharing the database would not see it). A host that runs a VM of the group keeps a
//! copy of it (same tag, same rules), because a host enforces only the groups it has.
//! Rule changes and deletes reach every copy.

use crate::provider::node_clouds::AGENT_DRIVER;
use crate::workflow::StepError;
use crate::{Cloud, Engine, Result};
use gureum_driver::{CreateSpec, ResourceKind, Support};
use gureum_store::{NodeRecord, SecurityGroupRecord};
use uuid::Uuid;

impl Engine {
    /// Whether the connection's groups are kept by gureum and made only as copies on the
    /// hosts that run their VMs: its driver runs hosts through agents, it has a pool, and
    /// no host of that pool is run by the server itself.
    pub(crate) async fn groups_kept_by_gureum(&self, connection_id: Uuid) -> Result<bool> {
        let Some(pool) = self.pool_of_connection(connection_id).await? else {
            return Ok(false);
        };
        if self.cloud(connection_id).await?.info().driver != AGENT_DRIVER {
            return Ok(false);
        }
        let nodes = self.store().list_all::<NodeRecord>(&[("pool_id", pool.id.into())]).await?;
        Ok(nodes.iter().all(|n| n.agent_url.is_some()))
    }

    /// The ids `cloud` knows `groups` by: their own at the connection's provider; on a
    /// node's host, or for a group gureum keeps, its copies, made or brought up to the
    /// current rules first. A group of a driver without groups has none.
    pub(crate) async fn security_groups_on(
        &self,
        cloud: &Cloud,
        groups: &[SecurityGroupRecord],
    ) -> Result<Vec<String>, StepError> {
        let own = self.cloud(cloud.connection_id).await?;
        let mut ids = vec![];
        for g in groups {
            match &g.provider_id {
                Some(id) if cloud.same_driver(&own) => ids.push(id.clone()),
                None if cloud.support(ResourceKind::SecurityGroup) != Support::Native => {}
                _ => ids.push(self.security_group_copy(cloud, g).await?),
            }
        }
        Ok(ids)
    }

    /// The copy of group `g` on `cloud`, made if missing, with the group's current rules.
    async fn security_group_copy(&self, cloud: &Cloud, g: &SecurityGroupRecord) -> Result<String, StepError> {
        let tag = g.id.to_string();
        let copy = match cloud.find_by_tag(ResourceKind::SecurityGroup, &tag).await? {
            Some(copy) => copy,
            None => {
                let spec = CreateSpec::SecurityGroup { name: g.name.clone(), tag, vpc: None };
                cloud.ensure_created(spec, true).await?
            }
        };
        cloud.security_group_set_rules(&copy.id, &self.security_group_rule_specs(g.id).await?).await?;
        Ok(copy.id)
    }

    /// The copies of group `sg` (whose own id at the connection's provider is `own_id`)
    /// on the hosts of the connection's pool, with their clouds.
    pub(crate) async fn security_group_copies(
        &self,
        connection_id: Uuid,
        sg: Uuid,
        own_id: Option<&str>,
    ) -> Result<Vec<(Cloud, String)>, StepError> {
        let mut copies = vec![];
        for cloud in self.provider_clouds(connection_id).await? {
            if cloud.support(ResourceKind::SecurityGroup) != Support::Native {
                continue;
            }
            if let Some(copy) = cloud.find_by_tag(ResourceKind::SecurityGroup, &sg.to_string()).await?
                && Some(copy.id.as_str()) != own_id
            {
                copies.push((cloud, copy.id));
            }
        }
        Ok(copies)
    }
}
