//! Starting a workflow on a resource that already exists (attach, detach, extend, snapshot,
//! upload…). Every such action does the same thing, so it is written once: the resource
//! enters its transitional state with its old error cleared and the operation recorded,
//! guarded by the generation the caller checked, in the same transaction as the workflow.

use crate::iam::authz::ProjectScope;
use crate::workflow::WorkflowDef;
use crate::workflow::operations::{OpSpec, Target};
use crate::{Engine, OpContext};
use gureum_store::record::common;
use gureum_store::record::{ColumnOf, Resource};
use gureum_store::{Batch, DbError, Update, Val, now};
use serde::Serialize;
use uuid::Uuid;

/// A workflow about to start on an existing resource of type `R`.
pub(crate) struct ResourceStart<'a, R, P> {
    /// The operation's id (chosen by the caller, as rows in `extra` may name it).
    pub id: Uuid,
    pub def: &'static WorkflowDef,
    pub target: Target<'a>,
    /// The generation the caller validated the resource's state at.
    pub generation: i64,
    /// The transitional state the resource shows from now on.
    pub enters: &'static str,
    pub params: P,
    /// More columns the resource takes as it enters (e.g. the instance it attaches to).
    pub set: Vec<(&'a (dyn ColumnOf<R> + Sync), Val)>,
    /// Other rows written in the same transaction (e.g. the snapshot row being made).
    pub extra: Batch,
}

impl Engine {
    /// Starts `start.def` on the resource.
    pub(crate) async fn start_resource_workflow<R: Resource, P: Serialize>(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        start: ResourceStart<'_, R, P>,
    ) -> Result<(), DbError> {
        let op_id = start.id;
        let mut update = Update::<R>::of(start.target.id)
            .set(common::STATE, start.enters)
            // A new action's outcome replaces the reason the last one left.
            .set(common::STATE_REASON, Val::Null)
            .set(common::OP_ID, op_id)
            .guard(common::GENERATION, start.generation);
        for (column, value) in start.set {
            update = update.set(column, value);
        }
        let mut batch = Batch::from(update.stmt(now()));
        batch.extend(start.extra);
        let op = self.new_op(
            ctx,
            scope,
            OpSpec {
                id: op_id,
                def: start.def,
                target: start.target,
                params: serde_json::to_value(start.params).expect("params serialize"),
                after: None,
            },
        );
        self.launch(op, batch).await
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::TestEngine;
    use crate::workflow::upgrade::tests::available_volume;
    use gureum_api_types::{SnapshotCreate, VolumeExtend};
    use gureum_model::volume::VolumeState;
    use gureum_store::record::common;
    use gureum_store::{Update, VolumeRecord, now};
    use std::time::Duration;

    async fn with_old_error(t: &TestEngine, v: &VolumeRecord) {
        let update = Update::<VolumeRecord>::of(v.id).set(common::STATE_REASON, "an earlier action failed");
        t.engine.store().write(update.stmt(now())).await.unwrap();
    }

    async fn settled(t: &TestEngine, v: &VolumeRecord) -> VolumeRecord {
        for _ in 0..600 {
            let r = t.engine.store().get_by_id::<VolumeRecord>(v.id).await.unwrap().unwrap();
            if r.op_id.is_none() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("volume {} never settled", v.name);
    }

    /// Every action started through the shared starter clears the reason the last one
    /// left (a snapshot used to keep it).
    #[tokio::test(flavor = "multi_thread")]
    async fn starting_an_action_clears_the_old_error() {
        let t = TestEngine::start(gureum_sim::registry()).await;
        t.project("p").await;
        let v = available_volume(&t, "v").await;

        with_old_error(&t, &v).await;
        let req = SnapshotCreate { name: "s".into() };
        t.engine.snapshot_create(&t.admin, "p", "v", req).await.expect("snapshot");
        let after = settled(&t, &v).await;
        assert_eq!((after.state, after.state_reason), (VolumeState::Available, None));

        with_old_error(&t, &v).await;
        let shown = t.engine.volume_extend(&t.admin, "p", "v", VolumeExtend { size_gb: 20 }).await.expect("extend");
        assert_eq!(shown.state_reason, None);
        let after = settled(&t, &v).await;
        assert_eq!((after.state, after.state_reason, after.size_gb), (VolumeState::Available, None, 20));
    }
}
