//! [`RemoteDriver`]: a driver served elsewhere, called over HTTP.

use crate::TRANSFER_STALL;
use crate::{Addressed, Answer, DRIVER_PATH, DriverCall, transfer};
use async_trait::async_trait;
use gureum_driver::{
    CreateSpec, DiskContent, DiskExport, DiskManifest, Driver, DriverError, DriverInfo, DriverResult, GuestFacts,
    GuestUpdate, Intent, Looks, ProviderResource, ProviderStatus, Refusal, ResourceKind, RootDisk, RuleOutcome,
    RuleSpec, VmAction, VolumeType, poll_until,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A driver reached over HTTP: a node's, or one a service hosts. What needs no call
/// (what the driver is, its prechecks and limits) comes from `local`, a driver of the
/// same kind and settings.
pub struct RemoteDriver {
    peer: Peer,
    pub(crate) url: String,
    local: Arc<dyn Driver>,
    timeout: Duration,
    http: reqwest::Client,
    pub(crate) transfers: transfer::TransferClients,
}

/// Who answers a [`RemoteDriver`]'s calls.
enum Peer {
    /// A node's agent, serving its host's one driver to the holder of the node's secret.
    Agent { node: String, secret: String },
    /// A service hosting many drivers; each call names its own with `to`, with the
    /// service's token when it has one. It knows when its transitions end, so a wait is
    /// one call there rather than a poll from here.
    Hosted { name: String, to: Value, token: Option<String> },
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
        let peer = Peer::Agent { node: node.into(), secret: secret.into() };
        Self::with_peer(peer, format!("{}{DRIVER_PATH}", agent_url.trim_end_matches('/')), local, timeout)
    }

    /// The driver `to` names among those the service at `call_url` hosts; `name` is how
    /// errors call the service (its address in it).
    pub fn hosted(
        name: &str,
        call_url: &str,
        to: Value,
        token: Option<&str>,
        local: Arc<dyn Driver>,
        timeout: Duration,
    ) -> RemoteDriver {
        let peer = Peer::Hosted { name: name.into(), to, token: token.map(str::to_string) };
        Self::with_peer(peer, call_url.into(), local, timeout)
    }

    fn with_peer(peer: Peer, url: String, local: Arc<dyn Driver>, timeout: Duration) -> RemoteDriver {
        let http = reqwest::Client::builder().timeout(timeout).build().expect("an HTTP client");
        RemoteDriver { peer, url, local, timeout, http, transfers: transfer::TransferClients::new(TRANSFER_STALL) }
    }

    /// The longest a disk's transfer may stand still (default [`TRANSFER_STALL`]).
    pub fn with_transfer_stall(mut self, stall: Duration) -> RemoteDriver {
        self.transfers = transfer::TransferClients::new(stall);
        self
    }

    /// The peer as errors name it: "node far-1", "the simulated cloud at http://…".
    pub(crate) fn who(&self) -> String {
        match &self.peer {
            Peer::Agent { node, .. } => format!("node {node}"),
            Peer::Hosted { name, .. } => name.clone(),
        }
    }

    pub(crate) fn unreachable(&self, e: impl std::fmt::Display) -> DriverError {
        DriverError::Unavailable(format!("{} is unreachable: {e}", self.who()))
    }

    /// `r` with the peer's secret as its bearer token: an agent's node secret, a
    /// service's token.
    pub(crate) fn authorized(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.peer {
            Peer::Agent { secret, .. } | Peer::Hosted { token: Some(secret), .. } => r.bearer_auth(secret),
            Peer::Hosted { token: None, .. } => r,
        }
    }

    async fn call<T: DeserializeOwned>(&self, call: DriverCall) -> DriverResult<T> {
        self.send(call, Duration::ZERO).await
    }

    /// Sends `call`, allowing it `longer` than a call's timeout (a wait's own).
    async fn send<T: DeserializeOwned>(&self, call: DriverCall, longer: Duration) -> DriverResult<T> {
        let r = self.authorized(self.http.post(&self.url)).timeout(self.timeout + longer);
        let r = match &self.peer {
            Peer::Agent { .. } => r.json(&call),
            Peer::Hosted { to, .. } => r.json(&Addressed { to, call }),
        };
        self.answer(r.send().await.map_err(|e| self.unreachable(e))?).await
    }

    /// Whether the peer moves disks (a node's agent does; a hosted driver has no host of
    /// its own to move them to).
    fn moves_disks(&self) -> DriverResult<()> {
        match &self.peer {
            Peer::Agent { .. } => Ok(()),
            Peer::Hosted { .. } => Err(DriverError::Unsupported("moving disks between hosts".into())),
        }
    }

    /// The peer's [`Answer`]: the result, or the driver's typed error, whatever the
    /// status; a body that is no answer is the peer's status.
    pub(crate) async fn answer<T: DeserializeOwned>(&self, r: reqwest::Response) -> DriverResult<T> {
        let status = r.status();
        let body = r.bytes().await.map_err(|e| self.unreachable(e))?;
        match (serde_json::from_slice::<Answer>(&body), status.is_success()) {
            (Ok(Answer::Err(e)), _) => Err(e),
            (Ok(Answer::Ok(v)), true) => serde_json::from_value(v).map_err(|e| self.unreachable(e)),
            (Err(e), true) => Err(self.unreachable(e)),
            (_, false) => Err(self.unreachable(format!("it answered {status}"))),
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

    fn rule_outcomes(&self, rules: &[RuleSpec]) -> Option<Vec<RuleOutcome>> {
        self.local.rule_outcomes(rules)
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
        self.moves_disks()?;
        self.export(disk_id).await
    }

    async fn disk_import(&self, manifest: DiskManifest, content: DiskContent) -> DriverResult<ProviderResource> {
        self.moves_disks()?;
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

    async fn wait(
        &self,
        kind: ResourceKind,
        id: &str,
        until: &[ProviderStatus],
        timeout: Duration,
    ) -> DriverResult<Option<ProviderResource>> {
        match self.peer {
            Peer::Agent { .. } => {
                let poll_max = self.wait_poll_max();
                poll_until(self, Looks { kind, id, until, timeout, poll_max, worth_a_look: None }).await
            }
            Peer::Hosted { .. } => {
                let call = DriverCall::Wait {
                    kind,
                    id: id.into(),
                    until: until.to_vec(),
                    timeout_ms: timeout.as_millis() as u64,
                };
                self.send(call, timeout).await
            }
        }
    }
}
