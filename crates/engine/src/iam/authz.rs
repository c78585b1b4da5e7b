//! Authorization, in one place. Every engine method that touches a project starts here.
//! A project the caller is not a member of does not exist for them (404, never 403); a
//! member whose role lacks the permission gets 403 naming the role and the permission.
//!
//! Tenancy widens what a caller reaches, from the top: a system administrator reaches
//! everything; a reseller admin the reseller, its customers, their projects and users; a
//! customer admin the customer, its projects and users. Each acts as admin in every
//! project it reaches. Whatever lies outside a caller's subtree is 404 to them.

use crate::{Engine, Error, OpContext, Result};
use gureum_model::authz::{Permission, Role};
use gureum_model::tenancy::TenancyRole;
use gureum_store::{CustomerRecord, Key, ProjectRecord, Reach, ResellerRecord, UserRecord};
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
                Some(Role::Admin) => Role::Admin,
                member => match self.tenancy_of(ctx).await?.administers_customer(self, p.customer_id).await? {
                    true => Role::Admin,
                    false => member.ok_or_else(|| Error::not_found("project", project))?,
                },
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

    /// The caller's place in the tenancy.
    pub async fn tenancy_of(&self, ctx: &OpContext) -> Result<Tenancy> {
        let user = self
            .store()
            .get_by_id::<UserRecord>(ctx.user_id)
            .await?
            .ok_or_else(|| Error::Unauthenticated("the user is gone".into()))?;
        let customer = self
            .store()
            .get_by_id::<CustomerRecord>(user.customer_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("user {} has no home customer", user.name)))?;
        Ok(Tenancy {
            system_admin: ctx.is_admin,
            reseller_id: customer.reseller_id,
            customer_id: customer.id,
            role: user.tenancy_role,
        })
    }

    /// Reseller `key` as the caller may see it: a system administrator any; reseller
    /// and customer admins their home reseller. `manage` asks for the right to change it
    /// and its customers (403 for a customer admin), otherwise 404.
    pub async fn reseller_for(&self, ctx: &OpContext, key: &str, manage: bool) -> Result<(Tenancy, ResellerRecord)> {
        let tenancy = self.tenancy_of(ctx).await?;
        let r = self
            .store()
            .get::<ResellerRecord>(&[], &Key::parse(key))
            .await?
            .filter(|r| tenancy.system_admin || (tenancy.role != TenancyRole::None && tenancy.reseller_id == r.id))
            .ok_or_else(|| Error::not_found("reseller", key))?;
        if manage && !tenancy.administers_reseller(r.id) {
            return Err(Error::Forbidden(format!("only reseller {}'s admins may manage its customers", r.name)));
        }
        Ok((tenancy, r))
    }

    /// Customer `key` of `reseller` as the caller may see it (its reseller's admins and
    /// its own customer admins); `manage` as in [`Engine::reseller_for`].
    pub async fn customer_for(
        &self,
        ctx: &OpContext,
        reseller: &str,
        key: &str,
        manage: bool,
    ) -> Result<(Tenancy, ResellerRecord, CustomerRecord)> {
        let (tenancy, r) = self.reseller_for(ctx, reseller, false).await?;
        let c = self
            .store()
            .get::<CustomerRecord>(&[("reseller_id", r.id.into())], &Key::parse(key))
            .await?
            .filter(|c| tenancy.administers_reseller(r.id) || tenancy.customer_id == c.id)
            .ok_or_else(|| Error::not_found("customer", key))?;
        if manage && !tenancy.administers_customer_of(c.id, c.reseller_id) {
            return Err(Error::Forbidden(format!("only customer {}'s admins may manage it", c.name)));
        }
        Ok((tenancy, r, c))
    }

    /// System-wide administration (users, projects, connections).
    pub fn require_admin(&self, ctx: &OpContext, what: &str) -> Result<()> {
        if ctx.is_admin { Ok(()) } else { Err(Error::Forbidden(format!("only a system administrator may {what}"))) }
    }
}

/// Where a caller stands in the tenancy tree.
#[derive(Debug, Clone, Copy)]
pub struct Tenancy {
    pub system_admin: bool,
    pub reseller_id: Uuid,
    pub customer_id: Uuid,
    pub role: TenancyRole,
}

impl Tenancy {
    /// The projects (and users) the caller reaches beyond their memberships.
    pub fn reach(&self) -> Reach {
        match (self.system_admin, self.role) {
            (true, _) => Reach::All,
            (false, TenancyRole::ResellerAdmin) => Reach::Reseller(self.reseller_id),
            (false, TenancyRole::CustomerAdmin) => Reach::Customer(self.customer_id),
            (false, TenancyRole::None) => Reach::Members,
        }
    }

    /// Administers users and projects beyond their own memberships.
    pub fn is_tenant_admin(&self) -> bool {
        self.system_admin || self.role != TenancyRole::None
    }

    pub fn administers_reseller(&self, reseller_id: Uuid) -> bool {
        self.system_admin || (self.role == TenancyRole::ResellerAdmin && self.reseller_id == reseller_id)
    }

    pub fn administers_customer_of(&self, customer_id: Uuid, reseller_id: Uuid) -> bool {
        self.administers_reseller(reseller_id)
            || (self.role == TenancyRole::CustomerAdmin && self.customer_id == customer_id)
    }

    /// Whether the caller administers customer `customer_id` (looking up its reseller).
    pub async fn administers_customer(&self, engine: &Engine, customer_id: Uuid) -> Result<bool> {
        if self.system_admin || (self.role == TenancyRole::CustomerAdmin && self.customer_id == customer_id) {
            return Ok(true);
        }
        if self.role != TenancyRole::ResellerAdmin {
            return Ok(false);
        }
        let customer = engine.store().get_by_id::<CustomerRecord>(customer_id).await?;
        Ok(customer.is_some_and(|c| c.reseller_id == self.reseller_id))
    }
}
