//! What maintenance (SPEC §2) asks of a driver: apply an update to a VM, read back what
//! the guest says of itself for the health check, and put a disk back to a snapshot for
//! the rollback.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One update to a VM. Kernel, OS and engine updates are applied to a stopped VM and take
/// effect at its next start; a configuration change is applied to a running guest, with
/// no restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuestUpdate {
    /// Boot the newest kernel whose version starts with `kernel` (e.g. "6.12").
    KernelUpgrade { kernel: String },
    /// Move the guest's operating system to `version`.
    OsUpdate { version: String },
    /// Move the engine the VM runs (a database from the library) to `version`.
    EngineUpgrade { version: String },
    /// Set each setting (e.g. a sysctl `vm.swappiness`) in the running guest.
    ConfigChange { settings: BTreeMap<String, String> },
}

/// What a running guest reports of itself (through its agent or its boot line): what a
/// health check compares with the update it expects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestFacts {
    /// The running kernel's release (`uname -r`).
    #[serde(default)]
    pub kernel: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
    #[serde(default)]
    pub engine_version: Option<String>,
    /// The current value of each setting a configuration change may set.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}
