//! The simulated cloud's maintenance calls. An update or a revert takes its operation's
//! latency within the call and returns once applied (as QEMU's do, so a caller starts
//! the VM right after), with the operation's faults; what cannot be done now is refused
//! at once.

use crate::SimDriver;
use crate::settings::Operation;
use crate::state::State;
use crate::stats::Call;
use gureum_driver::{DriverResult, GuestFacts, GuestUpdate};
use std::time::Duration;

fn update_operation(update: &GuestUpdate) -> Operation {
    match update {
        GuestUpdate::KernelUpgrade { .. } => Operation::VmKernelUpgrade,
        GuestUpdate::OsUpdate { .. } => Operation::VmOsUpdate,
        GuestUpdate::EngineUpgrade { .. } => Operation::VmEngineUpgrade,
        GuestUpdate::ConfigChange { .. } => Operation::VmConfigChange,
    }
}

impl SimDriver {
    pub(crate) async fn update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        let op = update_operation(update);
        self.lasting(op, |st| st.check_update(vm_id, update), |st| st.update_vm(vm_id, update)).await
    }

    pub(crate) async fn facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        self.read(Call::GuestFacts, |st| st.guest_facts(vm_id)).await
    }

    pub(crate) async fn revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        let check = |st: &State| st.check_revert(disk_id, snapshot_id);
        self.lasting(Operation::DiskRevert, check, |st| st.revert_disk(disk_id, snapshot_id)).await
    }

    /// Checks, takes `op`'s latency, then applies (checking again: another call may have
    /// changed the resource meanwhile).
    async fn lasting(
        &self,
        op: Operation,
        check: impl Fn(&State) -> DriverResult<()>,
        apply: impl FnOnce(&mut State) -> DriverResult<()>,
    ) -> DriverResult<()> {
        self.with_state(|st, _| check(st))??;
        let latency = self.settings().latency(op);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        self.change(op, |st, _| apply(st)).await
    }
}
