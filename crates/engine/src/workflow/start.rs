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
