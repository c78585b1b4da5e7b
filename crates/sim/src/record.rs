//! A resource as the simulated cloud stores it: the provider's view plus the facts its
//! rules need, and the transition under way. One record is one journal line.

use crate::guest::Guest;
use gureum_driver::{DiskSource, ProviderResource, ProviderStatus, ResourceKind, RuleSpec};
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub id: String,
    pub name: String,
    pub tag: String,
    pub status: ProviderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Transitions are evaluated lazily against the wall clock (not timers), so one that
    /// was under way when gureum stopped completes on time after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    pub body: Body,
}

/// A transition under way: at `at_ms` the status becomes `to`, or the resource is gone
/// when `to` is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub at_ms: u64,
    pub to: Option<ProviderStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What each kind of resource knows besides its status.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Body {
    Vpc {
        cidr: Ipv4Net,
    },
    Subnet {
        vpc: Option<String>,
        cidr: Ipv4Net,
        zone: String,
    },
    SecurityGroup {
        vpc: Option<String>,
        rules: Vec<RuleSpec>,
    },
    KeyPair {
        public_key: String,
    },
    Vm(Vm),
    Disk(Disk),
    Snapshot {
        disk: String,
        size_gb: i64,
        zone: String,
        base_image: Option<String>,
        /// The guest on the disk at the snapshot's instant (a root disk's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guest: Option<Guest>,
    },
    Image {
        disk: String,
        size_gb: i64,
        base_image: Option<String>,
    },
    PublicIp(PublicIp),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Vm {
    pub zone: String,
    pub hostname: String,
    pub instance_type: String,
    pub vcpus: i64,
    pub memory_mib: i64,
    /// The image named at create time, as given.
    pub image: String,
    /// The public image the root disk's contents descend from, for the console log.
    pub base_image: Option<String>,
    pub root_disk: String,
    /// Data disks, in attach order.
    pub data_disks: Vec<String>,
    pub subnet: Option<String>,
    pub private_ip: Ipv4Addr,
    pub security_groups: Vec<String>,
    pub key_pair: Option<String>,
    pub public_ip: Option<AttachedIp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AttachedIp {
    pub id: String,
    pub address: Ipv4Addr,
}

impl Vm {
    /// Where the private address comes from: the subnet, or the zone's default network
    /// when the VM has no subnet.
    pub fn network_key(&self) -> String {
        network_key(self.subnet.as_deref(), &self.zone)
    }

    pub fn all_disks(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.root_disk).chain(&self.data_disks)
    }
}

pub(crate) fn network_key(subnet: Option<&str>, zone: &str) -> String {
    match subnet {
        Some(s) => s.to_string(),
        None => format!("zone:{zone}"),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Disk {
    pub zone: String,
    pub size_gb: i64,
    pub volume_type: String,
    pub source: DiskSource,
    pub base_image: Option<String>,
    pub attached_to: Option<String>,
    /// The guest installed on it, once it booted a VM as its root disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<Guest>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PublicIp {
    pub zone: String,
    pub address: Ipv4Addr,
    pub attached_to: Option<String>,
}

/// The share of a zone's capacity a resource holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Usage {
    pub instances: i64,
    pub vcpus: i64,
    pub memory_mib: i64,
    pub disk_gb: i64,
    pub public_ips: i64,
}

impl Usage {
    pub fn add(&mut self, o: Usage, sign: i64) {
        self.instances += sign * o.instances;
        self.vcpus += sign * o.vcpus;
        self.memory_mib += sign * o.memory_mib;
        self.disk_gb += sign * o.disk_gb;
        self.public_ips += sign * o.public_ips;
    }
}

pub(crate) fn kind_prefix(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Vpc => "vpc",
        ResourceKind::Subnet => "subnet",
        ResourceKind::SecurityGroup => "sg",
        ResourceKind::KeyPair => "kp",
        ResourceKind::Vm => "vm",
        ResourceKind::Disk => "disk",
        ResourceKind::Snapshot => "snap",
        ResourceKind::Image => "img",
        ResourceKind::PublicIp => "eip",
    }
}

/// A cloud-looking id: the kind's prefix and 12 hex digits.
pub(crate) fn new_id(kind: ResourceKind) -> String {
    format!("{}-{:012x}", kind_prefix(kind), rand::random::<u64>() >> 16)
}

impl Record {
    pub fn kind(&self) -> ResourceKind {
        match self.body {
            Body::Vpc { .. } => ResourceKind::Vpc,
            Body::Subnet { .. } => ResourceKind::Subnet,
            Body::SecurityGroup { .. } => ResourceKind::SecurityGroup,
            Body::KeyPair { .. } => ResourceKind::KeyPair,
            Body::Vm(_) => ResourceKind::Vm,
            Body::Disk(_) => ResourceKind::Disk,
            Body::Snapshot { .. } => ResourceKind::Snapshot,
            Body::Image { .. } => ResourceKind::Image,
            Body::PublicIp(_) => ResourceKind::PublicIp,
        }
    }

    /// Starts a transition: the resource shows `via` until `pending` completes.
    pub fn begin(&mut self, via: ProviderStatus, pending: Pending) {
        self.status = via;
        self.reason = None;
        self.pending = Some(pending);
    }

    /// The zone capacity the resource holds until it is gone.
    pub fn usage(&self) -> Option<(&str, Usage)> {
        match &self.body {
            Body::Vm(vm) => {
                Some((&vm.zone, Usage { instances: 1, vcpus: vm.vcpus, memory_mib: vm.memory_mib, ..Usage::default() }))
            }
            Body::Disk(d) => Some((&d.zone, Usage { disk_gb: d.size_gb, ..Usage::default() })),
            Body::PublicIp(ip) => Some((&ip.zone, Usage { public_ips: 1, ..Usage::default() })),
            _ => None,
        }
    }

    pub fn view(&self) -> ProviderResource {
        ProviderResource {
            kind: self.kind(),
            id: self.id.clone(),
            name: self.name.clone(),
            tag: Some(self.tag.clone()),
            status: self.status,
            status_reason: self.reason.clone(),
            attrs: self.attrs(),
        }
    }

    fn attrs(&self) -> Map<String, Value> {
        let mut a = Map::new();
        a.insert("created_ms".into(), json!(self.created_ms));
        let mut put = |k: &str, v: Value| {
            if !v.is_null() {
                a.insert(k.into(), v);
            }
        };
        match &self.body {
            Body::Vpc { cidr } => put("cidr", json!(cidr)),
            Body::Subnet { vpc, cidr, zone } => {
                put("vpc", json!(vpc));
                put("cidr", json!(cidr));
                put("zone", json!(zone));
            }
            Body::SecurityGroup { vpc, rules } => {
                put("vpc", json!(vpc));
                put("rules", json!(rules));
            }
            Body::KeyPair { public_key } => put("public_key", json!(public_key)),
            Body::Vm(vm) => {
                put("zone", json!(vm.zone));
                put("hostname", json!(vm.hostname));
                put("instance_type", json!(vm.instance_type));
                put("vcpus", json!(vm.vcpus));
                put("memory_mib", json!(vm.memory_mib));
                put("image", json!(vm.image));
                put("root_disk", json!(vm.root_disk));
                put("disks", json!(vm.all_disks().collect::<Vec<_>>()));
                put("subnet", json!(vm.subnet));
                put("private_ip", json!(vm.private_ip));
                put("security_groups", json!(vm.security_groups));
                put("key_pair", json!(vm.key_pair));
                if let Some(ip) = &vm.public_ip {
                    put("public_ip", json!(ip.address));
                    put("public_ip_id", json!(ip.id));
                }
            }
            Body::Disk(d) => {
                put("zone", json!(d.zone));
                put("size_gb", json!(d.size_gb));
                put("volume_type", json!(d.volume_type));
                put("source", json!(d.source));
                put("base_image", json!(d.base_image));
                put("attached_to", json!(d.attached_to));
            }
            Body::Snapshot { disk, size_gb, zone, base_image, .. } => {
                put("disk", json!(disk));
                put("size_gb", json!(size_gb));
                put("zone", json!(zone));
                put("base_image", json!(base_image));
            }
            Body::Image { disk, size_gb, base_image } => {
                put("disk", json!(disk));
                put("size_gb", json!(size_gb));
                put("min_disk_gb", json!(size_gb));
                put("base_image", json!(base_image));
            }
            Body::PublicIp(ip) => {
                put("zone", json!(ip.zone));
                put("address", json!(ip.address));
                put("attached_to", json!(ip.attached_to));
            }
        }
        a
    }
}
