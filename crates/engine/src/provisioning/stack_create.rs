//! The execute workflow: make every resource in dependency order (independent ones at
//! once), wait until the application answers, then render the installation info. A
//! failure unwinds what was made unless the run asked to keep it.

use super::children::{ChildSpec, InstanceSpec};
use super::stack::{POLL, StackParams, StackRun, settle};
use super::{readiness, render};
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Error, on_failure, step};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use gureum_model::provisioning::template::ResourceDoc;
use gureum_model::provisioning::{HistoryType, OnFailure, ProvisioningState, StackResourceKind, StackResourceState};
use gureum_store::{Batch, InstanceRecord, Key, KeyPairRecord, PublicIpRecord, StackResourceRecord, SubnetRecord};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) static PROVISIONING_EXECUTE: WorkflowDef = WorkflowDef {
    kind: "provisioning_execute",
    steps: &[
        StepDef::new("resources_create", step!(resources_create), Some(step!(resources_create_undo))),
        StepDef::new("readiness_wait", step!(readiness_wait), None),
        StepDef::new("outputs_render", step!(outputs_render), None),
    ],
    on_failure: on_failure!(execute_failed),
    show: None,
    version: 1,
    renames: &[],
};

async fn run_of(ctx: &StepCtx) -> Result<StackRun, StepError> {
    let p: StackParams = ctx.params()?;
    Ok(StackRun::load(&ctx.engine, &p, ctx.workflow_id).await?)
}

async fn resources_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let run = run_of(&ctx).await?;
    run.create_all().await.map_err(StepError::Fail)?;
    Ok(StepOut::done())
}

async fn resources_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let run = run_of(&ctx).await?;
    if run.prov.on_failure == OnFailure::Keep {
        return Ok(StepOut::skipped());
    }
    run.delete_all().await.map_err(StepError::Fail)?;
    Ok(StepOut::done())
}

async fn readiness_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let run = run_of(&ctx).await?;
    readiness::wait(&run).await.map_err(StepError::Fail)?;
    Ok(StepOut::done())
}

async fn outputs_render(ctx: StepCtx) -> Result<StepOut, StepError> {
    let run = run_of(&ctx).await?;
    let (info, credentials) = run.outputs().await.map_err(StepError::Fail)?;
    let sealed = (!credentials.is_empty())
        .then(|| run.engine.config().secret_key.seal(serde_json::to_string(&credentials).expect("json").as_bytes()));
    let done = settle(run.prov.id, ctx.workflow_id, ProvisioningState::Provisioned.as_str(), None)
        .set(gureum_store::ProvisioningRecord::info, serde_json::to_string(&info).expect("json"))
        .set(gureum_store::ProvisioningRecord::credentials, sealed);
    let mut batch = Batch::from(done.stmt(gureum_store::now()));
    batch.push(
        run.event(
            HistoryType::ProvisioningCompleted,
            "provisioning completed: every resource is ready and the application answers",
        )
        .await?,
    );
    Ok(StepOut::done().batch(batch))
}

async fn execute_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let run = run_of(&ctx).await?;
    let mut reason = failure.error.clone();
    if let Some(u) = &failure.undo_error {
        reason.push_str(&format!("; removing what was made also failed: {u}"));
    }
    let mut batch = Batch::from(
        settle(run.prov.id, ctx.workflow_id, ProvisioningState::ProvisioningFailed.as_str(), Some(reason.clone()))
            .stmt(gureum_store::now()),
    );
    batch.push(run.event(HistoryType::ProvisioningFailed, &format!("provisioning failed: {reason}")).await?);
    Ok(batch)
}

impl StackRun {
    /// Makes every resource not made yet, in dependency order, independent ones at once.
    pub async fn create_all(&self) -> Result<(), String> {
        let rows = self.rows().await.map_err(|e| e.to_string())?;
        let mut state: HashMap<String, StackResourceState> = rows.iter().map(|r| (r.key.clone(), r.state)).collect();
        let mut started: Vec<String> = vec![];
        let mut running = FuturesUnordered::new();
        let mut failure: Option<String> = None;
        loop {
            if failure.is_none() {
                for r in &rows {
                    let waiting = matches!(r.state, StackResourceState::Pending | StackResourceState::Creating);
                    let needs_ready = r.needed().iter().all(|n| state.get(n) == Some(&StackResourceState::Ready));
                    if waiting && needs_ready && !started.contains(&r.key) {
                        started.push(r.key.clone());
                        running.push(async move { (r.key.clone(), self.create_node(r).await) });
                    }
                }
            }
            // In flight ones are let finish after a failure, so the unwind sees settled rows.
            let Some((key, result)) = running.next().await else { break };
            match result {
                Ok(()) => {
                    state.insert(key, StackResourceState::Ready);
                }
                Err(e) => {
                    state.insert(key.clone(), StackResourceState::Failed);
                    failure.get_or_insert(format!("{key}: {e}"));
                }
            }
        }
        if let Some(f) = failure {
            return Err(f);
        }
        match rows.iter().find(|r| state[&r.key] != StackResourceState::Ready) {
            Some(r) => Err(format!("{} was not made ({})", r.key, state[&r.key])),
            None => Ok(()),
        }
    }

    async fn create_node(&self, row: &StackResourceRecord) -> Result<(), String> {
        let id = match row.resource_id {
            Some(id) => id,
            None => {
                self.mark(row.id, StackResourceState::Creating, None, None).await.map_err(|e| e.to_string())?;
                let made = self
                    .engine
                    .child_named(self.prov.project_id, row.kind, &row.name)
                    .await
                    .map_err(|e| e.to_string())?;
                let id = match made {
                    Some(id) => id,
                    None => self.start_child(row).await?,
                };
                self.mark(row.id, StackResourceState::Creating, None, Some(id)).await.map_err(|e| e.to_string())?;
                id
            }
        };
        let result = self.wait_ready(row, id).await;
        if let (Ok(()), Some(ResourceDoc::SecurityGroup { rules, .. })) =
            (&result, self.doc.resources.get(&row.resource))
        {
            let rules = self.engine.child_rules(&self.ctx, self.prov.project_id, id, rules).await;
            if let Err(e) = rules.map_err(|e| e.to_string()).and(Ok(())) {
                self.mark(row.id, StackResourceState::Failed, Some(&e), None).await.ok();
                return Err(e);
            }
            if let Err(e) = self.wait_ready(row, id).await {
                self.mark(row.id, StackResourceState::Failed, Some(&e), None).await.ok();
                return Err(e);
            }
        }
        match &result {
            Ok(()) => self.mark(row.id, StackResourceState::Ready, None, None).await.map_err(|e| e.to_string())?,
            Err(e) => self.mark(row.id, StackResourceState::Failed, Some(e), None).await.map_err(|e| e.to_string())?,
        }
        result
    }

    /// Until the resource is made and settled, or failed.
    async fn wait_ready(&self, row: &StackResourceRecord, id: Uuid) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + self.engine.config().wait_timeout;
        loop {
            match self.engine.child(row.kind, id).await.map_err(|e| e.to_string())? {
                None => return Err(format!("{} {} disappeared while it was being made", row.kind, row.name)),
                Some(c) if c.ready => return Ok(()),
                Some(c) if !c.busy && c.failed.is_some() => return Err(c.failed.unwrap_or_default()),
                Some(_) if tokio::time::Instant::now() > deadline => {
                    return Err(format!(
                        "{} {} was not ready within {:?}",
                        row.kind,
                        row.name,
                        self.engine.config().wait_timeout
                    ));
                }
                Some(c) => self.engine.child_wait(Some(&c)).await,
            }
        }
    }

    async fn start_child(&self, row: &StackResourceRecord) -> Result<Uuid, String> {
        let spec = self.child_spec(row).await.map_err(|e| e.to_string())?;
        // A busy provider is waited out; anything else fails the node.
        let mut attempt = 0;
        loop {
            match self.engine.child_create(&self.ctx, self.prov.project_id, &row.name, spec.clone()).await {
                Ok(id) => return Ok(id),
                Err(Error::Unavailable(m) | Error::RateLimited(m)) if attempt < 5 => {
                    tracing::debug!(resource = %row.name, error = %m, "waiting out a busy provider");
                    attempt += 1;
                    tokio::time::sleep(POLL * 2u32.pow(attempt)).await;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    async fn child_spec(&self, row: &StackResourceRecord) -> crate::Result<ChildSpec> {
        let scope = [("project_id", self.prov.project_id.into())];
        let subnet = self
            .engine
            .store()
            .get::<SubnetRecord>(&scope, &Key::parse(self.params.str("subnet")))
            .await?
            .ok_or_else(|| Error::invalid("parameters.subnet", "the subnet is gone"))?;
        let resource = &self.doc.resources[&row.resource];
        let rows = self.rows().await?;
        let id_of =
            |key: &String| rows.iter().find(|r| &r.resource == key || &r.key == key).and_then(|r| r.resource_id);
        Ok(match resource {
            ResourceDoc::SecurityGroup { .. } => ChildSpec::SecurityGroup { vpc: subnet.vpc_id },
            ResourceDoc::Volume { size_gb, .. } => ChildSpec::Volume {
                size_gb: *size_gb,
                connection: self.engine.name_of::<gureum_store::ConnectionRecord>(subnet.connection_id).await,
                zone: subnet.zone.clone(),
            },
            ResourceDoc::Instance { instance_type, image, security_groups, volumes, public_ip, user_data, .. } => {
                let key_pair = self
                    .engine
                    .store()
                    .get::<KeyPairRecord>(&scope, &Key::parse(self.params.str("key_pair")))
                    .await?
                    .ok_or_else(|| Error::invalid("parameters.key_pair", "the key pair is gone"))?;
                let ctx = self.node_context(row, &rows).await?;
                let r = |t: &str| {
                    render::render(t, &ctx).map_err(|e| Error::invalid(format!("resources.{}", row.resource), e))
                };
                ChildSpec::Instance(Box::new(InstanceSpec {
                    instance_type: r(instance_type)?,
                    image: r(image)?,
                    subnet: subnet.id,
                    key_pair: key_pair.id,
                    security_groups: security_groups.iter().filter_map(id_of).collect(),
                    volumes: volumes.iter().filter_map(id_of).collect(),
                    public_ip: *public_ip,
                    user_data: user_data.as_deref().map(r).transpose()?,
                }))
            }
        })
    }

    /// What an instance's strings are rendered with: the parameters, its own name and
    /// index, and the instances made before it (`resources.web[0].private_ip`).
    async fn node_context(&self, row: &StackResourceRecord, rows: &[StackResourceRecord]) -> crate::Result<Value> {
        let mut ctx = super::prepare::base_context(&self.prov.name, &self.params, &self.driver().await);
        ctx["name"] = json!(row.name);
        ctx["index"] = json!(row.key.rsplit_once('-').and_then(|(_, i)| i.parse::<u32>().ok()).unwrap_or(1));
        let mut made: serde_json::Map<String, Value> = serde_json::Map::new();
        for r in rows.iter().filter(|r| r.kind == StackResourceKind::Instance && r.state == StackResourceState::Ready) {
            let Some(id) = r.resource_id else { continue };
            let inst = self.engine.store().get_by_id::<InstanceRecord>(id).await?;
            let ip = self.engine.store().list_all::<PublicIpRecord>(&[("instance_id", id.into())]).await?;
            let entry = json!({
                "key": r.key,
                "name": r.name,
                "private_ip": inst.and_then(|i| i.private_ip),
                "public_ip": ip.into_iter().next().and_then(|i| i.address),
            });
            made.entry(r.resource.clone()).or_insert_with(|| json!([])).as_array_mut().expect("array").push(entry);
        }
        ctx["resources"] = Value::Object(made);
        Ok(ctx)
    }

    pub async fn driver(&self) -> String {
        self.engine
            .store()
            .get_by_id::<gureum_store::ConnectionRecord>(self.prov.connection_id)
            .await
            .ok()
            .flatten()
            .map(|c| c.driver)
            .unwrap_or_default()
    }
}
