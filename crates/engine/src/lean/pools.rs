//! Pools by purpose as lean provisioning uses them (SPEC §1): a pool of the purpose a
//! request names, a node serving it, and the names of the systems placed in it.

use crate::{Engine, Error, Result};
use gureum_model::pool::PoolPurpose;
use gureum_store::{Key, NodeRecord, PoolRecord, Update, now};
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
