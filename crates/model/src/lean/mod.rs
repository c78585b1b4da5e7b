//! Lean provisioning (SPEC §1): VM profiles, software stacks, VM templates and their
//! modes, persistent VMs.

pub mod persistent_vm;
pub mod profile;
pub mod template_mode;
pub mod template_state;

pub use persistent_vm::{ConfigurationManagement, PersistentVmType};
pub use profile::{ClockOffset, Environment, MachineSize};
pub use template_mode::{TemplateAction, TemplateMode, TemplatePower};
pub use template_state::TemplateState;
