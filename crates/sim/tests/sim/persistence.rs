//! The cloud outlives its driver: state, ids and transitions under way survive a reopen.

use super::*;
use gureum_driver::{DriverError, VmAction};
use std::fs;

fn journal_lines(dir: &Path) -> usize {
    fs::read_to_string(dir.join("conn-1.jsonl")).unwrap().lines().count()
}

#[tokio::test]
async fn state_survives_a_reopen_with_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (vm, ip) = {
        let sim = instant(dir.path());
        let vm = vm(&sim, "web").await;
        let ip = sim
            .create(CreateSpec::PublicIp { name: "ip".into(), tag: "t-ip".into(), zone: ZONE.into() })
            .await
            .unwrap();
        sim.public_ip_associate(&ip.id, &vm.id).await.unwrap();
        sim.vm_action(&vm.id, VmAction::Stop { force: false }).await.unwrap();
        (sim.get(ResourceKind::Vm, &vm.id).await.unwrap(), sim.get(ResourceKind::PublicIp, &ip.id).await.unwrap())
    };
    let sim = instant(dir.path());
    assert_eq!(sim.get(ResourceKind::Vm, &vm.id).await.unwrap(), vm);
    assert_eq!(sim.get(ResourceKind::PublicIp, &ip.id).await.unwrap(), ip);
    assert_eq!(sim.find_by_tag(ResourceKind::Vm, "web").await.unwrap().unwrap().id, vm.id);
    assert_eq!(vm.status, ProviderStatus::Stopped);

    // The indexes are rebuilt too: addresses in use are not handed out again.
    let other = super::vm(&sim, "other").await;
    assert_ne!(other.attr_str("private_ip"), vm.attr_str("private_ip"));
    let ip2 =
        sim.create(CreateSpec::PublicIp { name: "ip2".into(), tag: "t-ip2".into(), zone: ZONE.into() }).await.unwrap();
    assert_ne!(ip2.attr_str("address"), ip.attr_str("address"));
    let err = sim.delete(ResourceKind::Disk, vm.attr_str("root_disk").unwrap()).await.unwrap_err();
    assert!(matches!(err, DriverError::Conflict(_)), "{err}");
}

#[tokio::test]
async fn transitions_under_way_complete_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let slow = || open(dir.path(), latency(json!({"vm_create": 300, "vm_delete": 300})));
    let (vm, disk) = {
        let sim = slow();
        let vm = vm(&sim, "web").await;
        assert_eq!(vm.status, ProviderStatus::Creating);
        let disk = vm.attr_str("root_disk").unwrap().to_string();
        (vm.id, disk)
    };
    let sim = slow();
    let r = sim.wait(ResourceKind::Vm, &vm, &[ProviderStatus::Running], WAIT).await.unwrap().unwrap();
    assert_eq!(r.status, ProviderStatus::Running);

    sim.delete(ResourceKind::Vm, &vm).await.unwrap();
    drop(sim);
    // The delete comes due while nothing has the cloud open; opening completes it,
    // with what it implies (the root disk is released).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sim = slow();
    assert!(matches!(sim.get(ResourceKind::Vm, &vm).await, Err(DriverError::NotFound { .. })));
    assert_eq!(status(&sim, ResourceKind::Disk, &disk).await, ProviderStatus::Available);
}

#[tokio::test]
async fn the_journal_is_compacted_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let sim = instant(dir.path());
        let keep = sim.create(disk_spec("keep", ZONE, 10, DiskSource::Blank)).await.unwrap();
        for size in 11..20 {
            sim.disk_extend(&keep.id, size).await.unwrap();
        }
        for i in 0..5 {
            let d = sim.create(disk_spec(&format!("tmp{i}"), ZONE, 10, DiskSource::Blank)).await.unwrap();
            sim.delete(ResourceKind::Disk, &d.id).await.unwrap();
        }
        assert_eq!(journal_lines(dir.path()), 20, "a line per changing call");
    }
    let sim = instant(dir.path());
    assert_eq!(journal_lines(dir.path()), 1, "one line per live record");
    let disks = sim.list(ResourceKind::Disk).await.unwrap();
    assert_eq!(disks.len(), 1);
    assert_eq!(disks[0].attr_i64("size_gb"), Some(19));
}

#[tokio::test]
async fn a_torn_last_line_is_ignored_but_damage_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conn-1.jsonl");
    let id = {
        let sim = instant(dir.path());
        sim.create(disk_spec("d", ZONE, 10, DiskSource::Blank)).await.unwrap().id
    };
    // What a kill -9 in the middle of a write leaves.
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("{\"put\":{\"id\":\"disk-0");
    fs::write(&path, &text).unwrap();
    {
        let sim = instant(dir.path());
        assert_eq!(status(&sim, ResourceKind::Disk, &id).await, ProviderStatus::Available);
    }
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("not json\n{text}")).unwrap();
    let err = SimDriver::open(dir.path(), "conn-1", "sim-1", ZONE, SimSettings::instant()).err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
}

#[tokio::test]
async fn handles_on_one_cloud_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = instant(dir.path());
    let b = open(dir.path(), settings(json!({"latency_ms": 0, "fault_rate": 1})));
    let vm = vm(&a, "web").await;
    assert_eq!(b.get(ResourceKind::Vm, &vm.id).await.unwrap().id, vm.id);
    assert!(b.delete(ResourceKind::Vm, &vm.id).await.is_err(), "each handle keeps its own settings");
    assert_eq!(a.stats(), b.stats());
    drop(a);
    drop(b);
    let moved = SimDriver::open(dir.path(), "conn-1", "sim-2", "sim-2a", SimSettings::instant());
    assert!(moved.is_ok(), "a closed cloud can be reopened in any region");
    let err = SimDriver::open(dir.path(), "conn-1", "sim-1", "sim-1a", SimSettings::instant()).err().unwrap();
    assert!(err.to_string().contains("open for sim-2"), "{err}");
}

#[test]
fn open_refuses_a_zone_outside_the_region_and_unsafe_ids() {
    let dir = tempfile::tempdir().unwrap();
    let err = SimDriver::open(dir.path(), "c", "sim-1", "sim-2a", SimSettings::default()).err().unwrap();
    assert!(err.to_string().contains("sim-1a, sim-1b, sim-1c"), "{err}");
    assert!(SimDriver::open(dir.path(), "../x", "sim-1", "sim-1a", SimSettings::default()).is_err());
}
