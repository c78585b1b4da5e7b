//! The control plane's check of a request against the connection's provider, before
//! anything is recorded or asked of the provider: the driver's capabilities (a kind the
//! provider neither has nor gureum emulates is refused, naming it) and the provider's
//! own rules (the driver's `precheck`, in words the user can act on, where the provider
//! itself would answer only "general error").

use crate::{Engine, Error, Result};
use gureum_driver::{Intent, Refusal, ResourceKind, RootDisk, Support, VolumeType};
use gureum_store::{ImageRecord, InstanceTypeRecord};
use uuid::Uuid;

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        if r.conflict { Error::Conflict(r.message) } else { Error::invalid(r.field, r.message) }
    }
}

impl Engine {
    /// Refuses `intent` when the connection's provider would, and a kind the provider
    /// cannot hold at all.
    pub(crate) async fn precheck(
        &self,
        connection_id: Uuid,
        kind: ResourceKind,
        intent: Option<&Intent<'_>>,
    ) -> Result<()> {
        let driver = self.driver(connection_id).await?;
        if driver.support(kind) == Support::Unsupported {
            return Err(Error::invalid(
                "connection",
                format!("the {} driver does not support capability {kind}", driver.info().driver),
            ));
        }
        match intent {
            Some(i) => Ok(driver.precheck(i)?),
            None => Ok(()),
        }
    }

    /// Refuses a VM of `spec` (the instance type's name, or a provider spec that carries
    /// more) from `image` the provider would not run.
    pub(crate) async fn precheck_vm(
        &self,
        connection_id: Uuid,
        spec: &str,
        itype: &InstanceTypeRecord,
        image: &ImageRecord,
        zone: &str,
        root_size_gb: i64,
    ) -> Result<()> {
        let intent = Intent::Vm {
            instance_type: spec,
            vcpus: itype.vcpus,
            memory_mib: itype.memory_mib,
            gpu: itype.gpu.is_some(),
            image: image.provider_id.as_deref().unwrap_or(&image.name),
            os_family: image.os_family.as_str(),
            zone,
            root_size_gb,
        };
        self.precheck(connection_id, ResourceKind::Vm, Some(&intent)).await
    }

    /// The root disk the connection's provider gives a VM, where it decides.
    pub(crate) async fn provider_root_disk(
        &self,
        connection_id: Uuid,
        os_family: &str,
        zone: &str,
    ) -> Result<Option<RootDisk>> {
        Ok(self.driver(connection_id).await?.root_disk(os_family, zone))
    }

    /// The data disk types the connection's provider sells; the first is the default.
    pub(crate) async fn provider_volume_types(&self, connection_id: Uuid) -> Result<Vec<VolumeType>> {
        Ok(self.driver(connection_id).await?.volume_types())
    }
}
