//! One method per `/v1` endpoint. Every `project`, resource and user argument is a name
//! or an id. Creates, deletes and actions of provider resources answer with the resource
//! in its transitional state and its `operation_id`: follow it with
//! [`Client::wait_operation`].

pub(super) use crate::{Client, Result, seg};
pub(super) use gureum_api_types::*;
use serde::Serialize;

pub(super) fn project_path(project: &str, rest: &str) -> String {
    format!("/v1/projects/{}{rest}", seg(project))
}

#[derive(Serialize)]
pub(super) struct NoQuery {}

#[derive(Serialize)]
pub(super) struct WaitQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_seconds: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct CsvQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    format: &'static str,
}

mod catalog;
mod compute;
mod connections;
mod iam;
mod lean;
mod maintenance;
mod network;
mod ops;
pub use ops::SYSTEM_OPERATIONS;
mod pools;
mod provisioning;
mod storage;
mod tenancy;
