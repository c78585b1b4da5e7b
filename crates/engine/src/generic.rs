//! The two workflows every "make it / remove it" resource shares (VPCs, subnets,
//! security groups, key pairs, static public IPs, data volumes, snapshots): create at the
//! provider and wait for it to settle; delete at the provider, wait until gone, forget
//! the row. Resources the driver only emulates skip the provider calls.

use crate::saga::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, ProviderResource, ProviderStatus, ResourceKind, Support};
use gureum_store::record::delete_from;
use gureum_store::{Batch, Stmt, Update, Val, args, now};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Tables these workflows may touch (the params carry the name; only these are valid).
const TABLES: &[&str] =
    &["vpcs", "subnets", "security_groups", "key_pairs", "public_ips", "volumes", "snapshots", "images"];

fn table(name: &str) -> Result<&'static str, StepError> {
    TABLES.iter().copied().find(|t| *t == name).ok_or_else(|| StepError::Fail(format!("no table {name}")))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CreateParams {
    pub table: String,
    pub connection_id: Uuid,
    pub spec: CreateSpec,
    /// The state the row shows once the provider resource has settled.
    pub settled_state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeleteParams {
    pub table: String,
    pub connection_id: Uuid,
    pub kind: ResourceKind,
    pub provider_id: Option<String>,
}

pub(crate) static RESOURCE_CREATE: WorkflowDef = WorkflowDef {
    kind: "resource_create",
    steps: &[
        StepDef::new("provider_create", step!(provider_create), Some(step!(provider_create_undo))),
        StepDef::new("provider_wait", step!(provider_wait), None),
    ],
    on_failure: on_failure!(mark_error),
    show: None,
};

pub(crate) static RESOURCE_DELETE: WorkflowDef = WorkflowDef {
    kind: "resource_delete",
    steps: &[
        StepDef::new("provider_delete", step!(provider_delete), None),
        StepDef::new("forget", step!(forget), None),
    ],
    on_failure: on_failure!(mark_error),
    show: None,
};

/// Whether the connection's driver has this kind natively (else gureum keeps it alone).
async fn native(ctx: &StepCtx, connection_id: Uuid, kind: ResourceKind) -> Result<bool, StepError> {
    let cloud = ctx.engine.cloud(connection_id).await?;
    Ok(cloud.info().support(kind) == Support::Native)
}

async fn provider_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    if !native(&ctx, p.connection_id, p.spec.kind()).await? {
        return Ok(StepOut::skipped());
    }
    let cloud = ctx.engine.cloud(p.connection_id).await?;
    let r = cloud.ensure_created(p.spec, ctx.may_have_run).await?;
    let update = Update::table(table(&p.table)?, ctx.target_id)
        .set("provider_id", r.id.as_str())
        .guard("op_id", ctx.workflow_id);
    Ok(StepOut::done().output(json!({ "provider_id": r.id })).batch(update.stmt(now()).into()))
}

async fn provider_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    if !native(&ctx, p.connection_id, p.spec.kind()).await? {
        return Ok(StepOut::done());
    }
    let cloud = ctx.engine.cloud(p.connection_id).await?;
    let id = ctx.output_str("provider_create", "provider_id");
    cloud.ensure_deleted(p.spec.kind(), id.as_deref(), &ctx.target_id.to_string()).await?;
    let update = Update::table(table(&p.table)?, ctx.target_id).set("provider_id", Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// Columns a settled provider resource fills in.
fn settled_columns(table: &str, r: &ProviderResource) -> Vec<(&'static str, Val)> {
    match table {
        "public_ips" => vec![("address", r.attr_str("address").into())],
        _ => vec![],
    }
}

async fn provider_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    let table = table(&p.table)?;
    let mut update = Update::table(table, ctx.target_id)
        .set("state", p.settled_state.as_str())
        .set("op_id", Val::Null)
        .guard("op_id", ctx.workflow_id);
    if let Some(id) = ctx.output_str("provider_create", "provider_id") {
        let cloud = ctx.engine.cloud(p.connection_id).await?;
        let r = cloud.wait_for(p.spec.kind(), &id, &[ProviderStatus::Available, ProviderStatus::InUse]).await?;
        for (col, val) in settled_columns(table, &r) {
            update = update.set(col, val);
        }
    }
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn provider_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: DeleteParams = ctx.params()?;
    if p.provider_id.is_none() && !native(&ctx, p.connection_id, p.kind).await? {
        return Ok(StepOut::skipped());
    }
    let cloud = ctx.engine.cloud(p.connection_id).await?;
    cloud.ensure_deleted(p.kind, p.provider_id.as_deref(), &ctx.target_id.to_string()).await?;
    Ok(StepOut::done())
}

async fn forget(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: DeleteParams = ctx.params()?;
    let table = table(&p.table)?;
    let mut batch = Batch::from(delete_from(table, ctx.target_id));
    if table == "security_groups" {
        batch.push(Stmt::new("DELETE FROM security_group_rules WHERE security_group_id = $1", args![ctx.target_id]));
    }
    Ok(StepOut::done().batch(batch))
}

/// A failed create or delete leaves the row in `Error` with the reason; the user can
/// delete it (again).
async fn mark_error(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let table = match ctx.params::<CreateParams>() {
        Ok(p) => table(&p.table)?,
        Err(_) => table(&ctx.params::<DeleteParams>()?.table)?,
    };
    let reason = match &failure.undo_error {
        Some(_) => format!("{} (some provider resources may remain; deleting retries the cleanup)", failure.error),
        None => failure.error,
    };
    let update = Update::table(table, ctx.target_id)
        .set("state", "Error")
        .set("state_reason", reason)
        .set("op_id", Val::Null)
        .guard("op_id", ctx.workflow_id)
        .lenient();
    Ok(update.stmt(now()).into())
}

/// What a resource module hands over to start one of the generic workflows.
pub(crate) struct GenericTarget<'a> {
    pub table: &'static str,
    pub kind_label: &'static str,
    pub id: Uuid,
    pub name: &'a str,
    pub connection_id: Uuid,
}

/// A new row (inserted by `batch`, its `op_id` set to `op_id`) to create at the provider.
pub(crate) struct NewResource<'a> {
    pub op_id: Uuid,
    pub spec: CreateSpec,
    /// The state the row shows once the provider resource has settled.
    pub settled_state: &'a str,
    pub batch: Batch,
}

/// A row to remove, as last read (its generation guards the change).
pub(crate) struct Removal<'a> {
    pub generation: i64,
    pub kind: ResourceKind,
    pub provider_id: Option<String>,
    pub deleting_state: &'a str,
}

impl crate::Engine {
    /// Inserts a new row (in `batch`, with `op_id` set to `op_id`) and starts creating it
    /// at the provider.
    pub(crate) async fn start_create(
        &self,
        ctx: &crate::OpContext,
        scope: &crate::ProjectScope,
        target: GenericTarget<'_>,
        new: NewResource<'_>,
    ) -> crate::Result<()> {
        let NewResource { op_id, spec, settled_state, batch } = new;
        let params = CreateParams {
            table: target.table.to_string(),
            connection_id: target.connection_id,
            spec,
            settled_state: settled_state.to_string(),
        };
        let op = self.new_op(
            ctx,
            scope,
            crate::operations::OpSpec {
                id: op_id,
                def: &RESOURCE_CREATE,
                target: crate::operations::Target { kind: target.kind_label, id: target.id, name: target.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after: None,
            },
        );
        self.remember_name(target.id, target.name);
        self.launch(op, batch).await.map_err(crate::operations::name_taken(target.kind_label, target.name))
    }

    /// Marks the row `Deleting` (if it is still at `generation` with nothing running) and
    /// starts removing it at the provider. Returns the operation id.
    pub(crate) async fn start_delete(
        &self,
        ctx: &crate::OpContext,
        scope: &crate::ProjectScope,
        target: GenericTarget<'_>,
        removal: Removal<'_>,
    ) -> crate::Result<Uuid> {
        let Removal { generation, kind, provider_id, deleting_state } = removal;
        let op_id = gureum_store::new_id();
        let params =
            DeleteParams { table: target.table.to_string(), connection_id: target.connection_id, kind, provider_id };
        let op = self.new_op(
            ctx,
            scope,
            crate::operations::OpSpec {
                id: op_id,
                def: &RESOURCE_DELETE,
                target: crate::operations::Target { kind: target.kind_label, id: target.id, name: target.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after: None,
            },
        );
        let mark = Update::table(target.table, target.id)
            .set("state", deleting_state)
            .set("state_reason", Val::Null)
            .set("op_id", op_id)
            .guard("generation", generation)
            .guard("op_id", Val::Null);
        self.launch(op, mark.stmt(now()).into()).await?;
        Ok(op_id)
    }
}
