//! Pools by purpose as lean provisioning uses them (SPEC §1): a pool of the purpose a
//! request names, a node serving it (one that can read a template's versions), and the
//! names of the systems placed in it.

use crate::{Engine, Error, Result};
use gureum_model::pool::PoolPurpose;
use gureum_store::{Key, NodeRecord, PoolRecord, Update, VmTemplateRecord, now};
use uuid::Uuid;

impl Engine {
    /// A pool of `purpose`, named in `field` (400 otherwise).
    pub(crate) async fn pool_for(&self, field: &str, key: &str, purpose: PoolPurpose) -> Result<PoolRecord> {
        let pool = self
            .store()
            .get::<PoolRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::invalid(field, format!("no pool {key:?}")))?;
        if pool.purpose != purpose {
            return Err(Error::invalid(
                field,
                format!("pool {} is a {} pool, not a {purpose} one", pool.name, pool.purpose),
            ));
        }
        Ok(pool)
    }

    /// A node of `pool`, named in `field` (400 when it is another pool's).
    pub(crate) async fn node_of_pool(&self, field: &str, pool: &PoolRecord, key: Option<&str>) -> Result<Option<Uuid>> {
        let Some(key) = key else { return Ok(None) };
        let node = self
            .store()
            .get::<NodeRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::invalid(field, format!("no node {key:?}")))?;
        if node.pool_id != pool.id && !self.pools_shared_by(node.id).await?.contains(&pool.id) {
            return Err(Error::invalid(field, format!("node {} is not a node of pool {}", node.name, pool.name)));
        }
        Ok(Some(node.id))
    }

    /// The node a persistent VM of `template` in `pool` runs on. Its version images are
    /// files on the host of the template's node, which the hosts of other agents cannot
    /// read: a node `asked` must be able to (400 naming both otherwise), and without one
    /// the VM goes to the template's node when not every node of the pool can.
    pub(crate) async fn node_reaching_versions(
        &self,
        pool: &PoolRecord,
        asked: Option<Uuid>,
        template: &VmTemplateRecord,
    ) -> Result<Option<Uuid>> {
        let Some(home) = template.node_id else { return Ok(asked) };
        let Some(home) = self.store().get_by_id::<NodeRecord>(home).await? else { return Ok(asked) };
        let home_cloud = self.node_cloud(template.connection_id, &home).await?;
        let nodes = self.nodes_serving(pool).await?;
        let mut far = vec![];
        for n in &nodes {
            if !self.node_cloud(template.connection_id, n).await?.same_driver(&home_cloud) {
                far.push(n);
            }
        }
        match asked {
            Some(id) => match far.iter().find(|n| n.id == id) {
                Some(n) => Err(Error::invalid(
                    "node",
                    format!(
                        "node {} cannot read the versions of template {}, which are on node {}'s host; \
                         leave node out or pick a node of that host",
                        n.name, template.name, home.name
                    ),
                )),
                None => Ok(asked),
            },
            None if far.is_empty() => Ok(None),
            None if nodes.iter().any(|n| n.id == home.id) => Ok(Some(home.id)),
            None => Err(Error::Conflict(format!(
                "the versions of template {} are on node {}'s host, and pool {} has no node there; \
                 share node {} with the pool",
                template.name, home.name, pool.name, home.name
            ))),
        }
    }

    /// The next name of a system of `pool`: `<prefix>-0001.<domain>`, … A number once
    /// taken is never handed out again, even if what took it is gone.
    pub(crate) async fn system_name(&self, pool: &PoolRecord) -> Result<String> {
        for _ in 0..20 {
            let p = self
                .store()
                .get_by_id::<PoolRecord>(pool.id)
                .await?
                .ok_or_else(|| Error::not_found("pool", pool.id))?;
            let taken = Update::<PoolRecord>::of(p.id)
                .set(PoolRecord::next_name, p.next_name + 1)
                .guard(PoolRecord::next_name, p.next_name);
            match self.store().write(taken.stmt(now())).await {
                Ok(_) => return Ok(format!("{}-{:04}.{}", p.name_prefix, p.next_name, p.domain)),
                Err(gureum_store::DbError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(format!("pool {} kept handing its next name to others; try again", pool.name)))
    }
}
