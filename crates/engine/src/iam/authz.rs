//! Authorization, in one place. Every engine method that touches a project starts here.
//! A project the caller is not a member of does not exist for them (404, never 403); a
//! member whose role lacks the permission gets 403 naming the role and the permission.

use crate::{Engine, Error, OpContext, Result};
use gureum_model::authz::{Permission, Role};
use gureum_store::{Key, ProjectRecord};
use uuid::Uuid;

/// A project the caller may act in, with the role they act as.
#[derive(Debug, Clone)]
pub struct ProjectScope {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

impl ProjectScope {
    pub fn filter(&self) -> [gureum_store::Filter; 1] {
        [("project_id", self.id.into())]
    }
}

impl Engine {
    /// Resolves `project` (name or id) for `ctx` and checks `permission`.
    pub async fn authorize(&self, ctx: &OpContext, project: &str, permission: Permission) -> Result<ProjectScope> {
        let key = Key::parse(project);
        let Some(p) = self.store().get::<ProjectRecord>(&[], &key).await? else {
            return Err(Error::not_found("project", project));
        };
        let role = if ctx.is_admin {
            Role::Admin
        } else {
            match self.store().member_role(p.id, ctx.user_id).await? {
                Some(role) => role,
                None => return Err(Error::not_found("project", project)),
            }
        };
        if !role.allows(permission) {
            return Err(Error::Forbidden(format!(
                "your role in project {} is {role}, which may not {}",
                p.name,
                permission.as_str()
            )));
        }
        Ok(ProjectScope { id: p.id, name: p.name, role })
    }

    /// System-wide administration (users, projects, connections).
    pub fn require_admin(&self, ctx: &OpContext, what: &str) -> Result<()> {
        if ctx.is_admin { Ok(()) } else { Err(Error::Forbidden(format!("only a system administrator may {what}"))) }
    }
}
