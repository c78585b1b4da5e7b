//! Volumes and their snapshots.

pub(crate) mod snapshots;
pub(crate) mod volume_workflows;
pub(crate) mod volumes;
