use serde::{Deserialize, Serialize};

gureum_model::spelled_enum! {
    pub enum ResourceKind {
        Vpc => "vpc",
        Subnet => "subnet",
        SecurityGroup => "security_group",
        KeyPair => "key_pair",
        Vm => "vm",
        Disk => "disk",
        Snapshot => "snapshot",
        Image => "image",
        PublicIp => "public_ip",
    }
}

gureum_model::spelled_enum! {
    /// Provider statuses, normalized across providers.
    pub enum ProviderStatus {
        Creating => "creating",
        Available => "available",
        InUse => "in_use",
        Starting => "starting",
        Running => "running",
        Stopping => "stopping",
        Stopped => "stopped",
        Rebooting => "rebooting",
        Resizing => "resizing",
        Updating => "updating",
        Deleting => "deleting",
        Error => "error",
    }
}

/// A resource as the provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderResource {
    pub kind: ResourceKind,
    /// The provider's id.
    pub id: String,
    pub name: String,
    /// gureum's id of the resource, when gureum created it.
    pub tag: Option<String>,
    pub status: ProviderStatus,
    pub status_reason: Option<String>,
    /// Kind-specific facts: `private_ip`, `address`, `size_gb`, `attached_to`, `zone`,
    /// `vcpus`, `memory_mib`, `disks`…
    #[serde(default)]
    pub attrs: serde_json::Map<String, serde_json::Value>,
}

impl ProviderResource {
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(|v| v.as_str())
    }

    pub fn attr_i64(&self, key: &str) -> Option<i64> {
        self.attrs.get(key).and_then(|v| v.as_i64())
    }
}

/// Where a new disk's contents come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DiskSource {
    Blank,
    /// A public image by name, or a provider image id.
    Image(String),
    Snapshot(String),
}

/// What to create. Every spec carries gureum's id as `tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CreateSpec {
    Vpc {
        name: String,
        tag: String,
        cidr: String,
    },
    Subnet {
        name: String,
        tag: String,
        vpc: Option<String>,
        cidr: String,
        zone: String,
    },
    SecurityGroup {
        name: String,
        tag: String,
        vpc: Option<String>,
    },
    KeyPair {
        name: String,
        tag: String,
        public_key: String,
    },
    Disk {
        name: String,
        tag: String,
        size_gb: i64,
        zone: String,
        volume_type: String,
        source: DiskSource,
    },
    Vm(VmSpec),
    Snapshot {
        name: String,
        tag: String,
        disk: String,
    },
    /// An image from a disk (my-image of a stopped VM's root disk, or a volume upload).
    Image {
        name: String,
        tag: String,
        disk: String,
    },
    PublicIp {
        name: String,
        tag: String,
        zone: String,
    },
}

impl CreateSpec {
    pub fn kind(&self) -> ResourceKind {
        match self {
            CreateSpec::Vpc { .. } => ResourceKind::Vpc,
            CreateSpec::Subnet { .. } => ResourceKind::Subnet,
            CreateSpec::SecurityGroup { .. } => ResourceKind::SecurityGroup,
            CreateSpec::KeyPair { .. } => ResourceKind::KeyPair,
            CreateSpec::Disk { .. } => ResourceKind::Disk,
            CreateSpec::Vm(_) => ResourceKind::Vm,
            CreateSpec::Snapshot { .. } => ResourceKind::Snapshot,
            CreateSpec::Image { .. } => ResourceKind::Image,
            CreateSpec::PublicIp { .. } => ResourceKind::PublicIp,
        }
    }

    pub fn tag(&self) -> &str {
        match self {
            CreateSpec::Vpc { tag, .. }
            | CreateSpec::Subnet { tag, .. }
            | CreateSpec::SecurityGroup { tag, .. }
            | CreateSpec::KeyPair { tag, .. }
            | CreateSpec::Disk { tag, .. }
            | CreateSpec::Snapshot { tag, .. }
            | CreateSpec::Image { tag, .. }
            | CreateSpec::PublicIp { tag, .. } => tag,
            CreateSpec::Vm(vm) => &vm.tag,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmSpec {
    pub name: String,
    pub tag: String,
    /// Guest hostname.
    pub hostname: String,
    pub zone: String,
    /// The instance type's name (some providers call it a "spec").
    pub instance_type: String,
    pub vcpus: i64,
    pub memory_mib: i64,
    /// The public image name or provider image id the root disk was made from.
    pub image: String,
    /// Provider id of the root disk, already created.
    pub root_disk: String,
    pub subnet: Option<String>,
    pub security_groups: Vec<String>,
    pub key_pair: Option<String>,
    pub public_key: Option<String>,
    pub user_data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VmAction {
    Start,
    /// ACPI power-down; `force` pulls the plug.
    Stop {
        force: bool,
    },
    Reboot {
        hard: bool,
    },
    /// Change vCPUs and memory (the instance type).
    Resize {
        instance_type: String,
        vcpus: i64,
        memory_mib: i64,
    },
    /// Generalize the guest's installed system and power it off: no hostname, SSH host
    /// keys, machine id or logs are left, so that its root disk can become an image
    /// whose VMs each get their own identity at their first boot: what a VM template gets
    /// before it is released. Needs the VM running.
    Sysprep,
}

/// A security-group rule as drivers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// gureum's rule id.
    pub id: String,
    pub direction: String,
    pub protocol: String,
    pub port_from: Option<i64>,
    pub port_to: Option<i64>,
    pub remote_cidr: String,
}

/// Whether the provider enforces a rule it accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub id: String,
    pub applied: bool,
    pub note: Option<String>,
}
