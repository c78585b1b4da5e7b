//! A driver served by `router` and called through `RemoteDriver` answers as it would
//! in process: results come back whole, typed errors keep their variant, a disk's bytes
//! stream from one node to another, and a caller without the node's secret gets nothing.

use futures::StreamExt;
use gureum_driver::{CreateSpec, DiskExport, DiskManifest, DiskSource, Driver, DriverError, GuestUpdate, ResourceKind};
use gureum_qemu::testing::{qemu_io, same_content};
use gureum_qemu::{Accel, QemuDriver, QemuSettings, ZONE};
use gureum_remote::{RemoteDriver, router};
use gureum_sim::{SimDriver, SimSettings};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn sim(dir: &std::path::Path) -> Arc<dyn Driver> {
    let settings = SimSettings::parse(&serde_json::json!({"latency_ms": 0})).expect("settings");
    Arc::new(SimDriver::open(dir, "remote-test", "sim-1", "sim-1a", settings).expect("a sim cloud"))
}

/// Serves `driver` on a port of 127.0.0.1 for the holder of "gns_secret"; its URL.
async fn serve(driver: Arc<dyn Driver>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(driver, "gns_secret");
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_served_driver_answers_like_a_local_one() {
    let dir = tempfile::tempdir().unwrap();
    let served = sim(&dir.path().join("served"));
    let url = serve(served.clone()).await;
    let local = sim(&dir.path().join("local"));
    let remote = RemoteDriver::new("far-1", &url, "gns_secret", local.clone(), Duration::from_secs(10));

    let spec = CreateSpec::Disk {
        name: "d".into(),
        tag: "tag-1".into(),
        size_gb: 5,
        zone: "sim-1a".into(),
        volume_type: "SSD".into(),
        source: DiskSource::Blank,
    };
    let made = remote.create(spec).await.expect("created through the agent");
    assert_eq!(served.get(ResourceKind::Disk, &made.id).await.expect("the served host has it").id, made.id);
    assert!(local.get(ResourceKind::Disk, &made.id).await.is_err(), "the local driver was not used");
    let found = remote.find_by_tag(ResourceKind::Disk, "tag-1").await.unwrap().expect("found by tag");
    assert_eq!(found.id, made.id);
    match remote.get(ResourceKind::Vm, "vm-none").await {
        Err(DriverError::NotFound { kind: ResourceKind::Vm, id }) => assert_eq!(id, "vm-none"),
        other => panic!("not found keeps its type: {other:?}"),
    }
    assert_eq!(remote.info().driver, local.info().driver, "what needs no call comes from the local driver");

    let stranger = RemoteDriver::new("far-1", &url, "gns_wrong", local, Duration::from_secs(10));
    unavailable_with_401(stranger.list(ResourceKind::Disk).await);
}

/// Maintenance reaches a node: an update, the guest's facts and a revert go through the
/// agent, and a refusal keeps its type.
#[tokio::test]
async fn maintenance_calls_reach_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let served = sim(&dir.path().join("served"));
    let url = serve(served.clone()).await;
    let remote =
        RemoteDriver::new("far-1", &url, "gns_secret", sim(&dir.path().join("local")), Duration::from_secs(10));
    let root = CreateSpec::Disk {
        name: "root".into(),
        tag: "root".into(),
        size_gb: 20,
        zone: "sim-1a".into(),
        volume_type: "SSD".into(),
        source: DiskSource::Image("ubuntu-22.04".into()),
    };
    let root = remote.create(root).await.unwrap().id;
    let vm = gureum_driver::VmSpec {
        name: "vm".into(),
        tag: "vm".into(),
        hostname: "vm".into(),
        zone: "sim-1a".into(),
        instance_type: "t1.micro".into(),
        vcpus: 1,
        memory_mib: 1024,
        image: "ubuntu-22.04".into(),
        root_disk: root.clone(),
        subnet: None,
        security_groups: vec![],
        key_pair: None,
        public_key: None,
        user_data: None,
    };
    let vm = remote.create(CreateSpec::Vm(vm)).await.unwrap().id;
    let snap = remote.create(CreateSpec::Snapshot { name: "s".into(), tag: "s".into(), disk: root.clone() }).await;
    let snap = snap.unwrap().id;
    let change = GuestUpdate::ConfigChange { settings: [("vm.swappiness".into(), "10".into())].into() };
    remote.vm_update(&vm, &change).await.expect("an update through the agent");
    let facts = remote.guest_facts(&vm).await.expect("facts through the agent");
    assert_eq!(facts, served.guest_facts(&vm).await.unwrap());
    assert_eq!(facts.settings["vm.swappiness"], "10");
    match remote.disk_revert(&root, &snap).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains("stopped"), "{m}"),
        other => panic!("a refusal keeps its type: {other:?}"),
    }
    remote.vm_action(&vm, gureum_driver::VmAction::Stop { force: true }).await.unwrap();
    remote.disk_revert(&root, &snap).await.expect("a revert through the agent");
}

fn unavailable_with_401<T>(r: Result<T, DriverError>) {
    match r {
        Err(DriverError::Unavailable(m)) => assert!(m.contains("401"), "{m}"),
        Err(e) => panic!("a wrong secret is refused: {e:?}"),
        Ok(_) => panic!("a wrong secret is refused"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_streams_from_one_agent_to_another() {
    let Some(images_dir) = gureum_qemu::testing::images_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let qemu = |name: &str| -> Arc<QemuDriver> {
        let settings = QemuSettings { images_dir: images_dir.clone(), accel: Accel::Tcg };
        Arc::new(QemuDriver::open(&dir.path().join(name), settings).expect("a QEMU host"))
    };
    let (a, b, local) = (qemu("a"), qemu("b"), qemu("local"));
    let (url_a, url_b) = (serve(a.clone()).await, serve(b.clone()).await);
    let node = |name: &str, url: &str, secret: &str| {
        RemoteDriver::new(name, url, secret, local.clone(), Duration::from_secs(10))
    };
    let (node_a, node_b) = (node("a", &url_a, "gns_secret"), node("b", &url_b, "gns_secret"));

    let spec = CreateSpec::Disk {
        name: "vol".into(),
        tag: "vol-tag".into(),
        size_gb: 1,
        zone: ZONE.into(),
        volume_type: "SSD".into(),
        source: DiskSource::Image("tiny-linux".into()),
    };
    let disk = node_a.create(spec).await.unwrap();
    let path = |d: &gureum_driver::ProviderResource| d.attr_str("path").expect("a path").to_string();
    // More than axum's 2 MiB default body limit, which must not cut an import.
    qemu_io(Path::new(&path(&disk)), "write -P 0x3c 100M 8M");
    let started = Instant::now();
    let DiskExport { manifest, content } = node_a.disk_export(&disk.id).await.unwrap();
    assert_eq!((manifest.tag.as_str(), manifest.boot_image.as_deref()), ("vol-tag", Some("tiny-linux")));
    let moved = node_b.disk_import(manifest.clone(), content).await.expect("imported through the agents");
    eprintln!("a 1 GiB disk with 8 MiB written, agent to agent: {:?}", started.elapsed());
    let on_b = b.get(ResourceKind::Disk, &moved.id).await.expect("node b has it");
    assert!(same_content(Path::new(&path(&disk)), Path::new(&path(&on_b))), "the same bytes on both nodes");
    qemu_io(Path::new(&path(&on_b)), "read -P 0x3c 100M 8M");

    let unknown = DiskManifest { boot_image: Some("windows-11".into()), ..manifest.clone() };
    let content = node_a.disk_export(&disk.id).await.unwrap().content;
    match node_b.disk_import(unknown, content).await {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains("windows-11"), "{m}"),
        other => panic!("the importing node's error keeps its type: {other:?}"),
    }
    match node_a.disk_export("disk-000000000000").await {
        Err(DriverError::NotFound { kind: ResourceKind::Disk, id }) => assert_eq!(id, "disk-000000000000"),
        Err(e) => panic!("the exporting node's error keeps its type: {e:?}"),
        Ok(_) => panic!("a missing disk is not found"),
    }
    unavailable_with_401(node("a", &url_a, "gns_wrong").disk_export(&disk.id).await);
    // A stranger's upload is not read: a small one, all sent before the refusal comes.
    let content = futures::stream::iter([Ok(bytes::Bytes::from_static(b"QFI\xfb"))]).boxed();
    unavailable_with_401(node("b", &url_b, "gns_wrong").disk_import(manifest, content).await);

    // An import whose source stops sending is ended, and the node it was going to keeps nothing.
    let DiskExport { manifest, content } = node_a.disk_export(&disk.id).await.unwrap();
    let stalled = content.take(1).chain(futures::stream::pending()).boxed();
    let impatient = node("b", &url_b, "gns_secret").with_transfer_stall(Duration::from_millis(500));
    match impatient.disk_import(manifest, stalled).await {
        Err(DriverError::Timeout(m)) => assert!(m.contains("stood still"), "{m}"),
        other => panic!("a stalled import times out: {other:?}"),
    }
    let DiskExport { manifest, content } = node_a.disk_export(&disk.id).await.unwrap();
    let broken = content.take(1).chain(futures::stream::iter([Err(std::io::Error::other("link down"))])).boxed();
    match node_b.disk_import(manifest, broken).await {
        Err(DriverError::Unavailable(m)) => assert!(m.contains("broke off: link down"), "{m}"),
        other => panic!("a source that breaks off is named as the cause: {other:?}"),
    }
    let disks_b = dir.path().join("b/disks");
    let part_gone =
        || std::fs::read_dir(&disks_b).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().ends_with(".part"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !part_gone() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(part_gone(), "the receiving node removed what it had received");
    assert_eq!(b.list(ResourceKind::Disk).await.unwrap().len(), 1, "refused imports made no disk");
}
