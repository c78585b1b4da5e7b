//! Reconciliation: compares what the providers report with the records and repairs
//! drift that happened behind gureum's back. An instance whose VM vanished goes to
//! `Error` with the reason; one whose VM changed power state follows it. Nothing is
//! deleted behind the user's back.

use crate::Engine;
use crate::compute::instances::provider_view_json;
use crate::worker::Worker;
use gureum_driver::{DriverError, ProviderResource, ProviderStatus, ResourceKind};
use gureum_model::instance::InstanceState;
use gureum_store::record::common;
use gureum_store::{Batch, ConnectionRecord, InstanceRecord, Store, Update, Val, now};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

pub const RECONCILE_EVERY: Duration = Duration::from_secs(5);
/// An unchanged provider view is recorded as seen again at most this often.
const VIEW_FRESH: Duration = Duration::from_secs(60);

/// How long an idempotency key is remembered.
const IDEMPOTENCY_KEEP: Duration = Duration::from_secs(24 * 3600);
/// Keys live a day: purging them a minute late changes nothing.
const PURGE_EVERY: Duration = Duration::from_secs(60);

pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("reconciler", RECONCILE_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.reconcile_once().await.map(|_| ()) }
    });
    let e = engine.clone();
    Worker::new("idempotency_purge", PURGE_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move {
            let before = now() - IDEMPOTENCY_KEEP.as_micros() as i64;
            engine.store().idempotency_purge(before).await.map(|_| ())
        }
    });
}

impl Engine {
    /// Records what the provider now says of each settled instance's VM, for reads:
    /// written when it changed, or when the last record is older than [`VIEW_FRESH`].
    async fn refresh_provider_views(
        &self,
        connection: Uuid,
        instances: &[InstanceRecord],
        vms: &[ProviderResource],
    ) -> crate::Result<()> {
        let stored = self.store().provider_views_of(connection).await?;
        let t = now();
        let mut batch = Batch::new();
        let by_id: HashMap<&str, &ProviderResource> = vms.iter().map(|v| (v.id.as_str(), v)).collect();
        for inst in instances.iter().filter(|i| i.op_id.is_none() && i.state.is_settled()) {
            let Some(vm) = inst.provider_id.as_deref().and_then(|id| by_id.get(id)) else {
                continue;
            };
            let view = provider_view_json(vm);
            let fresh =
                stored.get(&inst.id).is_some_and(|s| s.view == view && t - s.seen_at < VIEW_FRESH.as_micros() as i64);
            if !fresh {
                batch.push(Store::provider_view_set(inst.id, connection, &view, t));
            }
        }
        if !batch.is_empty() {
            self.store().write(batch).await?;
        }
        Ok(())
    }

    /// One pass over every connection's instances.
    pub async fn reconcile_once(&self) -> crate::Result<usize> {
        let mut repaired = 0;
        for conn in self.store().list_all::<ConnectionRecord>(&[]).await? {
            let cloud = match self.cloud(conn.id).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(connection = %conn.name, error = %e, "connection unusable");
                    continue;
                }
            };
            // Records first, then the provider: a record read settled had its VM before the
            // listing, so a VM missing from it really is gone (the other way round, an
            // instance that became Active between the two reads looked vanished). A record
            // that changed after its read fails the generation guard below.
            let instances = self.store().list_all::<InstanceRecord>(&[("connection_id", conn.id.into())]).await?;
            let mut vms = match cloud.list(ResourceKind::Vm).await {
                Ok(v) => v,
                Err(DriverError::Unsupported(_)) => continue,
                Err(e) => {
                    tracing::warn!(connection = %conn.name, error = %e, "listing VMs failed");
                    continue;
                }
            };
            // VMs on nodes with an agent are listed there; an instance on a node that
            // does not answer is left alone (it shows its node unreachable instead).
            let mut unlisted = vec![];
            for node in self.agent_nodes(conn.id).await? {
                match self.node_cloud(conn.id, &node).await?.list(ResourceKind::Vm).await {
                    Ok(v) => vms.extend(v),
                    Err(_) => unlisted.push(node.id),
                }
            }
            let ids: Vec<uuid::Uuid> = instances.iter().map(|i| i.id).collect();
            let allocations = self.store().instances_allocations(&ids).await?;
            let by_id: HashMap<&str, (ProviderStatus, Option<&str>)> =
                vms.iter().map(|v| (v.id.as_str(), (v.status, v.status_reason.as_deref()))).collect();
            self.refresh_provider_views(conn.id, &instances, &vms).await?;
            for inst in instances {
                // Only settled instances with nothing running: workflows own the rest.
                if inst.op_id.is_some() || !inst.state.is_settled() || inst.state == InstanceState::Error {
                    continue;
                }
                if allocations.iter().any(|a| a.instance_id == inst.id && unlisted.contains(&a.node_id)) {
                    continue;
                }
                let Some(vm) = inst.provider_id.as_deref() else {
                    continue;
                };
                let (state, reason) = match by_id.get(vm).copied() {
                    None => (InstanceState::Error, Some(format!("VM {vm} disappeared at the provider"))),
                    // The provider's own reason says what happened (a process killed…).
                    Some((ProviderStatus::Error, why)) => (
                        InstanceState::Error,
                        Some(match why {
                            Some(why) => format!("VM {vm} is in error at the provider: {why}"),
                            None => format!("VM {vm} is in error at the provider"),
                        }),
                    ),
                    Some((ProviderStatus::Stopped, _)) if inst.state == InstanceState::Active => {
                        (InstanceState::Stopped, Some("the VM stopped by itself".to_string()))
                    }
                    Some((ProviderStatus::Running, _)) if inst.state == InstanceState::Stopped => {
                        (InstanceState::Active, Some("the VM started outside gureum".to_string()))
                    }
                    _ => continue,
                };
                tracing::warn!(instance = %inst.name, from = %inst.state, to = %state, reason = ?reason, "repairing drift");
                let update = Update::<InstanceRecord>::of(inst.id)
                    .set(common::STATE_REASON, reason)
                    .guard(common::GENERATION, inst.generation)
                    .guard(common::OP_ID, Val::Null);
                match self.store().write(Store::instance_set_state(update, inst.id, state, now())).await {
                    Ok(_) => repaired += 1,
                    // Changed meanwhile: the next pass looks again.
                    Err(gureum_store::DbError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(repaired)
    }
}
