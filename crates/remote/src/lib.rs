//! Driver calls over HTTP. A node agent runs its host's driver and serves it with
//! [`router`]; the server reaches it through [`RemoteDriver`], a [`Driver`] like any
//! other. Every call is one POST of a [`DriverCall`], authenticated by the node's secret
//! as a bearer token; the answer is the call's result or its typed [`DriverError`], so
//! the engine treats a remote host's answers exactly as a local one's. A disk moving
//! between nodes streams its bytes instead (see transfer.rs).
//!
//! A service hosting many drivers (the simulated cloud's, one per connection) takes the
//! same calls [`Addressed`] to one of them.

mod client;
mod transfer;

pub use client::{Agents, RemoteDriver, agent_factory};
pub use transfer::{MANIFEST_HEADER, TRANSFER_STALL};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use gureum_driver::{
    CreateSpec, Driver, DriverError, DriverResult, GuestUpdate, ProviderStatus, ResourceKind, RuleSpec, VmAction,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The path agents serve driver calls on.
pub const DRIVER_PATH: &str = "/v1/driver";

/// One call of the [`Driver`] trait, as sent over the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum DriverCall {
    Create { spec: Box<CreateSpec> },
    Get { kind: ResourceKind, id: String },
    FindByTag { kind: ResourceKind, tag: String },
    List { kind: ResourceKind },
    Delete { kind: ResourceKind, id: String },
    VmAction { id: String, action: VmAction },
    DiskAttach { disk_id: String, vm_id: String },
    DiskDetach { disk_id: String, vm_id: String },
    DiskExtend { disk_id: String, size_gb: i64 },
    PublicIpAssociate { ip_id: String, vm_id: String },
    PublicIpDisassociate { ip_id: String, vm_id: String },
    SecurityGroupSetRules { sg_id: String, rules: Vec<RuleSpec> },
    Verify,
    Tag { kind: ResourceKind, id: String, tag: String },
    ConsoleLog { vm_id: String },
    VmUpdate { vm_id: String, update: GuestUpdate },
    GuestFacts { vm_id: String },
    DiskRevert { disk_id: String, snapshot_id: String },
    // `Driver::wait`, for a peer that knows when its transitions end (agents are polled instead).
    Wait { kind: ResourceKind, id: String, until: Vec<ProviderStatus>, timeout_ms: u64 },
}

/// A call to one of the drivers a service hosts: `to` says which, fully enough that the
/// service needs no registration beforehand (and a restarted one none again).
#[derive(Debug, Serialize, Deserialize)]
pub struct Addressed<T> {
    pub to: T,
    pub call: DriverCall,
}

fn to_value<T: Serialize>(r: DriverResult<T>) -> DriverResult<Value> {
    r.map(|v| serde_json::to_value(v).expect("driver results serialize"))
}

/// Runs `call` on `driver`.
pub async fn execute(driver: &dyn Driver, call: DriverCall) -> DriverResult<Value> {
    use DriverCall as C;
    match call {
        C::Create { spec } => to_value(driver.create(*spec).await),
        C::Get { kind, id } => to_value(driver.get(kind, &id).await),
        C::FindByTag { kind, tag } => to_value(driver.find_by_tag(kind, &tag).await),
        C::List { kind } => to_value(driver.list(kind).await),
        C::Delete { kind, id } => to_value(driver.delete(kind, &id).await),
        C::VmAction { id, action } => to_value(driver.vm_action(&id, action).await),
        C::DiskAttach { disk_id, vm_id } => to_value(driver.disk_attach(&disk_id, &vm_id).await),
        C::DiskDetach { disk_id, vm_id } => to_value(driver.disk_detach(&disk_id, &vm_id).await),
        C::DiskExtend { disk_id, size_gb } => to_value(driver.disk_extend(&disk_id, size_gb).await),
        C::PublicIpAssociate { ip_id, vm_id } => to_value(driver.public_ip_associate(&ip_id, &vm_id).await),
        C::PublicIpDisassociate { ip_id, vm_id } => to_value(driver.public_ip_disassociate(&ip_id, &vm_id).await),
        C::SecurityGroupSetRules { sg_id, rules } => to_value(driver.security_group_set_rules(&sg_id, &rules).await),
        C::Verify => to_value(driver.verify().await),
        C::Tag { kind, id, tag } => to_value(driver.tag(kind, &id, &tag).await),
        C::ConsoleLog { vm_id } => to_value(driver.console_log(&vm_id).await),
        C::VmUpdate { vm_id, update } => to_value(driver.vm_update(&vm_id, &update).await),
        C::GuestFacts { vm_id } => to_value(driver.guest_facts(&vm_id).await),
        C::DiskRevert { disk_id, snapshot_id } => to_value(driver.disk_revert(&disk_id, &snapshot_id).await),
        C::Wait { kind, id, until, timeout_ms } => {
            to_value(driver.wait(kind, &id, &until, Duration::from_millis(timeout_ms)).await)
        }
    }
}

/// What an agent answers: the call's result, or the driver's error.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Ok(Value),
    Err(DriverError),
}

impl<T: Serialize> From<DriverResult<T>> for Answer {
    fn from(r: DriverResult<T>) -> Answer {
        match to_value(r) {
            Ok(v) => Answer::Ok(v),
            Err(e) => Answer::Err(e),
        }
    }
}

#[derive(Clone)]
struct Served {
    driver: Arc<dyn Driver>,
    secret: Arc<str>,
}

impl Served {
    /// Whether the request carries the node's secret as its bearer token.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        bearer_is(headers, &self.secret)
    }
}

/// Whether the request's bearer token is `secret` (an agent's node secret, the sim
/// service's token). Compared in constant time, so the time of a refusal tells a caller
/// nothing of how much of the secret it guessed.
pub fn bearer_is(headers: &HeaderMap, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    bearer.is_some_and(|b| bool::from(b.as_bytes().ct_eq(secret.as_bytes())))
}

/// `POST /v1/driver`: `driver`'s calls for the holder of `secret`; under it, a disk's
/// export (`GET disks/{id}/export`) and import (`POST disks/import`).
pub fn router(driver: Arc<dyn Driver>, secret: &str) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(DRIVER_PATH, post(serve_call))
        .route(&format!("{DRIVER_PATH}/disks/{{id}}/export"), get(transfer::serve_export))
        .route(&format!("{DRIVER_PATH}/disks/import"), post(transfer::serve_import))
        .with_state(Served { driver, secret: secret.into() })
}

async fn serve_call(
    State(s): State<Served>,
    headers: HeaderMap,
    axum::Json(call): axum::Json<DriverCall>,
) -> Result<axum::Json<Answer>, StatusCode> {
    if !s.authorized(&headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(axum::Json(Answer::from(execute(&*s.driver, call).await)))
}

#[cfg(test)]
mod tests {
    use super::bearer_is;
    use axum::http::HeaderMap;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", value.parse().unwrap());
        h
    }

    #[test]
    fn only_the_whole_secret_as_a_bearer_token_passes() {
        assert!(bearer_is(&with("Bearer gns_secret"), "gns_secret"));
        for refused in ["Bearer gns_secre", "Bearer gns_secret2", "Bearer ", "gns_secret", "Basic gns_secret"] {
            assert!(!bearer_is(&with(refused), "gns_secret"), "{refused}");
        }
        assert!(!bearer_is(&HeaderMap::new(), "gns_secret"), "no header");
    }
}
