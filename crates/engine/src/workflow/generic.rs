//! The two workflows every "make it / remove it" resource shares (VPCs, subnets,
//! security groups, key pairs, static public IPs, data volumes, snapshots): create at the
//! provider and wait for it to settle; delete at the provider, wait until gone, forget
//! the row. Resources the driver only emulates skip the provider calls.

use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{on_failure, step};
use gureum_driver::{CreateSpec, DriverError, ProviderResource, ProviderStatus, ResourceKind, Support};
use gureum_store::record::common;
use gureum_store::{Batch, PublicIpRecord, Record, Update, Val, now};
use serde::{Deserialize, Serialize};
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
    /// The node of the pool whose host makes it (`None`: the connection's own provider).
    #[serde(default)]
    pub node_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeleteParams {
    pub table: String,
    pub connection_id: Uuid,
    pub kind: ResourceKind,
    pub provider_id: Option<String>,
    /// The node of the pool whose host holds it.
    #[serde(default)]
    pub node_id: Option<Uuid>,
}

/// What `provider_create` made (kept for its undo and for `provider_wait`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ProviderMade {
    provider_id: String,
}

pub(crate) static RESOURCE_CREATE: WorkflowDef = WorkflowDef {
    kind: "resource_create",
    steps: &[
        StepDef::new("provider_create", step!(provider_create), Some(step!(provider_create_undo))),
        StepDef::new("provider_wait", step!(provider_wait), None),
    ],
    on_failure: on_failure!(mark_error),
    show: None,
    version: 1,
    renames: &[],
};

pub(crate) static RESOURCE_DELETE: WorkflowDef = WorkflowDef {
    kind: "resource_delete",
    steps: &[
        StepDef::new("provider_delete", step!(provider_delete), None),
        StepDef::new("forget", step!(forget), None),
    ],
    on_failure: on_failure!(mark_error),
    show: None,
    version: 1,
    renames: &[],
};

/// Whether the connection's driver has this kind natively (else gureum keeps it alone),
/// and makes it itself (a group of a pool of agent hosts is kept by gureum too; see
/// node_security_groups).
async fn native(ctx: &StepCtx, connection_id: Uuid, kind: ResourceKind) -> Result<bool, StepError> {
    let cloud = ctx.engine.cloud(connection_id).await?;
    if kind == ResourceKind::SecurityGroup && ctx.engine.groups_kept_by_gureum(connection_id).await? {
        return Ok(false);
    }
    Ok(cloud.support(kind) == Support::Native)
}

async fn provider_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    if !native(&ctx, p.connection_id, p.spec.kind()).await? {
        return Ok(StepOut::skipped());
    }
    let cloud = ctx.engine.cloud_on(p.connection_id, p.node_id).await?;
    let r = cloud.ensure_created(p.spec, ctx.may_have_run).await?;
    let update = Update::table(table(&p.table)?, ctx.target_id)
        .set(common::PROVIDER_ID, r.id.as_str())
        .guard(common::OP_ID, ctx.workflow_id);
    Ok(StepOut::done().typed(&ProviderMade { provider_id: r.id }).batch(update.stmt(now()).into()))
}

async fn provider_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    if !native(&ctx, p.connection_id, p.spec.kind()).await? {
        return Ok(StepOut::done());
    }
    let cloud = ctx.engine.cloud_on(p.connection_id, p.node_id).await?;
    let id = ctx.output_of::<ProviderMade>("provider_create")?.map(|o| o.provider_id);
    cloud.ensure_deleted(p.spec.kind(), id.as_deref(), &ctx.target_id.to_string()).await?;
    let update = Update::table(table(&p.table)?, ctx.target_id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// What a settled provider resource fills in beyond its state (in the same batch as
/// the guarded state change, so both or neither apply).
fn settled_columns(table: &str, id: Uuid, r: &ProviderResource) -> Option<Update<PublicIpRecord>> {
    (table == PublicIpRecord::TABLE).then(|| Update::of(id).set(PublicIpRecord::address, r.attr_str("address")))
}

async fn provider_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: CreateParams = ctx.params()?;
    let table = table(&p.table)?;
    let t = now();
    let update = Update::table(table, ctx.target_id)
        .set(common::STATE, p.settled_state.as_str())
        .set(common::OP_ID, Val::Null)
        .guard(common::OP_ID, ctx.workflow_id);
    let mut batch = Batch::from(update.stmt(t));
    if let Some(ProviderMade { provider_id: id }) = ctx.output_of("provider_create")? {
        let cloud = ctx.engine.cloud_on(p.connection_id, p.node_id).await?;
        let r = cloud.wait_for(p.spec.kind(), &id, &[ProviderStatus::Available, ProviderStatus::InUse]).await?;
        if let Some(more) = settled_columns(table, ctx.target_id, &r) {
            batch.push(more.stmt(t));
        }
    }
    Ok(StepOut::done().batch(batch))
}

async fn provider_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: DeleteParams = ctx.params()?;
    let tag = ctx.target_id.to_string();
    let mut copies = vec![];
    if p.kind == ResourceKind::SecurityGroup {
        copies = ctx.engine.security_group_copies(p.connection_id, ctx.target_id, p.provider_id.as_deref()).await?;
    }
    for (cloud, copy) in &copies {
        cloud.ensure_deleted(p.kind, Some(copy), &tag).await?;
    }
    if p.provider_id.is_none() && !native(&ctx, p.connection_id, p.kind).await? {
        return Ok(if copies.is_empty() { StepOut::skipped() } else { StepOut::done() });
    }
    let cloud = ctx.engine.cloud_on(p.connection_id, p.node_id).await?;
    cloud.ensure_deleted(p.kind, p.provider_id.as_deref(), &tag).await?;
    Ok(StepOut::done())
}

async fn forget(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p: DeleteParams = ctx.params()?;
    let table = table(&p.table)?;
    Ok(StepOut::done().batch(gureum_store::forget_row(table, ctx.target_id)))
}

/// A failed create or delete leaves the row in `Error` with the reason; the user can
/// delete it (again).
async fn mark_error(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let (table, gone) = match ctx.params::<CreateParams>() {
        Ok(p) => (table(&p.table)?, false),
        Err(_) => {
            let p = ctx.params::<DeleteParams>()?;
            (table(&p.table)?, deleted_at_provider(&ctx, &p).await)
        }
    };
    let reason = match &failure.undo_error {
        Some(_) => format!("{} (some provider resources may remain; deleting retries the cleanup)", failure.error),
        None => failure.error,
    };
    let mut update = Update::table(table, ctx.target_id)
        .set(common::STATE, "Error")
        .set(common::STATE_REASON, reason)
        .set(common::OP_ID, Val::Null)
        .guard(common::OP_ID, ctx.workflow_id)
        .lenient();
    // A delete that failed after the provider removed the resource: the row must not
    // point at what is gone (deleting it again only forgets it).
    if gone {
        update = update.set(common::PROVIDER_ID, Val::Null);
    }
    Ok(update.stmt(now()).into())
}

async fn deleted_at_provider(ctx: &StepCtx, p: &DeleteParams) -> bool {
    let (Some(id), Ok(cloud)) = (&p.provider_id, ctx.engine.cloud_on(p.connection_id, p.node_id).await) else {
        return false;
    };
    matches!(cloud.get(p.kind, id).await, Err(DriverError::NotFound { .. }))
}

/// Rows the generic workflows create and delete.
pub(crate) trait GenericRow: Record {
    /// What users call the resource (`vpc`, `key pair`).
    const LABEL: &'static str;
    const KIND: ResourceKind;
    fn id(&self) -> Uuid;
    fn name(&self) -> &str;
    fn connection_id(&self) -> Uuid;
    fn generation(&self) -> i64;
    fn provider_id(&self) -> Option<String>;
    /// The operation the row was inserted with.
    fn op_id(&self) -> Option<Uuid>;
    /// The node of the pool whose host holds it, for what lives on one.
    fn node_id(&self) -> Option<Uuid> {
        None
    }
}

macro_rules! generic_row {
    ($rec:ty, $label:literal, $kind:ident $(, connection: |$r:ident| $conn:expr)? $(, home: $home:ident)?) => {
        impl GenericRow for $rec {
            const LABEL: &'static str = $label;
            const KIND: ResourceKind = ResourceKind::$kind;
            fn id(&self) -> Uuid {
                self.id
            }
            fn name(&self) -> &str {
                &self.name
            }
            generic_row!(@connection $($r $conn)?);
            fn generation(&self) -> i64 {
                self.generation
            }
            fn provider_id(&self) -> Option<String> {
                self.provider_id.clone()
            }
            fn op_id(&self) -> Option<Uuid> {
                self.op_id
            }
            $(
                fn node_id(&self) -> Option<Uuid> {
                    self.$home
                }
            )?
        }
    };
    (@connection) => {
        fn connection_id(&self) -> Uuid {
            self.connection_id
        }
    };
    (@connection $r:ident $conn:expr) => {
        fn connection_id(&self) -> Uuid {
            let $r = self;
            $conn
        }
    };
}

generic_row!(gureum_store::VpcRecord, "vpc", Vpc);
generic_row!(gureum_store::SubnetRecord, "subnet", Subnet);
generic_row!(gureum_store::SecurityGroupRecord, "security group", SecurityGroup);
generic_row!(gureum_store::KeyPairRecord, "key pair", KeyPair);
generic_row!(gureum_store::PublicIpRecord, "public IP", PublicIp, home: node_id);
generic_row!(gureum_store::VolumeRecord, "volume", Disk, home: node_id);
generic_row!(gureum_store::SnapshotRecord, "snapshot", Snapshot, home: node_id);
// Only project images are ever deleted this way, and they always have a connection.
generic_row!(gureum_store::ImageRecord, "image", Image, connection: |r| r.connection_id.unwrap_or_default());

impl crate::Engine {
    fn generic_op<R: GenericRow>(
        &self,
        ctx: &crate::OpContext,
        scope: &crate::ProjectScope,
        row: &R,
        op_id: Uuid,
        def: &'static WorkflowDef,
        params: serde_json::Value,
    ) -> gureum_store::WorkflowRecord {
        let target = crate::workflow::operations::Target { kind: R::LABEL, id: row.id(), name: row.name() };
        let spec = crate::workflow::operations::OpSpec { id: op_id, def, target, params, after: None };
        self.new_op(ctx, scope, spec)
    }

    /// Inserts `row` (whose `op_id` names the operation, with `extra` statements in the
    /// same transaction) and starts creating it at the provider; the row shows
    /// `settled_state` once the provider resource has settled.
    pub(crate) async fn start_create<R: GenericRow>(
        &self,
        ctx: &crate::OpContext,
        scope: &crate::ProjectScope,
        row: &R,
        spec: CreateSpec,
        settled_state: &str,
        extra: Batch,
    ) -> crate::Result<()> {
        self.precheck(row.connection_id(), spec.kind(), None).await?;
        let op_id = row.op_id().expect("a new row names its operation");
        let params = CreateParams {
            table: R::TABLE.to_string(),
            connection_id: row.connection_id(),
            spec,
            settled_state: settled_state.to_string(),
            node_id: row.node_id(),
        };
        let op =
            self.generic_op(ctx, scope, row, op_id, &RESOURCE_CREATE, serde_json::to_value(params).expect("params"));
        let mut batch = Batch::from(row.insert());
        batch.extend(extra);
        self.remember_name(row.id(), row.name());
        self.launch(op, batch).await.map_err(crate::workflow::operations::name_taken(R::LABEL, row.name()))
    }

    /// Marks `row` `deleting_state` (if it is still at the generation read, with nothing
    /// running) and starts removing it at the provider. Returns the operation id.
    pub(crate) async fn start_delete<R: GenericRow>(
        &self,
        ctx: &crate::OpContext,
        scope: &crate::ProjectScope,
        row: &R,
        deleting_state: &str,
    ) -> crate::Result<Uuid> {
        let op_id = gureum_store::new_id();
        let params = DeleteParams {
            table: R::TABLE.to_string(),
            connection_id: row.connection_id(),
            kind: R::KIND,
            provider_id: row.provider_id(),
            node_id: row.node_id(),
        };
        let op =
            self.generic_op(ctx, scope, row, op_id, &RESOURCE_DELETE, serde_json::to_value(params).expect("params"));
        let mark = Update::table(R::TABLE, row.id())
            .set(common::STATE, deleting_state)
            .set(common::STATE_REASON, Val::Null)
            .set(common::OP_ID, op_id)
            .guard(common::GENERATION, row.generation())
            .guard(common::OP_ID, Val::Null);
        self.launch(op, mark.stmt(now()).into()).await?;
        Ok(op_id)
    }
}
