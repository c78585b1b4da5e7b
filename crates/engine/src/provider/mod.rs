//! Providers: connections, their drivers and call budgets, capabilities and prechecks,
//! adoption of existing provider resources and the drift view.

pub(crate) mod adopted_rows;
pub(crate) mod adoption;
pub(crate) mod capabilities;
pub(crate) mod cloud;
pub(crate) mod connections;
pub(crate) mod drift;
pub(crate) mod node_clouds;
pub(crate) mod precheck;
pub(crate) mod unregister;
