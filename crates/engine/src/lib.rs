//! The application: one module per resource (each starts with authorization, validates
//! everything before any provider call, and runs provider work as a durable workflow),
//! plus the workflow executor, metering and reconciliation.

mod bootstrap;
pub mod catalog;
pub mod compute;
mod context;
mod error;
pub mod fleet;
pub mod iam;
pub mod lean;
pub mod maintenance;
mod names;
pub mod network;
pub mod provider;
pub mod provisioning;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
mod views;
pub mod worker;
pub mod workflow;

pub use bootstrap::{Bootstrap, LOCAL_CONNECTION};
pub use context::OpContext;
pub use error::{Error, Result};
pub use gureum_driver::DriverRegistry;
pub use gureum_store::Resources;
pub use iam::authz::{ProjectScope, Tenancy};
pub use iam::secrets::SecretKey;
pub use provider::cloud::{CallLimits, Cloud};
/// The largest page a list gives.
pub use views::MAX_PAGE;
pub use workflow::WorkflowHooks;

use gureum_store::Store;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use uuid::Uuid;
use workflow::Executor;

#[derive(Clone)]
pub struct EngineConfig {
    /// Where driver state (the simulated cloud, VM disks) lives.
    pub data_dir: PathBuf,
    /// Seals connection credentials at rest.
    pub secret_key: SecretKey,
    /// Longest a single provider call may take before it counts as timed out.
    pub call_timeout: Duration,
    /// Longest gureum waits for a provider transition (a VM to boot, a disk to appear).
    pub wait_timeout: Duration,
    /// This server's identity as a workflow lease owner. A server restarted with the same
    /// identity takes its unfinished workflows back at once instead of waiting for their
    /// leases to expire; `None` makes a new one (tests, throwaway servers).
    pub server_id: Option<String>,
    /// A node whose agent has not heartbeaten for this long is unreachable.
    pub node_timeout: Duration,
    /// The drivers connections can use, and how nodes with an agent are called.
    pub drivers: DriverRegistry,
    /// How long provisioning history logs are kept (SPEC §0: 15 days by default).
    pub history_log_days: u32,
    /// The settings of the default `sim` connection a fresh install gets (`{}`: the
    /// simulated cloud inside this server; servers sharing a database give it the
    /// `endpoint` of a shared `gureum sim serve`).
    pub default_sim_settings: serde_json::Value,
    /// The credentials it is made with (the shared service's `{"token": …}`), if any.
    pub default_sim_credentials: Option<serde_json::Value>,
    /// Where the background loops run. A runtime of their own keeps a long pass (the
    /// reconciler over 10,000 instances, whose SQLite reads block the thread they run
    /// on) off the threads that answer requests; `None`: the engine's own runtime.
    pub background: Option<tokio::runtime::Handle>,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf, secret_key: SecretKey) -> Self {
        EngineConfig {
            data_dir,
            secret_key,
            call_timeout: Duration::from_secs(60),
            wait_timeout: Duration::from_secs(600),
            server_id: None,
            node_timeout: Duration::from_secs(15),
            // None: the binary (or a test) registers the drivers it ships.
            drivers: DriverRegistry::default(),
            history_log_days: 15,
            default_sim_settings: serde_json::json!({}),
            default_sim_credentials: None,
            background: None,
        }
    }

    pub fn with_drivers(mut self, drivers: DriverRegistry) -> Self {
        self.drivers = drivers;
        self
    }
}

struct Inner {
    store: Store,
    executor: Executor,
    config: EngineConfig,
    /// Each connection's driver, opened on first use, and its call budget.
    /// Each connection's driver, with the connection's generation it was opened at.
    drivers: RwLock<HashMap<Uuid, (i64, provider::cloud::Provider)>>,
    /// The drivers of nodes with an agent, by node id, with the agent URL they call.
    node_drivers: RwLock<HashMap<Uuid, provider::node_clouds::AgentDriver>>,
    /// Resource names by id. Names never change, so this needs no invalidation.
    names: Mutex<HashMap<Uuid, String>>,
    /// When each API token was last recorded as used (writes are throttled).
    token_touches: Mutex<HashMap<Uuid, i64>>,
    /// Stops the background workers.
    shutdown: worker::Shutdown,
}

/// The application handle, cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(store: Store, config: EngineConfig) -> Engine {
        let owner = config.server_id.clone().unwrap_or_else(|| format!("gureum-{}", Uuid::new_v4().simple()));
        let shutdown = worker::Shutdown::on(config.background.clone());
        Engine {
            inner: Arc::new(Inner {
                store,
                executor: Executor::new(owner),
                config,
                drivers: RwLock::new(HashMap::new()),
                node_drivers: RwLock::new(HashMap::new()),
                names: Mutex::new(HashMap::new()),
                token_touches: Mutex::new(HashMap::new()),
                shutdown,
            }),
        }
    }

    /// Starts the background work: resuming unfinished workflows, lease renewal,
    /// reconciliation against the providers, housekeeping.
    pub fn start(&self) {
        self.inner.executor.start_background(self);
        worker::reconciler::start(self);
        worker::servers::start(self);
        provider::start(self);
        lean::template_heal::start(self);
        maintenance::start(self);
        maintenance::start_notifications(self);
        provisioning::start_history_purge(self);
    }

    /// Stops the background work (each loop finishes its current tick). Running workflows
    /// are not interrupted: their leases lapse and another server, or this one restarted,
    /// resumes them.
    pub fn shutdown(&self) {
        self.inner.shutdown.signal();
    }

    pub(crate) fn shutdown_signal(&self) -> &worker::Shutdown {
        &self.inner.shutdown
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn executor(&self) -> &Executor {
        &self.inner.executor
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Fault injection for tests and chaos drills.
    pub fn set_workflow_hooks(&self, hooks: WorkflowHooks) {
        self.inner.executor.set_hooks(hooks);
    }
}
