//! Disks, snapshots and images.

use super::{Ctx, conflict, invalid, not_found, require};
use crate::record::{Body, Disk, Usage};
use crate::settings::Operation;
use crate::state::State;
use gureum_driver::{DiskSource, DriverResult, Intent, ProviderStatus, Refusal, ResourceKind};
use gureum_model::catalog;

/// The largest disk the provider makes.
const MAX_DISK_GB: i64 = 16_384;

impl State {
    #[allow(clippy::too_many_arguments)] // the fields of CreateSpec::Disk, one to one
    pub(super) fn create_disk(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        size_gb: i64,
        zone: String,
        volume_type: String,
        source: DiskSource,
    ) -> DriverResult<String> {
        self.check_zone(&zone)?;
        if !(1..=MAX_DISK_GB).contains(&size_gb) {
            return Err(invalid(format!("disk size must be between 1 and {MAX_DISK_GB} GB, got {size_gb}")));
        }
        if volume_type.trim().is_empty() {
            return Err(invalid("a disk needs a volume type"));
        }
        let (min_gb, max_gb, base_image) = self.disk_source(&source)?;
        match (&source, base_image.as_deref().and_then(catalog::image)) {
            // A disk made from a public image is a root disk: the provider decides its
            // type and (for some) its size.
            (DiskSource::Image(_), Some(image)) => {
                let profile = ctx.settings.profile;
                if let Some(root) = profile.root_disk(image.os_family.as_str(), &zone, &self.zones)
                    && (root.volume_type != volume_type || root.size_gb.is_some_and(|s| s != size_gb))
                {
                    return Err(profile.refuse(Refusal::invalid(
                        "root_volume_size_gb",
                        format!(
                            "a {} root disk in {zone} is {} {}",
                            image.os_family,
                            root.size_gb.map_or_else(|| "any size".to_string(), |s| format!("{s} GB")),
                            root.volume_type
                        ),
                    )));
                }
            }
            _ => self.enforce(ctx, &Intent::Disk { size_gb, volume_type: &volume_type, zone: &zone })?,
        }
        if !(min_gb..=max_gb).contains(&size_gb) {
            return Err(invalid(format!(
                "a disk from {} must be between {min_gb} and {max_gb} GB, got {size_gb}",
                describe(&source)
            )));
        }
        self.reserve(&zone, Usage { disk_gb: size_gb, ..Usage::default() }, &ctx.settings.capacity)?;
        let id = self.fresh_id(ResourceKind::Disk);
        // A disk from a root disk's snapshot has that guest on it.
        let guest = match &source {
            DiskSource::Snapshot(id) => match self.find(ResourceKind::Snapshot, id).map(|r| &r.body) {
                Ok(Body::Snapshot { guest, .. }) => guest.clone(),
                _ => None,
            },
            _ => None,
        };
        let disk = Disk { zone, size_gb, volume_type, source, base_image, attached_to: None, guest };
        self.add(ctx, id.clone(), name, tag, Body::Disk(disk), ProviderStatus::Available);
        Ok(id)
    }

    /// The disk sizes the source allows, and the public image it descends from.
    fn disk_source(&self, source: &DiskSource) -> DriverResult<(i64, i64, Option<String>)> {
        match source {
            DiskSource::Blank => Ok((1, MAX_DISK_GB, None)),
            DiskSource::Image(name) => {
                if let Some(def) = catalog::image(name) {
                    return Ok((def.min_disk_gb, def.max_disk_gb, Some(def.name.to_string())));
                }
                let Some(rec) = self.record(name).filter(|r| r.kind() == ResourceKind::Image) else {
                    let public: Vec<&str> = catalog::IMAGES.iter().map(|i| i.name).collect();
                    return Err(invalid(format!(
                        "unknown image {name:?}: neither a public image ({}) nor an image of this account",
                        public.join(", ")
                    )));
                };
                require(rec, &[ProviderStatus::Available], "creating a disk from it")?;
                match &rec.body {
                    Body::Image { size_gb, base_image, .. } => Ok((*size_gb, MAX_DISK_GB, base_image.clone())),
                    _ => Err(not_found(ResourceKind::Image, name)),
                }
            }
            DiskSource::Snapshot(id) => {
                let rec = self.find(ResourceKind::Snapshot, id)?;
                require(rec, &[ProviderStatus::Available], "creating a disk from it")?;
                match &rec.body {
                    Body::Snapshot { size_gb, base_image, .. } => Ok((*size_gb, MAX_DISK_GB, base_image.clone())),
                    _ => Err(not_found(ResourceKind::Snapshot, id)),
                }
            }
        }
    }

    pub fn disk_attach(&mut self, ctx: &Ctx, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        let (disk_rec, disk) = self.find_disk(disk_id)?;
        let (vm_rec, vm) = self.find_vm(vm_id)?;
        if let Some(other) = &disk.attached_to {
            return Err(conflict(format!("disk {disk_id} is already attached to {other}")));
        }
        require(disk_rec, &[ProviderStatus::Available], "attach")?;
        require(vm_rec, &[ProviderStatus::Running, ProviderStatus::Stopped], "attaching a disk")?;
        if disk.zone != vm.zone {
            return Err(invalid(format!("disk {disk_id} is in zone {}, vm {vm_id} in zone {}", disk.zone, vm.zone)));
        }
        let pending = ctx.pending(Operation::DiskAttach, Some(ProviderStatus::InUse));
        self.edit(disk_id, |r| {
            if let Body::Disk(d) = &mut r.body {
                d.attached_to = Some(vm_id.to_string());
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        self.edit(vm_id, |r| {
            if let Body::Vm(vm) = &mut r.body {
                vm.data_disks.push(disk_id.to_string());
            }
        });
        Ok(())
    }

    pub fn disk_detach(&mut self, ctx: &Ctx, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        let (disk_rec, disk) = self.find_disk(disk_id)?;
        let (_, vm) = self.find_vm(vm_id)?;
        if disk.attached_to.as_deref() != Some(vm_id) {
            return Err(conflict(format!("disk {disk_id} is not attached to {vm_id}")));
        }
        if vm.root_disk == disk_id {
            return Err(conflict(format!(
                "disk {disk_id} is the root disk of {vm_id}; it is released when the VM is deleted"
            )));
        }
        require(disk_rec, &[ProviderStatus::InUse], "detach")?;
        let pending = ctx.pending(Operation::DiskDetach, Some(ProviderStatus::Available));
        self.edit(disk_id, |r| {
            if let Body::Disk(d) = &mut r.body {
                d.attached_to = None;
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        self.edit(vm_id, |r| {
            if let Body::Vm(vm) = &mut r.body {
                vm.data_disks.retain(|d| d != disk_id);
            }
        });
        Ok(())
    }

    pub fn disk_extend(&mut self, ctx: &Ctx, disk_id: &str, size_gb: i64) -> DriverResult<()> {
        let (rec, disk) = self.find_disk(disk_id)?;
        if size_gb <= disk.size_gb {
            return Err(invalid(format!(
                "a disk can only grow: {disk_id} has {} GB, asked for {size_gb} GB",
                disk.size_gb
            )));
        }
        if size_gb > MAX_DISK_GB {
            return Err(invalid(format!("disk size must be at most {MAX_DISK_GB} GB, got {size_gb}")));
        }
        require(rec, &[ProviderStatus::Available, ProviderStatus::InUse], "extend")?;
        let more = Usage { disk_gb: size_gb - disk.size_gb, ..Usage::default() };
        self.reserve(&disk.zone, more, &ctx.settings.capacity)?;
        let pending = ctx.pending(Operation::DiskExtend, Some(rec.status));
        self.edit(disk_id, |r| {
            if let Body::Disk(d) = &mut r.body {
                d.size_gb = size_gb;
            }
            r.begin(ProviderStatus::Updating, pending);
        });
        Ok(())
    }

    pub(super) fn create_snapshot(
        &mut self,
        ctx: &Ctx,
        name: String,
        tag: String,
        disk_id: &str,
    ) -> DriverResult<String> {
        let (rec, disk) = self.find_disk(disk_id)?;
        require(rec, &[ProviderStatus::Available, ProviderStatus::InUse], "a snapshot")?;
        let body = Body::Snapshot {
            disk: disk_id.to_string(),
            size_gb: disk.size_gb,
            zone: disk.zone.clone(),
            base_image: disk.base_image.clone(),
            guest: disk.guest.clone(),
        };
        let id = self.fresh_id(ResourceKind::Snapshot);
        self.add(ctx, id.clone(), name, tag, body, ProviderStatus::Available);
        Ok(id)
    }

    /// An image needs a settled disk: detached, or its VM running or stopped (stopped
    /// only, for profiles that insist on a consistent disk).
    pub(super) fn create_image(&mut self, ctx: &Ctx, name: String, tag: String, disk_id: &str) -> DriverResult<String> {
        let (rec, disk) = self.find_disk(disk_id)?;
        match &disk.attached_to {
            None => require(rec, &[ProviderStatus::Available], "an image")?,
            Some(vm_id) => {
                let (vm_rec, _) = self.find_vm(vm_id)?;
                self.enforce(ctx, &Intent::ImageFromVm { vm_stopped: vm_rec.status == ProviderStatus::Stopped })?;
                if !matches!(vm_rec.status, ProviderStatus::Stopped | ProviderStatus::Running) {
                    return Err(conflict(format!(
                        "disk {disk_id} is attached to {vm_id}, which is {}; an image needs the VM stopped or the disk detached",
                        vm_rec.status
                    )));
                }
            }
        }
        let body =
            Body::Image { disk: disk_id.to_string(), size_gb: disk.size_gb, base_image: disk.base_image.clone() };
        let id = self.fresh_id(ResourceKind::Image);
        self.add(ctx, id.clone(), name, tag, body, ProviderStatus::Available);
        Ok(id)
    }
}

fn describe(source: &DiskSource) -> String {
    match source {
        DiskSource::Blank => "nothing".into(),
        DiskSource::Image(name) => format!("image {name}"),
        DiskSource::Snapshot(id) => format!("snapshot {id}"),
    }
}
