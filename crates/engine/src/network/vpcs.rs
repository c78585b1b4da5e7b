//! VPCs: a private address space (CIDR) in one connection.

use crate::views::{links, project_path, ts};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{ListQuery, Page, Vpc, VpcCreate};
use gureum_driver::CreateSpec;
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::network::validate_vpc_cidr;
use gureum_model::state::LifecycleState;
use gureum_store::{ConnectionRecord, Key, SecurityGroupRecord, SubnetRecord, VpcRecord, new_id, now};

impl Engine {
    async fn vpc_view(&self, r: VpcRecord) -> Vpc {
        Vpc {
            links: links(project_path(r.project_id, "vpcs", r.id), r.op_id.map(|o| (r.project_id, o))),
            connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
            id: r.id,
            name: r.name,
            cidr: r.cidr,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    pub(crate) async fn vpc_record(&self, scope: &ProjectScope, key: &str) -> Result<VpcRecord> {
        self.store()
            .get::<VpcRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("vpc", key))
    }

    pub async fn vpc_create(&self, ctx: &OpContext, project: &str, req: VpcCreate) -> Result<Vpc> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let cidr = validate_vpc_cidr(&req.cidr)?;
        let conn = self.resolve_connection(req.connection.as_deref()).await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = VpcRecord {
            id,
            project_id: scope.id,
            name: name.to_string(),
            connection_id: conn.id,
            provider_id: None,
            cidr: cidr.to_string(),
            state: LifecycleState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
        };
        let spec = CreateSpec::Vpc { name: rec.name.clone(), tag: id.to_string(), cidr: rec.cidr.clone() };

        self.start_create(ctx, &scope, &rec, spec, LifecycleState::Available.as_str(), gureum_store::Batch::new())
            .await?;
        Ok(self.vpc_view(rec).await)
    }

    pub async fn vpc_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Vpc> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.vpc_view(self.vpc_record(&scope, key).await?).await)
    }

    pub async fn vpc_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<Vpc>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.list_views::<VpcRecord, LifecycleState, _, _>(scope.filter().to_vec(), q, |r| r.id, |r| self.vpc_view(r))
            .await
    }

    /// Deletes an empty VPC (no subnets, no security groups).
    pub async fn vpc_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Vpc> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let r = self.vpc_record(&scope, key).await?;
        if !r.state.deletable() {
            return Err(Error::Conflict(format!(
                "VPC {} is {}; only an Available or Error VPC can be deleted",
                r.name, r.state
            )));
        }
        let subnets = self.store().count::<SubnetRecord>(&[("vpc_id", r.id.into())]).await?;
        let groups = self.store().count::<SecurityGroupRecord>(&[("vpc_id", r.id.into())]).await?;
        if subnets + groups > 0 {
            return Err(Error::Conflict(format!(
                "VPC {} still has {subnets} subnet(s) and {groups} security group(s); delete them first",
                r.name
            )));
        }
        let op = self.start_delete(ctx, &scope, &r, "Deleting").await?;
        Ok(self.vpc_view(VpcRecord { state: LifecycleState::Deleting, op_id: Some(op), ..r }).await)
    }
}
