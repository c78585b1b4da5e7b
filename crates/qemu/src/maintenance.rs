//! Maintenance on QEMU VMs: a kernel upgrade chooses which of its image's kernels the VM
//! boots next (kernels.rs), a configuration change sets sysctls in the running guest
//! through its agent, the guest's facts come from its agent, and a disk goes back to a
//! snapshot of it by copying the snapshot into a fresh file (the rollback).

use crate::driver::conflict;
use crate::files::{DiskRecord, SnapshotRecord, VmRecord, io_error};
use crate::vm::{VmFiles, path, run};
use crate::{QemuDriver, agent, disks, kernels};
use gureum_driver::{DriverError, DriverResult, GuestFacts, GuestUpdate, ResourceKind};
use std::time::Duration;

/// How long a running guest's agent has to answer a fact or a setting.
const AGENT_ANSWER: Duration = Duration::from_secs(30);

impl QemuDriver {
    pub(crate) async fn update_vm(&self, id: &str, update: &GuestUpdate) -> DriverResult<()> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let mut rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        let files = VmFiles::new(&layout, id);
        match update {
            GuestUpdate::KernelUpgrade { kernel } => {
                if files.pid().is_some() {
                    return Err(conflict(format!("vm {id} is running; stop the VM first to change its kernel")));
                }
                let release = kernels::select(&self.image_dir(&rec.boot_image), kernel)?;
                rec.kernel = Some(release);
                layout.save(ResourceKind::Vm, id, &rec)
            }
            GuestUpdate::ConfigChange { settings } => {
                ready(&rec, &files)?;
                for (key, value) in settings {
                    if key.is_empty() || value.is_empty() || format!("{key}{value}").contains(['\n', '\r']) {
                        return Err(DriverError::InvalidRequest(format!(
                            "setting {key:?}={value:?}: a name and a value on one line"
                        )));
                    }
                    agent::ask(&files, id, &format!("set {key} {value}"), AGENT_ANSWER).await?;
                }
                Ok(())
            }
            GuestUpdate::OsUpdate { .. } => {
                Err(DriverError::Unsupported("OS updates on QEMU (the guest's system is its image's)".into()))
            }
            GuestUpdate::EngineUpgrade { .. } => {
                Err(DriverError::Unsupported("engine upgrades on QEMU (tiny-linux runs no engine)".into()))
            }
        }
    }

    /// What the guest's agent says of it: `kernel`, `os` and each setting, tab-separated
    /// `key=value`s.
    pub(crate) async fn facts(&self, id: &str) -> DriverResult<GuestFacts> {
        let layout = self.layout();
        let _vm = self.lock_vm(id).await;
        let rec: VmRecord = layout.load(ResourceKind::Vm, id)?;
        let files = VmFiles::new(&layout, id);
        ready(&rec, &files)?;
        let said = agent::ask(&files, id, "facts", AGENT_ANSWER).await?;
        let mut facts = GuestFacts::default();
        for (key, value) in said.split('\t').filter_map(|kv| kv.split_once('=')) {
            match key {
                "kernel" => facts.kernel = Some(value.into()),
                "os" => facts.os_version = Some(value.into()),
                _ => drop(facts.settings.insert(key.into(), value.into())),
            }
        }
        Ok(facts)
    }

    /// Copies the snapshot into a new file over the disk, an overlay of what the disk
    /// was one of (its image) so it boots as before, at the disk's size. As a snapshot's
    /// copy does, it holds the driver's lock only to read the records and take the VM's.
    pub(crate) async fn revert_disk(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        let layout = self.layout();
        let records = self.lock.lock().await;
        let disk: DiskRecord = layout.load(ResourceKind::Disk, disk_id)?;
        let snap: SnapshotRecord = layout.load(ResourceKind::Snapshot, snapshot_id)?;
        if snap.disk != disk_id {
            return Err(DriverError::InvalidRequest(format!(
                "snapshot {snapshot_id} is of disk {}, not {disk_id}",
                snap.disk
            )));
        }
        let _vm = match disk.attached_to.as_deref() {
            Some(vm) => Some(self.lock_vm(vm).await),
            None => None,
        };
        if let Some(vm) = &disk.attached_to
            && VmFiles::new(&layout, vm).pid().is_some()
        {
            return Err(conflict(format!("disk {disk_id} is in use by running vm {vm}; stop the VM first")));
        }
        drop(records);
        let file = layout.disk_image(disk_id);
        let info = disks::image_info(&file).await?;
        let base = info["full-backing-filename"].as_str().map(std::path::PathBuf::from);
        let tmp = file.with_extension("qcow2.revert");
        disks::create_disk(&tmp, base.as_deref(), disk.size_gb).await?;
        // -n: into the overlay just made (else qemu-img makes a standalone file, no base).
        let mut cmd = tokio::process::Command::new(crate::QEMU_IMG);
        cmd.args(["convert", "-q", "-n", "-f", "qcow2", "-O", "qcow2"])
            .arg(path(&layout.snapshot_file(snapshot_id)))
            .arg(path(&tmp));
        if let Err(e) = run(cmd, "qemu-img convert").await {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &file).map_err(|e| io_error(&file, e))
    }
}

/// Fails unless the VM's guest said it is ready since its last boot.
fn ready(rec: &VmRecord, files: &VmFiles) -> DriverResult<()> {
    if files.pid().is_some() && files.ready_since(rec.boot_offset) {
        return Ok(());
    }
    Err(conflict(format!("vm {} is not running (or its guest is not ready yet)", rec.id)))
}
