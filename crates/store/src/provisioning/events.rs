use crate::db::Stmt;
use crate::{DbResult, Page, Store, args, record};
use gureum_model::provisioning::HistoryType;
use uuid::Uuid;

record! {
    /// An event of a provisioning's history; it outlives the provisioning, its log does not.
    pub struct HistoryEventRecord in "provisioning_events" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub provisioning_id: Uuid,
        pub provisioning_name: String,
        pub template: String,
        pub event_type: HistoryType,
        pub user_name: String,
        pub at: i64,
        /// `None` once purged.
        pub log: Option<String>,
        pub log_expires_at: i64,
    }
}

impl Store {
    /// Drops the logs that expired by `now`; how many.
    pub async fn history_logs_purge(&self, now: i64) -> DbResult<u64> {
        let stmt = Stmt::new(
            "UPDATE provisioning_events SET log = NULL WHERE log IS NOT NULL AND log_expires_at <= $1",
            args![now],
        );
        let done = self.write(stmt).await?;
        Ok(done.first().map_or(0, |r| r.affected))
    }

    /// A project's events, newest first, optionally of one provisioning and one type.
    pub async fn history_page(
        &self,
        project_id: Uuid,
        provisioning_id: Option<Uuid>,
        event_type: Option<HistoryType>,
        page: &Page,
    ) -> DbResult<Vec<HistoryEventRecord>> {
        let mut sql = format!(
            "SELECT {} FROM provisioning_events WHERE project_id = $1",
            <HistoryEventRecord as crate::Record>::select_list()
        );
        let mut a = args![project_id];
        if let Some(p) = provisioning_id {
            a.push(p.into());
            sql.push_str(&format!(" AND provisioning_id = ${}", a.len()));
        }
        if let Some(t) = event_type {
            a.push(t.as_str().into());
            sql.push_str(&format!(" AND event_type = ${}", a.len()));
        }
        if let Some(after) = page.after {
            a.push(after.into());
            sql.push_str(&format!(" AND id < ${}", a.len()));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", page.limit));
        let rows = self.db.query(&sql, a).await?;
        Ok(rows.iter().map(<HistoryEventRecord as crate::Record>::from_row).collect())
    }
}
