//! Maintenance (SPEC §2): tasks that group a project's resources to update, each resource
//! with its own schedule and execution status.

mod notifications;

pub use notifications::*;

use crate::Links;
pub use gureum_model::maintenance::{
    MaintenanceType, Priority, Requirement, ResourceAction, ResourceStatus, Service, TaskCounts, TaskStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceTaskCreate {
    /// 1–63 characters: a letter, then letters, digits, `-`, `_` or `.`; unique in the project.
    #[schema(pattern = "^[A-Za-z][A-Za-z0-9._-]*$", min_length = 1, max_length = 63)]
    pub name: String,
    /// `instance` (default), or `provisioning`: stacks of the template library.
    #[serde(default)]
    pub service: Option<Service>,
    /// `mandatory` needs `deadline`; `recommended` needs `recommended_date`.
    pub requirement: Requirement,
    /// RFC 3339, in the future: mandatory tasks run before it.
    #[serde(default)]
    pub deadline: Option<String>,
    /// RFC 3339: recommended tasks are suggested from it (they may run after it).
    #[serde(default)]
    pub recommended_date: Option<String>,
    /// `high`, `medium` (default) or `low`: higher goes first when several start together.
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(rename = "type")]
    pub maintenance_type: MaintenanceType,
    /// What to apply, by type: `kernel_upgrade` `{"kernel": "6.12"}` (the newest
    /// installed kernel of that version), `os_update` and `engine_upgrade`
    /// `{"version": "…"}`, `config_change` `{"settings": {"vm.swappiness": "10"}}` (set in
    /// the running guest, no restart). Optional `health_timeout_seconds` (10–3600, default
    /// 300): how long a restarted guest has to come back healthy.
    #[serde(default)]
    pub apply: Option<serde_json::Value>,
    /// Whether the resource is stopped while it is updated (its root disk is then
    /// snapshotted first, for the rollback). Kernel, OS and engine updates need it.
    #[serde(default)]
    pub downtime: bool,
    /// Names or ids, at least one, each once: instances of the project, or for service
    /// `provisioning` Provisioned stacks, each of whose instances becomes a resource.
    #[schema(min_items = 1)]
    pub resources: Vec<String>,
    /// How many resources may be updated at once: a count (`"5"`) or a percentage of the
    /// task's resources (`"10%"`, rounded down, at least 1). Default `"1"`.
    #[serde(default)]
    pub max_concurrency: Option<String>,
    /// How many resources may fail with the task going on: a count (`"0"` stops at the
    /// first failure) or a percentage of the task's resources that are not excluded
    /// (`"10%"`, rounded down). Once more than that have failed (after their retries),
    /// the resources not yet started end `Failed` with the reason ("cancelled: …"); those
    /// already running finish, and their failures count too. So the task stops after
    /// `max_errors` + 1 failures. Default `"0"`.
    #[serde(default)]
    pub max_errors: Option<String>,
    /// Retries of a failed resource before it is Failed, 0–10 (default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10)]
    pub retries: Option<i64>,
    /// Seconds between retries, 0–86400 (default 60).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 86400)]
    pub retry_backoff_seconds: Option<i64>,
    /// How long before a resource's reserved time an `upcoming` notification is sent:
    /// durations such as `"24h"`, `"90m"`, `"30s"` or `"2d"` (1 s to 30 days, at most 5).
    /// Default `["24h", "1h"]`; `[]` sends none.
    #[serde(default)]
    pub notify_before: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceTask {
    pub id: Uuid,
    pub name: String,
    pub service: Service,
    pub requirement: Requirement,
    pub deadline: Option<String>,
    pub recommended_date: Option<String>,
    pub priority: Priority,
    #[serde(rename = "type")]
    pub maintenance_type: MaintenanceType,
    pub apply: serde_json::Value,
    pub downtime: bool,
    pub max_concurrency: String,
    pub max_errors: String,
    pub retries: i64,
    pub retry_backoff_seconds: i64,
    /// The lead times of `upcoming` notifications.
    pub notify_before: Vec<String>,
    /// Derived from the resources' statuses (excluded ones do not count unless all are).
    pub status: TaskStatus,
    pub counts: TaskCounts,
    /// Set once more resources failed than `max_errors` allows: the resources not yet
    /// started were cancelled (what is scheduled afterwards runs).
    pub stopped_reason: Option<String>,
    /// Whether its resources restart (said before it happens).
    pub restarts: bool,
    /// How long one resource's update took, median of this project's last completed
    /// updates of this type; null before the first.
    pub expected_duration_seconds: Option<f64>,
    pub resources: Vec<MaintenanceResource>,
    pub created_at: String,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceResource {
    /// The instance's id.
    pub id: Uuid,
    pub name: String,
    /// RFC 3339, or null when it has no schedule.
    pub scheduled_at: Option<String>,
    pub status: ResourceStatus,
    pub last_error: Option<String>,
    /// Runs started so far (retries included).
    pub attempts: i64,
    /// When its last run started and ended (RFC 3339).
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The runbook's operation (`GET /v1/projects/{p}/operations/{id}`), once one started.
    pub operation: Option<Uuid>,
}

/// A line of a resource's runbook log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaintenanceLogLine {
    pub at: String,
    pub line: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSchedule {
    /// RFC 3339, not in the past.
    pub at: String,
}
