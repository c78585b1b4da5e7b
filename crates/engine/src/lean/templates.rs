//! VM templates (SPEC §1): a machine created from a profile in a template pool, installed
//! once, generalized (sysprep) and released as a version that persistent VMs are cloned
//! from. System administrators write them; everyone signed in reads them. What may be
//! done to one follows its mode (model::lean::template_mode) and its machine's power.

use crate::lean::template_workflows::{
    TemplateParams, VM_TEMPLATE_CREATE, VM_TEMPLATE_DELETE, VM_TEMPLATE_POWER, VM_TEMPLATE_RELEASE, event,
};
use crate::views::{links, ts};
use crate::workflow::WorkflowDef;
use crate::workflow::operations::{OpSpec, Target};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{VmTemplate, VmTemplateCreate, VmTemplateEvent, VmTemplateUpdate};
use gureum_model::image::ImageState;
use gureum_model::lean::{MachineSize, TemplateAction, TemplateMode, TemplateState};
use gureum_model::pool::PoolPurpose;
use gureum_store::{
    Batch, ImageRecord, Key, NodeRecord, PersistentVmRecord, PoolRecord, Record, Resources, Update, Val,
    VmProfileRecord, VmTemplateEventRecord, VmTemplateRecord, new_id, now,
};
use uuid::Uuid;

/// How many of a template's latest events its view shows.
const EVENTS_SHOWN: usize = 20;

/// What a stored mode means: missing or unknown reads as do_not_use (and is healed to it).
pub(crate) fn mode_of(t: &VmTemplateRecord) -> TemplateMode {
    TemplateMode::read(t.mode.as_deref()).unwrap_or(TemplateMode::DoNotUse)
}

impl Engine {
    pub(crate) async fn template_record(&self, key: &str) -> Result<VmTemplateRecord> {
        self.store()
            .get::<VmTemplateRecord>(&[], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("VM template", key))
    }

    pub(crate) async fn template_view(&self, t: VmTemplateRecord) -> Result<VmTemplate> {
        let store = self.store();
        let profile = store.get_by_id::<VmProfileRecord>(t.profile_id).await?;
        let clones =
            store.count::<PersistentVmRecord>(&[("template_id", t.id.into()), ("deleted_at", Val::Null)]).await?;
        let mut events = store.list_all::<VmTemplateEventRecord>(&[("template_id", t.id.into())]).await?;
        events.sort_by_key(|e| e.at);
        let skip = events.len().saturating_sub(EVENTS_SHOWN);
        let mode = mode_of(&t);
        let power = t.state.power(t.sysprepped);
        Ok(VmTemplate {
            links: links(format!("/v1/vm-templates/{}", t.id), None),
            profile: profile.as_ref().map_or_else(|| t.profile_id.to_string(), |p| p.name.clone()),
            pool: self.name_of::<PoolRecord>(t.pool_id).await,
            node: self.name_of_opt::<NodeRecord>(t.node_id).await,
            base_profile: profile.as_ref().map_or(gureum_model::image::OsFamily::Linux, |p| p.base_profile),
            os_type: profile.as_ref().map(|p| p.os_type.clone()).unwrap_or_default(),
            os_version: profile.as_ref().map(|p| p.os_version.clone()).unwrap_or_default(),
            install_media: match &profile {
                Some(p) => self.name_of::<ImageRecord>(p.install_media).await,
                None => String::new(),
            },
            allowed_actions: if t.state.busy() { vec![] } else { mode.allowed(power) },
            persistent_vms: clones,
            events: events
                .into_iter()
                .skip(skip)
                .map(|e| VmTemplateEvent { at: ts(e.at), message: e.message })
                .collect(),
            created_at: ts(t.created_at),
            id: t.id,
            name: t.name,
            description: t.description,
            memory_mib: t.memory_mib,
            disk_gb: t.disk_gb,
            vcpus: t.vcpus,
            clock_offset: t.clock_offset,
            mode,
            version: t.version,
            state: t.state,
            operation_id: t.op_id,
            state_reason: t.state_reason,
            sysprepped: t.sysprepped,
        })
    }

    /// A connection's template machines and disks as drift sees records: the provider
    /// resources they hold are gureum's, not drift.
    pub(crate) async fn template_provider_rows(
        &self,
        connection: Uuid,
        kind: gureum_driver::ResourceKind,
    ) -> Result<Vec<gureum_store::ProviderRow>> {
        let templates = self.store().list_all::<VmTemplateRecord>(&[("connection_id", connection.into())]).await?;
        Ok(templates
            .into_iter()
            .filter_map(|t| {
                let provider_id = match kind {
                    gureum_driver::ResourceKind::Vm => t.vm_provider_id,
                    gureum_driver::ResourceKind::Disk => t.disk_provider_id,
                    _ => None,
                }?;
                Some(gureum_store::ProviderRow {
                    id: t.id,
                    name: t.name,
                    project_id: None,
                    provider_id: Some(provider_id),
                    state: t.state.as_str().into(),
                    op_id: t.op_id,
                })
            })
            .collect())
    }

    pub async fn vm_template_create(&self, ctx: &OpContext, req: VmTemplateCreate) -> Result<VmTemplate> {
        self.require_admin(ctx, "create VM templates")?;
        let profile = self
            .store()
            .get::<VmProfileRecord>(&[], &Key::parse(&req.profile))
            .await?
            .ok_or_else(|| Error::invalid("profile", format!("no VM profile {:?}", req.profile)))?;
        let pool = self.pool_for("pool", &req.pool, PoolPurpose::Template).await?;
        let node = self.node_of_pool("node", &pool, req.node.as_deref()).await?;
        let size = MachineSize {
            memory_mib: req.memory_mib.unwrap_or(profile.memory_mib),
            disk_gb: req.disk_gb.unwrap_or(profile.disk_gb),
            vcpus: req.vcpus.unwrap_or(profile.vcpus),
        }
        .check()?;
        let media =
            self.store().get_by_id::<ImageRecord>(profile.install_media).await?.ok_or_else(|| {
                Error::invalid("profile", format!("profile {}'s install media is gone", profile.name))
            })?;
        let itype = self.fitting_instance_type(size).await?;
        let zone = self
            .store()
            .get_by_id::<gureum_store::ConnectionRecord>(pool.connection_id)
            .await?
            .ok_or_else(|| Error::not_found("connection", pool.connection_id))?
            .zone;
        let root = self.provider_root_disk(pool.connection_id, profile.base_profile.as_str(), &zone).await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let need = Resources { vcpus: size.vcpus, memory_mib: size.memory_mib, disk_gb: size.disk_gb };
        let (node, reserve) = match self.place_in(&pool, id, need, node).await {
            Ok((n, b)) => (Some(n), b),
            // A pool without nodes (a cloud that places machines itself) reserves nothing.
            Err(Error::Capacity(_)) if node.is_none() && self.pool_is_empty(&pool).await? => (None, Batch::new()),
            Err(e) => return Err(e),
        };
        let rec = VmTemplateRecord {
            id,
            name: self.system_name(&pool).await?,
            profile_id: profile.id,
            pool_id: pool.id,
            node_id: node,
            connection_id: pool.connection_id,
            zone,
            description: req.description,
            memory_mib: size.memory_mib,
            disk_gb: size.disk_gb,
            vcpus: size.vcpus,
            clock_offset: req.clock_offset.unwrap_or(profile.clock_offset),
            mode: Some(TemplateMode::FirstInstallation.as_str().into()),
            version: 0,
            sysprepped: false,
            disk_provider_id: None,
            vm_provider_id: None,
            state: TemplateState::Building,
            state_reason: None,
            op_id: Some(op_id),
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        let params = TemplateParams {
            connection_id: pool.connection_id,
            action: None,
            install_media: Some(media.provider_id.unwrap_or(media.name)),
            volume_type: Some(root.map_or_else(|| "SSD".into(), |r| r.volume_type)),
            instance_type: Some(itype.name),
            image_id: None,
        };
        let mut batch = reserve;
        batch.push(rec.insert());
        batch.push(event(id, format!("created from profile {} in pool {}", profile.name, pool.name)));
        self.start_template_op(ctx, &rec, op_id, &VM_TEMPLATE_CREATE, params, batch).await?;
        self.template_view(rec).await
    }

    async fn pool_is_empty(&self, pool: &PoolRecord) -> Result<bool> {
        Ok(self.nodes_serving(pool).await?.is_empty())
    }

    /// Starts a template workflow with the changes that begin it, in one write.
    async fn start_template_op(
        &self,
        ctx: &OpContext,
        t: &VmTemplateRecord,
        op_id: Uuid,
        def: &'static WorkflowDef,
        params: TemplateParams,
        batch: Batch,
    ) -> Result<()> {
        let spec = OpSpec {
            id: op_id,
            def,
            target: Target { kind: "vm_template", id: t.id, name: &t.name },
            params: serde_json::to_value(params).expect("params serialize"),
            after: None,
        };
        let op = crate::workflow::new_record(self.executor().owner(), None, Some(ctx.user_id), spec);
        self.remember_name(t.id, &t.name);
        self.launch(op, batch).await.map_err(|e| match e {
            gureum_store::DbError::Conflict { .. } => {
                Error::Conflict(format!("template {} changed meanwhile; try again", t.name))
            }
            other => other.into(),
        })
    }

    /// What the template's machine printed on its serial console: the installation, and
    /// what the administrator does while it runs (system administrators).
    pub async fn vm_template_console_log(&self, ctx: &OpContext, key: &str) -> Result<gureum_api_types::ConsoleLog> {
        self.require_admin(ctx, "read a VM template's console")?;
        let t = self.template_record(key).await?;
        let vm = t.vm_provider_id.as_deref().ok_or_else(|| {
            Error::Conflict(format!("template {} has no machine now ({}), so no console", t.name, t.state))
        })?;
        let output = self.cloud_on(t.connection_id, t.node_id).await?.console_log(vm).await?;
        Ok(gureum_api_types::ConsoleLog { instance: t.name, output })
    }

    pub async fn vm_template_list(&self, _ctx: &OpContext) -> Result<Vec<VmTemplate>> {
        let mut out = vec![];
        for t in self.store().list_all::<VmTemplateRecord>(&[]).await? {
            out.push(self.template_view(t).await?);
        }
        Ok(out)
    }

    pub async fn vm_template_get(&self, _ctx: &OpContext, key: &str) -> Result<VmTemplate> {
        self.template_view(self.template_record(key).await?).await
    }

    /// Changes the description, size or clock (the size applies at the machine's next
    /// start), or flags the template `do_not_use`: the only mode set directly.
    pub async fn vm_template_update(&self, ctx: &OpContext, key: &str, req: VmTemplateUpdate) -> Result<VmTemplate> {
        self.require_admin(ctx, "change VM templates")?;
        let mut t = self.template_record(key).await?;
        let size = MachineSize {
            memory_mib: req.memory_mib.unwrap_or(t.memory_mib),
            disk_gb: req.disk_gb.unwrap_or(t.disk_gb),
            vcpus: req.vcpus.unwrap_or(t.vcpus),
        }
        .check()?;
        if size.disk_gb < t.disk_gb {
            return Err(Error::invalid("disk_gb", format!("a disk only grows: it is {} GB", t.disk_gb)));
        }
        let mut batch = Batch::new();
        if let Some(mode) = req.mode {
            if mode != TemplateMode::DoNotUse {
                return Err(Error::invalid(
                    "mode",
                    format!("only do_not_use is set directly; {mode} follows from the actions (release, maintenance)"),
                ));
            }
            mode_of(&t).check(TemplateAction::DoNotUse, t.state.power(t.sysprepped))?;
            t.mode = Some(mode.as_str().into());
            batch.push(event(t.id, format!("flagged do_not_use by {}", ctx.user_name)));
        }
        let resized = (size.memory_mib, size.disk_gb, size.vcpus) != (t.memory_mib, t.disk_gb, t.vcpus);
        if resized && t.state.busy() {
            return Err(Error::Conflict(format!(
                "template {} is {}; change its size once it settles",
                t.name, t.state
            )));
        }
        t.description = req.description.unwrap_or(t.description);
        t.clock_offset = req.clock_offset.unwrap_or(t.clock_offset);
        (t.memory_mib, t.disk_gb, t.vcpus) = (size.memory_mib, size.disk_gb, size.vcpus);
        let update = Update::<VmTemplateRecord>::of(t.id)
            .set(VmTemplateRecord::description, &t.description)
            .set(VmTemplateRecord::clock_offset, t.clock_offset.as_str())
            .set(VmTemplateRecord::memory_mib, t.memory_mib)
            .set(VmTemplateRecord::disk_gb, t.disk_gb)
            .set(VmTemplateRecord::vcpus, t.vcpus)
            .set(VmTemplateRecord::mode, t.mode.clone().map_or(Val::Null, Val::Text))
            .guard(VmTemplateRecord::generation, t.generation);
        batch.push(update.stmt(now()));
        self.store().write(batch).await.map_err(crate::error::on_no_row(|| {
            Error::Conflict(format!("template {} changed meanwhile; try again", t.name))
        }))?;
        self.vm_template_get(ctx, &t.id.to_string()).await
    }

    /// Start, stop, sysprep, release or maintenance, as the template's mode and power
    /// allow (409 naming the mode or the power state otherwise).
    pub async fn vm_template_action(&self, ctx: &OpContext, key: &str, action: TemplateAction) -> Result<VmTemplate> {
        self.require_admin(ctx, "act on VM templates")?;
        let t = self.template_record(key).await?;
        if t.state.busy() {
            return Err(Error::State(gureum_model::state::Refusal {
                action: action.as_str(),
                state: t.state.as_str(),
                allowed: vec![],
                busy_with: t.op_id.map(|o| o.to_string()),
            }));
        }
        let mode = mode_of(&t);
        if (mode, action) == (TemplateMode::ReadyForUse, TemplateAction::Start) {
            return Err(Error::Conflict(format!(
                "template {} is ready_for_use and cannot be started; switch it to maintenance_mode first \
                 (POST /v1/vm-templates/{}/maintenance)",
                t.name, t.id
            )));
        }
        let to = mode.check(action, t.state.power(t.sysprepped))?;
        let guard = Update::<VmTemplateRecord>::of(t.id).guard(VmTemplateRecord::generation, t.generation);
        if action == TemplateAction::Maintenance {
            let update = guard.set(VmTemplateRecord::mode, to.as_str());
            let mut batch = Batch::from(update.stmt(now()));
            batch.push(event(t.id, format!("{mode} → {to} by {}", ctx.user_name)));
            self.store().write(batch).await.map_err(crate::error::on_no_row(|| {
                Error::Conflict(format!("template {} changed meanwhile; try again", t.name))
            }))?;
            return self.vm_template_get(ctx, &t.id.to_string()).await;
        }
        let op_id = new_id();
        let (state, def) = match action {
            TemplateAction::Start => (TemplateState::Starting, &VM_TEMPLATE_POWER),
            TemplateAction::Stop => (TemplateState::Stopping, &VM_TEMPLATE_POWER),
            TemplateAction::Sysprep => (TemplateState::Sysprepping, &VM_TEMPLATE_POWER),
            TemplateAction::Release => (TemplateState::Releasing, &VM_TEMPLATE_RELEASE),
            other => return Err(Error::invalid("action", format!("{other} is not a template action here"))),
        };
        let mut batch = Batch::new();
        let mut params = TemplateParams { connection_id: t.connection_id, action: Some(action), ..Default::default() };
        if action == TemplateAction::Release {
            let image = self.version_image(&t).await?;
            params.image_id = Some(image.id);
            batch.push(image.insert());
        }
        let update = guard.set(VmTemplateRecord::state, state.as_str()).set(VmTemplateRecord::op_id, op_id);
        batch.push(update.stmt(now()));
        batch.push(event(t.id, format!("{action} by {}", ctx.user_name)));
        self.start_template_op(ctx, &t, op_id, def, params, batch).await?;
        // As started: the workflow may already have finished.
        self.template_view(VmTemplateRecord { state, op_id: Some(op_id), ..t }).await
    }

    /// The public image the template's next version is frozen into.
    async fn version_image(&self, t: &VmTemplateRecord) -> Result<ImageRecord> {
        let profile = self
            .store()
            .get_by_id::<VmProfileRecord>(t.profile_id)
            .await?
            .ok_or_else(|| Error::Conflict(format!("template {}'s profile is gone", t.name)))?;
        let at = now();
        Ok(ImageRecord {
            id: new_id(),
            project_id: None,
            name: format!("{}-v{}", t.name, t.version + 1),
            os_family: profile.base_profile,
            distribution: profile.os_type,
            version: profile.os_version,
            gpu: false,
            min_disk_gb: t.disk_gb,
            max_disk_gb: 5120,
            size_gb: t.disk_gb,
            connection_id: Some(t.connection_id),
            provider_id: None,
            source_instance_id: None,
            source_volume_id: None,
            state: ImageState::Creating,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: Some(t.created_by),
            created_at: at,
            updated_at: at,
        })
    }

    /// Deletes the template with its machine, disk and versions; refused while persistent
    /// VMs cloned from it exist.
    pub async fn vm_template_delete(&self, ctx: &OpContext, key: &str) -> Result<VmTemplate> {
        self.require_admin(ctx, "delete VM templates")?;
        let t = self.template_record(key).await?;
        let clones = self
            .store()
            .count::<PersistentVmRecord>(&[("template_id", t.id.into()), ("deleted_at", Val::Null)])
            .await?;
        if clones > 0 {
            return Err(Error::Conflict(format!(
                "template {} has {clones} persistent VM{} cloned from it; delete them first",
                t.name,
                if clones == 1 { "" } else { "s" }
            )));
        }
        if t.state.busy() && t.state != TemplateState::Error {
            return Err(Error::Conflict(format!("template {} is {}; delete it once it settles", t.name, t.state)));
        }
        let op_id = new_id();
        let update = Update::<VmTemplateRecord>::of(t.id)
            .set(VmTemplateRecord::state, TemplateState::Deleting.as_str())
            .set(VmTemplateRecord::op_id, op_id)
            .guard(VmTemplateRecord::generation, t.generation);
        let params = TemplateParams { connection_id: t.connection_id, ..Default::default() };
        self.start_template_op(ctx, &t, op_id, &VM_TEMPLATE_DELETE, params, update.stmt(now()).into()).await?;
        // Built from what was read: the workflow may already have removed the row.
        self.template_view(VmTemplateRecord { state: TemplateState::Deleting, op_id: Some(op_id), ..t }).await
    }
}
