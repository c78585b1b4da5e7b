//! A project's webhooks: where its maintenance notifications are POSTed. Project admins
//! write them; every project role reads them. The signing secret is sealed at rest and
//! never returned.

use super::deliveries::delivery_view;
use super::webhook_targets;
use crate::views::{links, page_request, project_path, ts};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Delivery, Page, PageQuery, Webhook, WebhookCreate};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_store::db::{Batch, Stmt};
use gureum_store::{Key, NotificationRecord, Page as StorePage, Record, WebhookRecord, args, new_id, now};

const MAX_URL: usize = 2048;

fn webhook_view(w: WebhookRecord) -> Webhook {
    Webhook {
        links: links(project_path(w.project_id, "webhooks", w.id), None),
        id: w.id,
        name: w.name,
        url: w.url,
        created_at: ts(w.created_at),
    }
}

/// An `http` or `https` URL with a host and no credentials in it (it is shown to every
/// project role), not an address deliveries may not reach ([`webhook_targets`]).
fn webhook_url(s: &str) -> Result<String> {
    let bad = |rule: &str| Error::invalid("url", rule.to_string());
    if s.len() > MAX_URL {
        return Err(bad("at most 2048 characters"));
    }
    let url = reqwest::Url::parse(s).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold a user or password: sign with the secret instead"));
    }
    if webhook_targets::literal_forbidden(&url) {
        return Err(bad(webhook_targets::RULE));
    }
    Ok(url.to_string())
}

impl Engine {
    pub async fn maintenance_webhook_create(
        &self,
        ctx: &OpContext,
        project: &str,
        req: WebhookCreate,
    ) -> Result<Webhook> {
        let scope = self.maintenance_admin(ctx, project).await?;
        let name = Name::parse("name", &req.name)?;
        let url = webhook_url(&req.url)?;
        if !(16..=256).contains(&req.secret.chars().count()) {
            return Err(Error::invalid("secret", "must be 16–256 characters"));
        }
        let t = now();
        let w = WebhookRecord {
            id: new_id(),
            project_id: scope.id,
            name: name.to_string(),
            url,
            secret: self.config().secret_key.seal_field(&req.secret),
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            generation: 1,
        };
        self.store().write(w.insert()).await.map_err(crate::workflow::operations::name_taken("webhook", &w.name))?;
        Ok(webhook_view(w))
    }

    pub async fn maintenance_webhook_list(
        &self,
        ctx: &OpContext,
        project: &str,
        q: &PageQuery,
    ) -> Result<Page<Webhook>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().list::<WebhookRecord>(&scope.filter(), &page).await?;
        Ok(super::page_of(&rows, page.limit, |w| w.id, |w| webhook_view(w.clone())))
    }

    async fn maintenance_webhook_record(&self, ctx: &OpContext, project: &str, key: &str) -> Result<WebhookRecord> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.store()
            .get::<WebhookRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("webhook", key))
    }

    pub async fn maintenance_webhook_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Webhook> {
        Ok(webhook_view(self.maintenance_webhook_record(ctx, project, key).await?))
    }

    /// Deletes a webhook and its deliveries: nothing more is sent to it.
    pub async fn maintenance_webhook_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<()> {
        let scope = self.maintenance_admin(ctx, project).await?;
        let w = self
            .store()
            .get::<WebhookRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("webhook", key))?;
        let mut batch = Batch::new();
        batch.push(Stmt::new("DELETE FROM maintenance_deliveries WHERE webhook_id = $1", args![w.id]));
        batch.push(gureum_store::record::delete::<WebhookRecord>(w.id));
        self.store().write(batch).await?;
        Ok(())
    }

    /// A webhook's deliveries, newest first, each with every attempt.
    pub async fn maintenance_delivery_list(
        &self,
        ctx: &OpContext,
        project: &str,
        webhook: &str,
        q: &PageQuery,
    ) -> Result<Page<Delivery>> {
        let w = self.maintenance_webhook_record(ctx, project, webhook).await?;
        let page: StorePage = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().deliveries_page(w.id, &page).await?;
        let mut kinds = std::collections::HashMap::new();
        for d in &rows {
            if let Some(n) = self.store().get_by_id::<NotificationRecord>(d.notification_id).await? {
                kinds.insert(n.id, n.kind);
            }
        }
        Ok(super::page_of(&rows, page.limit, |d| d.id, |d| delivery_view(d, kinds.get(&d.notification_id).copied())))
    }
}

#[cfg(test)]
mod tests {
    use super::webhook_url;

    #[test]
    fn a_webhook_url_is_http_with_a_host_and_no_credentials() {
        assert_eq!(webhook_url("https://hooks.example.com/x?y=1").unwrap(), "https://hooks.example.com/x?y=1");
        assert!(webhook_url("http://127.0.0.1:8080/h").is_ok());
        for bad in ["ftp://example.com/", "not a url", "https://user:pw@example.com/", "file:///etc/passwd", "http://"]
        {
            assert!(webhook_url(bad).is_err(), "{bad} accepted");
        }
    }
}
