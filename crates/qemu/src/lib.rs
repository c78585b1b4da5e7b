//! A provider that runs each VM as its own QEMU process on this host.
//!
//! Everything lives under the connection's directory, so a restarted gureum finds its
//! VMs again: `vms/<id>/` holds a VM's record (`vm.json`), serial log, QMP socket and
//! pidfile; `disks/<id>.qcow2` are disks (a root disk is an overlay on its image);
//! `ips/<id>.json` are "public IPs", which on one host are forwards from ports of
//! 127.0.0.1 to the guest's TCP ports its security groups open (port 22 from the IP's
//! own port); `images/<id>.qcow2` are my-images, flattened
//! copies of root disks; `snapshots/<id>.qcow2` are snapshots, standalone copies of
//! disks; `sgs/<id>.json` are security groups and their rules. A VM's process is alive
//! when its pidfile names a process started with that pidfile; a VM meant to run whose
//! process is gone is in error.
//!
//! Images are directories `<images_dir>/<name>/` with `vmlinuz`, `initrd.img` and
//! `disk.qcow2` (see images/tiny-linux/build.sh): the kernel boots directly, and the
//! guest reports readiness by printing [`READY_MARKER`] on its serial console.

mod agent;
mod attachments;
mod disks;
mod driver;
mod factory;
mod files;
mod firewall;
mod forwards;
mod kernels;
mod lifecycle;
mod maintenance;
mod my_images;
mod qmp;
mod security_groups;
mod snapshots;
mod transfer;
mod vm;

pub use factory::{QemuFactory, factory};
pub use vm::{ImageFiles, bare_command, mac_of};

use gureum_driver::ResourceKind;
use gureum_model::validation::FieldError;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a guest prints on its serial console once it is up.
pub const READY_MARKER: &str = "GUREUM-READY";
pub const QEMU_SYSTEM: &str = "qemu-system-x86_64";
pub const QEMU_IMG: &str = "qemu-img";
/// The only region and zone of a host.
pub const REGION: &str = "local";
pub const ZONE: &str = "local-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// KVM when the host has hardware virtualization, else TCG.
    Auto,
    Kvm,
    Tcg,
}

impl Accel {
    pub fn as_str(self) -> &'static str {
        match self {
            Accel::Auto => "auto",
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    pub fn parse(s: &str) -> Option<Accel> {
        [Accel::Auto, Accel::Kvm, Accel::Tcg].into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QemuSettings {
    /// Where the guest images are (one directory per image).
    pub images_dir: PathBuf,
    pub accel: Accel,
}

impl QemuSettings {
    /// Validates a connection's `settings`: `images_dir` (required), `accel`.
    pub fn parse(value: &Value) -> Result<QemuSettings, FieldError> {
        let obj = value.as_object().ok_or_else(|| FieldError::new("settings", "must be a JSON object"))?;
        let mut images_dir = None;
        let mut accel = Accel::Auto;
        for (key, v) in obj {
            let field = format!("settings.{key}");
            match key.as_str() {
                "images_dir" => {
                    let dir = v.as_str().filter(|s| Path::new(s).is_absolute()).ok_or_else(|| {
                        FieldError::new(&field, "must be the absolute path of a directory of guest images")
                    })?;
                    images_dir = Some(PathBuf::from(dir));
                }
                "accel" => {
                    accel = v
                        .as_str()
                        .and_then(Accel::parse)
                        .ok_or_else(|| FieldError::new(&field, "must be one of auto, kvm, tcg"))?;
                }
                _ => return Err(FieldError::new(&field, "unknown setting; known: images_dir, accel")),
            }
        }
        let images_dir = images_dir.ok_or_else(|| FieldError::new("settings.images_dir", "is required"))?;
        Ok(QemuSettings { images_dir, accel })
    }
}

/// Why VMs cannot run on this host, if they cannot: a missing QEMU binary.
pub fn host_unusable() -> Option<String> {
    [QEMU_SYSTEM, QEMU_IMG].into_iter().find(|bin| find_in_path(bin).is_none()).map(not_installed)
}

pub(crate) fn not_installed(bin: &str) -> String {
    format!("{bin} is not installed on this host (apt-get install -t bookworm-backports qemu-system-x86)")
}

fn find_in_path(bin: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(bin)).find(|p| p.is_file())
}

/// Whether the host has usable hardware virtualization: vmx/svm exposed to this kernel
/// and a KVM that is not the paravirtual nested one (kvm_pvm), which cannot boot stock
/// guest kernels.
pub fn hardware_kvm() -> bool {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let has_vt =
        cpu.lines().filter(|l| l.starts_with("flags")).any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    has_vt && Path::new("/dev/kvm").exists() && !Path::new("/sys/module/kvm_pvm").exists()
}

/// The images in `images_dir` that can boot: those with a kernel, initramfs and base disk.
pub fn images(images_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(images_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| vm::ImageFiles::of(images_dir, &e.file_name().to_string_lossy()).is_some())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The driver of one connection.
/// Cheap to clone: clones share the locks (a stop or resize is carried through by a
/// task holding one, see lifecycle.rs).
#[derive(Clone)]
pub struct QemuDriver {
    root: PathBuf,
    settings: QemuSettings,
    accel: Accel,
    /// Serializes the calls that change records of several resources (a VM and its disks
    /// or IP, a group and its VMs); held briefly, never across a guest's boot.
    lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// One per VM, held by whatever talks to its process or writes its record: QMP takes
    /// one client at a time. Looks at a VM take only its lock, so VMs booting at once do
    /// not queue behind each other. Order: `lock` first, then a VM's.
    vm_locks: std::sync::Arc<VmLocks>,
}

type VmGuard = tokio::sync::OwnedMutexGuard<()>;
type VmLocks = std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>;

impl QemuDriver {
    async fn lock_vm(&self, id: &str) -> VmGuard {
        let lock = self.vm_locks.lock().expect("vm locks").entry(id.to_string()).or_default().clone();
        lock.lock_owned().await
    }

    /// Forgets a deleted VM's lock (its holder keeps the lock itself alive).
    fn forget_vm(&self, id: &str) {
        self.vm_locks.lock().expect("vm locks").remove(id);
    }
}

impl QemuDriver {
    /// Opens (creating) the connection's state under `dir`. A host without QEMU opens
    /// too: a server that runs no VM itself still drives the agents of a pool through
    /// the connection, and what would run QEMU here fails saying what is missing.
    pub fn open(dir: &Path, settings: QemuSettings) -> Result<QemuDriver, String> {
        // A socket path (QMP's, the agent's) must fit a sockaddr_un (108 bytes with its NUL).
        let longest_socket = dir.join("vms").join("vm-000000000000").join("agent.sock");
        if longest_socket.as_os_str().len() >= 108 {
            return Err(format!(
                "{} is too deep for QEMU's control sockets; use a shorter data directory",
                dir.display()
            ));
        }
        for (_, sub) in files::Layout::DIRS {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("creating {}: {e}", dir.join(sub).display()))?;
        }
        let accel = match settings.accel {
            Accel::Auto if hardware_kvm() => Accel::Kvm,
            Accel::Auto => Accel::Tcg,
            a => a,
        };
        let driver = QemuDriver {
            root: dir.to_path_buf(),
            settings,
            accel,
            lock: Default::default(),
            vm_locks: Default::default(),
        };
        // Stops and resizes under way when the last driver went carry on.
        for id in driver.layout().ids(ResourceKind::Vm) {
            if driver.layout().load::<files::VmRecord>(ResourceKind::Vm, &id).is_ok_and(|r| r.power.in_transition()) {
                driver.watch(&id);
            }
        }
        Ok(driver)
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// For tests that boot real guests.
#[cfg(feature = "testing")]
pub mod testing {
    use std::path::{Path, PathBuf};

    /// The directory of guest images with tiny-linux built in it (by
    /// images/tiny-linux/build.sh, which does nothing when it is up to date), or `None`
    /// when this host has no QEMU: then the caller skips, except under CI=true, where
    /// this fails.
    pub fn images_dir() -> Option<PathBuf> {
        if let Some(why) = super::host_unusable() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must run the QEMU tests: {why}");
            eprintln!("skipping a QEMU test: {why}");
            return None;
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let images = workspace.join("target/guest");
        let status = std::process::Command::new(workspace.join("images/tiny-linux/build.sh"))
            .arg(images.join("tiny-linux"))
            .status()
            .expect("run images/tiny-linux/build.sh");
        assert!(status.success(), "images/tiny-linux/build.sh failed");
        Some(images)
    }

    /// A VM of tiny-linux (1 vCPU, 256 MiB) booting `root_disk`, hostname `name`.
    pub fn tiny_vm(name: &str, tag: &str, root_disk: &str) -> gureum_driver::VmSpec {
        gureum_driver::VmSpec {
            name: name.into(),
            tag: tag.into(),
            hostname: name.into(),
            zone: super::ZONE.into(),
            instance_type: "t1.micro".into(),
            vcpus: 1,
            memory_mib: 256,
            image: "tiny-linux".into(),
            root_disk: root_disk.into(),
            subnet: None,
            security_groups: vec![],
            key_pair: None,
            public_key: None,
            user_data: None,
        }
    }

    /// Runs qemu-io's `command` (e.g. `write -P 0x5a 0 1M`, `read -P 0x5a 0 1M`) on the
    /// qcow2 `disk`; fails the test when qemu-io fails or a pattern does not match.
    pub fn qemu_io(disk: &Path, command: &str) {
        let out = std::process::Command::new("qemu-io")
            .args(["-f", "qcow2", "-c", command])
            .arg(disk)
            .output()
            .expect("run qemu-io (qemu-utils)");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && !said.contains("failed"), "qemu-io {command:?} on {}: {said}", disk.display());
    }

    /// Whether two disks (a backing chain counted as its overlay's content) hold the same bytes.
    pub fn same_content(a: &Path, b: &Path) -> bool {
        let status = std::process::Command::new(super::QEMU_IMG).args(["compare", "-q"]).arg(a).arg(b).status();
        status.expect("run qemu-img compare").success()
    }

    pub use crate::KillGuests;
}

/// Kills, when dropped, every QEMU process whose pidfile is under its directory: a
/// failing test leaves no daemonized guest behind. Outside `testing` because `gureum
/// bench` cleans up with it too.
pub struct KillGuests(pub PathBuf);

impl Drop for KillGuests {
    fn drop(&mut self) {
        let mut dirs = vec![self.0.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.file_name().is_some_and(|n| n == "qemu.pid")
                    && let Some(pid) = (crate::vm::VmFiles { dir: dir.clone() }).pid()
                {
                    let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_name_the_field_and_the_rule() {
        let ok = QemuSettings::parse(&json!({"images_dir": "/var/lib/gureum/images", "accel": "tcg"})).unwrap();
        assert_eq!((ok.images_dir, ok.accel), (PathBuf::from("/var/lib/gureum/images"), Accel::Tcg));
        let cases = [
            (json!({}), "settings.images_dir", "is required"),
            (json!({"images_dir": "images"}), "settings.images_dir", "absolute path"),
            (json!({"images_dir": "/i", "accel": "hvf"}), "settings.accel", "auto, kvm, tcg"),
            (json!({"images_dir": "/i", "cpu": "host"}), "settings.cpu", "unknown setting"),
            (json!([]), "settings", "JSON object"),
        ];
        for (value, field, rule) in cases {
            let e = QemuSettings::parse(&value).unwrap_err();
            assert_eq!(e.field, field, "{value}");
            assert!(e.rule.contains(rule), "{value}: {}", e.rule);
        }
    }

    #[test]
    fn a_vms_mac_is_its_own_and_the_same_in_every_build() {
        // A literal: a MAC that changed with the toolchain would renumber every guest's card.
        assert_eq!(mac_of("vm-000000000001"), "52:54:00:ee:4b:e2");
        assert_ne!(mac_of("vm-000000000001"), mac_of("vm-000000000002"));
    }
}
