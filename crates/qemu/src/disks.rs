//! A VM's disks: qcow2 files made, grown and flattened with qemu-img, and the live
//! operations on a running VM's disks over QMP (hot-plug, unplug, grow, backup).

use crate::files::io_error;
use crate::qmp;
use crate::qmp::Qmp;
use crate::vm::{Disk, VmFiles, device_id, output, path, run};
use gureum_driver::{DriverError, DriverResult};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the guest has to release a disk being unplugged.
const UNPLUG_GRACE: Duration = Duration::from_secs(30);

/// How long a live copy of a disk may take (seconds for the small disks of one host).
const BACKUP_TIMEOUT: Duration = Duration::from_secs(600);
/// Creates `disk`, a qcow2 of `size_gb`, as an overlay on `base` when there is one.
pub(crate) async fn create_disk(disk: &Path, base: Option<&Path>, size_gb: i64) -> DriverResult<()> {
    let mut args: Vec<String> = vec!["create".into(), "-q".into(), "-f".into(), "qcow2".into()];
    if let Some(base) = base {
        args.extend(["-F".into(), "qcow2".into(), "-b".into(), path(base)]);
    }
    args.extend([path(disk), format!("{size_gb}G")]);
    qemu_img(&args).await
}

pub(crate) async fn resize_disk(disk: &Path, size_gb: i64) -> DriverResult<()> {
    qemu_img(&["resize".into(), "-q".into(), "-f".into(), "qcow2".into(), path(disk), format!("{size_gb}G")]).await
}

/// Where a copy to `to` is written until it is whole: a crash leaves no half copy at `to`.
fn partial(to: &Path) -> PathBuf {
    to.with_extension("qcow2.tmp")
}

/// Writes `disk` and everything under it (its image) into one standalone qcow2 at `to`.
pub(crate) async fn flatten_disk(disk: &Path, to: &Path) -> DriverResult<()> {
    let tmp = partial(to);
    qemu_img(&[
        "convert".into(),
        "-q".into(),
        "-f".into(),
        "qcow2".into(),
        "-O".into(),
        "qcow2".into(),
        path(disk),
        path(&tmp),
    ])
    .await?;
    std::fs::rename(&tmp, to).map_err(|e| io_error(to, e))
}

/// Hot-plugs a data disk into the running VM; a disk already plugged (a retry after an
/// answer was lost) is left as it is.
pub(crate) async fn plug_disk(files: &VmFiles, disk: &Disk<'_>) -> DriverResult<()> {
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    let devices = qmp.execute("qom-list", json!({"path": "/machine/peripheral"})).await?;
    let device = device_id(disk.id);
    if devices.as_array().into_iter().flatten().any(|d| d["name"] == device.as_str()) {
        return Ok(());
    }
    qmp.execute("blockdev-add", disk.blockdev()).await?;
    if let Err(e) = qmp.execute("device_add", disk.device()).await {
        let _ = qmp.execute("blockdev-del", json!({"node-name": disk.id})).await;
        return Err(e);
    }
    Ok(())
}

/// Unplugs a data disk from the running VM: the guest is asked to release it (ACPI
/// eject) and QEMU reports when it did; then the block node is closed.
pub(crate) async fn unplug_disk(files: &VmFiles, disk: &str) -> DriverResult<()> {
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    let device = device_id(disk);
    match qmp.execute("device_del", json!({"id": device})).await {
        // Gone already: an earlier unplug finished.
        Err(DriverError::Provider { code, .. }) if code == "DeviceNotFound" => {}
        // An earlier unplug is still waiting for the guest.
        Err(DriverError::Provider { message, .. }) if message.contains("already in the process of unplug") => {
            qmp.event("DEVICE_DELETED", |d| d["device"] == device, UNPLUG_GRACE).await?
        }
        Err(e) => return Err(e),
        Ok(_) => qmp.event("DEVICE_DELETED", |d| d["device"] == device, UNPLUG_GRACE).await?,
    }
    match qmp.execute("blockdev-del", json!({"node-name": disk})).await {
        Err(DriverError::Provider { message, .. }) if message.contains("Failed to find node") => Ok(()),
        r => r.map(drop),
    }
}

/// Copies the disk `disk` (its block node) of the running VM, as it is at this instant,
/// into a standalone qcow2 at `to` of `size_gb` (the disk's size: a backup needs equal
/// sizes), without pausing the guest. Crash-consistent: what the guest has not yet
/// written out is not in the copy.
pub(crate) async fn backup_live(files: &VmFiles, disk: &str, size_gb: i64, to: &Path) -> DriverResult<()> {
    let tmp = partial(to);
    create_disk(&tmp, None, size_gb).await?;
    // Named after the copy, so a copy that failed and left its node open does not stand
    // in the next one's way.
    let name = to.file_stem().map_or_else(|| disk.into(), |s| s.to_string_lossy());
    if let Err(e) = backup_job(files, disk, &tmp, &name).await {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, to).map_err(|e| io_error(to, e))
}

/// A full backup job `<name>-backup` from the block node `disk` to the existing qcow2
/// `target`, open as the block node `<name>-target` for the job's time.
async fn backup_job(files: &VmFiles, disk: &str, target: &Path, name: &str) -> DriverResult<()> {
    let (node, job) = (format!("{name}-target"), format!("{name}-backup"));
    let mut qmp = Qmp::connect(&files.qmp()).await?;
    qmp.execute("blockdev-add", Disk { id: &node, path: target.to_path_buf(), port: None }.blockdev()).await?;
    // BLOCK_JOB_COMPLETED carries the job's error, if it failed.
    let failure = std::sync::Mutex::new(None);
    let ours = |d: &Value| {
        let ours = d["device"] == job.as_str();
        if ours {
            *failure.lock().expect("backup failure") = d["error"].as_str().map(str::to_string);
        }
        ours
    };
    let backup = json!({"job-id": job, "device": disk, "target": node, "sync": "full"});
    let copied = match qmp.execute("blockdev-backup", backup).await {
        Ok(_) => qmp.event("BLOCK_JOB_COMPLETED", ours, BACKUP_TIMEOUT).await,
        Err(e) => Err(e),
    };
    let closed = qmp.execute("blockdev-del", json!({"node-name": node})).await;
    copied?;
    if let Some(why) = failure.into_inner().expect("backup failure") {
        return Err(DriverError::Provider {
            code: "qemu".into(),
            message: format!("the live copy of disk {disk} failed: {why}"),
        });
    }
    closed.map(drop)
}

/// Grows a disk the running VM has open; the guest sees the new size at once.
pub(crate) async fn resize_live(files: &VmFiles, disk: &str, size_gb: i64) -> DriverResult<()> {
    qmp::execute(&files.qmp(), "block_resize", json!({"node-name": disk, "size": size_gb << 30})).await.map(drop)
}

/// What `qemu-img info` says of the image at `disk` (its format probed, not assumed).
pub(crate) async fn image_info(disk: &Path) -> DriverResult<Value> {
    let mut cmd = tokio::process::Command::new(crate::QEMU_IMG);
    cmd.args(["info", "--output=json"]).arg(disk);
    let out = output(cmd, "qemu-img info").await?;
    serde_json::from_slice(&out).map_err(|e| DriverError::Provider {
        code: "qemu".into(),
        message: format!("qemu-img info of {}: {e}", disk.display()),
    })
}

async fn qemu_img(args: &[String]) -> DriverResult<()> {
    let mut cmd = tokio::process::Command::new(crate::QEMU_IMG);
    cmd.args(args);
    run(cmd, &format!("qemu-img {}", args[0])).await
}
