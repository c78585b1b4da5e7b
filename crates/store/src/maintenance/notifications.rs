//! Maintenance notifications, the project's webhooks and their deliveries (migration 15).

use crate::db::Stmt;
use crate::{DbResult, MaintenanceResourceRecord, Page, Record, Store, args, placeholders, record};
use gureum_model::maintenance::{DeliveryStatus, NoticeKind, ResourceStatus};
use uuid::Uuid;

record! {
    /// A notice about a resource of a maintenance task; it outlives the task.
    pub struct NotificationRecord in "maintenance_notifications" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub task_id: Uuid,
        pub task_name: String,
        /// The instance's id and name; `None` for a notice about the whole task.
        pub resource_id: Option<Uuid>,
        pub resource_name: Option<String>,
        pub kind: NoticeKind,
        pub message: String,
        /// Unique when set: the notice is written once (`upcoming` ones).
        pub once_key: Option<String>,
        /// Whether its deliveries to the project's webhooks were created.
        pub fanned_out: bool,
        pub created_at: i64,
    }
}

record! {
    /// Where a project's maintenance notifications are POSTed.
    pub struct WebhookRecord in "maintenance_webhooks" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub name: String,
        pub url: String,
        /// Sealed with the server's secret key.
        pub secret: String,
        pub created_by: Uuid,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}

record! {
    /// One notification sent to one webhook, retried until a 2xx or it gives up.
    pub struct DeliveryRecord in "maintenance_deliveries" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub webhook_id: Uuid,
        pub notification_id: Uuid,
        pub status: DeliveryStatus,
        pub attempts: i64,
        pub last_response_code: Option<i64>,
        pub last_error: Option<String>,
        /// A JSON list of every attempt: `{at, response_code, error}`.
        pub attempt_log: String,
        pub next_attempt_at: i64,
        /// Held by the server sending it until then.
        pub claimed_until: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
        pub generation: i64,
    }
}

impl NotificationRecord {
    /// The insert, skipped when a notice with the same `once_key` exists.
    pub fn insert_once(&self) -> Stmt {
        let Stmt { sql, args, .. } = self.insert();
        Stmt::new(format!("{sql} ON CONFLICT DO NOTHING"), args)
    }
}

impl Store {
    /// A project's notifications, newest first.
    pub async fn notifications_page(&self, project_id: Uuid, page: &Page) -> DbResult<Vec<NotificationRecord>> {
        newest_first(self, "project_id", project_id, page).await
    }

    /// A webhook's deliveries, newest first.
    pub async fn deliveries_page(&self, webhook_id: Uuid, page: &Page) -> DbResult<Vec<DeliveryRecord>> {
        newest_first(self, "webhook_id", webhook_id, page).await
    }

    /// Notifications whose deliveries are not created yet, oldest first.
    pub async fn notifications_to_fan_out(&self, limit: u32) -> DbResult<Vec<NotificationRecord>> {
        self.list(&[("fanned_out", false.into())], &Page { limit, after: None }).await
    }

    /// Pending deliveries due by `now` that no server holds, the longest waiting first.
    pub async fn deliveries_due(&self, now: i64, limit: u32) -> DbResult<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {} FROM maintenance_deliveries WHERE status = $1 AND next_attempt_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until < $2) ORDER BY next_attempt_at LIMIT {}",
            DeliveryRecord::select_list(),
            limit.max(1)
        );
        let rows = self.db.query(&sql, args![DeliveryStatus::Pending.as_str(), now]).await?;
        Ok(rows.iter().map(DeliveryRecord::from_row).collect())
    }

    /// Reserved resources whose time is after `from` and at most `until`.
    pub async fn maintenance_reserved_between(
        &self,
        from: i64,
        until: i64,
    ) -> DbResult<Vec<MaintenanceResourceRecord>> {
        let sql = format!(
            "SELECT {} FROM maintenance_resources WHERE status = $1 AND scheduled_at > $2 AND scheduled_at <= $3",
            MaintenanceResourceRecord::select_list()
        );
        let rows = self.db.query(&sql, args![ResourceStatus::Reserved.as_str(), from, until]).await?;
        Ok(rows.iter().map(MaintenanceResourceRecord::from_row).collect())
    }

    /// Which of `keys` notices were written with.
    pub async fn notification_once_keys(&self, keys: &[String]) -> DbResult<Vec<String>> {
        let mut found = vec![];
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT once_key FROM maintenance_notifications WHERE once_key IN ({})",
                placeholders(1, chunk.len())
            );
            let rows = self.db.query(&sql, chunk.iter().map(Into::into).collect()).await?;
            found.extend(rows.iter().map(|r| r.text(0)));
        }
        Ok(found)
    }
}

async fn newest_first<R: Record>(store: &Store, column: &str, value: Uuid, page: &Page) -> DbResult<Vec<R>> {
    let mut sql = format!("SELECT {} FROM {} WHERE {column} = $1", R::select_list(), R::TABLE);
    let mut a = args![value];
    if let Some(after) = page.after {
        a.push(after.into());
        sql.push_str(" AND id < $2");
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", page.limit.max(1)));
    Ok(store.db.query(&sql, a).await?.iter().map(R::from_row).collect())
}
