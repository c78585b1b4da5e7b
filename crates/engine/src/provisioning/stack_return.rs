//! Returning a stack: every resource deleted after the ones that need it (so in reverse
//! dependency order), independent branches at once, a failing delete retried with backoff
//! and, if it still fails, the branch above it kept while the others go on. The end
//! lists exactly what remains.

use super::stack::{StackParams, StackRun, settle};
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Error, on_failure, step};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use gureum_model::provisioning::{HistoryType, ProvisioningState, StackResourceState};
use gureum_store::{Batch, StackResourceRecord};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

pub(crate) static PROVISIONING_RETURN: WorkflowDef = WorkflowDef {
    kind: "provisioning_return",
    steps: &[
        StepDef::new("resources_delete", step!(resources_delete), None),
        StepDef::new("returned", step!(returned), None),
    ],
    on_failure: on_failure!(return_failed),
    show: None,
    version: 1,
    renames: &[],
};

/// Attempts per resource before its delete counts as failed.
const DELETE_ATTEMPTS: u32 = 4;

async fn run_of(ctx: &StepCtx) -> Result<StackRun, StepError> {
    let p: StackParams = ctx.params()?;
    Ok(StackRun::load(&ctx.engine, &p, ctx.workflow_id).await?)
}

async fn resources_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    run_of(&ctx).await?.delete_all().await.map_err(StepError::Fail)?;
    Ok(StepOut::done())
}

async fn returned(ctx: StepCtx) -> Result<StepOut, StepError> {
    let run = run_of(&ctx).await?;
    let mut batch = Batch::from(
        settle(run.prov.id, ctx.workflow_id, ProvisioningState::Returned.as_str(), None).stmt(gureum_store::now()),
    );
    batch.push(run.event(HistoryType::ReturnCompleted, "return completed: every resource is deleted").await?);
    Ok(StepOut::done().batch(batch))
}

async fn return_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let run = run_of(&ctx).await?;
    let reason = failure.error;
    let mut batch = Batch::from(
        settle(run.prov.id, ctx.workflow_id, ProvisioningState::ReturnFailed.as_str(), Some(reason.clone()))
            .stmt(gureum_store::now()),
    );
    batch.push(run.event(HistoryType::ReturnFailed, &format!("return failed: {reason}")).await?);
    Ok(batch)
}

impl StackRun {
    /// Deletes every resource of the stack that may exist; `Err` lists what remains.
    pub async fn delete_all(&self) -> Result<(), String> {
        let rows = self.rows().await.map_err(|e| e.to_string())?;
        let mut state: HashMap<String, StackResourceState> = rows.iter().map(|r| (r.key.clone(), r.state)).collect();
        let mut started: Vec<String> = vec![];
        let mut running = FuturesUnordered::new();
        loop {
            for r in &rows {
                let dependents_gone =
                    rows.iter().filter(|d| d.needed().contains(&r.key)).all(|d| !state[&d.key].may_exist());
                if state[&r.key].may_exist() && dependents_gone && !started.contains(&r.key) {
                    started.push(r.key.clone());
                    running.push(async move { (r.key.clone(), self.delete_node(r).await) });
                }
            }
            let Some((key, result)) = running.next().await else { break };
            let s = if result.is_ok() { StackResourceState::Deleted } else { StackResourceState::DeleteFailed };
            state.insert(key, s);
        }
        let rows = self.rows().await.map_err(|e| e.to_string())?;
        let mut remaining = vec![];
        for r in rows.iter().filter(|r| r.state.may_exist()) {
            let child = match r.resource_id {
                Some(id) => self.engine.child(r.kind, id).await.map_err(|e| e.to_string())?,
                None => None,
            };
            let provider_id = child.and_then(|c| c.provider_id).unwrap_or_else(|| "none recorded".into());
            let why = r.state_reason.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
            remaining.push(format!("{} ({}, provider id {provider_id}){why}", r.name, r.kind));
        }
        match remaining.len() {
            0 => Ok(()),
            n => Err(format!("{n} resource(s) remain: {}", remaining.join("; "))),
        }
    }

    async fn delete_node(&self, row: &StackResourceRecord) -> Result<(), String> {
        let db = |e: crate::Error| e.to_string();
        self.mark(row.id, StackResourceState::Deleting, None, None).await.map_err(db)?;
        let id = match row.resource_id {
            Some(id) => Some(id),
            None => self.engine.child_named(self.prov.project_id, row.kind, &row.name).await.map_err(db)?,
        };
        let Some(id) = id else {
            self.mark(row.id, StackResourceState::Deleted, None, None).await.map_err(db)?;
            return Ok(());
        };
        let mut last = String::new();
        for attempt in 0..DELETE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt)).await;
            }
            match self.delete_once(row, id).await {
                Ok(()) => {
                    self.mark(row.id, StackResourceState::Deleted, None, Some(id)).await.map_err(db)?;
                    return Ok(());
                }
                Err(e) => last = e,
            }
        }
        self.mark(row.id, StackResourceState::DeleteFailed, Some(&last), Some(id)).await.map_err(db)?;
        Err(last)
    }

    /// One delete: waits out an operation in progress, asks for the delete, and waits until
    /// the resource is gone (or failed).
    async fn delete_once(&self, row: &StackResourceRecord, id: Uuid) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + self.engine.config().wait_timeout;
        let mut asked = false;
        loop {
            let child = self.engine.child(row.kind, id).await.map_err(|e| e.to_string())?;
            match &child {
                None => return Ok(()),
                Some(c) if c.state == "Deleting" => {}
                // An instance's delete interrupts what runs on it; other kinds wait it out.
                Some(c) if !c.busy || row.kind == gureum_model::provisioning::StackResourceKind::Instance => {
                    if asked && let Some(f) = &c.failed {
                        return Err(f.clone());
                    }
                    if !asked {
                        match self.engine.child_delete(&self.ctx, self.prov.project_id, row.kind, id).await {
                            // Read again at once: the delete's operation is what to wait on.
                            Ok(()) | Err(Error::NotFound { .. }) => {
                                asked = true;
                                continue;
                            }
                            Err(e) => return Err(e.to_string()),
                        }
                    }
                }
                Some(_) => {}
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "{} {} was not deleted within {:?}",
                    row.kind,
                    row.name,
                    self.engine.config().wait_timeout
                ));
            }
            self.engine.child_wait(child.as_ref()).await;
        }
    }
}
