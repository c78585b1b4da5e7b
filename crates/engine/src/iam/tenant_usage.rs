//! Usage and cost rolled up per customer and per reseller: the project reports of every
//! project underneath, one line per project, instance and instance type.

use crate::compute::usage::usage_range;
use crate::views::ts;
use crate::{Engine, OpContext, Result};
use gureum_api_types::{TenantUsage, TenantUsageLine};
use gureum_store::{CustomerRecord, ProjectRecord, ResellerRecord};

impl Engine {
    /// Usage over every project of reseller `reseller`'s customers (its admins).
    pub async fn reseller_usage(
        &self,
        ctx: &OpContext,
        reseller: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<TenantUsage> {
        let (_, r) = self.reseller_for(ctx, reseller, true).await?;
        let customers = self.store().list_all::<CustomerRecord>(&[("reseller_id", r.id.into())]).await?;
        self.tenant_usage(r, None, customers, from, to).await
    }

    /// Usage over every project of one customer (its admins and its reseller's).
    pub async fn customer_usage(
        &self,
        ctx: &OpContext,
        reseller: &str,
        customer: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<TenantUsage> {
        let (_, r, c) = self.customer_for(ctx, reseller, customer, true).await?;
        let name = c.name.clone();
        self.tenant_usage(r, Some(name), vec![c], from, to).await
    }

    async fn tenant_usage(
        &self,
        reseller: ResellerRecord,
        customer: Option<String>,
        customers: Vec<CustomerRecord>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<TenantUsage> {
        let (from, to) = usage_range(from, to)?;
        let mut lines = vec![];
        for c in customers {
            for p in self.store().list_all::<ProjectRecord>(&[("customer_id", c.id.into())]).await? {
                for l in self.usage_lines(p.id, from, to).await? {
                    lines.push(TenantUsageLine {
                        customer: c.name.clone(),
                        project: p.name.clone(),
                        instance_id: l.instance_id,
                        instance: l.instance,
                        instance_type: l.instance_type,
                        seconds: l.seconds,
                        price_per_hour: l.price_per_hour,
                        cost: l.cost,
                    });
                }
            }
        }
        lines.sort_by(|a, b| (&a.customer, &a.project, &a.instance).cmp(&(&b.customer, &b.project, &b.instance)));
        Ok(TenantUsage {
            reseller: reseller.name,
            customer,
            from: ts(from),
            to: ts(to),
            total_seconds: lines.iter().map(|l| l.seconds).sum(),
            total_cost: lines.iter().map(|l| l.cost).sum(),
            lines,
        })
    }
}

/// The roll-up as CSV, in the style of the project report: one line per customer,
/// project, instance and type, then the total.
pub fn tenant_usage_csv(u: &TenantUsage) -> String {
    let mut out = String::from("customer,project,instance_id,instance,instance_type,seconds,price_per_hour,cost\n");
    for l in &u.lines {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{:.6}\n",
            l.customer, l.project, l.instance_id, l.instance, l.instance_type, l.seconds, l.price_per_hour, l.cost
        ));
    }
    out.push_str(&format!(",,,total,,{},,{:.6}\n", u.total_seconds, u.total_cost));
    out
}
