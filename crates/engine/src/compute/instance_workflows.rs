//! The instance workflows. Steps are shared between workflows (creating a VM is the same
//! step in create and unshelve; releasing an ephemeral IP the same in stop, shelve and
//! delete); every step reads the instance's current rows, so a replay sees what an
//! earlier run recorded, and every provider create/delete is keyed by gureum's ids.

use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, DiskSource, DriverError, ProviderStatus, ResourceKind, VmAction, VmSpec};
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::{PublicIpKind, PublicIpState};
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::record::common;
use gureum_store::record::delete;
use gureum_store::{
    Batch, ImageRecord, InstanceRecord, InstanceTypeRecord, Key, KeyPairRecord, PublicIpRecord, SecurityGroupRecord,
    Store, SubnetRecord, Update, Val, VolumeRecord, now,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Parameters every instance workflow carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstanceParams {
    pub connection_id: Uuid,
    /// The state the instance settles in when the workflow succeeds.
    pub final_state: InstanceState,
    /// Resize (and revert) target instance type.
    #[serde(default)]
    pub resize_to: Option<Uuid>,
    #[serde(default)]
    pub delete_volumes: bool,
    /// create-image: the image row being made.
    #[serde(default)]
    pub image_id: Option<Uuid>,
    #[serde(default)]
    pub hard: bool,
    /// create: the spec the provider is asked for when it says more than the instance
    /// type (KT Cloud Classic's `…_diskNNNGB`).
    #[serde(default)]
    pub provider_spec: Option<String>,
}

/// Instance states go through metering.
fn show(target: Uuid, workflow: Uuid, state: &'static str, now: i64) -> Batch {
    let state = InstanceState::parse(state).expect("steps show spelled states");
    Store::instance_set_state(Update::<InstanceRecord>::of(target).guard(common::OP_ID, workflow), target, state, now)
}

macro_rules! instance_workflow {
    ($name:ident, $kind:literal, [$($step:expr),+ $(,)?], $failure:path) => {
        pub(crate) static $name: WorkflowDef = WorkflowDef {
            kind: $kind,
            steps: &[$($step),+],
            on_failure: on_failure!($failure),
            show: Some(show),
            version: 1,
            renames: &[],
        };
    };
}

use InstanceState as S;

const fn s(
    name: &'static str,
    shows: S,
    run: crate::workflow::StepFn,
    undo: Option<crate::workflow::StepFn>,
) -> StepDef {
    StepDef::showing(name, shows.as_str(), run, undo)
}

const fn n(name: &'static str, run: crate::workflow::StepFn, undo: Option<crate::workflow::StepFn>) -> StepDef {
    StepDef::new(name, run, undo)
}

instance_workflow!(
    INSTANCE_CREATE,
    "instance_create",
    [
        s("schedule", S::Scheduling, step!(schedule), None),
        s("root_volume_create", S::BlockDeviceMapping, step!(root_volume_create), Some(step!(root_volume_create_undo))),
        n("root_volume_wait", step!(root_volume_wait), None),
        s("public_ip_allocate", S::Networking, step!(public_ip_allocate), Some(step!(public_ip_allocate_undo))),
        n("public_ip_wait", step!(public_ip_wait), None),
        s("vm_create", S::Spawning, step!(vm_create), Some(step!(vm_create_undo))),
        s("vm_wait_running", S::Starting, step!(vm_wait_running), None),
        n("volumes_attach", step!(volumes_attach), Some(step!(volumes_attach_undo))),
        n("public_ip_associate", step!(public_ip_associate), Some(step!(public_ip_associate_undo))),
        n("finish", step!(finish), None),
    ],
    create_failed
);

instance_workflow!(
    INSTANCE_DELETE,
    "instance_delete",
    [
        s("public_ip_release", S::Deleting, step!(public_ip_release_all), None),
        n("vm_delete", step!(vm_delete), None),
        n("data_volumes_release", step!(data_volumes_release), None),
        n("root_volume_delete", step!(root_volume_delete), None),
        n("forget", step!(forget), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_START,
    "instance_start",
    [
        s("vm_start", S::PoweringOn, step!(vm_start), None),
        n("vm_wait_running", step!(vm_wait_running), None),
        n("public_ip_allocate", step!(public_ip_allocate), Some(step!(public_ip_allocate_undo))),
        n("public_ip_wait", step!(public_ip_wait), None),
        n("public_ip_associate", step!(public_ip_associate), Some(step!(public_ip_associate_undo))),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_STOP,
    "instance_stop",
    [
        s("vm_stop", S::PoweringOff, step!(vm_stop), None),
        n("public_ip_release_ephemeral", step!(public_ip_release_ephemeral), None),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_REBOOT,
    "instance_reboot",
    [
        s("vm_reboot", S::Rebooting, step!(vm_reboot), None),
        s("vm_wait_running", S::RebootStarted, step!(vm_wait_running), None),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_REBOOT_HARD,
    "instance_reboot_hard",
    [
        s("vm_reboot", S::RebootingHard, step!(vm_reboot), None),
        s("vm_wait_running", S::RebootingStartedHard, step!(vm_wait_running), None),
        n("public_ip_allocate", step!(public_ip_allocate), Some(step!(public_ip_allocate_undo))),
        n("public_ip_wait", step!(public_ip_wait), None),
        n("public_ip_associate", step!(public_ip_associate), Some(step!(public_ip_associate_undo))),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_SHELVE,
    "instance_shelve",
    [
        s("vm_stop", S::Shelving, step!(vm_stop), None),
        n("public_ip_release_ephemeral", step!(public_ip_release_ephemeral), None),
        n("vm_delete", step!(vm_delete), None),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_UNSHELVE,
    "instance_unshelve",
    [
        s("disks_move", S::Unshelving, step!(disks_move), None),
        n("vm_create", step!(vm_create), Some(step!(vm_create_undo))),
        n("vm_wait_running", step!(vm_wait_running), None),
        n("volumes_attach", step!(volumes_attach), Some(step!(volumes_attach_undo))),
        n("public_ip_allocate", step!(public_ip_allocate), Some(step!(public_ip_allocate_undo))),
        n("public_ip_wait", step!(public_ip_wait), None),
        n("public_ip_associate", step!(public_ip_associate), Some(step!(public_ip_associate_undo))),
        n("finish", step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_RESIZE,
    "instance_resize",
    [
        s("resize_prep", S::ResizePrep, step!(resize_prep), None),
        s("vm_resize", S::ResizeMigrating, step!(vm_resize), Some(step!(vm_resize_undo))),
        s("vm_wait_resized", S::ResizeMigrated, step!(vm_wait_resized), None),
        s("finish", S::ResizeFinished, step!(finish), None),
    ],
    resync
);

instance_workflow!(
    INSTANCE_RESIZE_CONFIRM,
    "instance_resize_confirm",
    [s("resize_confirm", S::ResizeConfirm, step!(resize_confirm), None), n("finish", step!(finish), None),],
    resync
);

instance_workflow!(
    INSTANCE_RESIZE_REVERT,
    "instance_resize_revert",
    [
        s("vm_resize", S::ResizeRevert, step!(vm_resize), None),
        n("vm_wait_resized", step!(vm_wait_resized), None),
        n("finish", step!(finish), None),
    ],
    resync
);

pub(crate) static INSTANCE_CREATE_IMAGE: WorkflowDef = WorkflowDef {
    kind: "instance_create_image",
    steps: &[
        StepDef::new("image_create", step!(image_create), Some(step!(image_create_undo))),
        StepDef::new("image_wait", step!(image_wait), None),
    ],
    on_failure: on_failure!(create_image_failed),
    show: None,
    version: 1,
    renames: &[],
};

// ---- rows the steps work on ----

async fn instance(ctx: &StepCtx) -> Result<InstanceRecord, StepError> {
    ctx.engine
        .store()
        .get_by_id::<InstanceRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the instance is gone".into()))
}

async fn volumes(ctx: &StepCtx, kind: VolumeKind) -> Result<Vec<VolumeRecord>, StepError> {
    let filters = [("instance_id", ctx.target_id.into()), ("kind", kind.as_str().into())];
    Ok(ctx.engine.store().list_all::<VolumeRecord>(&filters).await?)
}

async fn root_volume(ctx: &StepCtx) -> Result<VolumeRecord, StepError> {
    volumes(ctx, VolumeKind::Root).await?.pop().ok_or_else(|| StepError::Fail("the instance has no root volume".into()))
}

async fn public_ip(ctx: &StepCtx) -> Result<Option<PublicIpRecord>, StepError> {
    Ok(ctx.engine.store().list_all::<PublicIpRecord>(&[("instance_id", ctx.target_id.into())]).await?.pop())
}

fn params(ctx: &StepCtx) -> Result<InstanceParams, StepError> {
    ctx.params()
}

/// The cloud of the node the instance is placed on (the connection's, when none).
async fn cloud(ctx: &StepCtx) -> Result<crate::Cloud, StepError> {
    Ok(ctx.engine.instance_cloud(params(ctx)?.connection_id, ctx.target_id).await?)
}

/// The instance's cloud and the node it is placed on, if any: where its disks and IP
/// are made.
async fn placement(ctx: &StepCtx) -> Result<(crate::Cloud, Option<Uuid>), StepError> {
    Ok(ctx.engine.instance_placement(params(ctx)?.connection_id, ctx.target_id).await?)
}

fn vm_id(inst: &InstanceRecord) -> Result<&str, StepError> {
    inst.provider_id.as_deref().ok_or_else(|| StepError::Fail("the instance has no VM at the provider".into()))
}

fn guarded<R: gureum_store::record::Resource>(ctx: &StepCtx, id: Uuid) -> Update<R> {
    Update::<R>::of(id).guard(common::OP_ID, ctx.workflow_id)
}

// ---- create ----

async fn schedule(ctx: StepCtx) -> Result<StepOut, StepError> {
    // The provider picks the host; gureum only checks the connection opens.
    cloud(&ctx).await?;
    Ok(StepOut::done())
}

async fn root_volume_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    if let Some(id) = &root.provider_id {
        return Ok(StepOut::done().output(json!({ "disk": id })));
    }
    let image_id = root.image_id.ok_or_else(|| StepError::Fail("the root volume has no image".into()))?;
    let image = ctx
        .engine
        .store()
        .get_by_id::<ImageRecord>(image_id)
        .await?
        .ok_or_else(|| StepError::Fail("the image is gone".into()))?;
    let source = DiskSource::Image(image.provider_id.unwrap_or(image.name));
    let spec = CreateSpec::Disk {
        name: root.name.clone(),
        tag: root.id.to_string(),
        size_gb: root.size_gb,
        zone: root.zone.clone(),
        volume_type: root.volume_type.clone(),
        source,
    };
    let (cloud, node) = placement(&ctx).await?;
    let disk = cloud.ensure_created(spec, ctx.may_have_run).await?;
    let update =
        Update::<VolumeRecord>::of(root.id).set(common::PROVIDER_ID, disk.id.as_str()).set(VolumeRecord::node_id, node);
    Ok(StepOut::done().output(json!({ "disk": disk.id })).batch(update.stmt(now()).into()))
}

async fn root_volume_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    let id = root.provider_id.clone().or_else(|| ctx.output_str("root_volume_create", "disk"));
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Disk, id.as_deref(), &root.id.to_string()).await?;
    let update = Update::<VolumeRecord>::of(root.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn root_volume_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    let id = root.provider_id.ok_or_else(|| StepError::Fail("the root volume was not created".into()))?;
    cloud(&ctx).await?.wait_for(ResourceKind::Disk, &id, &[ProviderStatus::Available, ProviderStatus::InUse]).await?;
    Ok(StepOut::done())
}

/// Allocates the instance's public IP if it has one without an address at the provider.
async fn public_ip_allocate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    if ip.provider_id.is_some() {
        return Ok(StepOut::skipped());
    }
    let spec = CreateSpec::PublicIp { name: ip.name.clone(), tag: ip.id.to_string(), zone: instance(&ctx).await?.zone };
    let (cloud, node) = placement(&ctx).await?;
    let r = cloud.ensure_created(spec, ctx.may_have_run).await?;
    let update =
        Update::<PublicIpRecord>::of(ip.id).set(common::PROVIDER_ID, r.id.as_str()).set(PublicIpRecord::node_id, node);
    Ok(StepOut::done().output(json!({ "ip": ip.id, "provider_id": r.id })).batch(update.stmt(now()).into()))
}

/// Releases an IP this workflow allocated (its row goes with it).
async fn public_ip_allocate_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    // A step that failed after allocating left no output: its IP is then the instance's
    // one with no address recorded, which nothing else can have allocated.
    let ip = match ctx.output_str("public_ip_allocate", "ip").and_then(|s| s.parse::<Uuid>().ok()) {
        Some(ip) => Some(ip),
        None => public_ip(&ctx).await?.filter(|ip| ip.provider_id.is_none()).map(|ip| ip.id),
    };
    let Some(ip) = ip else {
        return Ok(StepOut::done());
    };
    let provider_id = ctx.output_str("public_ip_allocate", "provider_id");
    cloud(&ctx).await?.ensure_deleted(ResourceKind::PublicIp, provider_id.as_deref(), &ip.to_string()).await?;
    Ok(StepOut::done().batch(delete::<PublicIpRecord>(ip).into()))
}

async fn public_ip_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    let Some(pid) = &ip.provider_id else {
        return Ok(StepOut::skipped());
    };
    if ip.address.is_some() {
        return Ok(StepOut::skipped());
    }
    let r = cloud(&ctx)
        .await?
        .wait_for(ResourceKind::PublicIp, pid, &[ProviderStatus::Available, ProviderStatus::InUse])
        .await?;
    let update = Update::<PublicIpRecord>::of(ip.id)
        .set(PublicIpRecord::address, r.attr_str("address"))
        .set(common::STATE, PublicIpState::Available.as_str());
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// Brings the shelved instance's disks to the node it is unshelved on (a no-op when it
/// stays where they are).
async fn disks_move(ctx: StepCtx) -> Result<StepOut, StepError> {
    let (_, node) = placement(&ctx).await?;
    let disks = ctx.engine.store().list_all::<VolumeRecord>(&[("instance_id", ctx.target_id.into())]).await?;
    if disks.iter().all(|v| v.node_id == node) {
        return Ok(StepOut::skipped());
    }
    for v in disks {
        ctx.engine.volume_bring(v, node).await?;
    }
    Ok(StepOut::done())
}

async fn vm_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    if let Some(id) = &inst.provider_id {
        return Ok(StepOut::done().output(json!({ "vm": id })));
    }
    let store = ctx.engine.store();
    let root = root_volume(&ctx).await?;
    let root_disk = root.provider_id.clone().ok_or_else(|| StepError::Fail("the root volume has no disk".into()))?;
    let itype = store
        .get_by_id::<InstanceTypeRecord>(inst.instance_type_id)
        .await?
        .ok_or_else(|| StepError::Fail("the instance type is gone".into()))?;
    let image = store.get_by_id::<ImageRecord>(inst.image_id).await?;
    let subnet = store.get_by_id::<SubnetRecord>(inst.subnet_id).await?;
    let mut groups = vec![];
    for sg in store.instance_security_group_ids(inst.id).await? {
        groups.extend(store.get_by_id::<SecurityGroupRecord>(sg).await?);
    }
    let cloud = cloud(&ctx).await?;
    let security_groups = ctx.engine.security_groups_on(&cloud, &groups).await?;
    let key = match inst.key_pair_id {
        Some(k) => store.get_by_id::<KeyPairRecord>(k).await?,
        None => None,
    };
    let spec = VmSpec {
        name: inst.name.clone(),
        tag: inst.id.to_string(),
        hostname: inst.name.clone(),
        zone: inst.zone.clone(),
        instance_type: params(&ctx)?.provider_spec.unwrap_or(itype.name),
        vcpus: itype.vcpus,
        memory_mib: itype.memory_mib,
        image: image.map(|i| i.provider_id.unwrap_or(i.name)).unwrap_or_default(),
        root_disk,
        subnet: subnet.and_then(|s| s.provider_id),
        security_groups,
        key_pair: key.as_ref().and_then(|k| k.provider_id.clone()),
        public_key: key.map(|k| k.public_key),
        user_data: inst.user_data.clone(),
    };
    let vm = cloud.ensure_created(CreateSpec::Vm(spec), ctx.may_have_run).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id).set(common::PROVIDER_ID, vm.id.as_str());
    Ok(StepOut::done().output(json!({ "vm": vm.id })).batch(update.stmt(now()).into()))
}

async fn vm_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let id = inst.provider_id.clone().or_else(|| ctx.output_str("vm_create", "vm"));
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Vm, id.as_deref(), &inst.id.to_string()).await?;
    let update = Update::<InstanceRecord>::of(inst.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn vm_wait_running(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let vm = cloud(&ctx).await?.wait_for(ResourceKind::Vm, vm_id(&inst)?, &[ProviderStatus::Running]).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id).set(InstanceRecord::private_ip, vm.attr_str("private_ip"));
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// Attaches every data volume of the instance that the provider does not show attached.
async fn volumes_attach(ctx: StepCtx) -> Result<StepOut, StepError> {
    let data = volumes(&ctx, VolumeKind::Data).await?;
    if data.is_empty() {
        return Ok(StepOut::skipped());
    }
    let inst = instance(&ctx).await?;
    let vm = vm_id(&inst)?;
    let (cloud, node) = placement(&ctx).await?;
    for v in data {
        let v = ctx.engine.volume_bring(v, node).await?;
        let disk = v.provider_id.as_deref().ok_or_else(|| StepError::Fail(format!("volume {} has no disk", v.name)))?;
        let current = cloud.get(ResourceKind::Disk, disk).await?;
        if current.attr_str("attached_to") != Some(vm) {
            cloud.disk_attach(disk, vm).await?;
        }
        cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::InUse]).await?;
    }
    Ok(StepOut::done())
}

async fn volumes_attach_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let Some(vm) = inst.provider_id.as_deref() else {
        return Ok(StepOut::done());
    };
    let cloud = cloud(&ctx).await?;
    for v in volumes(&ctx, VolumeKind::Data).await? {
        let Some(disk) = v.provider_id.as_deref() else {
            continue;
        };
        match cloud.get(ResourceKind::Disk, disk).await {
            Ok(d) if d.attr_str("attached_to") == Some(vm) => {
                cloud.disk_detach(disk, vm).await?;
                cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
            }
            Ok(_) | Err(DriverError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(StepOut::done())
}

async fn public_ip_associate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else { return Ok(StepOut::skipped()) };
    let inst = instance(&ctx).await?;
    let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) else { return Ok(StepOut::skipped()) };
    cloud(&ctx).await?.public_ip_attach(pid, vm).await?;
    Ok(StepOut::done())
}

async fn public_ip_associate_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else { return Ok(StepOut::done()) };
    let inst = instance(&ctx).await?;
    if let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) {
        cloud(&ctx).await?.public_ip_detach(pid, vm).await?;
    }
    Ok(StepOut::done())
}

/// Settles the instance (and what hangs off it) in the workflow's final state.
async fn finish(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let t = now();
    let shelved = p.final_state == S::ShelvedOffloaded;
    let mut update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::OP_ID, Val::Null)
        .set(common::STATE_REASON, Val::Null)
        .set(InstanceRecord::return_state, Val::Null);
    if p.final_state == S::Active && inst.launched_at.is_none() {
        update = update.set(InstanceRecord::launched_at, t);
    }
    let mut batch = Store::instance_set_state(update, inst.id, p.final_state, t);
    let volume_state = VolumeState::settled(true, shelved);
    batch.push(Store::volumes_settle_with(inst.id, volume_state, t));
    // An IP bound to the instance is in use by it, shelved or not (unshelving puts it
    // back on the new VM); only detaching frees it for another instance.
    batch.push(Store::public_ips_in_use_by(inst.id, t));
    Ok(StepOut::done().batch(batch))
}

/// A failed create unwound: the instance shows `Error` with the reason; the rows of what
/// was cleaned up go (the root volume, IPs made for it) and attached volumes are freed.
async fn create_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    if failure.cancelled {
        // The delete that cancelled the create removes everything.
        return Ok(Batch::new());
    }
    let t = now();
    let mut batch = Batch::new();
    let reason = match &failure.undo_error {
        None => format!("create failed: {} (everything it made was cleaned up; delete the instance)", failure.error),
        Some(_) => format!("create failed: {} (cleanup incomplete; deleting the instance retries it)", failure.error),
    };
    let update =
        guarded::<InstanceRecord>(&ctx, ctx.target_id).set(common::OP_ID, Val::Null).set(common::STATE_REASON, reason);
    batch.extend(Store::instance_set_state(update, ctx.target_id, S::Error, t));
    if failure.undo_error.is_none() {
        // Nothing of it is left on its node.
        batch.push(Store::allocation_release(ctx.target_id));
    }
    batch.push(Store::data_volumes_release(ctx.target_id, t));
    if failure.undo_error.is_none() {
        batch.extend(Store::instance_unmade_forget(ctx.target_id));
    }
    Ok(batch)
}

/// A failed action: the instance shows what the provider says it is, with the reason.
/// A step may have changed the provider and failed before recording it (removed the VM,
/// a disk or an ephemeral IP, detached a static IP, resized the VM), so the records
/// follow the provider. (A cancelled run leaves the instance to the action that
/// cancelled it.)
async fn resync(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    if failure.cancelled {
        return Ok(Batch::new());
    }
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let t = now();
    let mut batch = Batch::new();
    let mut update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::OP_ID, Val::Null)
        .set(InstanceRecord::return_state, Val::Null)
        .set(common::STATE_REASON, failure.error);
    let vm = match &inst.provider_id {
        Some(vm) => match cloud.get(ResourceKind::Vm, vm).await {
            Err(DriverError::NotFound { .. }) => None,
            other => Some(other),
        },
        None => None,
    };
    if vm.is_none() && inst.provider_id.is_some() {
        update = update.set(common::PROVIDER_ID, Val::Null).set(InstanceRecord::private_ip, Val::Null);
    }
    // A failed resize or revert may have changed the VM's type without recording it.
    if let Some(Ok(r)) = &vm
        && let Some(name) = r.attr_str("instance_type")
        && let Some(itype) = ctx.engine.store().get::<InstanceTypeRecord>(&[], &Key::Name(name.into())).await?
        && itype.id != inst.instance_type_id
    {
        update = update
            .set(InstanceRecord::instance_type_id, itype.id)
            .set(InstanceRecord::previous_instance_type_id, Val::Null);
    }
    let has_vm = vm.is_some();
    let state = match vm {
        Some(Ok(r)) if r.status == ProviderStatus::Running => S::Active,
        Some(Ok(r)) if r.status == ProviderStatus::Stopped => S::Stopped,
        Some(_) => S::Error,
        // Without a VM the disks are kept: shelved, if that is what the action was doing
        // or undoing.
        None if ctx.def_kind() == INSTANCE_SHELVE.kind || inst.return_state == Some(S::ShelvedOffloaded) => {
            S::ShelvedOffloaded
        }
        None => S::Error,
    };
    batch.extend(Store::instance_set_state(update, inst.id, state, t));
    batch.push(Store::allocation_follow(inst.id, has_vm));
    batch.push(Store::volumes_settle_with(inst.id, VolumeState::settled(true, state == S::ShelvedOffloaded), t));
    // Disks a failed delete removed: the root, and data volumes it was to delete.
    let delete_volumes = params(&ctx)?.delete_volumes;
    for v in ctx.engine.store().list_all::<VolumeRecord>(&[("instance_id", inst.id.into())]).await? {
        let doomed = v.kind == VolumeKind::Root || v.delete_with_instance || delete_volumes;
        if doomed
            && let Some(disk) = &v.provider_id
            && let Err(DriverError::NotFound { .. }) = cloud.get(ResourceKind::Disk, disk).await
        {
            batch.push(delete::<VolumeRecord>(v.id));
        }
    }
    // The IP as the provider has it: an ephemeral one never allocated or already
    // released goes; a static one a failed delete detached is free again.
    if let Some(ip) = public_ip(&ctx).await? {
        let found = match &ip.provider_id {
            Some(pid) => Some(cloud.get(ResourceKind::PublicIp, pid).await),
            None => None,
        };
        match found {
            None | Some(Err(DriverError::NotFound { .. })) if ip.kind == PublicIpKind::Ephemeral => {
                batch.push(delete::<PublicIpRecord>(ip.id));
            }
            Some(Ok(r))
                if ip.kind == PublicIpKind::Static
                    && r.attr_str("attached_to").is_none()
                    && state != S::ShelvedOffloaded =>
            {
                batch.push(
                    Update::<PublicIpRecord>::of(ip.id)
                        .set(PublicIpRecord::instance_id, Val::Null)
                        .set(common::STATE, PublicIpState::Available.as_str())
                        .set(common::OP_ID, Val::Null)
                        .stmt(t),
                );
            }
            _ => {}
        }
    }
    Ok(batch)
}

// ---- power ----

async fn vm_start(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    if cloud.get(ResourceKind::Vm, vm).await?.status != ProviderStatus::Running {
        cloud.vm_action(vm, VmAction::Start).await?;
    }
    Ok(StepOut::done())
}

/// Stops the VM (ACPI first; forced if it does not go down) and waits for it.
async fn vm_stop(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let Some(vm) = inst.provider_id.as_deref() else {
        return Ok(StepOut::skipped());
    };
    let status = cloud.get(ResourceKind::Vm, vm).await?.status;
    if status != ProviderStatus::Stopped {
        if status != ProviderStatus::Stopping {
            cloud.vm_action(vm, VmAction::Stop { force: false }).await?;
        }
        if cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Stopped]).await.is_err() {
            cloud.vm_action(vm, VmAction::Stop { force: true }).await?;
            cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Stopped]).await?;
        }
    }
    Ok(StepOut::done())
}

async fn vm_reboot(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    // A hard reboot of a stopped VM powers it on (Nova does the same).
    let action = match cloud.get(ResourceKind::Vm, vm).await?.status {
        ProviderStatus::Stopped if p.hard => VmAction::Start,
        _ => VmAction::Reboot { hard: p.hard },
    };
    cloud.vm_action(vm, action).await?;
    Ok(StepOut::done())
}

async fn vm_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Vm, inst.provider_id.as_deref(), &inst.id.to_string()).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::PROVIDER_ID, Val::Null)
        .set(InstanceRecord::private_ip, Val::Null);
    // Without a VM the node keeps only the instance's disks (shelve; delete forgets all).
    let mut batch = Batch::from(update.stmt(now()));
    batch.push(Store::allocation_keep_disk(inst.id));
    Ok(StepOut::done().batch(batch))
}

/// Releases an ephemeral IP at the provider and forgets it; a static IP stays.
async fn release_ip(ctx: &StepCtx, ip: &PublicIpRecord, inst: &InstanceRecord) -> Result<Batch, StepError> {
    let cloud = cloud(ctx).await?;
    if let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) {
        cloud.public_ip_detach(pid, vm).await?;
    }
    if ip.kind == PublicIpKind::Ephemeral {
        cloud.ensure_deleted(ResourceKind::PublicIp, ip.provider_id.as_deref(), &ip.id.to_string()).await?;
        return Ok(delete::<PublicIpRecord>(ip.id).into());
    }
    Ok(Batch::new())
}

async fn public_ip_release_ephemeral(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await?.filter(|ip| ip.kind == PublicIpKind::Ephemeral) else {
        return Ok(StepOut::skipped());
    };
    let inst = instance(&ctx).await?;
    Ok(StepOut::done().batch(release_ip(&ctx, &ip, &inst).await?))
}

/// On delete: an ephemeral IP is released, a static one detached and kept.
async fn public_ip_release_all(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    let inst = instance(&ctx).await?;
    let mut batch = release_ip(&ctx, &ip, &inst).await?;
    if ip.kind == PublicIpKind::Static {
        let state = if ip.provider_id.is_some() { PublicIpState::Available } else { PublicIpState::Error };
        batch.push(
            Update::<PublicIpRecord>::of(ip.id)
                .set(PublicIpRecord::instance_id, Val::Null)
                .set(common::OP_ID, Val::Null)
                .set(common::STATE, state.as_str())
                .stmt(now()),
        );
    }
    Ok(StepOut::done().batch(batch))
}

/// Data volumes are detached and kept (the VM is gone, so the provider freed them), or
/// deleted when the user asked.
async fn data_volumes_release(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let data = volumes(&ctx, VolumeKind::Data).await?;
    if data.is_empty() {
        return Ok(StepOut::skipped());
    }
    let cloud = cloud(&ctx).await?;
    let t = now();
    let mut batch = Batch::new();
    for v in data {
        if p.delete_volumes || v.delete_with_instance {
            cloud.ensure_deleted(ResourceKind::Disk, v.provider_id.as_deref(), &v.id.to_string()).await?;
            batch.push(delete::<VolumeRecord>(v.id));
        } else {
            if let Some(disk) = &v.provider_id {
                cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
            }
            batch.push(
                Update::<VolumeRecord>::of(v.id)
                    .set(VolumeRecord::instance_id, Val::Null)
                    .set(common::OP_ID, Val::Null)
                    .set(common::STATE, VolumeState::Available.as_str())
                    .stmt(t),
            );
        }
    }
    Ok(StepOut::done().batch(batch))
}

async fn root_volume_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(root) = volumes(&ctx, VolumeKind::Root).await?.pop() else {
        return Ok(StepOut::skipped());
    };
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Disk, root.provider_id.as_deref(), &root.id.to_string()).await?;
    Ok(StepOut::done().batch(delete::<VolumeRecord>(root.id).into()))
}

async fn forget(ctx: StepCtx) -> Result<StepOut, StepError> {
    let mut batch = Batch::from(Store::instance_security_groups_unlink(ctx.target_id));
    batch.push(Store::usage_close(ctx.target_id, now()));
    batch.push(Store::allocation_release(ctx.target_id));
    batch.push(delete::<InstanceRecord>(ctx.target_id));
    Ok(StepOut::done().batch(batch))
}

// ---- resize ----

async fn resize_prep(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if p.resize_to.is_none() {
        return Err(StepError::Fail("no target instance type".into()));
    }
    Ok(StepOut::done())
}

/// Changes the VM to `resize_to` and records the type swap (the old type is kept for a
/// revert until the resize is confirmed).
async fn vm_resize(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let to = p.resize_to.ok_or_else(|| StepError::Fail("no target instance type".into()))?;
    let itype = ctx
        .engine
        .store()
        .get_by_id::<InstanceTypeRecord>(to)
        .await?
        .ok_or_else(|| StepError::Fail("the instance type is gone".into()))?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    let current = cloud.get(ResourceKind::Vm, vm).await?;
    if current.attr_str("instance_type") != Some(itype.name.as_str()) {
        let action =
            VmAction::Resize { instance_type: itype.name.clone(), vcpus: itype.vcpus, memory_mib: itype.memory_mib };
        cloud.vm_action(vm, action).await?;
    }
    let reverting = inst.previous_instance_type_id == Some(to);
    let previous: Val = if reverting { Val::Null } else { inst.instance_type_id.into() };
    let update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(InstanceRecord::instance_type_id, to)
        .set(InstanceRecord::previous_instance_type_id, previous);
    Ok(StepOut::done().output(json!({ "from": inst.instance_type_id })).batch(update.stmt(now()).into()))
}

async fn vm_resize_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    // A step that failed after resizing left no output, and no type swap in the record.
    let from =
        ctx.output_str("vm_resize", "from").and_then(|s| s.parse::<Uuid>().ok()).unwrap_or(inst.instance_type_id);
    let itype = ctx.engine.store().get_by_id::<InstanceTypeRecord>(from).await?;
    if let (Some(itype), Some(vm)) = (itype, inst.provider_id.as_deref()) {
        let cloud = cloud(&ctx).await?;
        let action = VmAction::Resize { instance_type: itype.name, vcpus: itype.vcpus, memory_mib: itype.memory_mib };
        cloud.vm_action(vm, action).await?;
        cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Running, ProviderStatus::Stopped]).await?;
    }
    let update = Update::<InstanceRecord>::of(inst.id)
        .set(InstanceRecord::instance_type_id, from)
        .set(InstanceRecord::previous_instance_type_id, Val::Null)
        .lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn vm_wait_resized(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    cloud(&ctx)
        .await?
        .wait_for(ResourceKind::Vm, vm_id(&inst)?, &[ProviderStatus::Running, ProviderStatus::Stopped])
        .await?;
    Ok(StepOut::done())
}

async fn resize_confirm(ctx: StepCtx) -> Result<StepOut, StepError> {
    let update =
        guarded::<InstanceRecord>(&ctx, ctx.target_id).set(InstanceRecord::previous_instance_type_id, Val::Null);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

// ---- create image ----

async fn image_row(ctx: &StepCtx) -> Result<ImageRecord, StepError> {
    let id = params(ctx)?.image_id.ok_or_else(|| StepError::Fail("no image".into()))?;
    ctx.engine
        .store()
        .get_by_id::<ImageRecord>(id)
        .await?
        .ok_or_else(|| StepError::Fail("the image row is gone".into()))
}

async fn image_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    if let Some(id) = &image.provider_id {
        return Ok(StepOut::done().output(json!({ "image": id })));
    }
    let root = root_volume(&ctx).await?;
    let disk = root.provider_id.ok_or_else(|| StepError::Fail("the root volume has no disk".into()))?;
    let spec = CreateSpec::Image { name: image.name.clone(), tag: image.id.to_string(), disk };
    let r = cloud(&ctx).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, r.id.as_str());
    Ok(StepOut::done().output(json!({ "image": r.id })).batch(update.stmt(now()).into()))
}

async fn image_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    let id = image.provider_id.clone().or_else(|| ctx.output_str("image_create", "image"));
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Image, id.as_deref(), &image.id.to_string()).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn image_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    let pid = image.provider_id.clone().ok_or_else(|| StepError::Fail("the image was not created".into()))?;
    let r = cloud(&ctx).await?.wait_for(ResourceKind::Image, &pid, &[ProviderStatus::Available]).await?;
    let t = now();
    let mut batch = Batch::from(
        Update::<ImageRecord>::of(image.id)
            .set(common::STATE, "Active")
            .set(common::OP_ID, Val::Null)
            .set(ImageRecord::size_gb, r.attr_i64("size_gb").unwrap_or(image.size_gb))
            .stmt(t),
    );
    batch.extend(settle_after_image(&ctx, None, t).await?);
    Ok(StepOut::done().batch(batch))
}

/// The instance is free again and its root volume back in use.
async fn settle_after_image(ctx: &StepCtx, reason: Option<String>, t: i64) -> Result<Batch, StepError> {
    let root = root_volume(ctx).await?;
    let mut batch = Batch::from(
        Update::<VolumeRecord>::of(root.id)
            .set(common::STATE, VolumeState::InUse.as_str())
            .set(common::OP_ID, Val::Null)
            .lenient()
            .stmt(t),
    );
    let mut update = guarded::<InstanceRecord>(ctx, ctx.target_id).set(common::OP_ID, Val::Null).lenient();
    if let Some(r) = reason {
        update = update.set(common::STATE_REASON, r);
    }
    batch.push(update.stmt(t));
    Ok(batch)
}

async fn create_image_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let t = now();
    let image = image_row(&ctx).await?;
    let mut batch = Batch::from(
        Update::<ImageRecord>::of(image.id)
            .set(common::STATE, "Error")
            .set(common::STATE_REASON, failure.error.clone())
            .set(common::OP_ID, Val::Null)
            .lenient()
            .stmt(t),
    );
    batch.extend(settle_after_image(&ctx, Some(format!("create-image failed: {}", failure.error)), t).await?);
    Ok(batch)
}
