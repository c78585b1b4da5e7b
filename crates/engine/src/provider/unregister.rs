//! Unregistering: forgetting a gureum record while the provider keeps the resource.

use crate::provider::adoption::adoptable;
use crate::provider::drift::{label_of, table_of};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::DriftUnregister;
use gureum_driver::ResourceKind;
use gureum_model::authz::Permission;
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::record::delete;
use gureum_store::{Batch, ConnectionRecord, InstanceRecord, PublicIpRecord, Store, VolumeRecord, now};

impl Engine {
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
                    batch.extend(crate::iam::quotas::release(v.id));
                    batch.push(delete::<VolumeRecord>(v.id));
                }
                batch.push(Store::provider_view_forget(inst.id));
                batch.extend(crate::iam::quotas::release(inst.id));
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
                batch.extend(crate::iam::quotas::release(v.id));
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
        let row = self.store().provider_row_named(table, scope.id, conn.id, name).await?;
        let row = row.ok_or_else(|| Error::not_found(label, name))?;
        if row.op_id.is_some() || row.state != "Available" {
            return Err(Error::Conflict(format!(
                "{label} {name} is {}; only an Available {label} with no operation in progress can be unregistered",
                row.state
            )));
        }
        let users: Vec<String> = (self.store().provider_row_dependents(table, row.id).await?.iter())
            .map(|(what, n)| format!("{n} {what}(s)"))
            .collect();
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "{label} {name} still has {} in gureum; unregister or delete them first",
                users.join(" and ")
            )));
        }
        batch.extend(Store::provider_row_forget(table, row.id));
        Ok(())
    }
}
