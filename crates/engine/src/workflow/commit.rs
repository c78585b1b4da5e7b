//! Committing a running workflow's progress: its state written with the resource changes
//! of a step, guarded by this server's lease, and what a refused commit means.

use super::run::Run;
use crate::Engine;
use gureum_model::operation::OperationStatus;
use gureum_store::{Batch, DbError, Update, WorkflowRecord, now};
use std::time::Duration;

pub(super) enum CommitError {
    /// Another action asked this workflow to stop.
    Cancelled,
    /// Another server owns the workflow now.
    LeaseLost,
    /// A resource guard failed: the resource changed under the workflow.
    ResourceChanged(String),
}

pub(super) fn handle_commit_error(run: &mut Run, e: CommitError) -> bool {
    match e {
        CommitError::LeaseLost => {
            tracing::warn!(workflow = %run.id, "lost the workflow's lease; another server continues it");
            false
        }
        CommitError::Cancelled | CommitError::ResourceChanged(_) => {
            if let CommitError::ResourceChanged(m) = &e {
                tracing::warn!(workflow = %run.id, kind = run.def.kind, "resource changed under the workflow: {m}");
                run.error.get_or_insert_with(|| format!("the resource changed while the operation ran: {m}"));
            } else {
                tracing::info!(workflow = %run.id, kind = run.def.kind, "cancelled by a later action");
                run.error.get_or_insert_with(|| "cancelled by a later action".into());
            }
            run.cancelled = matches!(e, CommitError::Cancelled) || run.cancelled;
            run.status = OperationStatus::Unwinding;
            true
        }
    }
}

/// Persists the workflow's state with `batch`, guarded by this server's lease (and, going
/// forward, by nobody having cancelled it). Transient database errors are retried.
pub(super) async fn commit(engine: &Engine, run: &mut Run, batch: Batch, forward: bool) -> Result<(), CommitError> {
    let owner = engine.executor().owner().to_string();
    let mut pause = Duration::from_millis(50);
    loop {
        let t = now();
        let finished = run.status.is_finished();
        let mut update = Update::<WorkflowRecord>::of(run.id)
            .set(WorkflowRecord::steps, serde_json::to_string(&run.steps).expect("steps serialize"))
            .set(WorkflowRecord::cursor, run.cursor)
            .set(WorkflowRecord::status, run.status.as_str())
            .set(WorkflowRecord::error, run.error.clone())
            .set(WorkflowRecord::finished_at, finished.then_some(t))
            .set(WorkflowRecord::def_steps, run.def_steps.as_str())
            .set(WorkflowRecord::def_version, i64::from(run.def.version))
            .guard(WorkflowRecord::lease_owner, owner.as_str());
        if forward {
            update = update.guard(WorkflowRecord::cancel_requested, 0_i64);
        }
        let mut full = Batch::new();
        full.push(update.stmt(t));
        full.extend(batch.clone());
        match engine.store().write(full).await {
            Ok(_) => return Ok(()),
            Err(DbError::Conflict { index: 0, .. }) => {
                let current = engine.store().get_by_id::<WorkflowRecord>(run.id).await;
                return match current {
                    Ok(Some(r)) if r.lease_owner.as_deref() == Some(owner.as_str()) && r.cancel_requested => {
                        Err(CommitError::Cancelled)
                    }
                    Ok(Some(r)) if r.lease_owner.as_deref() == Some(owner.as_str()) => {
                        // Raced with a renewal; try again.
                        continue;
                    }
                    _ => Err(CommitError::LeaseLost),
                };
            }
            Err(DbError::Conflict { sql, .. }) => {
                return Err(CommitError::ResourceChanged(sql.to_string()));
            }
            Err(DbError::Unique(m)) => return Err(CommitError::ResourceChanged(m)),
            Err(DbError::Backend(m)) => {
                tracing::warn!(workflow = %run.id, error = %m, "committing a workflow step failed; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}
