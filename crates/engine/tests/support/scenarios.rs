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
}

use Scenario as S;

const C: &str = FAST;

/// What a generic create/delete scenario acts on.
struct Generic {
    /// The name of the resource the workflow makes or removes.
    name: &'static str,
    kind: ResourceKind,
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

    fn generic(self) -> Option<Generic> {
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

    fn is_generic_create(self) -> bool {
        self.kind() == "resource_create"
    }

    /// Whether the scenario leaves an instance `vm` to check and finally delete.
    fn has_instance(self) -> bool {
        self.kind().starts_with("instance_")
            || matches!(self, S::VolumeAttach | S::VolumeDetach)
            || matches!(self, S::PublicIpAttach | S::PublicIpDetach)
    }
}

/// Builds the state the scenario's workflow starts from, in project `p`.
pub async fn prepare(h: &H, s: Scenario, p: &str) {
    h.project(p).await;
    let (e, a) = (h.engine(), h.admin());
    match s {
        S::VpcCreate | S::KeyPairCreate | S::VolumeCreate | S::PublicIpCreate => {}
        S::SubnetCreate | S::SecurityGroupCreate | S::VpcDelete => h.vpc(p, C).await,
        S::SubnetDelete => {
            h.vpc(p, C).await;
            h.subnet(p).await;
        }
        S::SecurityGroupDelete | S::RuleAdd => {
            h.vpc(p, C).await;
            h.security_group(p).await;
        }
        S::RuleRemove => {
            h.vpc(p, C).await;
            h.security_group(p).await;
            let rule = e.security_group_rule_create(a, p, "sg", ssh_rule()).await.expect("rule");
            h.succeed(p, rule.operation_id).await;
        }
        S::KeyPairDelete => h.key_pair(p, C).await,
        S::VolumeDelete | S::VolumeExtend | S::VolumeUpload | S::VolumeSnapshot => {
            h.volume(p, "data", C).await;
        }
        S::PublicIpDelete => {
            h.static_ip(p, "ip", C).await;
        }
        S::SnapshotDelete => {
            h.volume(p, "data", C).await;
            let snap = e.snapshot_create(a, p, "data", SnapshotCreate { name: "snap".into() }).await.expect("snap");
            h.succeed(p, snap.operation_id).await;
        }
        S::ImageDelete => {
            h.volume(p, "data", C).await;
            let v = e.volume_upload(a, p, "data", VolumeUpload { image_name: "img".into() }).await.expect("upload");
            h.succeed(p, v.operation_id).await;
        }
        S::InstanceCreate => {
            h.network(p, C).await;
            h.volume(p, "data", C).await;
        }
        S::InstanceCreateStaticIp => h.network(p, C).await,
        S::InstanceDeleteWithVolumes => {
            h.network(p, C).await;
            h.volume(p, "data", C).await;
            h.instance(p, "vm", PublicIpMode::Static, &["data"]).await;
        }
        S::InstanceDelete | S::InstanceStop | S::InstanceShelve | S::InstanceStart | S::InstanceUnshelve => {
            h.network(p, C).await;
            h.volume(p, "data", C).await;
            h.instance(p, "vm", PublicIpMode::Ephemeral, &["data"]).await;
            match s {
                S::InstanceStart => {
                    let i = e.instance_stop(a, p, "vm").await.expect("stop");
                    h.succeed(p, i.operation_id).await;
                }
                S::InstanceUnshelve => {
                    let i = e.instance_shelve(a, p, "vm").await.expect("shelve");
                    h.succeed(p, i.operation_id).await;
                }
                _ => {}
            }
        }
        S::InstanceReboot
        | S::InstanceResize
        | S::InstanceResizeConfirm
        | S::InstanceResizeRevert
        | S::InstanceCreateImage => {
            h.network(p, C).await;
            h.instance(p, "vm", PublicIpMode::None, &[]).await;
            if matches!(s, S::InstanceResizeConfirm | S::InstanceResizeRevert) {
                let i = e
                    .instance_resize(a, p, "vm", InstanceResize { instance_type: "t1.small".into() })
                    .await
                    .expect("resize");
                h.succeed(p, i.operation_id).await;
            }
        }
        S::InstanceRebootHard => {
            h.network(p, C).await;
            h.instance(p, "vm", PublicIpMode::Ephemeral, &[]).await;
            let i = e.instance_stop(a, p, "vm").await.expect("stop");
            h.succeed(p, i.operation_id).await;
        }
        S::VolumeAttach => {
            h.network(p, C).await;
            h.instance(p, "vm", PublicIpMode::None, &[]).await;
            h.volume(p, "data", C).await;
        }
        S::VolumeDetach => {
            h.network(p, C).await;
            h.volume(p, "data", C).await;
            h.instance(p, "vm", PublicIpMode::None, &["data"]).await;
        }
        S::PublicIpAttach | S::PublicIpDetach => {
            h.network(p, C).await;
            h.instance(p, "vm", PublicIpMode::None, &[]).await;
            h.static_ip(p, "ip", C).await;
            if s == S::PublicIpDetach {
                let ip =
                    e.public_ip_attach(a, p, "ip", PublicIpAttach { instance: "vm".into() }).await.expect("attach");
                h.succeed(p, ip.operation_id).await;
            }
        }
    }
}

/// Starts the scenario's workflow; returns its operation id.
pub async fn start(h: &H, s: Scenario, p: &str) -> Uuid {
    let (e, a) = (h.engine(), h.admin());
    let op = match s {
        S::VpcCreate => e
            .vpc_create(a, p, VpcCreate { name: "net2".into(), cidr: "10.1.0.0/16".into(), connection: Some(C.into()) })
            .await
            .map(|x| x.operation_id),
        S::SubnetCreate => e
            .subnet_create(a, p, "net", SubnetCreate { name: "sub2".into(), cidr: "10.0.2.0/24".into(), zone: None })
            .await
            .map(|x| x.operation_id),
        S::SecurityGroupCreate => e
            .security_group_create(
                a,
                p,
                SecurityGroupCreate { name: "sg2".into(), vpc: "net".into(), description: None },
            )
            .await
            .map(|x| x.operation_id),
        S::KeyPairCreate => e
            .key_pair_create(a, p, KeyPairCreate { name: "kp2".into(), public_key: None, connection: Some(C.into()) })
            .await
            .map(|x| x.operation_id),
        S::VolumeCreate => e.volume_create(a, p, volume_req("vol2", C)).await.map(|x| x.operation_id),
        S::PublicIpCreate => e
            .public_ip_create(a, p, PublicIpCreate { name: "ip2".into(), connection: Some(C.into()) })
            .await
            .map(|x| x.operation_id),
        S::VpcDelete => e.vpc_delete(a, p, "net").await.map(|x| x.operation_id),
        S::SubnetDelete => e.subnet_delete(a, p, None, "net").await.map(|x| x.operation_id),
        S::SecurityGroupDelete => e.security_group_delete(a, p, "sg").await.map(|x| x.operation_id),
        S::KeyPairDelete => e.key_pair_delete(a, p, "kp").await.map(|x| x.operation_id),
        S::VolumeDelete => e.volume_delete(a, p, "data").await.map(|x| x.operation_id),
        S::PublicIpDelete => e.public_ip_delete(a, p, "ip").await.map(|x| x.operation_id),
        S::SnapshotDelete => e.snapshot_delete(a, p, "data", "snap").await.map(|x| x.operation_id),
        S::ImageDelete => e.project_image_delete(a, p, "img").await.map(|x| x.operation_id),
        S::RuleAdd => e.security_group_rule_create(a, p, "sg", ssh_rule()).await.map(|x| x.operation_id),
        S::RuleRemove => {
            let rule = e.security_group_get(a, p, "sg").await.expect("sg").rules[0].id.to_string();
            e.security_group_rule_delete(a, p, "sg", &rule).await.map(|x| x.operation_id)
        }
        S::InstanceCreate => e
            .instance_create(a, p, instance_req("vm", PublicIpMode::Ephemeral, &["data"]))
            .await
            .map(|x| x.operation_id),
        S::InstanceCreateStaticIp => {
            e.instance_create(a, p, instance_req("vm", PublicIpMode::Static, &[])).await.map(|x| x.operation_id)
        }
        S::InstanceDelete => e.instance_delete(a, p, "vm", false).await.map(|x| x.operation_id),
        S::InstanceDeleteWithVolumes => e.instance_delete(a, p, "vm", true).await.map(|x| x.operation_id),
        S::InstanceStart => e.instance_start(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceStop => e.instance_stop(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceReboot => e
            .instance_reboot(a, p, "vm", InstanceReboot { reboot_type: RebootType::Soft })
            .await
            .map(|x| x.operation_id),
        S::InstanceRebootHard => e
            .instance_reboot(a, p, "vm", InstanceReboot { reboot_type: RebootType::Hard })
            .await
            .map(|x| x.operation_id),
        S::InstanceShelve => e.instance_shelve(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceUnshelve => e.instance_unshelve(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceResize => e
            .instance_resize(a, p, "vm", InstanceResize { instance_type: "t1.small".into() })
            .await
            .map(|x| x.operation_id),
        S::InstanceResizeConfirm => e.instance_confirm_resize(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceResizeRevert => e.instance_revert_resize(a, p, "vm").await.map(|x| x.operation_id),
        S::InstanceCreateImage => e
            .instance_create_image(a, p, "vm", InstanceCreateImage { name: "img".into() })
            .await
            .map(|x| x.operation_id),
        S::VolumeAttach => {
            e.volume_attach(a, p, "data", VolumeAttach { instance: "vm".into() }).await.map(|x| x.operation_id)
        }
        S::VolumeDetach => e.volume_detach(a, p, "data").await.map(|x| x.operation_id),
        S::VolumeExtend => e.volume_extend(a, p, "data", VolumeExtend { size_gb: 20 }).await.map(|x| x.operation_id),
        S::VolumeUpload => {
            e.volume_upload(a, p, "data", VolumeUpload { image_name: "img".into() }).await.map(|x| x.operation_id)
        }
        S::VolumeSnapshot => {
            e.snapshot_create(a, p, "data", SnapshotCreate { name: "snap".into() }).await.map(|x| x.operation_id)
        }
        S::PublicIpAttach => {
            e.public_ip_attach(a, p, "ip", PublicIpAttach { instance: "vm".into() }).await.map(|x| x.operation_id)
        }
        S::PublicIpDetach => e.public_ip_detach(a, p, "ip").await.map(|x| x.operation_id),
    };
    let op = op.unwrap_or_else(|e| panic!("{s:?}: starting the workflow failed: {e}")).expect("an operation");
    let kind = h.workflow(op).await.kind;
    assert_eq!(kind, s.kind(), "{s:?} should run {}", s.kind());
    op
}

/// A generic resource's state and whether it exists, by scenario (`None`: gone).
async fn generic_state(h: &H, s: Scenario, p: &str, name: &str) -> Option<(String, Option<String>)> {
    let (e, a) = (h.engine(), h.admin());
    let st = |state: &dyn std::fmt::Display, reason: Option<String>| (state.to_string(), reason);
    match s {
        S::VpcCreate | S::VpcDelete => gone_is_none(e.vpc_get(a, p, name).await).map(|x| st(&x.state, x.state_reason)),
        S::SubnetCreate | S::SubnetDelete => {
            gone_is_none(e.subnet_get(a, p, None, name).await).map(|x| st(&x.state, x.state_reason))
        }
        S::SecurityGroupCreate | S::SecurityGroupDelete => {
            gone_is_none(e.security_group_get(a, p, name).await).map(|x| st(&x.state, x.state_reason))
        }
        S::KeyPairCreate | S::KeyPairDelete => {
            gone_is_none(e.key_pair_get(a, p, name).await).map(|x| st(&x.state, x.state_reason))
        }
        S::VolumeCreate | S::VolumeDelete => h.get_volume(p, name).await.map(|x| st(&x.state, x.state_reason)),
        S::PublicIpCreate | S::PublicIpDelete => h.get_ip(p, name).await.map(|x| st(&x.state, x.state_reason)),
        S::SnapshotDelete => {
            gone_is_none(e.snapshot_get(a, p, "data", name).await).map(|x| st(&x.state, x.state_reason))
        }
        S::ImageDelete => h.get_image(p, name).await.map(|x| st(&x.state, x.state_reason)),
        _ => unreachable!("{s:?} is not generic"),
    }
}

/// Deletes a generic resource (as the user would after a failure) and waits for it.
async fn generic_delete(h: &H, s: Scenario, p: &str, name: &str) -> Operation {
    let (e, a) = (h.engine(), h.admin());
    let op = match s {
        S::VpcCreate | S::VpcDelete => e.vpc_delete(a, p, name).await.map(|x| x.operation_id),
        S::SubnetCreate | S::SubnetDelete => e.subnet_delete(a, p, None, name).await.map(|x| x.operation_id),
        S::SecurityGroupCreate | S::SecurityGroupDelete => {
            e.security_group_delete(a, p, name).await.map(|x| x.operation_id)
        }
        S::KeyPairCreate | S::KeyPairDelete => e.key_pair_delete(a, p, name).await.map(|x| x.operation_id),
        S::VolumeCreate | S::VolumeDelete => e.volume_delete(a, p, name).await.map(|x| x.operation_id),
        S::PublicIpCreate | S::PublicIpDelete => e.public_ip_delete(a, p, name).await.map(|x| x.operation_id),
        S::SnapshotDelete => e.snapshot_delete(a, p, "data", name).await.map(|x| x.operation_id),
        S::ImageDelete => e.project_image_delete(a, p, name).await.map(|x| x.operation_id),
        _ => unreachable!("{s:?} is not generic"),
    };
    let op = op.unwrap_or_else(|err| panic!("{s:?}: deleting {name} refused: {err}"));
    h.finish(p, op).await
}

/// What a successful run must leave (beyond [`H::world`]). `target` is the workflow's
/// target record.
pub async fn check_succeeded(h: &H, s: Scenario, p: &str, target: Uuid, r: &mut Report) {
    let (e, a) = (h.engine(), h.admin());
    if let Some(g) = s.generic() {
        let state = generic_state(h, s, p, g.name).await;
        let at_provider = h.tagged(C, g.kind, target).await.len();
        if s.is_generic_create() {
            r.check(state.as_ref().is_some_and(|(st, _)| st == "Available"), || format!("{} is {state:?}", g.name));
            r.check(at_provider == 1, || format!("{at_provider} {} at the provider tagged {target}", g.kind));
        } else {
            r.check(state.is_none(), || format!("{} still exists: {state:?}", g.name));
            r.check(at_provider == 0, || format!("{at_provider} {} left at the provider", g.kind));
        }
        return;
    }
    let vm = h.get_instance(p, "vm").await;
    let vm_state = vm.as_ref().map(|i| i.state);
    let data = h.get_volume(p, "data").await.map(|v| (v.state, v.instance));
    let in_use_on_vm = Some((VolumeState::InUse, Some("vm".to_string())));
    let available = Some((VolumeState::Available, None));
    let ip_addr = vm.as_ref().and_then(|i| i.public_ip.as_ref()).and_then(|ip| ip.address.clone());
    let vms_tagged = match &vm {
        Some(i) => h.tagged(C, ResourceKind::Vm, i.id).await.len(),
        None => 0,
    };
    let expect_vm = |state: InstanceState| vm_state == Some(state);
    match s {
        S::RuleAdd | S::RuleRemove => {
            let sg = e.security_group_get(a, p, "sg").await.expect("sg");
            let want = usize::from(s == S::RuleAdd);
            r.check(sg.rules.len() == want, || format!("{} rules: {:?}", sg.rules.len(), sg.rules));
            r.check(sg.rules.iter().all(|x| x.state == LifecycleState::Available && x.applied), || {
                format!("rules not applied: {:?}", sg.rules)
            });
            let at_provider = h.tagged(C, ResourceKind::SecurityGroup, target).await;
            let rules = at_provider.first().and_then(|g| g.attrs.get("rules")).and_then(|r| r.as_array()).map(Vec::len);
            r.check(rules == Some(want), || format!("the provider has {rules:?} rules, want {want}"));
        }
        S::InstanceCreate => {
            r.check(expect_vm(InstanceState::Active), || format!("vm is {vm_state:?}"));
            r.check(ip_addr.is_some(), || "vm has no public address".into());
            r.check(data == in_use_on_vm, || format!("data volume is {data:?}"));
            r.check(vms_tagged == 1, || format!("{vms_tagged} VMs tagged with the instance"));
        }
        S::InstanceCreateStaticIp => {
            r.check(expect_vm(InstanceState::Active), || format!("vm is {vm_state:?}"));
            let ip = vm.as_ref().and_then(|i| i.public_ip.clone());
            r.check(ip.as_ref().is_some_and(|ip| ip.kind == PublicIpKind::Static && ip.address.is_some()), || {
                format!("vm has public IP {ip:?}")
            });
            r.check(vms_tagged == 1, || format!("{vms_tagged} VMs tagged with the instance"));
        }
        S::InstanceDelete => {
            r.check(vm.is_none(), || format!("vm still exists: {vm_state:?}"));
            r.check(data == available, || format!("data volume is {data:?}"));
            let vms = h.tagged(C, ResourceKind::Vm, target).await.len();
            r.check(vms == 0, || format!("{vms} VMs left"));
            let vols = e.volume_list(a, p, &ListQuery::default()).await.expect("volumes").items.len();
            r.check(vols == 1, || format!("{vols} volumes left, want the data volume alone"));
        }
        S::InstanceDeleteWithVolumes => {
            r.check(vm.is_none(), || format!("vm still exists: {vm_state:?}"));
            r.check(data.is_none(), || format!("the data volume was kept: {data:?}"));
            let ips = e.public_ip_list(a, p, &ListQuery::default()).await.expect("ips").items;
            let kept: Vec<_> = ips.iter().map(|ip| (ip.kind, ip.state, ip.instance.clone())).collect();
            r.check(kept == [(PublicIpKind::Static, PublicIpState::Available, None)], || {
                format!("the static IP should stay, Available: {kept:?}")
            });
            let disks = h.cloud(C).await.list(ResourceKind::Disk).await.expect("disks").len();
            let vols = e.volume_list(a, p, &ListQuery::default()).await.expect("volumes").items.len();
            r.check(vols == 0, || format!("{vols} volumes left ({disks} disks at the provider)"));
        }
        S::InstanceStart | S::InstanceRebootHard | S::InstanceUnshelve => {
            r.check(expect_vm(InstanceState::Active), || format!("vm is {vm_state:?}"));
            r.check(ip_addr.is_some(), || "vm has no public address".into());
            if s == S::InstanceUnshelve {
                r.check(data == in_use_on_vm, || format!("data volume is {data:?}"));
            }
            r.check(vms_tagged == 1, || format!("{vms_tagged} VMs tagged with the instance"));
        }
        S::InstanceStop => {
            r.check(expect_vm(InstanceState::Stopped), || format!("vm is {vm_state:?}"));
            r.check(vm.as_ref().is_some_and(|i| i.public_ip.is_none()), || "the ephemeral IP was kept".into());
        }
        S::InstanceReboot => r.check(expect_vm(InstanceState::Active), || format!("vm is {vm_state:?}")),
        S::InstanceShelve => {
            r.check(expect_vm(InstanceState::ShelvedOffloaded), || format!("vm is {vm_state:?}"));
            r.check(data == Some((VolumeState::Reserved, Some("vm".into()))), || format!("data volume is {data:?}"));
            r.check(vms_tagged == 0, || format!("{vms_tagged} VMs left after shelving"));
        }
        S::InstanceResize | S::InstanceResizeConfirm | S::InstanceResizeRevert => {
            let (state, itype) = match s {
                S::InstanceResize => (InstanceState::Resized, "t1.small"),
                S::InstanceResizeConfirm => (InstanceState::Active, "t1.small"),
                _ => (InstanceState::Active, "t1.micro"),
            };
            r.check(expect_vm(state), || format!("vm is {vm_state:?}"));
            let got = vm.as_ref().map(|i| i.instance_type.clone());
            r.check(got.as_deref() == Some(itype), || format!("vm is {got:?}, want {itype}"));
        }
        S::InstanceCreateImage | S::VolumeUpload => {
            let img = h.get_image(p, "img").await.expect("image");
            r.check(img.state == ImageState::Active, || format!("image is {}", img.state));
            let n = h.tagged(C, ResourceKind::Image, img.id).await.len();
            r.check(n == 1, || format!("{n} images at the provider"));
            if s == S::VolumeUpload {
                r.check(data == available, || format!("data volume is {data:?}"));
            } else {
                r.check(expect_vm(InstanceState::Active), || format!("vm is {vm_state:?}"));
            }
        }
        S::VolumeAttach => r.check(data == in_use_on_vm, || format!("data volume is {data:?}")),
        S::VolumeDetach => r.check(data == available, || format!("data volume is {data:?}")),
        S::VolumeExtend => {
            let size = h.get_volume(p, "data").await.map(|v| v.size_gb);
            r.check(size == Some(20), || format!("data volume has {size:?} GB"));
            r.check(data == available, || format!("data volume is {data:?}"));
        }
        S::VolumeSnapshot => {
            let snap = e.snapshot_get(a, p, "data", "snap").await.expect("snapshot");
            r.check(snap.state == LifecycleState::Available, || format!("snapshot is {}", snap.state));
            let n = h.tagged(C, ResourceKind::Snapshot, snap.id).await.len();
            r.check(n == 1, || format!("{n} snapshots at the provider"));
            r.check(data == available, || format!("data volume is {data:?}"));
        }
        S::PublicIpAttach | S::PublicIpDetach => {
            let ip = h.get_ip(p, "ip").await.map(|x| (x.state, x.instance));
            let want = if s == S::PublicIpAttach {
                (PublicIpState::InUse, Some("vm".to_string()))
            } else {
                (PublicIpState::Available, None)
            };
            r.check(ip.as_ref() == Some(&want), || format!("ip is {ip:?}"));
        }
        _ => unreachable!("{s:?} is generic"),
    }
}

/// What a failed run must leave (beyond [`H::world`]); then recovers as a user would
/// (deleting what failed) and checks that works too.
pub async fn check_failed(h: &H, s: Scenario, p: &str, target: Uuid, r: &mut Report) {
    let (e, a) = (h.engine(), h.admin());
    if let Some(g) = s.generic() {
        let state = generic_state(h, s, p, g.name).await;
        r.check(
            state
                .as_ref()
                .is_some_and(|(st, reason)| st == "Error" && reason.as_deref().is_some_and(|x| !x.is_empty())),
            || format!("{} is {state:?}, want Error with a reason", g.name),
        );
        if s.is_generic_create() {
            let n = h.tagged(C, g.kind, target).await.len();
            r.check(n == 0, || format!("{n} {} left at the provider by the failed create", g.kind));
        }
        if state.is_some() {
            let o = generic_delete(h, s, p, g.name).await;
            r.check(o.status == OperationStatus::Succeeded, || format!("deleting it afterwards: {:?}", o.error));
            let n = h.tagged(C, g.kind, target).await.len();
            r.check(n == 0, || format!("{n} {} left at the provider after deleting it", g.kind));
        }
        return;
    }
    if matches!(s, S::RuleAdd | S::RuleRemove) {
        let sg = e.security_group_get(a, p, "sg").await.expect("sg");
        r.check(
            sg.rules.len() == 1 && sg.rules[0].state == LifecycleState::Error && sg.rules[0].note.is_some(),
            || format!("rules after the failure: {:?}", sg.rules),
        );
        if let Some(rule) = sg.rules.first() {
            let x = e.security_group_rule_delete(a, p, "sg", &rule.id.to_string()).await.expect("rule delete");
            let o = h.finish(p, x.operation_id).await;
            r.check(o.status == OperationStatus::Succeeded, || format!("deleting the rule afterwards: {:?}", o.error));
        }
        return;
    }
    let vm = h.get_instance(p, "vm").await;
    let vm_state = vm.as_ref().map(|i| i.state);
    let data = h.get_volume(p, "data").await.map(|v| (v.state, v.instance));
    let allowed: &[InstanceState] = {
        use InstanceState::*;
        match s {
            S::InstanceCreate | S::InstanceCreateStaticIp => &[Error],
            S::InstanceDelete | S::InstanceDeleteWithVolumes => &[Active, Error],
            S::InstanceStart | S::InstanceStop | S::InstanceRebootHard => &[Active, Stopped],
            S::InstanceShelve => &[Active, Stopped, ShelvedOffloaded],
            S::InstanceUnshelve => &[ShelvedOffloaded, Active],
            S::InstanceResizeConfirm => &[Active, Resized],
            S::InstanceResizeRevert => &[Active, Resized],
            _ => &[Active],
        }
    };
    if s.has_instance() {
        r.check(vm_state.is_some_and(|st| allowed.contains(&st)), || {
            format!("vm is {vm_state:?}, want one of {allowed:?}")
        });
    }
    if s.kind().starts_with("instance_") && s != S::InstanceCreateImage {
        let reason = vm.as_ref().and_then(|i| i.state_reason.clone());
        r.check(reason.as_deref().is_some_and(|x| x.contains("injected failure")), || {
            format!("vm's state_reason does not give the failure: {reason:?}")
        });
    }
    match s {
        S::InstanceCreate | S::InstanceCreateStaticIp => {
            let vols = e.volume_list(a, p, &ListQuery::default()).await.expect("volumes").items;
            let root = vols.iter().filter(|v| v.kind == VolumeKind::Root).count();
            r.check(root == 0, || format!("{root} root volume row(s) left"));
            if s == S::InstanceCreate {
                r.check(data == Some((VolumeState::Available, None)), || format!("data volume is {data:?}"));
            }
            let ips = e.public_ip_list(a, p, &ListQuery::default()).await.expect("ips").items;
            r.check(ips.is_empty(), || format!("public IPs left: {ips:?}"));
            for kind in [ResourceKind::Vm, ResourceKind::Disk, ResourceKind::PublicIp] {
                let n = match &vm {
                    Some(i) => h.tagged(C, kind, i.id).await.len(),
                    None => 0,
                };
                r.check(n == 0, || format!("{n} {kind} tagged with the instance left"));
            }
        }
        S::InstanceCreateImage | S::VolumeUpload => {
            let img = h.get_image(p, "img").await;
            r.check(img.as_ref().is_some_and(|i| i.state == ImageState::Error && i.state_reason.is_some()), || {
                format!("image is {:?}", img.as_ref().map(|i| (i.state, &i.state_reason)))
            });
            if let Some(img) = img {
                let n = h.tagged(C, ResourceKind::Image, img.id).await.len();
                r.check(n == 0, || format!("{n} images left at the provider"));
                let x = e.project_image_delete(a, p, "img").await.expect("image delete");
                let o = h.finish(p, x.operation_id).await;
                r.check(o.status == OperationStatus::Succeeded, || format!("deleting the image: {:?}", o.error));
            }
        }
        S::VolumeSnapshot => {
            let snap = gone_is_none(e.snapshot_get(a, p, "data", "snap").await);
            r.check(
                snap.as_ref().is_some_and(|x| x.state == LifecycleState::Error && x.state_reason.is_some()),
                || format!("snapshot is {:?}", snap.as_ref().map(|x| (x.state, &x.state_reason))),
            );
            if let Some(snap) = snap {
                let n = h.tagged(C, ResourceKind::Snapshot, snap.id).await.len();
                r.check(n == 0, || format!("{n} snapshots left at the provider"));
                let x = e.snapshot_delete(a, p, "data", "snap").await.expect("snapshot delete");
                let o = h.finish(p, x.operation_id).await;
                r.check(o.status == OperationStatus::Succeeded, || format!("deleting the snapshot: {:?}", o.error));
            }
        }
        S::VolumeAttach => {
            r.check(data == Some((VolumeState::Available, None)), || format!("data volume is {data:?}"));
        }
        S::PublicIpAttach => {
            let ip = h.get_ip(p, "ip").await.map(|x| (x.state, x.instance));
            r.check(ip == Some((PublicIpState::Available, None)), || format!("ip is {ip:?}"));
        }
        _ => {}
    }
    if s.has_instance() && vm.is_some() {
        // Whatever the failure left, deleting the instance cleans everything up.
        let x = e.instance_delete(a, p, "vm", false).await.expect("instance delete");
        let o = h.finish(p, x.operation_id).await;
        r.check(o.status == OperationStatus::Succeeded, || format!("deleting the instance afterwards: {:?}", o.error));
        let data = h.get_volume(p, "data").await.map(|v| (v.state, v.instance));
        r.check(data.is_none() || data == Some((VolumeState::Available, None)), || {
            format!("data volume after deleting the instance: {data:?}")
        });
    }
}
