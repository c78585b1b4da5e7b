//! Moving a detached disk to another host: the export is one standalone qcow2 (an
//! overlay is flattened first, so the receiving host needs none of this host's files),
//! and the import checks what it received before it becomes a disk.

use crate::disks;
use crate::driver::{conflict, new_id};
use crate::files::{DiskRecord, io_error};
use crate::{QemuDriver, now_ms};
use futures::StreamExt;
use gureum_driver::{
    DiskContent, DiskExport, DiskManifest, DiskSource, DriverError, DriverResult, ProviderResource, ResourceKind,
};
use std::path::{Path, PathBuf};

/// How much of a disk one piece of its stream holds.
const CHUNK: usize = 256 * 1024;

impl QemuDriver {
    /// The detached disk as one qcow2 stream and what the receiving host needs with it.
    pub(crate) async fn export_disk(&self, disk_id: &str) -> DriverResult<DiskExport> {
        let layout = self.layout();
        let disk: DiskRecord = {
            let _guard = self.lock.lock().await;
            layout.load(ResourceKind::Disk, disk_id)?
        };
        if let Some(vm) = &disk.attached_to {
            return Err(conflict(format!("disk {disk_id} is attached to {vm}; only a detached disk can move")));
        }
        let boot_image = self.boot_image_of(&disk)?;
        let path = layout.disk_image(disk_id);
        let file = if backing_file(&disks::image_info(&path).await?).is_some() {
            let flat = layout.disk_image(&format!("{disk_id}.export-{}", new_id("tmp")));
            disks::flatten_disk(&path, &flat).await?;
            open_unlinked(&flat)?
        } else {
            std::fs::File::open(&path).map_err(|e| io_error(&path, e))?
        };
        let reader = tokio::fs::File::from_std(file);
        let content = tokio_util::io::ReaderStream::with_capacity(reader, CHUNK).boxed();
        let manifest = DiskManifest {
            name: disk.name,
            tag: disk.tag,
            size_gb: disk.size_gb,
            zone: disk.zone,
            volume_type: disk.volume_type,
            boot_image,
        };
        Ok(DiskExport { manifest, content })
    }

    /// A new detached disk from another host's export, once its bytes are a standalone
    /// qcow2 of the manifest's size.
    pub(crate) async fn import_disk(
        &self,
        manifest: DiskManifest,
        content: DiskContent,
    ) -> DriverResult<ProviderResource> {
        Self::check_zone(&manifest.zone)?;
        if let Some(image) = &manifest.boot_image {
            self.image(image)?;
        }
        let layout = self.layout();
        let id = new_id("disk");
        let path = layout.disk_image(&id);
        let part = PartFile(path.with_extension("qcow2.part"));
        let received = receive(&part.0, content).await?;
        check_standalone(&part.0, manifest.size_gb)
            .await
            .map_err(|why| DriverError::InvalidRequest(format!("the content of disk {:?} {why}", manifest.name)))?;
        part.keep_as(&path)?;
        tracing::info!(disk = %id, bytes = received, "imported a disk");
        let source = match &manifest.boot_image {
            Some(image) => DiskSource::Image(image.clone()),
            None => DiskSource::Blank,
        };
        let rec = DiskRecord {
            id: id.clone(),
            name: manifest.name,
            tag: manifest.tag,
            size_gb: manifest.size_gb,
            zone: manifest.zone,
            volume_type: manifest.volume_type,
            source,
            base_image: manifest.boot_image,
            installed_by: None,
            attached_to: None,
            created_ms: now_ms(),
        };
        let _guard = self.lock.lock().await;
        layout.save(ResourceKind::Disk, &id, &rec)?;
        Ok(self.disk_view(&rec))
    }
}

/// The image's backing file, if it is an overlay.
fn backing_file(info: &serde_json::Value) -> Option<&str> {
    info["backing-filename"].as_str()
}

/// Opens a temporary file and removes its name at once: the open file stays readable,
/// and its space is freed when the stream reading it ends or is dropped.
fn open_unlinked(path: &Path) -> DriverResult<std::fs::File> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e));
    std::fs::remove_file(path).map_err(|e| io_error(path, e))?;
    file
}

/// A file being received; removed unless kept (an error, or a caller that went away).
struct PartFile(PathBuf);

impl PartFile {
    fn keep_as(self, path: &Path) -> DriverResult<()> {
        std::fs::rename(&self.0, path).map_err(|e| io_error(path, e))?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes the stream to `to` and syncs it; returns how many bytes came.
async fn receive(to: &Path, mut content: DiskContent) -> DriverResult<u64> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(to).await.map_err(|e| io_error(to, e))?;
    let mut received = 0u64;
    while let Some(chunk) = content.next().await {
        let chunk = chunk.map_err(|e| {
            DriverError::Unavailable(format!("the disk's content broke off after {received} bytes: {e}"))
        })?;
        file.write_all(&chunk).await.map_err(|e| io_error(to, e))?;
        received += chunk.len() as u64;
    }
    file.sync_all().await.map_err(|e| io_error(to, e))?;
    Ok(received)
}

/// Whether the file is what an export sends: a qcow2 that needs no other file (no
/// backing file, no external data file) of `size_gb`; says what it is otherwise.
async fn check_standalone(file: &Path, size_gb: i64) -> Result<(), String> {
    let info = disks::image_info(file).await.map_err(|e| format!("is not an image qemu-img accepts: {e}"))?;
    let format = info["format"].as_str().unwrap_or("unknown");
    let size = info["virtual-size"].as_i64().unwrap_or(0);
    if format != "qcow2" {
        return Err(format!("is a {format} image, not qcow2"));
    }
    if let Some(backing) = backing_file(&info) {
        return Err(format!("has the backing file {backing:?}; it must stand alone"));
    }
    if let Some(data) = info["format-specific"]["data"]["data-file"].as_str() {
        return Err(format!("keeps its data in {data:?}; it must stand alone"));
    }
    if size != size_gb << 30 {
        return Err(format!("is {size} bytes, not the manifest's {size_gb} GiB"));
    }
    Ok(())
}
