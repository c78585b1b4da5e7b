//! The driver's state is its directory: a driver opened again (gureum restarted) finds
//! its running VM by id and tag, and a VM whose QEMU process died is in error, with the
//! reason, until it is started again (with the disk hot-plugged before on its port); a
//! resize restarts a running VM with the new shape.

use crate::common;

use common::{BOOT, Host};
use gureum_driver::{
    DiskSource, Driver, DriverError, Intent, ProviderResource, ProviderStatus, ResourceKind, VmAction,
};
use gureum_qemu::{QemuDriver, ZONE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_driver_reattaches_and_a_dead_process_is_an_error() {
    let Some(host) = Host::new() else { return };
    let Host { driver, settings, ref dir, .. } = host;
    let disk = driver.create(common::disk("root", 1, DiskSource::Image("tiny-linux".into()))).await.unwrap();
    let data = driver.create(common::disk("data", 1, DiskSource::Blank)).await.unwrap();
    let vm = driver.create(common::vm("box", &disk.id)).await.unwrap();
    let running = driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap().unwrap();
    let pid = running.attr_i64("pid").expect("a running VM has a pid");
    assert_eq!(driver.get(ResourceKind::Disk, &disk.id).await.unwrap().attr_str("attached_to"), Some(vm.id.as_str()));
    driver.disk_attach(&data.id, &vm.id).await.unwrap();
    drop(driver);

    let driver = QemuDriver::open(dir.path(), settings).unwrap();
    let found = driver.find_by_tag(ResourceKind::Vm, "box-tag").await.unwrap().expect("found by its tag");
    assert_eq!((found.id.as_str(), found.status), (vm.id.as_str(), ProviderStatus::Running));
    assert_eq!(found.attr_i64("pid"), Some(pid), "the same process, not a new one");

    let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    // SIGKILL is delivered, not awaited: the process is dead once the kernel has reaped it.
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    for _ in 0..500 {
        if !proc_dir.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let dead = driver.get(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!(dead.status, ProviderStatus::Error, "a VM whose process died is in error: {dead:?}");
    let reason = dead.status_reason.unwrap_or_default();
    assert!(reason.contains("QEMU process is gone"), "{reason}");

    driver.vm_action(&vm.id, VmAction::Start).await.unwrap();
    driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap();
    let log = driver.console_log(&vm.id).await.unwrap();
    let boot = &log[log.rfind("Linux version").unwrap()..];
    assert!(boot.contains("tiny-linux: disk vdb added"), "the disk hot-plugged before is back on relaunch: {boot}");
    driver.disk_detach(&data.id, &vm.id).await.unwrap();
    assert_eq!(driver.get(ResourceKind::Disk, &data.id).await.unwrap().status, ProviderStatus::Available);

    // A running VM is powered down and relaunched with the new shape; a stopped one
    // only gets it for its next launch.
    let resize = |vcpus: i64, memory_mib: i64| VmAction::Resize {
        instance_type: format!("{vcpus}x{memory_mib}"),
        vcpus,
        memory_mib,
    };
    let shape = |r: &ProviderResource| (r.attr_i64("vcpus"), r.attr_i64("memory_mib"));
    driver.vm_action(&vm.id, resize(2, 256)).await.unwrap();
    let resized = driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap().unwrap();
    assert_eq!(shape(&resized), (Some(2), Some(256)));
    let pid = resized.attr_i64("pid").expect("a pid");
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap().replace('\0', " ");
    assert!(cmdline.contains("-m 256 -smp 2"), "the new process has the new shape: {cmdline}");
    let log = driver.console_log(&vm.id).await.unwrap();
    assert!(log.contains("reboot: Power down"), "the guest was powered down over ACPI first: {log}");
    driver.vm_action(&vm.id, VmAction::Stop { force: true }).await.unwrap();
    assert_eq!(driver.get(ResourceKind::Vm, &vm.id).await.unwrap().status, ProviderStatus::Stopped);
    driver.vm_action(&vm.id, resize(1, 512)).await.unwrap();
    let resized = driver.get(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!((resized.status, shape(&resized)), (ProviderStatus::Stopped, (Some(1), Some(512))));

    driver.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    assert!(matches!(driver.get(ResourceKind::Vm, &vm.id).await, Err(DriverError::NotFound { .. })));
    assert_eq!(driver.get(ResourceKind::Disk, &disk.id).await.unwrap().status, ProviderStatus::Available);
    for d in [&disk, &data] {
        driver.delete(ResourceKind::Disk, &d.id).await.unwrap();
    }
    let left: Vec<_> = ["vms", "disks", "ips", "images"]
        .iter()
        .flat_map(|d| std::fs::read_dir(dir.path().join(d)).unwrap().flatten().map(|e| e.path()))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn what_the_host_cannot_do_is_refused_before_any_call() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let vm = |image, vcpus, memory_mib| Intent::Vm {
        instance_type: "t1.micro",
        vcpus,
        memory_mib,
        gpu: false,
        image,
        os_family: "linux",
        zone: ZONE,
        root_size_gb: 1,
    };
    assert_eq!(driver.precheck(&vm("tiny-linux", 1, 1024)), Ok(()));
    let refused = driver.precheck(&vm("ubuntu-22.04", 1, 1024)).unwrap_err();
    assert_eq!(refused.field, "image");
    assert!(refused.message.contains("tiny-linux"), "names the images it has: {}", refused.message);
    assert_eq!(driver.precheck(&vm("tiny-linux", 4096, 1024)).unwrap_err().field, "instance_type");
    assert_eq!(driver.precheck(&vm("tiny-linux", 1, 1 << 40)).unwrap_err().field, "instance_type");
    assert_eq!(driver.precheck(&Intent::ImageFromVm { vm_stopped: true }), Ok(()));
    assert!(driver.precheck(&Intent::ImageFromVm { vm_stopped: false }).unwrap_err().conflict);
}
