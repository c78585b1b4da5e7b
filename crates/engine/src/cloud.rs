//! Every provider call goes through a [`Cloud`]: it bounds each call with a timeout and
//! turns "create" and "delete" into idempotent operations keyed by gureum's id (the
//! resource's tag), which is what lets a workflow step be replayed after a crash.

use crate::saga::StepError;
use crate::{Engine, Result};
use gureum_driver::{
    CreateSpec, Driver, DriverError, DriverInfo, DriverResult, ProviderResource, ProviderStatus, ResourceKind,
    RuleOutcome, RuleSpec, VmAction,
};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub struct Cloud {
    pub connection_id: Uuid,
    driver: Arc<dyn Driver>,
    call_timeout: Duration,
    wait_timeout: Duration,
}

impl Engine {
    /// The provider behind a connection, opening its driver on first use.
    pub async fn cloud(&self, connection_id: Uuid) -> Result<Cloud> {
        let driver = self.driver(connection_id).await?;
        Ok(Cloud {
            connection_id,
            driver,
            call_timeout: self.config().call_timeout,
            wait_timeout: self.config().wait_timeout,
        })
    }
}

impl Cloud {
    async fn bounded<T>(&self, what: &str, call: impl Future<Output = DriverResult<T>>) -> DriverResult<T> {
        match tokio::time::timeout(self.call_timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(DriverError::Timeout(format!("{what} took longer than {:?}", self.call_timeout))),
        }
    }

    pub fn info(&self) -> DriverInfo {
        self.driver.info()
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
