//! Every provider call goes through a [`Cloud`]: it bounds each call with a timeout,
//! keeps to the connection's call budget (so a burst of requests never hammers the
//! provider), and turns "create" and "delete" into idempotent operations keyed by
//! gureum's id (the resource's tag), which is what lets a workflow step be replayed after
//! a crash.

use crate::workflow::StepError;
use crate::{Engine, Result};
use gureum_driver::{
    CreateSpec, DiskExport, Driver, DriverError, DriverInfo, DriverResult, GuestFacts, GuestUpdate, ProviderResource,
    ProviderStatus, ResourceKind, RuleOutcome, RuleSpec, Support, VmAction,
};
use gureum_model::FieldError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use uuid::Uuid;

/// Connection settings that bound gureum's calls rather than configure the driver.
const LIMIT_SETTINGS: [&str; 2] = ["max_concurrent_calls", "calls_per_second"];
/// Enough to keep a provider busy, few enough that a burst of requests queues in gureum.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 32;
const MAX_CONCURRENT_CALLS: u64 = 10_000;
const MAX_CALLS_PER_SECOND: f64 = 100_000.0;

/// How hard gureum may press one connection's provider.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CallLimits {
    /// Calls in flight at the provider at once.
    pub max_concurrent_calls: usize,
    /// Calls started per second; `None`: as fast as the concurrency allows.
    pub calls_per_second: Option<f64>,
}

impl CallLimits {
    /// Takes the limits out of a connection's `settings`; returns them and the rest,
    /// which is the driver's.
    pub fn split(settings: &Value) -> Result<(CallLimits, Value), FieldError> {
        let mut rest = settings.clone();
        let mut limits = CallLimits { max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS, calls_per_second: None };
        let Some(obj) = rest.as_object_mut() else { return Ok((limits, rest)) };
        if let Some(v) = obj.remove(LIMIT_SETTINGS[0]) {
            limits.max_concurrent_calls =
                v.as_u64().filter(|n| (1..=MAX_CONCURRENT_CALLS).contains(n)).ok_or_else(|| {
                    FieldError::new(
                        "settings.max_concurrent_calls",
                        format!("must be a whole number between 1 and {MAX_CONCURRENT_CALLS}, got {v}"),
                    )
                })? as usize;
        }
        if let Some(v) = obj.remove(LIMIT_SETTINGS[1]) {
            let rate = v.as_f64().filter(|r| *r > 0.0 && *r <= MAX_CALLS_PER_SECOND).ok_or_else(|| {
                FieldError::new(
                    "settings.calls_per_second",
                    format!("must be a number above 0 and at most {MAX_CALLS_PER_SECOND}, got {v}"),
                )
            })?;
            limits.calls_per_second = Some(rate);
        }
        Ok((limits, rest))
    }
}

/// A connection's opened driver and its call budget.
pub(crate) type Provider = (Arc<dyn Driver>, Arc<CallBudget>);

/// A connection's call budget, shared by every [`Cloud`] of it.
pub(crate) struct CallBudget {
    pub limits: CallLimits,
    slots: Semaphore,
    /// When the next call may start, under `calls_per_second`.
    next_start: Mutex<Instant>,
    /// Calls made so far, by what they were (`get`, `list`, `vm_action`…).
    calls: Mutex<BTreeMap<&'static str, u64>>,
}

impl CallBudget {
    pub fn new(limits: CallLimits) -> CallBudget {
        CallBudget {
            limits,
            slots: Semaphore::new(limits.max_concurrent_calls),
            next_start: Mutex::new(Instant::now()),
            calls: Mutex::new(BTreeMap::new()),
        }
    }

    /// Calls made so far through this budget, by what they were.
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Waits for a free slot, then for this call's turn at the rate limit; counts the call.
    async fn enter(&self, what: &'static str) -> tokio::sync::SemaphorePermit<'_> {
        *self.calls.lock().unwrap_or_else(PoisonError::into_inner).entry(what).or_default() += 1;
        metrics::counter!("gureum_provider_calls_total", "call" => what).increment(1);
        let permit = self.slots.acquire().await.expect("the budget's semaphore is never closed");
        if let Some(rate) = self.limits.calls_per_second {
            let start = {
                let mut next = self.next_start.lock().unwrap_or_else(PoisonError::into_inner);
                let start = (*next).max(Instant::now());
                *next = start + Duration::from_secs_f64(1.0 / rate);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

#[derive(Clone)]
pub struct Cloud {
    pub connection_id: Uuid,
    driver: Arc<dyn Driver>,
    budget: Arc<CallBudget>,
    call_timeout: Duration,
    wait_timeout: Duration,
}

impl Engine {
    /// The provider behind a connection, opening its driver on first use.
    pub async fn cloud(&self, connection_id: Uuid) -> Result<Cloud> {
        let (driver, budget) = self.provider(connection_id).await?;
        Ok(self.cloud_of(connection_id, driver, budget))
    }

    /// The provider calls made so far on a connection (since its driver was opened), by
    /// what they were: how a test or a benchmark sees that reads make none.
    pub async fn provider_calls(&self, connection_id: Uuid) -> Result<BTreeMap<&'static str, u64>> {
        let (_, budget) = self.provider(connection_id).await?;
        Ok(budget.calls())
    }

    /// A cloud calling `driver` within the connection's `budget`.
    pub(crate) fn cloud_of(&self, connection_id: Uuid, driver: Arc<dyn Driver>, budget: Arc<CallBudget>) -> Cloud {
        Cloud {
            connection_id,
            driver,
            budget,
            call_timeout: self.config().call_timeout,
            wait_timeout: self.config().wait_timeout,
        }
    }
}

impl Cloud {
    /// One provider call, within the budget; the timeout starts once the call does.
    async fn bounded<T>(&self, what: &'static str, call: impl Future<Output = DriverResult<T>>) -> DriverResult<T> {
        let _slot = self.budget.enter(what).await;
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(DriverError::Timeout(format!("{what} took longer than {:?}", self.call_timeout))),
        }
    }

    /// One call within the budget but without the call timeout: moving a disk's bytes
    /// takes as long as they take.
    async fn budgeted<T>(&self, call: impl Future<Output = DriverResult<T>>) -> DriverResult<T> {
        let _slot = self.budget.enter("transfer").await;
        call.await
    }

    /// Whether both clouds call the same driver (two nodes of a pool whose VMs the server
    /// runs itself): a disk needs no moving between them.
    pub fn same_driver(&self, other: &Cloud) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.driver), Arc::as_ptr(&other.driver))
    }

    pub fn limits(&self) -> CallLimits {
        self.budget.limits
    }

    pub fn info(&self) -> DriverInfo {
        self.driver.info()
    }

    pub fn support(&self, kind: ResourceKind) -> Support {
        self.driver.support(kind)
    }

    pub async fn get(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        self.bounded("get", self.driver.get(kind, id)).await
    }

    pub async fn list(&self, kind: ResourceKind) -> DriverResult<Vec<ProviderResource>> {
        self.bounded("list", self.driver.list(kind)).await
    }

    pub async fn find_by_tag(&self, kind: ResourceKind, tag: &str) -> DriverResult<Option<ProviderResource>> {
        self.bounded("find_by_tag", self.driver.find_by_tag(kind, tag)).await
    }

    pub async fn vm_action(&self, id: &str, action: VmAction) -> DriverResult<()> {
        self.bounded("vm_action", self.driver.vm_action(id, action)).await
    }

    pub async fn disk_attach(&self, disk: &str, vm: &str) -> DriverResult<()> {
        self.bounded("disk_attach", self.driver.disk_attach(disk, vm)).await
    }

    pub async fn disk_detach(&self, disk: &str, vm: &str) -> DriverResult<()> {
        self.bounded("disk_detach", self.driver.disk_detach(disk, vm)).await
    }

    pub async fn disk_extend(&self, disk: &str, size_gb: i64) -> DriverResult<()> {
        self.bounded("disk_extend", self.driver.disk_extend(disk, size_gb)).await
    }

    /// Associates the IP with the VM (unless it already is) and waits until the
    /// provider shows it in use.
    pub async fn public_ip_attach(&self, ip: &str, vm: &str) -> Result<(), StepError> {
        if self.get(ResourceKind::PublicIp, ip).await?.attr_str("attached_to") != Some(vm) {
            self.bounded("public_ip_associate", self.driver.public_ip_associate(ip, vm)).await?;
        }
        self.wait_for(ResourceKind::PublicIp, ip, &[ProviderStatus::InUse]).await?;
        Ok(())
    }

    /// Takes the IP off the VM (if it still is on it) and waits until the provider shows
    /// it free: releasing it before then is refused.
    pub async fn public_ip_detach(&self, ip: &str, vm: &str) -> Result<(), StepError> {
        match self.get(ResourceKind::PublicIp, ip).await {
            Err(DriverError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(r) if r.attr_str("attached_to") == Some(vm) => {
                match self.bounded("public_ip_disassociate", self.driver.public_ip_disassociate(ip, vm)).await {
                    Ok(()) | Err(DriverError::NotFound { .. }) | Err(DriverError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(_) => {}
        }
        match self.driver.wait(ResourceKind::PublicIp, ip, &[ProviderStatus::Available], self.wait_timeout).await {
            Ok(_) | Err(DriverError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn security_group_set_rules(&self, sg: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        self.bounded("security_group_set_rules", self.driver.security_group_set_rules(sg, rules)).await
    }

    pub fn rule_outcomes(&self, rules: &[RuleSpec]) -> Option<Vec<RuleOutcome>> {
        self.driver.rule_outcomes(rules)
    }

    /// Starts deleting a resource gureum does not record.
    pub async fn delete(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
        self.bounded("delete", self.driver.delete(kind, id)).await
    }

    pub async fn verify(&self) -> DriverResult<String> {
        self.bounded("verify", self.driver.verify()).await
    }

    /// Marks a provider resource as gureum's (adoption).
    pub async fn tag(&self, kind: ResourceKind, id: &str, tag: &str) -> DriverResult<()> {
        self.bounded("tag", self.driver.tag(kind, id, tag)).await
    }

    pub async fn disk_export(&self, disk: &str) -> DriverResult<DiskExport> {
        self.bounded("disk_export", self.driver.disk_export(disk)).await
    }

    pub async fn disk_import(&self, export: DiskExport) -> DriverResult<ProviderResource> {
        self.budgeted(self.driver.disk_import(export.manifest, export.content)).await
    }

    pub async fn vm_update(&self, vm: &str, update: &GuestUpdate) -> DriverResult<()> {
        self.bounded("vm_update", self.driver.vm_update(vm, update)).await
    }

    pub async fn guest_facts(&self, vm: &str) -> DriverResult<GuestFacts> {
        self.bounded("guest_facts", self.driver.guest_facts(vm)).await
    }

    pub async fn disk_revert(&self, disk: &str, snapshot: &str) -> DriverResult<()> {
        self.bounded("disk_revert", self.driver.disk_revert(disk, snapshot)).await
    }

    pub async fn console_log(&self, vm: &str) -> DriverResult<String> {
        self.bounded("console_log", self.driver.console_log(vm)).await
    }

    /// Creates the resource unless a previous run of this step already did: when the step
    /// may have run, the provider is first asked for a resource carrying the tag. A
    /// create whose outcome is unknown (timeout) is looked up the same way.
    pub async fn ensure_created(&self, spec: CreateSpec, may_have_run: bool) -> Result<ProviderResource, StepError> {
        let kind = spec.kind();
        let tag = spec.tag().to_string();
        if may_have_run && let Some(found) = self.find_by_tag(kind, &tag).await? {
            return Ok(found);
        }
        match self.bounded("create", self.driver.create(spec)).await {
            Ok(r) => Ok(r),
            Err(e) if e.outcome_unknown() => match self.find_by_tag(kind, &tag).await? {
                Some(found) => Ok(found),
                None => Err(StepError::Retry(e.to_string())),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the resource (found by provider id, or by tag when the id was never
    /// recorded) and waits until it is gone. Already gone is success.
    pub async fn ensure_deleted(
        &self,
        kind: ResourceKind,
        provider_id: Option<&str>,
        tag: &str,
    ) -> Result<(), StepError> {
        let id = match provider_id {
            Some(id) => id.to_string(),
            None => match self.find_by_tag(kind, tag).await? {
                Some(r) => r.id,
                None => return Ok(()),
            },
        };
        match self.bounded("delete", self.driver.delete(kind, &id)).await {
            Ok(()) | Err(DriverError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.wait_gone(kind, &id).await
    }

    /// Waits for the resource to reach one of `until`.
    pub async fn wait_for(
        &self,
        kind: ResourceKind,
        id: &str,
        until: &[ProviderStatus],
    ) -> Result<ProviderResource, StepError> {
        match self.driver.wait(kind, id, until, self.wait_timeout).await? {
            Some(r) => Ok(r),
            None => Err(StepError::Fail(format!("{kind} {id} disappeared at the provider"))),
        }
    }

    pub async fn wait_gone(&self, kind: ResourceKind, id: &str) -> Result<(), StepError> {
        match self.driver.wait(kind, id, &[], self.wait_timeout).await {
            Ok(_) | Err(DriverError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
