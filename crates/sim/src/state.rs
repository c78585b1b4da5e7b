//! The cloud's state in memory: records by provider id, the indexes its rules need, and
//! the queue of transitions under way.
//!
//! Every change goes through [`State::put`] / [`State::remove`], which keep the indexes
//! (tags, zone usage, addresses in use, dependents) in step with the records, so the
//! indexes never need to be stored: they are rebuilt from the records on open. Changed
//! ids are collected for the journal.

use crate::record::{Body, Record, Usage, Vm, network_key, new_id};
use crate::settings::Capacity;
use gureum_driver::{DriverError, DriverResult, ProviderResource, ProviderStatus, ResourceKind};
use ipnet::Ipv4Net;
use serde_json::json;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::Ipv4Addr;

/// Public addresses come from the documentation ranges first (they can never clash with
/// a real address), then from the shared address space when those run out.
const PUBLIC_POOLS: [(Ipv4Addr, u8); 4] = [
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
];

pub(crate) struct State {
    pub(crate) zones: Vec<String>,
    records: HashMap<String, Record>,
    by_tag: HashMap<(ResourceKind, String), Vec<String>>,
    /// Transitions by completion time; an entry whose record has since started another
    /// transition is stale and skipped.
    due: BinaryHeap<Reverse<(u64, String)>>,
    usage: HashMap<String, Usage>,
    /// Private addresses in use, by network (subnet id or a zone's default network).
    private_ips: HashMap<String, HashSet<Ipv4Addr>>,
    /// Where the next private address search starts, so allocation stays O(1) amortized.
    ip_cursor: HashMap<String, u32>,
    public_ips: HashSet<Ipv4Addr>,
    public_cursor: u32,
    /// How many live resources of a kind refer to a resource (VMs of a subnet, subnets of
    /// a VPC…): what makes deleting it a conflict.
    dependents: HashMap<(String, ResourceKind), usize>,
    dirty: Vec<String>,
}

impl State {
    /// Rebuilds the indexes over records read back from the journal.
    pub fn new(zones: Vec<String>, records: HashMap<String, Record>) -> State {
        let mut st = State {
            zones,
            records: HashMap::with_capacity(records.len()),
            by_tag: HashMap::new(),
            due: BinaryHeap::new(),
            usage: HashMap::new(),
            private_ips: HashMap::new(),
            ip_cursor: HashMap::new(),
            public_ips: HashSet::new(),
            public_cursor: 0,
            dependents: HashMap::new(),
            dirty: Vec::new(),
        };
        for rec in records.into_values() {
            st.put(rec);
        }
        st.dirty.clear();
        st
    }

    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.values()
    }

    pub fn record(&self, id: &str) -> Option<&Record> {
        self.records.get(id)
    }

    /// Ids changed since the last call, each once.
    pub fn take_dirty(&mut self) -> Vec<String> {
        let mut ids = std::mem::take(&mut self.dirty);
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Inserts or replaces a record.
    pub fn put(&mut self, rec: Record) {
        let old = self.records.remove(&rec.id);
        if let Some(old) = &old {
            self.account(old, -1);
        }
        self.account(&rec, 1);
        if let Some(p) = &rec.pending
            && old.and_then(|o| o.pending).as_ref() != Some(p)
        {
            self.due.push(Reverse((p.at_ms, rec.id.clone())));
        }
        self.dirty.push(rec.id.clone());
        self.records.insert(rec.id.clone(), rec);
    }

    pub fn remove(&mut self, id: &str) -> Option<Record> {
        let rec = self.records.remove(id)?;
        self.account(&rec, -1);
        self.dirty.push(rec.id.clone());
        Some(rec)
    }

    /// Completes every transition due at `now`, in completion order.
    pub fn settle(&mut self, now: u64) {
        while let Some(Reverse((at, _))) = self.due.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, id))) = self.due.pop() else {
                break;
            };
            let Some(p) = self.records.get(&id).and_then(|r| r.pending.clone()).filter(|p| p.at_ms == at) else {
                continue;
            };
            match p.to {
                Some(status) => self.edit(&id, |r| {
                    r.status = status;
                    r.reason = p.reason;
                    r.pending = None;
                }),
                None => self.vanish(&id),
            }
        }
    }

    /// A deleted resource is gone; what a VM held is released, as a cloud does when the
    /// instance is terminated (its disks stay, detached).
    fn vanish(&mut self, id: &str) {
        let Some(rec) = self.remove(id) else { return };
        let Body::Vm(vm) = &rec.body else { return };
        for disk in vm.all_disks() {
            self.edit(disk, |d| {
                if let Body::Disk(body) = &mut d.body
                    && body.attached_to.as_deref() == Some(id)
                {
                    body.attached_to = None;
                    d.status = ProviderStatus::Available;
                    d.pending = None;
                }
            });
        }
        if let Some(ip) = &vm.public_ip {
            self.edit(&ip.id, |r| {
                if let Body::PublicIp(body) = &mut r.body
                    && body.attached_to.as_deref() == Some(id)
                {
                    body.attached_to = None;
                    r.status = ProviderStatus::Available;
                    r.pending = None;
                }
            });
        }
    }

    /// Changes a copy of a record and puts it back; nothing happens when it is gone.
    pub fn edit(&mut self, id: &str, f: impl FnOnce(&mut Record)) {
        if let Some(mut rec) = self.records.get(id).cloned() {
            f(&mut rec);
            self.put(rec);
        }
    }

    fn account(&mut self, rec: &Record, sign: i64) {
        let key = (rec.kind(), rec.tag.clone());
        if sign > 0 {
            self.by_tag.entry(key).or_default().push(rec.id.clone());
        } else if let Some(ids) = self.by_tag.get_mut(&key) {
            ids.retain(|i| *i != rec.id);
            if ids.is_empty() {
                self.by_tag.remove(&key);
            }
        }
        if let Some((zone, u)) = rec.usage() {
            self.usage.entry(zone.to_string()).or_default().add(u, sign);
        }
        match &rec.body {
            Body::Vm(vm) => {
                let net = vm.network_key();
                let used = self.private_ips.entry(net).or_default();
                if sign > 0 {
                    used.insert(vm.private_ip);
                } else {
                    used.remove(&vm.private_ip);
                }
                for parent in vm.subnet.iter().chain(&vm.security_groups) {
                    self.depend(parent, ResourceKind::Vm, sign);
                }
            }
            Body::Subnet { vpc: Some(vpc), .. } => self.depend(vpc, ResourceKind::Subnet, sign),
            Body::SecurityGroup { vpc: Some(vpc), .. } => self.depend(vpc, ResourceKind::SecurityGroup, sign),
            Body::PublicIp(ip) => {
                if sign > 0 {
                    self.public_ips.insert(ip.address);
                } else {
                    self.public_ips.remove(&ip.address);
                }
            }
            _ => {}
        }
    }

    fn depend(&mut self, parent: &str, child: ResourceKind, sign: i64) {
        let key = (parent.to_string(), child);
        let n = self.dependents.entry(key.clone()).or_default();
        *n = n.saturating_add_signed(sign as isize);
        if *n == 0 {
            self.dependents.remove(&key);
        }
    }

    /// How many live resources of `child` kind refer to `parent`.
    pub fn dependents(&self, parent: &str, child: ResourceKind) -> usize {
        self.dependents.get(&(parent.to_string(), child)).copied().unwrap_or(0)
    }

    pub fn fresh_id(&self, kind: ResourceKind) -> String {
        loop {
            let id = new_id(kind);
            if !self.records.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn find(&self, kind: ResourceKind, id: &str) -> DriverResult<&Record> {
        self.records
            .get(id)
            .filter(|r| r.kind() == kind)
            .ok_or_else(|| DriverError::NotFound { kind, id: id.to_string() })
    }

    /// The oldest live resource carrying the tag.
    pub fn find_by_tag(&self, kind: ResourceKind, tag: &str) -> Option<&Record> {
        self.by_tag
            .get(&(kind, tag.to_string()))?
            .iter()
            .filter_map(|id| self.records.get(id))
            .min_by_key(|r| (r.created_ms, &r.id))
    }

    pub fn list(&self, kind: ResourceKind) -> Vec<ProviderResource> {
        let mut recs: Vec<&Record> = self.records.values().filter(|r| r.kind() == kind).collect();
        recs.sort_by_key(|r| (r.created_ms, &r.id));
        recs.into_iter().map(|r| self.view(r)).collect()
    }

    /// The provider's view of a record, with the facts only the whole state knows.
    pub fn view(&self, rec: &Record) -> ProviderResource {
        let mut r = rec.view();
        match &rec.body {
            Body::Subnet { cidr, .. } => {
                let used = self.private_ips.get(&rec.id).map_or(0, |s| s.len() as u64);
                let free = host_range(*cidr).map_or(0, |(lo, hi)| u64::from(hi - lo) + 1 - used);
                r.attrs.insert("available_ips".into(), json!(free));
            }
            Body::Vm(vm) => {
                if let Some(total) = gureum_driver::split_disk_spec(&vm.instance_type).1 {
                    let root = self.find_disk(&vm.root_disk).map_or(0, |(_, d)| d.size_gb);
                    r.attrs.insert("data_disk_gb".into(), json!(total - root));
                }
                r.attrs.insert("port_forwarding".into(), json!(self.port_forwarding(vm)));
                r.attrs.insert("kernel".into(), json!(self.guest(vm).kernel));
            }
            _ => {}
        }
        r
    }

    /// Security groups are enforced as port forwarding plus a firewall on the VM's public
    /// IP: each inbound tcp/udp rule forwards its ports to the VM and admits its remote
    /// range (as KT Cloud Classic does).
    fn port_forwarding(&self, vm: &Vm) -> Vec<serde_json::Value> {
        let Some(ip) = &vm.public_ip else { return vec![] };
        let mut out = vec![];
        for sg in &vm.security_groups {
            let Some(Record { body: Body::SecurityGroup { rules, .. }, .. }) = self.records.get(sg) else { continue };
            for rule in
                rules.iter().filter(|r| r.direction == "inbound" && matches!(r.protocol.as_str(), "tcp" | "udp"))
            {
                let ports = match (rule.port_from, rule.port_to) {
                    (Some(a), Some(b)) if a == b => a.to_string(),
                    (Some(a), Some(b)) => format!("{a}-{b}"),
                    _ => "1-65535".into(),
                };
                out.push(json!({
                    "public_ip": ip.address.to_string(),
                    "protocol": rule.protocol,
                    "ports": ports,
                    "private_ip": vm.private_ip.to_string(),
                    "allowed_from": rule.remote_cidr,
                }));
            }
        }
        out
    }

    pub fn check_zone(&self, zone: &str) -> DriverResult<()> {
        if self.zones.iter().any(|z| z == zone) {
            return Ok(());
        }
        Err(DriverError::InvalidRequest(format!("unknown zone {zone:?}; zones: {}", self.zones.join(", "))))
    }

    /// Refuses, naming what is exhausted, when `need` does not fit in the zone.
    pub fn reserve(&self, zone: &str, need: Usage, cap: &Capacity) -> DriverResult<()> {
        let used = self.usage.get(zone).copied().unwrap_or_default();
        let limits = [
            (need.instances, used.instances, cap.instances, "instance", "instances", ""),
            (need.vcpus, used.vcpus, cap.vcpus, "vCPU", "vCPUs", ""),
            (need.memory_mib, used.memory_mib, cap.memory_mib, "MiB of memory", "MiB of memory", " MiB"),
            (need.disk_gb, used.disk_gb, cap.disk_gb, "GB of disk", "GB of disk", " GB"),
            (need.public_ips, used.public_ips, cap.public_ips, "public IP", "public IPs", ""),
        ];
        for (need, used, cap, one, many, unit) in limits {
            if need > 0 && used + need > cap {
                let what = if need == 1 { one } else { many };
                return Err(DriverError::Capacity(format!(
                    "zone {zone} has no room for {need} more {what} ({used} of {cap}{unit} used)"
                )));
            }
        }
        Ok(())
    }

    /// The zone's default network, for VMs created without a subnet (like a default VPC):
    /// 172.16.0.0/14 for the first zone, 172.20.0.0/14 for the second… Large enough that
    /// zone capacity, not addresses, is what runs out.
    pub fn zone_network(&self, zone: &str) -> Ipv4Net {
        let i = self.zones.iter().position(|z| z == zone).unwrap_or(0) as u8;
        Ipv4Net::new(Ipv4Addr::new(172, 16 + 4 * i, 0, 0), 14).expect("a /14 is a valid prefix")
    }

    /// A free private address in `net`, or `None` when it is full. The network address,
    /// the first three hosts (router, DNS, reserved) and the broadcast address are never
    /// handed out, as at most clouds.
    pub fn allocate_private_ip(&mut self, subnet: Option<&str>, zone: &str, net: Ipv4Net) -> Option<Ipv4Addr> {
        let (lo, hi) = host_range(net)?;
        let key = network_key(subnet, zone);
        let used = self.private_ips.get(&key);
        let cursor = self.ip_cursor.get(&key).copied().unwrap_or(lo).clamp(lo, hi);
        let n = hi - lo + 1;
        let free = (0..n)
            .map(|i| lo + (cursor - lo + i) % n)
            .find(|a| !used.is_some_and(|u| u.contains(&Ipv4Addr::from(*a))))?;
        self.ip_cursor.insert(key, free.saturating_add(1));
        Some(Ipv4Addr::from(free))
    }

    /// A free public address, or `None` when every pool is exhausted.
    pub fn allocate_public_ip(&mut self) -> Option<Ipv4Addr> {
        let size: u32 = PUBLIC_POOLS.iter().map(|(_, p)| pool_hosts(*p)).sum();
        let found = (0..size)
            .map(|i| (self.public_cursor + i) % size)
            .map(|i| (i, public_address(i)))
            .find(|(_, a)| !self.public_ips.contains(a))?;
        self.public_cursor = found.0 + 1;
        Some(found.1)
    }
}

/// The addresses of `net` a VM may get, as integers; `None` when there are none.
pub(crate) fn host_range(net: Ipv4Net) -> Option<(u32, u32)> {
    let lo = u32::from(net.network()).checked_add(4)?;
    let hi = u32::from(net.broadcast()).checked_sub(1)?;
    (lo <= hi).then_some((lo, hi))
}

fn pool_hosts(prefix: u8) -> u32 {
    (1u32 << (32 - prefix)) - 2
}

/// The `i`th usable address across the public pools.
fn public_address(mut i: u32) -> Ipv4Addr {
    for (base, prefix) in PUBLIC_POOLS {
        let hosts = pool_hosts(prefix);
        if i < hosts {
            return Ipv4Addr::from(u32::from(base) + 1 + i);
        }
        i -= hosts;
    }
    unreachable!("index beyond the public pools")
}
