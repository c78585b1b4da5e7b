//! The records the driver keeps, one JSON file each, written atomically (a temporary file
//! renamed over the old one) so a crash never leaves half a record.

use gureum_driver::{DiskSource, DriverError, DriverResult, ProviderStatus, ResourceKind, RuleSpec, VmSpec};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the user last asked of a VM's power; with the process's liveness it gives the
/// status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum Power {
    Running,
    /// ACPI power-down sent; the process is ended at `deadline_ms` if still up.
    Stopping {
        deadline_ms: u64,
    },
    Stopped,
    /// ACPI power-down sent so that the VM comes back with a new shape: relaunched once
    /// the guest is off, or at `deadline_ms` by force.
    Restarting {
        deadline_ms: u64,
    },
}

impl Power {
    /// A stop or a resize under way, which the driver carries through (see `settle`).
    pub(crate) fn in_transition(self) -> bool {
        matches!(self, Power::Stopping { .. } | Power::Restarting { .. })
    }
}

/// A data disk and the hot-plug port (`pcie-root-port` number) it is on: every launch
/// puts it back where the guest last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DataDisk {
    pub disk: String,
    pub port: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VmRecord {
    pub id: String,
    /// The create as asked, without the key and user data (they are the guest's
    /// fw_cfg files).
    pub spec: VmSpec,
    /// The image whose kernel and initramfs boot the VM.
    pub boot_image: String,
    /// The kernel release of `boot_image` the VM boots (a kernel upgrade's choice); `None`
    /// for the image's default.
    #[serde(default)]
    pub kernel: Option<String>,
    pub data_disks: Vec<DataDisk>,
    pub public_ip: Option<String>,
    pub power: Power,
    /// Length of the serial log when the current boot began: the readiness marker
    /// counts only after it.
    pub boot_offset: u64,
    /// What the VM shows until the guest is ready: starting, or rebooting.
    pub booting: ProviderStatus,
    pub created_ms: u64,
}

impl VmRecord {
    /// The root disk, then the data disks in attach order.
    pub fn disks(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.spec.root_disk).chain(self.data_disks.iter().map(|d| &d.disk))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DiskRecord {
    pub id: String,
    pub name: String,
    pub tag: String,
    pub size_gb: i64,
    pub zone: String,
    pub volume_type: String,
    pub source: DiskSource,
    pub base_image: Option<String>,
    /// The directory image a blank disk was booted with as a VM's root disk, asked to
    /// install a system on it (a template's disk): its kernel boots that system.
    #[serde(default)]
    pub installed_by: Option<String>,
    pub attached_to: Option<String>,
    pub created_ms: u64,
}

/// A my-image: a flattened copy of a root disk, booted by the kernel of `boot_image`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageRecord {
    pub id: String,
    pub name: String,
    pub tag: String,
    /// The directory image (under images_dir) whose kernel and initramfs boot it.
    pub boot_image: String,
    pub size_gb: i64,
    pub source_disk: String,
    pub created_ms: u64,
}

/// A snapshot: a standalone qcow2 copy of a disk at one instant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SnapshotRecord {
    pub id: String,
    pub name: String,
    pub tag: String,
    pub disk: String,
    pub size_gb: i64,
    pub zone: String,
    /// The directory image whose kernel boots a disk made from it (a root disk's), if any.
    pub boot_image: Option<String>,
    pub created_ms: u64,
}

/// A security group: its rules decide a VM's port forwards and outbound access.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SgRecord {
    pub id: String,
    pub name: String,
    pub tag: String,
    pub rules: Vec<RuleSpec>,
    pub created_ms: u64,
}

/// Guest TCP port → the port of 127.0.0.1 forwarded to it.
pub(crate) type Forwards = BTreeMap<u16, u16>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IpRecord {
    pub id: String,
    pub name: String,
    pub tag: String,
    pub zone: String,
    /// The IP's own port on 127.0.0.1 (its address), the one forwarded to the guest's
    /// port 22.
    pub port: u16,
    /// What the IP forwards while its VM runs: guest TCP port → port on 127.0.0.1, one
    /// per port the VM's security groups open (port 22's is `port`); empty when detached.
    #[serde(default)]
    pub forwards: Forwards,
    pub attached_to: Option<String>,
    pub created_ms: u64,
}

/// Where a connection's records and files are.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn vm_dir(&self, id: &str) -> PathBuf {
        self.root.join("vms").join(id)
    }

    /// The directory of each kind's records (the kinds the driver keeps).
    pub const DIRS: [(ResourceKind, &str); 6] = [
        (ResourceKind::Vm, "vms"),
        (ResourceKind::Disk, "disks"),
        (ResourceKind::PublicIp, "ips"),
        (ResourceKind::Image, "images"),
        (ResourceKind::SecurityGroup, "sgs"),
        (ResourceKind::Snapshot, "snapshots"),
    ];

    fn dir(&self, kind: ResourceKind) -> PathBuf {
        let (_, dir) = Self::DIRS.iter().find(|(k, _)| *k == kind).expect("a kind the driver keeps");
        self.root.join(dir)
    }

    pub fn record(&self, kind: ResourceKind, id: &str) -> PathBuf {
        match kind {
            ResourceKind::Vm => self.vm_dir(id).join("vm.json"),
            _ => self.dir(kind).join(format!("{id}.json")),
        }
    }

    pub fn disk_image(&self, id: &str) -> PathBuf {
        self.dir(ResourceKind::Disk).join(format!("{id}.qcow2"))
    }

    /// A my-image's disk.
    pub fn image_file(&self, id: &str) -> PathBuf {
        self.dir(ResourceKind::Image).join(format!("{id}.qcow2"))
    }

    pub fn snapshot_file(&self, id: &str) -> PathBuf {
        self.dir(ResourceKind::Snapshot).join(format!("{id}.qcow2"))
    }

    /// The ids of every record of `kind`.
    pub fn ids(&self, kind: ResourceKind) -> Vec<String> {
        let suffix = if kind == ResourceKind::Vm { "" } else { ".json" };
        let mut ids: Vec<String> = std::fs::read_dir(self.dir(kind))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(suffix).map(str::to_string))
            .filter(|id| self.record(kind, id).is_file())
            .collect();
        ids.sort();
        ids
    }

    pub fn load<T: DeserializeOwned>(&self, kind: ResourceKind, id: &str) -> DriverResult<T> {
        let path = self.record(kind, id);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DriverError::NotFound { kind, id: id.to_string() });
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        serde_json::from_str(&text).map_err(|e| DriverError::Provider {
            code: "corrupt_record".into(),
            message: format!("{}: {e}", path.display()),
        })
    }

    pub fn save<T: Serialize>(&self, kind: ResourceKind, id: &str, value: &T) -> DriverResult<()> {
        let path = self.record(kind, id);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(value).expect("records serialize");
        std::fs::write(&tmp, text).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))
    }
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> DriverError {
    DriverError::Provider { code: "io".into(), message: format!("{}: {e}", path.display()) }
}
