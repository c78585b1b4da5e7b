//! Disks and public IPs: their records, views, and attaching them to VMs.

use crate::disks;
use crate::driver::{conflict, new_id, view};
use crate::files::{DataDisk, DiskRecord, IpRecord, Layout, VmRecord, io_error};
use crate::vm::{Disk, HOTPLUG_PORTS, ImageFiles, VmFiles};
use crate::{QemuDriver, ZONE, now_ms};
use gureum_driver::{
    CreateSpec, DiskSource, DriverError, DriverResult, ProviderResource, ProviderStatus, ResourceKind,
};
use serde_json::json;

pub(crate) fn address(port: u16) -> String {
    format!("127.0.0.1:{port}")
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

    pub(crate) fn image_dir(&self, name: &str) -> std::path::PathBuf {
        self.settings.images_dir.join(name)
    }

    /// The files that boot the VM: its image's, with the kernel it was upgraded to.
    pub(crate) fn boot_files(&self, rec: &crate::files::VmRecord) -> DriverResult<ImageFiles> {
        let image = self.image(&rec.boot_image)?;
        crate::kernels::boot_files(image, &self.image_dir(&rec.boot_image), rec.kernel.as_deref())
    }

    pub(crate) fn check_zone(zone: &str) -> DriverResult<()> {
        if zone == ZONE {
            return Ok(());
        }
        Err(DriverError::InvalidRequest(format!("unknown zone {zone:?}; this host has zone {ZONE}")))
    }

    pub(crate) async fn create_disk(&self, spec: CreateSpec) -> DriverResult<ProviderResource> {
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
        disks::create_disk(&path, base.as_deref(), size_gb).await?;
        let rec = DiskRecord {
            id: id.clone(),
            name,
            tag,
            size_gb,
            zone,
            volume_type,
            source,
            base_image,
            installed_by: None,
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
                "installed_by": d.installed_by,
                "attached_to": d.attached_to,
                "path": self.layout().disk_image(&d.id),
            }),
        )
    }

    pub(crate) fn ip_view(ip: &IpRecord) -> ProviderResource {
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
                // Guest TCP port → port of 127.0.0.1.
                "forwards": ip.forwards,
            }),
        )
    }

    pub(crate) async fn delete_detached(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
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

    /// Attaches or detaches a data disk: hot-plugged when the VM runs, and on its port
    /// at every launch.
    pub(crate) async fn set_disk(&self, disk_id: &str, vm_id: &str, attach: bool) -> DriverResult<()> {
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
                    disks::plug_disk(&files, &Disk { id: disk_id, path, port: Some(port) }).await?;
                }
                disk.attached_to = Some(vm_id.to_string());
                rec.data_disks.push(DataDisk { disk: disk_id.to_string(), port });
            }
            (false, Some(v)) if v == vm_id && rec.spec.root_disk != disk_id => {
                if running {
                    disks::unplug_disk(&files, disk_id).await?;
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

    /// Binds or unbinds the IP's port forwards (the ports the VM's security groups open),
    /// on the running process too.
    pub(crate) async fn set_ip(&self, ip_id: &str, vm_id: &str, attach: bool) -> DriverResult<()> {
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
        self.apply_forwards(&rec, &mut ip, attach).await?;
        ip.attached_to = attach.then(|| vm_id.to_string());
        rec.public_ip = attach.then(|| ip_id.to_string());
        layout.save(ResourceKind::PublicIp, ip_id, &ip)?;
        layout.save(ResourceKind::Vm, vm_id, &rec)
    }
}
