//! Acting on drift: adopt a resource that exists only at the provider under a gureum name
//! (it is tagged with its new gureum id and managed like any other from then on), delete
//! one, or unregister a gureum record without touching the provider.

use crate::provider::adopted_rows::*;
use crate::provider::drift::label_of;
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{DriftAdopt, DriftDelete, DriftItem};
use gureum_driver::{DriverError, ProviderResource, ProviderStatus, ResourceKind, split_disk_spec};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::PublicIpMode;
use gureum_model::tenancy::QuotaAmounts;
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::{
    ConnectionRecord, InstanceRecord, Key, Record, Store, SubnetRecord, Update, VolumeRecord, VpcRecord, new_id, now,
};

/// The kinds that can be adopted and unregistered.
const ADOPTABLE: &[ResourceKind] = &[
    ResourceKind::Vm,
    ResourceKind::Disk,
    ResourceKind::Vpc,
    ResourceKind::Subnet,
    ResourceKind::SecurityGroup,
    ResourceKind::KeyPair,
    ResourceKind::PublicIp,
];

pub(super) fn adoptable(kind: &str) -> Result<ResourceKind> {
    ADOPTABLE.iter().copied().find(|k| k.as_str() == kind).ok_or_else(|| {
        let known: Vec<&str> = ADOPTABLE.iter().map(|k| k.as_str()).collect();
        Error::invalid("kind", format!("{kind:?} cannot be adopted or unregistered; these can: {}", known.join(", ")))
    })
}

fn any_kind(kind: &str) -> Result<ResourceKind> {
    ResourceKind::parse(kind).ok_or_else(|| {
        let known: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::invalid("kind", format!("unknown kind {kind:?}; known: {}", known.join(", ")))
    })
}

impl Engine {
    /// The provider resource `id` of the connection, which gureum must not already record.
    async fn only_in_provider(
        &self,
        conn: &ConnectionRecord,
        kind: ResourceKind,
        id: &str,
    ) -> Result<ProviderResource> {
        let table = crate::provider::drift::table_of(kind);
        if let Some(row) = self.store().provider_row_of(table, conn.id, id).await? {
            return Err(Error::Conflict(format!("{kind} {id} is already gureum's {}", row.name)));
        }
        match self.cloud(conn.id).await?.get(kind, id).await {
            Ok(r) => Ok(r),
            Err(DriverError::NotFound { .. }) => {
                Err(Error::invalid("provider_id", format!("connection {} has no {kind} {id}", conn.name)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The gureum VPC a subnet or security group being adopted is recorded in: the
    /// request's `vpc`, which must record the provider VPC the resource belongs to.
    async fn adoption_vpc(
        &self,
        scope: &ProjectScope,
        conn: &ConnectionRecord,
        vpc: Option<&str>,
        found: &ProviderResource,
    ) -> Result<VpcRecord> {
        let kind = found.kind;
        let key =
            vpc.ok_or_else(|| Error::invalid("vpc", format!("adopting a {kind} needs the VPC gureum records it in")))?;
        let rec = self
            .store()
            .get::<VpcRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .filter(|v| v.connection_id == conn.id)
            .ok_or_else(|| Error::invalid("vpc", format!("no VPC {key:?} of connection {} here", conn.name)))?;
        if let Some(parent) = found.attr_str("vpc")
            && rec.provider_id.as_deref() != Some(parent)
        {
            return Err(Error::invalid(
                "vpc",
                format!("{kind} {} belongs to provider VPC {parent}, which VPC {} does not record", found.id, rec.name),
            ));
        }
        Ok(rec)
    }

    /// An instance (with its root volume) for a running or stopped provider VM.
    async fn adopt_vm(
        &self,
        a: &Adopting<'_>,
        scope: &ProjectScope,
        conn: &ConnectionRecord,
        subnet: Option<&str>,
    ) -> Result<Adopted> {
        let found = a.found;
        let state = match found.status {
            ProviderStatus::Running => InstanceState::Active,
            ProviderStatus::Stopped => InstanceState::Stopped,
            other => {
                return Err(Error::Conflict(format!(
                    "vm {} is {other}; adopt it once it is running or stopped",
                    found.id
                )));
            }
        };
        let subnet_key =
            subnet.ok_or_else(|| Error::invalid("subnet", "adopting a vm needs the subnet gureum records it in"))?;
        let subnet = self
            .store()
            .get::<SubnetRecord>(&scope.filter(), &Key::parse(subnet_key))
            .await?
            .filter(|s| s.connection_id == conn.id)
            .ok_or_else(|| {
                Error::invalid("subnet", format!("no subnet {subnet_key:?} of connection {} here", conn.name))
            })?;
        let spec = found.attr_str("instance_type").unwrap_or_default();
        let itype = self.instance_type_for("provider_id", split_disk_spec(spec).0).await?;
        let image = self.image_for("provider_id", scope.id, found.attr_str("image").unwrap_or_default()).await?;
        let root_id = found.attr_str("root_disk").unwrap_or_default().to_string();
        let root = self.cloud(conn.id).await?.get(ResourceKind::Disk, &root_id).await?;
        let (id, t) = (a.id, a.t);
        let rec = InstanceRecord {
            id,
            project_id: scope.id,
            name: a.name.clone(),
            connection_id: conn.id,
            provider_id: Some(found.id.clone()),
            instance_type_id: itype.id,
            previous_instance_type_id: None,
            image_id: image.id,
            vpc_id: subnet.vpc_id,
            subnet_id: subnet.id,
            key_pair_id: None,
            public_ip_mode: PublicIpMode::None,
            user_data: None,
            zone: found.attr_str("zone").unwrap_or(&conn.zone).to_string(),
            private_ip: found.attr_str("private_ip").map(str::to_string),
            return_state: None,
            state,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: a.user,
            created_at: t,
            updated_at: t,
            launched_at: Some(t),
        };
        let root_rec = VolumeRecord {
            id: new_id(),
            name: format!("{}-root", a.name),
            kind: VolumeKind::Root,
            image_id: Some(image.id),
            instance_id: Some(id),
            delete_with_instance: true,
            state: VolumeState::InUse,
            ..adopted_volume(a, &root)
        };
        let mut adopted = Adopted::one(a, rec.insert(), state.as_str());
        adopted.held = QuotaAmounts {
            vcpus: itype.vcpus,
            memory_mib: itype.memory_mib,
            instances: 1,
            volume_gb: root_rec.size_gb,
        };
        adopted.tags.push((ResourceKind::Disk, root.id.clone(), root_rec.id));
        adopted.batch.push(root_rec.insert());
        // Opens metering when the VM is billed.
        adopted.batch.extend(Store::instance_set_state(Update::<InstanceRecord>::of(id), id, state, t));
        Ok(adopted)
    }

    pub async fn drift_adopt(&self, ctx: &OpContext, connection: &str, req: DriftAdopt) -> Result<DriftItem> {
        self.require_admin(ctx, "adopt provider resources")?;
        let kind = adoptable(&req.kind)?;
        let conn = self.connection_record(connection).await?;
        let scope = self.authorize(ctx, &req.project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let found = self.only_in_provider(&conn, kind, &req.provider_id).await?;
        let a = Adopting {
            id: new_id(),
            name: name.to_string(),
            project_id: scope.id,
            connection_id: conn.id,
            user: ctx.user_id,
            found: &found,
            t: now(),
        };
        let adopted = match kind {
            ResourceKind::Vm => self.adopt_vm(&a, &scope, &conn, req.subnet.as_deref()).await?,
            ResourceKind::Disk => adopt_disk(&a)?,
            ResourceKind::Vpc => adopt_vpc(&a)?,
            ResourceKind::Subnet => {
                adopt_subnet(&a, &self.adoption_vpc(&scope, &conn, req.vpc.as_deref(), &found).await?)?
            }
            ResourceKind::SecurityGroup => {
                adopt_security_group(&a, &self.adoption_vpc(&scope, &conn, req.vpc.as_deref(), &found).await?)?
            }
            ResourceKind::KeyPair => adopt_key_pair(&a)?,
            ResourceKind::PublicIp => adopt_public_ip(&a)?,
            _ => unreachable!("adoptable() admits only the kinds above"),
        };
        let mut batch = adopted.batch;
        if !adopted.held.is_zero() {
            batch.extend(crate::iam::quotas::reserve(a.id, scope.id, adopted.held));
        }
        match self.store().write(batch).await {
            Err(e) if Store::is_quota_conflict(&e) => return Err(self.quota_refusal(scope.id, adopted.held).await),
            written => written.map_err(crate::error::on_unique(|| {
                Error::Conflict(format!("project {} already has a resource named {name}", scope.name))
            }))?,
        };
        // Tagged after the rows exist: a tag without a row would be an orphan gureum
        // cleans up; a row without a tag is still found by provider id.
        let cloud = self.cloud(conn.id).await?;
        for (kind, pid, gid) in adopted.tags {
            cloud.tag(kind, &pid, &gid.to_string()).await?;
        }
        self.remember_name(a.id, name.as_str());
        Ok(DriftItem {
            kind: kind.as_str().into(),
            provider_id: Some(found.id.clone()),
            name: name.to_string(),
            gureum_type: Some(label_of(kind).into()),
            gureum_id: Some(a.id),
            project: Some(scope.name.clone()),
            state: Some(adopted.state.into()),
        })
    }

    /// Deletes a resource gureum does not record (the provider removes it in its own time).
    pub async fn drift_delete(&self, ctx: &OpContext, connection: &str, req: DriftDelete) -> Result<()> {
        self.require_admin(ctx, "delete provider resources")?;
        let kind = any_kind(&req.kind)?;
        let conn = self.connection_record(connection).await?;
        self.only_in_provider(&conn, kind, &req.provider_id).await?;
        Ok(self.cloud(conn.id).await?.delete(kind, &req.provider_id).await?)
    }
}
