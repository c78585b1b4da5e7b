//! Lean provisioning (SPEC §1): VM profiles, software stacks, VM templates and their
//! modes.

pub mod profile;
pub mod template_mode;

pub use profile::{ClockOffset, Environment, MachineSize};
pub use template_mode::{TemplateAction, TemplateMode, TemplatePower};
