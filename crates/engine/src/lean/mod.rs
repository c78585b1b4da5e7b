//! Lean provisioning (SPEC §1): VM profiles, software stacks, VM templates with their
//! modes and versions, and persistent VMs cloned from them.

mod management_fees;
pub(crate) mod persistent_vms;
mod pools;
mod profiles;
mod software_stacks;
pub(crate) mod template_heal;
pub(crate) mod template_workflows;
pub(crate) mod templates;
