//! The provider's own rules, answered with typed errors as a real cloud would.

use super::*;
use gureum_driver::{DriverError, RuleSpec, VmAction};

fn conflict(r: Result<impl std::fmt::Debug, DriverError>) -> String {
    match r {
        Err(DriverError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn invalid(r: Result<impl std::fmt::Debug, DriverError>) -> String {
    match r {
        Err(DriverError::InvalidRequest(m)) => m,
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

fn capacity(r: Result<impl std::fmt::Debug, DriverError>) -> String {
    match r {
        Err(DriverError::Capacity(m)) => m,
        other => panic!("expected a capacity error, got {other:?}"),
    }
}

async fn subnet(sim: &SimDriver, vpc: Option<&str>, cidr: &str) -> Result<ProviderResource, DriverError> {
    sim.create(CreateSpec::Subnet {
        name: "s".into(),
        tag: format!("t-{cidr}"),
        vpc: vpc.map(str::to_string),
        cidr: cidr.into(),
        zone: ZONE.into(),
    })
    .await
}

#[tokio::test]
async fn capacity_is_per_zone_and_names_what_is_exhausted() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "capacity": {"vcpus": 5, "public_ips": 1}})));
    let a = vm(&sim, "a").await;
    vm(&sim, "b").await;
    let disk = root_disk(&sim, "c").await;
    let msg = capacity(sim.create(CreateSpec::Vm(vm_spec("c", &disk.id))).await);
    assert_eq!(msg, "zone sim-1a has no room for 2 more vCPUs (4 of 5 used)");
    assert_eq!(status(&sim, ResourceKind::Disk, &disk.id).await, ProviderStatus::Available, "nothing changed");

    // Another zone has its own capacity.
    let b_disk = sim.create(disk_spec("other", "sim-1b", 20, DiskSource::Image("ubuntu-22.04".into()))).await.unwrap();
    let mut spec = vm_spec("other", &b_disk.id);
    spec.zone = "sim-1b".into();
    sim.create(CreateSpec::Vm(spec)).await.unwrap();

    // Resizing up needs room too; deleting gives it back.
    let grow = VmAction::Resize { instance_type: "m1.xlarge".into(), vcpus: 4, memory_mib: 16384 };
    capacity(sim.vm_action(&a.id, grow.clone()).await);
    sim.delete(ResourceKind::Vm, &a.id).await.unwrap();
    sim.create(CreateSpec::Vm(vm_spec("c", &disk.id))).await.unwrap();

    sim.create(CreateSpec::PublicIp { name: "ip".into(), tag: "ip1".into(), zone: ZONE.into() }).await.unwrap();
    let msg =
        capacity(sim.create(CreateSpec::PublicIp { name: "ip".into(), tag: "ip2".into(), zone: ZONE.into() }).await);
    assert_eq!(msg, "zone sim-1a has no room for 1 more public IP (1 of 1 used)");

    sim.set_settings(settings(json!({"latency_ms": 0, "capacity": {"instances": 2, "disk_gb": 100}})));
    let d = root_disk(&sim, "d").await;
    let msg = capacity(sim.create(CreateSpec::Vm(vm_spec("d", &d.id))).await);
    assert_eq!(msg, "zone sim-1a has no room for 1 more instance (2 of 2 used)");
    let msg = capacity(sim.create(disk_spec("big", ZONE, 40, DiskSource::Blank)).await);
    assert_eq!(msg, "zone sim-1a has no room for 40 more GB of disk (80 of 100 GB used)");
}

#[tokio::test]
async fn private_addresses_skip_the_reserved_ones_and_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let net = subnet(&sim, None, "10.9.0.0/29").await.unwrap();
    let mut addresses = vec![];
    for i in 0..3 {
        let disk = root_disk(&sim, &format!("v{i}")).await;
        let mut spec = vm_spec(&format!("v{i}"), &disk.id);
        spec.subnet = Some(net.id.clone());
        let vm = sim.create(CreateSpec::Vm(spec)).await.unwrap();
        addresses.push(vm.attr_str("private_ip").unwrap().to_string());
    }
    assert_eq!(addresses, ["10.9.0.4", "10.9.0.5", "10.9.0.6"]);
    let disk = root_disk(&sim, "v3").await;
    let mut spec = vm_spec("v3", &disk.id);
    spec.subnet = Some(net.id.clone());
    let msg = capacity(sim.create(CreateSpec::Vm(spec)).await);
    assert!(msg.contains(&net.id) && msg.contains("no free private addresses"), "{msg}");
    assert!(invalid(subnet(&sim, None, "10.8.0.0/30").await).contains("no usable addresses"));

    // Without a subnet, a VM lands on its zone's default network.
    let vm = vm(&sim, "plain").await;
    assert_eq!(vm.attr_str("private_ip"), Some("172.16.0.4"));
}

#[tokio::test]
async fn network_objects_refuse_what_depends_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vpc =
        sim.create(CreateSpec::Vpc { name: "n".into(), tag: "vpc".into(), cidr: "10.0.0.0/16".into() }).await.unwrap();
    assert!(invalid(subnet(&sim, Some(&vpc.id), "10.1.0.0/24").await).contains("not inside"));
    assert!(invalid(subnet(&sim, Some(&vpc.id), "10.0.0.1/24").await).contains("did you mean 10.0.0.0/24"));
    let net = subnet(&sim, Some(&vpc.id), "10.0.1.0/24").await.unwrap();
    assert!(invalid(subnet(&sim, Some(&vpc.id), "10.0.1.128/25").await).contains("overlaps"));
    let sg = sim
        .create(CreateSpec::SecurityGroup { name: "g".into(), tag: "sg".into(), vpc: Some(vpc.id.clone()) })
        .await
        .unwrap();
    let disk = root_disk(&sim, "web").await;
    let mut spec = vm_spec("web", &disk.id);
    spec.subnet = Some(net.id.clone());
    spec.security_groups = vec![sg.id.clone()];
    let vm = sim.create(CreateSpec::Vm(spec)).await.unwrap();

    let msg = conflict(sim.delete(ResourceKind::Vpc, &vpc.id).await);
    assert_eq!(msg, format!("vpc {} still has 1 subnet", vpc.id));
    assert!(conflict(sim.delete(ResourceKind::Subnet, &net.id).await).contains("still has 1 VM"));
    assert!(conflict(sim.delete(ResourceKind::SecurityGroup, &sg.id).await).contains("is used by 1 VM"));

    sim.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    sim.delete(ResourceKind::Subnet, &net.id).await.unwrap();
    assert!(conflict(sim.delete(ResourceKind::Vpc, &vpc.id).await).contains("1 security group"));
    sim.delete(ResourceKind::SecurityGroup, &sg.id).await.unwrap();
    sim.delete(ResourceKind::Vpc, &vpc.id).await.unwrap();

    let bad = RuleSpec {
        id: "r9".into(),
        direction: "inbound".into(),
        protocol: "tcp".into(),
        port_from: Some(100),
        port_to: Some(90),
        remote_cidr: "0.0.0.0/0".into(),
    };
    let sg = sim.create(CreateSpec::SecurityGroup { name: "g".into(), tag: "sg2".into(), vpc: None }).await.unwrap();
    assert!(invalid(sim.security_group_set_rules(&sg.id, &[bad]).await).starts_with("rule r9: port_to"));
    let key = CreateSpec::KeyPair { name: "k".into(), tag: "k".into(), public_key: "not a key".into() };
    assert!(invalid(sim.create(key).await).contains("OpenSSH"));
}

#[tokio::test]
async fn disks_follow_attachment_rules() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vm = vm(&sim, "web").await;
    let root = vm.attr_str("root_disk").unwrap().to_string();
    let data = sim.create(disk_spec("data", ZONE, 50, DiskSource::Blank)).await.unwrap();
    let far = sim.create(disk_spec("far", "sim-1c", 50, DiskSource::Blank)).await.unwrap();

    assert!(conflict(sim.delete(ResourceKind::Disk, &root).await).contains("attached to"));
    assert!(conflict(sim.disk_detach(&root, &vm.id).await).contains("root disk"));
    assert!(invalid(sim.disk_attach(&far.id, &vm.id).await).contains("zone sim-1c"));
    assert!(conflict(sim.disk_detach(&data.id, &vm.id).await).contains("not attached"));

    sim.disk_attach(&data.id, &vm.id).await.unwrap();
    assert!(conflict(sim.disk_attach(&data.id, &vm.id).await).contains("already attached"));
    let r = sim.get(ResourceKind::Disk, &data.id).await.unwrap();
    assert_eq!((r.status, r.attr_str("attached_to")), (ProviderStatus::InUse, Some(vm.id.as_str())));
    assert_eq!(sim.get(ResourceKind::Vm, &vm.id).await.unwrap().attrs["disks"], json!([root, data.id]));
    assert!(conflict(sim.delete(ResourceKind::Disk, &data.id).await).contains("detach it first"));

    assert!(invalid(sim.disk_extend(&data.id, 40).await).contains("can only grow"));
    sim.disk_extend(&data.id, 80).await.unwrap();
    let r = sim.get(ResourceKind::Disk, &data.id).await.unwrap();
    assert_eq!((r.status, r.attr_i64("size_gb")), (ProviderStatus::InUse, Some(80)));

    sim.disk_detach(&data.id, &vm.id).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Disk, &data.id).await, ProviderStatus::Available);
    sim.delete(ResourceKind::Disk, &data.id).await.unwrap();

    // A VM boots only from an available root disk of its own zone.
    assert!(conflict(sim.create(CreateSpec::Vm(vm_spec("again", &root))).await).contains("attached to"));
    assert!(invalid(sim.create(CreateSpec::Vm(vm_spec("far", &far.id))).await).contains("zone"));
    let err = sim.create(CreateSpec::Vm(vm_spec("none", "disk-000000000000"))).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound { kind: ResourceKind::Disk, .. }), "{err}");
}

#[tokio::test]
async fn vm_actions_follow_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), latency(json!({"vm_resize": 500})));
    let vm = vm(&sim, "web").await;
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Start).await).contains("is running; start needs it stopped"));

    let bigger = VmAction::Resize { instance_type: "m1.xlarge".into(), vcpus: 4, memory_mib: 16384 };
    sim.vm_action(&vm.id, bigger).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Resizing);
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Stop { force: false }).await).contains("is resizing"));
    let r = sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], WAIT).await.unwrap().unwrap();
    assert_eq!((r.attr_i64("vcpus"), r.attr_str("instance_type")), (Some(4), Some("m1.xlarge")));

    sim.vm_action(&vm.id, VmAction::Stop { force: false }).await.unwrap();
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Stop { force: true }).await).contains("stop needs it running"));
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Reboot { hard: false }).await).contains("soft reboot"));
    let smaller = VmAction::Resize { instance_type: "t1.small".into(), vcpus: 1, memory_mib: 2048 };
    sim.vm_action(&vm.id, smaller).await.unwrap();
    let r = sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Stopped], WAIT).await.unwrap().unwrap();
    assert_eq!(r.attr_i64("memory_mib"), Some(2048), "a stopped VM stays stopped after a resize");
    sim.vm_action(&vm.id, VmAction::Start).await.unwrap();
    sim.vm_action(&vm.id, VmAction::Reboot { hard: false }).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Running);
    let tiny = VmAction::Resize { instance_type: "x".into(), vcpus: 0, memory_mib: 64 };
    assert!(invalid(sim.vm_action(&vm.id, tiny).await).contains("at least 1 vCPU"));
}

#[tokio::test]
async fn sysprep_takes_a_running_vm_to_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), latency(json!({"vm_sysprep": 300})));
    let vm = vm(&sim, "tmpl").await;
    sim.vm_action(&vm.id, VmAction::Sysprep).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Stopping, "the guest is cleaning up");
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Sysprep).await).contains("is stopping; sysprep needs it running"));
    sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Stopped], WAIT).await.unwrap().expect("powered off");
    assert!(conflict(sim.vm_action(&vm.id, VmAction::Sysprep).await).contains("is stopped; sysprep needs it running"));
}

#[tokio::test]
async fn images_and_snapshots_come_from_consistent_disks() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let msg = invalid(sim.create(disk_spec("x", ZONE, 20, DiskSource::Image("ubuntu-99.04".into()))).await);
    assert!(msg.contains("unknown image \"ubuntu-99.04\"") && msg.contains("ubuntu-22.04"), "{msg}");
    let msg = invalid(sim.create(disk_spec("x", ZONE, 30, DiskSource::Image("windows-server-2022".into()))).await);
    assert!(msg.contains("between 50 and 2048 GB"), "{msg}");

    let vm = vm(&sim, "web").await;
    let root = vm.attr_str("root_disk").unwrap().to_string();
    // The generic cloud images a running VM's disk (crash-consistent) as well as a
    // stopped one's.
    let running = CreateSpec::Image { name: "live".into(), tag: "img-live".into(), disk: root.clone() };
    sim.create(running).await.unwrap();
    let snap =
        sim.create(CreateSpec::Snapshot { name: "s".into(), tag: "snap".into(), disk: root.clone() }).await.unwrap();
    assert_eq!(snap.attr_i64("size_gb"), Some(20));
    sim.vm_action(&vm.id, VmAction::Stop { force: false }).await.unwrap();
    let image =
        sim.create(CreateSpec::Image { name: "mine".into(), tag: "img".into(), disk: root.clone() }).await.unwrap();

    // Disks from one's own image and snapshot keep the lineage (the console knows the OS).
    let from_image = sim.create(disk_spec("c1", ZONE, 20, DiskSource::Image(image.id.clone()))).await.unwrap();
    assert_eq!(from_image.attr_str("base_image"), Some("ubuntu-22.04"));
    assert!(
        invalid(sim.create(disk_spec("c2", ZONE, 10, DiskSource::Image(image.id.clone()))).await)
            .contains("between 20")
    );
    let from_snap = sim.create(disk_spec("c3", ZONE, 25, DiskSource::Snapshot(snap.id.clone()))).await.unwrap();
    assert_eq!(from_snap.attr_str("base_image"), Some("ubuntu-22.04"));
    let err =
        sim.create(disk_spec("c4", ZONE, 25, DiskSource::Snapshot("snap-000000000000".into()))).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound { kind: ResourceKind::Snapshot, .. }), "{err}");
}

#[tokio::test]
async fn public_ips_associate_one_to_one_in_their_zone() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vm = vm(&sim, "web").await;
    let ip = |tag: &str, zone: &str| CreateSpec::PublicIp { name: "ip".into(), tag: tag.into(), zone: zone.into() };
    let a = sim.create(ip("a", ZONE)).await.unwrap();
    let b = sim.create(ip("b", ZONE)).await.unwrap();
    let far = sim.create(ip("far", "sim-1b")).await.unwrap();
    assert!(invalid(sim.public_ip_associate(&far.id, &vm.id).await).contains("zone"));
    sim.public_ip_associate(&a.id, &vm.id).await.unwrap();
    assert!(conflict(sim.public_ip_associate(&b.id, &vm.id).await).contains("already has public IP"));
    assert!(conflict(sim.delete(ResourceKind::PublicIp, &a.id).await).contains("disassociate it first"));
    assert!(conflict(sim.public_ip_disassociate(&b.id, &vm.id).await).contains("not associated"));
    sim.public_ip_disassociate(&a.id, &vm.id).await.unwrap();
    assert!(sim.get(ResourceKind::Vm, &vm.id).await.unwrap().attr_str("public_ip").is_none());
    sim.delete(ResourceKind::PublicIp, &a.id).await.unwrap();
    assert!(invalid(sim.create(ip("nowhere", "sim-9a")).await).contains("unknown zone"));
}
