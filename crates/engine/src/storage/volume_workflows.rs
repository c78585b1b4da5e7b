//! The workflows of volume actions (attach, detach, extend, upload; snapshots live in
//! `snapshots`): their definitions, typed parameters, steps and failure handling.

use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, DriverError, ProviderStatus, ResourceKind};
use gureum_model::image::ImageState;
use gureum_model::instance::InstanceState;
use gureum_model::tenancy::QuotaAmounts;
use gureum_model::volume::VolumeState;
use gureum_store::record::common;
use gureum_store::{Batch, ImageRecord, InstanceRecord, SnapshotRecord, Update, Val, VolumeRecord, now};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

// Each workflow's parameters. Older binaries stored one struct with every field, a
// superset of each of these, so their records still read.

/// volume_detach.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DetachParams {
    pub connection_id: Uuid,
    #[serde(default)]
    pub instance_id: Option<Uuid>,
}

/// volume_attach.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AttachParams {
    pub connection_id: Uuid,
    pub instance_id: Uuid,
}

/// volume_extend.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExtendParams {
    pub connection_id: Uuid,
    #[serde(default)]
    pub instance_id: Option<Uuid>,
    pub size_gb: i64,
    /// What holds the growth against the quotas (the volume, or the instance of a root
    /// volume), if it was reserved: a failed extend gives back what did not grow.
    #[serde(default)]
    pub quota_holder: Option<Uuid>,
}

/// volume_upload: the image row being made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UploadParams {
    pub connection_id: Uuid,
    #[serde(default)]
    pub instance_id: Option<Uuid>,
    pub image_id: Uuid,
}

/// What `image_create` made at the provider (kept for its undo).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageMade {
    pub image: String,
}

pub(crate) fn volume_show(target: Uuid, workflow: Uuid, state: &'static str, now: i64) -> Batch {
    Update::<VolumeRecord>::of(target).set(common::STATE, state).guard(common::OP_ID, workflow).stmt(now).into()
}

macro_rules! volume_workflow {
    ($name:ident, $kind:literal, $failed:path, [$($step:expr),+ $(,)?]) => {
        pub(crate) static $name: WorkflowDef = WorkflowDef {
            kind: $kind,
            steps: &[$($step),+],
            on_failure: on_failure!($failed),
            show: Some(volume_show),
            version: 1,
            renames: &[],
        };
    };
}

volume_workflow!(
    VOLUME_ATTACH,
    "volume_attach",
    attach_failed,
    [
        StepDef::showing(
            "disk_attach",
            VolumeState::Attaching.as_str(),
            step!(disk_attach),
            Some(step!(disk_attach_undo))
        ),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_DETACH,
    "volume_detach",
    detach_failed,
    [
        StepDef::showing("disk_detach", VolumeState::Detaching.as_str(), step!(disk_detach), None),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_EXTEND,
    "volume_extend",
    extend_failed,
    [
        StepDef::showing("disk_extend", VolumeState::Extending.as_str(), step!(disk_extend), None),
        StepDef::new("settle", step!(settle), None),
    ]
);

volume_workflow!(
    VOLUME_UPLOAD,
    "volume_upload",
    upload_failed,
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

pub(crate) async fn volume(ctx: &StepCtx) -> Result<VolumeRecord, StepError> {
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
    let p: AttachParams = ctx.params()?;
    let v = volume(&ctx).await?;
    // A shelved instance has no VM: the volume is reserved for it and attached on unshelve.
    let Some(vm) = attached_vm(&ctx, Some(p.instance_id)).await? else {
        return Ok(StepOut::skipped());
    };
    // A disk is a file on one host: it joins the instance's node first.
    let node = ctx.engine.instance_node(p.instance_id).await?.map(|n| n.id);
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
    detach(ctx, false).await
}

/// Undoing an attach: the row may already have settled elsewhere, so forgetting the
/// instance must not fail the undo.
async fn disk_attach_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    detach(ctx, true).await
}

async fn detach(ctx: StepCtx, lenient: bool) -> Result<StepOut, StepError> {
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
    let update = if lenient { update.lenient() } else { update };
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn disk_extend(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: ExtendParams = ctx.params()?;
    let v = volume(&ctx).await?;
    let size = p.size_gb;
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
    let p: UploadParams = ctx.params()?;
    ctx.engine
        .store()
        .get_by_id::<ImageRecord>(p.image_id)
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
    Ok(StepOut::done().typed(&ImageMade { image: r.id }).batch(update.stmt(now()).into()))
}

async fn image_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = upload_image(&ctx).await?;
    let id = ctx.made(image.provider_id.clone(), "image_create", |o: ImageMade| o.image)?;
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

/// Whether a failed action leaves the volume unattached.
#[derive(Clone, Copy, PartialEq)]
enum Unattach {
    /// An attach that did not complete.
    Always,
    /// A detach: if the provider shows the disk detached, it was.
    IfDetached,
    Never,
}

/// The row a failed action was making, which shows the error too.
enum Making {
    Nothing,
    Image(Uuid),
    Snapshot(Uuid),
}

async fn attach_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    volume_failed(ctx, failure, Unattach::Always, Making::Nothing).await
}

async fn detach_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    volume_failed(ctx, failure, Unattach::IfDetached, Making::Nothing).await
}

async fn extend_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let p: ExtendParams = ctx.params()?;
    let mut give_back = Batch::new();
    if let Some(holder) = p.quota_holder {
        // The disk may have grown before the failure (a grow cannot be undone): only
        // what did not grow goes back.
        let v = volume(&ctx).await?;
        let grown = match (&v.provider_id, volume_cloud(&ctx, &v).await) {
            (Some(d), Ok(cloud)) => cloud.get(ResourceKind::Disk, d).await.ok().and_then(|r| r.attr_i64("size_gb")),
            _ => None,
        };
        let missing = p.size_gb - grown.unwrap_or(v.size_gb).max(v.size_gb);
        if missing > 0 {
            give_back = crate::iam::quotas::shrink(holder, QuotaAmounts { volume_gb: missing, ..Default::default() });
        }
    }
    let mut batch = volume_failed(ctx, failure, Unattach::Never, Making::Nothing).await?;
    batch.extend(give_back);
    Ok(batch)
}

async fn upload_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let p: UploadParams = ctx.params()?;
    volume_failed(ctx, failure, Unattach::Never, Making::Image(p.image_id)).await
}

/// A snapshot that could not be made: the volume settles back, the snapshot shows why.
pub(crate) async fn snapshot_failed(ctx: StepCtx, failure: Failure, snapshot: Uuid) -> Result<Batch, StepError> {
    volume_failed(ctx, failure, Unattach::Never, Making::Snapshot(snapshot)).await
}

/// A failed volume action: the volume settles back with the reason; an attach that did
/// not happen leaves it unattached; an image or snapshot being made shows the error.
async fn volume_failed(ctx: StepCtx, failure: Failure, unattach: Unattach, making: Making) -> Result<Batch, StepError> {
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
        unattach == Unattach::IfDetached && disk.as_ref().is_some_and(|d| d.attr_str("attached_to").is_none());
    if unattach == Unattach::Always || detached {
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
    match making {
        Making::Nothing => {}
        Making::Image(image) => {
            let update =
                Update::<ImageRecord>::of(image).set(common::STATE, "Error").set(common::STATE_REASON, failure.error);
            batch.push(update.lenient().stmt(t));
        }
        Making::Snapshot(snap) => {
            let update = Update::<SnapshotRecord>::of(snap)
                .set(common::STATE, "Error")
                .set(common::STATE_REASON, failure.error)
                .set(common::OP_ID, Val::Null);
            batch.push(update.lenient().stmt(t));
        }
    }
    Ok(batch)
}
