//! Security groups on a pool of several hosts. A group is made at the connection's own
//! provider; a node whose host runs a VM of the group keeps a copy of it (same tag, same
//! rules), because a host enforces only the groups it has. Rule changes and deletes
//! reach every copy.

use crate::workflow::StepError;
use crate::{Cloud, Engine};
use gureum_driver::{CreateSpec, ResourceKind};
use gureum_store::SecurityGroupRecord;
use uuid::Uuid;

impl Engine {
    /// The ids `cloud` knows `groups` by: their own at the connection's provider; on a
    /// node's host, its copies, made or brought up to the current rules first.
    pub(crate) async fn security_groups_on(
        &self,
        cloud: &Cloud,
        groups: &[SecurityGroupRecord],
    ) -> Result<Vec<String>, StepError> {
        let own = self.cloud(cloud.connection_id).await?;
        let mut ids = vec![];
        for g in groups.iter().filter(|g| g.provider_id.is_some()) {
            if cloud.same_driver(&own) {
                ids.extend(g.provider_id.clone());
                continue;
            }
            let tag = g.id.to_string();
            let copy = match cloud.find_by_tag(ResourceKind::SecurityGroup, &tag).await? {
                Some(copy) => copy,
                None => {
                    let spec = CreateSpec::SecurityGroup { name: g.name.clone(), tag, vpc: None };
                    cloud.ensure_created(spec, true).await?
                }
            };
            cloud.security_group_set_rules(&copy.id, &self.security_group_rule_specs(g.id).await?).await?;
            ids.push(copy.id);
        }
        Ok(ids)
    }

    /// The copies of group `sg` on the nodes of the connection's pool, with their clouds.
    pub(crate) async fn security_group_copies(
        &self,
        connection_id: Uuid,
        sg: Uuid,
    ) -> Result<Vec<(Cloud, String)>, StepError> {
        let mut copies = vec![];
        for cloud in self.provider_clouds(connection_id).await?.into_iter().skip(1) {
            if let Some(copy) = cloud.find_by_tag(ResourceKind::SecurityGroup, &sg.to_string()).await? {
                copies.push((cloud, copy.id));
            }
        }
        Ok(copies)
    }
}
