//! Software stacks: software a persistent VM may be given at creation, for the OS types
//! and versions it fits and the environments it offers. System administrators write them.

use crate::views::{links, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{OsFit, SoftwareStack, SoftwareStackCreate};
use gureum_model::Name;
use gureum_model::lean::Environment;
use gureum_model::lean::profile::label;
use gureum_store::{Key, Record, SoftwareStackRecord, new_id, now};

/// The most characters an install script may hold.
const SCRIPT_MAX: usize = 65_536;

impl Engine {
    pub(crate) fn stack_view(r: SoftwareStackRecord) -> SoftwareStack {
        SoftwareStack {
            links: links(format!("/v1/software-stacks/{}", r.id), None),
            fits: serde_json::from_str(&r.fits).unwrap_or_default(),
            environments: serde_json::from_str(&r.environments).unwrap_or_default(),
            created_at: ts(r.created_at),
            id: r.id,
            name: r.name,
            version: r.version,
            install_script: r.install_script,
        }
    }

    async fn stack_record(&self, key: &str) -> Result<SoftwareStackRecord> {
        self.store()
            .get::<SoftwareStackRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("software stack", key))
    }

    pub async fn software_stack_create(&self, ctx: &OpContext, req: SoftwareStackCreate) -> Result<SoftwareStack> {
        self.require_admin(ctx, "write software stacks")?;
        let name = Name::parse("name", &req.name)?;
        let version = label("version", &req.version)?;
        if req.fits.is_empty() {
            return Err(Error::invalid("fits", "name at least one OS type and version the stack fits"));
        }
        let mut fits: Vec<OsFit> = Vec::with_capacity(req.fits.len());
        for (i, f) in req.fits.iter().enumerate() {
            let fit = OsFit {
                os_type: label(&format!("fits[{i}].os_type"), &f.os_type)?,
                os_version: label(&format!("fits[{i}].os_version"), &f.os_version)?,
            };
            if fits.contains(&fit) {
                return Err(Error::invalid(format!("fits[{i}]"), "is listed twice"));
            }
            fits.push(fit);
        }
        let mut environments: Vec<Environment> = req.environments.clone();
        environments.sort();
        environments.dedup();
        if !req.install_script.starts_with("#!") || req.install_script.len() > SCRIPT_MAX {
            return Err(Error::invalid(
                "install_script",
                format!("must be a script starting with #!, at most {SCRIPT_MAX} bytes"),
            ));
        }
        let t = now();
        let rec = SoftwareStackRecord {
            id: new_id(),
            name: name.to_string(),
            version,
            fits: serde_json::to_string(&fits).expect("json"),
            environments: serde_json::to_string(&environments).expect("json"),
            install_script: req.install_script,
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        self.store()
            .write(rec.insert())
            .await
            .map_err(crate::workflow::operations::name_taken("software stack", &rec.name))?;
        Ok(Self::stack_view(rec))
    }

    pub async fn software_stack_list(&self, _ctx: &OpContext) -> Result<Vec<SoftwareStack>> {
        Ok(self.store().list_all::<SoftwareStackRecord>(&[]).await?.into_iter().map(Self::stack_view).collect())
    }

    pub async fn software_stack_get(&self, _ctx: &OpContext, key: &str) -> Result<SoftwareStack> {
        Ok(Self::stack_view(self.stack_record(key).await?))
    }

    pub async fn software_stack_delete(&self, ctx: &OpContext, key: &str) -> Result<()> {
        self.require_admin(ctx, "write software stacks")?;
        let r = self.stack_record(key).await?;
        self.store().write(gureum_store::record::delete::<SoftwareStackRecord>(r.id)).await?;
        Ok(())
    }
}
