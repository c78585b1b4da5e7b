//! Snapshots: standalone qcow2 copies of a disk at one instant, in the connection's
//! snapshot store. A disk no running VM has open is copied by qemu-img; a running VM's
//! disk is copied live by a QMP backup job while the guest runs on. Disks made from a
//! snapshot are overlays of its file (made in an instant, like disks from images), so a
//! snapshot is kept while such disks exist.

use crate::QemuDriver;
use crate::disks;
use crate::driver::{conflict, new_id, view};
use crate::files::{DiskRecord, SnapshotRecord, io_error};
use crate::now_ms;
use crate::vm::VmFiles;
use gureum_driver::{DiskSource, DriverError, DriverResult, ProviderResource, ProviderStatus, ResourceKind};
use serde_json::json;
use std::path::PathBuf;
use tokio::sync::MutexGuard;

impl QemuDriver {
    /// Copies the disk into a new snapshot, Available once the call returns. `records`
    /// (the driver's lock) is held to read the disk and take its VM's lock, released for
    /// the copy so other VMs' calls go on, and taken again for the record; the VM's lock
    /// keeps its process and disks as they are during the copy.
    pub(crate) async fn create_snapshot(
        &self,
        name: String,
        tag: String,
        disk_id: &str,
        records: MutexGuard<'_, ()>,
    ) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        let disk: DiskRecord = layout.load(ResourceKind::Disk, disk_id)?;
        // A volume made from a root disk's snapshot boots as the root disk did.
        let boot_image = self.boot_image_of(&disk)?;
        let vm_lock = match disk.attached_to.as_deref() {
            Some(vm) => Some(self.lock_vm(vm).await),
            None => None,
        };
        drop(records);
        let id = new_id("snap");
        let file = layout.snapshot_file(&id);
        let running = disk.attached_to.as_deref().map(|vm| VmFiles::new(&layout, vm)).filter(|f| f.pid().is_some());
        match running {
            Some(files) => disks::backup_live(&files, disk_id, disk.size_gb, &file).await?,
            None => disks::flatten_disk(&layout.disk_image(disk_id), &file).await?,
        }
        // The VM's lock goes before the driver's is taken: the order is the driver's first.
        drop(vm_lock);
        let rec = SnapshotRecord {
            id: id.clone(),
            name,
            tag,
            disk: disk_id.to_string(),
            size_gb: disk.size_gb,
            zone: disk.zone,
            boot_image,
            created_ms: now_ms(),
        };
        let _records = self.lock.lock().await;
        layout.save(ResourceKind::Snapshot, &id, &rec)?;
        Ok(self.snapshot_view(&rec))
    }

    /// What a disk of `size_gb` made from snapshot `id` is an overlay of, and the image
    /// that boots it (the snapshot's).
    pub(crate) fn snapshot_base(&self, id: &str, size_gb: i64) -> DriverResult<(PathBuf, Option<String>)> {
        let layout = self.layout();
        let snap: SnapshotRecord = layout.load(ResourceKind::Snapshot, id)?;
        if size_gb < snap.size_gb {
            return Err(DriverError::InvalidRequest(format!(
                "a disk from snapshot {id} must be at least its {} GB, not {size_gb} GB",
                snap.size_gb
            )));
        }
        Ok((layout.snapshot_file(id), snap.boot_image))
    }

    pub(crate) fn snapshot_view(&self, s: &SnapshotRecord) -> ProviderResource {
        view(
            ResourceKind::Snapshot,
            &s.id,
            &s.name,
            &s.tag,
            ProviderStatus::Available,
            None,
            json!({
                "created_ms": s.created_ms,
                "disk": s.disk,
                "size_gb": s.size_gb,
                "zone": s.zone,
                "base_image": s.boot_image,
                "path": self.layout().snapshot_file(&s.id),
            }),
        )
    }

    /// Deletes a snapshot that no disk is an overlay of.
    pub(crate) fn delete_snapshot(&self, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let _: SnapshotRecord = layout.load(ResourceKind::Snapshot, id)?;
        let mut overlays = vec![];
        for disk in layout.ids(ResourceKind::Disk) {
            if matches!(layout.load::<DiskRecord>(ResourceKind::Disk, &disk)?.source, DiskSource::Snapshot(s) if s == id)
            {
                overlays.push(disk);
            }
        }
        if !overlays.is_empty() {
            return Err(conflict(format!(
                "snapshot {id} is the base of disk {}; delete the disk first",
                overlays.join(", ")
            )));
        }
        for file in [layout.snapshot_file(id), layout.record(ResourceKind::Snapshot, id)] {
            std::fs::remove_file(&file).map_err(|e| io_error(&file, e))?;
        }
        Ok(())
    }
}
