//! Singleton workers: when several servers share one database, a reconciler pass, a
//! purge or a scheduler tick must run on one of them at a time. Each such worker holds a
//! lease row (see `worker_leases`) that its server renews while it lives; a dead server's
//! lease runs out and the next server to tick claims it.

use gureum_store::Store;
use std::time::{Duration, Instant};

/// Whether this server holds the worker's lease (1) or not (0).
pub const LEASE_HELD: &str = "gureum_worker_lease_held";
/// How long a lease outlives its holder's last renewal: how long a dead server's
/// singleton work waits before another server takes it over.
const TTL: Duration = Duration::from_secs(10);
/// How often a holder renews its lease (a lease survives four missed renewals).
pub const RENEW_EVERY: Duration = Duration::from_secs(2);

/// A worker's lease as one server sees it.
pub struct Lease {
    worker: &'static str,
    store: Store,
    holder: String,
    /// When to renew next, while held.
    renew_at: Option<Instant>,
    /// When to try to claim it again, while another server holds it (a worker that
    /// wakes every 100 ms must not write to the database as often).
    retry_at: Option<Instant>,
}

impl Lease {
    /// Worker `worker`'s lease as server `holder` sees it (not claimed yet).
    pub fn new(worker: &'static str, store: Store, holder: String) -> Lease {
        Lease { worker, store, holder, renew_at: None, retry_at: None }
    }

    /// Whether this server may run the worker's tick now, claiming or renewing the
    /// lease in the database when due. A database error counts as not held: skipping a
    /// tick is safe, running one twice may not be.
    pub async fn hold(&mut self) -> bool {
        let worker = self.worker;
        let now = Instant::now();
        if self.renew_at.is_some_and(|at| now < at) {
            return true;
        }
        if self.retry_at.is_some_and(|at| now < at) {
            return false;
        }
        let t = gureum_store::now();
        let until = t + TTL.as_micros() as i64;
        let held = match self.store.worker_lease_claim(worker, &self.holder, t, until).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(worker, error = %e, "claiming the worker's lease failed");
                false
            }
        };
        match (self.renew_at.is_some(), held) {
            (false, true) => tracing::info!(worker, holder = %self.holder, "took the worker's lease"),
            (true, false) => tracing::warn!(worker, "lost the worker's lease to another server"),
            _ => {}
        }
        self.renew_at = held.then(|| now + RENEW_EVERY);
        self.retry_at = (!held).then(|| now + RENEW_EVERY);
        metrics::gauge!(LEASE_HELD, "worker" => worker).set(if held { 1.0 } else { 0.0 });
        held
    }

    /// Gives the lease up (on shutdown), so another server takes over at once.
    pub async fn release(&mut self) {
        let worker = self.worker;
        if self.renew_at.take().is_some() {
            if let Err(e) = self.store.worker_lease_release(worker, &self.holder).await {
                tracing::warn!(worker, error = %e, "releasing the worker's lease failed");
            }
            metrics::gauge!(LEASE_HELD, "worker" => worker).set(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (Store, tempfile::TempDir) {
        let (url, dir) = gureum_store::testing::fresh_database().await.expect("test database");
        (Store::open(&url).await.expect("opens"), dir)
    }

    #[tokio::test]
    async fn one_server_holds_a_lease_until_it_releases_it() {
        let (store, _dir) = store().await;
        let lease = |worker, holder: &str| Lease::new(worker, store.clone(), holder.into());
        let (mut a, mut b) = (lease("test_singleton", "server-a"), lease("test_singleton", "server-b"));
        assert!(a.hold().await, "the first claim wins");
        assert!(!b.hold().await, "a held lease is not taken");
        assert!(a.hold().await, "its holder keeps it");
        assert!(lease("other_worker", "server-b").hold().await, "each worker has its own lease");
        a.release().await;
        assert!(!b.hold().await, "a server that lost the claim waits for its next try");
        b.retry_at = None;
        assert!(b.hold().await, "a released lease is taken at the next try");
        assert!(!lease("test_singleton", "server-a").hold().await);
        let leases = store.worker_leases().await.unwrap();
        let holders: Vec<(&str, &str)> = leases.iter().map(|(n, h, _)| (n.as_str(), h.as_str())).collect();
        assert_eq!(holders, [("other_worker", "server-b"), ("test_singleton", "server-b")]);
    }

    #[tokio::test]
    async fn a_dead_holders_lease_is_taken_once_it_runs_out() {
        let (store, _dir) = store().await;
        // A holder that died with its lease running out now (the store's clock).
        let t = gureum_store::now();
        assert!(store.worker_lease_claim("test_singleton", "dead", t - 20_000_000, t - 1).await.unwrap());
        let lease = |holder: &str| Lease::new("test_singleton", store.clone(), holder.into());
        assert!(lease("server-b").hold().await, "an expired lease is taken");
        assert!(lease("server-b").hold().await, "a holder restarted under its identity takes its own lease back");
        assert!(!lease("server-c").hold().await, "a live lease is not taken");
    }
}
