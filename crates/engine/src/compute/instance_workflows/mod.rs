//! The instance workflows. Steps are shared between workflows (creating a VM is the same
//! step in create and unshelve; releasing an ephemeral IP the same in stop, shelve and
//! delete); every step reads the instance's current rows, so a replay sees what an
//! earlier run recorded, and every provider create/delete is keyed by gureum's ids.

mod create;
mod power;
mod resize;
mod settle;

pub(crate) use create::finish;
use create::*;
pub(crate) use power::vm_stop;
use power::*;
use resize::*;
pub(crate) use settle::resync;
use settle::*;

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
use uuid::Uuid;

/// What `root_volume_create` made: the provider's disk.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DiskMade {
    pub disk: String,
}

/// What `public_ip_allocate` made: the IP's row and the provider's address.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IpAllocated {
    pub ip: Uuid,
    pub provider_id: String,
}

/// What `vm_create` made: the provider's VM.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct VmMade {
    pub vm: String,
}

/// What `vm_resize` changed the instance from.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ResizedFrom {
    pub from: Uuid,
}

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

impl InstanceParams {
    /// Parameters of a workflow that only settles the instance in `final_state`.
    pub(crate) fn settling(connection_id: Uuid, final_state: InstanceState) -> Self {
        InstanceParams {
            connection_id,
            final_state,
            resize_to: None,
            delete_volumes: false,
            image_id: None,
            hard: false,
            provider_spec: None,
        }
    }
}

/// Instance states go through metering.
pub(crate) fn show(target: Uuid, workflow: Uuid, state: &'static str, now: i64) -> Batch {
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

pub(crate) async fn instance(ctx: &StepCtx) -> Result<InstanceRecord, StepError> {
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

pub(crate) async fn root_volume(ctx: &StepCtx) -> Result<VolumeRecord, StepError> {
    volumes(ctx, VolumeKind::Root).await?.pop().ok_or_else(|| StepError::Fail("the instance has no root volume".into()))
}

async fn public_ip(ctx: &StepCtx) -> Result<Option<PublicIpRecord>, StepError> {
    Ok(ctx.engine.store().list_all::<PublicIpRecord>(&[("instance_id", ctx.target_id.into())]).await?.pop())
}

fn params(ctx: &StepCtx) -> Result<InstanceParams, StepError> {
    ctx.params()
}

/// The cloud of the node the instance is placed on (the connection's, when none).
pub(crate) async fn cloud(ctx: &StepCtx) -> Result<crate::Cloud, StepError> {
    Ok(ctx.engine.instance_cloud(params(ctx)?.connection_id, ctx.target_id).await?)
}

/// The instance's cloud and the node it is placed on, if any: where its disks and IP
/// are made.
async fn placement(ctx: &StepCtx) -> Result<(crate::Cloud, Option<Uuid>), StepError> {
    Ok(ctx.engine.instance_placement(params(ctx)?.connection_id, ctx.target_id).await?)
}

pub(crate) fn vm_id(inst: &InstanceRecord) -> Result<&str, StepError> {
    inst.provider_id.as_deref().ok_or_else(|| StepError::Fail("the instance has no VM at the provider".into()))
}

pub(crate) fn guarded<R: gureum_store::record::Resource>(ctx: &StepCtx, id: Uuid) -> Update<R> {
    Update::<R>::of(id).guard(common::OP_ID, ctx.workflow_id)
}
