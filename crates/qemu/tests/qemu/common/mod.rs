//! What the QEMU tests share: a driver on a fresh directory of this host, and the
//! disks and VMs they make.

use gureum_driver::{CreateSpec, DiskSource};
use gureum_qemu::{Accel, QemuDriver, QemuSettings, ZONE};
use std::time::Duration;

/// How long a tiny-linux guest may take to boot under TCG on a busy host.
pub const BOOT: Duration = Duration::from_secs(120);

/// A driver on a fresh directory, whose guests are killed when the test ends; `None`
/// (skip) when this host has no QEMU.
pub struct Host {
    pub driver: QemuDriver,
    /// For reopening the driver; not every test does.
    #[allow(dead_code)]
    pub settings: QemuSettings,
    // Dropped before `dir`: the guests go before their files.
    _guests: gureum_qemu::testing::KillGuests,
    pub dir: tempfile::TempDir,
}

impl Host {
    pub fn new() -> Option<Host> {
        let images_dir = gureum_qemu::testing::images_dir()?;
        let dir = tempfile::tempdir().unwrap();
        let settings = QemuSettings { images_dir, accel: Accel::Auto };
        let driver = QemuDriver::open(dir.path(), settings.clone()).unwrap();
        let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
        Some(Host { driver, settings, _guests, dir })
    }
}

/// A disk tagged `<name>-tag`.
pub fn disk(name: &str, size_gb: i64, source: DiskSource) -> CreateSpec {
    CreateSpec::Disk {
        name: name.into(),
        tag: format!("{name}-tag"),
        size_gb,
        zone: ZONE.into(),
        volume_type: "SSD".into(),
        source,
    }
}

/// A small tiny-linux VM tagged `<name>-tag`, booting from `root_disk`.
pub fn vm(name: &str, root_disk: &str) -> CreateSpec {
    CreateSpec::Vm(gureum_qemu::testing::tiny_vm(name, &format!("{name}-tag"), root_disk))
}
