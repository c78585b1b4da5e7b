//! Runs one workflow: forward step by step, every step's outcome committed with its
//! resource changes under this server's lease, and unwinding in reverse on failure or
//! cancellation.

use super::{Failure, StepCtx, StepError, StepOut, WorkflowDef};
use crate::Engine;
use gureum_model::operation::{OperationStatus, StepStatus};
use gureum_store::{Batch, WorkflowRecord, WorkflowStep, now};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

use super::commit::{CommitError, commit, handle_commit_error};

const FORWARD_ATTEMPTS: u32 = 6;
const UNDO_ATTEMPTS: u32 = 10;

/// The in-memory state of one running workflow.
pub(super) struct Run {
    pub(super) id: Uuid,
    pub(super) def: &'static WorkflowDef,
    /// `def`'s step names as stored with the workflow.
    pub(super) def_steps: String,
    /// The stored parameters, parsed once; each step reads them as its typed struct.
    pub(super) params: Arc<Value>,
    pub(super) rec: WorkflowRecord,
    pub(super) steps: Vec<WorkflowStep>,
    pub(super) outputs: Vec<Value>,
    pub(super) cursor: i64,
    pub(super) status: OperationStatus,
    pub(super) error: Option<String>,
    pub(super) undo_error: Option<String>,
    pub(super) cancelled: bool,
    /// Steps that ran in an earlier life of this workflow may have had effects.
    pub(super) resumed: bool,
    /// The step whose `shows` state has been committed.
    pub(super) shown: Option<usize>,
}

fn micros_now_step(step: &mut WorkflowStep, status: StepStatus) {
    step.status = status;
    let t = now();
    match status {
        StepStatus::Running | StepStatus::Undoing => step.started_at = step.started_at.or(Some(t)),
        _ => step.finished_at = Some(t),
    }
}

pub(super) async fn run_workflow(engine: &Engine, rec: WorkflowRecord) {
    let Some(def) = crate::workflow::kinds::find(&rec.kind) else {
        tracing::error!(kind = %rec.kind, id = %rec.id, "unknown workflow kind");
        return;
    };
    // Stored steps are matched to this binary's definition by name: an older binary
    // may have stored a different step list.
    let aligned = match super::upgrade::align(def, &rec) {
        Ok(aligned) => aligned,
        // Never resumed from a guess: the record stays as it is, for an operator to see.
        Err(e) => {
            tracing::error!(kind = %rec.kind, id = %rec.id, error = %e, "a workflow's stored progress is unreadable");
            return;
        }
    };
    let steps = aligned.steps;
    let outputs = steps.iter().map(|s| s.output.clone()).collect();
    let resumed = steps.iter().any(|s| s.status != StepStatus::Pending);
    let mut run = Run {
        id: rec.id,
        def,
        def_steps: super::upgrade::def_steps_json(def),
        params: Arc::new(serde_json::from_str(&rec.params).unwrap_or(Value::Null)),
        cursor: aligned.cursor,
        status: rec.status,
        error: rec.error.clone(),
        undo_error: aligned.undo_error,
        cancelled: rec.cancel_requested,
        resumed,
        shown: None,
        steps,
        outputs,
        rec,
    };
    if let Some(reason) = aligned.incompatible {
        tracing::warn!(workflow = %run.id, kind = def.kind, "{reason}");
        run.status = OperationStatus::Unwinding;
        run.error.get_or_insert(reason);
    }
    if run.status == OperationStatus::Running && run.cancelled {
        run.status = OperationStatus::Unwinding;
    }
    if let Some(after) = run.rec.after_id {
        wait_finished(engine, after).await;
    }
    loop {
        let more = match run.status {
            OperationStatus::Running => forward(engine, &mut run).await,
            OperationStatus::Unwinding => backward(engine, &mut run).await,
            _ => false,
        };
        if !more {
            break;
        }
    }
}

/// Waits (without a time limit) for the workflow this one preempted to finish unwinding.
async fn wait_finished(engine: &Engine, id: Uuid) {
    loop {
        let mut rx = engine.executor().subscribe(id);
        match engine.store().workflow_status(id).await {
            Ok(Some(s)) if s.is_finished() => return,
            Ok(None) => return,
            _ => {}
        }
        let _ = tokio::time::timeout(Duration::from_millis(500), rx.changed()).await;
    }
}

fn ctx(engine: &Engine, run: &Run, may_have_run: bool) -> StepCtx {
    StepCtx {
        engine: engine.clone(),
        workflow_id: run.id,
        target_id: run.rec.target_id,
        params: run.params.clone(),
        outputs: Arc::new(run.outputs.clone()),
        def: run.def,
        may_have_run,
    }
}

/// Runs a step function with retries and backoff (and twice under the replay hook).
async fn attempt(
    engine: &Engine,
    run: &Run,
    f: super::StepFn,
    step_name: &str,
    max_attempts: u32,
    already_ran: bool,
) -> Result<StepOut, StepError> {
    let hooks = engine.executor().hooks();
    let mut pause = Duration::from_millis(100);
    let mut tries = 0;
    loop {
        let may_have_run = already_ran || tries > 0;
        let mut result = f(ctx(engine, run, may_have_run)).await;
        if hooks.replay && result.is_ok() {
            result = f(ctx(engine, run, true)).await;
        }
        tries += 1;
        match result {
            Err(StepError::Retry(msg)) if tries < max_attempts => {
                tracing::info!(workflow = %run.id, step = step_name, attempt = tries, error = %msg, "retrying step");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(StepError::Retry(msg)) => {
                return Err(StepError::Fail(format!("{msg} (gave up after {tries} attempts)")));
            }
            other => return other,
        }
    }
}

/// The statements that make the target show step `idx`'s state, if it names one.
fn show_batch(run: &Run, idx: usize) -> Option<Batch> {
    let shows = run.def.steps.get(idx)?.shows?;
    let show = run.def.show?;
    Some(show(run.rec.target_id, run.id, shows, now()))
}

/// Runs the step at the cursor. Returns whether the workflow goes on.
async fn forward(engine: &Engine, run: &mut Run) -> bool {
    let idx = run.cursor as usize;
    if idx >= run.def.steps.len() {
        let status = OperationStatus::Succeeded;
        run.status = status;
        return match commit(engine, run, Batch::new(), false).await {
            Ok(()) => {
                engine.executor().notify_finished(run.id, status);
                false
            }
            Err(e) => handle_commit_error(run, e),
        };
    }
    let step = &run.def.steps[idx];
    if run.shown != Some(idx)
        && let Some(batch) = show_batch(run, idx)
    {
        if let Err(e) = commit(engine, run, batch, true).await {
            return handle_commit_error(run, e);
        }
        run.shown = Some(idx);
    }
    // After a restart any step may have run: a step whose outcome needed no record is
    // not persisted on its own, so "pending" in the database proves nothing.
    let already_ran = run.resumed;
    let mut result = attempt(engine, run, step.run, step.name, FORWARD_ATTEMPTS, already_ran).await;
    if let Some((kind, name)) = engine.executor().hooks().fail_after
        && kind == run.def.kind
        && name == step.name
        && result.is_ok()
    {
        result = Err(StepError::Fail(format!("injected failure after step {name}")));
    }
    match result {
        Ok(out) => {
            let s = &mut run.steps[idx];
            micros_now_step(s, if out.skipped { StepStatus::Skipped } else { StepStatus::Done });
            s.output = out.output.clone();
            s.error = None;
            run.outputs[idx] = out.output;
            run.cursor += 1;
            if let Some(next) = run.steps.get_mut(idx + 1) {
                micros_now_step(next, StepStatus::Running);
            }
            let mut batch = out.batch;
            if let Some(show) = show_batch(run, idx + 1) {
                batch.extend(show);
                run.shown = Some(idx + 1);
            }
            let last = run.cursor == run.def.steps.len() as i64;
            if last {
                run.status = OperationStatus::Succeeded;
            }
            // A step that changed nothing needs no commit of its own: its record rides
            // along with the next one, and after a crash it simply runs again.
            if batch.is_empty() && !last {
                return true;
            }
            match commit(engine, run, batch, true).await {
                Ok(()) if last => {
                    engine.executor().notify_finished(run.id, OperationStatus::Succeeded);
                    false
                }
                Ok(()) => true,
                Err(e) => {
                    // The step ran but its outcome was not recorded: unwind from it.
                    run.status = OperationStatus::Running;
                    run.cursor = idx as i64;
                    if let Some(next) = run.steps.get_mut(idx + 1) {
                        next.status = StepStatus::Pending;
                        next.started_at = None;
                    }
                    handle_commit_error(run, e)
                }
            }
        }
        Err(e) => {
            let msg = format!("step {} failed: {}", step.name, e.message());
            tracing::warn!(workflow = %run.id, kind = run.def.kind, "{msg}");
            let s = &mut run.steps[idx];
            micros_now_step(s, StepStatus::Failed);
            s.error = Some(e.message().to_string());
            run.status = OperationStatus::Unwinding;
            run.error = Some(msg);
            match commit(engine, run, Batch::new(), false).await {
                Ok(()) => true,
                Err(e) => handle_commit_error(run, e),
            }
        }
    }
}

/// Undoes the step at the cursor (or finishes the unwind). Returns whether to go on.
async fn backward(engine: &Engine, run: &mut Run) -> bool {
    if run.cursor < 0 {
        return finish_failed(engine, run).await;
    }
    let idx = run.cursor as usize;
    let idx = idx.min(run.def.steps.len() - 1);
    let step = &run.def.steps[idx];
    let status = run.steps[idx].status;
    run.cursor = idx as i64 - 1;
    let needs_undo =
        matches!(status, StepStatus::Done | StepStatus::Failed | StepStatus::Running | StepStatus::Undoing);
    let Some(undo) = step.undo.filter(|_| needs_undo) else {
        return true;
    };
    micros_now_step(&mut run.steps[idx], StepStatus::Undoing);
    let result = attempt(engine, run, undo, step.name, UNDO_ATTEMPTS, true).await;
    let batch = match result {
        Ok(out) => {
            micros_now_step(&mut run.steps[idx], StepStatus::Undone);
            out.batch
        }
        Err(e) => {
            let msg = format!("undo of {} failed: {}", step.name, e.message());
            tracing::error!(workflow = %run.id, kind = run.def.kind, "{msg}");
            micros_now_step(&mut run.steps[idx], StepStatus::UndoFailed);
            run.steps[idx].error = Some(e.message().to_string());
            run.undo_error.get_or_insert(msg);
            Batch::new()
        }
    };
    match commit(engine, run, batch, false).await {
        Ok(()) => true,
        Err(CommitError::ResourceChanged(_)) => {
            // The resource belongs to another action now; record the undo alone.
            matches!(commit(engine, run, Batch::new(), false).await, Ok(()))
        }
        Err(e) => handle_commit_error(run, e),
    }
}

async fn finish_failed(engine: &Engine, run: &mut Run) -> bool {
    let status = if run.cancelled { OperationStatus::Cancelled } else { OperationStatus::Failed };
    run.status = status;
    if let Some(u) = &run.undo_error {
        let e = run.error.take().unwrap_or_default();
        run.error = Some(format!("{e}; {u}"));
    }
    let failure = Failure {
        error: run.error.clone().unwrap_or_default(),
        cancelled: run.cancelled,
        undo_error: run.undo_error.clone(),
    };
    let batch = match (run.def.on_failure)(ctx(engine, run, true), failure).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(workflow = %run.id, error = e.message(), "recording the failure failed");
            Batch::new()
        }
    };
    let result = match commit(engine, run, batch, false).await {
        Err(CommitError::ResourceChanged(_)) => commit(engine, run, Batch::new(), false).await,
        other => other,
    };
    if result.is_ok() {
        engine.executor().notify_finished(run.id, status);
    }
    false
}
