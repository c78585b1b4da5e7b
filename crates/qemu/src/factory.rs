//! QEMU on this host as a driver a server registers (see [`gureum_driver::DriverRegistry`]).

use crate::{QemuDriver, QemuSettings, REGION, ZONE};
use gureum_driver::{ConnectionSpec, Driver, DriverFactory, OpenError};
use gureum_model::validation::FieldError;
use serde_json::Value;
use std::sync::Arc;

/// Opens qemu connections; each keeps its VMs and disks under `<data_dir>/qemu/<id>`.
pub struct QemuFactory;

/// The qemu driver, to register.
pub fn factory() -> Arc<dyn DriverFactory> {
    Arc::new(QemuFactory)
}

impl DriverFactory for QemuFactory {
    fn name(&self) -> &'static str {
        "qemu"
    }

    fn default_location(&self) -> (String, String) {
        (REGION.into(), ZONE.into())
    }

    fn validate(
        &self,
        settings: &Value,
        region: Option<&str>,
        zone: Option<&str>,
    ) -> Result<(String, String), FieldError> {
        QemuSettings::parse(settings)?;
        let region = region.unwrap_or(REGION);
        if region != REGION {
            return Err(FieldError::new("region", format!("a QEMU host has the one region {REGION}")));
        }
        let zone = zone.unwrap_or(ZONE);
        if zone != ZONE {
            return Err(FieldError::new("zone", format!("a QEMU host has the one zone {ZONE}")));
        }
        Ok((region.into(), zone.into()))
    }

    fn open(&self, c: &ConnectionSpec<'_>) -> Result<Arc<dyn Driver>, OpenError> {
        let settings = QemuSettings::parse(c.settings)?;
        let d = QemuDriver::open(&c.data_dir.join("qemu").join(c.id), settings)
            .map_err(|e| OpenError::Unavailable(format!("connection {}: {e}", c.name)))?;
        Ok(Arc::new(d))
    }
}
