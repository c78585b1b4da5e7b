//! Maintenance (SPEC §2): tasks that group resources to update, each resource with its own
//! schedule and execution status; the task's status is derived from its resources'.

pub mod derive;
pub mod notice;
pub mod rate;
pub mod resource;

pub use derive::{TaskCounts, derive_task_status};
pub use notice::{DEFAULT_LEAD_TIMES, DeliveryStatus, LeadTime, MAX_LEAD, NoticeKind};
pub use rate::Rate;
pub use resource::ResourceAction;

use crate::spelled_enum;

spelled_enum! {
    /// A resource's execution status; the spellings are the API's.
    pub enum ResourceStatus {
        /// No schedule yet (the state after the task is created).
        Pending => "Pending",
        /// Scheduled to run at its `scheduled_at`.
        Reserved => "Reserved",
        InProgress => "In_progress",
        Completed => "Completed",
        Failed => "Failed",
        /// Left out of the task by the operator.
        Excluded => "Excluded",
    }
}

spelled_enum! {
    /// A task's status, derived from its resources' (see `derive_task_status`).
    pub enum TaskStatus {
        Pending => "Pending",
        Reserved => "Reserved",
        InProgress => "In_progress",
        Completed => "Completed",
        Failed => "Failed",
        Excluded => "Excluded",
    }
}

spelled_enum! {
    /// Which kind of resource a task updates.
    pub enum Service {
        Instance => "instance",
        /// A database engine (or other stack) provisioned from the library.
        Provisioning => "provisioning",
    }
}

spelled_enum! {
    pub enum Requirement {
        /// Must run before its `deadline`.
        Mandatory => "mandatory",
        /// May run after its `recommended_date`.
        Recommended => "recommended",
    }
}

spelled_enum! {
    /// Decides execution order when several resources start together.
    pub enum Priority {
        High => "high",
        Medium => "medium",
        Low => "low",
    }
}

spelled_enum! {
    pub enum MaintenanceType {
        KernelUpgrade => "kernel_upgrade",
        OsUpdate => "os_update",
        EngineUpgrade => "engine_upgrade",
        ConfigChange => "config_change",
    }
}
