//! Providers: connections, their drivers and call budgets, capabilities and prechecks,
//! adoption of existing provider resources and the drift view.

pub(crate) mod adopted_rows;
pub(crate) mod adoption;
pub(crate) mod capabilities;
pub(crate) mod cloud;
pub(crate) mod connections;
pub(crate) mod drift;
pub(crate) mod node_clouds;
pub(crate) mod precheck;
pub(crate) mod unregister;

/// How soon a server sees a connection's settings changed by another server.
const DRIVER_REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Every server refreshes its own drivers (not a singleton: each has its own).
pub(crate) fn start(engine: &crate::Engine) {
    let e = engine.clone();
    crate::worker::Worker::new("driver_refresh", DRIVER_REFRESH_EVERY).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.forget_stale_drivers().await }
    });
}
