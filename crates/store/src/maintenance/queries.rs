//! The scheduler's reads: due slots in the order they start, how many of a task's
//! resources are in each status, and what a passed deadline schedules.

use super::{MaintenanceLogRecord, MaintenanceResourceRecord};
use crate::db::Stmt;
use crate::{DbResult, Record, Store, args, new_id, placeholders};
use uuid::Uuid;

/// How many of a task's resources are in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    pub task_id: Uuid,
    pub status: String,
    pub count: i64,
}

impl Store {
    /// Reserved resources whose time has come: higher priority first, then the earliest
    /// slot, then the oldest task, so that equal slots start in a stable order.
    pub async fn maintenance_due(&self, now: i64, limit: i64) -> DbResult<Vec<MaintenanceResourceRecord>> {
        let sql = format!(
            "SELECT {} FROM maintenance_resources r WHERE r.status = 'Reserved' AND r.scheduled_at <= $1 \
             ORDER BY (SELECT CASE t.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END \
                       FROM maintenance_tasks t WHERE t.id = r.task_id), r.scheduled_at, r.task_id, r.id LIMIT $2",
            MaintenanceResourceRecord::select_list()
        );
        let rows = self.db.query(&sql, args![now, limit]).await?;
        Ok(rows.iter().map(MaintenanceResourceRecord::from_row).collect())
    }

    /// The resources of several tasks at once (for a page of tasks).
    pub async fn maintenance_resources_of(&self, tasks: &[Uuid]) -> DbResult<Vec<MaintenanceResourceRecord>> {
        if tasks.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {} FROM maintenance_resources WHERE task_id IN ({}) ORDER BY resource_name",
            MaintenanceResourceRecord::select_list(),
            placeholders(1, tasks.len())
        );
        let rows = self.db.query(&sql, tasks.iter().map(Into::into).collect()).await?;
        Ok(rows.iter().map(MaintenanceResourceRecord::from_row).collect())
    }

    /// Per task and status, how many resources (for concurrency and error limits).
    pub async fn maintenance_status_counts(&self, tasks: &[Uuid]) -> DbResult<Vec<StatusCount>> {
        if tasks.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT task_id, status, COUNT(*) FROM maintenance_resources WHERE task_id IN ({}) \
             GROUP BY task_id, status",
            placeholders(1, tasks.len())
        );
        let rows = self.db.query(&sql, tasks.iter().map(Into::into).collect()).await?;
        Ok(rows.iter().map(|r| StatusCount { task_id: r.uuid(0), status: r.text(1), count: r.int(2) }).collect())
    }

    /// Tasks not stopped yet with failed resources and some not yet started: where
    /// `max_errors` may stop the rest.
    pub async fn maintenance_tasks_with_failures(&self) -> DbResult<Vec<Uuid>> {
        let sql = "SELECT DISTINCT f.task_id FROM maintenance_resources f WHERE f.status = 'Failed' \
                   AND f.task_id IN (SELECT t.id FROM maintenance_tasks t WHERE t.stopped_reason IS NULL) \
                   AND EXISTS (SELECT 1 FROM maintenance_resources o WHERE o.task_id = f.task_id \
                               AND o.status IN ('Pending', 'Reserved'))";
        Ok(self.db.query(sql, vec![]).await?.iter().map(|r| r.uuid(0)).collect())
    }

    /// Unscheduled resources of mandatory tasks whose deadline has passed.
    pub async fn maintenance_past_deadline(&self, now: i64) -> DbResult<Vec<MaintenanceResourceRecord>> {
        let sql = format!(
            "SELECT {} FROM maintenance_resources r WHERE r.status = 'Pending' AND r.task_id IN \
             (SELECT t.id FROM maintenance_tasks t WHERE t.requirement = 'mandatory' AND t.deadline <= $1)",
            MaintenanceResourceRecord::select_list()
        );
        let rows = self.db.query(&sql, args![now]).await?;
        Ok(rows.iter().map(MaintenanceResourceRecord::from_row).collect())
    }

    /// A resource's log, oldest line first.
    pub async fn maintenance_log(&self, resource_row_id: Uuid) -> DbResult<Vec<MaintenanceLogRecord>> {
        let sql = format!(
            "SELECT {} FROM maintenance_log WHERE resource_row_id = $1 ORDER BY at, id",
            MaintenanceLogRecord::select_list()
        );
        let rows = self.db.query(&sql, args![resource_row_id]).await?;
        Ok(rows.iter().map(MaintenanceLogRecord::from_row).collect())
    }

    /// Finished runs of a type (`started_at`, `finished_at`) in a project, newest first:
    /// what the expected duration of the next is estimated from.
    pub async fn maintenance_durations(
        &self,
        project_id: Uuid,
        maintenance_type: &str,
        limit: i64,
    ) -> DbResult<Vec<i64>> {
        let sql = "SELECT r.finished_at - r.started_at FROM maintenance_resources r \
                   WHERE r.status = 'Completed' AND r.started_at IS NOT NULL AND r.finished_at IS NOT NULL \
                   AND r.task_id IN (SELECT t.id FROM maintenance_tasks t WHERE t.project_id = $1 \
                                     AND t.maintenance_type = $2) \
                   ORDER BY r.finished_at DESC LIMIT $3";
        Ok(self.db.query(sql, args![project_id, maintenance_type, limit]).await?.iter().map(|r| r.int(0)).collect())
    }

    /// One line of a resource's log.
    pub fn maintenance_log_line(task_id: Uuid, resource_row_id: Uuid, at: i64, line: String) -> Stmt {
        MaintenanceLogRecord { id: new_id(), task_id, resource_row_id, at, line }.insert()
    }
}
