//! The runbook a resource's slot starts: pre-check → snapshot of the root disk (when the
//! task has downtime) → apply a live change → stop → apply an offline update → start →
//! health check → drop the snapshot → Completed. A failure unwinds in reverse: the offline
//! update is undone (disk back to the snapshot, the previous kernel), the instance
//! started again, a live change set back; then the resource is retried after its backoff
//! or ends Failed with the reason. Every step writes a line of the resource's log in the
//! same transaction as its outcome, so the log says exactly what happened, once.

use super::notifications::{notice, subject};
use super::updates::{health_mismatch, restarts, rollback_of};
use crate::compute::instance_workflows::{self as iw, InstanceParams};
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, DriverError, GuestFacts, GuestUpdate, ProviderStatus, ResourceKind, VmAction};
use gureum_model::instance::InstanceState;
use gureum_model::maintenance::{NoticeKind, ResourceStatus};
use gureum_store::{Batch, InstanceRecord, MaintenanceResourceRecord, MaintenanceTaskRecord, Store, Update, now};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunbookParams {
    /// What the instance steps shared with compute read (connection, final state).
    #[serde(flatten)]
    pub instance: InstanceParams,
    pub task_id: Uuid,
    /// The row of `maintenance_resources` this run is for.
    pub resource_row_id: Uuid,
    pub update: GuestUpdate,
    pub downtime: bool,
    pub health_timeout_seconds: u64,
}

/// What the guest said of itself before the update: what a rollback restores.
#[derive(Debug, Serialize, Deserialize)]
struct Before {
    facts: GuestFacts,
}

#[derive(Debug, Serialize, Deserialize)]
struct SnapshotTaken {
    snapshot: String,
    disk: String,
}

pub(crate) static MAINTENANCE_RUNBOOK: WorkflowDef = WorkflowDef {
    kind: "maintenance_runbook",
    steps: &[
        StepDef::new("pre_check", step!(pre_check), None),
        StepDef::new("snapshot", step!(snapshot), Some(step!(snapshot_drop))),
        StepDef::new("apply_live", step!(apply_live), Some(step!(apply_live_undo))),
        StepDef::new("stop", step!(stop), Some(step!(stop_undo))),
        StepDef::new("apply_offline", step!(apply_offline), Some(step!(apply_offline_undo))),
        StepDef::new("start", step!(start), None),
        StepDef::new("health_check", step!(health_check), None),
        StepDef::new("snapshot_drop", step!(snapshot_drop), None),
        StepDef::new("finish", step!(finish), None),
    ],
    on_failure: on_failure!(failed),
    show: None,
    version: 1,
    renames: &[],
};

fn params(ctx: &StepCtx) -> Result<RunbookParams, StepError> {
    ctx.params()
}

/// A line of the resource's log, written with the step's outcome.
fn log(p: &RunbookParams, line: impl Into<String>) -> gureum_store::Stmt {
    Store::maintenance_log_line(p.task_id, p.resource_row_id, now(), line.into())
}

fn said(p: &RunbookParams, line: impl Into<String>) -> StepOut {
    StepOut::done().batch(log(p, line).into())
}

/// The instance's state, written by the step that changed its VM.
fn instance_shows(ctx: &StepCtx, state: InstanceState, extra: gureum_store::Stmt) -> Batch {
    let update = iw::guarded::<InstanceRecord>(ctx, ctx.target_id);
    let mut batch = Store::instance_set_state(update, ctx.target_id, state, now());
    batch.push(extra);
    batch
}

/// A provider's refusal of the update itself is final (the task's retries decide what
/// next); only a lost answer is asked again, as the update may be applied twice.
fn update_error(e: DriverError) -> StepError {
    match e {
        DriverError::Timeout(m) => StepError::Retry(m),
        other => StepError::Fail(other.to_string()),
    }
}

async fn vm(ctx: &StepCtx) -> Result<(crate::Cloud, String), StepError> {
    let inst = iw::instance(ctx).await?;
    Ok((iw::cloud(ctx).await?, iw::vm_id(&inst)?.to_string()))
}

/// The instance is there, Active and held by this run; its VM runs; the guest says what
/// it runs now (kept for the rollback).
async fn pre_check(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = iw::instance(&ctx).await?;
    if inst.state != InstanceState::Active {
        return Err(StepError::Fail(format!(
            "pre-check: the instance is {}; maintenance runs on Active instances",
            inst.state
        )));
    }
    let (cloud, vm) = vm(&ctx).await?;
    let status = cloud.get(ResourceKind::Vm, &vm).await?.status;
    if status != ProviderStatus::Running {
        return Err(StepError::Fail(format!("pre-check: the VM is {status:?} at the provider, not running")));
    }
    let facts = cloud.guest_facts(&vm).await.map_err(|e| StepError::Fail(format!("pre-check: {e}")))?;
    let line = format!("pre-check passed: {} is Active; the guest runs {}", inst.name, describe(&facts, &p.update));
    Ok(said(&p, line).typed(&Before { facts }))
}

/// What of the facts matters to this update, for the log.
fn describe(facts: &GuestFacts, update: &GuestUpdate) -> String {
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    match update {
        GuestUpdate::KernelUpgrade { .. } => format!("kernel {}", or_unknown(&facts.kernel)),
        GuestUpdate::OsUpdate { .. } => format!("OS {}", or_unknown(&facts.os_version)),
        GuestUpdate::EngineUpgrade { .. } => format!("engine {}", or_unknown(&facts.engine_version)),
        GuestUpdate::ConfigChange { settings } => settings
            .keys()
            .map(|k| format!("{k}={}", facts.settings.get(k).map_or("unset", String::as_str)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

async fn snapshot(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if !p.downtime {
        return Ok(StepOut::skipped());
    }
    let root = iw::root_volume(&ctx).await?;
    let disk = root.provider_id.ok_or_else(|| StepError::Fail("the root volume has no disk".into()))?;
    let cloud = iw::cloud(&ctx).await?;
    let name = format!("maintenance-{}", ctx.workflow_id.simple());
    let spec = CreateSpec::Snapshot { name, tag: ctx.workflow_id.to_string(), disk: disk.clone() };
    let made = cloud.ensure_created(spec, ctx.may_have_run).await?;
    cloud.wait_for(ResourceKind::Snapshot, &made.id, &[ProviderStatus::Available]).await?;
    let line = format!("snapshot {} taken of the root disk {disk}", made.id);
    Ok(said(&p, line).typed(&SnapshotTaken { snapshot: made.id, disk }))
}

/// The undo of `snapshot` and the step after a passed health check: the snapshot goes.
async fn snapshot_drop(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if !p.downtime {
        return Ok(StepOut::skipped());
    }
    // Without the step's output (it failed before recording it) the tag finds it.
    let taken = ctx.output_of::<SnapshotTaken>("snapshot")?.map(|t| t.snapshot);
    let tag = ctx.workflow_id.to_string();
    iw::cloud(&ctx).await?.ensure_deleted(ResourceKind::Snapshot, taken.as_deref(), &tag).await?;
    Ok(said(&p, format!("snapshot {} deleted", taken.as_deref().unwrap_or("of this run"))))
}

async fn apply_live(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if restarts(&p.update) {
        return Ok(StepOut::skipped());
    }
    let (cloud, vm) = vm(&ctx).await?;
    cloud.vm_update(&vm, &p.update).await.map_err(update_error)?;
    Ok(said(&p, format!("applied to the running guest: {}", summary(&p.update))))
}

async fn apply_live_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let before = ctx.output_of::<Before>("pre_check")?.map(|b| b.facts).unwrap_or_default();
    let Some(back) = rollback_of(&p.update, &before) else {
        return Ok(said(&p, "rollback: no earlier values to set back"));
    };
    let (cloud, vm) = vm(&ctx).await?;
    cloud.vm_update(&vm, &back).await?;
    Ok(said(&p, format!("rollback: set back {}", summary(&back))))
}

/// Stops the VM for an update that needs it down (ACPI first, forced if it hangs).
async fn stop(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if !p.downtime {
        return Ok(StepOut::skipped());
    }
    iw::vm_stop(ctx.clone()).await?;
    Ok(StepOut::done().batch(instance_shows(&ctx, InstanceState::Stopped, log(&p, "stopped"))))
}

/// Starts the VM again after a rollback and waits for it: the instance is Active again.
async fn stop_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let (cloud, vm) = vm(&ctx).await?;
    if cloud.get(ResourceKind::Vm, &vm).await?.status != ProviderStatus::Running {
        cloud.vm_action(&vm, VmAction::Start).await?;
    }
    // The old system gets at least the default time to boot, even when the task chose a
    // short health check to fail fast.
    let limit = p.health_timeout_seconds.max(super::updates::HEALTH_TIMEOUT_SECONDS);
    wait_running(&cloud, &vm, limit, "rollback").await?;
    Ok(StepOut::done().batch(instance_shows(&ctx, InstanceState::Active, log(&p, "rollback: started again"))))
}

async fn apply_offline(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if !restarts(&p.update) {
        return Ok(StepOut::skipped());
    }
    let (cloud, vm) = vm(&ctx).await?;
    cloud.vm_update(&vm, &p.update).await.map_err(update_error)?;
    Ok(said(&p, format!("applied: {}", summary(&p.update))))
}

/// Puts the VM back as it was: down (forced: a guest that failed its update may not
/// answer ACPI), its disk back to the snapshot, the update undone.
async fn apply_offline_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let (cloud, vm) = vm(&ctx).await?;
    if cloud.get(ResourceKind::Vm, &vm).await?.status != ProviderStatus::Stopped {
        cloud.vm_action(&vm, VmAction::Stop { force: true }).await?;
        cloud.wait_for(ResourceKind::Vm, &vm, &[ProviderStatus::Stopped]).await?;
    }
    let mut lines = vec![];
    if let Some(taken) = ctx.output_of::<SnapshotTaken>("snapshot")? {
        cloud.disk_revert(&taken.disk, &taken.snapshot).await?;
        lines.push(format!("rollback: root disk reverted to snapshot {}", taken.snapshot));
    }
    let before = ctx.output_of::<Before>("pre_check")?.map(|b| b.facts).unwrap_or_default();
    if let Some(back) = rollback_of(&p.update, &before) {
        cloud.vm_update(&vm, &back).await?;
        lines.push(format!("rollback: {}", summary(&back)));
    }
    let mut batch = Batch::new();
    for line in lines {
        batch.push(log(&p, line));
    }
    Ok(StepOut::done().batch(batch))
}

async fn start(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if !p.downtime {
        return Ok(StepOut::skipped());
    }
    let (cloud, vm) = vm(&ctx).await?;
    if cloud.get(ResourceKind::Vm, &vm).await?.status != ProviderStatus::Running {
        cloud.vm_action(&vm, VmAction::Start).await?;
    }
    Ok(StepOut::done().batch(instance_shows(&ctx, InstanceState::PoweringOn, log(&p, "starting"))))
}

/// Waits (bounded) for the VM to run, then compares what the guest says with the update.
async fn health_check(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let (cloud, vm) = vm(&ctx).await?;
    wait_running(&cloud, &vm, p.health_timeout_seconds, "health check failed").await?;
    let facts = cloud.guest_facts(&vm).await.map_err(|e| StepError::Fail(format!("health check: {e}")))?;
    if let Some(why) = health_mismatch(&p.update, &facts) {
        return Err(StepError::Fail(format!("health check failed: {why}")));
    }
    Ok(said(&p, format!("health check passed: the guest runs {}", describe(&facts, &p.update))))
}

/// Waits for the VM to run; `what` names the check in the error.
async fn wait_running(cloud: &crate::Cloud, vm: &str, seconds: u64, what: &str) -> Result<(), StepError> {
    let wait = cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Running]);
    match tokio::time::timeout(Duration::from_secs(seconds), wait).await {
        Ok(r) => r.map(|_| ()),
        Err(_) => Err(StepError::Fail(format!("{what}: the VM did not come back running within {seconds} s"))),
    }
}

/// The instance settles Active (as compute's own actions settle it); the resource is
/// Completed.
async fn finish(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let mut out = iw::finish(ctx.clone()).await?;
    let t = now();
    let done = resource_update(&ctx, &p)
        .set(MaintenanceResourceRecord::status, ResourceStatus::Completed.as_str())
        .set(MaintenanceResourceRecord::finished_at, t)
        .set(MaintenanceResourceRecord::last_error, gureum_store::Val::Null);
    out.batch.push(done.stmt(t));
    out.batch.push(log(&p, "completed"));
    let store = ctx.engine.store();
    let task = store.get_by_id::<MaintenanceTaskRecord>(p.task_id).await?;
    if let (Some(task), Some(row)) = (task, store.get_by_id::<MaintenanceResourceRecord>(p.resource_row_id).await?) {
        out.batch.push(notice(&task, &row, NoticeKind::Completed, format!("{} completed", subject(&task, &row))));
    }
    Ok(out)
}

fn resource_update(ctx: &StepCtx, p: &RunbookParams) -> Update<MaintenanceResourceRecord> {
    Update::<MaintenanceResourceRecord>::of(p.resource_row_id).guard(MaintenanceResourceRecord::op_id, ctx.workflow_id)
}

/// After the unwinding: the instance follows what its VM is; the resource is tried again
/// after its backoff while retries are left, else Failed with the reason.
async fn failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let p = params(&ctx)?;
    let mut batch = iw::resync(ctx.clone(), failure.clone()).await?;
    let task = ctx.engine.store().get_by_id::<MaintenanceTaskRecord>(p.task_id).await?;
    let row = ctx.engine.store().get_by_id::<MaintenanceResourceRecord>(p.resource_row_id).await?;
    let (Some(task), Some(row)) = (task, row) else {
        return Ok(batch);
    };
    let t = now();
    let mut reason = failure.error.clone();
    if let Some(undo) = &failure.undo_error {
        reason = format!("{reason}; the rollback did not complete: {undo}");
    }
    batch.extend(failed_attempt(resource_update(&ctx, &p), &task, &row, row.attempts, &reason, t));
    Ok(batch)
}

/// What a failed attempt (`attempt`, counted from 1) leaves, on `update` (the row's
/// guarded update): the resource Reserved again after the doubling backoff while retries
/// are left, else Failed with a `failed` notice; a log line either way. Shared by a
/// runbook that failed and a slot that could not start.
pub(crate) fn failed_attempt(
    update: Update<MaintenanceResourceRecord>,
    task: &MaintenanceTaskRecord,
    row: &MaintenanceResourceRecord,
    attempt: i64,
    reason: &str,
    t: i64,
) -> Batch {
    let update = update.set(MaintenanceResourceRecord::last_error, reason);
    let mut batch = Batch::new();
    let line = if attempt <= task.retries {
        let at = t + retry_delay(task.retry_backoff_seconds, attempt);
        let update = update
            .set(MaintenanceResourceRecord::status, ResourceStatus::Reserved.as_str())
            .set(MaintenanceResourceRecord::scheduled_at, at);
        batch.push(update.stmt(t));
        format!("attempt {attempt} failed: {reason}; retrying in {} s", (at - t) / 1_000_000)
    } else {
        let update = update
            .set(MaintenanceResourceRecord::status, ResourceStatus::Failed.as_str())
            .set(MaintenanceResourceRecord::finished_at, t);
        batch.push(update.stmt(t));
        batch.push(notice(task, row, NoticeKind::Failed, format!("{} failed: {reason}", subject(task, row))));
        format!("failed: {reason}")
    };
    batch.push(Store::maintenance_log_line(task.id, row.id, t, line));
    batch
}

/// The pause before retry `attempt + 1`: the backoff, doubled after each failed attempt
/// (µs).
fn retry_delay(backoff_seconds: i64, attempt: i64) -> i64 {
    let doublings = (attempt - 1).clamp(0, 10) as u32;
    backoff_seconds.saturating_mul(1 << doublings).saturating_mul(1_000_000)
}

fn summary(update: &GuestUpdate) -> String {
    match update {
        GuestUpdate::KernelUpgrade { kernel } => format!("boot kernel {kernel}"),
        GuestUpdate::OsUpdate { version } => format!("OS {version}"),
        GuestUpdate::EngineUpgrade { version } => format!("engine {version}"),
        GuestUpdate::ConfigChange { settings } => {
            settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retry_delay;

    #[test]
    fn the_backoff_doubles_after_each_attempt() {
        assert_eq!(retry_delay(60, 1), 60_000_000);
        assert_eq!(retry_delay(60, 2), 120_000_000);
        assert_eq!(retry_delay(60, 3), 240_000_000);
        assert_eq!(retry_delay(0, 5), 0);
    }
}
