//! Instances, their actions and workflows, key pairs, and metering.

pub(crate) mod instance_actions;
pub(crate) mod instance_create;
pub(crate) mod instance_workflows;
pub(crate) mod instances;
pub(crate) mod key_pairs;
pub mod usage;
