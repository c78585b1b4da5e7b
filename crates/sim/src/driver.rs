//! The [`Driver`] trait over the simulated cloud, with its faults: every changing call
//! may hang, fail, or succeed and lose its answer, as the settings say.

use crate::ops::{Ctx, create_operation, delete_operation, roll};
use crate::settings::Operation;
use crate::stats::Call;
use crate::{SimDriver, console, now_ms};
use async_trait::async_trait;
use gureum_driver::{
    CreateSpec, Driver, DriverError, DriverInfo, DriverResult, GuestFacts, GuestUpdate, Intent, ProviderResource,
    ProviderStatus, Refusal, ResourceKind, RootDisk, RuleOutcome, RuleSpec, Support, VmAction, VolumeType,
};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

/// How often `wait` looks again at a resource that is not changing by itself.
const IDLE_POLL_MIN: Duration = Duration::from_millis(50);
const IDLE_POLL_MAX: Duration = Duration::from_secs(2);

impl SimDriver {
    /// A call that changes the cloud. Faults are decided first: a hang or an error
    /// changes nothing; a lost answer is decided after the change is made and journaled.
    pub(crate) async fn change<T>(
        &self,
        op: Operation,
        f: impl FnOnce(&mut crate::state::State, &Ctx) -> DriverResult<T>,
    ) -> DriverResult<T> {
        let _in_flight = self.cloud.stats.enter(Call::Op(op));
        let settings = self.settings();
        self.answer_delay(&settings).await;
        if roll(settings.hang_rate(op)) {
            tokio::time::sleep(Duration::from_millis(settings.hang_ms)).await;
            return Err(DriverError::Timeout(format!(
                "no answer to {op} within {} ms (simulated hang)",
                settings.hang_ms
            )));
        }
        if roll(settings.fault_rate(op)) {
            return Err(DriverError::Provider {
                code: "InternalError".into(),
                message: format!("simulated internal error during {op}"),
            });
        }
        let out = self.with_state(|st, now| f(st, &Ctx { now, settings: &settings, zone: self.zone() }))??;
        if roll(settings.lost_response_rate(op)) {
            return Err(DriverError::Timeout(format!("the answer to {op} was lost (simulated)")));
        }
        Ok(out)
    }

    /// The resource and, while a transition is under way, when it completes. Not counted
    /// as a provider call: it is how `wait` sleeps instead of polling.
    fn observe(&self, kind: ResourceKind, id: &str) -> DriverResult<(ProviderResource, Option<u64>)> {
        self.with_state(|st, _| {
            let rec = st.find(kind, id)?;
            Ok((st.view(rec), rec.pending.as_ref().map(|p| p.at_ms)))
        })?
    }
}

fn vm_operation(action: &VmAction) -> Operation {
    match action {
        VmAction::Start => Operation::VmStart,
        VmAction::Stop { .. } => Operation::VmStop,
        VmAction::Reboot { .. } => Operation::VmReboot,
        VmAction::Resize { .. } => Operation::VmResize,
        VmAction::Sysprep => Operation::VmSysprep,
    }
}

/// What the simulated cloud offers under `profile`, before any connection opens it.
pub fn profile_info(profile: crate::Profile) -> DriverInfo {
    DriverInfo {
        driver: "sim".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        profile: Some(profile.as_str().into()),
        kinds: profile.kinds(),
        details: json!({ "limits": { "volume_types": profile.volume_types() } }),
    }
}

#[async_trait]
impl Driver for SimDriver {
    fn info(&self) -> DriverInfo {
        let settings = self.settings();
        DriverInfo {
            driver: "sim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile: Some(settings.profile.as_str().into()),
            kinds: settings.profile.kinds(),
            details: json!({
                "region": self.region(),
                "zone": self.zone(),
                "zones": crate::zones_of(self.region()),
                "settings": *settings,
                "calls": self.stats(),
                "limits": {
                    "volume_types": settings.profile.volume_types(),
                    "root_disk": crate::zones_of(self.region()).iter().map(|z| (z.clone(), json!({
                        "linux": settings.profile.root_disk("linux", z, &crate::zones_of(self.region())),
                        "windows": settings.profile.root_disk("windows", z, &crate::zones_of(self.region())),
                    }))).collect::<serde_json::Map<_, _>>(),
                    "capacity_per_zone": settings.capacity,
                },
            }),
        }
    }

    fn support(&self, kind: ResourceKind) -> Support {
        self.settings().profile.support(kind)
    }

    async fn create(&self, spec: CreateSpec) -> DriverResult<ProviderResource> {
        let kind = spec.kind();
        self.change(create_operation(kind), |st, ctx| {
            let id = st.create(ctx, spec)?;
            st.settle(ctx.now);
            st.find(kind, &id).map(|r| st.view(r))
        })
        .await
    }

    async fn get(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource> {
        self.read(Call::Get, |st| st.find(kind, id).map(|r| st.view(r))).await
    }

    async fn find_by_tag(&self, kind: ResourceKind, tag: &str) -> DriverResult<Option<ProviderResource>> {
        self.read(Call::FindByTag, |st| Ok(st.find_by_tag(kind, tag).map(|r| st.view(r)))).await
    }

    async fn list(&self, kind: ResourceKind) -> DriverResult<Vec<ProviderResource>> {
        self.read(Call::List, |st| Ok(st.list(kind))).await
    }

    async fn delete(&self, kind: ResourceKind, id: &str) -> DriverResult<()> {
        self.change(delete_operation(kind), |st, ctx| st.delete(ctx, kind, id)).await
    }

    async fn vm_action(&self, id: &str, action: VmAction) -> DriverResult<()> {
        self.change(vm_operation(&action), |st, ctx| st.vm_action(ctx, id, action)).await
    }

    async fn disk_attach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        self.change(Operation::DiskAttach, |st, ctx| st.disk_attach(ctx, disk_id, vm_id)).await
    }

    async fn disk_detach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()> {
        self.change(Operation::DiskDetach, |st, ctx| st.disk_detach(ctx, disk_id, vm_id)).await
    }

    async fn disk_extend(&self, disk_id: &str, size_gb: i64) -> DriverResult<()> {
        self.change(Operation::DiskExtend, |st, ctx| st.disk_extend(ctx, disk_id, size_gb)).await
    }

    async fn public_ip_associate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        self.change(Operation::PublicIpAssociate, |st, ctx| st.public_ip_associate(ctx, ip_id, vm_id)).await
    }

    async fn public_ip_disassociate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()> {
        self.change(Operation::PublicIpDisassociate, |st, ctx| st.public_ip_disassociate(ctx, ip_id, vm_id)).await
    }

    async fn security_group_set_rules(&self, sg_id: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>> {
        self.change(Operation::SecurityGroupRules, |st, ctx| st.set_rules(ctx, sg_id, rules)).await
    }

    fn precheck(&self, intent: &Intent<'_>) -> Result<(), Refusal> {
        self.settings().profile.check(intent, self.zone(), &crate::zones_of(self.region()))
    }

    fn root_disk(&self, os_family: &str, zone: &str) -> Option<RootDisk> {
        self.settings().profile.root_disk(os_family, zone, &crate::zones_of(self.region()))
    }

    fn volume_types(&self) -> Vec<VolumeType> {
        self.settings().profile.volume_types()
    }

    /// Adopting a resource made outside gureum: it carries gureum's id from now on.
    async fn tag(&self, kind: ResourceKind, id: &str, tag: &str) -> DriverResult<()> {
        self.with_state(|st, _| {
            st.find(kind, id)?;
            st.edit(id, |r| r.tag = tag.to_string());
            Ok(())
        })?
    }

    async fn console_log(&self, vm_id: &str) -> DriverResult<String> {
        self.read(Call::ConsoleLog, |st| {
            let (rec, vm) = st.find_vm(vm_id)?;
            Ok(console::render(rec, vm, &st.guest(vm)))
        })
        .await
    }

    async fn vm_update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        self.update(vm_id, update).await
    }

    async fn guest_facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        self.facts(vm_id).await
    }

    async fn disk_revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        self.revert(disk_id, snapshot_id).await
    }

    /// Sleeps until the transition under way completes instead of polling; polls (with
    /// backoff) only while the resource is settled in another status, since then only
    /// another call can change it.
    async fn wait(
        &self,
        kind: ResourceKind,
        id: &str,
        until: &[ProviderStatus],
        timeout: Duration,
    ) -> DriverResult<Option<ProviderResource>> {
        let deadline = Instant::now() + timeout;
        let mut idle_poll = IDLE_POLL_MIN;
        loop {
            let ready_at = match self.observe(kind, id) {
                Ok((r, _)) if until.contains(&r.status) => return Ok(Some(r)),
                Ok((r, _)) if r.status == ProviderStatus::Error => {
                    return Err(DriverError::Provider {
                        code: "error".into(),
                        message: format!("{kind} {id} went to error: {}", r.status_reason.unwrap_or_default()),
                    });
                }
                Err(DriverError::NotFound { .. }) if until.is_empty() => return Ok(None),
                Err(e) => return Err(e),
                Ok((_, ready_at)) => ready_at,
            };
            let pause = match ready_at {
                // At least a millisecond, in case the wall clock lags the timer.
                Some(at) => Duration::from_millis(at.saturating_sub(now_ms()).max(1)),
                None => {
                    let p = idle_poll;
                    idle_poll = (idle_poll * 2).min(IDLE_POLL_MAX);
                    p
                }
            };
            let now = Instant::now();
            if now >= deadline {
                return Err(DriverError::Timeout(format!("{kind} {id} did not reach {until:?} in {timeout:?}")));
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
        }
    }
}
