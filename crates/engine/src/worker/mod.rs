//! Background loops, all of one shape: a named [`Worker`] runs a tick at an interval
//! until the engine shuts down, and records in `/metrics` when it last ran, how long that
//! took and how often it failed (labelled `worker=<name>`), so a stuck or failing loop
//! shows.

pub mod lease;
pub(crate) mod reconciler;
pub mod servers;

use lease::Lease;

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Unix time (seconds) at which the worker's last tick ended.
pub const LAST_RUN: &str = "gureum_worker_last_run_seconds";
/// How long the worker's last tick took (seconds).
pub const LAST_DURATION: &str = "gureum_worker_last_duration_seconds";
/// Ticks that failed.
pub const ERRORS: &str = "gureum_worker_errors_total";

/// Tells every worker to stop (cooperatively: a running tick finishes first), and where
/// the workers run.
#[derive(Clone, Default)]
pub struct Shutdown {
    stop: watch::Sender<bool>,
    /// A runtime of their own (see `EngineConfig::background`); `None`: the caller's.
    runtime: Option<tokio::runtime::Handle>,
}

impl Shutdown {
    /// Workers on `runtime` (`None`: on the runtime that spawns them).
    pub fn on(runtime: Option<tokio::runtime::Handle>) -> Self {
        Shutdown { stop: watch::channel(false).0, runtime }
    }

    pub fn signal(&self) {
        self.stop.send_replace(true);
    }

    pub fn is_signalled(&self) -> bool {
        *self.stop.borrow()
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

/// Spawns `work` on `runtime`, or on the caller's runtime when `None`.
pub(crate) fn spawn_on<F>(runtime: Option<&tokio::runtime::Handle>, work: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime {
        Some(runtime) => runtime.spawn(work),
        None => tokio::spawn(work),
    }
}

/// A background loop.
pub struct Worker {
    pub name: &'static str,
    pub every: Duration,
    /// When the first tick runs (after that, one every `every`).
    pub first_after: Duration,
    /// For work that must run on one server at a time: ticks run only while this server
    /// holds the lease.
    lease: Option<Lease>,
}

impl Worker {
    pub fn new(name: &'static str, every: Duration) -> Self {
        Worker { name, every, first_after: Duration::ZERO, lease: None }
    }

    pub fn first_after(mut self, delay: Duration) -> Self {
        self.first_after = delay;
        self
    }

    /// Runs on one of the servers sharing `engine`'s database at a time (see [`lease`]).
    pub fn singleton(mut self, engine: &crate::Engine) -> Self {
        let holder = engine.executor().owner().to_string();
        self.lease = Some(Lease::new(self.name, engine.store().clone(), holder));
        self
    }

    /// Runs `tick` every `every` until `shutdown` is signalled. A failed tick is logged
    /// and counted; the next one runs as planned.
    pub fn spawn<F, Fut, E>(self, shutdown: &Shutdown, mut tick: F) -> JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: Display,
    {
        let mut stop = shutdown.subscribe();
        let Worker { name, every, first_after, mut lease } = self;
        // A singleton wakes at least as often as its lease wants renewing; its tick still
        // runs every `every` while it holds the lease, and at once when it takes it over.
        let wake = lease.as_ref().map_or(every, |_| every.min(lease::RENEW_EVERY));
        spawn_on(shutdown.runtime.as_ref(), async move {
            let start = tokio::time::Instant::now() + first_after;
            let mut interval = tokio::time::interval_at(start, wake);
            // A slow tick delays the next instead of causing a burst of catch-up ticks.
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut next_tick = start;
            loop {
                tokio::select! {
                    // Shutdown wins over a tick that is due at the same time.
                    biased;
                    // Signalled, or the sender is gone with the engine.
                    _ = stop.wait_for(|stopped| *stopped) => break,
                    _ = interval.tick() => {}
                }
                let now = tokio::time::Instant::now();
                if let Some(lease) = lease.as_mut() {
                    if !lease.hold().await {
                        next_tick = now;
                        continue;
                    }
                    if now < next_tick {
                        continue;
                    }
                    next_tick = now + every;
                }
                let started = Instant::now();
                let result = tick().await;
                let took = started.elapsed().as_secs_f64();
                metrics::gauge!(LAST_DURATION, "worker" => name).set(took);
                metrics::gauge!(LAST_RUN, "worker" => name).set(unix_now());
                if let Err(e) = result {
                    metrics::counter!(ERRORS, "worker" => name).increment(1);
                    tracing::warn!(worker = name, error = %e, "background tick failed");
                }
            }
            if let Some(lease) = lease.as_mut() {
                lease.release().await;
            }
            tracing::debug!(worker = name, "stopped");
        })
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn recorder() -> metrics_exporter_prometheus::PrometheusHandle {
        static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
        HANDLE
            .get_or_init(|| {
                let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
                let handle = recorder.handle();
                metrics::set_global_recorder(recorder).expect("no other recorder in engine unit tests");
                handle
            })
            .clone()
    }

    #[tokio::test]
    async fn a_worker_ticks_records_its_metrics_and_stops_on_shutdown() {
        let metrics = recorder();
        let shutdown = Shutdown::default();
        let ticks = Arc::new(AtomicU32::new(0));
        let counted = ticks.clone();
        let handle = Worker::new("test_worker", Duration::from_millis(10)).spawn(&shutdown, move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            // Every other tick fails.
            async move { if n % 2 == 1 { Err("tick failed") } else { Ok(()) } }
        });
        for _ in 0..200 {
            if ticks.load(Ordering::SeqCst) >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(ticks.load(Ordering::SeqCst) >= 4, "the worker ticks");
        shutdown.signal();
        tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops on shutdown").unwrap();
        let stopped_at = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), stopped_at, "no tick after shutdown");

        let text = metrics.render();
        for name in [LAST_RUN, LAST_DURATION, ERRORS] {
            assert!(text.contains(&format!("{name}{{worker=\"test_worker\"}}")), "{name} missing from:\n{text}");
        }
        let errors = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{ERRORS}{{worker=\"test_worker\"}} ")))
            .and_then(|v| v.parse::<u32>().ok())
            .expect("error count");
        assert_eq!(errors, stopped_at / 2, "every failed tick is counted");
    }

    #[tokio::test]
    async fn workers_run_on_the_runtime_they_are_given() {
        let background = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("test-background")
            .enable_all()
            .build()
            .unwrap();
        let shutdown = Shutdown::on(Some(background.handle().clone()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut tx = Some(tx);
        let handle = Worker::new("test_elsewhere", Duration::from_millis(10)).spawn(&shutdown, move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(std::thread::current().name().map(str::to_string));
            }
            async { Ok::<(), String>(()) }
        });
        let thread = tokio::time::timeout(Duration::from_secs(5), rx).await.expect("a tick").unwrap();
        assert_eq!(thread.as_deref(), Some("test-background"));
        shutdown.signal();
        tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").unwrap();
        background.shutdown_background();
    }

    #[tokio::test]
    async fn a_signalled_worker_never_ticks() {
        let shutdown = Shutdown::default();
        shutdown.signal();
        let ticks = Arc::new(AtomicU32::new(0));
        let counted = ticks.clone();
        let handle = Worker::new("test_stopped", Duration::from_millis(10))
            .first_after(Duration::from_millis(20))
            .spawn(&shutdown, move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), String>(()) }
            });
        tokio::time::timeout(Duration::from_secs(5), handle).await.expect("stops").unwrap();
        assert_eq!(ticks.load(Ordering::SeqCst), 0);
    }
}
