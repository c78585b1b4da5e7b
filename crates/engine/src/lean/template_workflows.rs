//! The workflows of a VM template's machine: create (a blank disk booting the profile's
//! install media), power (start, stop, sysprep), release (freeze the disk into a version
//! image) and delete. Each provider call is keyed by the template's id, so a replay finds
//! what an earlier run made.

use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, DiskSource, DriverError, ProviderStatus, ResourceKind, VmAction, VmSpec};
use gureum_model::image::ImageState;
use gureum_model::lean::{TemplateAction, TemplateMode, TemplateState};
use gureum_store::record::{common, delete};
use gureum_store::{
    Batch, ImageRecord, Record, Update, Val, VmTemplateEventRecord, VmTemplateRecord, VmTemplateVersionRecord, new_id,
    now,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Parameters of every template workflow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TemplateParams {
    pub connection_id: Uuid,
    /// power: start, stop or sysprep.
    #[serde(default)]
    pub action: Option<TemplateAction>,
    /// create: the image the machine boots to install from, and the disk's volume type.
    #[serde(default)]
    pub install_media: Option<String>,
    #[serde(default)]
    pub volume_type: Option<String>,
    #[serde(default)]
    pub instance_type: Option<String>,
    /// release: the image row the disk is frozen into.
    #[serde(default)]
    pub image_id: Option<Uuid>,
}

/// What a create step made at the provider (kept for its undo).
#[derive(Debug, Serialize, Deserialize)]
struct Made {
    id: String,
}

const fn template_workflow(
    kind: &'static str,
    steps: &'static [StepDef],
    on_failure: crate::workflow::FinishFn,
) -> WorkflowDef {
    WorkflowDef { kind, steps, on_failure, show: None, version: 1, renames: &[] }
}

pub(crate) static VM_TEMPLATE_CREATE: WorkflowDef = template_workflow(
    "vm_template_create",
    &[
        StepDef::new("disk_create", step!(disk_create), Some(step!(disk_create_undo))),
        StepDef::new("disk_wait", step!(disk_wait), None),
        StepDef::new("vm_create", step!(vm_create), Some(step!(vm_create_undo))),
        StepDef::new("vm_wait_running", step!(vm_wait_running), None),
        StepDef::new("settle", step!(settle), None),
    ],
    on_failure!(resync),
);

pub(crate) static VM_TEMPLATE_POWER: WorkflowDef = template_workflow(
    "vm_template_power",
    &[StepDef::new("vm_power", step!(vm_power), None), StepDef::new("settle", step!(settle), None)],
    on_failure!(resync),
);

pub(crate) static VM_TEMPLATE_RELEASE: WorkflowDef = template_workflow(
    "vm_template_release",
    &[
        StepDef::new("image_create", step!(image_create), Some(step!(image_create_undo))),
        StepDef::new("image_wait", step!(image_wait), None),
        StepDef::new("version_record", step!(version_record), None),
    ],
    on_failure!(release_failed),
);

pub(crate) static VM_TEMPLATE_DELETE: WorkflowDef = template_workflow(
    "vm_template_delete",
    &[
        StepDef::new("vm_delete", step!(vm_delete), None),
        StepDef::new("disk_delete", step!(disk_delete), None),
        StepDef::new("versions_delete", step!(versions_delete), None),
        StepDef::new("forget", step!(forget), None),
    ],
    on_failure!(delete_failed),
);

async fn template(ctx: &StepCtx) -> Result<VmTemplateRecord, StepError> {
    ctx.engine
        .store()
        .get_by_id::<VmTemplateRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the template is gone".into()))
}

async fn cloud(ctx: &StepCtx, t: &VmTemplateRecord) -> Result<crate::Cloud, StepError> {
    Ok(ctx.engine.cloud_on(t.connection_id, t.node_id).await?)
}

fn guarded(ctx: &StepCtx, id: Uuid) -> Update<VmTemplateRecord> {
    Update::<VmTemplateRecord>::of(id).guard(VmTemplateRecord::op_id, ctx.workflow_id)
}

fn need<'a>(v: &'a Option<String>, what: &str) -> Result<&'a str, StepError> {
    v.as_deref().ok_or_else(|| StepError::Fail(format!("the template has no {what} at the provider")))
}

async fn disk_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    if let Some(id) = t.disk_provider_id {
        return Ok(StepOut::done().typed(&Made { id }));
    }
    let p: TemplateParams = ctx.params()?;
    // Blank: the machine installs its system onto it from the install media.
    let spec = CreateSpec::Disk {
        name: t.name.clone(),
        tag: t.id.to_string(),
        size_gb: t.disk_gb,
        zone: t.zone.clone(),
        volume_type: p.volume_type.unwrap_or_else(|| "SSD".into()),
        source: DiskSource::Blank,
    };
    let disk = cloud(&ctx, &t).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = guarded(&ctx, t.id).set(VmTemplateRecord::disk_provider_id, disk.id.as_str());
    Ok(StepOut::done().typed(&Made { id: disk.id }).batch(update.stmt(now()).into()))
}

async fn disk_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let id = ctx.made(t.disk_provider_id.clone(), "disk_create", |o: Made| o.id)?;
    cloud(&ctx, &t).await?.ensure_deleted(ResourceKind::Disk, id.as_deref(), &t.id.to_string()).await?;
    let update = Update::<VmTemplateRecord>::of(t.id).set(VmTemplateRecord::disk_provider_id, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn disk_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let disk = need(&t.disk_provider_id, "disk")?;
    cloud(&ctx, &t).await?.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
    Ok(StepOut::done())
}

async fn vm_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    if let Some(id) = t.vm_provider_id {
        return Ok(StepOut::done().typed(&Made { id }));
    }
    let p: TemplateParams = ctx.params()?;
    let spec = VmSpec {
        name: t.name.clone(),
        tag: t.id.to_string(),
        hostname: t.name.clone(),
        zone: t.zone.clone(),
        instance_type: p.instance_type.unwrap_or_default(),
        vcpus: t.vcpus,
        memory_mib: t.memory_mib,
        image: p.install_media.unwrap_or_default(),
        root_disk: need(&t.disk_provider_id, "disk")?.to_string(),
        subnet: None,
        security_groups: vec![],
        key_pair: None,
        public_key: None,
        user_data: None,
    };
    let vm = cloud(&ctx, &t).await?.ensure_created(CreateSpec::Vm(spec), ctx.may_have_run).await?;
    let update = guarded(&ctx, t.id).set(VmTemplateRecord::vm_provider_id, vm.id.as_str());
    Ok(StepOut::done().typed(&Made { id: vm.id }).batch(update.stmt(now()).into()))
}

async fn vm_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let id = ctx.made(t.vm_provider_id.clone(), "vm_create", |o: Made| o.id)?;
    cloud(&ctx, &t).await?.ensure_deleted(ResourceKind::Vm, id.as_deref(), &t.id.to_string()).await?;
    let update = Update::<VmTemplateRecord>::of(t.id).set(VmTemplateRecord::vm_provider_id, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn vm_wait_running(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let vm = need(&t.vm_provider_id, "machine")?;
    cloud(&ctx, &t).await?.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Running]).await?;
    Ok(StepOut::done())
}

/// Starts, stops or syspreps the machine and waits until it is there; each checks the
/// machine first, so a replay does not act twice.
async fn vm_power(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: TemplateParams = ctx.params()?;
    let t = template(&ctx).await?;
    let cloud = cloud(&ctx, &t).await?;
    let vm = need(&t.vm_provider_id, "machine")?;
    let status = cloud.get(ResourceKind::Vm, vm).await?.status;
    let (action, until) = match p.action {
        Some(TemplateAction::Start) => (VmAction::Start, ProviderStatus::Running),
        Some(TemplateAction::Stop) => (VmAction::Stop { force: false }, ProviderStatus::Stopped),
        Some(TemplateAction::Sysprep) => (VmAction::Sysprep, ProviderStatus::Stopped),
        other => return Err(StepError::Fail(format!("no power action {other:?}"))),
    };
    if status != until {
        if !matches!(status, ProviderStatus::Starting | ProviderStatus::Stopping) {
            cloud.vm_action(vm, action).await?;
        }
        cloud.wait_for(ResourceKind::Vm, vm, &[until]).await?;
    }
    let update = guarded(&ctx, t.id).set(VmTemplateRecord::sysprepped, p.action == Some(TemplateAction::Sysprep));
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// The template settles in its machine's power state, its action done.
async fn settle(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let vm = need(&t.vm_provider_id, "machine")?;
    let status = cloud(&ctx, &t).await?.get(ResourceKind::Vm, vm).await?.status;
    let state = if status == ProviderStatus::Running { TemplateState::Running } else { TemplateState::Stopped };
    let update = guarded(&ctx, t.id)
        .set(VmTemplateRecord::state, state.as_str())
        .set(VmTemplateRecord::state_reason, Val::Null)
        .set(VmTemplateRecord::op_id, Val::Null);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn release_image(ctx: &StepCtx) -> Result<ImageRecord, StepError> {
    let p: TemplateParams = ctx.params()?;
    let id = p.image_id.ok_or_else(|| StepError::Fail("the release has no image".into()))?;
    ctx.engine
        .store()
        .get_by_id::<ImageRecord>(id)
        .await?
        .ok_or_else(|| StepError::Fail("the image row is gone".into()))
}

async fn image_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let image = release_image(&ctx).await?;
    if let Some(id) = image.provider_id {
        return Ok(StepOut::done().typed(&Made { id }));
    }
    let disk = need(&t.disk_provider_id, "disk")?.to_string();
    let spec = CreateSpec::Image { name: image.name.clone(), tag: image.id.to_string(), disk };
    let made = cloud(&ctx, &t).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, made.id.as_str());
    Ok(StepOut::done().typed(&Made { id: made.id }).batch(update.stmt(now()).into()))
}

async fn image_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let image = release_image(&ctx).await?;
    let id = ctx.made(image.provider_id.clone(), "image_create", |o: Made| o.id)?;
    cloud(&ctx, &t).await?.ensure_deleted(ResourceKind::Image, id.as_deref(), &image.id.to_string()).await?;
    Ok(StepOut::done().batch(delete::<ImageRecord>(image.id).into()))
}

async fn image_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let image = release_image(&ctx).await?;
    let id = need(&image.provider_id, "image")?;
    cloud(&ctx, &t).await?.wait_for(ResourceKind::Image, id, &[ProviderStatus::Available]).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::STATE, ImageState::Active.as_str());
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// The image becomes the template's next version, and the template is ready for use.
async fn version_record(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let image = release_image(&ctx).await?;
    let version = t.version + 1;
    let at = now();
    let mut batch = Batch::from(
        VmTemplateVersionRecord { id: new_id(), template_id: t.id, version, image_id: image.id, created_at: at }
            .insert(),
    );
    batch.push(
        guarded(&ctx, t.id)
            .set(VmTemplateRecord::version, version)
            .set(VmTemplateRecord::mode, TemplateMode::ReadyForUse.as_str())
            .set(VmTemplateRecord::state, TemplateState::Stopped.as_str())
            .set(VmTemplateRecord::state_reason, Val::Null)
            .set(VmTemplateRecord::op_id, Val::Null)
            .stmt(at),
    );
    batch.push(event(t.id, format!("released as version {version} (image {})", image.name)));
    Ok(StepOut::done().batch(batch))
}

async fn vm_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    cloud(&ctx, &t).await?.ensure_deleted(ResourceKind::Vm, t.vm_provider_id.as_deref(), &t.id.to_string()).await?;
    let update = guarded(&ctx, t.id).set(VmTemplateRecord::vm_provider_id, Val::Null);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn disk_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let cloud = cloud(&ctx, &t).await?;
    cloud.ensure_deleted(ResourceKind::Disk, t.disk_provider_id.as_deref(), &t.id.to_string()).await?;
    let update = guarded(&ctx, t.id).set(VmTemplateRecord::disk_provider_id, Val::Null);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// The version images go with the template (no clone is left: delete checked that).
async fn versions_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let t = template(&ctx).await?;
    let cloud = cloud(&ctx, &t).await?;
    let store = ctx.engine.store();
    let mut batch = Batch::new();
    for v in store.list_all::<VmTemplateVersionRecord>(&[("template_id", t.id.into())]).await? {
        if let Some(image) = store.get_by_id::<ImageRecord>(v.image_id).await? {
            cloud.ensure_deleted(ResourceKind::Image, image.provider_id.as_deref(), &image.id.to_string()).await?;
            batch.push(delete::<ImageRecord>(image.id));
        }
        batch.push(delete::<VmTemplateVersionRecord>(v.id));
    }
    Ok(StepOut::done().batch(batch))
}

/// The template's row, its events and the room its machine held on its node.
async fn forget(ctx: StepCtx) -> Result<StepOut, StepError> {
    let mut batch = Batch::from(delete::<VmTemplateRecord>(ctx.target_id));
    batch.push(gureum_store::Store::allocation_release(ctx.target_id));
    for e in ctx.engine.store().list_all::<VmTemplateEventRecord>(&[("template_id", ctx.target_id.into())]).await? {
        batch.push(delete::<VmTemplateEventRecord>(e.id));
    }
    Ok(StepOut::done().batch(batch))
}

pub(crate) fn event(template_id: Uuid, message: String) -> gureum_store::Stmt {
    VmTemplateEventRecord { id: new_id(), template_id, at: now(), message }.insert()
}

/// A failed action: the template shows its machine as the provider has it, and why.
async fn resync(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let t = template(&ctx).await?;
    let state = match (&t.vm_provider_id, cloud(&ctx, &t).await) {
        (Some(vm), Ok(cloud)) => match cloud.get(ResourceKind::Vm, vm).await {
            Ok(r) if r.status == ProviderStatus::Running => TemplateState::Running,
            Ok(r) if r.status == ProviderStatus::Stopped => TemplateState::Stopped,
            Ok(_) | Err(DriverError::NotFound { .. }) | Err(_) => TemplateState::Error,
        },
        _ => TemplateState::Error,
    };
    let update = guarded(&ctx, t.id)
        .set(VmTemplateRecord::state, state.as_str())
        .set(VmTemplateRecord::state_reason, failure.error.as_str())
        .set(VmTemplateRecord::op_id, Val::Null);
    let mut batch = Batch::from(update.stmt(now()));
    batch.push(event(t.id, format!("an action failed: {}", failure.error)));
    Ok(batch)
}

/// A release that failed: no version was made (the undo removed the image), the machine
/// stays stopped with the reason.
async fn release_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let mut batch = resync(ctx.clone(), failure).await?;
    if let Ok(image) = release_image(&ctx).await {
        batch.push(delete::<ImageRecord>(image.id));
    }
    Ok(batch)
}

/// A delete that failed part way: what it already removed at the provider is forgotten
/// (the machine, the disk, versions whose image is gone), the rest stays for a retry.
async fn delete_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let t = template(&ctx).await?;
    let cloud = cloud(&ctx, &t).await?;
    let gone = |r: Result<gureum_driver::ProviderResource, DriverError>| matches!(r, Err(DriverError::NotFound { .. }));
    let mut update = guarded(&ctx, t.id).lenient();
    if let Some(vm) = &t.vm_provider_id
        && gone(cloud.get(ResourceKind::Vm, vm).await)
    {
        update = update.set(VmTemplateRecord::vm_provider_id, Val::Null);
    }
    if let Some(disk) = &t.disk_provider_id
        && gone(cloud.get(ResourceKind::Disk, disk).await)
    {
        update = update.set(VmTemplateRecord::disk_provider_id, Val::Null);
    }
    let mut batch = Batch::from(update.stmt(now()));
    let store = ctx.engine.store();
    for v in store.list_all::<VmTemplateVersionRecord>(&[("template_id", t.id.into())]).await? {
        let Some(image) = store.get_by_id::<ImageRecord>(v.image_id).await? else { continue };
        if let Some(id) = &image.provider_id
            && gone(cloud.get(ResourceKind::Image, id).await)
        {
            batch.push(delete::<ImageRecord>(image.id));
            batch.push(delete::<VmTemplateVersionRecord>(v.id));
        }
    }
    batch.extend(resync(ctx, failure).await?);
    Ok(batch)
}
