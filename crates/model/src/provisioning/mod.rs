//! The template library (SPEC §0): template documents and their rules, a stack's
//! dependency graph, and the states of provisionings, their resources and history.

pub mod graph;
pub mod stack;
pub mod state;
pub mod template;
mod validate;

#[cfg(test)]
mod tests;

pub use graph::Graph;
pub use stack::{StackNode, graph_of};
pub use state::{HistoryType, OnFailure, ProvisioningAction, ProvisioningState, StackResourceState};
pub use template::{StackResourceKind, TemplateDoc};
pub use validate::{COMMON_PARAMETERS, MAX_COUNT};
