//! Acting on drift: adopt a resource that exists only at the provider under a gureum name
//! (it is tagged with its new gureum id and managed like any other from then on), delete
//! one, or unregister a gureum record without touching the provider.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{DriftAdopt, DriftDelete, DriftItem, DriftUnregister};
use gureum_driver::{DriverError, ProviderResource, ProviderStatus, ResourceKind, split_disk_spec};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::PublicIpMode;
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::record::delete;
use gureum_store::{
    Batch, ConnectionRecord, InstanceRecord, Key, PublicIpRecord, Record, Store, SubnetRecord, Update, VolumeRecord,
    args, new_id, now,
};
use uuid::Uuid;

/// The kinds that can be adopted and unregistered, with the gureum table they map to.
const ADOPTABLE: &[(ResourceKind, &str)] = &[(ResourceKind::Vm, "instances"), (ResourceKind::Disk, "volumes")];

fn adoptable(kind: &str) -> Result<ResourceKind> {
    ADOPTABLE.iter().map(|(k, _)| *k).find(|k| k.as_str() == kind).ok_or_else(|| {
        let known: Vec<&str> = ADOPTABLE.iter().map(|(k, _)| k.as_str()).collect();
        Error::invalid("kind", format!("{kind:?} cannot be adopted or unregistered; these can: {}", known.join(", ")))
    })
}

fn any_kind(kind: &str) -> Result<ResourceKind> {
    ResourceKind::parse(kind).ok_or_else(|| {
        let known: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::invalid("kind", format!("unknown kind {kind:?}; known: {}", known.join(", ")))
    })
}

/// The row of an adopted provider disk: an Available data volume of its size and type.
fn adopted_volume(
    ctx: &OpContext,
    project_id: Uuid,
    connection_id: Uuid,
    name: String,
    disk: &ProviderResource,
    t: i64,
) -> VolumeRecord {
    VolumeRecord {
        id: new_id(),
        project_id,
        name,
        connection_id,
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
        created_by: ctx.user_id,
        created_at: t,
        updated_at: t,
    }
}

impl Engine {
    /// The provider resource `id` of the connection, which gureum must not already record.
    async fn only_in_provider(
        &self,
        conn: &ConnectionRecord,
        kind: ResourceKind,
        id: &str,
    ) -> Result<ProviderResource> {
        let table = crate::drift::table_of(kind);
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

    pub async fn drift_adopt(&self, ctx: &OpContext, connection: &str, req: DriftAdopt) -> Result<DriftItem> {
        self.require_admin(ctx, "adopt provider resources")?;
        let kind = adoptable(&req.kind)?;
        let conn = self.connection_record(connection).await?;
        let scope = self.authorize(ctx, &req.project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let found = self.only_in_provider(&conn, kind, &req.provider_id).await?;
        let cloud = self.cloud(conn.id).await?;
        let (id, t) = (new_id(), now());
        let zone = found.attr_str("zone").unwrap_or(&conn.zone).to_string();
        let mut batch = Batch::new();
        let mut tags = vec![(kind, found.id.clone(), id)];
        let state = match kind {
            ResourceKind::Vm => {
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
                let subnet_key = req
                    .subnet
                    .as_deref()
                    .ok_or_else(|| Error::invalid("subnet", "adopting a vm needs the subnet gureum records it in"))?;
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
                let image =
                    self.image_for("provider_id", scope.id, found.attr_str("image").unwrap_or_default()).await?;
                let root_id = found.attr_str("root_disk").unwrap_or_default().to_string();
                let root = cloud.get(ResourceKind::Disk, &root_id).await?;
                let rec = InstanceRecord {
                    id,
                    project_id: scope.id,
                    name: name.to_string(),
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
                    zone: zone.clone(),
                    private_ip: found.attr_str("private_ip").map(str::to_string),
                    return_state: None,
                    state,
                    state_reason: None,
                    op_id: None,
                    generation: 1,
                    created_by: ctx.user_id,
                    created_at: t,
                    updated_at: t,
                    launched_at: Some(t),
                };
                let root_rec = VolumeRecord {
                    kind: VolumeKind::Root,
                    image_id: Some(image.id),
                    instance_id: Some(id),
                    delete_with_instance: true,
                    state: VolumeState::InUse,
                    ..adopted_volume(ctx, scope.id, conn.id, format!("{name}-root"), &root, t)
                };
                tags.push((ResourceKind::Disk, root.id.clone(), root_rec.id));
                batch.push(rec.insert());
                batch.push(root_rec.insert());
                // Opens metering when the VM is billed.
                batch.extend(Store::instance_set_state(Update::of::<InstanceRecord>(id), id, state, t));
                state.as_str()
            }
            _ => {
                if let Some(vm) = found.attr_str("attached_to") {
                    return Err(Error::Conflict(format!("disk {} is attached to vm {vm}; adopt the vm", found.id)));
                }
                let rec = VolumeRecord { id, ..adopted_volume(ctx, scope.id, conn.id, name.to_string(), &found, t) };
                batch.push(rec.insert());
                VolumeState::Available.as_str()
            }
        };
        self.store()
            .write(batch)
            .await
            .map_err(|_| Error::Conflict(format!("project {} already has a resource named {name}", scope.name)))?;
        // Tagged after the rows exist: a tag without a row would be an orphan gureum
        // cleans up; a row without a tag is still found by provider id.
        for (kind, pid, gid) in tags {
            cloud.tag(kind, &pid, &gid.to_string()).await?;
        }
        self.remember_name(id, name.as_str());
        Ok(DriftItem {
            kind: kind.as_str().into(),
            provider_id: Some(found.id),
            name: name.to_string(),
            gureum_type: Some(if kind == ResourceKind::Vm { "instance" } else { "volume" }.into()),
            gureum_id: Some(id),
            project: Some(scope.name.clone()),
            state: Some(state.into()),
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

    /// Forgets a settled instance (with its root volume) or data volume; the provider
    /// keeps the resource.
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
            _ => {
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
        }
        self.store().write(batch).await?;
        Ok(())
    }
}
