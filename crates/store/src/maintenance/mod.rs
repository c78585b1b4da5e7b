//! Maintenance tasks, their resources and the runbook's log (migrations 13 and 14), their
//! notifications and webhooks (migration 15).

mod notifications;
mod queries;

pub use notifications::*;
pub use queries::StatusCount;

use crate::record;
use gureum_model::maintenance::{MaintenanceType, Priority, Requirement, ResourceStatus, Service};
use uuid::Uuid;

record! {
    /// A task grouping resources to update; its status is derived from theirs.
    pub struct MaintenanceTaskRecord in "maintenance_tasks" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub service: Service,
        pub requirement: Requirement,
        /// Mandatory tasks: run before this (µs since the epoch, like every timestamp).
        pub deadline: Option<i64>,
        /// Recommended tasks: suggested from this (µs since the epoch, like every timestamp).
        pub recommended_date: Option<i64>,
        pub priority: Priority,
        pub maintenance_type: MaintenanceType,
        /// What to apply (JSON object).
        pub apply: String,
        pub downtime: bool,
        /// A count or a percentage (`gureum_model::maintenance::Rate`).
        pub max_concurrency: String,
        pub max_errors: String,
        pub retries: i64,
        pub retry_backoff_seconds: i64,
        /// The lead times of `upcoming` notices, a JSON list such as `["24h","1h"]`.
        pub notify_before: String,
        pub created_by: Uuid,
        /// Why the task stopped starting resources (`max_errors` exceeded), once it did.
        pub stopped_reason: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}

record! {
    /// One resource of a task: its schedule and execution status.
    pub struct MaintenanceResourceRecord in "maintenance_resources" {
        pub id: Uuid,
        pub task_id: Uuid,
        /// The instance's id.
        pub resource_id: Uuid,
        pub resource_name: String,
        pub status: ResourceStatus,
        pub scheduled_at: Option<i64>,
        pub last_error: Option<String>,
        pub attempts: i64,
        /// The runbook started by its slot, while it runs (and after, for its log).
        pub op_id: Option<Uuid>,
        /// When its last run started and ended.
        pub started_at: Option<i64>,
        pub finished_at: Option<i64>,
        pub updated_at: i64,
        pub generation: i64,
    }
}

record! {
    /// A line of a resource's runbook log.
    pub struct MaintenanceLogRecord in "maintenance_log" {
        pub id: Uuid,
        pub task_id: Uuid,
        pub resource_row_id: Uuid,
        pub at: i64,
        pub line: String,
    }
}
