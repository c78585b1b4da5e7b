//! A plausible serial console for a simulated VM: synthetic, but shaped like the real
//! thing (kernel, cloud-init, login prompt) and following the VM's status, so the console
//! view and anything that looks for "cloud-init finished" have something real to show.

use crate::guest::Guest;
use crate::record::{Record, Vm};
use gureum_driver::ProviderStatus;
use gureum_model::catalog;
use gureum_model::image::OsFamily;
use std::fmt::Write;

pub(crate) fn render(rec: &Record, vm: &Vm, guest: &Guest) -> String {
    let image = vm.base_image.as_deref().and_then(catalog::image);
    if image.is_some_and(|i| i.os_family == OsFamily::Windows) {
        return windows(rec, vm);
    }
    let os = image.map_or_else(|| "Linux".to_string(), |i| format!("{} {}", i.distribution, i.version));
    let mut log = String::new();
    let mut line = |t: f64, s: &str| {
        let _ = writeln!(log, "[{t:>12.6}] {s}");
    };
    line(0.0, &format!("Linux version {} (gureum-sim) #1 SMP PREEMPT_DYNAMIC", guest.kernel));
    line(0.0, "Command line: BOOT_IMAGE=/boot/vmlinuz root=LABEL=cloudimg-rootfs ro console=ttyS0");
    line(0.012, &format!("Memory: {}K available", vm.memory_mib * 1024));
    line(0.048, &format!("smpboot: Allowing {} CPUs, 0 hotplug CPUs", vm.vcpus));
    line(0.733, &format!("virtio_blk virtio1: [vda] root disk {}", vm.root_disk));
    if rec.status == ProviderStatus::Creating {
        return log;
    }
    if rec.status == ProviderStatus::Error {
        line(1.204, "VFS: Cannot open root device \"LABEL=cloudimg-rootfs\" or unknown-block(0,0)");
        line(1.205, "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
        return log;
    }
    if !guest.boots() && matches!(rec.status, ProviderStatus::Starting | ProviderStatus::Rebooting) {
        line(1.204, "virtio_blk: module not found in the initramfs");
        line(181.3, "dracut-initqueue: Warning: Could not boot: LABEL=cloudimg-rootfs does not exist");
        return log;
    }
    line(1.951, "EXT4-fs (vda1): mounted filesystem with ordered data mode");
    let _ = writeln!(log, "Welcome to {os}!");
    let _ = writeln!(log, "cloud-init[512]: Cloud-init v. 24.1 running 'init' at boot. Up 3.10 seconds.");
    let _ = writeln!(log, "cloud-init[512]: ci-info: | eth0 | True | {} | private network |", vm.private_ip);
    let _ = writeln!(log, "cloud-init[512]: Set hostname to <{}>", vm.hostname);
    if let Some(kp) = &vm.key_pair {
        let _ = writeln!(log, "cloud-init[640]: Authorized keys from key pair {kp}");
    }
    let _ =
        writeln!(log, "cloud-init[701]: Cloud-init v. 24.1 finished. Datasource DataSourceGureumSim. Up 4.27 seconds");
    let _ = writeln!(log, "\n{os} {} ttyS0\n\n{} login:", vm.hostname, vm.hostname);
    if matches!(rec.status, ProviderStatus::Stopping | ProviderStatus::Stopped) {
        let _ = writeln!(log, "systemd-shutdown[1]: Syncing filesystems and block devices.");
        let _ = writeln!(log, "reboot: Power down");
    }
    log
}

fn windows(rec: &Record, vm: &Vm) -> String {
    let mut log = String::from("Windows Boot Manager\nStarting Windows...\n");
    if rec.status == ProviderStatus::Creating {
        return log;
    }
    let _ = writeln!(log, "cloudbase-init: Setting hostname to {}", vm.hostname);
    let _ = writeln!(log, "cloudbase-init: Network adapter configured with {}", vm.private_ip);
    let _ = writeln!(log, "cloudbase-init: Plugins execution done. Instance ready.");
    if matches!(rec.status, ProviderStatus::Stopping | ProviderStatus::Stopped) {
        let _ = writeln!(log, "The system is shutting down.");
    }
    log
}
