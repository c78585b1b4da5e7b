//! Lean provisioning (SPEC §1): VM templates and their modes, persistent VMs' choices.

pub mod template_mode;

pub use template_mode::{TemplateAction, TemplateMode, TemplatePower};
