//! Maintenance (SPEC §2): tasks and the schedules and statuses of their resources. This
//! layer records and schedules; the scheduler and runbook that execute are not built yet.

mod resources;
mod tasks;
