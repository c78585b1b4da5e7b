//! Customers of a reseller: its admins make and remove them. Every project belongs to a
//! customer and every user has a home customer; both default to the caller's.

use super::authz::Tenancy;
use super::resellers::parse_description;
use crate::views::{links, page_request, ts};
use crate::workflow::operations::name_taken;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Customer, Page, TenantCreate};
use gureum_model::Name;
use gureum_model::tenancy::DEFAULT_CUSTOMER_ID;
use gureum_store::{Batch, CustomerRecord, Key, ProjectRecord, Record, ResellerRecord, Store, UserRecord, new_id, now};
use uuid::Uuid;

fn customer_view(c: CustomerRecord, reseller: &ResellerRecord) -> Customer {
    Customer {
        links: links(format!("/v1/resellers/{}/customers/{}", reseller.id, c.id), None),
        id: c.id,
        name: c.name,
        description: c.description,
        reseller: reseller.name.clone(),
        reseller_id: reseller.id,
        created_at: ts(c.created_at),
    }
}

impl Engine {
    pub async fn customer_create(&self, ctx: &OpContext, reseller: &str, req: TenantCreate) -> Result<Customer> {
        let (_, r) = self.reseller_for(ctx, reseller, true).await?;
        let name = Name::parse("name", &req.name)?;
        let description = parse_description(req.description)?;
        let t = now();
        let c = CustomerRecord {
            id: new_id(),
            reseller_id: r.id,
            name: name.to_string(),
            description,
            generation: 1,
            created_at: t,
            updated_at: t,
        };
        let mut batch = Batch::from(c.insert());
        batch.push(Store::quota_init(c.id));
        self.store().write(batch).await.map_err(name_taken("customer", name.as_str()))?;
        Ok(customer_view(c, &r))
    }

    /// A reseller's customers: all for its admins, the home customer for a customer admin.
    pub async fn customer_list(
        &self,
        ctx: &OpContext,
        reseller: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Customer>> {
        let page = page_request(limit, cursor)?;
        let (tenancy, r) = self.reseller_for(ctx, reseller, false).await?;
        let mut filters = vec![("reseller_id", r.id.into())];
        if !tenancy.administers_reseller(r.id) {
            filters.push(("id", tenancy.customer_id.into()));
        }
        let rows = self.store().list::<CustomerRecord>(&filters, &page).await?;
        let next_cursor =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|c| crate::views::encode_cursor(c.id))).flatten();
        Ok(Page { items: rows.into_iter().map(|c| customer_view(c, &r)).collect(), next_cursor })
    }

    pub async fn customer_get(&self, ctx: &OpContext, reseller: &str, customer: &str) -> Result<Customer> {
        let (_, r, c) = self.customer_for(ctx, reseller, customer, false).await?;
        Ok(customer_view(c, &r))
    }

    /// Deletes a customer without projects and users (its reseller's admins).
    pub async fn customer_delete(&self, ctx: &OpContext, reseller: &str, customer: &str) -> Result<()> {
        let (tenancy, r, c) = self.customer_for(ctx, reseller, customer, false).await?;
        if !tenancy.administers_reseller(r.id) {
            return Err(Error::Forbidden(format!("only reseller {}'s admins may delete its customers", r.name)));
        }
        if c.id == DEFAULT_CUSTOMER_ID {
            return Err(Error::Conflict(
                "customer default is where new installs and upgrades put everything; it stays".into(),
            ));
        }
        let projects = self.store().count::<ProjectRecord>(&[("customer_id", c.id.into())]).await?;
        let users = self.store().count::<UserRecord>(&[("customer_id", c.id.into())]).await?;
        if projects + users > 0 {
            return Err(Error::Conflict(format!(
                "customer {} still has {projects} projects and {users} users; delete them first",
                c.name
            )));
        }
        let mut batch = Batch::from(gureum_store::record::delete::<CustomerRecord>(c.id));
        batch.push(Store::quota_forget(c.id));
        self.store().write(batch).await?;
        Ok(())
    }

    /// The reseller and customer a new project or user goes to: the named ones (which
    /// the caller must administer: 400 naming the field otherwise), or the caller's own.
    pub(crate) async fn tenant_for_new(
        &self,
        tenancy: &Tenancy,
        reseller: Option<&str>,
        customer: Option<&str>,
    ) -> Result<(ResellerRecord, CustomerRecord)> {
        let r = match reseller {
            None => self.store().get_by_id::<ResellerRecord>(tenancy.reseller_id).await?,
            Some(key) => self.store().get::<ResellerRecord>(&[], &Key::parse(key)).await?,
        };
        let r = r.filter(|r| tenancy.reseller_id == r.id || tenancy.administers_reseller(r.id)).ok_or_else(|| {
            Error::invalid("reseller", format!("no reseller {:?} you administer", reseller.unwrap_or("")))
        })?;
        let c = match customer {
            Some(key) => self.store().get::<CustomerRecord>(&[("reseller_id", r.id.into())], &Key::parse(key)).await?,
            None if r.id == tenancy.reseller_id => {
                self.store().get_by_id::<CustomerRecord>(tenancy.customer_id).await?
            }
            None => return Err(Error::invalid("customer", format!("name a customer of reseller {}", r.name))),
        };
        let c = c.filter(|c| tenancy.administers_customer_of(c.id, c.reseller_id)).ok_or_else(|| {
            Error::invalid(
                "customer",
                format!("no customer {:?} of reseller {} you administer", customer.unwrap_or(""), r.name),
            )
        })?;
        Ok((r, c))
    }

    /// The reseller and customer names of a customer, for views.
    pub(crate) async fn tenant_names(&self, customer_id: Uuid) -> Result<(String, String)> {
        let c = self
            .store()
            .get_by_id::<CustomerRecord>(customer_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("customer {customer_id} is gone")))?;
        let r = self.store().name_of::<ResellerRecord>(c.reseller_id).await?.unwrap_or_default();
        Ok((r, c.name))
    }
}
