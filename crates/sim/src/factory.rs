//! The simulated cloud as a driver a server registers (see [`gureum_driver::DriverRegistry`]).

use crate::{Profile, SimDriver, SimSettings, profile_info, zones_of};
use gureum_driver::{ConnectionSpec, Driver, DriverFactory, DriverInfo, OpenError};
use gureum_model::validation::FieldError;
use serde_json::Value;
use std::sync::Arc;

/// The region a sim connection gets when it names none.
pub const DEFAULT_REGION: &str = "sim-1";

/// Opens sim connections; every connection's cloud is a journal under `<data_dir>/sim`,
/// or held by the `gureum sim serve` its setting `endpoint` names.
pub struct SimFactory;

/// The sim driver, to register.
pub fn factory() -> Arc<dyn DriverFactory> {
    Arc::new(SimFactory)
}

/// A registry of the simulated cloud alone (tests, tools).
pub fn registry() -> gureum_driver::DriverRegistry {
    gureum_driver::DriverRegistry::new().with(factory())
}

impl DriverFactory for SimFactory {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn default_location(&self) -> (String, String) {
        (DEFAULT_REGION.into(), zones_of(DEFAULT_REGION)[0].clone())
    }

    fn validate(
        &self,
        settings: &Value,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(String, String), FieldError> {
        SimSettings::parse(settings)?;
        let region = region.unwrap_or(DEFAULT_REGION).to_string();
        gureum_model::Name::parse("region", &region)?;
        let zones = zones_of(&region);
        let zone = zone.map_or_else(|| zones[0].clone(), str::to_string);
        if !zones.contains(&zone) {
            return Err(FieldError::new("zone", format!("region {region} has zones {}", zones.join(", "))));
        }
        Ok((region, zone))
    }

    fn open(&self, c: &ConnectionSpec<'_>) -> Result<Arc<dyn Driver>, OpenError> {
        let settings = SimSettings::parse(c.settings)?;
        if let Some(endpoint) = settings.endpoint.clone() {
            return crate::service::open(&endpoint, c, settings);
        }
        let d = SimDriver::open(&c.data_dir.join("sim"), c.id, c.region, c.zone, settings)
            .map_err(|e| OpenError::Internal(format!("opening the simulated cloud of {}: {e}", c.name)))?;
        Ok(Arc::new(d))
    }

    fn profiles(&self) -> Vec<DriverInfo> {
        Profile::ALL.iter().map(|p| profile_info(*p)).collect()
    }

    /// Without an `endpoint`, the cloud is a journal in the server's data directory.
    fn inside_server(&self, settings: &Value) -> bool {
        SimSettings::parse(settings).is_ok_and(|s| s.endpoint.is_none())
    }
}
