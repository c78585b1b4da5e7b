//! Volume snapshots. Taking one is a volume workflow (the volume shows `Backing-Up`);
//! deleting one is the generic delete.

use crate::storage::volume_workflows::{settled_state, snapshot_failed, volume_show};
use crate::views::{links, project_path, ts};
use crate::workflow::operations::Target;
use crate::workflow::start::ResourceStart;
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Engine, Error, OpContext, Result, on_failure, step};
use gureum_api_types::{ListQuery, Page, Snapshot, SnapshotCreate};
use gureum_driver::{CreateSpec, ProviderStatus, ResourceKind};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeAction, VolumeState};
use gureum_store::record::common;
use gureum_store::{Batch, Key, Record, SnapshotRecord, Update, Val, VolumeRecord, new_id, now};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// volume_snapshot's parameters: the snapshot row being made. (Older binaries stored a
/// superset of these fields, which still reads.)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SnapshotParams {
    pub connection_id: Uuid,
    #[serde(default)]
    pub instance_id: Option<Uuid>,
    pub snapshot_id: Uuid,
}

/// What `snapshot_create` made at the provider (kept for its undo).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotMade {
    snapshot: String,
}

pub(crate) static VOLUME_SNAPSHOT: WorkflowDef = WorkflowDef {
    kind: "volume_snapshot",
    steps: &[
        StepDef::showing(
            "snapshot_create",
            VolumeState::BackingUp.as_str(),
            step!(snapshot_create),
            Some(step!(snapshot_create_undo)),
        ),
        StepDef::new("snapshot_wait", step!(snapshot_wait), None),
    ],
    on_failure: on_failure!(snapshot_create_failed),
    show: Some(volume_show),
    version: 1,
    renames: &[],
};

impl Engine {
    async fn snapshot_view(&self, r: SnapshotRecord) -> Snapshot {
        Snapshot {
            links: links(
                format!("{}/snapshots/{}", project_path(r.project_id, "volumes", r.volume_id), r.id),
                r.op_id.map(|o| (r.project_id, o)),
            ),
            volume: self.name_of::<VolumeRecord>(r.volume_id).await,
            id: r.id,
            name: r.name,
            size_gb: r.size_gb,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    pub async fn snapshot_create(
        &self,
        ctx: &OpContext,
        project: &str,
        volume: &str,
        req: SnapshotCreate,
    ) -> Result<Snapshot> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let v = self.volume_record(&scope, volume).await?;
        if v.op_id.is_some() {
            return Err(Error::Conflict(format!("volume {} has an operation in progress", v.name)));
        }
        let enters = v.state.check(VolumeAction::Snapshot)?;
        let (t, op_id) = (now(), new_id());
        let snap = SnapshotRecord {
            id: new_id(),
            project_id: scope.id,
            volume_id: v.id,
            name: name.to_string(),
            connection_id: v.connection_id,
            provider_id: None,
            size_gb: v.size_gb,
            state: LifecycleState::Creating,
            state_reason: None,
            // The snapshot shows the operation that makes it, as every creating resource does.
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            node_id: v.node_id,
        };
        self.remember_name(snap.id, &snap.name);
        let params =
            SnapshotParams { connection_id: v.connection_id, instance_id: v.instance_id, snapshot_id: snap.id };
        let start = ResourceStart {
            id: op_id,
            def: &VOLUME_SNAPSHOT,
            target: Target { kind: "volume", id: v.id, name: &v.name },
            generation: v.generation,
            enters: enters.as_str(),
            params,
            set: vec![],
            extra: snap.insert().into(),
        };
        let started = self.start_resource_workflow::<VolumeRecord, _>(ctx, &scope, start).await;
        started.map_err(crate::workflow::operations::name_taken("snapshot", &snap.name))?;
        Ok(self.snapshot_view(snap).await)
    }

    pub async fn snapshot_list(
        &self,
        ctx: &OpContext,
        project: &str,
        volume: &str,
        q: &ListQuery,
    ) -> Result<Page<Snapshot>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let v = self.volume_record(&scope, volume).await?;
        self.list_views::<SnapshotRecord, LifecycleState, _, _>(
            vec![("volume_id", v.id.into())],
            q,
            |r| r.id,
            |r| self.snapshot_view(r),
        )
        .await
    }

    async fn snapshot_record(
        &self,
        ctx: &OpContext,
        project: &str,
        volume: &str,
        key: &str,
        permission: Permission,
    ) -> Result<(crate::ProjectScope, SnapshotRecord)> {
        let scope = self.authorize(ctx, project, permission).await?;
        let v = self.volume_record(&scope, volume).await?;
        let s = self
            .store()
            .get::<SnapshotRecord>(&[("volume_id", v.id.into())], &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("snapshot", key))?;
        Ok((scope, s))
    }

    pub async fn snapshot_get(&self, ctx: &OpContext, project: &str, volume: &str, key: &str) -> Result<Snapshot> {
        let (_, s) = self.snapshot_record(ctx, project, volume, key, Permission::View).await?;
        Ok(self.snapshot_view(s).await)
    }

    pub async fn snapshot_delete(&self, ctx: &OpContext, project: &str, volume: &str, key: &str) -> Result<Snapshot> {
        let (scope, s) = self.snapshot_record(ctx, project, volume, key, Permission::ManageResources).await?;
        if !s.state.deletable() || s.op_id.is_some() {
            return Err(Error::Conflict(format!("snapshot {} is {}; wait until it is Available", s.name, s.state)));
        }
        let op = self.start_delete(ctx, &scope, &s, "Deleting").await?;
        Ok(self.snapshot_view(SnapshotRecord { state: LifecycleState::Deleting, op_id: Some(op), ..s }).await)
    }
}

async fn snapshot_create_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let p: SnapshotParams = ctx.params()?;
    snapshot_failed(ctx, failure, p.snapshot_id).await
}

async fn snapshot_row(ctx: &StepCtx) -> Result<SnapshotRecord, StepError> {
    let p: SnapshotParams = ctx.params()?;
    ctx.engine
        .store()
        .get_by_id::<SnapshotRecord>(p.snapshot_id)
        .await?
        .ok_or_else(|| StepError::Fail("the snapshot row is gone".into()))
}

/// The cloud of the node whose host holds the snapshot (its volume's).
async fn snapshot_cloud(ctx: &StepCtx, snap: &SnapshotRecord) -> Result<crate::Cloud, StepError> {
    Ok(ctx.engine.cloud_on(snap.connection_id, snap.node_id).await?)
}

async fn snapshot_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let snap = snapshot_row(&ctx).await?;
    let v = ctx
        .engine
        .store()
        .get_by_id::<VolumeRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the volume is gone".into()))?;
    let disk = v.provider_id.ok_or_else(|| StepError::Fail("the volume has no disk".into()))?;
    let spec = CreateSpec::Snapshot { name: snap.name.clone(), tag: snap.id.to_string(), disk };
    let r = snapshot_cloud(&ctx, &snap).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = Update::<SnapshotRecord>::of(snap.id).set(common::PROVIDER_ID, r.id.as_str());
    Ok(StepOut::done().typed(&SnapshotMade { snapshot: r.id }).batch(update.stmt(now()).into()))
}

async fn snapshot_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let snap = snapshot_row(&ctx).await?;
    let id = ctx.made(snap.provider_id.clone(), "snapshot_create", |o: SnapshotMade| o.snapshot)?;
    snapshot_cloud(&ctx, &snap)
        .await?
        .ensure_deleted(ResourceKind::Snapshot, id.as_deref(), &snap.id.to_string())
        .await?;
    let update = Update::<SnapshotRecord>::of(snap.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn snapshot_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let snap = snapshot_row(&ctx).await?;
    let pid = snap.provider_id.clone().ok_or_else(|| StepError::Fail("the snapshot was not created".into()))?;
    snapshot_cloud(&ctx, &snap).await?.wait_for(ResourceKind::Snapshot, &pid, &[ProviderStatus::Available]).await?;
    let v = ctx
        .engine
        .store()
        .get_by_id::<VolumeRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the volume is gone".into()))?;
    let state = settled_state(&ctx, &v).await?;
    let t = now();
    let mut batch = Batch::from(
        Update::<SnapshotRecord>::of(snap.id)
            .set(common::STATE, LifecycleState::Available.as_str())
            .set(common::OP_ID, Val::Null)
            .stmt(t),
    );
    batch.push(
        Update::<VolumeRecord>::of(v.id)
            .set(common::STATE, state.as_str())
            .set(common::OP_ID, Val::Null)
            .guard(common::OP_ID, ctx.workflow_id)
            .stmt(t),
    );
    Ok(StepOut::done().batch(batch))
}
