//! Lean provisioning on real guests: a template VM boots tiny-linux as install media on
//! a blank root disk and installs a system there, which it then boots from (what it
//! writes survives a stop and start); sysprep generalizes that system and powers the VM
//! off; a my-image of the template's disk is a version, read-only, and disks made from
//! it are linked clones whose VMs each get their own identity at first boot.

use crate::common;

use common::{BOOT, Host};
use gureum_driver::{CreateSpec, DiskSource, Driver, DriverError, ProviderResource, ProviderStatus, ResourceKind};
use gureum_driver::{VmAction, VmSpec};
use gureum_qemu::{QemuDriver, READY_MARKER, mac_of};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

const INSTALLED: &str = "tiny-linux: installed a system on vda";
/// Counts its boots in a file of the installed system, so persistence shows on the console.
const COUNT_BOOTS: &str =
    "#!/bin/sh\nmkdir -p /var/lib\necho boot >> /var/lib/hello\necho \"hello boots=$(wc -l < /var/lib/hello)\"\n";

/// The fields of the last readiness line on the VM's console.
async fn ready(driver: &QemuDriver, vm: &str) -> HashMap<String, String> {
    let log = driver.console_log(vm).await.unwrap();
    let line = log.lines().rev().find(|l| l.starts_with(READY_MARKER)).unwrap_or_else(|| panic!("not ready: {log}"));
    line.split_whitespace().filter_map(|w| w.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect()
}

async fn boot(driver: &QemuDriver, name: &str, disk: &str, user_data: Option<&str>) -> ProviderResource {
    let CreateSpec::Vm(spec) = common::vm(name, disk) else { unreachable!() };
    let spec = VmSpec { user_data: user_data.map(str::to_string), ..spec };
    driver.create(CreateSpec::Vm(spec)).await.unwrap()
}

async fn wait(driver: &QemuDriver, vm: &str, status: ProviderStatus) {
    let seen = driver.wait(ResourceKind::Vm, vm, &[status], BOOT).await.unwrap();
    assert!(seen.is_some(), "vm {vm} is not {status:?}: {}", driver.console_log(vm).await.unwrap());
}

fn sha256(file: &Path) -> String {
    let out = std::process::Command::new("sha256sum").arg(file).output().expect("run sha256sum");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("a digest").to_string()
}

fn file_of(r: &ProviderResource) -> PathBuf {
    PathBuf::from(r.attr_str("path").expect("a file"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_installs_is_sysprepped_and_its_version_clones_boot_with_their_own_identity() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let blank = driver.create(common::disk("tmpl", 1, DiskSource::Blank)).await.unwrap();
    let plain_disk = driver.create(common::disk("plain", 1, DiskSource::Image("tiny-linux".into()))).await.unwrap();
    let tmpl = boot(driver, "tmpl", &blank.id, Some(COUNT_BOOTS)).await;
    let plain = boot(driver, "plain", &plain_disk.id, None).await;
    wait(driver, &tmpl.id, ProviderStatus::Running).await;
    wait(driver, &plain.id, ProviderStatus::Running).await;

    let log = driver.console_log(&tmpl.id).await.unwrap();
    assert!(log.contains(INSTALLED) && log.contains("hello boots=1"), "{log}");
    let first = ready(driver, &tmpl.id).await;
    assert_eq!((first["hostname"].as_str(), first["system"].as_str()), ("tmpl", "disk"), "{first:?}");
    assert_eq!(first["mac"], mac_of(&tmpl.id));
    assert_eq!(first["machine_id"].len(), 32, "{first:?}");
    assert!(first["host_key"].starts_with("SHA256:"), "{first:?}");
    let disk = driver.get(ResourceKind::Disk, &blank.id).await.unwrap();
    assert_eq!(disk.attr_str("installed_by"), Some("tiny-linux"));

    // A plain VM runs from RAM, as before: nothing installed, nothing to generalize.
    let log = driver.console_log(&plain.id).await.unwrap();
    assert!(!log.contains(INSTALLED) && log.contains("GUREUM-READY hostname=plain key=none cpus=1 mem="), "{log}");
    assert_eq!(ready(driver, &plain.id).await["system"], "ram");
    match driver.vm_action(&plain.id, VmAction::Sysprep).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains(&plain.id) && m.contains("RAM"), "{m}"),
        other => panic!("a guest with no installed system refuses sysprep: {other:?}"),
    }
    driver.delete(ResourceKind::Vm, &plain.id).await.unwrap();

    // The installed system survives a stop and start, identity included.
    driver.vm_action(&tmpl.id, VmAction::Stop { force: false }).await.unwrap();
    wait(driver, &tmpl.id, ProviderStatus::Stopped).await;
    driver.vm_action(&tmpl.id, VmAction::Start).await.unwrap();
    wait(driver, &tmpl.id, ProviderStatus::Running).await;
    let log = driver.console_log(&tmpl.id).await.unwrap();
    assert!(log.contains("hello boots=2") && log.matches(INSTALLED).count() == 1, "{log}");
    let second = ready(driver, &tmpl.id).await;
    assert_eq!((&second["machine_id"], &second["host_key"]), (&first["machine_id"], &first["host_key"]));

    driver.vm_action(&tmpl.id, VmAction::Sysprep).await.unwrap();
    wait(driver, &tmpl.id, ProviderStatus::Stopped).await;
    assert!(driver.console_log(&tmpl.id).await.unwrap().contains("tiny-linux: sysprep done"));
    match driver.vm_action(&tmpl.id, VmAction::Sysprep).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains("not running"), "{m}"),
        other => panic!("a stopped VM cannot be sysprepped: {other:?}"),
    }

    // The template's version: a read-only flattened copy of its disk.
    let spec = CreateSpec::Image { name: "tmpl-v1".into(), tag: "tmpl-v1-tag".into(), disk: blank.id.clone() };
    let version = driver.create(spec).await.unwrap();
    assert_eq!(version.attr_str("boot_image"), Some("tiny-linux"), "{version:?}");
    let image_file = file_of(&version);
    let mode = std::fs::metadata(&image_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444, "nothing may write a version");
    let digest = sha256(&image_file);

    let mut clones = vec![];
    for name in ["clone-a", "clone-b"] {
        let asked = Instant::now();
        let disk = driver.create(common::disk(name, 1, DiskSource::Image(version.id.clone()))).await.unwrap();
        println!("linked clone {name} of the version: {:.1} ms", asked.elapsed().as_secs_f64() * 1000.0);
        clones.push((boot(driver, name, &disk.id, Some(COUNT_BOOTS)).await, disk));
    }
    let mut seen: Vec<HashMap<String, String>> = vec![first];
    for (vm, _) in &clones {
        wait(driver, &vm.id, ProviderStatus::Running).await;
        let log = driver.console_log(&vm.id).await.unwrap();
        assert!(!log.contains(INSTALLED) && log.contains("hello boots=3"), "the template's system: {log}");
        let fields = ready(driver, &vm.id).await;
        assert_eq!((fields["hostname"].as_str(), fields["system"].as_str()), (vm.name.as_str(), "disk"));
        assert_eq!(fields["mac"], mac_of(&vm.id));
        for other in &seen {
            for field in ["machine_id", "host_key", "mac"] {
                assert_ne!(fields[field], other[field], "{field} is each VM's own: {fields:?} {other:?}");
            }
        }
        seen.push(fields);
    }

    let (vm, disk) = &clones[0];
    driver.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    driver.delete(ResourceKind::Disk, &disk.id).await.unwrap();
    assert_eq!(sha256(&image_file), digest, "deleting a clone leaves its version as it was");
    match driver.delete(ResourceKind::Image, &version.id).await {
        Err(DriverError::Conflict(m)) => assert!(m.contains(&clones[1].1.id), "{m}"),
        other => panic!("a version with a clone stays: {other:?}"),
    }
}
