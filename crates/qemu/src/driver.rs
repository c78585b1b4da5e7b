//! The [`Driver`] trait over QEMU processes and the records in the connection directory.

use crate::files::{DataDisk, DiskRecord, IpRecord, Layout, Power, VmRecord, io_error};
use crate::vm::{self, Disk, GUEST_IP, HOTPLUG_PORTS, ImageFiles, Launch, VmFiles};
use crate::{QemuDriver, ZONE, now_ms, qmp};
use async_trait::async_trait;
use gureum_driver::{
    CreateSpec, DiskContent, DiskExport, DiskManifest, DiskSource, Driver, DriverError, DriverInfo, DriverResult,
    Intent, Looks, ProviderResource, ProviderStatus, Refusal, ResourceKind, RuleOutcome, RuleSpec, Support, VmAction,
    VmSpec, poll_until,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a guest has to power off after ACPI power-down before its process is ended.
const STOP_GRACE: Duration = Duration::from_secs(30);

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

fn address(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// A port of 127.0.0.1 nothing listens on now.
fn free_port() -> DriverResult<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| DriverError::Capacity(format!("no free port on 127.0.0.1: {e}")))?;
    Ok(l.local_addr().map_err(|e| DriverError::Capacity(e.to_string()))?.port())
}

impl QemuDriver {
    pub(crate) fn layout(&self) -> Layout {
        Layout { root: self.root.clone() }
    }

    pub(crate) fn image(&self, name: &str) -> DriverResult<ImageFiles> {
        ImageFiles::of(&self.settings.images_dir, name).ok_or_else(|| {
            DriverError::InvalidRequest(format!(
                "no image {name:?} on this host; images: {}",
                crate::images(&self.settings.images_dir).join(", ")
            ))
        })
    }

    pub(crate) fn check_zone(zone: &str) -> DriverResult<()> {
        if zone == ZONE {
            return Ok(());
        }
        Err(DriverError::InvalidRequest(format!("unknown zone {zone:?}; this host has zone {ZONE}")))
    }

    async fn create_disk(&self, spec: CreateSpec) -> DriverResult<ProviderResource> {
        let CreateSpec::Disk { name, tag, size_gb, zone, volume_type, source } = spec else { unreachable!() };
        Self::check_zone(&zone)?;
        let id = new_id("disk");
        let path = self.layout().disk_image(&id);
        let (base, base_image) = match &source {
            DiskSource::Blank => (None, None),
            DiskSource::Image(image) => (Some(self.base_of(image)?.0), Some(image.clone())),
            DiskSource::Snapshot(snapshot) => {
                let (file, boot_image) = self.snapshot_base(snapshot, size_gb)?;
                (Some(file), boot_image)
            }
        };
        vm::create_disk(&path, base.as_deref(), size_gb).await?;
        let rec = DiskRecord {
            id: id.clone(),
            name,
            tag,
            size_gb,
            zone,
            volume_type,
            source,
            base_image,
            attached_to: None,
            created_ms: now_ms(),
        };
        self.layout().save(ResourceKind::Disk, &id, &rec)?;
        Ok(self.disk_view(&rec))
    }

    pub(crate) fn disk_view(&self, d: &DiskRecord) -> ProviderResource {
        let status = if d.attached_to.is_some() { ProviderStatus::InUse } else { ProviderStatus::Available };
        view(
            ResourceKind::Disk,
            &d.id,
            &d.name,
            &d.tag,
            status,
            None,
            json!({
                "created_ms": d.created_ms,
                "zone": d.zone,
                "size_gb": d.size_gb,
                "volume_type": d.volume_type,
                "source": d.source,
                "base_image": d.base_image,
                "attached_to": d.attached_to,
                "path": self.layout().disk_image(&d.id),
            }),
        )
    }

    fn ip_view(ip: &IpRecord) -> ProviderResource {
        let status = if ip.attached_to.is_some() { ProviderStatus::InUse } else { ProviderStatus::Available };
        view(
            ResourceKind::PublicIp,
            &ip.id,
            &ip.name,
            &ip.tag,
            status,
            None,
            json!({
                "created_ms": ip.created_ms,
                "zone": ip.zone,
                "address": address(ip.port),
                "attached_to": ip.attached_to,
                "forwards_to_port": 22,
            }),
        )
    }

    /// Creates the VM's records under the driver's `lock` (`records`, released before the
    /// launch) and launches it under the VM's own lock.
    async fn create_vm(
        &self,
        spec: VmSpec,
        records: tokio::sync::MutexGuard<'_, ()>,
    ) -> DriverResult<ProviderResource> {
        Self::check_zone(&spec.zone)?;
        let layout = self.layout();
        let mut root: DiskRecord = layout.load(ResourceKind::Disk, &spec.root_disk)?;
        if let Some(vm) = &root.attached_to {
            return Err(conflict(format!("disk {} is attached to {vm}", root.id)));
        }
        // The root disk's image boots the VM; a blank root disk boots the named image.
        let (_, boot_image) = self.base_of(root.base_image.as_deref().unwrap_or(&spec.image))?;
        self.image(&boot_image)?;
        let id = new_id("vm");
        let _vm = self.lock_vm(&id).await;
        let files = VmFiles::new(&layout, &id);
        std::fs::create_dir_all(&files.dir).map_err(|e| io_error(&files.dir, e))?;
        vm::write_guest_config(&files, "hostname", Some(&spec.hostname))?;
        vm::write_guest_config(&files, "ssh_key", spec.public_key.as_deref())?;
        vm::write_guest_config(&files, "user_data", spec.user_data.as_deref())?;
        let rec = VmRecord {
            id: id.clone(),
            spec: VmSpec { public_key: None, user_data: None, ..spec },
            boot_image,
            data_disks: vec![],
            public_ip: None,
            power: Power::Running,
            boot_offset: 0,
            booting: ProviderStatus::Starting,
            created_ms: now_ms(),
        };
        layout.save(ResourceKind::Vm, &id, &rec)?;
        root.attached_to = Some(id.clone());
        layout.save(ResourceKind::Disk, &root.id, &root)?;
        drop(records);
        if let Err(e) = self.launch(&rec).await {
            // Nothing runs: the VM is kept, in error, for the engine to delete.
            tracing::warn!(vm = %id, "launch failed: {e}");
        }
        self.vm_view(rec).await
    }

    /// Launches the VM to run, showing `booting` until the guest is ready.
    async fn boot(&self, rec: &mut VmRecord, booting: ProviderStatus) -> DriverResult<()> {
        rec.power = Power::Running;
        rec.booting = booting;
        rec.boot_offset = VmFiles::new(&self.layout(), &rec.id).serial_len();
        self.layout().save(ResourceKind::Vm, &rec.id, rec)?;
        self.launch(rec).await
    }

    async fn launch(&self, rec: &VmRecord) -> DriverResult<()> {
        let layout = self.layout();
        let image = self.image(&rec.boot_image)?;
        let root = Disk { id: &rec.spec.root_disk, path: layout.disk_image(&rec.spec.root_disk), port: None };
        let data =
            rec.data_disks.iter().map(|d| Disk { id: &d.disk, path: layout.disk_image(&d.disk), port: Some(d.port) });
        let disks = std::iter::once(root).chain(data).collect();
        let policy = self.policy(rec)?;
        let forward_port = match &rec.public_ip {
            Some(ip) if policy.ssh_forward => Some(layout.load::<IpRecord>(ResourceKind::PublicIp, ip)?.port),
            _ => None,
        };
        let files = VmFiles::new(&layout, &rec.id);
        let restrict = !policy.outbound;
        vm::launch(rec, &files, Launch { image: &image, disks, forward_port, restrict, accel: self.accel }).await
    }

    /// The VM's status from its record and process; ends a process whose guest powered
    /// off or whose stop grace ran out (so this is safe to call after a restart).
    async fn vm_view(&self, mut rec: VmRecord) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        let files = VmFiles::new(&layout, &rec.id);
        let mut pid = files.pid();
        let mut guest = self.guest_status(&files, pid).await;
        // A VM restarting for a new shape is relaunched once its guest is off.
        if let Power::Restarting { deadline_ms } = rec.power
            && (pid.is_none() || guest.as_deref() == Some("shutdown") || now_ms() >= deadline_ms)
        {
            vm::end(&files).await?;
            if let Err(e) = self.boot(&mut rec, ProviderStatus::Resizing).await {
                tracing::warn!(vm = %rec.id, "relaunch with the new shape failed: {e}");
            }
            pid = files.pid();
            guest = None;
        }
        let (status, reason) = match (rec.power, pid, guest.as_deref()) {
            (Power::Stopped, None, _) => (ProviderStatus::Stopped, None),
            (Power::Stopping { .. }, None, _) => {
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, &rec.id, &rec)?;
                (ProviderStatus::Stopped, None)
            }
            (Power::Stopping { deadline_ms }, Some(_), g) if g == Some("shutdown") || now_ms() >= deadline_ms => {
                vm::end(&files).await?;
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, &rec.id, &rec)?;
                (ProviderStatus::Stopped, None)
            }
            (Power::Stopping { .. }, Some(_), _) => (ProviderStatus::Stopping, None),
            // The guest powered itself off: the VM is stopped, and its process not needed.
            (Power::Running, Some(_), Some("shutdown")) => {
                vm::end(&files).await?;
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, &rec.id, &rec)?;
                (ProviderStatus::Stopped, None)
            }
            (Power::Running, Some(_), Some("running")) if files.ready_since(rec.boot_offset) => {
                (ProviderStatus::Running, None)
            }
            (Power::Running, Some(_), Some("running" | "prelaunch" | "inmigrate")) => (rec.booting, None),
            (Power::Running, Some(_), Some(other)) => (
                ProviderStatus::Error,
                Some(format!("the guest is {other}: {}", files.last_line().unwrap_or_default())),
            ),
            // The process is there but QMP did not answer: still starting up.
            (Power::Running | Power::Stopped, Some(_), None) => (rec.booting, None),
            (Power::Running, None, _) => (
                ProviderStatus::Error,
                Some(match files.last_line() {
                    Some(line) => format!("the QEMU process is gone; the serial console's last line: {line}"),
                    None => "the QEMU process is gone (it never started or was killed)".into(),
                }),
            ),
            (Power::Stopped, Some(_), _) => (ProviderStatus::Stopping, None),
            (Power::Restarting { .. }, _, _) => (ProviderStatus::Resizing, None),
        };
        let public_ip = match &rec.public_ip {
            Some(ip) => layout.load::<IpRecord>(ResourceKind::PublicIp, ip).ok().map(|ip| address(ip.port)),
            None => None,
        };
        Ok(view(
            ResourceKind::Vm,
            &rec.id,
            &rec.spec.name,
            &rec.spec.tag,
            status,
            reason,
            json!({
                "created_ms": rec.created_ms,
                "zone": rec.spec.zone,
                "hostname": rec.spec.hostname,
                "instance_type": rec.spec.instance_type,
                "vcpus": rec.spec.vcpus,
                "memory_mib": rec.spec.memory_mib,
                "image": rec.spec.image,
                "root_disk": rec.spec.root_disk,
                "disks": rec.disks().collect::<Vec<_>>(),
                "private_ip": GUEST_IP,
                "key_pair": rec.spec.key_pair,
                "public_ip": public_ip,
                "public_ip_id": rec.public_ip,
                "pid": pid,
                "accel": self.accel.as_str(),
            }),
        ))
    }

    /// What QEMU says of the guest (`running`, `shutdown`…), when its process answers.
    async fn guest_status(&self, files: &VmFiles, pid: Option<u32>) -> Option<String> {
        pid?;
        let status = qmp::execute(&files.qmp(), "query-status", json!({})).await.ok()?;
        status["status"].as_str().map(str::to_string)
    }

    async fn delete_vm(&self, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        let files = VmFiles::new(&layout, id);
        vm::end(&files).await?;
        // What the VM held is released, as a cloud does when an instance is terminated.
        for disk in rec.disks() {
            if let Ok(mut d) = layout.load::<DiskRecord>(ResourceKind::Disk, disk)
                && d.attached_to.as_deref() == Some(id)
            {
                d.attached_to = None;
                layout.save(ResourceKind::Disk, disk, &d)?;
            }
        }
        if let Some(ip) = &rec.public_ip
            && let Ok(mut r) = layout.load::<IpRecord>(ResourceKind::PublicIp, ip)
        {
            r.attached_to = None;
            layout.save(ResourceKind::PublicIp, ip, &r)?;
        }
        std::fs::remove_dir_all(&files.dir).map_err(|e| io_error(&files.dir, e))?;
        self.forget_vm(id);
        Ok(())
    }

    async fn delete_detached(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let attached_to = match kind {
            ResourceKind::Disk => layout.load::<DiskRecord>(kind, id)?.attached_to,
            _ => layout.load::<IpRecord>(kind, id)?.attached_to,
        };
        if let Some(vm) = attached_to {
            return Err(conflict(format!("{kind} {id} is attached to {vm}")));
        }
        if kind == ResourceKind::Disk {
            let image = layout.disk_image(id);
            std::fs::remove_file(&image).map_err(|e| io_error(&image, e))?;
        }
        let record = layout.record(kind, id);
        std::fs::remove_file(&record).map_err(|e| io_error(&record, e))
    }

    async fn power(&self, id: &str, action: VmAction) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let mut rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        let files = VmFiles::new(&layout, id);
        let alive = files.pid().is_some();
        match action {
            VmAction::Start if alive => {
                if rec.power != Power::Running {
                    return Err(conflict(format!("vm {id} is still stopping")));
                }
            }
            VmAction::Start => self.boot(&mut rec, ProviderStatus::Starting).await?,
            VmAction::Stop { .. } if !alive => {
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
            VmAction::Stop { force: true } => {
                vm::end(&files).await?;
                rec.power = Power::Stopped;
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
            VmAction::Stop { force: false } => {
                qmp::execute(&files.qmp(), "system_powerdown", json!({})).await?;
                rec.power = Power::Stopping { deadline_ms: now_ms() + STOP_GRACE.as_millis() as u64 };
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
            VmAction::Reboot { .. } if !alive || rec.power != Power::Running => {
                return Err(conflict(format!("vm {id} is not running")));
            }
            VmAction::Reboot { hard } => {
                rec.booting = ProviderStatus::Rebooting;
                rec.boot_offset = files.serial_len();
                layout.save(ResourceKind::Vm, id, &rec)?;
                if hard {
                    qmp::execute(&files.qmp(), "system_reset", json!({})).await?;
                } else {
                    // Ctrl-Alt-Del: the guest's init reboots cleanly.
                    let keys: Vec<Value> =
                        ["ctrl", "alt", "delete"].iter().map(|k| json!({"type": "qcode", "data": k})).collect();
                    qmp::execute(&files.qmp(), "send-key", json!({ "keys": keys })).await?;
                }
            }
            VmAction::Resize { .. } if alive && rec.power != Power::Running => {
                return Err(conflict(format!("vm {id} is stopping or restarting")));
            }
            // The new shape is what the next launch gets; a running VM is powered down
            // for it now and relaunched when off (see vm_view).
            VmAction::Resize { instance_type, vcpus, memory_mib } => {
                rec.spec = VmSpec { instance_type, vcpus, memory_mib, ..rec.spec };
                if alive {
                    qmp::execute(&files.qmp(), "system_powerdown", json!({})).await?;
                    rec.power = Power::Restarting { deadline_ms: now_ms() + STOP_GRACE.as_millis() as u64 };
                }
                layout.save(ResourceKind::Vm, id, &rec)?;
            }
        }
        Ok(())
    }

    /// Attaches or detaches a data disk: hot-plugged when the VM runs, and on its port
    /// at every launch.
    async fn set_disk(&self, disk_id: &str, vm_id: &str, attach: bool) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(vm_id).await;
        let mut rec: VmRecord = layout.load(ResourceKind::Vm, vm_id)?;
        let mut disk: DiskRecord = layout.load(ResourceKind::Disk, disk_id)?;
        let files = VmFiles::new(&layout, vm_id);
        let running = files.pid().is_some();
        match (attach, disk.attached_to.as_deref()) {
            (true, None) => {
                let port =
                    (0..HOTPLUG_PORTS).find(|p| rec.data_disks.iter().all(|d| d.port != *p)).ok_or_else(|| {
                        DriverError::Capacity(format!("vm {vm_id} has all its {HOTPLUG_PORTS} data disk ports in use"))
                    })?;
                if running {
                    let path = layout.disk_image(disk_id);
                    vm::plug_disk(&files, &Disk { id: disk_id, path, port: Some(port) }).await?;
                }
                disk.attached_to = Some(vm_id.to_string());
                rec.data_disks.push(DataDisk { disk: disk_id.to_string(), port });
            }
            (false, Some(v)) if v == vm_id && rec.spec.root_disk != disk_id => {
                if running {
                    vm::unplug_disk(&files, disk_id).await?;
                }
                disk.attached_to = None;
                rec.data_disks.retain(|d| d.disk != disk_id);
            }
            (true, Some(v)) => return Err(conflict(format!("disk {disk_id} is attached to {v}"))),
            (false, _) => return Err(conflict(format!("disk {disk_id} is not a data disk of {vm_id}"))),
        }
        layout.save(ResourceKind::Disk, disk_id, &disk)?;
        layout.save(ResourceKind::Vm, vm_id, &rec)
    }

    /// Binds or unbinds the IP's port forward (when the VM's security groups allow port
    /// 22 from it), on the running process too.
    async fn set_ip(&self, ip_id: &str, vm_id: &str, attach: bool) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(vm_id).await;
        let mut rec: VmRecord = layout.load(ResourceKind::Vm, vm_id)?;
        let mut ip: IpRecord = layout.load(ResourceKind::PublicIp, ip_id)?;
        match (attach, ip.attached_to.as_deref(), rec.public_ip.as_deref()) {
            (true, None, None) => {}
            (false, Some(v), _) if v == vm_id => {}
            (true, Some(v), _) => return Err(conflict(format!("public IP {ip_id} is attached to {v}"))),
            (true, None, Some(other)) => return Err(conflict(format!("vm {vm_id} already has public IP {other}"))),
            (false, _, _) => return Err(conflict(format!("public IP {ip_id} is not attached to {vm_id}"))),
        }
        let files = VmFiles::new(&layout, vm_id);
        if files.pid().is_some() {
            vm::set_forward(&files, ip.port, attach && self.policy(&rec)?.ssh_forward).await?;
        }
        ip.attached_to = attach.then(|| vm_id.to_string());
        rec.public_ip = attach.then(|| ip_id.to_string());
        layout.save(ResourceKind::PublicIp, ip_id, &ip)?;
        layout.save(ResourceKind::Vm, vm_id, &rec)
    }

    /// The resource as it is now; a VM's look takes its lock (and only that), the others
    /// the driver's.
    async fn view_of(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        if kind == ResourceKind::Vm {
            let _vm = self.lock_vm(id).await;
            return self.vm_view(layout.load(kind, id)?).await;
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
                "public_ips": "ports of 127.0.0.1 forwarded to the guest's port 22",
                "hotplug_ports": HOTPLUG_PORTS,
                "security_groups": "inbound: the port 22 forward; outbound: all (restrict=off) or nothing",
                "snapshots": "standalone qcow2 copies: qemu-img convert of a disk no running VM has open, \
                              a QMP blockdev-backup (sync=full, crash-consistent, the guest keeps running) \
                              of a running VM's disk; disks from a snapshot are overlays of it",
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
                    port: free_port()?,
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
            Some(files) => vm::resize_live(&files, disk_id, size_gb).await?,
            None => vm::resize_disk(&layout.disk_image(disk_id), size_gb).await?,
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

    async fn console_log(&self, vm_id: &str) -> DriverResult<String> {
        let layout = self.layout();
        let _: VmRecord = layout.load(ResourceKind::Vm, vm_id)?;
        Ok(VmFiles::new(&layout, vm_id).serial_log())
    }
}
