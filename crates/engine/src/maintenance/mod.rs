//! Maintenance (SPEC §2): tasks and the schedules and statuses of their resources, the
//! scheduler that starts each resource's runbook at its time within the task's rate
//! limits, and the runbook itself.

mod log;
mod resources;
pub(crate) mod runbook;
mod scheduler;
mod tasks;
pub mod updates;
mod views;

pub(crate) use scheduler::start;
