//! Volumes: data volumes created on their own (blank, from an image or a snapshot), and
//! root volumes made with their instance. Attach, detach, extend (grow only), snapshot
//! (see `snapshots`) and upload as an image, each a workflow with its transitional state.

use crate::storage::volume_workflows::{
    AttachParams, DetachParams, ExtendParams, UploadParams, VOLUME_ATTACH, VOLUME_DETACH, VOLUME_EXTEND, VOLUME_UPLOAD,
};
use crate::views::{links, project_path, ts};
use crate::workflow::WorkflowDef;
use crate::workflow::operations::Target;
use crate::workflow::start::ResourceStart;
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{ListQuery, Page, Volume, VolumeAttach, VolumeCreate, VolumeExtend, VolumeUpload};
use gureum_driver::{CreateSpec, DiskSource, Intent, ResourceKind};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::image::ImageState;
use gureum_model::instance::InstanceState;
use gureum_model::state::LifecycleState;
use gureum_model::tenancy::QuotaAmounts;
use gureum_model::volume::{VolumeAction, VolumeKind, VolumeState, validate_extend, validate_size};
use gureum_store::{
    Batch, ConnectionRecord, ImageRecord, InstanceRecord, Key, NodeRecord, Record, SnapshotRecord, VolumeRecord,
    new_id, now,
};
use uuid::Uuid;

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
            // Every provider needs a type; a blank one would fail only later, in the workflow.
            Some(t) if t.trim().is_empty() => {
                return Err(Error::invalid("volume_type", "must not be blank; omit it for the connection's default"));
            }
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
        // Tenancy quotas: the volume holds its size until it is deleted.
        let held = QuotaAmounts { volume_gb: rec.size_gb, ..Default::default() };
        let reserve = crate::iam::quotas::reserve(id, scope.id, held);
        match self.start_create(ctx, &scope, &rec, spec, VolumeState::Available.as_str(), reserve).await {
            Err(Error::QuotaExceeded(_)) => return Err(self.quota_refusal(scope.id, held).await),
            done => done?,
        }
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
    async fn start_volume_workflow<P: serde::Serialize>(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        r: VolumeRecord,
        enters: VolumeState,
        def: &'static WorkflowDef,
        params: P,
        set_instance: Option<Uuid>,
        extra: Batch,
    ) -> Result<Volume> {
        let op_id = new_id();
        let start = ResourceStart {
            id: op_id,
            def,
            target: Target { kind: "volume", id: r.id, name: &r.name },
            generation: r.generation,
            enters: enters.as_str(),
            params,
            set: set_instance.map(|i| (&VolumeRecord::instance_id as _, i.into())).into_iter().collect(),
            extra,
        };
        self.start_resource_workflow::<VolumeRecord, _>(ctx, scope, start).await?;
        Ok(self
            .volume_view(VolumeRecord {
                state: enters,
                state_reason: None,
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
        let params = AttachParams { connection_id: r.connection_id, instance_id: inst.id };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_ATTACH, params, Some(inst.id), Batch::new()).await
    }

    pub async fn volume_detach(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Volume> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.volume_record(&scope, key).await?;
        let enters = Self::volume_check(&r, VolumeAction::Detach)?;
        let params = DetachParams { connection_id: r.connection_id, instance_id: r.instance_id };
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
        // Tenancy quotas: the growth is held from now on (by the instance, for a root).
        let holder = if r.kind == VolumeKind::Root { r.instance_id.unwrap_or(r.id) } else { r.id };
        let grown = QuotaAmounts { volume_gb: req.size_gb - r.size_gb, ..Default::default() };
        let quota_holder = self.store().quota_holds(holder).await?.then_some(holder);
        let reserve = quota_holder.map_or_else(Batch::new, |h| crate::iam::quotas::grow(h, scope.id, grown));
        let params = ExtendParams {
            connection_id: r.connection_id,
            instance_id: r.instance_id,
            size_gb: req.size_gb,
            quota_holder,
        };
        match self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_EXTEND, params, None, reserve).await {
            Err(Error::QuotaExceeded(_)) => Err(self.quota_refusal(scope.id, grown).await),
            done => done,
        }
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
        let params = UploadParams { connection_id: r.connection_id, instance_id: r.instance_id, image_id: image.id };
        self.start_volume_workflow(ctx, &scope, r, enters, &VOLUME_UPLOAD, params, None, image.insert().into()).await
    }
}
