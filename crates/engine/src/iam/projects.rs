//! Projects and their members. System administrators create projects; a project admin
//! manages its members.

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
];

fn project_view(p: ProjectRecord, role: Role) -> Project {
    Project {
        links: links(format!("/v1/projects/{}", p.id), None),
        id: p.id,
        name: p.name,
        description: p.description,
        role,
        created_at: ts(p.created_at),
    }
}

impl Engine {
    pub async fn project_create(&self, ctx: &OpContext, req: ProjectCreate) -> Result<Project> {
        self.require_admin(ctx, "create projects")?;
        let name = Name::parse("name", &req.name)?;
        let description = req.description.unwrap_or_default();
        if description.len() > 1024 {
            return Err(Error::invalid("description", "must be at most 1024 characters"));
        }
        let t = now();
        let p = ProjectRecord {
            id: new_id(),
            name: name.to_string(),
            description,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        let mut batch = Batch::from(p.insert());
        // The creator is the project's first admin.
        batch.push(Store::member_upsert(p.id, ctx.user_id, Role::Admin, t));
        self.store().write(batch).await.map_err(crate::workflow::operations::name_taken("project", name.as_str()))?;
        Ok(project_view(p, Role::Admin))
    }

    pub async fn project_list(
        &self,
        ctx: &OpContext,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Project>> {
        let page = page_request(limit, cursor)?;
        let rows = self.store().projects_visible(ctx.user_id, ctx.is_admin, &page).await?;
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        let mut items = Vec::with_capacity(rows.len());
        for p in rows {
            let role = if ctx.is_admin {
                Role::Admin
            } else {
                self.store().member_role(p.id, ctx.user_id).await?.unwrap_or(Role::Reader)
            };
            items.push(project_view(p, role));
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
        Ok(project_view(p, scope.role))
    }

    /// Deletes an empty project.
    pub async fn project_delete(&self, ctx: &OpContext, project: &str) -> Result<()> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.require_admin(ctx, "delete projects")?;
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
        self.store().write(gureum_store::Store::project_forget(scope.id)).await?;
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
