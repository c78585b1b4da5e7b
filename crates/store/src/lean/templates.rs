//! VM templates, their versions and events, and persistent VMs (migration 11).

use crate::db::Stmt;
use crate::{Store, args, record};
use gureum_model::lean::{ClockOffset, ConfigurationManagement, Environment, PersistentVmType, TemplateState};
use uuid::Uuid;

record! {
    /// A machine in a template pool, installed once and cloned from once released.
    pub struct VmTemplateRecord in "vm_templates" {
        pub id: Uuid,
        /// Assigned from the pool's prefix and domain.
        pub name: String,
        pub profile_id: Uuid,
        pub pool_id: Uuid,
        pub node_id: Option<Uuid>,
        pub connection_id: Uuid,
        pub zone: String,
        pub description: String,
        pub memory_mib: i64,
        pub disk_gb: i64,
        pub vcpus: i64,
        pub clock_offset: ClockOffset,
        /// As stored: missing or unknown is healed to do_not_use.
        pub mode: Option<String>,
        /// The latest released version (0: never released).
        pub version: i64,
        /// Generalized since it last ran.
        pub sysprepped: bool,
        pub disk_provider_id: Option<String>,
        pub vm_provider_id: Option<String>,
        pub state: TemplateState,
        pub state_reason: Option<String>,
        pub op_id: Option<Uuid>,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}

record! {
    /// A release of a template: the image its disk was frozen into.
    pub struct VmTemplateVersionRecord in "vm_template_versions" {
        pub id: Uuid,
        pub template_id: Uuid,
        pub version: i64,
        pub image_id: Uuid,
        pub created_at: i64,
    }
}

record! {
    pub struct VmTemplateEventRecord in "vm_template_events" {
        pub id: Uuid,
        pub template_id: Uuid,
        pub at: i64,
        pub message: String,
    }
}

record! {
    /// The lean side of an instance that is a persistent VM.
    pub struct PersistentVmRecord in "persistent_vms" {
        /// The instance's id.
        pub id: Uuid,
        pub project_id: Uuid,
        pub template_id: Uuid,
        pub template_version: i64,
        pub pool_id: Uuid,
        pub node_id: Option<Uuid>,
        pub description: String,
        pub vm_type: PersistentVmType,
        pub software_stack_id: Option<Uuid>,
        pub environment: Option<Environment>,
        pub configuration_management: ConfigurationManagement,
        pub reseller_id: Option<Uuid>,
        pub customer_id: Option<Uuid>,
        pub created_at: i64,
        /// When its instance was deleted (the row stays for billing).
        pub deleted_at: Option<i64>,
    }
}

impl Store {
    /// The persistent-VM row of an instance being forgotten (none for other instances):
    /// marked deleted, kept for what it was billed.
    pub fn persistent_vm_forget(instance_id: Uuid, at: i64) -> Stmt {
        Stmt::new(
            "UPDATE persistent_vms SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
            args![at, instance_id],
        )
    }
}
