//! Maintenance of a VM's guest (see guest.rs): updates, the guest's facts, and a disk
//! put back to a snapshot of it. Kernel, OS and engine updates need the VM stopped and
//! take effect at its next start; a configuration change needs it running.

use super::{invalid, not_found, require};
use crate::guest::{Guest, select_kernel};
use crate::record::{Body, Vm};
use crate::state::State;
use gureum_driver::{DriverResult, GuestFacts, GuestUpdate, ProviderStatus, ResourceKind};

impl State {
    /// The guest on the VM's root disk (a fresh one until the disk says otherwise).
    pub(crate) fn guest(&self, vm: &Vm) -> Guest {
        self.find_disk(&vm.root_disk).ok().and_then(|(_, d)| d.guest.clone()).unwrap_or_default()
    }

    /// Refuses what `update` cannot do to the VM now, changing nothing.
    pub(crate) fn check_update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        let (rec, _) = self.find_vm(vm_id)?;
        match update {
            GuestUpdate::KernelUpgrade { kernel } => {
                require(rec, &[ProviderStatus::Stopped], "a kernel upgrade")?;
                select_kernel(kernel).map(drop)
            }
            GuestUpdate::OsUpdate { version } | GuestUpdate::EngineUpgrade { version } => {
                require(rec, &[ProviderStatus::Stopped], "an OS or engine update")?;
                if version.trim().is_empty() {
                    return Err(invalid("an update needs the version to go to"));
                }
                Ok(())
            }
            GuestUpdate::ConfigChange { settings } => {
                require(rec, &[ProviderStatus::Running], "a configuration change")?;
                match settings.iter().find(|(k, v)| k.trim().is_empty() || v.is_empty()) {
                    Some((k, v)) => Err(invalid(format!("setting {k:?}={v:?}: a name and a value"))),
                    None => Ok(()),
                }
            }
        }
    }

    pub(crate) fn update_vm(&mut self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        self.check_update(vm_id, update)?;
        let (_, vm) = self.find_vm(vm_id)?;
        let mut guest = self.guest(vm);
        match update {
            GuestUpdate::KernelUpgrade { kernel } => guest.kernel = select_kernel(kernel)?.into(),
            GuestUpdate::OsUpdate { version } => guest.os_version = Some(version.clone()),
            GuestUpdate::EngineUpgrade { version } => guest.engine_version = Some(version.clone()),
            GuestUpdate::ConfigChange { settings } => guest.settings.extend(settings.clone()),
        }
        let root = vm.root_disk.clone();
        self.edit(&root, |d| {
            if let Body::Disk(disk) = &mut d.body {
                disk.guest = Some(guest);
            }
        });
        Ok(())
    }

    /// What the running guest says of itself.
    pub(crate) fn guest_facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        let (rec, vm) = self.find_vm(vm_id)?;
        require(rec, &[ProviderStatus::Running], "reading the guest's facts")?;
        Ok(self.guest(vm).facts())
    }

    /// Refuses a revert of `disk_id` to `snapshot_id` that cannot be done now.
    pub(crate) fn check_revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        let (disk_rec, disk) = self.find_disk(disk_id)?;
        let snap = self.find(ResourceKind::Snapshot, snapshot_id)?;
        require(snap, &[ProviderStatus::Available], "a revert to it")?;
        let Body::Snapshot { disk: of, .. } = &snap.body else {
            return Err(not_found(ResourceKind::Snapshot, snapshot_id));
        };
        if of != disk_id {
            return Err(invalid(format!("snapshot {snapshot_id} is of disk {of}, not {disk_id}")));
        }
        match &disk.attached_to {
            Some(vm) => require(self.find_vm(vm)?.0, &[ProviderStatus::Stopped], "reverting its disk"),
            None => require(disk_rec, &[ProviderStatus::Available], "a revert"),
        }
    }

    /// Puts the disk's contents (its image and guest) back to the snapshot's.
    pub(crate) fn revert_disk(&mut self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        self.check_revert(disk_id, snapshot_id)?;
        let Body::Snapshot { base_image, guest, .. } = self.find(ResourceKind::Snapshot, snapshot_id)?.body.clone()
        else {
            return Err(not_found(ResourceKind::Snapshot, snapshot_id));
        };
        self.edit(disk_id, |d| {
            if let Body::Disk(disk) = &mut d.body {
                disk.base_image = base_image;
                disk.guest = guest;
            }
        });
        Ok(())
    }
}
