//! Acting on drift: adopt a resource that exists only at the provider under a gureum name
//! (it is tagged with its new gureum id and managed like any other from then on), delete
//! one, or unregister a gureum record without touching the provider.

use crate::compute::key_pairs::inspect_public_key;
use crate::provider::drift::{label_of, table_of};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{DriftAdopt, DriftDelete, DriftItem, DriftUnregister};
use gureum_driver::{DriverError, ProviderResource, ProviderStatus, ResourceKind, RuleSpec, split_disk_spec};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::instance::InstanceState;
use gureum_model::network::{Direction, Protocol};
use gureum_model::public_ip::{PublicIpKind, PublicIpMode, PublicIpState};
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::record::{delete, delete_from};
use gureum_store::{
    Batch, ConnectionRecord, InstanceRecord, Key, KeyPairRecord, PublicIpRecord, Record, SecurityGroupRecord,
    SecurityGroupRuleRecord, Stmt, Store, SubnetRecord, Update, VolumeRecord, VpcRecord, args, new_id, now,
};
use uuid::Uuid;

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

fn adoptable(kind: &str) -> Result<ResourceKind> {
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

/// Rows that must not point at a record for it to be unregistered alone:
/// `(table, column, what they are)`.
fn dependents(kind: ResourceKind) -> &'static [(&'static str, &'static str, &'static str)] {
    match kind {
        ResourceKind::Vpc => &[
            ("subnets", "vpc_id", "subnet"),
            ("security_groups", "vpc_id", "security group"),
            ("instances", "vpc_id", "instance"),
        ],
        ResourceKind::Subnet => &[("instances", "subnet_id", "instance")],
        ResourceKind::SecurityGroup => &[("instance_security_groups", "security_group_id", "instance")],
        ResourceKind::KeyPair => &[("instances", "key_pair_id", "instance")],
        _ => &[],
    }
}

/// A provider resource being adopted: what every adopted row shares.
struct Adopting<'a> {
    id: Uuid,
    name: String,
    project_id: Uuid,
    connection_id: Uuid,
    user: Uuid,
    found: &'a ProviderResource,
    t: i64,
}

impl Adopting<'_> {
    /// Only a settled resource is adopted: one still being made or removed would show a
    /// state gureum never followed.
    fn require_available(&self) -> Result<()> {
        match self.found.status {
            ProviderStatus::Available => Ok(()),
            other => Err(Error::Conflict(format!(
                "{} {} is {other}; adopt it once it is available",
                self.found.kind, self.found.id
            ))),
        }
    }

    /// An attribute the row needs, which the provider must report.
    fn attr(&self, key: &str) -> Result<String> {
        self.found.attr_str(key).map(str::to_string).ok_or_else(|| {
            Error::invalid(
                "provider_id",
                format!("{} {} reports no {key}; it cannot be adopted", self.found.kind, self.found.id),
            )
        })
    }
}

/// The rows an adoption writes, the provider resources to tag, and the state it shows.
struct Adopted {
    batch: Batch,
    tags: Vec<(ResourceKind, String, Uuid)>,
    state: &'static str,
}

impl Adopted {
    fn one(a: &Adopting, row: Stmt, state: &'static str) -> Adopted {
        let mut batch = Batch::new();
        batch.push(row);
        Adopted { batch, tags: vec![(a.found.kind, a.found.id.clone(), a.id)], state }
    }
}

/// The row of an adopted provider disk: an Available data volume of its size and type.
fn adopted_volume(a: &Adopting, disk: &ProviderResource) -> VolumeRecord {
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

fn adopt_disk(a: &Adopting) -> Result<Adopted> {
    if let Some(vm) = a.found.attr_str("attached_to") {
        return Err(Error::Conflict(format!("disk {} is attached to vm {vm}; adopt the vm", a.found.id)));
    }
    Ok(Adopted::one(a, adopted_volume(a, a.found).insert(), VolumeState::Available.as_str()))
}

fn adopt_vpc(a: &Adopting) -> Result<Adopted> {
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

fn adopt_subnet(a: &Adopting, vpc: &VpcRecord) -> Result<Adopted> {
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
fn adopt_security_group(a: &Adopting, vpc: &VpcRecord) -> Result<Adopted> {
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

fn adopt_key_pair(a: &Adopting) -> Result<Adopted> {
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
fn adopt_public_ip(a: &Adopting) -> Result<Adopted> {
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

impl Engine {
    /// The provider resource `id` of the connection, which gureum must not already record.
    async fn only_in_provider(
        &self,
        conn: &ConnectionRecord,
        kind: ResourceKind,
        id: &str,
    ) -> Result<ProviderResource> {
        let table = crate::provider::drift::table_of(kind);
        let sql = format!("SELECT name FROM {table} WHERE connection_id = $1 AND provider_id = $2");
        if let Some(row) = self.store().db.query(&sql, args![conn.id, id.to_string()]).await?.first() {
            return Err(Error::Conflict(format!("{kind} {id} is already gureum's {}", row.text(0))));
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
        adopted.tags.push((ResourceKind::Disk, root.id.clone(), root_rec.id));
        adopted.batch.push(root_rec.insert());
        // Opens metering when the VM is billed.
        adopted.batch.extend(Store::instance_set_state(Update::of::<InstanceRecord>(id), id, state, t));
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
        self.store()
            .write(adopted.batch)
            .await
            .map_err(|_| Error::Conflict(format!("project {} already has a resource named {name}", scope.name)))?;
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

    /// Forgets a settled instance (with its root volume), a data volume, or an Available
    /// VPC, subnet, security group (with its rules), key pair or static public IP nothing
    /// in gureum uses; the provider keeps the resource.
    pub async fn drift_unregister(&self, ctx: &OpContext, connection: &str, req: DriftUnregister) -> Result<()> {
        self.require_admin(ctx, "unregister resources")?;
        let kind = adoptable(&req.kind)?;
        let conn = self.connection_record(connection).await?;
        let scope = self.authorize(ctx, &req.project, Permission::ManageResources).await?;
        let mut batch = Batch::new();
        let t = now();
        match kind {
            ResourceKind::Vm => {
                let inst = self.instance_record(&scope, &req.name).await?;
                if inst.connection_id != conn.id {
                    return Err(Error::not_found("instance", &req.name));
                }
                if inst.op_id.is_some() || !inst.state.is_settled() {
                    return Err(Error::Conflict(format!(
                        "instance {} is {}; wait until it settles",
                        inst.name, inst.state
                    )));
                }
                let volumes = self.store().list_all::<VolumeRecord>(&[("instance_id", inst.id.into())]).await?;
                let ips = self.store().count::<PublicIpRecord>(&[("instance_id", inst.id.into())]).await?;
                if volumes.iter().any(|v| v.kind == VolumeKind::Data) || ips > 0 {
                    return Err(Error::Conflict(format!(
                        "instance {} has data volumes or a public IP; detach them first",
                        inst.name
                    )));
                }
                batch.push(Store::instance_security_groups_unlink(inst.id));
                batch.push(Store::usage_close(inst.id, t));
                for v in volumes {
                    batch.push(delete::<VolumeRecord>(v.id));
                }
                batch.push(delete::<InstanceRecord>(inst.id));
            }
            ResourceKind::Disk => {
                let v = self.volume_record(&scope, &req.name).await?;
                if v.connection_id != conn.id {
                    return Err(Error::not_found("volume", &req.name));
                }
                if v.kind != VolumeKind::Data || v.state != VolumeState::Available || v.op_id.is_some() {
                    return Err(Error::Conflict(format!(
                        "volume {} is {}; only an Available data volume can be unregistered",
                        v.name, v.state
                    )));
                }
                batch.push(delete::<VolumeRecord>(v.id));
            }
            _ => self.unregister_row(&scope, &conn, kind, &req.name, &mut batch).await?,
        }
        self.store().write(batch).await?;
        Ok(())
    }

    /// Queues forgetting the Available record `name` of `kind`, refused while anything
    /// in gureum still points at it.
    async fn unregister_row(
        &self,
        scope: &ProjectScope,
        conn: &ConnectionRecord,
        kind: ResourceKind,
        name: &str,
        batch: &mut Batch,
    ) -> Result<()> {
        let (table, label) = (table_of(kind), label_of(kind));
        let sql =
            format!("SELECT id, state, op_id FROM {table} WHERE project_id = $1 AND connection_id = $2 AND name = $3");
        let rows = self.store().db.query(&sql, args![scope.id, conn.id, name.to_string()]).await?;
        let row = rows.first().ok_or_else(|| Error::not_found(label, name))?;
        let (id, state) = (row.uuid(0), row.text(1));
        if row.opt_uuid(2).is_some() || state != "Available" {
            return Err(Error::Conflict(format!(
                "{label} {name} is {state}; only an Available {label} with no operation in progress can be unregistered"
            )));
        }
        let mut users = vec![];
        for (table, column, what) in dependents(kind) {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
            let n = self.store().db.query(&sql, args![id]).await?.first().map_or(0, |r| r.int(0));
            if n > 0 {
                users.push(format!("{n} {what}(s)"));
            }
        }
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "{label} {name} still has {} in gureum; unregister or delete them first",
                users.join(" and ")
            )));
        }
        if kind == ResourceKind::SecurityGroup {
            batch.push(Stmt::new("DELETE FROM security_group_rules WHERE security_group_id = $1", args![id]));
        }
        batch.push(delete_from(table, id));
        Ok(())
    }
}
