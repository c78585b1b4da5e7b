//! Runs workflows: one task per workflow, every step's outcome committed with its
//! resource changes, leases so that with PostgreSQL any server can resume what a dead
//! one was running, and unwinding in reverse on failure or cancellation.

use crate::Engine;
use crate::worker::Worker;
use gureum_model::operation::{OperationStatus, StepStatus};
use gureum_store::{Dialect, WorkflowRecord, WorkflowStep, now};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How long a server owns a workflow without renewing.
pub const LEASE: Duration = Duration::from_secs(30);
const RENEW_EVERY: Duration = Duration::from_secs(10);

/// Fault injection and replay for tests and chaos drills (omicron-style saga tests).
#[derive(Debug, Clone, Default)]
pub struct WorkflowHooks {
    /// Run every step (and undo) twice, to prove each is idempotent.
    pub replay: bool,
    /// After step `(kind, step)` has run, fail it, so the unwind must clean up
    /// everything including what that step made.
    pub fail_after: Option<(String, String)>,
}

pub struct Executor {
    owner: String,
    /// The runtime workflows run on: the one the engine was made on, even when a
    /// background loop on a runtime of its own starts them.
    runtime: Option<tokio::runtime::Handle>,
    running: Mutex<HashSet<Uuid>>,
    waiters: Mutex<HashMap<Uuid, watch::Sender<Option<OperationStatus>>>>,
    hooks: RwLock<WorkflowHooks>,
}

impl Executor {
    pub fn new(owner: String) -> Self {
        Executor {
            owner,
            runtime: tokio::runtime::Handle::try_current().ok(),
            running: Mutex::new(HashSet::new()),
            waiters: Mutex::new(HashMap::new()),
            hooks: RwLock::new(WorkflowHooks::default()),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn set_hooks(&self, hooks: WorkflowHooks) {
        *self.hooks.write().expect("hooks lock") = hooks;
    }

    pub(super) fn hooks(&self) -> WorkflowHooks {
        self.hooks.read().expect("hooks lock").clone()
    }

    /// How many workflows this server is running now.
    pub fn running_count(&self) -> usize {
        self.running.lock().expect("running lock").len()
    }

    /// A receiver that sees the workflow's final status (subscribe before checking the
    /// database, so a completion in between is not missed).
    pub fn subscribe(&self, id: Uuid) -> watch::Receiver<Option<OperationStatus>> {
        let mut w = self.waiters.lock().expect("waiters lock");
        w.entry(id).or_insert_with(|| watch::channel(None).0).subscribe()
    }

    pub(super) fn notify_finished(&self, id: Uuid, status: OperationStatus) {
        if let Some(tx) = self.waiters.lock().expect("waiters lock").remove(&id) {
            let _ = tx.send(Some(status));
        }
    }

    /// Forgets subscriptions nobody waits on any more.
    fn prune_waiters(&self) {
        self.waiters.lock().expect("waiters lock").retain(|_, tx| tx.receiver_count() > 0);
    }

    /// Starts running a workflow already recorded in the database with this server's lease.
    pub(crate) fn spawn(&self, engine: &Engine, rec: WorkflowRecord) {
        self.spawn_run(engine, rec, false);
    }

    /// Like [`Executor::spawn`] for a record read by a claim. Between the claim and this
    /// call, a run of the same workflow in this process may have gone on or finished: the
    /// claimed copy is stale, so the run starts from what is committed now.
    fn spawn_claimed(&self, engine: &Engine, rec: WorkflowRecord) {
        self.spawn_run(engine, rec, true);
    }

    fn spawn_run(&self, engine: &Engine, rec: WorkflowRecord, reread: bool) {
        if !self.running.lock().expect("running lock").insert(rec.id) {
            return;
        }
        let engine = engine.clone();
        let run = async move {
            let id = rec.id;
            let current = if reread {
                match engine.store().get_by_id::<WorkflowRecord>(id).await {
                    Ok(Some(r)) if !r.status.is_finished() => Some(r),
                    Ok(_) => None,
                    Err(e) => {
                        // The next claim round tries again.
                        tracing::warn!(workflow = %id, error = %e, "reading a claimed workflow failed");
                        None
                    }
                }
            } else {
                Some(rec)
            };
            if let Some(rec) = current {
                super::run::run_workflow(&engine, rec).await;
            }
            engine.executor().running.lock().expect("running lock").remove(&id);
        };
        crate::worker::spawn_on(self.runtime.as_ref(), run);
    }

    /// Resumes unfinished workflows now, then keeps leases fresh and picks up the work of
    /// servers that died.
    pub(crate) fn start_background(&self, engine: &Engine) {
        let engine = engine.clone();
        tokio::spawn(async move {
            // SQLite has one server: whatever is unfinished is ours from a previous life,
            // whatever its lease says.
            let first_claim_now = match engine.store().dialect() {
                Dialect::Sqlite => i64::MAX,
                Dialect::Postgres => now(),
            };
            // A failure is logged; the worker's claims pick the work up later.
            let _ = claim_and_spawn(&engine, true, first_claim_now).await;
            let e = engine.clone();
            Worker::new("workflow_leases", RENEW_EVERY).first_after(RENEW_EVERY).spawn(
                engine.shutdown_signal(),
                move || {
                    let engine = e.clone();
                    async move {
                        let until = now() + LEASE.as_micros() as i64;
                        let renewed = engine.store().workflows_renew(engine.executor().owner(), until).await;
                        // Claiming goes on even if renewing failed: other servers' work
                        // must not wait on this one's database hiccup.
                        let claimed = claim_and_spawn(&engine, false, now()).await;
                        engine.executor().prune_waiters();
                        match (renewed, claimed) {
                            (Err(e), _) => Err(format!("renewing workflow leases failed: {e}")),
                            (_, Err(e)) => Err(format!("claiming workflows failed: {e}")),
                            _ => Ok(()),
                        }
                    }
                },
            );
        });
    }
}

/// Claims and runs unfinished workflows: with `own`, also those this server held before
/// it restarted (only at start-up: later, its own are running in this process).
async fn claim_and_spawn(engine: &Engine, own: bool, claim_now: i64) -> Result<(), gureum_store::DbError> {
    loop {
        let until = now() + LEASE.as_micros() as i64;
        match engine.store().workflows_claim(engine.executor().owner(), own, claim_now, until, 500).await {
            Ok(claimed) if claimed.is_empty() => return Ok(()),
            Ok(claimed) => {
                tracing::info!(count = claimed.len(), "resuming unfinished workflows");
                for rec in claimed {
                    engine.executor().spawn_claimed(engine, rec);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming workflows failed");
                return Err(e);
            }
        }
    }
}

/// The record of a new workflow, owned by this server, with its first step running.
pub(crate) fn new_record(
    owner: &str,
    project_id: Option<Uuid>,
    created_by: Option<Uuid>,
    spec: crate::workflow::operations::OpSpec<'_>,
) -> WorkflowRecord {
    let def = spec.def;
    let t = now();
    let steps: Vec<WorkflowStep> = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| WorkflowStep {
            name: s.name.to_string(),
            status: if i == 0 { StepStatus::Running } else { StepStatus::Pending },
            started_at: (i == 0).then_some(t),
            finished_at: None,
            output: Value::Null,
            error: None,
            attempts: 0,
        })
        .collect();
    WorkflowRecord {
        id: spec.id,
        project_id,
        kind: def.kind.to_string(),
        target_type: spec.target.kind.to_string(),
        target_id: spec.target.id,
        target_name: spec.target.name.to_string(),
        params: spec.params.to_string(),
        steps: serde_json::to_string(&steps).expect("steps serialize"),
        cursor: 0,
        status: OperationStatus::Running,
        error: None,
        cancel_requested: false,
        after_id: spec.after,
        lease_owner: Some(owner.to_string()),
        lease_until: t + LEASE.as_micros() as i64,
        generation: 1,
        created_by,
        created_at: t,
        updated_at: t,
        finished_at: None,
        def_steps: super::upgrade::def_steps_json(def),
        def_version: i64::from(def.version),
    }
}
