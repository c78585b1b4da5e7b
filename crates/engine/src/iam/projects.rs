//! Projects and their members. System administrators and the admins of a customer (or
//! of its reseller) create the customer's projects; a project admin manages its members.

use super::resellers::parse_description;
use crate::views::{links, page_request, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Member, MemberSet, Page, Project, ProjectCreate};
use gureum_model::Name;
use gureum_model::authz::{Permission, Role};
use gureum_store::{Batch, Key, ProjectRecord, Record, Store, UserRecord, new_id, now};

/// Tables that hold a project's resources, as users know them.
const PROJECT_RESOURCES: &[(&str, &str)] = &[
    ("instances", "instances"),
    ("volumes", "volumes"),
    ("vpcs", "VPCs"),
    ("subnets", "subnets"),
    ("security_groups", "security groups"),
    ("key_pairs", "key pairs"),
    ("public_ips", "public IPs"),
    ("images", "images"),
    ("maintenance_tasks", "maintenance tasks"),
    ("maintenance_webhooks", "webhooks"),
];

impl Engine {
    async fn project_view(&self, p: ProjectRecord, role: Role) -> Result<Project> {
        let (reseller, customer) = self.tenant_names(p.customer_id).await?;
        Ok(Project {
            links: links(format!("/v1/projects/{}", p.id), None),
            id: p.id,
            name: p.name,
            description: p.description,
            role,
            reseller,
            customer,
            created_at: ts(p.created_at),
        })
    }

    /// Creates a project in a customer the caller administers (default: their own).
    pub async fn project_create(&self, ctx: &OpContext, req: ProjectCreate) -> Result<Project> {
        let tenancy = self.tenancy_of(ctx).await?;
        if !tenancy.is_tenant_admin() {
            return Err(Error::Forbidden(
                "only a system administrator or a reseller or customer admin may create projects".into(),
            ));
        }
        let name = Name::parse("name", &req.name)?;
        let description = parse_description(req.description)?;
        let (_, customer) = self.tenant_for_new(&tenancy, req.reseller.as_deref(), req.customer.as_deref()).await?;
        let t = now();
        let p = ProjectRecord {
            id: new_id(),
            name: name.to_string(),
            description,
            customer_id: customer.id,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        let mut batch = Batch::from(p.insert());
        // The creator is the project's first admin.
        batch.push(Store::member_upsert(p.id, ctx.user_id, Role::Admin, t));
        batch.push(Store::quota_init(p.id));
        self.store().write(batch).await.map_err(crate::workflow::operations::name_taken("project", name.as_str()))?;
        self.project_view(p, Role::Admin).await
    }

    pub async fn project_list(
        &self,
        ctx: &OpContext,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Project>> {
        let page = page_request(limit, cursor)?;
        let reach = self.tenancy_of(ctx).await?.reach();
        let rows = self.store().projects_visible(ctx.user_id, reach, &page).await?;
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        let mut items = Vec::with_capacity(rows.len());
        for p in rows {
            let role = self.authorize(ctx, &p.id.to_string(), Permission::View).await?.role;
            items.push(self.project_view(p, role).await?);
        }
        Ok(Page { items, next_cursor })
    }

    pub async fn project_get(&self, ctx: &OpContext, project: &str) -> Result<Project> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let p = self
            .store()
            .get_by_id::<ProjectRecord>(scope.id)
            .await?
            .ok_or_else(|| Error::not_found("project", project))?;
        self.project_view(p, scope.role).await
    }

    /// Deletes an empty project.
    pub async fn project_delete(&self, ctx: &OpContext, project: &str) -> Result<()> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let p = self
            .store()
            .get_by_id::<ProjectRecord>(scope.id)
            .await?
            .ok_or_else(|| Error::not_found("project", project))?;
        if !self.tenancy_of(ctx).await?.administers_customer(self, p.customer_id).await? {
            return Err(Error::Forbidden(format!("only the admins of project {}'s customer may delete it", p.name)));
        }
        let mut left = vec![];
        for (table, what) in PROJECT_RESOURCES {
            let n = self.store().count_in(table, &[("project_id", scope.id.into())]).await?;
            if n > 0 {
                left.push(format!("{n} {what}"));
            }
        }
        if !left.is_empty() {
            return Err(Error::Conflict(format!(
                "project {} still holds {}; delete them first",
                scope.name,
                left.join(", ")
            )));
        }
        let mut batch = Store::project_forget(scope.id);
        batch.push(Store::quota_forget(scope.id));
        self.store().write(batch).await?;
        Ok(())
    }

    pub async fn member_list(&self, ctx: &OpContext, project: &str) -> Result<Vec<Member>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self
            .store()
            .members(scope.id)
            .await?
            .into_iter()
            .map(|m| Member { user_id: m.user_id, user: m.user_name, role: m.role, created_at: ts(m.created_at) })
            .collect())
    }

    pub async fn member_set(&self, ctx: &OpContext, project: &str, user: &str, req: MemberSet) -> Result<Member> {
        let scope = self.authorize(ctx, project, Permission::ManageMembers).await?;
        let u = self
            .store()
            .get::<UserRecord>(&[], &Key::parse(user))
            .await?
            .ok_or_else(|| Error::not_found("user", user))?;
        // Members come from the project's customer, or from a subtree the caller
        // administers: a user elsewhere does not exist for the caller.
        let p = self
            .store()
            .get_by_id::<ProjectRecord>(scope.id)
            .await?
            .ok_or_else(|| Error::not_found("project", project))?;
        if u.customer_id != p.customer_id
            && !self.tenancy_of(ctx).await?.administers_customer(self, u.customer_id).await?
        {
            return Err(Error::not_found("user", user));
        }
        let t = now();
        self.store().write(Store::member_upsert(scope.id, u.id, req.role, t)).await?;
        Ok(Member { user_id: u.id, user: u.name, role: req.role, created_at: ts(t) })
    }

    pub async fn member_delete(&self, ctx: &OpContext, project: &str, user: &str) -> Result<()> {
        let scope = self.authorize(ctx, project, Permission::ManageMembers).await?;
        let u = self
            .store()
            .get::<UserRecord>(&[], &Key::parse(user))
            .await?
            .ok_or_else(|| Error::not_found("member", user))?;
        self.store()
            .write(Store::member_delete(scope.id, u.id))
            .await
            .map_err(crate::error::on_no_row(|| Error::not_found("member", user)))?;
        Ok(())
    }
}
