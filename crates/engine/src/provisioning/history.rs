//! The history: an event per execute, completion, failure, return and status delete,
//! each with a log that is kept for the configured days (15 by default) and then purged
//! by a background worker, while the event itself stays.

use crate::views::{links, page_request, ts};
use crate::worker::Worker;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{HistoryEvent, HistoryQuery, Page};
use gureum_model::authz::Permission;
use gureum_store::{HistoryEventRecord, Key, ProvisioningRecord};
use std::time::Duration;

const PURGE_EVERY: Duration = Duration::from_secs(3600);

pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("history_log_purge", PURGE_EVERY).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let e = e.clone();
        async move { e.history_logs_purge(gureum_store::now()).await.map(|_| ()) }
    });
}

fn view(r: HistoryEventRecord) -> HistoryEvent {
    HistoryEvent {
        links: links(format!("/v1/projects/{}/provisioning-history/{}", r.project_id, r.id), None),
        id: r.id,
        at: ts(r.at),
        event_type: r.event_type,
        provisioning: r.provisioning_name,
        provisioning_id: r.provisioning_id,
        template: r.template,
        user: r.user_name,
        log_available: r.log.is_some(),
        log_expires_at: ts(r.log_expires_at),
    }
}

impl Engine {
    /// Drops the logs expired at `now`; how many. (The worker passes the clock's time;
    /// tests pass theirs.)
    pub async fn history_logs_purge(&self, now: i64) -> Result<u64> {
        Ok(self.store().history_logs_purge(now).await?)
    }

    pub async fn provisioning_history(
        &self,
        ctx: &OpContext,
        project: &str,
        q: &HistoryQuery,
    ) -> Result<Page<HistoryEvent>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let provisioning = match &q.provisioning {
            None => None,
            // Events outlive their provisioning: a deleted one is found by its id or by name
            // in the events themselves.
            Some(k) => match self.store().get::<ProvisioningRecord>(&scope.filter(), &Key::parse(k)).await? {
                Some(p) => Some(p.id),
                None => match Key::parse(k) {
                    Key::Id(id) => Some(id),
                    Key::Name(name) => {
                        let events = self
                            .store()
                            .list_all::<HistoryEventRecord>(&[
                                ("project_id", scope.id.into()),
                                ("provisioning_name", name.clone().into()),
                            ])
                            .await?;
                        Some(events.last().map(|e| e.provisioning_id).ok_or_else(|| {
                            Error::invalid(
                                "provisioning",
                                format!("no provisioning {name:?} in this project's history"),
                            )
                        })?)
                    }
                },
            },
        };
        let rows = self.store().history_page(scope.id, provisioning, q.event_type, &page).await?;
        let next =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        Ok(Page { items: rows.into_iter().map(view).collect(), next_cursor: next })
    }

    /// An event's log as text; 410 once it expired.
    pub async fn provisioning_history_log(
        &self,
        ctx: &OpContext,
        project: &str,
        event: &str,
    ) -> Result<(HistoryEvent, String)> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let Key::Id(id) = Key::parse(event) else {
            return Err(Error::not_found("history event", event));
        };
        let r = self
            .store()
            .get::<HistoryEventRecord>(&scope.filter(), &Key::Id(id))
            .await?
            .ok_or_else(|| Error::not_found("history event", event))?;
        match r.log.clone() {
            Some(log) => Ok((view(r), log)),
            None => Err(Error::Gone(format!(
                "the log of this event expired at {} (logs are kept {} days); the event itself stays",
                ts(r.log_expires_at),
                self.config().history_log_days
            ))),
        }
    }
}
