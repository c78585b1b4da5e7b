//! Reconciliation: compares what the providers report with the records and repairs
//! drift that happened behind gureum's back. An instance whose VM vanished goes to
//! `Error` with the reason; one whose VM changed power state follows it. Nothing is
//! deleted behind the user's back.

use crate::Engine;
use crate::worker::Worker;
use gureum_driver::{DriverError, ProviderStatus, ResourceKind};
use gureum_model::instance::InstanceState;
use gureum_store::record::common;
use gureum_store::{ConnectionRecord, InstanceRecord, Store, Update, Val, now};
use std::collections::HashMap;
use std::time::Duration;

pub const RECONCILE_EVERY: Duration = Duration::from_secs(5);

/// How long an idempotency key is remembered.
const IDEMPOTENCY_KEEP: Duration = Duration::from_secs(24 * 3600);
/// Keys live a day: purging them a minute late changes nothing.
const PURGE_EVERY: Duration = Duration::from_secs(60);

pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("reconciler", RECONCILE_EVERY).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.reconcile_once().await.map(|_| ()) }
    });
    let e = engine.clone();
    Worker::new("idempotency_purge", PURGE_EVERY).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move {
            let before = now() - IDEMPOTENCY_KEEP.as_micros() as i64;
            engine.store().idempotency_purge(before).await.map(|_| ())
        }
    });
}

impl Engine {
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
