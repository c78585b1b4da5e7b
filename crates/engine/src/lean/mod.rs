//! Lean provisioning (SPEC §1): VM profiles and software stacks so far; VM templates
//! and persistent VMs build on them.

mod profiles;
mod software_stacks;
