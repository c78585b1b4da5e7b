//! The provider interface. A driver implements one provider (a simulated cloud, QEMU on
//! local hosts, a public cloud). The control plane never matches provider errors by
//! string: drivers translate whatever their provider says into [`DriverError`].
//!
//! Every resource a driver creates carries gureum's id as its `tag`, so an orphan (a
//! create whose answer was lost) can always be found again with [`Driver::find_by_tag`]
//! and adopted or removed.

mod capabilities;
mod error;
mod intent;
mod maintenance;
pub mod registry;
mod resource;
mod transfer;

pub use capabilities::*;
pub use error::*;
pub use intent::*;
pub use maintenance::*;
pub use registry::{AgentDriverFactory, ConnectionSpec, DriverFactory, DriverRegistry, OpenError};
pub use resource::*;
pub use transfer::*;

use async_trait::async_trait;
use std::time::Duration;

/// One provider account in one region/zone, as a connection configures it.
#[async_trait]
pub trait Driver: Send + Sync + 'static {
    /// What the driver is and what it supports.
    fn info(&self) -> DriverInfo;

    /// How the driver holds `kind`: what [`Driver::info`] says, without building the rest
    /// of it (hot paths ask this on every call).
    fn support(&self, kind: ResourceKind) -> Support {
        self.info().support(kind)
    }

    /// Starts creating a resource and returns it as soon as the provider has an id for
    /// it, usually in a transitional status; use [`Driver::wait`] for it to settle.
    async fn create(&self, spec: CreateSpec) -> DriverResult<ProviderResource>;

    /// The resource's current state; `NotFound` once it is gone.
    async fn get(&self, kind: ResourceKind, id: &str) -> DriverResult<ProviderResource>;

    /// The resource tagged with gureum id `tag`, if the provider has one.
    async fn find_by_tag(&self, kind: ResourceKind, tag: &str) -> DriverResult<Option<ProviderResource>> {
        Ok(self.list(kind).await?.into_iter().find(|r| r.tag.as_deref() == Some(tag)))
    }

    /// Everything of `kind` the account holds (for drift and adoption).
    async fn list(&self, kind: ResourceKind) -> DriverResult<Vec<ProviderResource>>;

    /// Starts deleting; `NotFound` means it is already gone.
    async fn delete(&self, kind: ResourceKind, id: &str) -> DriverResult<()>;

    /// Power and shape changes of a VM.
    async fn vm_action(&self, id: &str, action: VmAction) -> DriverResult<()>;

    async fn disk_attach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()>;
    async fn disk_detach(&self, disk_id: &str, vm_id: &str) -> DriverResult<()>;
    async fn disk_extend(&self, disk_id: &str, size_gb: i64) -> DriverResult<()>;

    async fn public_ip_associate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()>;
    async fn public_ip_disassociate(&self, ip_id: &str, vm_id: &str) -> DriverResult<()>;

    /// Replaces a security group's rules; reports which rules the provider enforces.
    async fn security_group_set_rules(&self, sg_id: &str, rules: &[RuleSpec]) -> DriverResult<Vec<RuleOutcome>>;

    /// Which of these rules the provider would enforce, told without a group, for a
    /// driver that knows it (gureum keeps the groups of a pool of agent hosts and needs
    /// the answer before any host has a copy); `None`: only setting them tells.
    fn rule_outcomes(&self, rules: &[RuleSpec]) -> Option<Vec<RuleOutcome>> {
        let _ = rules;
        None
    }

    /// Whether the provider would refuse what gureum is about to ask (see [`Intent`]).
    /// Called before any provider call; the default has nothing to say.
    fn precheck(&self, intent: &Intent<'_>) -> Result<(), Refusal> {
        let _ = intent;
        Ok(())
    }

    /// The root disk the provider gives a VM of `os_family` in `zone`, where it decides
    /// (size, type); `None` lets gureum choose (the image's minimum size).
    fn root_disk(&self, os_family: &str, zone: &str) -> Option<RootDisk> {
        let _ = (os_family, zone);
        None
    }

    /// The data disk types the provider offers; the first is the default.
    fn volume_types(&self) -> Vec<VolumeType> {
        vec![VolumeType { name: "SSD".into(), min_gb: 1, max_gb: gureum_model::volume::VOLUME_MAX_GB }]
    }

    /// Checks that the provider answers with these credentials; says what it saw.
    async fn verify(&self) -> DriverResult<String> {
        let vms = self.list(ResourceKind::Vm).await?;
        Ok(format!("the provider answered; {} VMs visible", vms.len()))
    }

    /// Tags an existing provider resource with a gureum id (adopting it).
    async fn tag(&self, kind: ResourceKind, id: &str, tag: &str) -> DriverResult<()> {
        let _ = (kind, id, tag);
        Err(DriverError::Unsupported("tagging existing resources".into()))
    }

    /// A detached disk's content, to move it to another host of this provider.
    async fn disk_export(&self, disk_id: &str) -> DriverResult<DiskExport> {
        let _ = disk_id;
        Err(DriverError::Unsupported("moving disks between hosts".into()))
    }

    /// Creates a detached disk from another host's [`Driver::disk_export`]; the new disk
    /// has an id of this host's.
    async fn disk_import(&self, manifest: DiskManifest, content: DiskContent) -> DriverResult<ProviderResource> {
        let _ = (manifest, content);
        Err(DriverError::Unsupported("moving disks between hosts".into()))
    }

    /// Maintenance: applies `update` to the VM (see [`GuestUpdate`] for which need it
    /// stopped). Applying the same update twice leaves the VM as once.
    async fn vm_update(&self, vm_id: &str, update: &GuestUpdate) -> DriverResult<()> {
        let _ = (vm_id, update);
        Err(DriverError::Unsupported("updating a VM's guest".into()))
    }

    /// What the running guest reports of itself, for a health check after an update.
    async fn guest_facts(&self, vm_id: &str) -> DriverResult<GuestFacts> {
        let _ = vm_id;
        Err(DriverError::Unsupported("reading a guest's facts".into()))
    }

    /// Puts the disk's contents back to `snapshot_id`, a snapshot of that disk; its VM,
    /// if any, is stopped. The rollback of a failed update.
    async fn disk_revert(&self, disk_id: &str, snapshot_id: &str) -> DriverResult<()> {
        let _ = (disk_id, snapshot_id);
        Err(DriverError::Unsupported("reverting a disk to a snapshot".into()))
    }

    /// The VM's serial console output, when the provider keeps one.
    async fn console_log(&self, vm_id: &str) -> DriverResult<String> {
        let _ = vm_id;
        Err(DriverError::Unsupported("console log".into()))
    }

    /// The longest pause between two looks of the default [`Driver::wait`]: how late it
    /// may notice a change. A driver whose `get` is cheap can afford to look more often.
    fn wait_poll_max(&self) -> Duration {
        Duration::from_secs(2)
    }

    /// Waits until the resource reaches one of `until` (or, with `until` empty, is gone).
    /// The default polls; drivers that know when a transition ends override it.
    async fn wait(
        &self,
        kind: ResourceKind,
        id: &str,
        until: &[ProviderStatus],
        timeout: Duration,
    ) -> DriverResult<Option<ProviderResource>> {
        poll_until(self, Looks { kind, id, until, timeout, poll_max: self.wait_poll_max(), worth_a_look: None }).await
    }
}

/// What [`poll_until`] waits for and how often it looks.
pub struct Looks<'a> {
    pub kind: ResourceKind,
    pub id: &'a str,
    pub until: &'a [ProviderStatus],
    pub timeout: Duration,
    /// The longest pause between two looks.
    pub poll_max: Duration,
    /// Ends a pause early when it says a look is worth taking (asked every 20 ms): for
    /// drivers that can tell cheaply that something changed, where a look is dearer.
    pub worth_a_look: Option<&'a (dyn Fn() -> bool + Send + Sync)>,
}

/// The polling [`Driver::wait`]: looks with `get`, pausing 50 ms, doubling up to
/// `poll_max`, between looks.
pub async fn poll_until<D: Driver + ?Sized>(driver: &D, w: Looks<'_>) -> DriverResult<Option<ProviderResource>> {
    const CHECK_EVERY: Duration = Duration::from_millis(20);
    let Looks { kind, id, until, timeout, poll_max, worth_a_look } = w;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        match driver.get(kind, id).await {
            Ok(r) if until.contains(&r.status) => return Ok(Some(r)),
            Ok(r) if r.status == ProviderStatus::Error => {
                return Err(DriverError::Provider {
                    code: "error".into(),
                    message: format!("{kind} {id} went to error: {}", r.status_reason.unwrap_or_default()),
                });
            }
            Err(DriverError::NotFound { .. }) if until.is_empty() => return Ok(None),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(DriverError::Timeout(format!("{kind} {id} did not reach {until:?} in {timeout:?}")));
        }
        match worth_a_look {
            None => tokio::time::sleep(pause).await,
            Some(worth) => {
                let look_at = tokio::time::Instant::now() + pause;
                while tokio::time::Instant::now() < look_at && !worth() {
                    tokio::time::sleep(CHECK_EVERY).await;
                }
            }
        }
        pause = (pause * 2).min(poll_max);
    }
}
