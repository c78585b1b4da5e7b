//! The `/v1` wire contract. Requests are what clients send; views are what the server
//! returns. Server, CLI, benchmark and tests all use these types, so they cannot drift.
//! Times are RFC 3339 strings; ids are UUIDs; related resources appear by name.

mod common;
mod compute;
mod iam;
mod lean;
mod maintenance;
mod network;
mod ops;
mod pools;
mod provisioning;
mod storage;
mod tenancy;

pub use common::*;
pub use compute::*;
pub use iam::*;
pub use lean::*;
pub use maintenance::*;
pub use network::*;
pub use ops::*;
pub use pools::*;
pub use provisioning::*;
pub use storage::*;
pub use tenancy::*;

pub use gureum_model::authz::Role;
pub use gureum_model::image::{ImageState, ImageVisibility, OsFamily};
pub use gureum_model::instance::{InstanceAction, InstanceState};
pub use gureum_model::lean::{
    ClockOffset, ConfigurationManagement, Environment, PersistentVmType, TemplateAction, TemplateMode, TemplateState,
};
pub use gureum_model::network::{Direction, Protocol};
pub use gureum_model::node::NodeState;
pub use gureum_model::operation::{OperationStatus, StepStatus};
pub use gureum_model::pool::PoolPurpose;
pub use gureum_model::provisioning::{
    HistoryType, OnFailure, ProvisioningAction, ProvisioningState, StackResourceKind, StackResourceState,
};
pub use gureum_model::public_ip::{PublicIpKind, PublicIpMode, PublicIpState};
pub use gureum_model::state::LifecycleState;
pub use gureum_model::tenancy::TenancyRole;
pub use gureum_model::volume::{VolumeAction, VolumeKind, VolumeState};
