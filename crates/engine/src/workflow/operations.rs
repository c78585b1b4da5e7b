//! Operations: starting workflows, and the user's view of them.

use crate::iam::authz::ProjectScope;
use crate::views::{links, page_request, ts, ts_opt};
use crate::workflow::WorkflowDef;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Operation, OperationStep, OperationTarget, Page, Progress};
use gureum_model::authz::Permission;
use gureum_model::operation::StepStatus;
use gureum_store::{Batch, DbError, Key, Record, UserRecord, WorkflowRecord};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// The longest a client may hold a request open waiting for an operation.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// What a new workflow acts on.
pub(crate) struct Target<'a> {
    pub kind: &'static str,
    pub id: Uuid,
    pub name: &'a str,
}

/// A workflow about to start.
pub(crate) struct OpSpec<'a> {
    pub id: Uuid,
    pub def: &'static WorkflowDef,
    pub target: Target<'a>,
    pub params: Value,
    /// The workflow this one waits for (the one it preempted).
    pub after: Option<Uuid>,
}

/// What users see as an operation's kind: the generic create and delete workflows are
/// named after the resource they act on (`vpc_create`, `key_pair_delete`).
fn display_kind(kind: &str, target_type: &str) -> String {
    match kind.strip_prefix("resource_") {
        Some(verb) => format!("{}_{verb}", target_type.replace(' ', "_").to_lowercase()),
        None => kind.to_string(),
    }
}

/// Maps a unique-name violation to a 409 that says which name is taken.
pub(crate) fn name_taken(kind: &'static str, name: &str) -> impl FnOnce(DbError) -> Error {
    let name = name.to_string();
    crate::error::on_unique(move || Error::Conflict(format!("a {kind} named {name} already exists")))
}

impl Engine {
    /// A new workflow record (not yet stored) owned by this server.
    pub(crate) fn new_op(&self, ctx: &OpContext, scope: &ProjectScope, spec: OpSpec<'_>) -> WorkflowRecord {
        crate::workflow::new_record(self.executor().owner(), Some(scope.id), Some(ctx.user_id), spec)
    }

    /// Stores `op` together with `batch` (the resource changes that start it) in one
    /// transaction, then runs it.
    pub(crate) async fn launch(&self, op: WorkflowRecord, mut batch: Batch) -> std::result::Result<(), DbError> {
        batch.push(op.insert());
        self.store().write(batch).await?;
        metrics::counter!("gureum_operations_started_total", "kind" => op.kind.clone()).increment(1);
        self.executor().spawn(self, op);
        Ok(())
    }

    async fn operation_view(&self, w: WorkflowRecord) -> Result<Operation> {
        let steps = w.step_outcomes()?;
        let done = steps.iter().filter(|s| matches!(s.status, StepStatus::Done | StepStatus::Skipped)).count();
        let created_by = self.name_of_opt::<UserRecord>(w.created_by).await;
        Ok(Operation {
            id: w.id,
            kind: display_kind(&w.kind, &w.target_type),
            status: w.status,
            target: OperationTarget { target_type: w.target_type, id: w.target_id, name: w.target_name },
            progress: Progress { done, total: steps.len() },
            steps: steps
                .into_iter()
                .map(|s| OperationStep {
                    name: s.name,
                    status: s.status,
                    started_at: ts_opt(s.started_at),
                    finished_at: ts_opt(s.finished_at),
                    error: s.error,
                })
                .collect(),
            error: w.error,
            created_by,
            created_at: ts(w.created_at),
            finished_at: ts_opt(w.finished_at),
            links: links(format!("/v1/projects/{}/operations/{}", w.project_id.unwrap_or_default(), w.id), None),
        })
    }

    /// One operation; with `wait`, holds until it finishes or the wait ends.
    pub async fn operation_get(
        &self,
        ctx: &OpContext,
        project: &str,
        id: &str,
        wait: Option<Duration>,
    ) -> Result<Operation> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.operation_wait(&scope.filter(), id, wait).await
    }

    /// An operation of no project (a VM template's), for system administrators.
    pub async fn system_operation_get(&self, ctx: &OpContext, id: &str, wait: Option<Duration>) -> Result<Operation> {
        self.require_admin(ctx, "follow system operations")?;
        self.operation_wait(&[("project_id", gureum_store::Val::Null)], id, wait).await
    }

    /// The operation `id` among `filters`, once finished or after `wait`.
    async fn operation_wait(
        &self,
        filters: &[gureum_store::Filter],
        id: &str,
        wait: Option<Duration>,
    ) -> Result<Operation> {
        let Key::Id(op_id) = Key::parse(id) else {
            return Err(Error::not_found("operation", id));
        };
        // The document states the bound; a longer wait is refused rather than cut short
        // silently.
        if wait.is_some_and(|w| w > MAX_WAIT) {
            return Err(Error::invalid("wait_seconds", format!("must be at most {}", MAX_WAIT.as_secs())));
        }
        let deadline = tokio::time::Instant::now() + wait.unwrap_or_default();
        loop {
            let mut finished = self.executor().subscribe(op_id);
            let w = self
                .store()
                .get::<WorkflowRecord>(filters, &Key::Id(op_id))
                .await?
                .ok_or_else(|| Error::not_found("operation", id))?;
            if w.status.is_finished() || tokio::time::Instant::now() >= deadline {
                return self.operation_view(w).await;
            }
            // Woken by this server finishing it, or re-read periodically in case another
            // server runs it.
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_secs(1)),
                finished.changed(),
            )
            .await;
        }
    }

    pub async fn operation_list(
        &self,
        ctx: &OpContext,
        project: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Operation>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let page = page_request(limit, cursor)?;
        let rows = self.store().workflows_page(Some(scope.id), None, &page).await?;
        let next =
            (rows.len() as u32 == page.limit).then(|| rows.last().map(|r| crate::views::encode_cursor(r.id))).flatten();
        let mut items = Vec::with_capacity(rows.len());
        for w in rows {
            items.push(self.operation_view(w).await?);
        }
        Ok(Page { items, next_cursor: next })
    }
}
