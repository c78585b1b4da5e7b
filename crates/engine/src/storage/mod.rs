//! Volumes and their snapshots.

pub(crate) mod snapshots;
pub(crate) mod volumes;
