//! gureum's simulated cloud: an in-process provider behind the [`Driver`] trait, with
//! the behaviour that makes a control plane hard to get right — asynchronous transitions
//! that take realistic time, finite zone capacity, provider-side rules with typed errors,
//! and injectable faults (errors, hangs, lost answers, failed transitions).
//!
//! It is a cloud, not gureum's memory: its state lives in a journal of its own beside
//! gureum's data and survives a restart or a `kill -9`, with transitions under way
//! completing on time afterwards. It can also be used directly, without gureum:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gureum_driver::{CreateSpec, Driver};
//! use gureum_sim::{SimDriver, SimSettings};
//!
//! let sim = SimDriver::open("/tmp/sim".as_ref(), "demo", "sim-1", "sim-1a", SimSettings::default())?;
//! let vpc = sim
//!     .create(CreateSpec::Vpc { name: "net".into(), tag: "gureum-id".into(), cidr: "10.0.0.0/16".into() })
//!     .await?;
//! println!("{} is {}", vpc.id, vpc.status);
//! # Ok(()) }
//! ```

mod console;
mod driver;
mod factory;
mod guest;
mod journal;
mod maintenance;
mod ops;
mod profile;
mod record;
mod service;
mod settings;
mod state;
mod stats;

pub use driver::profile_info;
pub use factory::{SimFactory, factory, registry};
pub use profile::Profile;
pub use service::router;
pub use settings::{Capacity, Operation, SimSettings};
pub use stats::SimStats;

use gureum_driver::{DriverError, DriverResult};
use journal::Journal;
use state::State;
use stats::{Call, Stats};
use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

/// The zones of a region `r`: `ra`, `rb` and `rc` (`sim-1` → `sim-1a`, `sim-1b`, `sim-1c`).
pub fn zones_of(region: &str) -> Vec<String> {
    ["a", "b", "c"].iter().map(|z| format!("{region}{z}")).collect()
}

/// The zones of `region`, which must hold `zone`.
fn zones_in(region: &str, zone: &str) -> io::Result<Vec<String>> {
    let zones = zones_of(region);
    if !zones.iter().any(|z| z == zone) {
        let msg = format!("zone {zone:?} is not in region {region:?} (zones: {})", zones.join(", "));
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    Ok(zones)
}

/// One connection's view of a simulated cloud.
///
/// Every handle opened on the same journal within a process shares one cloud (state,
/// journal and call counters), so opening a connection twice cannot fork its state;
/// each handle has its own settings, which are how that client experiences the cloud.
pub struct SimDriver {
    cloud: Arc<Cloud>,
    settings: RwLock<Arc<SimSettings>>,
}

struct Cloud {
    region: String,
    zone: String,
    inner: Mutex<Inner>,
    stats: Stats,
    /// Held while the cloud is open so that a second process cannot write the journal
    /// (none for a cloud in memory).
    _lock: Option<File>,
}

struct Inner {
    state: State,
    journal: Option<Journal>,
}

/// The clouds open in this process, by journal path.
static OPEN: LazyLock<Mutex<HashMap<PathBuf, Weak<Cloud>>>> = LazyLock::new(Mutex::default);

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl SimDriver {
    /// Opens (or creates) the cloud of `connection_id`, kept in
    /// `<state_dir>/<connection_id>.jsonl`. Transitions that came due while it was closed
    /// complete now, and the journal is rewritten compacted.
    pub fn open(
        state_dir: &Path,
        connection_id: &str,
        region: &str,
        zone: &str,
        settings: SimSettings,
    ) -> io::Result<SimDriver> {
        let bad = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
        let zones = zones_in(region, zone)?;
        let file_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if connection_id.is_empty() || !connection_id.chars().all(file_safe) {
            return Err(bad(format!("connection id {connection_id:?} must be letters, digits, '-' and '_'")));
        }
        let path = std::path::absolute(state_dir.join(format!("{connection_id}.jsonl")))?;

        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, c| c.strong_count() > 0);
        let cloud = match open.get(&path).and_then(Weak::upgrade) {
            Some(c) if c.region == region && c.zone == zone => c,
            Some(c) => {
                return Err(bad(format!(
                    "the simulated cloud of {connection_id} is open for {} / {}",
                    c.region, c.zone
                )));
            }
            None => {
                let c = Arc::new(Cloud::load(&path, region, zone, zones)?);
                open.insert(path, Arc::downgrade(&c));
                c
            }
        };
        Ok(SimDriver { cloud, settings: RwLock::new(Arc::new(settings)) })
    }

    /// A cloud of its own, empty and kept in memory only: what a client of a sim service
    /// answers from without a call (profile, rules, limits).
    pub fn in_memory(region: &str, zone: &str, settings: SimSettings) -> io::Result<SimDriver> {
        let zones = zones_in(region, zone)?;
        let cloud = Cloud {
            region: region.to_string(),
            zone: zone.to_string(),
            inner: Mutex::new(Inner { state: State::new(zones, HashMap::new()), journal: None }),
            stats: Stats::new(),
            _lock: None,
        };
        Ok(SimDriver { cloud: Arc::new(cloud), settings: RwLock::new(Arc::new(settings)) })
    }

    /// Changes latency, faults, capacity or profile from the next call on; calls under
    /// way finish with the settings they started with.
    pub fn set_settings(&self, settings: SimSettings) {
        *self.settings.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
    }

    pub fn settings(&self) -> Arc<SimSettings> {
        self.settings.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Call counters of the cloud, across every handle opened on it.
    pub fn stats(&self) -> SimStats {
        self.cloud.stats.snapshot()
    }

    pub fn region(&self) -> &str {
        &self.cloud.region
    }

    /// The connection's zone; the region's other zones are usable too.
    pub fn zone(&self) -> &str {
        &self.cloud.zone
    }

    /// Runs `f` on the state with every transition due by now completed, then journals
    /// what changed. The lock is held for microseconds and never across an `.await`.
    fn with_state<T>(&self, f: impl FnOnce(&mut State, u64) -> T) -> DriverResult<T> {
        let mut inner = self.cloud.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Inner { state, journal } = &mut *inner;
        let now = now_ms();
        state.settle(now);
        let out = f(state, now);
        // Zero-latency transitions started by `f` complete within the call.
        state.settle(now);
        let ids = state.take_dirty();
        if let Some(journal) = journal {
            journal
                .append(&ids, |id| state.record(id))
                .map_err(|e| DriverError::Unavailable(format!("the simulated cloud could not record a change: {e}")))?;
        }
        Ok(out)
    }

    /// A read, counted as a provider call.
    async fn read<T>(&self, call: Call, f: impl FnOnce(&mut State) -> DriverResult<T>) -> DriverResult<T> {
        let _in_flight = self.cloud.stats.enter(call);
        self.answer_delay(&self.settings()).await;
        self.with_state(|st, _| f(st))?
    }

    /// The provider's response time (`call_ms`), spent while the call is in flight.
    async fn answer_delay(&self, settings: &SimSettings) {
        if settings.call_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(settings.call_ms)).await;
        }
    }
}

impl Cloud {
    fn load(path: &Path, region: &str, zone: &str, zones: Vec<String>) -> io::Result<Cloud> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let lock = File::create(path.with_extension("lock"))?;
        lock.try_lock().map_err(|_| {
            io::Error::new(io::ErrorKind::WouldBlock, format!("{} is in use by another process", path.display()))
        })?;
        let mut state = State::new(zones, journal::replay(path)?);
        state.settle(now_ms());
        state.take_dirty();
        let mut records: Vec<_> = state.records().collect();
        records.sort_by_key(|r| (r.created_ms, &r.id));
        let journal = Journal::rewrite(path, records.into_iter())?;
        Ok(Cloud {
            region: region.to_string(),
            zone: zone.to_string(),
            inner: Mutex::new(Inner { state, journal: Some(journal) }),
            stats: Stats::new(),
            _lock: Some(lock),
        })
    }
}
