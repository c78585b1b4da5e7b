//! Lean provisioning's rows (migrations 9 and 11).

mod templates;
pub use templates::*;

use crate::record;
use gureum_model::image::OsFamily;
use gureum_model::lean::ClockOffset;
use uuid::Uuid;

record! {
    /// A machine described once: OS, install media, size.
    pub struct VmProfileRecord in "vm_profiles" {
        pub id: Uuid,
        pub name: String,
        /// The OS family; read-only once made.
        pub base_profile: OsFamily,
        /// The image the machine is installed from (its id).
        pub install_media: Uuid,
        pub description: String,
        pub os_type: String,
        pub os_version: String,
        pub memory_mib: i64,
        pub disk_gb: i64,
        pub vcpus: i64,
        pub clock_offset: ClockOffset,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}

record! {
    /// Software that persistent VMs of fitting OSes may be given.
    pub struct SoftwareStackRecord in "software_stacks" {
        pub id: Uuid,
        pub name: String,
        pub version: String,
        /// `[{"os_type", "os_version"}]` it fits (JSON).
        pub fits: String,
        /// The environments it offers (JSON array of spellings).
        pub environments: String,
        /// Run in the guest to install it.
        pub install_script: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}
