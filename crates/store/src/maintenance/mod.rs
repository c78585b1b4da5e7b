//! Maintenance tasks and their resources (migration 13), their notifications and webhooks.

mod notifications;

pub use notifications::*;

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
        pub updated_at: i64,
        pub generation: i64,
    }
}
