//! The gureum rows an adopted provider resource becomes, one builder per kind: each
//! takes the resource as the provider describes it and refuses what gureum could not
//! manage.

use crate::compute::key_pairs::inspect_public_key;
use crate::{Error, Result};
use gureum_driver::{ProviderResource, ProviderStatus, ResourceKind, RuleSpec};
use gureum_model::network::{Direction, Protocol};
use gureum_model::public_ip::{PublicIpKind, PublicIpState};
use gureum_model::state::LifecycleState;
use gureum_model::tenancy::QuotaAmounts;
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::{
    Batch, KeyPairRecord, PublicIpRecord, Record, SecurityGroupRecord, SecurityGroupRuleRecord, Stmt, SubnetRecord,
    VolumeRecord, VpcRecord, new_id,
};
use uuid::Uuid;

/// A provider resource being adopted: what every adopted row shares.
pub(super) struct Adopting<'a> {
    pub(super) id: Uuid,
    pub(super) name: String,
    pub(super) project_id: Uuid,
    pub(super) connection_id: Uuid,
    pub(super) user: Uuid,
    pub(super) found: &'a ProviderResource,
    pub(super) t: i64,
}

impl Adopting<'_> {
    /// Only a settled resource is adopted: one still being made or removed would show a
    /// state gureum never followed.
    pub(super) fn require_available(&self) -> Result<()> {
        match self.found.status {
            ProviderStatus::Available => Ok(()),
            other => Err(Error::Conflict(format!(
                "{} {} is {other}; adopt it once it is available",
                self.found.kind, self.found.id
            ))),
        }
    }

    /// An attribute the row needs, which the provider must report.
    pub(super) fn attr(&self, key: &str) -> Result<String> {
        self.found.attr_str(key).map(str::to_string).ok_or_else(|| {
            Error::invalid(
                "provider_id",
                format!("{} {} reports no {key}; it cannot be adopted", self.found.kind, self.found.id),
            )
        })
    }
}

/// The rows an adoption writes, the provider resources to tag, the state it shows, and
/// what it holds of the project's quotas (as a create of it would).
pub(super) struct Adopted {
    pub(super) batch: Batch,
    pub(super) held: QuotaAmounts,
    pub(super) tags: Vec<(ResourceKind, String, Uuid)>,
    pub(super) state: &'static str,
}

impl Adopted {
    pub(super) fn one(a: &Adopting, row: Stmt, state: &'static str) -> Adopted {
        let mut batch = Batch::new();
        batch.push(row);
        Adopted { batch, held: QuotaAmounts::default(), tags: vec![(a.found.kind, a.found.id.clone(), a.id)], state }
    }
}

/// The row of an adopted provider disk: an Available data volume of its size and type.
pub(super) fn adopted_volume(a: &Adopting, disk: &ProviderResource) -> VolumeRecord {
    VolumeRecord {
        id: a.id,
        project_id: a.project_id,
        name: a.name.clone(),
        connection_id: a.connection_id,
        provider_id: Some(disk.id.clone()),
        kind: VolumeKind::Data,
        size_gb: disk.attr_i64("size_gb").unwrap_or(1),
        volume_type: disk.attr_str("volume_type").unwrap_or("SSD").to_string(),
        zone: disk.attr_str("zone").unwrap_or_default().to_string(),
        image_id: None,
        snapshot_id: None,
        instance_id: None,
        delete_with_instance: false,
        state: VolumeState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
        // Adoption looks at the connection's own provider.
        node_id: None,
    }
}

pub(super) fn adopt_disk(a: &Adopting) -> Result<Adopted> {
    if let Some(vm) = a.found.attr_str("attached_to") {
        return Err(Error::Conflict(format!("disk {} is attached to vm {vm}; adopt the vm", a.found.id)));
    }
    let volume = adopted_volume(a, a.found);
    let held = QuotaAmounts { volume_gb: volume.size_gb, ..Default::default() };
    Ok(Adopted { held, ..Adopted::one(a, volume.insert(), VolumeState::Available.as_str()) })
}

pub(super) fn adopt_vpc(a: &Adopting) -> Result<Adopted> {
    a.require_available()?;
    let rec = VpcRecord {
        id: a.id,
        project_id: a.project_id,
        name: a.name.clone(),
        connection_id: a.connection_id,
        provider_id: Some(a.found.id.clone()),
        cidr: a.attr("cidr")?,
        state: LifecycleState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
    };
    Ok(Adopted::one(a, rec.insert(), LifecycleState::Available.as_str()))
}

pub(super) fn adopt_subnet(a: &Adopting, vpc: &VpcRecord) -> Result<Adopted> {
    a.require_available()?;
    let rec = SubnetRecord {
        id: a.id,
        project_id: a.project_id,
        vpc_id: vpc.id,
        name: a.name.clone(),
        connection_id: a.connection_id,
        provider_id: Some(a.found.id.clone()),
        cidr: a.attr("cidr")?,
        zone: a.attr("zone")?,
        state: LifecycleState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
    };
    Ok(Adopted::one(a, rec.insert(), LifecycleState::Available.as_str()))
}

/// A security group with the rules the provider reports, recorded as applied.
pub(super) fn adopt_security_group(a: &Adopting, vpc: &VpcRecord) -> Result<Adopted> {
    a.require_available()?;
    let rec = SecurityGroupRecord {
        id: a.id,
        project_id: a.project_id,
        vpc_id: vpc.id,
        name: a.name.clone(),
        description: String::new(),
        connection_id: a.connection_id,
        provider_id: Some(a.found.id.clone()),
        state: LifecycleState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
    };
    let mut adopted = Adopted::one(a, rec.insert(), LifecycleState::Available.as_str());
    let specs: Vec<RuleSpec> = match a.found.attrs.get("rules") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            Error::invalid("provider_id", format!("security group {} has unreadable rules ({e})", a.found.id))
        })?,
        None => vec![],
    };
    for spec in specs {
        let unreadable = || {
            Error::invalid(
                "provider_id",
                format!(
                    "security group {} has a rule gureum cannot record ({} {})",
                    a.found.id, spec.direction, spec.protocol
                ),
            )
        };
        let rule = SecurityGroupRuleRecord {
            id: new_id(),
            project_id: a.project_id,
            security_group_id: a.id,
            direction: Direction::parse(&spec.direction).ok_or_else(unreadable)?,
            protocol: Protocol::parse(&spec.protocol).ok_or_else(unreadable)?,
            port_from: spec.port_from,
            port_to: spec.port_to,
            remote_cidr: spec.remote_cidr.clone(),
            applied: true,
            state: LifecycleState::Available,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: a.user,
            created_at: a.t,
            updated_at: a.t,
        };
        adopted.batch.push(rule.insert());
    }
    Ok(adopted)
}

pub(super) fn adopt_key_pair(a: &Adopting) -> Result<Adopted> {
    a.require_available()?;
    let (public_key, fingerprint, key_type) = inspect_public_key(&a.attr("public_key")?)?;
    let rec = KeyPairRecord {
        id: a.id,
        project_id: a.project_id,
        name: a.name.clone(),
        connection_id: a.connection_id,
        provider_id: Some(a.found.id.clone()),
        public_key,
        fingerprint,
        key_type,
        state: LifecycleState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
    };
    Ok(Adopted::one(a, rec.insert(), LifecycleState::Available.as_str()))
}

/// A static public IP; one attached to a VM comes with its VM.
pub(super) fn adopt_public_ip(a: &Adopting) -> Result<Adopted> {
    if let Some(vm) = a.found.attr_str("attached_to") {
        return Err(Error::Conflict(format!(
            "public IP {} is attached to vm {vm}; adopt it once it is detached",
            a.found.id
        )));
    }
    a.require_available()?;
    let rec = PublicIpRecord {
        id: a.id,
        project_id: a.project_id,
        name: a.name.clone(),
        connection_id: a.connection_id,
        provider_id: Some(a.found.id.clone()),
        kind: PublicIpKind::Static,
        address: Some(a.attr("address")?),
        instance_id: None,
        state: PublicIpState::Available,
        state_reason: None,
        op_id: None,
        generation: 1,
        created_by: a.user,
        created_at: a.t,
        updated_at: a.t,
        node_id: None,
    };
    Ok(Adopted::one(a, rec.insert(), PublicIpState::Available.as_str()))
}
