//! Lean provisioning (SPEC §1): VM templates (system-wide) and a project's persistent VMs.

pub mod persistent_vms;
pub mod vm_templates;
