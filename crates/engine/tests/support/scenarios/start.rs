//! Building what a scenario starts from, and starting its workflow.

use super::*;

/// Builds the state the scenario's workflow starts from, in project `p`.
pub async fn prepare(h: &H, s: Scenario, p: &str) {
    h.project(p).await;
    let (e, a) = (h.engine(), h.admin());
    match s {
        S::VpcCreate | S::KeyPairCreate | S::VolumeCreate | S::PublicIpCreate => {}
        S::TemplateCreate | S::TemplateSysprep | S::TemplateRelease | S::TemplateDelete => {
            super::templates::prepare(h, s, p).await
        }
        S::MaintenanceRun => super::maintenance::prepare(h, p).await,
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
        S::InstanceCreateStaticIp | S::StackExecute => h.network(p, C).await,
        S::StackReturn => {
            h.network(p, C).await;
            super::stacks::provisioned(h, p).await;
        }
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
        S::StackExecute => e.provisioning_create(a, p, super::stacks::request()).await.map(|x| x.operation_id),
        S::StackReturn => e.provisioning_return(a, p, "st", super::stacks::confirm()).await.map(|x| x.operation_id),
        S::TemplateCreate | S::TemplateSysprep | S::TemplateRelease | S::TemplateDelete => {
            super::templates::start(h, s, p).await
        }
        S::MaintenanceRun => super::maintenance::start(h, p).await,
    };
    let op = op.unwrap_or_else(|e| panic!("{s:?}: starting the workflow failed: {e}")).expect("an operation");
    let kind = h.workflow(op).await.kind;
    assert_eq!(kind, s.kind(), "{s:?} should run {}", s.kind());
    op
}

/// A generic resource's state and whether it exists, by scenario (`None`: gone).
pub(super) async fn generic_state(h: &H, s: Scenario, p: &str, name: &str) -> Option<(String, Option<String>)> {
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
pub(super) async fn generic_delete(h: &H, s: Scenario, p: &str, name: &str) -> Operation {
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
