//! Subnets: a CIDR inside a VPC, in one zone. Creating one bumps the VPC's generation in
//! the same transaction, so two concurrent creates cannot both pass the overlap check.

use crate::views::{links, project_path, ts};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{ListQuery, Page, Subnet, SubnetCreate};
use gureum_driver::CreateSpec;
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::network::validate_subnet_cidr;
use gureum_model::state::LifecycleState;
use gureum_store::record::common;
use gureum_store::{InstanceRecord, Key, SubnetRecord, Update, VpcRecord, new_id, now};
use ipnet::Ipv4Net;

impl Engine {
    async fn subnet_view(&self, r: SubnetRecord) -> Subnet {
        Subnet {
            links: links(project_path(r.project_id, "subnets", r.id), r.op_id.map(|o| (r.project_id, o))),
            vpc: self.name_of::<VpcRecord>(r.vpc_id).await,
            id: r.id,
            name: r.name,
            cidr: r.cidr,
            zone: r.zone,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    /// A subnet of the project, or of one of its VPCs (another VPC's subnet is not found).
    pub(crate) async fn subnet_record(
        &self,
        scope: &ProjectScope,
        vpc: Option<&str>,
        key: &str,
    ) -> Result<SubnetRecord> {
        let mut filters = scope.filter().to_vec();
        if let Some(v) = vpc {
            filters.push(("vpc_id", self.vpc_record(scope, v).await?.id.into()));
        }
        self.store()
            .get::<SubnetRecord>(&filters, &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("subnet", key))
    }

    /// Zones the connection's driver offers (empty when it does not say).
    pub(crate) async fn zones(&self, connection_id: uuid::Uuid) -> Result<Vec<String>> {
        let info = self.cloud(connection_id).await?.info();
        Ok(info.details.get("zones").and_then(|z| serde_json::from_value(z.clone()).ok()).unwrap_or_default())
    }

    pub(crate) async fn validate_zone(&self, field: &str, connection_id: uuid::Uuid, zone: &str) -> Result<()> {
        let zones = self.zones(connection_id).await?;
        if !zones.is_empty() && !zones.iter().any(|z| z == zone) {
            return Err(Error::invalid(
                field,
                format!("unknown zone {zone:?}; the connection offers {}", zones.join(", ")),
            ));
        }
        Ok(())
    }

    pub async fn subnet_create(&self, ctx: &OpContext, project: &str, vpc: &str, req: SubnetCreate) -> Result<Subnet> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let vpc = self.vpc_record(&scope, vpc).await?;
        let name = Name::parse("name", &req.name)?;
        let vpc_net: Ipv4Net =
            vpc.cidr.parse().map_err(|_| Error::Internal(format!("stored CIDR {} is invalid", vpc.cidr)))?;
        let siblings = self.store().list_all::<SubnetRecord>(&[("vpc_id", vpc.id.into())]).await?;
        let sibling_nets: Vec<(String, Ipv4Net)> =
            siblings.iter().filter_map(|s| Some((s.name.clone(), s.cidr.parse().ok()?))).collect();
        let cidr = validate_subnet_cidr(&req.cidr, vpc_net, sibling_nets.iter().map(|(n, c)| (n.as_str(), *c)))?;
        if vpc.state != LifecycleState::Available {
            return Err(Error::Conflict(format!("VPC {} is {}; wait until it is Available", vpc.name, vpc.state)));
        }
        let conn = self.connection_record(&vpc.connection_id.to_string()).await?;
        let zone = req.zone.unwrap_or(conn.zone);
        self.validate_zone("zone", vpc.connection_id, &zone).await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = SubnetRecord {
            id,
            project_id: scope.id,
            vpc_id: vpc.id,
            name: name.to_string(),
            connection_id: vpc.connection_id,
            provider_id: None,
            cidr: cidr.to_string(),
            zone: zone.clone(),
            state: LifecycleState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
        };
        let spec = CreateSpec::Subnet {
            name: rec.name.clone(),
            tag: id.to_string(),
            vpc: vpc.provider_id.clone(),
            cidr: rec.cidr.clone(),
            zone,
        };
        // Serializes subnet creation per VPC: the overlap check above saw this generation.
        let vpc_guard = Update::<VpcRecord>::of(vpc.id).guard(common::GENERATION, vpc.generation).stmt(t);
        self.start_create(ctx, &scope, &rec, spec, LifecycleState::Available.as_str(), vpc_guard.into()).await?;
        Ok(self.subnet_view(rec).await)
    }

    pub async fn subnet_get(&self, ctx: &OpContext, project: &str, vpc: Option<&str>, key: &str) -> Result<Subnet> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.subnet_view(self.subnet_record(&scope, vpc, key).await?).await)
    }

    /// Subnets of one VPC, or of the whole project when `vpc` is `None`.
    pub async fn subnet_list(
        &self,
        ctx: &OpContext,
        project: &str,
        vpc: Option<&str>,
        q: &ListQuery,
    ) -> Result<Page<Subnet>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let mut filters = scope.filter().to_vec();
        if let Some(v) = vpc {
            filters.push(("vpc_id", self.vpc_record(&scope, v).await?.id.into()));
        }
        self.list_views::<SubnetRecord, LifecycleState, _, _>(filters, q, |r| r.id, |r| self.subnet_view(r)).await
    }

    pub async fn subnet_delete(&self, ctx: &OpContext, project: &str, vpc: Option<&str>, key: &str) -> Result<Subnet> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.subnet_record(&scope, vpc, key).await?;
        if !r.state.deletable() {
            return Err(Error::Conflict(format!(
                "subnet {} is {}; only an Available or Error subnet can be deleted",
                r.name, r.state
            )));
        }
        let users = self.store().count::<InstanceRecord>(&[("subnet_id", r.id.into())]).await?;
        if users > 0 {
            return Err(Error::Conflict(format!("subnet {} still has {users} instance(s); delete them first", r.name)));
        }
        let op = self.start_delete(ctx, &scope, &r, "Deleting").await?;
        Ok(self.subnet_view(SubnetRecord { state: LifecycleState::Deleting, op_id: Some(op), ..r }).await)
    }
}
