//! The maintenance scheduler: a worker that, ten times a second, (1) reserves the
//! unscheduled resources of mandatory tasks whose deadline has passed, (2) stops a task
//! whose failures exceed its `max_errors` (what has not started ends Failed with that
//! reason), and (3) starts the runbook of every due resource, higher priority first,
//! never more of a task at once than its `max_concurrency`.
//!
//! Exactly once: a slot fires in one transaction that moves the resource from Reserved
//! (at the generation it was read) to In_progress, holds the instance and stores the
//! runbook. A crash before it leaves the slot due, so it fires after the restart; after
//! it, the runbook resumes like any workflow. Two servers firing the same slot race on
//! the generation and one wins.

use super::notifications::{notice, subject};
use super::runbook::{MAINTENANCE_RUNBOOK, RunbookParams, failed_attempt};
use super::updates::{guest_update, health_timeout};
use crate::compute::instance_workflows::InstanceParams;
use crate::worker::Worker;
use crate::workflow::operations::{OpSpec, Target};
use crate::{Engine, Result};
use gureum_model::instance::InstanceState;
use gureum_model::maintenance::{NoticeKind, Rate, ResourceStatus};
use gureum_store::record::common;
use gureum_store::{
    Batch, DbError, InstanceRecord, MaintenanceResourceRecord, MaintenanceTaskRecord, Store, Update, Val, now,
};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How often due slots are looked for: a slot starts within this of its time.
pub const TICK: Duration = Duration::from_millis(100);
/// Slots started per pass at most; the rest wait for the next pass.
const FIRE_PER_TICK: i64 = 500;

pub(crate) fn start(engine: &Engine) {
    let e = engine.clone();
    Worker::new("maintenance_scheduler", TICK).singleton(engine).spawn(engine.shutdown_signal(), move || {
        let engine = e.clone();
        async move { engine.maintenance_tick().await.map(|_| ()) }
    });
}

/// What a pass did (for tests and the bench).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub auto_scheduled: usize,
    pub cancelled: usize,
    pub started: usize,
}

/// A task's resources by status, as the limits need them.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    running: u32,
    failed: u32,
    /// All but the excluded.
    counted: u32,
}

impl Engine {
    /// One pass of the scheduler.
    pub async fn maintenance_tick(&self) -> Result<TickReport> {
        let t = now();
        let auto_scheduled = self.maintenance_deadlines(t).await?;
        let cancelled = self.maintenance_error_limits().await?;
        let started = self.maintenance_fire(t).await?;
        Ok(TickReport { auto_scheduled, cancelled, started })
    }

    /// Unscheduled resources of mandatory tasks past their deadline are reserved for now.
    async fn maintenance_deadlines(&self, t: i64) -> Result<usize> {
        let mut n = 0;
        for r in self.store().maintenance_past_deadline(t).await? {
            let mut batch = Batch::from(
                to_status(&r, ResourceStatus::Reserved).set(MaintenanceResourceRecord::scheduled_at, t).stmt(t),
            );
            batch.push(Store::maintenance_log_line(
                r.task_id,
                r.id,
                t,
                "scheduled automatically: the task's deadline has passed".into(),
            ));
            n += usize::from(self.write_unless_changed(batch).await?);
        }
        Ok(n)
    }

    /// Tasks whose failures exceed `max_errors`: their resources not yet started end Failed.
    /// (A pass that loses a race to a change counts none; the next pass looks again.)
    async fn maintenance_error_limits(&self) -> Result<usize> {
        let ids = self.store().maintenance_tasks_with_failures().await?;
        let tallies = self.maintenance_tallies(&ids).await?;
        let mut n = 0;
        for id in ids {
            let Some(task) = self.store().get_by_id::<MaintenanceTaskRecord>(id).await? else { continue };
            let tally = tallies.get(&id).copied().unwrap_or_default();
            let allowed = Rate::parse_limit(&task.max_errors).unwrap_or(Rate::Count(0)).resolve(tally.counted);
            if tally.failed <= allowed {
                continue;
            }
            let reason = format!(
                "cancelled: {} of the task's resources failed, more than max_errors {} ({allowed})",
                tally.failed, task.max_errors
            );
            let t = now();
            // Once: the task is marked stopped with the cancellations, so what an operator
            // schedules afterwards runs as asked.
            let stop = Update::<MaintenanceTaskRecord>::of(task.id)
                .set(MaintenanceTaskRecord::stopped_reason, reason.as_str())
                .guard(MaintenanceTaskRecord::generation, task.generation);
            let mut batch = Batch::from(stop.stmt(t));
            for r in self.maintenance_resources(&task).await? {
                if !matches!(r.status, ResourceStatus::Pending | ResourceStatus::Reserved) {
                    continue;
                }
                let update = to_status(&r, ResourceStatus::Failed)
                    .set(MaintenanceResourceRecord::last_error, reason.as_str())
                    .set(MaintenanceResourceRecord::finished_at, t);
                batch.push(update.stmt(t));
                batch.push(Store::maintenance_log_line(task.id, r.id, t, reason.clone()));
                batch.push(notice(&task, &r, NoticeKind::Failed, format!("{} {reason}", subject(&task, &r))));
                n += 1;
            }
            if !self.write_unless_changed(batch).await? {
                n = 0;
            }
        }
        Ok(n)
    }

    /// Starts the runbooks of due resources within each task's concurrency.
    async fn maintenance_fire(&self, t: i64) -> Result<usize> {
        let due = self.store().maintenance_due(t, FIRE_PER_TICK).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut task_ids: Vec<Uuid> = due.iter().map(|r| r.task_id).collect();
        task_ids.sort();
        task_ids.dedup();
        let mut tallies = self.maintenance_tallies(&task_ids).await?;
        let mut tasks: HashMap<Uuid, MaintenanceTaskRecord> = HashMap::new();
        for id in &task_ids {
            if let Some(task) = self.store().get_by_id::<MaintenanceTaskRecord>(*id).await? {
                tasks.insert(*id, task);
            }
        }
        let mut started = 0;
        for r in due {
            let Some(task) = tasks.get(&r.task_id) else { continue };
            let tally = tallies.entry(task.id).or_default();
            if tally.running >= rate(&task.max_concurrency).resolve_concurrency(tally.counted) {
                continue;
            }
            if self.maintenance_start_one(task, &r).await? {
                tally.running += 1;
                started += 1;
            }
        }
        Ok(started)
    }

    /// Fires one slot: the resource In_progress, the instance held, the runbook stored,
    /// in one transaction. A resource whose instance cannot be maintained now fails (or
    /// waits for its retry) without a runbook. Whether it started.
    async fn maintenance_start_one(&self, task: &MaintenanceTaskRecord, r: &MaintenanceResourceRecord) -> Result<bool> {
        let t = now();
        let inst = self.store().get_by_id::<InstanceRecord>(r.resource_id).await?;
        let inst = match inst {
            Some(i) if i.state == InstanceState::Active && i.op_id.is_none() => i,
            other => {
                let why = match other {
                    None => "pre-check: the instance no longer exists".to_string(),
                    Some(i) if i.op_id.is_some() => format!("pre-check: the instance is busy ({})", i.state),
                    Some(i) => format!("pre-check: the instance is {}; maintenance runs on Active instances", i.state),
                };
                return self.maintenance_refuse(task, r, &why).await.map(|_| false);
            }
        };
        let apply: serde_json::Value = serde_json::from_str(&task.apply).unwrap_or_default();
        let params = RunbookParams {
            instance: InstanceParams::settling(inst.connection_id, InstanceState::Active),
            task_id: task.id,
            resource_row_id: r.id,
            update: guest_update(task.maintenance_type, &apply, task.downtime)?,
            downtime: task.downtime,
            health_timeout_seconds: health_timeout(&apply)?,
        };
        let op_id = gureum_store::new_id();
        let mut batch = Batch::from(
            to_status(r, ResourceStatus::InProgress)
                .set(MaintenanceResourceRecord::op_id, op_id)
                .set(MaintenanceResourceRecord::attempts, r.attempts + 1)
                .set(MaintenanceResourceRecord::started_at, t)
                .set(MaintenanceResourceRecord::finished_at, Val::Null)
                .stmt(t),
        );
        let hold = Update::<InstanceRecord>::of(inst.id)
            .set(common::OP_ID, op_id)
            .set(common::STATE_REASON, Val::Null)
            .guard(common::GENERATION, inst.generation);
        batch.push(hold.stmt(t));
        let line =
            format!("attempt {} started (slot {})", r.attempts + 1, crate::views::ts(r.scheduled_at.unwrap_or(t)));
        batch.push(Store::maintenance_log_line(task.id, r.id, t, line));
        let restart = if task.downtime { "; it is stopped while it is updated" } else { "" };
        let started = format!("{} started (attempt {}){restart}", subject(task, r), r.attempts + 1);
        batch.push(notice(task, r, NoticeKind::Started, started));
        let op = crate::workflow::new_record(
            self.executor().owner(),
            Some(task.project_id),
            Some(task.created_by),
            OpSpec {
                id: op_id,
                def: &MAINTENANCE_RUNBOOK,
                target: Target { kind: "instance", id: inst.id, name: &inst.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after: None,
            },
        );
        match self.launch(op, batch).await {
            Ok(()) => Ok(true),
            Err(e) if is_changed(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A slot that cannot start: retried after its backoff while retries are left, else
    /// Failed with the reason.
    async fn maintenance_refuse(
        &self,
        task: &MaintenanceTaskRecord,
        r: &MaintenanceResourceRecord,
        why: &str,
    ) -> Result<()> {
        // The slot counts as an attempt: the task's retries apply to it.
        let attempt = r.attempts + 1;
        let update = Update::<MaintenanceResourceRecord>::of(r.id)
            .set(MaintenanceResourceRecord::attempts, attempt)
            .guard(MaintenanceResourceRecord::generation, r.generation);
        self.write_unless_changed(failed_attempt(update, task, r, attempt, why, now())).await?;
        Ok(())
    }

    async fn maintenance_tallies(&self, tasks: &[Uuid]) -> Result<HashMap<Uuid, Tally>> {
        let mut out: HashMap<Uuid, Tally> = HashMap::new();
        for c in self.store().maintenance_status_counts(tasks).await? {
            let tally = out.entry(c.task_id).or_default();
            let n = c.count as u32;
            match ResourceStatus::parse(&c.status) {
                Some(ResourceStatus::InProgress) => tally.running += n,
                Some(ResourceStatus::Failed) => tally.failed += n,
                _ => {}
            }
            if c.status != ResourceStatus::Excluded.as_str() {
                tally.counted += n;
            }
        }
        Ok(out)
    }

    /// Writes `batch`; false when a guarded row changed meanwhile (another server or an
    /// operator got there first: the next pass looks again).
    async fn write_unless_changed(&self, batch: Batch) -> Result<bool> {
        match self.store().write(batch).await {
            Ok(_) => Ok(true),
            Err(e) if is_changed(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

fn is_changed(e: &DbError) -> bool {
    matches!(e, DbError::Conflict { .. })
}

/// The resource moves to `to`, if nobody changed it since it was read.
fn to_status(r: &MaintenanceResourceRecord, to: ResourceStatus) -> Update<MaintenanceResourceRecord> {
    Update::<MaintenanceResourceRecord>::of(r.id)
        .set(MaintenanceResourceRecord::status, to.as_str())
        .guard(MaintenanceResourceRecord::generation, r.generation)
}

/// A stored rate; it was checked when the task was made.
fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap_or(Rate::Count(1))
}
