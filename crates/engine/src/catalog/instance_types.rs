//! Instance types and images as the catalog offers them.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::InstanceType;
use gureum_store::{ImageRecord, InstanceTypeRecord, Key};
use uuid::Uuid;

fn instance_type_view(t: InstanceTypeRecord) -> InstanceType {
    InstanceType {
        id: t.id,
        name: t.name,
        vcpus: t.vcpus,
        memory_mib: t.memory_mib,
        gpu: t.gpu,
        price_per_hour: t.price_per_hour,
    }
}

impl Engine {
    pub async fn instance_type_list(&self, _ctx: &OpContext) -> Result<Vec<InstanceType>> {
        let mut all = self.store().list_all::<InstanceTypeRecord>(&[]).await?;
        all.sort_by(|a, b| {
            (a.gpu.is_some(), a.vcpus, a.memory_mib, &a.name).cmp(&(b.gpu.is_some(), b.vcpus, b.memory_mib, &b.name))
        });
        Ok(all.into_iter().map(instance_type_view).collect())
    }

    pub async fn instance_type_get(&self, _ctx: &OpContext, key: &str) -> Result<InstanceType> {
        Ok(instance_type_view(
            self.instance_type_record(key).await?.ok_or_else(|| Error::not_found("instance type", key))?,
        ))
    }

    pub(crate) async fn instance_type_record(&self, key: &str) -> Result<Option<InstanceTypeRecord>> {
        Ok(self.store().get::<InstanceTypeRecord>(&[], &Key::parse(key)).await?)
    }

    /// An instance type a request names, as a 400 naming the field when unknown.
    pub(crate) async fn instance_type_for(&self, field: &str, key: &str) -> Result<InstanceTypeRecord> {
        self.instance_type_record(key).await?.ok_or_else(|| {
            Error::invalid(field, format!("unknown instance type {key:?}; GET /v1/instance-types lists them"))
        })
    }

    /// The cheapest instance type without a GPU that holds `size` (what a template's
    /// machine and its clones are billed as); a 400 on `vcpus` when none is that large.
    pub(crate) async fn fitting_instance_type(
        &self,
        size: gureum_model::lean::MachineSize,
    ) -> Result<InstanceTypeRecord> {
        let mut fits: Vec<InstanceTypeRecord> = self
            .store()
            .list_all::<InstanceTypeRecord>(&[])
            .await?
            .into_iter()
            .filter(|t| t.gpu.is_none() && t.vcpus >= size.vcpus && t.memory_mib >= size.memory_mib)
            .collect();
        fits.sort_by(|a, b| a.price_per_hour.total_cmp(&b.price_per_hour).then(a.vcpus.cmp(&b.vcpus)));
        fits.into_iter().next().ok_or_else(|| {
            Error::invalid(
                "vcpus",
                format!(
                    "no instance type holds {} vCPUs and {} MiB; GET /v1/instance-types lists them",
                    size.vcpus, size.memory_mib
                ),
            )
        })
    }

    /// An image a request names: the project's own images first, then the public ones.
    pub(crate) async fn image_for(&self, field: &str, project_id: Uuid, key: &str) -> Result<ImageRecord> {
        let k = Key::parse(key);
        if let Some(img) = self.store().get::<ImageRecord>(&[("project_id", project_id.into())], &k).await? {
            return Ok(img);
        }
        // A public image is one no project owns.
        let public = self.store().get::<ImageRecord>(&[("project_id", gureum_store::Val::Null)], &k).await?;
        public.ok_or_else(|| {
            Error::invalid(field, format!("unknown image {key:?}; GET /v1/images lists the public ones"))
        })
    }
}
