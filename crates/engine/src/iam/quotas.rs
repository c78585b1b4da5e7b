//! Quotas of resellers, customers and projects: vCPUs, memory, instances and volume GB.
//! A create reserves in the same store batch as the row it makes (so 200 concurrent
//! creates cannot overshoot any level); removing the row frees exactly what it held.

use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Quota, QuotaLine, QuotaSet};
use gureum_model::authz::Permission;
use gureum_model::tenancy::{QuotaAmounts, QuotaLimits, quota_unit};
use gureum_store::{Batch, CustomerRecord, ProjectRecord, QuotaRow, ResellerRecord, Store};
use uuid::Uuid;

/// The statements that reserve `amounts` for `holder_id` (an instance or volume being
/// made) in project `project_id`, its customer and its reseller. Add them to the batch
/// that inserts the holder; see [`Engine::quota_refusal`] when that batch fails.
pub(crate) fn reserve(holder_id: Uuid, project_id: Uuid, amounts: QuotaAmounts) -> Batch {
    Store::quota_reserve(holder_id, project_id, amounts)
}

/// The statements that free what `holder_id` reserved; add them to the batch that
/// removes it (safe where it reserved nothing).
pub(crate) fn release(holder_id: Uuid) -> Batch {
    Store::quota_release(holder_id)
}

/// The statements that add `amounts` to what `holder_id` holds (a volume extended),
/// guarded like [`reserve`].
pub(crate) fn grow(holder_id: Uuid, project_id: Uuid, amounts: QuotaAmounts) -> Batch {
    Store::quota_grow(holder_id, project_id, amounts)
}

/// The statements that give back part of what `holder_id` holds (a grow undone).
pub(crate) fn shrink(holder_id: Uuid, amounts: QuotaAmounts) -> Batch {
    Store::quota_shrink(holder_id, amounts)
}

fn quota_view(scope: &str, name: String, q: QuotaRow) -> Quota {
    let line = |limit, used| QuotaLine { limit, used };
    Quota {
        scope: scope.into(),
        name,
        vcpus: line(q.limits.vcpus, q.used.vcpus),
        memory_mib: line(q.limits.memory_mib, q.used.memory_mib),
        instances: line(q.limits.instances, q.used.instances),
        volume_gb: line(q.limits.volume_gb, q.used.volume_gb),
    }
}

fn limits_of(req: QuotaSet) -> Result<QuotaLimits> {
    let limits = QuotaLimits {
        vcpus: req.vcpus,
        memory_mib: req.memory_mib,
        instances: req.instances,
        volume_gb: req.volume_gb,
    };
    limits.validate()?;
    Ok(limits)
}

/// What an instance of type `t` holds in vCPUs and memory.
pub(crate) fn type_amounts(t: &gureum_store::InstanceTypeRecord) -> QuotaAmounts {
    QuotaAmounts { vcpus: t.vcpus, memory_mib: t.memory_mib, ..QuotaAmounts::default() }
}

impl Engine {
    pub(crate) async fn instance_type_amounts(&self, id: Uuid) -> Result<QuotaAmounts> {
        let t = self
            .store()
            .get_by_id::<gureum_store::InstanceTypeRecord>(id)
            .await?
            .ok_or_else(|| Error::Conflict(format!("instance type {id} is gone")))?;
        Ok(type_amounts(&t))
    }

    /// The statements growing (`grow`, guarded at every level) or giving back part of
    /// what instance `holder` holds across a resize; none when it holds nothing.
    pub(crate) async fn quota_resize(
        &self,
        holder: Uuid,
        project_id: Uuid,
        amounts: QuotaAmounts,
        grow: bool,
    ) -> Result<Batch> {
        if amounts.is_zero() || !self.store().quota_holds(holder).await? {
            return Ok(Batch::new());
        }
        Ok(if grow { self::grow(holder, project_id, amounts) } else { shrink(holder, amounts) })
    }

    /// Why a reservation of `amounts` in `project_id` failed ([`Error::QuotaExceeded`]):
    /// the first level (project, customer, reseller) without room, with the numbers.
    pub(crate) async fn quota_refusal(&self, project_id: Uuid, amounts: QuotaAmounts) -> Error {
        match self.quota_levels(project_id).await {
            Ok(levels) => {
                for (level, name, row) in levels {
                    for ((field, asked), (_, limit)) in amounts.named().into_iter().zip(row.limits.named()) {
                        let used = row.used.named().into_iter().find(|(f, _)| *f == field).map_or(0, |(_, u)| u);
                        if let Some(limit) = limit
                            && asked > 0
                            && used + asked > limit
                        {
                            let unit = quota_unit(field);
                            return Error::QuotaExceeded(format!(
                                "{level} {name}'s quota of {limit} {unit} is used up: {used} in use, {asked} asked"
                            ));
                        }
                    }
                }
                Error::QuotaExceeded("a quota was used up by another request meanwhile; retry".into())
            }
            Err(e) => e,
        }
    }

    /// Project, customer and reseller of `project_id` with their quota rows.
    async fn quota_levels(&self, project_id: Uuid) -> Result<Vec<(&'static str, String, QuotaRow)>> {
        let missing = || Error::Internal(format!("project {project_id} has no customer"));
        let p = self.store().get_by_id::<ProjectRecord>(project_id).await?.ok_or_else(missing)?;
        let c = self.store().get_by_id::<CustomerRecord>(p.customer_id).await?.ok_or_else(missing)?;
        let r = self.store().get_by_id::<ResellerRecord>(c.reseller_id).await?.ok_or_else(missing)?;
        Ok(vec![
            ("project", p.name, self.store().quota_get(p.id).await?),
            ("customer", c.name, self.store().quota_get(c.id).await?),
            ("reseller", r.name, self.store().quota_get(r.id).await?),
        ])
    }

    pub async fn reseller_quota_get(&self, ctx: &OpContext, reseller: &str) -> Result<Quota> {
        let (_, r) = self.reseller_for(ctx, reseller, false).await?;
        Ok(quota_view("reseller", r.name, self.store().quota_get(r.id).await?))
    }

    /// Sets a reseller's limits (system administrators).
    pub async fn reseller_quota_set(&self, ctx: &OpContext, reseller: &str, req: QuotaSet) -> Result<Quota> {
        let (_, r) = self.reseller_for(ctx, reseller, false).await?;
        self.require_admin(ctx, "set a reseller's quota")?;
        self.store().write(Store::quota_set(r.id, limits_of(req)?)).await?;
        self.reseller_quota_get(ctx, reseller).await
    }

    pub async fn customer_quota_get(&self, ctx: &OpContext, reseller: &str, customer: &str) -> Result<Quota> {
        let (_, _, c) = self.customer_for(ctx, reseller, customer, false).await?;
        Ok(quota_view("customer", c.name, self.store().quota_get(c.id).await?))
    }

    /// Sets a customer's limits (its reseller's admins: a customer does not set its own).
    pub async fn customer_quota_set(
        &self,
        ctx: &OpContext,
        reseller: &str,
        customer: &str,
        req: QuotaSet,
    ) -> Result<Quota> {
        let (tenancy, r, c) = self.customer_for(ctx, reseller, customer, false).await?;
        if !tenancy.administers_reseller(r.id) {
            return Err(Error::Forbidden(format!("only reseller {}'s admins may set its customers' quotas", r.name)));
        }
        self.store().write(Store::quota_set(c.id, limits_of(req)?)).await?;
        self.customer_quota_get(ctx, reseller, customer).await
    }

    pub async fn project_quota_get(&self, ctx: &OpContext, project: &str) -> Result<Quota> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(quota_view("project", scope.name, self.store().quota_get(scope.id).await?))
    }

    /// Sets a project's limits (its customer's admins: a project does not set its own).
    pub async fn project_quota_set(&self, ctx: &OpContext, project: &str, req: QuotaSet) -> Result<Quota> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let p = self
            .store()
            .get_by_id::<ProjectRecord>(scope.id)
            .await?
            .ok_or_else(|| Error::not_found("project", project))?;
        if !self.tenancy_of(ctx).await?.administers_customer(self, p.customer_id).await? {
            return Err(Error::Forbidden(format!(
                "only the admins of project {}'s customer may set its quota",
                p.name
            )));
        }
        self.store().write(Store::quota_set(p.id, limits_of(req)?)).await?;
        self.project_quota_get(ctx, project).await
    }
}
