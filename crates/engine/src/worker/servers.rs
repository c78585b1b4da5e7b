//! Which servers sharing the database are alive: each heartbeats every
//! [`HEARTBEAT_EVERY`]; one not seen for [`DEAD_AFTER`] has died, and what it held
//! mid-request (an idempotency key) is free for the others.

use crate::views::ts;
use crate::worker::Worker;
use crate::{Engine, OpContext, Result};
use gureum_api_types::ServerStatus;
use std::time::Duration;

pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// Five missed heartbeats.
pub const DEAD_AFTER: Duration = Duration::from_secs(10);
/// How long a dead server stays listed (`gureum server list`) before it is forgotten.
pub const FORGOTTEN_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// How often servers silent for [`FORGOTTEN_AFTER`] are looked for.
const FORGET_EVERY: Duration = Duration::from_secs(3600);

/// Every server heartbeats for itself (not a singleton); one at a time forgets the
/// long-silent ones.
pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("server_heartbeat", HEARTBEAT_EVERY).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.store().server_heartbeat(engine.executor().owner(), gureum_store::now()).await }
    });
    let e = engine.clone();
    Worker::new("server_forget", FORGET_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move {
            let before = gureum_store::now() - FORGOTTEN_AFTER.as_micros() as i64;
            engine.store().servers_forget(before).await.map(|_| ())
        }
    });
}

/// The time before which a server last seen then counts as dead.
pub(crate) fn dead_before(now: i64) -> i64 {
    now - DEAD_AFTER.as_micros() as i64
}

impl Engine {
    /// The servers sharing this database, alive or not, with the singleton workers each
    /// holds the lease of now (system administrators).
    pub async fn server_list(&self, ctx: &OpContext) -> Result<Vec<ServerStatus>> {
        self.require_admin(ctx, "list the servers")?;
        let now = gureum_store::now();
        let leases = self.store().worker_leases().await?;
        Ok(self
            .store()
            .servers()
            .await?
            .into_iter()
            .map(|(id, seen_at)| ServerStatus {
                workers: leases
                    .iter()
                    .filter(|(_, h, until)| *h == id && *until > now)
                    .map(|(w, _, _)| w.clone())
                    .collect(),
                alive: seen_at > dead_before(now),
                seen_at: ts(seen_at),
                id,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_silent_for_longer_than_a_week_is_forgotten() {
        let (url, _dir) = gureum_store::testing::fresh_database().await.expect("test database");
        let store = gureum_store::Store::open(&url).await.expect("opens");
        let now = gureum_store::now();
        let week = FORGOTTEN_AFTER.as_micros() as i64;
        store.server_heartbeat("gone-long-ago", now - week - 1).await.unwrap();
        store.server_heartbeat("gone-lately", now - week + 60_000_000).await.unwrap();
        store.server_heartbeat("alive", now).await.unwrap();
        assert_eq!(store.servers_forget(now - week).await.unwrap(), 1);
        let ids: Vec<String> = store.servers().await.unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["alive", "gone-lately"]);
    }
}
