//! Up-front checks. Before any provider call, gureum describes what it is about to ask —
//! in the user's terms, before any provider resource exists — and the driver says whether
//! its provider would refuse it, in words the user can act on. (Providers often answer
//! only "general error"; the driver knows their rules.)

use crate::RuleSpec;
use serde::Serialize;

/// What gureum is about to ask of the provider.
#[derive(Debug, Clone)]
pub enum Intent<'a> {
    Vm {
        instance_type: &'a str,
        vcpus: i64,
        memory_mib: i64,
        gpu: bool,
        /// Public image name or provider image id.
        image: &'a str,
        os_family: &'a str,
        zone: &'a str,
        root_size_gb: i64,
    },
    Disk {
        size_gb: i64,
        volume_type: &'a str,
        zone: &'a str,
    },
    /// The whole rule set a security group is about to have.
    Rules(&'a [RuleSpec]),
    /// An image of a VM's root disk.
    ImageFromVm {
        vm_stopped: bool,
    },
    /// Deleting an image made `age_seconds` ago.
    ImageDelete {
        age_seconds: i64,
    },
}

/// A refusal a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The request field at fault (`instance_type`, `size_gb`, `port_from`…).
    pub field: String,
    pub message: String,
    /// The request is fine but not now (a state or time condition): 409, not 400.
    pub conflict: bool,
}

impl Refusal {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal { field: field.into(), message: message.into(), conflict: false }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal { field: field.into(), message: message.into(), conflict: true }
    }
}

/// The root disk a provider gives a VM, where it decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootDisk {
    /// Fixed size, when the provider does not let the user choose.
    pub size_gb: Option<i64>,
    pub volume_type: String,
}

/// A kind of data disk and the sizes it comes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeType {
    pub name: String,
    pub min_gb: i64,
    pub max_gb: i64,
}

/// `m1.large_disk100GB` → (`m1.large`, Some(100)). Some providers (KT Cloud Classic) sell
/// specs that carry the VM's total disk size; the data disk is the total minus the root.
pub fn split_disk_spec(name: &str) -> (&str, Option<i64>) {
    if let Some((base, rest)) = name.rsplit_once("_disk")
        && let Some(n) = rest.strip_suffix("GB")
        && let Ok(gb) = n.parse::<i64>()
    {
        return (base, Some(gb));
    }
    (name, None)
}
