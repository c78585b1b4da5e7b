//! One scenario per way of reaching a workflow: what to build first (the state the
//! workflow starts from), the call that starts it, and what a success or a failure must
//! leave. Every workflow kind of the registry is reached by at least one scenario; the
//! generic create and delete workflows by every resource that uses them.

use super::*;
use gureum_driver::ResourceKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    VpcCreate,
    SubnetCreate,
    SecurityGroupCreate,
    KeyPairCreate,
    VolumeCreate,
    PublicIpCreate,
    VpcDelete,
    SubnetDelete,
    SecurityGroupDelete,
    KeyPairDelete,
    VolumeDelete,
    PublicIpDelete,
    SnapshotDelete,
    ImageDelete,
    RuleAdd,
    RuleRemove,
    InstanceCreate,
    InstanceCreateStaticIp,
    InstanceDelete,
    InstanceDeleteWithVolumes,
    InstanceStart,
    InstanceStop,
    InstanceReboot,
    InstanceRebootHard,
    InstanceShelve,
    InstanceUnshelve,
    InstanceResize,
    InstanceResizeConfirm,
    InstanceResizeRevert,
    InstanceCreateImage,
    VolumeAttach,
    VolumeDetach,
    VolumeExtend,
    VolumeUpload,
    VolumeSnapshot,
    PublicIpAttach,
    PublicIpDetach,
    StackExecute,
    StackReturn,
    TemplateCreate,
    TemplateSysprep,
    TemplateRelease,
    TemplateDelete,
    MaintenanceRun,
}

use Scenario as S;

pub(super) const C: &str = FAST;

/// What a generic create/delete scenario acts on.
pub(super) struct Generic {
    /// The name of the resource the workflow makes or removes.
    pub(super) name: &'static str,
    pub(super) kind: ResourceKind,
}

impl Scenario {
    pub const ALL: &'static [Scenario] = &[
        S::VpcCreate,
        S::SubnetCreate,
        S::SecurityGroupCreate,
        S::KeyPairCreate,
        S::VolumeCreate,
        S::PublicIpCreate,
        S::VpcDelete,
        S::SubnetDelete,
        S::SecurityGroupDelete,
        S::KeyPairDelete,
        S::VolumeDelete,
        S::PublicIpDelete,
        S::SnapshotDelete,
        S::ImageDelete,
        S::RuleAdd,
        S::RuleRemove,
        S::InstanceCreate,
        S::InstanceCreateStaticIp,
        S::InstanceDelete,
        S::InstanceDeleteWithVolumes,
        S::InstanceStart,
        S::InstanceStop,
        S::InstanceReboot,
        S::InstanceRebootHard,
        S::InstanceShelve,
        S::InstanceUnshelve,
        S::InstanceResize,
        S::InstanceResizeConfirm,
        S::InstanceResizeRevert,
        S::InstanceCreateImage,
        S::VolumeAttach,
        S::VolumeDetach,
        S::VolumeExtend,
        S::VolumeUpload,
        S::VolumeSnapshot,
        S::PublicIpAttach,
        S::PublicIpDetach,
        S::StackExecute,
        S::StackReturn,
        S::TemplateCreate,
        S::TemplateSysprep,
        S::TemplateRelease,
        S::TemplateDelete,
        S::MaintenanceRun,
    ];

    /// The workflow kind the scenario runs (checked against the operation it starts).
    pub fn kind(self) -> &'static str {
        match self {
            S::VpcCreate
            | S::SubnetCreate
            | S::SecurityGroupCreate
            | S::KeyPairCreate
            | S::VolumeCreate
            | S::PublicIpCreate => "resource_create",
            S::VpcDelete
            | S::SubnetDelete
            | S::SecurityGroupDelete
            | S::KeyPairDelete
            | S::VolumeDelete
            | S::PublicIpDelete
            | S::SnapshotDelete
            | S::ImageDelete => "resource_delete",
            S::RuleAdd | S::RuleRemove => "security_group_rules_apply",
            S::InstanceCreate | S::InstanceCreateStaticIp => "instance_create",
            S::InstanceDelete | S::InstanceDeleteWithVolumes => "instance_delete",
            S::InstanceStart => "instance_start",
            S::InstanceStop => "instance_stop",
            S::InstanceReboot => "instance_reboot",
            S::InstanceRebootHard => "instance_reboot_hard",
            S::InstanceShelve => "instance_shelve",
            S::InstanceUnshelve => "instance_unshelve",
            S::InstanceResize => "instance_resize",
            S::InstanceResizeConfirm => "instance_resize_confirm",
            S::InstanceResizeRevert => "instance_resize_revert",
            S::InstanceCreateImage => "instance_create_image",
            S::VolumeAttach => "volume_attach",
            S::VolumeDetach => "volume_detach",
            S::VolumeExtend => "volume_extend",
            S::VolumeUpload => "volume_upload",
            S::VolumeSnapshot => "volume_snapshot",
            S::PublicIpAttach => "public_ip_attach",
            S::PublicIpDetach => "public_ip_detach",
            S::StackExecute => "provisioning_execute",
            S::StackReturn => "provisioning_return",
            S::TemplateCreate => "vm_template_create",
            S::TemplateSysprep => "vm_template_power",
            S::TemplateRelease => "vm_template_release",
            S::TemplateDelete => "vm_template_delete",
            S::MaintenanceRun => "maintenance_runbook",
        }
    }

    /// The steps of the scenario's workflow, from the registry.
    pub fn steps(self) -> Vec<&'static str> {
        let def = gureum_engine::workflow::kinds::all()
            .iter()
            .find(|d| d.kind == self.kind())
            .unwrap_or_else(|| panic!("{self:?}: no workflow {}", self.kind()));
        def.steps.iter().map(|s| s.name).collect()
    }

    pub(super) fn generic(self) -> Option<Generic> {
        let g = |name, kind| Some(Generic { name, kind });
        match self {
            S::VpcCreate => g("net2", ResourceKind::Vpc),
            S::SubnetCreate => g("sub2", ResourceKind::Subnet),
            S::SecurityGroupCreate => g("sg2", ResourceKind::SecurityGroup),
            S::KeyPairCreate => g("kp2", ResourceKind::KeyPair),
            S::VolumeCreate => g("vol2", ResourceKind::Disk),
            S::PublicIpCreate => g("ip2", ResourceKind::PublicIp),
            S::VpcDelete => g("net", ResourceKind::Vpc),
            S::SubnetDelete => g("net", ResourceKind::Subnet),
            S::SecurityGroupDelete => g("sg", ResourceKind::SecurityGroup),
            S::KeyPairDelete => g("kp", ResourceKind::KeyPair),
            S::VolumeDelete => g("data", ResourceKind::Disk),
            S::PublicIpDelete => g("ip", ResourceKind::PublicIp),
            S::SnapshotDelete => g("snap", ResourceKind::Snapshot),
            S::ImageDelete => g("img", ResourceKind::Image),
            _ => None,
        }
    }

    pub(super) fn is_template(self) -> bool {
        self.kind().starts_with("vm_template_")
    }

    pub(super) fn is_stack(self) -> bool {
        self.kind().starts_with("provisioning_")
    }

    pub(super) fn is_generic_create(self) -> bool {
        self.kind() == "resource_create"
    }

    /// Whether the scenario leaves an instance `vm` to check and finally delete.
    pub(super) fn has_instance(self) -> bool {
        self.kind().starts_with("instance_")
            || matches!(self, S::VolumeAttach | S::VolumeDetach)
            || matches!(self, S::PublicIpAttach | S::PublicIpDetach)
    }
}

pub mod checks;
pub mod maintenance;
pub mod stacks;
pub mod start;
pub mod templates;
