//! Every kind's life: create, read, list, find by tag, delete; transitions over time.

use super::*;
use gureum_driver::{DriverError, RuleSpec, Support, VmAction};
use std::time::Instant;

fn rule(id: &str, port: i64) -> RuleSpec {
    RuleSpec {
        id: id.into(),
        direction: "inbound".into(),
        protocol: "tcp".into(),
        port_from: Some(port),
        port_to: Some(port),
        remote_cidr: "0.0.0.0/0".into(),
    }
}

#[tokio::test]
async fn every_kind_is_created_read_listed_found_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());

    let vpc = sim
        .create(CreateSpec::Vpc { name: "net".into(), tag: "t-vpc".into(), cidr: "10.0.0.0/16".into() })
        .await
        .unwrap();
    let subnet = sim
        .create(CreateSpec::Subnet {
            name: "web".into(),
            tag: "t-subnet".into(),
            vpc: Some(vpc.id.clone()),
            cidr: "10.0.1.0/24".into(),
            zone: ZONE.into(),
        })
        .await
        .unwrap();
    let sg = sim
        .create(CreateSpec::SecurityGroup { name: "web".into(), tag: "t-sg".into(), vpc: Some(vpc.id.clone()) })
        .await
        .unwrap();
    let outcomes = sim.security_group_set_rules(&sg.id, &[rule("r1", 22), rule("r2", 443)]).await.unwrap();
    assert!(outcomes.iter().all(|o| o.applied));
    assert_eq!(outcomes.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["r1", "r2"]);
    let kp = sim
        .create(CreateSpec::KeyPair {
            name: "me".into(),
            tag: "t-kp".into(),
            public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheSim me@host".into(),
        })
        .await
        .unwrap();
    let root = root_disk(&sim, "t-vm").await;
    let mut spec = vm_spec("t-vm", &root.id);
    spec.subnet = Some(subnet.id.clone());
    spec.security_groups = vec![sg.id.clone()];
    spec.key_pair = Some(kp.id.clone());
    let vm = sim.create(CreateSpec::Vm(spec)).await.unwrap();
    let data = sim.create(disk_spec("t-data", ZONE, 100, DiskSource::Blank)).await.unwrap();
    sim.disk_attach(&data.id, &vm.id).await.unwrap();
    let snap = sim
        .create(CreateSpec::Snapshot { name: "s".into(), tag: "t-snap".into(), disk: data.id.clone() })
        .await
        .unwrap();
    sim.disk_detach(&data.id, &vm.id).await.unwrap();
    let image =
        sim.create(CreateSpec::Image { name: "i".into(), tag: "t-img".into(), disk: data.id.clone() }).await.unwrap();
    let ip =
        sim.create(CreateSpec::PublicIp { name: "ip".into(), tag: "t-ip".into(), zone: ZONE.into() }).await.unwrap();
    sim.public_ip_associate(&ip.id, &vm.id).await.unwrap();

    let all = [
        (&vpc, "vpc-"),
        (&subnet, "subnet-"),
        (&sg, "sg-"),
        (&kp, "kp-"),
        (&root, "disk-"),
        (&vm, "vm-"),
        (&data, "disk-"),
        (&snap, "snap-"),
        (&image, "img-"),
        (&ip, "eip-"),
    ];
    for (r, prefix) in all {
        assert!(r.id.starts_with(prefix) && r.id.len() == prefix.len() + 12, "{}", r.id);
        let got = sim.get(r.kind, &r.id).await.unwrap();
        assert_eq!(got.tag, r.tag);
        assert!(sim.list(r.kind).await.unwrap().iter().any(|x| x.id == r.id));
        let found = sim.find_by_tag(r.kind, r.tag.as_deref().unwrap()).await.unwrap().unwrap();
        assert_eq!(found.id, r.id);
    }
    assert!(sim.find_by_tag(ResourceKind::Vm, "t-vpc").await.unwrap().is_none(), "tags are per kind");
    let err = sim.get(ResourceKind::Disk, &vm.id).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound { kind: ResourceKind::Disk, .. }), "{err}");

    let vm_now = sim.get(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!(vm_now.status, ProviderStatus::Running);
    assert_eq!(vm_now.attr_str("private_ip"), Some("10.0.1.4"), "first host after the reserved ones");
    assert_eq!(vm_now.attr_i64("vcpus"), Some(2));
    assert_eq!(vm_now.attr_str("zone"), Some(ZONE));
    assert_eq!(vm_now.attrs["disks"], json!([root.id]));
    let ip_now = sim.get(ResourceKind::PublicIp, &ip.id).await.unwrap();
    assert_eq!(ip_now.status, ProviderStatus::InUse);
    assert_eq!(ip_now.attr_str("attached_to"), Some(vm.id.as_str()));
    assert_eq!(vm_now.attr_str("public_ip"), ip_now.attr_str("address"));
    assert!(ip_now.attr_str("address").unwrap().starts_with("203.0.113."));
    assert_eq!(status(&sim, ResourceKind::Disk, &root.id).await, ProviderStatus::InUse);
    let sg_now = sim.get(ResourceKind::SecurityGroup, &sg.id).await.unwrap();
    assert_eq!(sg_now.attrs["rules"].as_array().unwrap().len(), 2);
    assert_eq!(sim.get(ResourceKind::Subnet, &subnet.id).await.unwrap().attr_i64("available_ips"), Some(250));
    let img_now = sim.get(ResourceKind::Image, &image.id).await.unwrap();
    assert_eq!((img_now.status, img_now.attr_i64("size_gb")), (ProviderStatus::Available, Some(100)));

    // Deleting the VM releases its disks and its public IP; gureum deletes them itself.
    sim.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Disk, &root.id).await, ProviderStatus::Available);
    let ip_now = sim.get(ResourceKind::PublicIp, &ip.id).await.unwrap();
    assert_eq!((ip_now.status, ip_now.attr_str("attached_to")), (ProviderStatus::Available, None));
    for (r, _) in all.iter().rev().filter(|(r, _)| r.kind != ResourceKind::Vm) {
        sim.delete(r.kind, &r.id).await.unwrap();
    }
    for (r, _) in all {
        let err = sim.get(r.kind, &r.id).await.unwrap_err();
        assert!(matches!(err, DriverError::NotFound { .. }), "{err}");
        assert!(sim.list(r.kind).await.unwrap().is_empty());
        assert!(sim.find_by_tag(r.kind, r.tag.as_deref().unwrap()).await.unwrap().is_none());
    }
    let err = sim.delete(ResourceKind::Vm, &vm.id).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound { .. }), "deleting what is gone: {err}");
}

#[tokio::test]
async fn transitions_take_their_latency_and_wait_sleeps_until_they_end() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough that a status read right after a call cannot miss the transition on a
    // loaded machine; the create's own answer is read at the call's instant.
    let sim = open(dir.path(), latency(json!({"disk_create": 50, "vm_create": 50, "vm_stop": 500, "vm_delete": 500})));

    let disk = sim.create(disk_spec("d", ZONE, 20, DiskSource::Image("rocky-9.4".into()))).await.unwrap();
    assert_eq!(disk.status, ProviderStatus::Creating);
    let disk = sim.wait(ResourceKind::Disk, &disk.id, &[ProviderStatus::Available], WAIT).await.unwrap().unwrap();
    assert_eq!(disk.status, ProviderStatus::Available);

    let vm = sim.create(CreateSpec::Vm(vm_spec("v", &disk.id))).await.unwrap();
    assert_eq!(vm.status, ProviderStatus::Creating);
    let vm = sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], WAIT).await.unwrap().unwrap();
    assert_eq!(vm.status, ProviderStatus::Running);

    sim.vm_action(&vm.id, VmAction::Stop { force: false }).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Stopping);
    let r = sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Stopped], WAIT).await.unwrap().unwrap();
    assert_eq!(r.status, ProviderStatus::Stopped);

    sim.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Deleting);
    assert_eq!(status(&sim, ResourceKind::Disk, &disk.id).await, ProviderStatus::InUse, "held until the VM is gone");
    assert!(sim.wait(ResourceKind::Vm, &vm.id, &[], WAIT).await.unwrap().is_none());
    assert_eq!(status(&sim, ResourceKind::Disk, &disk.id).await, ProviderStatus::Available);
}

#[tokio::test]
async fn wait_gives_up_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), latency(json!({"vpc_create": 60_000})));
    let vpc =
        sim.create(CreateSpec::Vpc { name: "n".into(), tag: "t".into(), cidr: "10.0.0.0/16".into() }).await.unwrap();
    let started = Instant::now();
    let err = sim
        .wait(ResourceKind::Vpc, &vpc.id, &[ProviderStatus::Available], Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30), "returns at the timeout, not at the transition's end");
    let err = sim.wait(ResourceKind::Vpc, "vpc-000000000000", &[ProviderStatus::Available], WAIT).await.unwrap_err();
    assert!(matches!(err, DriverError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn console_log_follows_the_vm() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vm = vm(&sim, "web").await;
    let log = sim.console_log(&vm.id).await.unwrap();
    assert!(log.contains("Set hostname to <web-host>"), "{log}");
    assert!(log.contains("Cloud-init v. 24.1 finished"), "{log}");
    assert!(log.contains("Ubuntu 22.04"), "{log}");
    sim.vm_action(&vm.id, VmAction::Stop { force: true }).await.unwrap();
    assert!(sim.console_log(&vm.id).await.unwrap().contains("reboot: Power down"));
    assert!(matches!(sim.console_log("vm-000000000000").await, Err(DriverError::NotFound { .. })));
}

#[tokio::test]
async fn info_describes_the_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), SimSettings::default());
    let info = sim.info();
    assert_eq!((info.driver.as_str(), info.profile.as_deref()), ("sim", Some("generic")));
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert!(ResourceKind::ALL.iter().all(|k| info.support(*k) == Support::Native));
    assert_eq!(info.details["zones"], json!(["sim-1a", "sim-1b", "sim-1c"]));
    assert_eq!(info.details["settings"]["latency_ms"]["vm_create"], 3000);
    assert_eq!(info.details["settings"]["capacity"]["vcpus"], 2000);
}

#[tokio::test]
async fn stats_count_calls_and_the_most_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "hang_rate": {"vpc_create": 1}, "hang_ms": 200})));
    let create =
        |tag: &str| sim.create(CreateSpec::Vpc { name: "n".into(), tag: tag.into(), cidr: "10.0.0.0/16".into() });
    // Polled together on one task: each call enters before any of them ends.
    let (a, b, c) = tokio::join!(create("a"), create("b"), create("c"));
    assert!([a, b, c].iter().all(|r| matches!(r, Err(DriverError::Timeout(_)))));
    // A call its caller abandons is no longer in flight.
    assert!(tokio::time::timeout(Duration::from_millis(10), create("d")).await.is_err());
    sim.list(ResourceKind::Vpc).await.unwrap();
    let stats = sim.stats();
    assert_eq!((stats.calls_total, stats.in_flight, stats.max_in_flight), (5, 0, 3));
    assert_eq!(stats.per_operation.get("vpc_create"), Some(&4));
    assert_eq!(stats.per_operation.get("list"), Some(&1));
    assert_eq!(stats.per_operation.len(), 2);
}
