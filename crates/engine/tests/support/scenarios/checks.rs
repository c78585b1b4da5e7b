//! What a scenario's success or failure must leave behind.

use super::start::{generic_delete, generic_state};
use super::*;

/// What a successful run must leave (beyond [`H::world`]). `target` is the workflow's
/// target record.
pub async fn check_succeeded(h: &H, s: Scenario, p: &str, target: Uuid, r: &mut Report) {
    if s.is_stack() {
        return super::stacks::check_succeeded(h, s, p, r).await;
    }
    if s.is_template() {
        return super::templates::check_succeeded(h, s, p, target, r).await;
    }
    if s == Scenario::MaintenanceRun {
        return super::maintenance::check_succeeded(h, p, r).await;
    }
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
    if s.is_stack() {
        return super::stacks::check_failed(h, s, p, r).await;
    }
    if s.is_template() {
        return super::templates::check_failed(h, s, p, target, r).await;
    }
    if s == Scenario::MaintenanceRun {
        return super::maintenance::check_failed(h, p, r).await;
    }
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
