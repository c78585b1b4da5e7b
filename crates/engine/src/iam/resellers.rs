//! Resellers: the top of the tenancy tree. System administrators make and remove them;
//! a reseller's admins and its customers' admins see it.

use crate::views::{links, page_request, ts};
use crate::workflow::operations::name_taken;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Page, Reseller, TenantCreate};
use gureum_model::Name;
use gureum_model::tenancy::DEFAULT_RESELLER_ID;
use gureum_store::{Batch, CustomerRecord, Record, ResellerRecord, Store, new_id, now};

pub(crate) const DESCRIPTION_MAX: usize = 1024;

/// A description field: optional, at most [`DESCRIPTION_MAX`] characters.
pub(crate) fn parse_description(description: Option<String>) -> Result<String> {
    let description = description.unwrap_or_default();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(Error::invalid("description", format!("must be at most {DESCRIPTION_MAX} characters")));
    }
    Ok(description)
}

fn reseller_view(r: ResellerRecord) -> Reseller {
    Reseller {
        links: links(format!("/v1/resellers/{}", r.id), None),
        id: r.id,
        name: r.name,
        description: r.description,
        created_at: ts(r.created_at),
    }
}

impl Engine {
    pub async fn reseller_create(&self, ctx: &OpContext, req: TenantCreate) -> Result<Reseller> {
        self.require_admin(ctx, "create resellers")?;
        let name = Name::parse("name", &req.name)?;
        let description = parse_description(req.description)?;
        let t = now();
        let r = ResellerRecord {
            id: new_id(),
            name: name.to_string(),
            description,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        let mut batch = Batch::from(r.insert());
        batch.push(Store::quota_init(r.id));
        self.store().write(batch).await.map_err(name_taken("reseller", name.as_str()))?;
        Ok(reseller_view(r))
    }

    /// Every reseller for a system administrator; the home reseller for its admins.
    pub async fn reseller_list(
        &self,
        ctx: &OpContext,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Reseller>> {
        let page = page_request(limit, cursor)?;
        let tenancy = self.tenancy_of(ctx).await?;
        let rows = if tenancy.system_admin {
            self.store().list::<ResellerRecord>(&[], &page).await?
        } else {
            let home = self.reseller_for(ctx, &tenancy.reseller_id.to_string(), false).await.ok();
            home.map(|(_, r)| r).into_iter().filter(|r| page.after.is_none_or(|a| r.id > a)).collect()
        };
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        Ok(Page { items: rows.into_iter().map(reseller_view).collect(), next_cursor })
    }

    pub async fn reseller_get(&self, ctx: &OpContext, reseller: &str) -> Result<Reseller> {
        Ok(reseller_view(self.reseller_for(ctx, reseller, false).await?.1))
    }

    /// Deletes a reseller without customers (system administrators).
    pub async fn reseller_delete(&self, ctx: &OpContext, reseller: &str) -> Result<()> {
        let (_, r) = self.reseller_for(ctx, reseller, false).await?;
        self.require_admin(ctx, "delete resellers")?;
        if r.id == DEFAULT_RESELLER_ID {
            return Err(Error::Conflict(
                "reseller default is where new installs and upgrades put everything; it stays".into(),
            ));
        }
        let customers = self.store().count::<CustomerRecord>(&[("reseller_id", r.id.into())]).await?;
        if customers > 0 {
            return Err(Error::Conflict(format!(
                "reseller {} still has {customers} customers; delete them first",
                r.name
            )));
        }
        let mut batch = Batch::from(gureum_store::record::delete::<ResellerRecord>(r.id));
        batch.push(Store::quota_forget(r.id));
        self.store().write(batch).await?;
        Ok(())
    }
}
