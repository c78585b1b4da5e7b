use crate::{DbResult, Store, args, record};
use uuid::Uuid;

record! {
    /// A stretch of billed time of one instance at one instance type.
    pub struct UsageIntervalRecord in "usage_intervals" {
        pub id: Uuid,
        pub project_id: Uuid,
        pub instance_id: Uuid,
        pub instance_name: String,
        pub instance_type_id: Uuid,
        pub started_at: i64,
        pub ended_at: Option<i64>,
    }
}

impl Store {
    /// Intervals of a project that overlap `[from, to)`.
    pub async fn usage_intervals(&self, project_id: Uuid, from: i64, to: i64) -> DbResult<Vec<UsageIntervalRecord>> {
        use crate::Record;
        let sql = format!(
            "SELECT {} FROM usage_intervals WHERE project_id = $1 AND started_at < $2 \
             AND (ended_at IS NULL OR ended_at > $3) ORDER BY started_at",
            UsageIntervalRecord::select_list()
        );
        Ok(self.db.query(&sql, args![project_id, to, from]).await?.iter().map(UsageIntervalRecord::from_row).collect())
    }
}
