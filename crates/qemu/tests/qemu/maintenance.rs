//! Maintenance on real guests: a stopped VM's kernel upgrade from bookworm's 6.1 to
//! backports' 6.12 shows in what the booted guest reports; a configuration change sets
//! a sysctl in the running guest without a restart; a kernel whose initramfs lacks the
//! virtio drivers never gets the VM to Running, and going back to the old kernel does;
//! a disk reverted to its snapshot has the snapshot's contents and still boots; a
//! setting of a system installed on its disk holds across the upgrade's restart.

use crate::common;

use common::{BOOT, Host};
use gureum_driver::{CreateSpec, DiskSource, Driver, DriverError, GuestUpdate, ProviderStatus, ResourceKind, VmAction};
use gureum_qemu::READY_MARKER;
use gureum_qemu::testing::qemu_io;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Whether tiny-linux has backports' kernel too (build.sh builds it when the apt sources
/// have bookworm-backports); the caller skips without it, except under CI=true.
fn has_new_kernel(host: &Host) -> bool {
    let image = std::fs::read_to_string(host.settings.images_dir.join("tiny-linux/image.json")).unwrap();
    let found = image.contains("\"6.12.");
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "CI must build the 6.12 kernel: {image}");
    if !found {
        eprintln!("skipping a kernel upgrade test: tiny-linux has one kernel (no bookworm-backports in apt)");
    }
    found
}

fn kernel(prefix: &str) -> GuestUpdate {
    GuestUpdate::KernelUpgrade { kernel: prefix.into() }
}

/// A VM of tiny-linux on a root disk of its own, Running.
async fn running_vm(driver: &impl Driver, name: &str) -> (String, String) {
    let root = driver.create(common::disk(name, 1, DiskSource::Image("tiny-linux".into()))).await.unwrap();
    let vm = driver.create(common::vm(name, &root.id)).await.unwrap();
    driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap();
    (vm.id, root.id)
}

async fn stop(driver: &impl Driver, vm: &str, force: bool) {
    driver.vm_action(vm, VmAction::Stop { force }).await.unwrap();
    driver.wait(ResourceKind::Vm, vm, &[ProviderStatus::Stopped], BOOT).await.unwrap();
}

async fn start(driver: &impl Driver, vm: &str) {
    driver.vm_action(vm, VmAction::Start).await.unwrap();
    driver.wait(ResourceKind::Vm, vm, &[ProviderStatus::Running], BOOT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kernel_upgrade_boots_the_new_kernel_and_a_config_change_needs_no_restart() {
    let Some(host) = Host::new().filter(has_new_kernel) else { return };
    let driver = &host.driver;
    let (vm, _) = running_vm(driver, "upgrade").await;
    let before = driver.guest_facts(&vm).await.unwrap();
    let old = before.kernel.clone().expect("the guest says its kernel");
    assert!(old.starts_with("6.1."), "bookworm's kernel boots by default: {before:?}");
    assert_eq!(driver.get(ResourceKind::Vm, &vm).await.unwrap().attr_str("kernel"), Some(old.as_str()));
    assert!(before.os_version.as_deref().is_some_and(|v| v.starts_with("tiny-linux-")), "{before:?}");

    // A configuration change: the running guest's sysctls, read back with no restart.
    let pid = driver.get(ResourceKind::Vm, &vm).await.unwrap().attr_i64("pid");
    let settings = BTreeMap::from([("vm.swappiness".to_string(), "13".to_string())]);
    let change = GuestUpdate::ConfigChange { settings };
    driver.vm_update(&vm, &change).await.unwrap();
    driver.vm_update(&vm, &change).await.unwrap();
    let facts = driver.guest_facts(&vm).await.unwrap();
    assert_eq!(facts.settings.get("vm.swappiness").map(String::as_str), Some("13"), "{facts:?}");
    assert!(facts.settings.contains_key("kernel.domainname"), "reported before it is ever set: {facts:?}");
    let now = driver.get(ResourceKind::Vm, &vm).await.unwrap();
    assert_eq!((now.status, now.attr_i64("pid")), (ProviderStatus::Running, pid), "the same process runs on");
    assert_eq!(driver.console_log(&vm).await.unwrap().matches(READY_MARKER).count(), 1, "no reboot");
    let bad = GuestUpdate::ConfigChange { settings: BTreeMap::from([("vm.no_such".into(), "1".into())]) };
    match driver.vm_update(&vm, &bad).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains("no sysctl vm.no_such"), "{m}"),
        other => panic!("an unknown sysctl is refused by the guest: {other:?}"),
    }

    match driver.vm_update(&vm, &kernel("6.12")).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains("stop the VM first"), "{m}"),
        other => panic!("a running VM's kernel is not changed: {other:?}"),
    }
    stop(driver, &vm, false).await;
    match driver.vm_update(&vm, &kernel("5.10")).await {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains("installed") && m.contains(&old), "{m}"),
        other => panic!("an unknown kernel names the installed ones: {other:?}"),
    }
    assert!(matches!(driver.guest_facts(&vm).await, Err(DriverError::Conflict(_))), "a stopped VM has no facts");
    driver.vm_update(&vm, &kernel("6.12")).await.unwrap();
    driver.vm_update(&vm, &kernel("6.12")).await.unwrap();
    start(driver, &vm).await;
    let after = driver.guest_facts(&vm).await.unwrap();
    let new = after.kernel.clone().expect("the guest says its kernel");
    assert!(new.starts_with("6.12."), "backports' kernel boots after the upgrade: {after:?}");
    assert_eq!(driver.get(ResourceKind::Vm, &vm).await.unwrap().attr_str("kernel"), Some(new.as_str()));
    let log = driver.console_log(&vm).await.unwrap();
    assert!(log.contains(&format!("kernel={new}")), "the readiness line names it: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_kernel_never_gets_running_and_the_old_one_brings_the_vm_back() {
    let Some(host) = Host::new().filter(has_new_kernel) else { return };
    let driver = &host.driver;
    let (vm, _) = running_vm(driver, "broken").await;
    let previous = driver.guest_facts(&vm).await.unwrap().kernel.expect("a kernel");
    stop(driver, &vm, true).await;
    driver.vm_update(&vm, &kernel("broken")).await.unwrap();
    driver.vm_action(&vm, VmAction::Start).await.unwrap();
    match driver.wait(ResourceKind::Vm, &vm, &[ProviderStatus::Running], Duration::from_secs(40)).await {
        Err(DriverError::Timeout(_)) => {}
        other => panic!("a guest without its drivers is never ready: {other:?}"),
    }
    let log = driver.console_log(&vm).await.unwrap();
    assert!(log.contains("not ready: no network card"), "the guest says why: {log}");
    assert_eq!(driver.get(ResourceKind::Vm, &vm).await.unwrap().status, ProviderStatus::Starting);
    assert!(matches!(driver.guest_facts(&vm).await, Err(DriverError::Conflict(_))), "no facts before ready");

    stop(driver, &vm, true).await;
    driver.vm_update(&vm, &kernel(&previous)).await.unwrap();
    start(driver, &vm).await;
    let facts = driver.guest_facts(&vm).await.unwrap();
    assert_eq!(facts.kernel.as_deref(), Some(previous.as_str()), "the exact release boots again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_disk_reverted_to_its_snapshot_has_its_contents_and_boots() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let (vm, root) = running_vm(driver, "revert").await;
    let file = PathBuf::from(driver.get(ResourceKind::Disk, &root).await.unwrap().attr_str("path").expect("a file"));
    stop(driver, &vm, true).await;
    qemu_io(&file, "write -P 0xa5 1M 1M");
    let snap = CreateSpec::Snapshot { name: "before".into(), tag: "before-tag".into(), disk: root.clone() };
    let snap = driver.create(snap).await.unwrap();
    qemu_io(&file, "write -P 0x5a 1M 1M");
    start(driver, &vm).await;
    match driver.disk_revert(&root, &snap.id).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains("stop the VM first"), "{m}"),
        other => panic!("a running VM's disk is not reverted: {other:?}"),
    }
    stop(driver, &vm, false).await;
    driver.disk_revert(&root, &snap.id).await.unwrap();
    driver.disk_revert(&root, &snap.id).await.unwrap();
    qemu_io(&file, "read -P 0xa5 1M 1M");
    let info = std::process::Command::new("qemu-img").args(["info", "--output=json"]).arg(&file).output().unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let base = info["backing-filename"].as_str().unwrap_or_default();
    assert!(base.ends_with("tiny-linux/disk.qcow2"), "still an overlay of its image: {info}");
    start(driver, &vm).await;
    assert_eq!(driver.console_log(&vm).await.unwrap().matches(READY_MARKER).count(), 3, "it boots");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_systems_settings_hold_across_its_upgrade_to_the_new_kernel() {
    let Some(host) = Host::new().filter(has_new_kernel) else { return };
    let driver = &host.driver;
    // A blank root disk: the guest installs a system there and boots it from then on.
    let blank = driver.create(common::disk("installed", 1, DiskSource::Blank)).await.unwrap();
    let vm = driver.create(common::vm("installed", &blank.id)).await.unwrap().id;
    driver.wait(ResourceKind::Vm, &vm, &[ProviderStatus::Running], BOOT).await.unwrap();
    let settings = BTreeMap::from([("kernel.domainname".to_string(), "maint.example".to_string())]);
    driver.vm_update(&vm, &GuestUpdate::ConfigChange { settings }).await.unwrap();
    stop(driver, &vm, false).await;
    driver.vm_update(&vm, &kernel("6.12")).await.unwrap();
    start(driver, &vm).await;
    let facts = driver.guest_facts(&vm).await.unwrap();
    assert!(facts.kernel.as_deref().is_some_and(|k| k.starts_with("6.12.")), "{facts:?}");
    let log = driver.console_log(&vm).await.unwrap();
    assert_eq!(facts.settings["kernel.domainname"], "maint.example", "kept on its disk: {log}");
    assert!(log.lines().rfind(|l| l.starts_with(READY_MARKER)).is_some_and(|l| l.contains("system=disk")), "{log}");
}
