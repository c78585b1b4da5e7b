//! The integration tests of gureum as one test binary: each file was a binary of its own,
//! and linking each one cost most of a test build on two cores.

mod support;

mod balanced;
mod balanced_qemu;
mod browser;
mod cli;
mod crash;
mod first_start;
mod lean_qemu;
mod lifecycle;
mod maintenance_crash;
mod maintenance_qemu;
mod nodes;
mod qemu;
mod qemu_restart;
mod scale_out;
mod sim_service;
mod stack_crash;
mod static_website;
