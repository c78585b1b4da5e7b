//! Volumes: data volumes created on their own (blank, from an image or a snapshot), and
//! root volumes made with their instance. Attach, detach, extend (grow only), snapshot
//! (see `snapshots`) and upload as an image, each a workflow with its transitional state.

use crate::views::{links, project_path, ts};
use crate::workflow::operations::Target;
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Engine, Error, OpContext, ProjectScope, Result, on_failure, step};
use gureum_api_types::{ListQuery, Page, Volume, VolumeAttach, VolumeCreate, VolumeExtend, VolumeUpload};
use gureum_driver::{CreateSpec, DiskSource, DriverError, Intent, ProviderStatus, ResourceKind};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::image::ImageState;
use gureum_model::instance::InstanceState;
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeAction, VolumeKind, VolumeState, validate_extend, validate_size};
use gureum_store::record::common;
use gureum_store::{
    Batch, ConnectionRecord, ImageRecord, InstanceRecord, Key, NodeRecord, Record, SnapshotRecord, Update, Val,
    VolumeRecord, new_id, now,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VolumeParams {
    pub connection_id: Uuid,
    #[serde(default)]
    pub instance_id: Option<Uuid>,
    #[serde(default)]
    pub size_gb: Option<i64>,
    /// upload: the image row being made.
    #[serde(default)]
    pub image_id: Option<Uuid>,
    /// snapshot: the snapshot row being made.
    #[serde(default)]
    pub snapshot_id: Option<Uuid>,
}

pub(crate) fn volume_show(target: Uuid, workflow: Uuid, state: &'static str, now: i64) -> Batch {
    Update::<VolumeRecord>::of(target).set(common::STATE, state).guard(common::OP_ID, workflow).stmt(now).into()
}

macro_rules! volume_workflow {
    ($name:ident, $kind:literal, [$($step:expr),+ $(,)?]) => {
        pub(crate) static $name: WorkflowDef = WorkflowDef {
            kind: $kind,
            steps: &[$($step),+],
            on_failure: on_failure!(volume_failed),
            show: Some(volume_show),
        };
    };
}

volume_workflow!(
    VOLUME_ATTACH,
    "volume_attach",
    [
        StepDef::showing("disk_attach", VolumeState::Attaching.as_str(), step!(disk_attach), Some(step!(disk_detach))),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_DETACH,
    "volume_detach",
    [
        StepDef::showing("disk_detach", VolumeState::Detaching.as_str(), step!(disk_detach), None),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_EXTEND,
    "volume_extend",
    [
        StepDef::showing("disk_extend", VolumeState::Extending.as_str(), step!(disk_extend), None),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_UPLOAD,
    "volume_upload",
    [
        StepDef::showing(
            "image_create",
            VolumeState::Uploading.as_str(),
            step!(image_create),
            Some(step!(image_create_undo))
        ),
        StepDef::new("image_wait", step!(image_wait), None),
        StepDef::new("settle", step!(settle), None),
    ]
);

impl Engine {
    pub(crate) async fn volume_view(&self, r: VolumeRecord) -> Volume {
        let allowed_actions = if r.op_id.is_some() {
            vec![]
        } else {
            r.state
                .allowed_actions()
                .into_iter()
                .filter(|a| r.kind == VolumeKind::Data || !matches!(a, VolumeAction::Detach | VolumeAction::Delete))
                .collect()
        };
        Volume {
            links: links(project_path(r.project_id, "volumes", r.id), r.op_id.map(|o| (r.project_id, o))),
            connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
            image: self.name_of_opt::<ImageRecord>(r.image_id).await,
            snapshot: self.name_of_opt::<SnapshotRecord>(r.snapshot_id).await,
            instance: self.name_of_opt::<InstanceRecord>(r.instance_id).await,
            node: self.name_of_opt::<NodeRecord>(r.node_id).await,
            allowed_actions,
            id: r.id,
            name: r.name,
            kind: r.kind,
            size_gb: r.size_gb,
            volume_type: r.volume_type,
            zone: r.zone,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    pub(crate) async fn volume_record(&self, scope: &ProjectScope, key: &str) -> Result<VolumeRecord> {
        self.store()
            .get::<VolumeRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("volume", key))
    }

    pub async fn volume_create(&self, ctx: &OpContext, project: &str, req: VolumeCreate) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        validate_size("size_gb", req.size_gb)?;
        if req.image.is_some() && req.snapshot.is_some() {
            return Err(Error::invalid("snapshot", "give an image or a snapshot, not both"));
        }
        let conn = self.resolve_connection(req.connection.as_deref()).await?;
        let zone = req.zone.clone().unwrap_or_else(|| conn.zone.clone());
        self.validate_zone("zone", conn.id, &zone).await?;
        let (mut image_id, mut snapshot_id, mut source) = (None, None, DiskSource::Blank);
        let mut node_id = None;
        if let Some(i) = &req.image {
            let image = self.image_for("image", scope.id, i).await?;
            if image.state != ImageState::Active {
                return Err(Error::invalid("image", format!("image {} is {}, not Active", image.name, image.state)));
            }
            if req.size_gb < image.min_disk_gb || req.size_gb > image.max_disk_gb {
                return Err(Error::invalid(
                    "size_gb",
                    format!(
                        "image {} needs {}–{} GB, got {}",
                        image.name, image.min_disk_gb, image.max_disk_gb, req.size_gb
                    ),
                ));
            }
            image_id = Some(image.id);
            source = DiskSource::Image(image.provider_id.unwrap_or(image.name));
        }
        if let Some(s) = &req.snapshot {
            let snap = self
                .store()
                .get::<SnapshotRecord>(&scope.filter(), &Key::parse(s))
                .await?
                .ok_or_else(|| Error::invalid("snapshot", format!("no snapshot {s:?} in this project")))?;
            if snap.state != LifecycleState::Available || snap.connection_id != conn.id {
                return Err(Error::invalid(
                    "snapshot",
                    format!("snapshot {} is {} in another connection or not ready", snap.name, snap.state),
                ));
            }
            if req.size_gb < snap.size_gb {
                return Err(Error::invalid("size_gb", format!("must be at least the snapshot's {} GB", snap.size_gb)));
            }
            snapshot_id = Some(snap.id);
            // A volume from a snapshot is made where the snapshot is.
            node_id = Some(snap.node_id);
            source = DiskSource::Snapshot(snap.provider_id.unwrap_or_default());
        }
        let types = self.provider_volume_types(conn.id).await?;
        let volume_type = match req.volume_type {
            Some(t) => t,
            None => types.first().map_or_else(|| "SSD".into(), |t| t.name.clone()),
        };
        self.precheck(
            conn.id,
            ResourceKind::Disk,
            Some(&Intent::Disk { size_gb: req.size_gb, volume_type: &volume_type, zone: &zone }),
        )
        .await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = VolumeRecord {
            id,
            project_id: scope.id,
            name: name.to_string(),
            connection_id: conn.id,
            provider_id: None,
            kind: VolumeKind::Data,
            size_gb: req.size_gb,
            volume_type,
            zone: zone.clone(),
            image_id,
            snapshot_id,
            instance_id: None,
            delete_with_instance: false,
            state: VolumeState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            node_id: match node_id {
                Some(at) => at,
                None => self.home_for_new(conn.id).await?,
            },
        };
        let spec = CreateSpec::Disk {
            name: rec.name.clone(),
            tag: id.to_string(),
            size_gb: rec.size_gb,
            zone,
            volume_type: rec.volume_type.clone(),
            source,
        };
        self.start_create(ctx, &scope, &rec, spec, VolumeState::Available.as_str(), gureum_store::Batch::new()).await?;
        Ok(self.volume_view(rec).await)
    }

    pub async fn volume_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.volume_view(self.volume_record(&scope, key).await?).await)
    }

    pub async fn volume_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<Volume>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.list_views::<VolumeRecord, VolumeState, _, _>(
            scope.filter().to_vec(),
            q,
            |r| r.id,
            |r| self.volume_view(r),
        )
        .await
    }

    /// Checks a user action on a data volume: the table, no running operation, and root
    /// volumes only grow or back up (they go with their instance).
    fn volume_check(r: &VolumeRecord, action: VolumeAction) -> Result<VolumeState> {
        if r.kind == VolumeKind::Root
            && matches!(action, VolumeAction::Detach | VolumeAction::Delete | VolumeAction::Attach)
        {
            return Err(Error::Conflict(format!(
                "volume {} is the root volume of its instance; it is {}d with the instance",
                r.name,
                if action == VolumeAction::Delete { "delete" } else { "detache" }
            )));
        }
        if r.op_id.is_some() {
            return Err(Error::Conflict(format!("volume {} has an operation in progress", r.name)));
        }
        Ok(r.state.check(action)?)
    }

    pub async fn volume_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.volume_record(&scope, key).await?;
        let enters = Self::volume_check(&r, VolumeAction::Delete)?;
        let op = self.start_delete(ctx, &scope, &r, enters.as_str()).await?;
        Ok(self.volume_view(VolumeRecord { state: enters, op_id: Some(op), ..r }).await)
    }

    /// Starts a volume workflow: the volume enters `enters` with the operation recorded.
    #[allow(clippy::too_many_arguments)]
    async fn start_volume_workflow(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        r: VolumeRecord,
        enters: VolumeState,
        def: &'static WorkflowDef,
        params: VolumeParams,
        set_instance: Option<Uuid>,
        extra: Batch,
    ) -> Result<Volume> {
        let op_id = new_id();
        let t = now();
        let mut update = Update::<VolumeRecord>::of(r.id)
            .set(common::STATE, enters.as_str())
            .set(common::STATE_REASON, Val::Null)
            .set(common::OP_ID, op_id)
            .guard(common::GENERATION, r.generation);
        if let Some(i) = set_instance {
            update = update.set(VolumeRecord::instance_id, i);
        }
        let mut batch = Batch::from(update.stmt(t));
        batch.extend(extra);
        let op = self.new_op(
            ctx,
            scope,
            crate::workflow::operations::OpSpec {
                id: op_id,
                def,
                target: Target { kind: "volume", id: r.id, name: &r.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after: None,
            },
        );
        self.launch(op, batch).await?;
        Ok(self
            .volume_view(VolumeRecord {
                state: enters,
                op_id: Some(op_id),
                instance_id: set_instance.or(r.instance_id),
                ..r
            })
            .await)
    }

    pub async fn volume_attach(&self, ctx: &OpContext, project: &str, key: &str, req: VolumeAttach) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.volume_record(&scope, key).await?;
        let inst = self
            .store()
            .get::<InstanceRecord>(&scope.filter(), &Key::parse(&req.instance))
            .await?
            .ok_or_else(|| Error::invalid("instance", format!("no instance {:?} in this project", req.instance)))?;
        let enters = Self::volume_check(&r, VolumeAction::Attach)?;
        if !matches!(inst.state, InstanceState::Active | InstanceState::Stopped | InstanceState::ShelvedOffloaded)
            || inst.op_id.is_some()
        {
            return Err(Error::Conflict(format!(
                "instance {} is {}{}; volumes attach to Active, Stopped or Shelved_offloaded instances",
                inst.name,
                inst.state,
                if inst.op_id.is_some() { " with an operation in progress" } else { "" }
            )));
        }
        if inst.connection_id != r.connection_id || inst.zone != r.zone {
            return Err(Error::invalid(
                "instance",
                format!("instance {} is in zone {}, the volume in {}", inst.name, inst.zone, r.zone),
            ));
        }
        let params = VolumeParams {
            connection_id: r.connection_id,
            instance_id: Some(inst.id),
            size_gb: None,
            image_id: None,
            snapshot_id: None,
        };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_ATTACH, params, Some(inst.id), Batch::new()).await
    }

    pub async fn volume_detach(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.volume_record(&scope, key).await?;
        let enters = Self::volume_check(&r, VolumeAction::Detach)?;
        let params = VolumeParams {
            connection_id: r.connection_id,
            instance_id: r.instance_id,
            size_gb: None,
            image_id: None,
            snapshot_id: None,
        };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_DETACH, params, None, Batch::new()).await
    }

    pub async fn volume_extend(&self, ctx: &OpContext, project: &str, key: &str, req: VolumeExtend) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.volume_record(&scope, key).await?;
        validate_extend(r.size_gb, req.size_gb)?;
        if let Some(image) = r.image_id.filter(|_| r.kind == VolumeKind::Root) {
            let max = self.store().get_by_id::<ImageRecord>(image).await?.map_or(i64::MAX, |i| i.max_disk_gb);
            if req.size_gb > max {
                return Err(Error::invalid("size_gb", format!("the image limits this root volume to {max} GB")));
            }
        }
        let enters = Self::volume_check(&r, VolumeAction::Extend)?;
        let params = VolumeParams {
            connection_id: r.connection_id,
            instance_id: r.instance_id,
            size_gb: Some(req.size_gb),
            image_id: None,
            snapshot_id: None,
        };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_EXTEND, params, None, Batch::new()).await
    }

    /// Saves the volume as a project image.
    pub async fn volume_upload(&self, ctx: &OpContext, project: &str, key: &str, req: VolumeUpload) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let image_name = Name::parse("image_name", &req.image_name)?;
        let r = self.volume_record(&scope, key).await?;
        let enters = Self::volume_check(&r, VolumeAction::Upload)?;
        if self.store().get::<ImageRecord>(&scope.filter(), &Key::Name(image_name.to_string())).await?.is_some() {
            return Err(Error::Conflict(format!(
                "an image named {image_name} already exists in project {}",
                scope.name
            )));
        }
        let source = match r.image_id {
            Some(i) => self.store().get_by_id::<ImageRecord>(i).await?,
            None => None,
        };
        let t = now();
        let image = ImageRecord {
            id: new_id(),
            project_id: Some(scope.id),
            name: image_name.to_string(),
            os_family: source.as_ref().map_or(gureum_model::image::OsFamily::Linux, |s| s.os_family),
            distribution: source.as_ref().map_or_else(|| "custom".into(), |s| s.distribution.clone()),
            version: source.as_ref().map_or_else(String::new, |s| s.version.clone()),
            gpu: source.as_ref().is_some_and(|s| s.gpu),
            min_disk_gb: r.size_gb,
            max_disk_gb: gureum_model::volume::VOLUME_MAX_GB,
            size_gb: r.size_gb,
            connection_id: Some(r.connection_id),
            provider_id: None,
            source_instance_id: None,
            source_volume_id: Some(r.id),
            state: ImageState::Creating,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: Some(ctx.user_id),
            created_at: t,
            updated_at: t,
        };
        self.remember_name(image.id, &image.name);
        let params = VolumeParams {
            connection_id: r.connection_id,
            instance_id: r.instance_id,
            size_gb: None,
            image_id: Some(image.id),
            snapshot_id: None,
        };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_UPLOAD, params, None, image.insert().into()).await
    }
}

async fn volume(ctx: &StepCtx) -> Result<VolumeRecord, StepError> {
    ctx.engine
        .store()
        .get_by_id::<VolumeRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the volume is gone".into()))
}

pub(crate) async fn attached_vm(ctx: &StepCtx, instance: Option<Uuid>) -> Result<Option<String>, StepError> {
    let Some(i) = instance else { return Ok(None) };
    Ok(ctx.engine.store().get_by_id::<InstanceRecord>(i).await?.and_then(|i| i.provider_id))
}

/// The cloud of the node whose host holds the volume's disk.
pub(crate) async fn volume_cloud(ctx: &StepCtx, v: &VolumeRecord) -> Result<crate::Cloud, StepError> {
    Ok(ctx.engine.cloud_on(v.connection_id, v.node_id).await?)
}

fn disk_id(v: &VolumeRecord) -> Result<&str, StepError> {
    v.provider_id.as_deref().ok_or_else(|| StepError::Fail(format!("volume {} has no disk at the provider", v.name)))
}

async fn disk_attach(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: VolumeParams = ctx.params()?;
    let v = volume(&ctx).await?;
    // A shelved instance has no VM: the volume is reserved for it and attached on unshelve.
    let Some(vm) = attached_vm(&ctx, p.instance_id).await? else {
        return Ok(StepOut::skipped());
    };
    // A disk is a file on one host: it joins the instance's node first.
    let node = match p.instance_id {
        Some(i) => ctx.engine.instance_node(i).await?.map(|n| n.id),
        None => None,
    };
    let v = ctx.engine.volume_bring(v, node).await?;
    let cloud = volume_cloud(&ctx, &v).await?;
    let disk = disk_id(&v)?;
    if cloud.get(ResourceKind::Disk, disk).await?.attr_str("attached_to") != Some(vm.as_str()) {
        cloud.disk_attach(disk, &vm).await?;
    }
    cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::InUse]).await?;
    Ok(StepOut::done())
}

async fn disk_detach(ctx: StepCtx) -> Result<StepOut, StepError> {
    let v = volume(&ctx).await?;
    let cloud = volume_cloud(&ctx, &v).await?;
    let disk = disk_id(&v)?;
    let current = cloud.get(ResourceKind::Disk, disk).await?;
    if let Some(vm) = current.attr_str("attached_to") {
        match cloud.disk_detach(disk, vm).await {
            Ok(()) | Err(DriverError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
    }
    let update = Update::<VolumeRecord>::of(v.id)
        .set(VolumeRecord::instance_id, Val::Null)
        .guard(common::OP_ID, ctx.workflow_id);
    let update = if ctx.def_kind() == "volume_attach" { update.lenient() } else { update };
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn disk_extend(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: VolumeParams = ctx.params()?;
    let v = volume(&ctx).await?;
    let size = p.size_gb.ok_or_else(|| StepError::Fail("no size".into()))?;
    let cloud = volume_cloud(&ctx, &v).await?;
    let disk = disk_id(&v)?;
    if cloud.get(ResourceKind::Disk, disk).await?.attr_i64("size_gb").unwrap_or(0) < size {
        cloud.disk_extend(disk, size).await?;
    }
    cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available, ProviderStatus::InUse]).await?;
    let update =
        Update::<VolumeRecord>::of(v.id).set(VolumeRecord::size_gb, size).guard(common::OP_ID, ctx.workflow_id);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn upload_image(ctx: &StepCtx) -> Result<ImageRecord, StepError> {
    let p: VolumeParams = ctx.params()?;
    let id = p.image_id.ok_or_else(|| StepError::Fail("no image".into()))?;
    ctx.engine
        .store()
        .get_by_id::<ImageRecord>(id)
        .await?
        .ok_or_else(|| StepError::Fail("the image row is gone".into()))
}

async fn image_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = upload_image(&ctx).await?;
    let v = volume(&ctx).await?;
    let spec =
        CreateSpec::Image { name: image.name.clone(), tag: image.id.to_string(), disk: disk_id(&v)?.to_string() };
    let r = volume_cloud(&ctx, &v).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, r.id.as_str());
    Ok(StepOut::done().output(json!({ "image": r.id })).batch(update.stmt(now()).into()))
}

async fn image_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = upload_image(&ctx).await?;
    let id = image.provider_id.clone().or_else(|| ctx.output_str("image_create", "image"));
    volume_cloud(&ctx, &volume(&ctx).await?)
        .await?
        .ensure_deleted(ResourceKind::Image, id.as_deref(), &image.id.to_string())
        .await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn image_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = upload_image(&ctx).await?;
    let pid = image.provider_id.clone().ok_or_else(|| StepError::Fail("the image was not created".into()))?;
    volume_cloud(&ctx, &volume(&ctx).await?)
        .await?
        .wait_for(ResourceKind::Image, &pid, &[ProviderStatus::Available])
        .await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::STATE, ImageState::Active.as_str());
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// The settled state of a volume after its work: from its attachment, and whether the
/// instance it is attached to is shelved.
pub(crate) async fn settled_state(ctx: &StepCtx, v: &VolumeRecord) -> Result<VolumeState, StepError> {
    let shelved = match v.instance_id {
        Some(i) => ctx
            .engine
            .store()
            .get_by_id::<InstanceRecord>(i)
            .await?
            .is_some_and(|i| i.state == InstanceState::ShelvedOffloaded),
        None => false,
    };
    Ok(VolumeState::settled(v.instance_id.is_some(), shelved))
}

async fn settle(ctx: StepCtx) -> Result<StepOut, StepError> {
    let v = volume(&ctx).await?;
    let state = settled_state(&ctx, &v).await?;
    let update = Update::<VolumeRecord>::of(v.id)
        .set(common::STATE, state.as_str())
        .set(common::OP_ID, Val::Null)
        .guard(common::OP_ID, ctx.workflow_id);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// A failed volume action: the volume settles back with the reason; an attach that did
/// not happen leaves it unattached; an image or snapshot being made shows the error.
pub(crate) async fn volume_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let p: VolumeParams = ctx.params()?;
    let mut v = volume(&ctx).await?;
    let t = now();
    let mut batch = Batch::new();
    // The step may have changed the disk without recording it (a detach done, a disk
    // grown, which cannot be undone): the provider says what is.
    let disk = match (&v.provider_id, volume_cloud(&ctx, &v).await) {
        (Some(d), Ok(cloud)) => cloud.get(ResourceKind::Disk, d).await.ok(),
        _ => None,
    };
    let detached =
        ctx.def_kind() == "volume_detach" && disk.as_ref().is_some_and(|d| d.attr_str("attached_to").is_none());
    if ctx.def_kind() == "volume_attach" || detached {
        v.instance_id = None;
        batch.push(Update::<VolumeRecord>::of(v.id).set(VolumeRecord::instance_id, Val::Null).lenient().stmt(t));
    }
    let state = settled_state(&ctx, &v).await?;
    let mut update = Update::<VolumeRecord>::of(v.id)
        .set(common::STATE, state.as_str())
        .set(common::STATE_REASON, failure.error.clone())
        .set(common::OP_ID, Val::Null)
        .lenient();
    if let Some(size) = disk.and_then(|d| d.attr_i64("size_gb")) {
        update = update.set(VolumeRecord::size_gb, size);
    }
    batch.push(update.stmt(t));
    if let Some(image) = p.image_id {
        batch.push(
            Update::<ImageRecord>::of(image)
                .set(common::STATE, "Error")
                .set(common::STATE_REASON, failure.error.clone())
                .lenient()
                .stmt(t),
        );
    }
    if let Some(snap) = p.snapshot_id {
        batch.push(
            Update::<SnapshotRecord>::of(snap)
                .set(common::STATE, "Error")
                .set(common::STATE_REASON, failure.error)
                .set(common::OP_ID, Val::Null)
                .lenient()
                .stmt(t),
        );
    }
    Ok(batch)
}
