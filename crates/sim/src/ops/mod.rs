//! The provider's operations, as changes to [`State`]. Each one checks every rule first
//! and only then changes anything, so a refused call leaves the cloud as it was.

mod compute;
mod maintenance;
mod network;
mod storage;

use crate::record::{Body, Disk, Pending, PublicIp, Record, Vm};
use crate::settings::{Operation, SimSettings};
use crate::state::State;
use gureum_driver::{CreateSpec, DriverError, DriverResult, ProviderStatus, ResourceKind};

/// What one call knows besides the state: the time, the settings it started with and
/// the zone the connection works in.
pub(crate) struct Ctx<'a> {
    pub now: u64,
    pub settings: &'a SimSettings,
    pub zone: &'a str,
}

impl Ctx<'_> {
    /// The transition an accepted `op` starts. With the operation's `error_rate` it ends
    /// in `Error` instead, as a cloud's failed build or stuck delete does.
    pub fn pending(&self, op: Operation, to: Option<ProviderStatus>) -> Pending {
        let failed = roll(self.settings.error_rate(op));
        Pending {
            at_ms: self.now + self.settings.latency(op),
            to: if failed { Some(ProviderStatus::Error) } else { to },
            reason: failed.then(|| format!("simulated failure during {op}")),
        }
    }
}

/// True with probability `rate`.
pub(crate) fn roll(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

pub(crate) fn create_operation(kind: ResourceKind) -> Operation {
    match kind {
        ResourceKind::Vpc => Operation::VpcCreate,
        ResourceKind::Subnet => Operation::SubnetCreate,
        ResourceKind::SecurityGroup => Operation::SecurityGroupCreate,
        ResourceKind::KeyPair => Operation::KeyPairCreate,
        ResourceKind::Vm => Operation::VmCreate,
        ResourceKind::Disk => Operation::DiskCreate,
        ResourceKind::Snapshot => Operation::SnapshotCreate,
        ResourceKind::Image => Operation::ImageCreate,
        ResourceKind::PublicIp => Operation::PublicIpCreate,
    }
}

pub(crate) fn delete_operation(kind: ResourceKind) -> Operation {
    match kind {
        ResourceKind::Vpc => Operation::VpcDelete,
        ResourceKind::Subnet => Operation::SubnetDelete,
        ResourceKind::SecurityGroup => Operation::SecurityGroupDelete,
        ResourceKind::KeyPair => Operation::KeyPairDelete,
        ResourceKind::Vm => Operation::VmDelete,
        ResourceKind::Disk => Operation::DiskDelete,
        ResourceKind::Snapshot => Operation::SnapshotDelete,
        ResourceKind::Image => Operation::ImageDelete,
        ResourceKind::PublicIp => Operation::PublicIpDelete,
    }
}

pub(crate) fn not_found(kind: ResourceKind, id: &str) -> DriverError {
    DriverError::NotFound { kind, id: id.to_string() }
}

pub(crate) fn conflict(msg: impl Into<String>) -> DriverError {
    DriverError::Conflict(msg.into())
}

pub(crate) fn invalid(msg: impl Into<String>) -> DriverError {
    DriverError::InvalidRequest(msg.into())
}

/// Refuses an action the resource's status does not allow, naming both.
pub(crate) fn require(rec: &Record, allowed: &[ProviderStatus], action: &str) -> DriverResult<()> {
    if allowed.contains(&rec.status) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    Err(conflict(format!("{} {} is {}; {action} needs it {}", rec.kind(), rec.id, rec.status, allowed.join(" or "))))
}

impl State {
    /// Applies the profile's rules the way the provider does: refusing with its own
    /// (often terse) answer.
    pub(crate) fn enforce(&self, ctx: &Ctx, intent: &gureum_driver::Intent<'_>) -> DriverResult<()> {
        let profile = ctx.settings.profile;
        profile.check(intent, ctx.zone, &self.zones).map_err(|r| profile.refuse(r))
    }

    pub(crate) fn find_vm(&self, id: &str) -> DriverResult<(&Record, &Vm)> {
        match self.find(ResourceKind::Vm, id)? {
            r @ Record { body: Body::Vm(vm), .. } => Ok((r, vm)),
            _ => Err(not_found(ResourceKind::Vm, id)),
        }
    }

    pub(crate) fn find_disk(&self, id: &str) -> DriverResult<(&Record, &Disk)> {
        match self.find(ResourceKind::Disk, id)? {
            r @ Record { body: Body::Disk(disk), .. } => Ok((r, disk)),
            _ => Err(not_found(ResourceKind::Disk, id)),
        }
    }

    pub(crate) fn find_public_ip(&self, id: &str) -> DriverResult<(&Record, &PublicIp)> {
        match self.find(ResourceKind::PublicIp, id)? {
            r @ Record { body: Body::PublicIp(ip), .. } => Ok((r, ip)),
            _ => Err(not_found(ResourceKind::PublicIp, id)),
        }
    }

    /// Creates a resource and returns its provider id.
    pub fn create(&mut self, ctx: &Ctx, spec: CreateSpec) -> DriverResult<String> {
        match spec {
            CreateSpec::Vpc { name, tag, cidr } => self.create_vpc(ctx, name, tag, &cidr),
            CreateSpec::Subnet { name, tag, vpc, cidr, zone } => self.create_subnet(ctx, name, tag, vpc, &cidr, zone),
            CreateSpec::SecurityGroup { name, tag, vpc } => self.create_security_group(ctx, name, tag, vpc),
            CreateSpec::KeyPair { name, tag, public_key } => self.create_key_pair(ctx, name, tag, public_key),
            CreateSpec::Vm(spec) => self.create_vm(ctx, spec),
            CreateSpec::Disk { name, tag, size_gb, zone, volume_type, source } => {
                self.create_disk(ctx, name, tag, size_gb, zone, volume_type, source)
            }
            CreateSpec::Snapshot { name, tag, disk } => self.create_snapshot(ctx, name, tag, &disk),
            CreateSpec::Image { name, tag, disk } => self.create_image(ctx, name, tag, &disk),
            CreateSpec::PublicIp { name, tag, zone } => self.create_public_ip(ctx, name, tag, zone),
        }
    }

    /// Adds a new resource that shows `Creating` until its create latency has passed.
    pub(crate) fn add(&mut self, ctx: &Ctx, id: String, name: String, tag: String, body: Body, ready: ProviderStatus) {
        let mut rec = Record {
            id,
            name,
            tag,
            status: ProviderStatus::Creating,
            reason: None,
            pending: None,
            created_ms: ctx.now,
            body,
        };
        let pending = ctx.pending(create_operation(rec.kind()), Some(ready));
        rec.begin(ProviderStatus::Creating, pending);
        self.put(rec);
    }

    /// Starts deleting. Deleting what is already being deleted is accepted and changes
    /// nothing, as at real clouds.
    pub fn delete(&mut self, ctx: &Ctx, kind: ResourceKind, id: &str) -> DriverResult<()> {
        let rec = self.find(kind, id)?;
        if rec.status == ProviderStatus::Deleting {
            return Ok(());
        }
        self.check_delete(rec)?;
        if kind == ResourceKind::Image {
            let age_seconds = (ctx.now.saturating_sub(rec.created_ms) / 1000) as i64;
            self.enforce(ctx, &gureum_driver::Intent::ImageDelete { age_seconds })?;
        }
        let pending = ctx.pending(delete_operation(kind), None);
        self.edit(id, |r| r.begin(ProviderStatus::Deleting, pending));
        Ok(())
    }

    /// What still depends on a resource keeps it from being deleted.
    fn check_delete(&self, rec: &Record) -> DriverResult<()> {
        let blockers: &[(ResourceKind, &str, &str)] = match &rec.body {
            Body::Vpc { .. } => &[
                (ResourceKind::Subnet, "still has", "subnet"),
                (ResourceKind::SecurityGroup, "still has", "security group"),
            ],
            Body::Subnet { .. } => &[(ResourceKind::Vm, "still has", "VM")],
            Body::SecurityGroup { .. } => &[(ResourceKind::Vm, "is used by", "VM")],
            Body::Disk(d) => {
                if let Some(vm) = &d.attached_to {
                    return Err(conflict(format!("disk {} is attached to {vm}; detach it first", rec.id)));
                }
                return require(
                    rec,
                    &[ProviderStatus::Creating, ProviderStatus::Available, ProviderStatus::Error],
                    "delete",
                );
            }
            Body::PublicIp(PublicIp { attached_to: Some(vm), .. }) => {
                return Err(conflict(format!("public IP {} is associated with {vm}; disassociate it first", rec.id)));
            }
            _ => &[],
        };
        for (kind, verb, noun) in blockers {
            let n = self.dependents(&rec.id, *kind);
            if n > 0 {
                let s = if n == 1 { "" } else { "s" };
                return Err(conflict(format!("{} {} {verb} {n} {noun}{s}", rec.kind(), rec.id)));
            }
        }
        Ok(())
    }
}
