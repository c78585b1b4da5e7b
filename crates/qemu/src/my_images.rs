//! My-images: flattened copies of stopped VMs' root disks, in the connection's image
//! store, that new disks are overlays of.

use crate::QemuDriver;
use crate::disks;
use crate::driver::{conflict, new_id, view};
use crate::files::{DiskRecord, ImageRecord, io_error};
use crate::now_ms;
use crate::vm::VmFiles;
use gureum_driver::{DriverError, DriverResult, ProviderResource, ProviderStatus, ResourceKind};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

impl QemuDriver {
    /// What a disk made from `image` (a directory image's name or a my-image's id) is an
    /// overlay of, and the directory image whose kernel boots it.
    pub(crate) fn base_of(&self, image: &str) -> DriverResult<(PathBuf, String)> {
        let layout = self.layout();
        if let Ok(mine) = layout.load::<ImageRecord>(ResourceKind::Image, image) {
            return Ok((layout.image_file(image), mine.boot_image));
        }
        Ok((self.image(image)?.disk, image.to_string()))
    }

    /// The directory image whose kernel boots the disk, if it boots: its image's, or the
    /// one that installed a system on it.
    pub(crate) fn boot_image_of(&self, disk: &DiskRecord) -> DriverResult<Option<String>> {
        match &disk.base_image {
            Some(base) => self.base_of(base).map(|(_, boot)| Some(boot)),
            None => Ok(disk.installed_by.clone()),
        }
    }

    /// A my-image: the VM's root disk flattened into the image store, so it does not
    /// depend on the image the disk was made from (a template's version, when the disk
    /// is a template's installed one). The disk must not be in use. The image's file is
    /// read-only: the disks made from it are overlays of it (linked clones).
    pub(crate) async fn create_image(
        &self,
        name: String,
        tag: String,
        disk_id: &str,
    ) -> DriverResult<ProviderResource> {
        let layout = self.layout();
        let disk: DiskRecord = layout.load(ResourceKind::Disk, disk_id)?;
        // Power calls take only the VM's lock: holding it keeps the VM stopped while its disk is copied.
        let _vm = match &disk.attached_to {
            Some(vm) => Some(self.lock_vm(vm).await),
            None => None,
        };
        if let Some(vm) = &disk.attached_to
            && VmFiles::new(&layout, vm).pid().is_some()
        {
            return Err(conflict(format!("disk {disk_id} is in use by running vm {vm}; stop it first")));
        }
        let Some(boot_image) = self.boot_image_of(&disk)? else {
            return Err(DriverError::InvalidRequest(format!(
                "disk {disk_id} was neither made from an image nor installed by a VM: it cannot boot"
            )));
        };
        let id = new_id("img");
        let file = layout.image_file(&id);
        disks::flatten_disk(&layout.disk_image(disk_id), &file).await?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).map_err(|e| io_error(&file, e))?;
        let rec = ImageRecord {
            id: id.clone(),
            name,
            tag,
            boot_image,
            size_gb: disk.size_gb,
            source_disk: disk_id.to_string(),
            created_ms: now_ms(),
        };
        layout.save(ResourceKind::Image, &id, &rec)?;
        Ok(self.image_view(&rec))
    }

    pub(crate) fn image_view(&self, i: &ImageRecord) -> ProviderResource {
        view(
            ResourceKind::Image,
            &i.id,
            &i.name,
            &i.tag,
            ProviderStatus::Available,
            None,
            json!({
                "created_ms": i.created_ms,
                "size_gb": i.size_gb,
                "boot_image": i.boot_image,
                "source_disk": i.source_disk,
                "path": self.layout().image_file(&i.id),
            }),
        )
    }

    /// Deletes a my-image that no disk is an overlay of.
    pub(crate) fn delete_image(&self, id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let _: ImageRecord = layout.load(ResourceKind::Image, id)?;
        for disk in layout.ids(ResourceKind::Disk) {
            if layout.load::<DiskRecord>(ResourceKind::Disk, &disk)?.base_image.as_deref() == Some(id) {
                return Err(conflict(format!("image {id} is the base of disk {disk}; delete the disk first")));
            }
        }
        for file in [layout.image_file(id), layout.record(ResourceKind::Image, id)] {
            std::fs::remove_file(&file).map_err(|e| io_error(&file, e))?;
        }
        Ok(())
    }
}
