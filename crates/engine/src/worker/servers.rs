//! Which servers sharing the database are alive: each heartbeats every
//! [`HEARTBEAT_EVERY`]; one not seen for [`DEAD_AFTER`] has died, and what it held
//! mid-request (an idempotency key) is free for the others.

use crate::Engine;
use crate::worker::Worker;
use std::time::Duration;

pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// Five missed heartbeats.
pub const DEAD_AFTER: Duration = Duration::from_secs(10);

/// Every server heartbeats for itself (not a singleton).
pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("server_heartbeat", HEARTBEAT_EVERY).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.store().server_heartbeat(engine.executor().owner(), gureum_store::now()).await }
    });
}

/// The time before which a server last seen then counts as dead.
pub(crate) fn dead_before(now: i64) -> i64 {
    now - DEAD_AFTER.as_micros() as i64
}
