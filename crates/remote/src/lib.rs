//! Driver calls over HTTP. A node agent runs its host's driver and serves it with
//! [`router`]; the server reaches it through [`RemoteDriver`], a [`Driver`] like any
//! other. Every call is one POST of a [`DriverCall`], authenticated by the node's secret
//! as a bearer token; the answer is the call's result or its typed [`DriverError`], so
//! the engine treats a remote host's answers exactly as a local one's. A disk moving
//! between nodes streams its bytes instead (see transfer.rs).

mod transfer;

pub use transfer::{MANIFEST_HEADER, TRANSFER_STALL};

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use gureum_driver::{
    CreateSpec, DiskContent, DiskExport, DiskManifest, Driver, DriverError, DriverInfo, DriverResult, GuestFacts,
    GuestUpdate, Intent, ProviderResource, Refusal, ResourceKind, RootDisk, RuleOutcome, RuleSpec, VmAction,
    VolumeType,
};
use serde::de::DeserializeOwned;
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
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        bearer == Some(&*self.secret)
    }
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

/// A node's driver reached over HTTP. What needs no call (what the driver is, its
/// prechecks and limits) comes from `local`, a driver of the same kind and settings.
pub struct RemoteDriver {
    node: String,
    url: String,
    secret: String,
    local: Arc<dyn Driver>,
    http: reqwest::Client,
    transfers: transfer::TransferClients,
}

/// Opens [`RemoteDriver`]s for the nodes with an agent, for a server's driver registry.
pub struct Agents;

/// The agent driver, to register with [`gureum_driver::DriverRegistry::with_agents`].
pub fn agent_factory() -> Arc<dyn gureum_driver::AgentDriverFactory> {
    Arc::new(Agents)
}

impl gureum_driver::AgentDriverFactory for Agents {
    fn open(&self, node: &str, url: &str, secret: &str, local: Arc<dyn Driver>, timeout: Duration) -> Arc<dyn Driver> {
        Arc::new(RemoteDriver::new(node, url, secret, local, timeout))
    }
}

impl RemoteDriver {
    /// The driver served at `agent_url` by node `node`; `timeout` bounds each call.
    pub fn new(node: &str, agent_url: &str, secret: &str, local: Arc<dyn Driver>, timeout: Duration) -> RemoteDriver {
        let http = reqwest::Client::builder().timeout(timeout).build().expect("an HTTP client");
        RemoteDriver {
            node: node.into(),
            url: format!("{}{DRIVER_PATH}", agent_url.trim_end_matches('/')),
            secret: secret.into(),
            local,
            http,
            transfers: transfer::TransferClients::new(TRANSFER_STALL),
        }
    }

    /// The longest a disk's transfer may stand still (default [`TRANSFER_STALL`]).
    pub fn with_transfer_stall(mut self, stall: Duration) -> RemoteDriver {
        self.transfers = transfer::TransferClients::new(stall);
        self
    }

    fn unreachable(&self, e: impl std::fmt::Display) -> DriverError {
        DriverError::Unavailable(format!("node {} is unreachable: {e}", self.node))
    }

    async fn call<T: DeserializeOwned>(&self, call: DriverCall) -> DriverResult<T> {
        let r = self.http.post(&self.url).bearer_auth(&self.secret).json(&call).send().await;
        self.answer(r.map_err(|e| self.unreachable(e))?).await
    }

    /// The agent's [`Answer`]: the result, or the driver's typed error, whatever the
    /// status; a body that is no answer is the agent's status.
    async fn answer<T: DeserializeOwned>(&self, r: reqwest::Response) -> DriverResult<T> {
        let status = r.status();
        let body = r.bytes().await.map_err(|e| self.unreachable(e))?;
        match (serde_json::from_slice::<Answer>(&body), status.is_success()) {
            (Ok(Answer::Err(e)), _) => Err(e),
            (Ok(Answer::Ok(v)), true) => serde_json::from_value(v).map_err(|e| self.unreachable(e)),
            (Err(e), true) => Err(self.unreachable(e)),
            (_, false) => Err(self.unreachable(format!("its agent answered {status}"))),
        }
    }
}

#[async_trait]
impl Driver for RemoteDriver {
    fn info(&self) -> DriverInfo {
        self.local.info()
    }

    async fn create(&self, spec: CreateSpec) -> DriverResult<ProviderResource> {
        self.call(DriverCall::Create { spec: Box::new(spec) }).await
    }

    async fn get(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        self.call(DriverCall::Get { kind, id: id.into() }).await
    }

    async fn find_by_tag(&self, kind: ResourceKind, tag: &str) -> DriverResult<Option<ProviderResource>> {
        self.call(DriverCall::FindByTag { kind, tag: tag.into() }).await
    }

    async fn list(&self, kind: ResourceKind) -> DriverResult<Vec<ProviderResource>> {
        self.call(DriverCall::List { kind }).await
    }

    async fn delete(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
        self.call(DriverCall::Delete { kind, id: id.into() }).await
    }

    async fn vm_action(&self, id: &str, action: VmAction) -> DriverResult<()> {
        self.call(DriverCall::VmAction { id: id.into(), action }).await
    }

    async fn disk_attach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        self.call(DriverCall::DiskAttach { disk_id: disk_id.into(), vm_id: vm_id.into() }).await
    }

    async fn disk_detach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        self.call(DriverCall::DiskDetach { disk_id: disk_id.into(), vm_id: vm_id.into() }).await
    }

    async fn disk_extend(&self, disk_id: &str, size_gb: i64) -> DriverResult<()> {
        self.call(DriverCall::DiskExtend { disk_id: disk_id.into(), size_gb }).await
    }

    async fn public_ip_associate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        self.call(DriverCall::PublicIpAssociate { ip_id: ip_id.into(), vm_id: vm_id.into() }).await
    }

    async fn public_ip_disassociate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        self.call(DriverCall::PublicIpDisassociate { ip_id: ip_id.into(), vm_id: vm_id.into() }).await
    }

    async fn security_group_set_rules(&self, sg_id: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        self.call(DriverCall::SecurityGroupSetRules { sg_id: sg_id.into(), rules: rules.to_vec() }).await
    }

    fn precheck(&self, intent: &Intent<'_>) -> Result<(), Refusal> {
        self.local.precheck(intent)
    }

    fn root_disk(&self, os_family: &str, zone: &str) -> Option<RootDisk> {
        self.local.root_disk(os_family, zone)
    }

    fn volume_types(&self) -> Vec<VolumeType> {
        self.local.volume_types()
    }

    async fn verify(&self) -> DriverResult<String> {
        self.call(DriverCall::Verify).await
    }

    async fn tag(&self, kind: ResourceKind, id: &str, tag: &str) -> DriverResult<()> {
        self.call(DriverCall::Tag { kind, id: id.into(), tag: tag.into() }).await
    }

    async fn disk_export(&self, disk_id: &str) -> DriverResult<DiskExport> {
        self.export(disk_id).await
    }

    async fn disk_import(&self, manifest: DiskManifest, content: DiskContent) -> DriverResult<ProviderResource> {
        self.import(manifest, content).await
    }

    async fn console_log(&self, vm_id: &str) -> DriverResult<String> {
        self.call(DriverCall::ConsoleLog { vm_id: vm_id.into() }).await
    }

    async fn vm_update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        self.call(DriverCall::VmUpdate { vm_id: vm_id.into(), update: update.clone() }).await
    }

    async fn guest_facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        self.call(DriverCall::GuestFacts { vm_id: vm_id.into() }).await
    }

    async fn disk_revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        self.call(DriverCall::DiskRevert { disk_id: disk_id.into(), snapshot_id: snapshot_id.into() }).await
    }
}
