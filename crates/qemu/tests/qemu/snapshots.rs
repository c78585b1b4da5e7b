//! A snapshot is a standalone qcow2 copy of a disk at one instant: of a detached disk by
//! qemu-img, of a running VM's disk live (the guest runs on, not rebooted, and what it
//! wrote is in the copy). A disk made from a snapshot has its data, boots when it was a
//! root disk's, and keeps the snapshot from being deleted while it exists.

use crate::common;

use common::{BOOT, Host};
use gureum_driver::{
    CreateSpec, DiskSource, Driver, DriverError, ProviderResource, ProviderStatus, ResourceKind, VmSpec,
};
use gureum_qemu::READY_MARKER;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Runs one qemu-io command on a qcow2 file; whether it succeeded (a `read -P` whose
/// pattern does not match fails).
fn qemu_io(file: &Path, command: &str) -> bool {
    let out = Command::new("qemu-io").args(["-f", "qcow2", "-c", command]).arg(file).output().expect("run qemu-io");
    out.status.success()
}

/// What `qemu-img info` says of a qcow2 file (which may be open by a VM).
fn qemu_img_info(file: &Path) -> Value {
    let out = Command::new("qemu-img").args(["info", "-U", "--output=json"]).arg(file).output().expect("qemu-img");
    assert!(out.status.success(), "qemu-img info {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("qemu-img info's JSON")
}

fn file_of(r: &ProviderResource) -> PathBuf {
    PathBuf::from(r.attr_str("path").expect("a file"))
}

fn snapshot_of(disk: &ProviderResource) -> CreateSpec {
    CreateSpec::Snapshot {
        name: format!("{}-snap", disk.name),
        tag: format!("{}-snap", disk.id),
        disk: disk.id.clone(),
    }
}

fn from_snapshot(name: &str, size_gb: i64, snapshot: &ProviderResource) -> CreateSpec {
    common::disk(name, size_gb, DiskSource::Snapshot(snapshot.id.clone()))
}

#[tokio::test]
async fn a_detached_disks_snapshot_keeps_its_data_and_goes_once_no_disk_is_made_of_it() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let data = driver.create(common::disk("data", 2, DiskSource::Blank)).await.unwrap();
    assert!(qemu_io(&file_of(&data), "write -P 0xa5 0 1M"));
    let snap = driver.create(snapshot_of(&data)).await.unwrap();
    assert_eq!(snap.status, ProviderStatus::Available);
    let attrs = (snap.attr_str("disk"), snap.attr_i64("size_gb"), snap.attr_str("base_image"));
    assert_eq!(attrs, (Some(data.id.as_str()), Some(2), None), "{snap:?}");
    let info = qemu_img_info(&file_of(&snap));
    assert_eq!((info.get("backing-filename"), &info["virtual-size"]), (None, &Value::from(2u64 << 30)), "{info}");
    assert!(qemu_io(&file_of(&data), "write -P 0x5a 0 1M"), "the disk changes after its snapshot");

    let small = driver.create(from_snapshot("small", 1, &snap)).await;
    match small {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains("2 GB") && m.contains("1 GB"), "{m}"),
        other => panic!("a disk smaller than its snapshot is refused: {other:?}"),
    }
    let restored = driver.create(from_snapshot("restored", 3, &snap)).await.unwrap();
    assert_eq!(restored.attr_str("base_image"), None, "a blank disk's snapshot boots nothing");
    assert!(qemu_io(&file_of(&restored), "read -P 0xa5 0 1M"), "the disk has the data of the snapshot's instant");
    assert!(qemu_io(&file_of(&data), "read -P 0x5a 0 1M"), "the snapshotted disk keeps its own");
    assert_eq!(qemu_img_info(&file_of(&restored))["virtual-size"], 3u64 << 30);

    let found = driver.find_by_tag(ResourceKind::Snapshot, &format!("{}-snap", data.id)).await.unwrap();
    assert_eq!(found.map(|f| f.id), Some(snap.id.clone()), "found by its tag");
    match driver.delete(ResourceKind::Snapshot, &snap.id).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains(&restored.id), "names the disk made from it: {m}"),
        other => panic!("a snapshot a disk is made of stays: {other:?}"),
    }
    driver.delete(ResourceKind::Disk, &restored.id).await.unwrap();
    driver.delete(ResourceKind::Snapshot, &snap.id).await.unwrap();
    let record = host.dir.path().join("snapshots").join(format!("{}.json", snap.id));
    assert!(!file_of(&snap).exists() && !record.exists(), "its file and record are gone");
    assert!(matches!(driver.get(ResourceKind::Snapshot, &snap.id).await, Err(DriverError::NotFound { .. })));
    assert!(matches!(driver.delete(ResourceKind::Snapshot, &snap.id).await, Err(DriverError::NotFound { .. })));
    assert!(driver.list(ResourceKind::Snapshot).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_vms_root_disk_is_copied_live_and_a_disk_from_the_copy_boots() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let root = driver.create(common::disk("root", 1, DiskSource::Image("tiny-linux".into()))).await.unwrap();
    // The guest writes 1 MiB of 0xa5 at 1 MiB of its root disk before it says it is ready.
    let write =
        "#!/bin/sh\ndd if=/dev/zero bs=1M count=1 | tr '\\000' '\\245' | dd of=/dev/vda bs=1M seek=1 conv=fsync\n";
    let CreateSpec::Vm(spec) = common::vm("first", &root.id) else { unreachable!() };
    let first = CreateSpec::Vm(VmSpec { user_data: Some(write.into()), ..spec });
    let vm = driver.create(first).await.unwrap();
    let running = driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap();
    let pid = running.expect("the VM runs").attr_i64("pid");

    let asked = Instant::now();
    let snap = driver.create(snapshot_of(&root)).await.unwrap();
    println!("live snapshot of a running VM's root disk: {:.2} s", asked.elapsed().as_secs_f64());
    let after = driver.get(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!((after.status, after.attr_i64("pid")), (ProviderStatus::Running, pid), "the VM runs on, same process");
    let log = driver.console_log(&vm.id).await.unwrap();
    assert_eq!(log.matches(READY_MARKER).count(), 1, "the guest was not rebooted: {log}");
    let info = qemu_img_info(&file_of(&snap));
    assert_eq!(info.get("backing-filename"), None, "the snapshot is a standalone qcow2: {info}");
    assert!(qemu_io(&file_of(&snap), "read -P 0xa5 1M 1M"), "the copy has what the guest wrote: {log}");
    assert_eq!(snap.attr_str("base_image"), Some("tiny-linux"), "a root disk's snapshot boots");

    let copy = driver.create(from_snapshot("copy", 1, &snap)).await.unwrap();
    assert_eq!(copy.attr_str("base_image"), Some("tiny-linux"));
    assert!(qemu_io(&file_of(&copy), "read -P 0xa5 1M 1M"), "the disk from the snapshot has it too");
    driver.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    let second = driver.create(common::vm("second", &copy.id)).await.unwrap();
    driver.wait(ResourceKind::Vm, &second.id, &[ProviderStatus::Running], BOOT).await.unwrap().expect("it boots");
    let log = driver.console_log(&second.id).await.unwrap();
    assert!(log.contains("GUREUM-READY hostname=second"), "{log}");

    driver.delete(ResourceKind::Vm, &second.id).await.unwrap();
    for disk in [&copy, &root] {
        driver.delete(ResourceKind::Disk, &disk.id).await.unwrap();
    }
    driver.delete(ResourceKind::Snapshot, &snap.id).await.unwrap();
}
