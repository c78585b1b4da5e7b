//! The [`Driver`] trait over QEMU processes and the records in the connection directory.

use crate::disks;
use crate::files::{DiskRecord, IpRecord, VmRecord};
use crate::vm::{HOTPLUG_PORTS, VmFiles};
use crate::{QemuDriver, ZONE, now_ms};
use async_trait::async_trait;
use gureum_driver::{
    CreateSpec, DiskContent, DiskExport, DiskManifest, Driver, DriverError, DriverInfo, DriverResult, GuestFacts,
    GuestUpdate, Intent, Looks, ProviderResource, ProviderStatus, Refusal, ResourceKind, RuleOutcome, RuleSpec,
    Support, VmAction, poll_until,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:012x}", rand::random::<u64>() >> 16)
}

pub(crate) fn conflict(msg: impl Into<String>) -> DriverError {
    DriverError::Conflict(msg.into())
}

pub(crate) fn view(
    kind: ResourceKind,
    id: &str,
    name: &str,
    tag: &str,
    status: ProviderStatus,
    reason: Option<String>,
    attrs: Value,
) -> ProviderResource {
    let attrs: Map<String, Value> = match attrs {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    };
    ProviderResource {
        kind,
        id: id.to_string(),
        name: name.to_string(),
        tag: Some(tag.to_string()),
        status,
        status_reason: reason,
        attrs,
    }
}

/// The host's memory (MemTotal), if /proc/meminfo says.
fn host_memory_mib() -> Option<i64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: i64 = info.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024)
}

impl QemuDriver {
    /// The resource as it is now; a VM's look takes its lock (and only that), the others
    /// the driver's.
    pub(crate) async fn view_of(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        if kind == ResourceKind::Vm {
            let _vm = self.lock_vm(id).await;
            return self.vm_view(&layout.load(kind, id)?).await;
        }
        let _guard = self.lock.lock().await;
        match kind {
            ResourceKind::Disk => Ok(self.disk_view(&layout.load(kind, id)?)),
            ResourceKind::PublicIp => Ok(Self::ip_view(&layout.load(kind, id)?)),
            ResourceKind::Image => Ok(self.image_view(&layout.load(kind, id)?)),
            ResourceKind::SecurityGroup => Ok(Self::sg_view(&layout.load(kind, id)?)),
            ResourceKind::Snapshot => Ok(self.snapshot_view(&layout.load(kind, id)?)),
            _ => Err(DriverError::NotFound { kind, id: id.to_string() }),
        }
    }
}

#[async_trait]
impl Driver for QemuDriver {
    fn info(&self) -> DriverInfo {
        use ResourceKind::*;
        let mut kinds = BTreeMap::new();
        for k in [Vm, Disk, PublicIp, Image, SecurityGroup, Snapshot] {
            kinds.insert(k, Support::Native);
        }
        // One host has one flat user-mode network and nowhere to keep keys: gureum keeps these.
        for k in [Vpc, Subnet, KeyPair] {
            kinds.insert(k, Support::Emulated);
        }
        DriverInfo {
            driver: "qemu".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile: None,
            kinds,
            details: json!({
                "region": crate::REGION,
                "zone": ZONE,
                "zones": [ZONE],
                "accel": self.accel.as_str(),
                "images_dir": self.settings.images_dir,
                "images": crate::images(&self.settings.images_dir),
                "public_ips": "ports of 127.0.0.1 forwarded to the guest's TCP ports its security groups open \
                               (at most 32; port 22 from the IP's address)",
                "hotplug_ports": HOTPLUG_PORTS,
                "security_groups": "inbound: the public IP's forwards of single TCP ports and ranges of at most 32; \
                                    outbound: all (restrict=off) or nothing",
                "snapshots": "standalone qcow2 copies: qemu-img convert of a disk no running VM has open, \
                              a QMP blockdev-backup (sync=full, crash-consistent, the guest keeps running) \
                              of a running VM's disk; disks from a snapshot are overlays of it",
                "templates": "a VM whose root disk is blank boots its image as install media (fw_cfg \
                              opt/gureum/install=1) and runs the system installed there from then on; \
                              sysprep (guest agent port org.gureum.agent) generalizes it and powers off; \
                              my-images are read-only and disks from them are overlays (linked clones)",
                "maintenance": "kernel upgrades choose among the image's kernels (kernels/<release>/, a \
                                prefix such as 6.12 names the newest of that version) for the stopped VM's \
                                next boot; config changes set sysctls in the running guest through its \
                                agent; facts come from the agent; a disk reverts to its snapshot while \
                                its VM is stopped; OS and engine updates are not supported",
            }),
        }
    }

    async fn create(&self, spec: CreateSpec) -> DriverResult<ProviderResource> {
        let _guard = self.lock.lock().await;
        match spec {
            CreateSpec::Vm(vm) => self.create_vm(vm, _guard).await,
            spec @ CreateSpec::Disk { .. } => self.create_disk(spec).await,
            CreateSpec::PublicIp { name, tag, zone } => {
                Self::check_zone(&zone)?;
                let ip = IpRecord {
                    id: new_id("eip"),
                    name,
                    tag,
                    zone,
                    port: Self::fresh_port(&mut self.held_ports())?,
                    forwards: Default::default(),
                    attached_to: None,
                    created_ms: now_ms(),
                };
                self.layout().save(ResourceKind::PublicIp, &ip.id, &ip)?;
                Ok(Self::ip_view(&ip))
            }
            CreateSpec::Image { name, tag, disk } => self.create_image(name, tag, &disk).await,
            CreateSpec::SecurityGroup { name, tag, .. } => self.create_sg(name, tag),
            CreateSpec::Snapshot { name, tag, disk } => self.create_snapshot(name, tag, &disk, _guard).await,
            other => Err(DriverError::Unsupported(format!("{} at the QEMU provider", other.kind()))),
        }
    }

    async fn get(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        self.view_of(kind, id).await
    }

    async fn list(&self, kind: ResourceKind) -> DriverResult<Vec<ProviderResource>> {
        let mut out = vec![];
        for id in self.layout().ids(kind) {
            match self.view_of(kind, &id).await {
                Ok(r) => out.push(r),
                Err(DriverError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn delete(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        match kind {
            ResourceKind::Vm => self.delete_vm(id).await,
            ResourceKind::Disk | ResourceKind::PublicIp => self.delete_detached(kind, id).await,
            ResourceKind::Image => self.delete_image(id),
            ResourceKind::SecurityGroup => self.delete_sg(id),
            ResourceKind::Snapshot => self.delete_snapshot(id),
            _ => Err(DriverError::NotFound { kind, id: id.to_string() }),
        }
    }

    /// Only the VM's lock (taken by `power`): a power call writes only the VM's record,
    /// and a start's launch, which takes long, must not hold up the other resources.
    async fn vm_action(&self, id: &str, action: VmAction) -> DriverResult<()> {
        self.power(id, action).await
    }

    async fn disk_attach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        self.set_disk(disk_id, vm_id, true).await
    }

    async fn disk_detach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        self.set_disk(disk_id, vm_id, false).await
    }

    async fn disk_extend(&self, disk_id: &str, size_gb: i64) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        let layout = self.layout();
        let mut disk: DiskRecord = layout.load(ResourceKind::Disk, disk_id)?;
        if size_gb <= disk.size_gb {
            return Err(DriverError::InvalidRequest(format!(
                "disk {disk_id} is {} GB; it can only grow",
                disk.size_gb
            )));
        }
        let _vm = match disk.attached_to.as_deref() {
            Some(vm) => Some(self.lock_vm(vm).await),
            None => None,
        };
        let running = disk.attached_to.as_deref().map(|vm| VmFiles::new(&layout, vm)).filter(|f| f.pid().is_some());
        match running {
            Some(files) => disks::resize_live(&files, disk_id, size_gb).await?,
            None => disks::resize_disk(&layout.disk_image(disk_id), size_gb).await?,
        }
        disk.size_gb = size_gb;
        layout.save(ResourceKind::Disk, disk_id, &disk)
    }

    async fn public_ip_associate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        self.set_ip(ip_id, vm_id, true).await
    }

    async fn public_ip_disassociate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        let _guard = self.lock.lock().await;
        self.set_ip(ip_id, vm_id, false).await
    }

    async fn security_group_set_rules(&self, sg_id: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        let _guard = self.lock.lock().await;
        self.set_rules(sg_id, rules).await
    }

    fn rule_outcomes(&self, rules: &[RuleSpec]) -> Option<Vec<RuleOutcome>> {
        Some(crate::firewall::outcomes(rules))
    }

    /// Refuses up front what this host cannot do: an image it does not have, a VM larger
    /// than the host, an image of a running VM.
    fn precheck(&self, intent: &Intent<'_>) -> Result<(), Refusal> {
        match intent {
            Intent::Vm { image, vcpus, memory_mib, zone, .. } => {
                if *zone != ZONE {
                    return Err(Refusal::invalid("zone", format!("this host has the one zone {ZONE}")));
                }
                let images = crate::images(&self.settings.images_dir);
                let mine = self.layout().record(ResourceKind::Image, image).is_file();
                if !mine && !images.iter().any(|i| i == image) {
                    return Err(Refusal::invalid(
                        "image",
                        format!("this host boots only its own images: {}", images.join(", ")),
                    ));
                }
                let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
                if *vcpus > cpus {
                    return Err(Refusal::invalid("instance_type", format!("this host has {cpus} CPUs, not {vcpus}")));
                }
                if let Some(host_mib) = host_memory_mib()
                    && *memory_mib > host_mib
                {
                    return Err(Refusal::invalid(
                        "instance_type",
                        format!("this host has {host_mib} MiB of memory, not {memory_mib}"),
                    ));
                }
                Ok(())
            }
            // The root disk is copied as it is on disk: a running guest would change it meanwhile.
            Intent::ImageFromVm { vm_stopped: false } => Err(Refusal::conflict(
                "instance",
                "a QEMU VM's image is made while it is stopped: stop the instance first",
            )),
            _ => Ok(()),
        }
    }

    /// A look is a file read and a QMP round trip, and a boot is seconds: look often
    /// enough that readiness is noticed within a fraction of the boot.
    fn wait_poll_max(&self) -> Duration {
        Duration::from_millis(250)
    }

    /// A VM is also watched through its files every 20 ms between looks (a look is a QMP
    /// round trip): a readiness marker or a process that came or went brings the next
    /// look forward, so a ready guest is noticed within tens of milliseconds.
    async fn wait(
        &self,
        kind: ResourceKind,
        id: &str,
        until: &[ProviderStatus],
        timeout: Duration,
    ) -> DriverResult<Option<ProviderResource>> {
        let layout = self.layout();
        let files = VmFiles::new(&layout, id);
        let signature = || {
            let boot_offset = layout.load::<VmRecord>(ResourceKind::Vm, id).map_or(0, |r| r.boot_offset);
            (files.ready_since(boot_offset), files.pid().is_some())
        };
        let last = std::sync::Mutex::new(signature());
        let changed = || {
            let now = signature();
            std::mem::replace(&mut *last.lock().expect("signature"), now) != now
        };
        let worth_a_look: Option<&(dyn Fn() -> bool + Send + Sync)> = (kind == ResourceKind::Vm).then_some(&changed);
        let poll_max = self.wait_poll_max();
        poll_until(self, Looks { kind, id, until, timeout, poll_max, worth_a_look }).await
    }

    async fn disk_export(&self, disk_id: &str) -> DriverResult<DiskExport> {
        self.export_disk(disk_id).await
    }

    async fn disk_import(&self, manifest: DiskManifest, content: DiskContent) -> DriverResult<ProviderResource> {
        self.import_disk(manifest, content).await
    }

    async fn vm_update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        self.update_vm(vm_id, update).await
    }

    async fn guest_facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        self.facts(vm_id).await
    }

    async fn disk_revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        self.revert_disk(disk_id, snapshot_id).await
    }

    async fn console_log(&self, vm_id: &str) -> DriverResult<String> {
        let layout = self.layout();
        let _: VmRecord = layout.load(ResourceKind::Vm, vm_id)?;
        Ok(VmFiles::new(&layout, vm_id).serial_log())
    }
}
