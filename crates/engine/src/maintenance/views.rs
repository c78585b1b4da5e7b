//! How tasks are shown: one task with its resources, and a page of tasks whose
//! resources are read in one query (a list page stays fast with thousands of tasks).

use crate::iam::authz::ProjectScope;
use crate::views::{links, page_request, project_path, ts, ts_opt};
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{ListQuery, MaintenanceResource, MaintenanceTask, Page};
use gureum_model::authz::Permission;
use gureum_model::maintenance::{MaintenanceType, ResourceStatus, TaskStatus, derive_task_status};
use gureum_model::state::Spelled;
use gureum_store::{MaintenanceResourceRecord, MaintenanceTaskRecord};
use std::collections::HashMap;
use uuid::Uuid;

/// How many of the latest runs the expected duration is the median of.
const EXPECTED_FROM: i64 = 20;

impl Engine {
    pub(super) async fn maintenance_task_view(&self, t: MaintenanceTaskRecord) -> Result<MaintenanceTask> {
        let rs = self.maintenance_resources(&t).await?;
        let expected = self.maintenance_expected_duration(t.project_id, t.maintenance_type).await?;
        Ok(task_view(t, rs, expected))
    }

    /// A page of the project's tasks (every project role); `state` filters on their
    /// derived status.
    pub async fn maintenance_task_list(
        &self,
        ctx: &OpContext,
        project: &str,
        q: &ListQuery,
    ) -> Result<Page<MaintenanceTask>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        // `state` filters on the derived status: read pages until one fills or none is left.
        let want = match q.state.as_deref() {
            None => None,
            Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
                Error::invalid("state", format!("must be one of {}, got {s:?}", TaskStatus::all_spellings()))
            })?),
        };
        let unfiltered = ListQuery { state: None, ..q.clone() };
        let limit = page_request(q.limit, q.cursor.as_deref())?.limit as usize;
        let mut items = Vec::with_capacity(limit);
        let mut cursor = q.cursor.clone();
        loop {
            let page = self.maintenance_task_page(&scope, &ListQuery { cursor, ..unfiltered.clone() }).await?;
            cursor = page.next_cursor;
            items.extend(page.items.into_iter().filter(|t| want.is_none_or(|w| t.status == w)));
            if want.is_none() || items.len() >= limit || cursor.is_none() {
                break;
            }
        }
        // A filtered page may hold more than asked when the last read page matched often;
        // it is cut at the limit and the next one starts after the last shown.
        if items.len() > limit {
            items.truncate(limit);
            cursor = items.last().map(|t| crate::views::encode_cursor(t.id));
        }
        Ok(Page { items, next_cursor: cursor })
    }

    async fn maintenance_task_page(&self, scope: &ProjectScope, q: &ListQuery) -> Result<Page<MaintenanceTask>> {
        let (rows, next_cursor) =
            self.list_rows::<MaintenanceTaskRecord, TaskStatus>(scope.filter().to_vec(), q, |r| r.id).await?;
        let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
        let mut by_task: HashMap<Uuid, Vec<MaintenanceResourceRecord>> = HashMap::new();
        for r in self.store().maintenance_resources_of(&ids).await? {
            by_task.entry(r.task_id).or_default().push(r);
        }
        let mut expected: HashMap<MaintenanceType, Option<f64>> = HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for t in rows {
            let e = match expected.get(&t.maintenance_type) {
                Some(e) => *e,
                None => {
                    let e = self.maintenance_expected_duration(scope.id, t.maintenance_type).await?;
                    *expected.entry(t.maintenance_type).or_insert(e)
                }
            };
            let rs = by_task.remove(&t.id).unwrap_or_default();
            items.push(task_view(t, rs, e));
        }
        Ok(Page { items, next_cursor })
    }

    /// The median of the project's last completed updates of this type (seconds).
    async fn maintenance_expected_duration(&self, project: Uuid, kind: MaintenanceType) -> Result<Option<f64>> {
        let mut runs = self.store().maintenance_durations(project, kind.as_str(), EXPECTED_FROM).await?;
        if runs.is_empty() {
            return Ok(None);
        }
        runs.sort_unstable();
        Ok(Some((runs[runs.len() / 2] as f64 / 1e6 * 10.0).round() / 10.0))
    }
}

fn task_view(t: MaintenanceTaskRecord, rs: Vec<MaintenanceResourceRecord>, expected: Option<f64>) -> MaintenanceTask {
    let statuses: Vec<ResourceStatus> = rs.iter().map(|r| r.status).collect();
    let (status, counts) = derive_task_status(&statuses);
    MaintenanceTask {
        links: links(project_path(t.project_id, "maintenance-tasks", t.id), None),
        notify_before: super::notifications::lead_times(&t).iter().map(ToString::to_string).collect(),
        apply: serde_json::from_str(&t.apply).unwrap_or_default(),
        deadline: ts_opt(t.deadline),
        recommended_date: ts_opt(t.recommended_date),
        created_at: ts(t.created_at),
        resources: rs.into_iter().map(resource_view).collect(),
        status,
        counts,
        restarts: t.downtime,
        stopped_reason: t.stopped_reason,
        expected_duration_seconds: expected,
        id: t.id,
        name: t.name,
        service: t.service,
        requirement: t.requirement,
        priority: t.priority,
        maintenance_type: t.maintenance_type,
        downtime: t.downtime,
        max_concurrency: t.max_concurrency,
        max_errors: t.max_errors,
        retries: t.retries,
        retry_backoff_seconds: t.retry_backoff_seconds,
    }
}

fn resource_view(r: MaintenanceResourceRecord) -> MaintenanceResource {
    MaintenanceResource {
        id: r.resource_id,
        name: r.resource_name,
        scheduled_at: ts_opt(r.scheduled_at),
        status: r.status,
        last_error: r.last_error,
        attempts: r.attempts,
        started_at: ts_opt(r.started_at),
        finished_at: ts_opt(r.finished_at),
        operation: r.op_id,
    }
}
