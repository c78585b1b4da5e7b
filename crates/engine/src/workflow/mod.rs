//! Durable workflows (sagas). A workflow is a fixed list of steps; each step is
//! idempotent (re-running it after a crash is safe) and, where it creates something, has
//! an undo. The executor persists every step's outcome in the same transaction as the
//! resource changes it caused, so a crash at any point resumes exactly where the
//! database says; a failure unwinds the completed steps in reverse.

mod commit;
mod executor;
pub(crate) mod generic;
pub mod kinds;
pub(crate) mod operations;
mod run;
pub(crate) mod start;
mod upgrade;

pub(crate) use executor::new_record;
pub use executor::{Executor, WorkflowHooks};

use crate::{Engine, Error};
use futures::future::BoxFuture;
use gureum_driver::DriverError;
use gureum_store::{Batch, DbError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

pub type StepFuture = BoxFuture<'static, Result<StepOut, StepError>>;
pub type StepFn = fn(StepCtx) -> StepFuture;
pub type FinishFn = fn(StepCtx, Failure) -> BoxFuture<'static, Result<Batch, StepError>>;
/// Writes the state a resource shows: `(target id, workflow id, state, now)`.
pub type ShowFn = fn(Uuid, Uuid, &'static str, i64) -> Batch;

pub struct StepDef {
    pub name: &'static str,
    /// The state the target shows while this step runs (committed before it starts).
    pub shows: Option<&'static str>,
    pub run: StepFn,
    /// Reverses `run`; must also cope with `run` having happened only partly (or not at
    /// all), because a failed step is undone too.
    pub undo: Option<StepFn>,
}

pub struct WorkflowDef {
    pub kind: &'static str,
    pub steps: &'static [StepDef],
    /// Once a failed or cancelled run has unwound: what the resource shows (an error
    /// state with the reason, or its previous settled state). After a cancel the action
    /// that cancelled the run owns the target; the function then only tidies the rows
    /// its own run made.
    pub on_failure: FinishFn,
    /// How to write a step's `shows` state on the target.
    pub show: Option<ShowFn>,
    /// Bumped whenever `steps` change; stored with each workflow.
    pub version: u32,
    /// Steps renamed since older versions, `(old name, this version's name)`, so their
    /// stored workflows resume at the same step instead of unwinding.
    pub renames: &'static [(&'static str, &'static str)],
}

impl StepDef {
    /// A step that shows no particular state.
    pub const fn new(name: &'static str, run: StepFn, undo: Option<StepFn>) -> Self {
        StepDef { name, shows: None, run, undo }
    }

    pub const fn showing(name: &'static str, shows: &'static str, run: StepFn, undo: Option<StepFn>) -> Self {
        StepDef { name, shows: Some(shows), run, undo }
    }
}

/// Why a workflow ended without succeeding.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    /// A later action (delete, hard reboot) cancelled the run and owns the target now.
    pub cancelled: bool,
    /// Some undo could not complete: something may be left at the provider.
    pub undo_error: Option<String>,
}

/// What a step sees: the workflow's parameters and the outputs of earlier steps.
#[derive(Clone)]
pub struct StepCtx {
    pub engine: Engine,
    pub workflow_id: Uuid,
    pub target_id: Uuid,
    params: Arc<Value>,
    outputs: Arc<Vec<Value>>,
    def: &'static WorkflowDef,
    /// This step may already have run (a retry, a replay or a resume after a crash), so
    /// its provider calls must look for what an earlier run made before making it again.
    pub may_have_run: bool,
}

impl StepCtx {
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, StepError> {
        serde_json::from_value((*self.params).clone()).map_err(|e| StepError::Fail(format!("bad workflow params: {e}")))
    }

    /// The output of an earlier step, by name.
    pub fn output(&self, step: &str) -> Option<&Value> {
        let idx = self.def.steps.iter().position(|s| s.name == step)?;
        self.outputs.get(idx).filter(|v| !v.is_null())
    }

    /// The provider id a row recorded, else the one the step that made it kept in its
    /// output (it may have failed before recording it): what an undo must delete.
    pub fn made<T: DeserializeOwned>(
        &self,
        recorded: Option<String>,
        step: &str,
        id: impl FnOnce(T) -> String,
    ) -> Result<Option<String>, StepError> {
        match recorded {
            Some(recorded) => Ok(Some(recorded)),
            None => Ok(self.output_of::<T>(step)?.map(id)),
        }
    }

    /// The typed output of an earlier step, by name: `None` if it made none; an error if
    /// what it stored does not read as `T` (never taken for "made nothing").
    pub fn output_of<T: DeserializeOwned>(&self, step: &str) -> Result<Option<T>, StepError> {
        let Some(v) = self.output(step) else {
            return Ok(None);
        };
        serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| StepError::Fail(format!("the stored output of step {step} does not parse: {e}")))
    }
}

/// A step's result: its output (kept for later steps and undo) and the resource changes
/// to commit together with "step done".
#[derive(Default)]
pub struct StepOut {
    pub output: Value,
    pub batch: Batch,
    pub skipped: bool,
}

impl StepOut {
    pub fn done() -> Self {
        StepOut::default()
    }

    /// The step had nothing to do for this workflow (e.g. no public IP requested).
    pub fn skipped() -> Self {
        StepOut { skipped: true, ..StepOut::default() }
    }

    pub fn output(mut self, v: Value) -> Self {
        self.output = v;
        self
    }

    /// The step's output as a typed value, which later steps read with
    /// [`StepCtx::output_of`].
    pub fn typed<T: serde::Serialize>(mut self, v: &T) -> Self {
        self.output = serde_json::to_value(v).expect("step output serializes");
        self
    }

    pub fn batch(mut self, b: Batch) -> Self {
        self.batch = b;
        self
    }
}

#[derive(Debug, Clone)]
pub enum StepError {
    /// Transient: retry with backoff.
    Retry(String),
    /// Permanent: unwind.
    Fail(String),
}

impl StepError {
    pub fn message(&self) -> &str {
        match self {
            StepError::Retry(m) | StepError::Fail(m) => m,
        }
    }
}

impl From<DriverError> for StepError {
    fn from(e: DriverError) -> Self {
        if e.is_retryable() { StepError::Retry(e.to_string()) } else { StepError::Fail(e.to_string()) }
    }
}

impl From<DbError> for StepError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Backend(m) => StepError::Retry(m),
            other => StepError::Fail(other.to_string()),
        }
    }
}

impl From<Error> for StepError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unavailable(m) | Error::RateLimited(m) => StepError::Retry(m),
            other => StepError::Fail(other.to_string()),
        }
    }
}

/// Writes a step function from an async fn: `step!(vm_create)`.
#[macro_export]
macro_rules! step {
    ($f:path) => {
        |ctx: $crate::workflow::StepCtx| -> $crate::workflow::StepFuture { Box::pin($f(ctx)) }
    };
}

/// Writes an `on_failure` function from an async fn.
#[macro_export]
macro_rules! on_failure {
    ($f:path) => {
        |ctx: $crate::workflow::StepCtx,
         failure: $crate::workflow::Failure|
         -> futures::future::BoxFuture<'static, Result<gureum_store::Batch, $crate::workflow::StepError>> {
            Box::pin($f(ctx, failure))
        }
    };
}
