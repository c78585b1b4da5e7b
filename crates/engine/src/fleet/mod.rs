//! Pools and nodes: capacity, placement, and moving disks between nodes.

pub(crate) mod disk_moves;
pub(crate) mod placement;
pub(crate) mod pools;
mod shared_nodes;
