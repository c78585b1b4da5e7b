//! Which drivers a server ships, by name. The engine opens connections through a
//! [`DriverRegistry`] the binary fills at start-up, so it depends on no driver crate:
//! a build with another set of drivers (or tests with only the simulated cloud) needs no
//! change to the engine.

use crate::{Driver, DriverInfo};
use gureum_model::validation::FieldError;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A connection as its driver sees it when opening it.
pub struct ConnectionSpec<'a> {
    /// gureum's id of the connection (stable: drivers key their state by it).
    pub id: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub zone: &'a str,
    /// The driver's own settings (the engine has taken its call limits out).
    pub settings: &'a Value,
    /// The connection's credentials, opened (sealed at rest; never to be logged).
    pub credentials: Option<&'a Value>,
    /// The server's data directory; each driver keeps its state in a folder of its own.
    pub data_dir: &'a Path,
}

/// Why a driver did not open.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpenError {
    /// The settings are not valid for the driver (a 400 naming the field).
    #[error("{0}")]
    Settings(FieldError),
    /// The provider is not usable now (no QEMU on the host, …).
    #[error("{0}")]
    Unavailable(String),
    /// The driver's own state is broken.
    #[error("{0}")]
    Internal(String),
}

impl From<FieldError> for OpenError {
    fn from(e: FieldError) -> Self {
        OpenError::Settings(e)
    }
}

/// One driver a server can open connections of.
pub trait DriverFactory: Send + Sync + 'static {
    /// The name connections give as their `driver`.
    fn name(&self) -> &'static str;

    /// The region and zone of a connection that names none.
    fn default_location(&self) -> (String, String);

    /// Checks a connection's settings, region and zone; returns the region and zone to
    /// store (the driver's defaults where none is given).
    fn validate(
        &self,
        settings: &Value,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(String, String), FieldError>;

    /// Opens the driver of a connection.
    fn open(&self, connection: &ConnectionSpec<'_>) -> Result<Arc<dyn Driver>, OpenError>;

    /// The provider profiles the driver reproduces, for the list of drivers; none by
    /// default (a driver whose capabilities depend on its connection).
    fn profiles(&self) -> Vec<DriverInfo> {
        vec![]
    }

    /// Whether a connection with these settings keeps its provider inside the server
    /// that opens it (its state in that server's data directory), so that servers
    /// sharing a database would each see a provider of their own.
    fn inside_server(&self, _settings: &Value) -> bool {
        false
    }
}

/// Opens the driver of a node whose agent serves its host's driver over HTTP.
pub trait AgentDriverFactory: Send + Sync + 'static {
    /// `local` is the connection's own driver, for what the agent does not hold.
    fn open(&self, node: &str, url: &str, secret: &str, local: Arc<dyn Driver>, timeout: Duration) -> Arc<dyn Driver>;
}

/// The drivers a server ships, in the order it lists them.
#[derive(Clone, Default)]
pub struct DriverRegistry {
    factories: Vec<Arc<dyn DriverFactory>>,
    agent: Option<Arc<dyn AgentDriverFactory>>,
}

impl DriverRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a driver; one of the same name is replaced.
    pub fn with(mut self, factory: Arc<dyn DriverFactory>) -> Self {
        self.factories.retain(|f| f.name() != factory.name());
        self.factories.push(factory);
        self
    }

    /// Sets how nodes with an agent are called.
    pub fn with_agents(mut self, agent: Arc<dyn AgentDriverFactory>) -> Self {
        self.agent = Some(agent);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn DriverFactory>> {
        self.factories.iter().find(|f| f.name() == name)
    }

    /// The names of the drivers, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.factories.iter().map(|f| f.name()).collect()
    }

    /// The driver named `name`, or the error for the field `driver` listing those known.
    pub fn factory(&self, name: &str) -> Result<&Arc<dyn DriverFactory>, FieldError> {
        self.get(name).ok_or_else(|| {
            FieldError::new("driver", format!("unknown driver {name:?}; available: {}", self.names().join(", ")))
        })
    }

    pub fn factories(&self) -> impl Iterator<Item = &Arc<dyn DriverFactory>> {
        self.factories.iter()
    }

    pub fn agents(&self) -> Option<&Arc<dyn AgentDriverFactory>> {
        self.agent.as_ref()
    }
}

impl std::fmt::Debug for DriverRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverRegistry").field("drivers", &self.names()).field("agents", &self.agent.is_some()).finish()
    }
}
