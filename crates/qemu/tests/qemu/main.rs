//! The integration tests of qemu as one test binary: each file was a binary of its own,
//! and linking each one cost most of a test build on two cores.

mod common;

mod forwards;
mod maintenance;
mod reattach;
mod snapshots;
mod templates;
mod transfer;
