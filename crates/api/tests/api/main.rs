//! The integration tests of api as one test binary: each file was a binary of its own,
//! and linking each one cost most of a test build on two cores.

mod support;

mod authz;
mod contract;
mod idempotency;
mod invalid_input;
mod lean;
mod maintenance;
mod maintenance_notifications;
mod maintenance_runs;
mod pagination;
mod pools;
mod providers;
mod provisioning;
mod reads;
mod state_machine;
mod tenancy;
mod vm_templates;
