//! VM profiles: a machine described once (OS family, install media, OS type and version,
//! size, clock). System administrators write them; everyone reads them.

use crate::views::{links, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{VmProfile, VmProfileCreate, VmProfileUpdate};
use gureum_model::Name;
use gureum_model::image::OsFamily;
use gureum_model::lean::profile::label;
use gureum_model::lean::{ClockOffset, MachineSize};
use gureum_store::{ImageRecord, Key, Record, Update, Val, VmProfileRecord, new_id, now};
use uuid::Uuid;

impl Engine {
    async fn profile_view(&self, r: VmProfileRecord) -> VmProfile {
        VmProfile {
            links: links(format!("/v1/vm-profiles/{}", r.id), None),
            install_media: self.name_of::<ImageRecord>(r.install_media).await,
            created_at: ts(r.created_at),
            id: r.id,
            name: r.name,
            base_profile: r.base_profile,
            description: r.description,
            os_type: r.os_type,
            os_version: r.os_version,
            memory_mib: r.memory_mib,
            disk_gb: r.disk_gb,
            vcpus: r.vcpus,
            clock_offset: r.clock_offset,
        }
    }

    async fn profile_record(&self, key: &str) -> Result<VmProfileRecord> {
        self.store()
            .get::<VmProfileRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("VM profile", key))
    }

    /// The install media: a public image of the profile's OS family.
    async fn install_media(&self, key: &str, family: OsFamily) -> Result<Uuid> {
        let image = self
            .store()
            .get::<ImageRecord>(&[("project_id", Val::Null)], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::invalid("install_media", format!("no public image {key:?}")))?;
        if image.os_family != family {
            return Err(Error::invalid(
                "install_media",
                format!("image {} is {}, the base profile {family}", image.name, image.os_family),
            ));
        }
        Ok(image.id)
    }

    pub async fn vm_profile_create(&self, ctx: &OpContext, req: VmProfileCreate) -> Result<VmProfile> {
        self.require_admin(ctx, "write VM profiles")?;
        let name = Name::parse("name", &req.name)?;
        let size = MachineSize { memory_mib: req.memory_mib, disk_gb: req.disk_gb, vcpus: req.vcpus }.check()?;
        let t = now();
        let rec = VmProfileRecord {
            id: new_id(),
            name: name.to_string(),
            base_profile: req.base_profile,
            install_media: self.install_media(&req.install_media, req.base_profile).await?,
            description: req.description,
            os_type: label("os_type", &req.os_type)?,
            os_version: label("os_version", &req.os_version)?,
            memory_mib: size.memory_mib,
            disk_gb: size.disk_gb,
            vcpus: size.vcpus,
            clock_offset: req.clock_offset.unwrap_or(ClockOffset::Utc),
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        self.store()
            .write(rec.insert())
            .await
            .map_err(crate::workflow::operations::name_taken("VM profile", &rec.name))?;
        Ok(self.profile_view(rec).await)
    }

    pub async fn vm_profile_list(&self, _ctx: &OpContext) -> Result<Vec<VmProfile>> {
        let mut out = vec![];
        for r in self.store().list_all::<VmProfileRecord>(&[]).await? {
            out.push(self.profile_view(r).await);
        }
        Ok(out)
    }

    pub async fn vm_profile_get(&self, _ctx: &OpContext, key: &str) -> Result<VmProfile> {
        Ok(self.profile_view(self.profile_record(key).await?).await)
    }

    pub async fn vm_profile_update(&self, ctx: &OpContext, key: &str, req: VmProfileUpdate) -> Result<VmProfile> {
        self.require_admin(ctx, "write VM profiles")?;
        let mut r = self.profile_record(key).await?;
        let size = MachineSize {
            memory_mib: req.memory_mib.unwrap_or(r.memory_mib),
            disk_gb: req.disk_gb.unwrap_or(r.disk_gb),
            vcpus: req.vcpus.unwrap_or(r.vcpus),
        }
        .check()?;
        if let Some(m) = &req.install_media {
            r.install_media = self.install_media(m, r.base_profile).await?;
        }
        if let Some(t) = &req.os_type {
            r.os_type = label("os_type", t)?;
        }
        if let Some(v) = &req.os_version {
            r.os_version = label("os_version", v)?;
        }
        r.description = req.description.unwrap_or(r.description);
        r.clock_offset = req.clock_offset.unwrap_or(r.clock_offset);
        (r.memory_mib, r.disk_gb, r.vcpus) = (size.memory_mib, size.disk_gb, size.vcpus);
        let update = Update::<VmProfileRecord>::of(r.id)
            .set(VmProfileRecord::install_media, r.install_media)
            .set(VmProfileRecord::description, &r.description)
            .set(VmProfileRecord::os_type, &r.os_type)
            .set(VmProfileRecord::os_version, &r.os_version)
            .set(VmProfileRecord::memory_mib, r.memory_mib)
            .set(VmProfileRecord::disk_gb, r.disk_gb)
            .set(VmProfileRecord::vcpus, r.vcpus)
            .set(VmProfileRecord::clock_offset, r.clock_offset.as_str())
            .guard(VmProfileRecord::generation, r.generation);
        self.store().write(update.stmt(now())).await.map_err(crate::error::on_no_row(|| {
            Error::Conflict(format!("VM profile {} changed meanwhile; try again", r.name))
        }))?;
        Ok(self.profile_view(r).await)
    }

    pub async fn vm_profile_delete(&self, ctx: &OpContext, key: &str) -> Result<()> {
        self.require_admin(ctx, "write VM profiles")?;
        let r = self.profile_record(key).await?;
        self.store().write(gureum_store::record::delete::<VmProfileRecord>(r.id)).await?;
        Ok(())
    }
}
