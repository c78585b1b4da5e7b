//! The template library (SPEC §0): a catalog of templates that are data, plans made
//! without a provider call, provisionings that make whole stacks through the existing
//! resource workflows as one durable workflow, their installation info, their return,
//! and a history whose logs expire.

mod children;
mod history;
pub mod library;
mod outputs;
mod parameters;
mod plan;
mod prepare;
mod provisionings;
mod readiness;
mod render;
mod stack;
pub(crate) mod stack_create;
pub(crate) mod stack_return;

pub(crate) use history::start as start_history_purge;
pub use library::check_shipped;
