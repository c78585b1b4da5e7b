use crate::db::Stmt;
use crate::{DbResult, Store, args, record};
use gureum_model::operation::{OperationStatus, StepStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

record! {
    /// A durable workflow. Its steps (with their outputs) are stored as JSON in `steps`;
    /// `cursor` is the index of the step to run (forward) or undo (unwinding) next.
    pub struct WorkflowRecord in "workflows" {
        pub id: Uuid,
        pub project_id: Option<Uuid>,
        pub kind: String,
        pub target_type: String,
        pub target_id: Uuid,
        pub target_name: String,
        pub params: String,
        pub steps: String,
        pub cursor: i64,
        pub status: OperationStatus,
        pub error: Option<String>,
        pub cancel_requested: bool,
        pub after_id: Option<Uuid>,
        pub lease_owner: Option<String>,
        pub lease_until: i64,
        pub generation: i64,
        pub created_by: Option<Uuid>,
        pub created_at: i64,
        pub updated_at: i64,
        pub finished_at: Option<i64>,
        /// The step names of the definition it was started under (JSON array; '' when
        /// stored before these were recorded).
        pub def_steps: String,
        pub def_version: i64,
    }
}

/// One step of a workflow as persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowStep {
    pub name: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub output: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
}

impl WorkflowRecord {
    /// The stored progress of each step; a record that does not parse is an error (it
    /// must never read as "no step has run").
    pub fn step_outcomes(&self) -> crate::DbResult<Vec<WorkflowStep>> {
        serde_json::from_str(&self.steps)
            .map_err(|e| crate::DbError::Backend(format!("workflow {}: its stored steps do not parse: {e}", self.id)))
    }

    /// The step names of the definition it was stored under.
    /// (A record stored before definitions were recorded has the names of its steps.)
    pub fn def_step_names(&self) -> crate::DbResult<Vec<String>> {
        match serde_json::from_str(&self.def_steps) {
            Ok(names) => Ok(names),
            Err(_) => Ok(self.step_outcomes()?.into_iter().map(|s| s.name).collect()),
        }
    }
}

impl Store {
    /// Claims up to `limit` unfinished workflows whose lease has expired for `owner` until
    /// `until`. With `own`, also those `owner` itself held: only right after a restart,
    /// when no run of them can be alive in this process.
    pub async fn workflows_claim(
        &self,
        owner: &str,
        own: bool,
        now: i64,
        until: i64,
        limit: i64,
    ) -> DbResult<Vec<WorkflowRecord>> {
        use crate::Record;
        let sql = format!(
            "UPDATE workflows SET lease_owner = $1, lease_until = $2 WHERE id IN \
             (SELECT id FROM workflows WHERE status IN ('running', 'unwinding') AND (lease_until < $3 OR (lease_owner = $1 AND $4 = 1)) \
              ORDER BY id LIMIT {limit}{}) RETURNING {}",
            self.dialect().skip_locked(),
            WorkflowRecord::select_list()
        );
        let r = self.db.write(Stmt::returning(sql, args![owner, until, now, own])).await?;
        Ok(r.into_iter().next().map(|r| r.rows.iter().map(WorkflowRecord::from_row).collect()).unwrap_or_default())
    }

    /// Extends the leases of every unfinished workflow `owner` runs.
    pub async fn workflows_renew(&self, owner: &str, until: i64) -> DbResult<u64> {
        let r = self
            .db
            .write(Stmt::new(
                "UPDATE workflows SET lease_until = $1 WHERE lease_owner = $2 AND status IN ('running', 'unwinding')",
                args![until, owner],
            ))
            .await?;
        Ok(r.first().map_or(0, |r| r.affected))
    }

    /// Asks a running workflow to stop at its next step boundary.
    pub fn workflow_cancel(id: Uuid) -> Stmt {
        Stmt::new("UPDATE workflows SET cancel_requested = 1, generation = generation + 1 WHERE id = $1", args![id])
    }

    pub async fn workflow_status(&self, id: Uuid) -> DbResult<Option<OperationStatus>> {
        let row = self.db.query_opt("SELECT status FROM workflows WHERE id = $1", args![id]).await?;
        Ok(row.and_then(|r| OperationStatus::parse(&r.text(0))))
    }

    /// Operations of a project (or of one resource), newest first.
    pub async fn workflows_page(
        &self,
        project_id: Option<Uuid>,
        target_id: Option<Uuid>,
        page: &crate::Page,
    ) -> DbResult<Vec<WorkflowRecord>> {
        use crate::Record;
        let mut sql = format!("SELECT {} FROM workflows WHERE 1 = 1", WorkflowRecord::select_list());
        let mut a = vec![];
        if let Some(p) = project_id {
            a.push(p.into());
            sql.push_str(&format!(" AND project_id = ${}", a.len()));
        }
        if let Some(t) = target_id {
            a.push(t.into());
            sql.push_str(&format!(" AND target_id = ${}", a.len()));
        }
        if let Some(after) = page.after {
            a.push(after.into());
            sql.push_str(&format!(" AND id < ${}", a.len()));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", page.limit));
        Ok(self.db.query(&sql, a).await?.iter().map(WorkflowRecord::from_row).collect())
    }
}
