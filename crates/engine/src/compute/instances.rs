//! Instances: read, list, delete, console output. Create is in `instance_create`,
//! actions in `instance_actions`, workflows in `instance_workflows`.

use crate::compute::instance_workflows::{INSTANCE_DELETE, InstanceParams};
use crate::views::{links as links_of, project_path, ts, ts_opt};
use crate::workflow::operations::Target;
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{ConsoleLog, Instance, InstancePublicIp, ListQuery, Page};
use gureum_driver::ProviderResource;
use gureum_model::authz::Permission;
use gureum_model::instance::{InstanceAction, InstanceState};
use gureum_store::record::common;
use gureum_store::{
    Batch, ConnectionRecord, ImageRecord, InstanceRecord, InstanceTypeRecord, Key, KeyPairRecord, NodeAllocationRecord,
    NodeRecord, SecurityGroupRecord, Store, SubnetRecord, Update, Val, VpcRecord, new_id, now,
};
use uuid::Uuid;

/// A VM as the provider describes it, as an instance's provider view records it.
pub(crate) fn provider_view_json(vm: &ProviderResource) -> String {
    serde_json::json!({"id": vm.id, "status": vm.status.as_str(), "attributes": vm.attrs}).to_string()
}

impl Engine {
    pub(crate) async fn instance_view(&self, r: InstanceRecord) -> Result<Instance> {
        Ok(self.instance_views(vec![r]).await?.pop().expect("one view per row"))
    }

    /// Views of several instances with two queries for all of them (security groups and
    /// public IPs), so a page costs the same few round trips whatever its size.
    pub(crate) async fn instance_views(&self, rows: Vec<InstanceRecord>) -> Result<Vec<Instance>> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let links = self.store().instances_security_groups(&ids).await?;
        let mut ips = self.store().instances_public_ips(&ids).await?;
        let allocations = self.store().instances_allocations(&ids).await?;
        let nodes = self.nodes_of(&allocations).await?;
        let persistent = self.persistent_vms_of(&rows).await?;
        let t = now();
        let mut views = Vec::with_capacity(rows.len());
        for r in rows {
            let mut security_groups = vec![];
            for (_, sg) in links.iter().filter(|(i, _)| *i == r.id) {
                security_groups.push(self.name_of::<SecurityGroupRecord>(*sg).await);
            }
            let public_ip = ips
                .iter()
                .position(|ip| ip.instance_id == Some(r.id))
                .map(|at| ips.swap_remove(at))
                .map(|ip| InstancePublicIp { name: ip.name, address: ip.address, kind: ip.kind });
            let node = allocations
                .iter()
                .find(|a| a.instance_id == r.id)
                .and_then(|a| nodes.iter().find(|n| n.id == a.node_id));
            let lean = self.persistent_fields(persistent.iter().find(|p| p.id == r.id)).await;
            views.push(Instance {
                template: lean.template,
                template_version: lean.template_version,
                software_stack: lean.software_stack,
                environment: lean.environment,
                customer: lean.customer,
                node: node.map(|n| n.name.clone()),
                node_state: node.map(|n| self.node_state(n, t)),
                links: links_of(project_path(r.project_id, "instances", r.id), r.op_id.map(|o| (r.project_id, o))),
                instance_type: self.name_of::<InstanceTypeRecord>(r.instance_type_id).await,
                image: self.name_of::<ImageRecord>(r.image_id).await,
                connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
                vpc: self.name_of::<VpcRecord>(r.vpc_id).await,
                subnet: self.name_of::<SubnetRecord>(r.subnet_id).await,
                key_pair: self.name_of_opt::<KeyPairRecord>(r.key_pair_id).await,
                allowed_actions: r.state.allowed_actions(r.op_id.is_some()),
                security_groups,
                public_ip,
                id: r.id,
                name: r.name,
                state: r.state,
                state_reason: r.state_reason,
                zone: r.zone,
                public_ip_mode: r.public_ip_mode,
                private_ip: r.private_ip,
                operation_id: r.op_id,
                created_at: ts(r.created_at),
                updated_at: ts(r.updated_at),
                launched_at: ts_opt(r.launched_at),
                provider: None,
            });
        }
        Ok(views)
    }

    pub(crate) async fn instance_record(&self, scope: &ProjectScope, key: &str) -> Result<InstanceRecord> {
        self.store()
            .get::<InstanceRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("instance", key))
    }

    /// The nodes instances are placed on, for their views.
    async fn nodes_of(&self, allocations: &[NodeAllocationRecord]) -> Result<Vec<NodeRecord>> {
        let mut nodes: Vec<NodeRecord> = vec![];
        for a in allocations {
            if !nodes.iter().any(|n| n.id == a.node_id)
                && let Some(n) = self.store().get_by_id::<NodeRecord>(a.node_id).await?
            {
                nodes.push(n);
            }
        }
        Ok(nodes)
    }

    /// An instance with the provider's last view of its VM. Never calls the provider: the
    /// view is what the workflows and the reconciler last recorded, with when it was seen.
    pub async fn instance_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let rec = self.instance_record(&scope, key).await?;
        let seen = self.store().provider_view(rec.id).await?;
        let mut view = self.instance_view(rec).await?;
        if let Some(seen) = seen {
            let mut provider: serde_json::Value = serde_json::from_str(&seen.view)
                .map_err(|e| Error::Internal(format!("a stored provider view does not parse: {e}")))?;
            provider["seen_at"] = ts(seen.seen_at).into();
            view.provider = Some(provider);
        }
        Ok(view)
    }

    pub async fn instance_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<Instance>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let (rows, next_cursor) =
            self.list_rows::<InstanceRecord, InstanceState>(scope.filter().to_vec(), q, |r| r.id).await?;
        Ok(Page { items: self.instance_views(rows).await?, next_cursor })
    }

    /// Deletes an instance from any state but `Deleting`, interrupting a running task.
    pub async fn instance_delete(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        delete_volumes: bool,
    ) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let params = InstanceParams {
            connection_id: inst.connection_id,
            final_state: InstanceState::Deleting,
            resize_to: None,
            delete_volumes,
            image_id: None,
            hard: false,
            provider_spec: None,
        };
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Delete, &INSTANCE_DELETE, params, Batch::new())
            .await
    }

    pub async fn instance_console_log(&self, ctx: &OpContext, project: &str, key: &str) -> Result<ConsoleLog> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let inst = self.instance_record(&scope, key).await?;
        let vm = inst.provider_id.as_deref().ok_or_else(|| {
            Error::Conflict(format!("instance {} has no VM now ({}), so no console", inst.name, inst.state))
        })?;
        let output = self.instance_cloud(inst.connection_id, inst.id).await?.console_log(vm).await?;
        Ok(ConsoleLog { instance: inst.name, output })
    }

    /// Checks `action` against the transition table and starts `def`: the instance enters
    /// the action's transitional state in the same transaction that records the workflow.
    /// An interrupting action (delete, hard reboot of a stuck reboot) cancels the running
    /// workflow and starts after it has unwound.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_instance_workflow(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        inst: InstanceRecord,
        action: InstanceAction,
        def: &'static crate::workflow::WorkflowDef,
        params: InstanceParams,
        extra: Batch,
    ) -> Result<Instance> {
        let busy = inst.op_id.map(|o| o.to_string());
        let transition = inst.state.check(action, busy.as_deref())?;
        // Its provider is out of reach: the action would only fail, and its failure
        // would put the instance in Error for what is the node's outage.
        if let Some(node) = self.instance_node(inst.id).await?
            && self.node_state(&node, now()) == gureum_model::node::NodeState::Unreachable
        {
            return Err(Error::Conflict(format!(
                "instance {} is on node {}, which is unreachable; retry when it is ready",
                inst.name, node.name
            )));
        }
        let op_id = new_id();
        let t = now();
        let mut update = Update::<InstanceRecord>::of(inst.id)
            .set(common::OP_ID, op_id)
            .set(common::STATE_REASON, Val::Null)
            .guard(common::GENERATION, inst.generation);
        if inst.state.is_settled() && inst.state != InstanceState::Resized && transition.enters != inst.state {
            update = update.set(InstanceRecord::return_state, inst.state.as_str());
        }
        // A preempted workflow's row is locked first: its own commits lock it before the
        // instance's, and the other order deadlocks against them (PostgreSQL).
        let mut batch = Batch::new();
        let after = if transition.preempts {
            let running = inst.op_id.expect("preempting needs a running operation");
            batch.push(Store::workflow_cancel(running));
            Some(running)
        } else {
            None
        };
        batch.extend(Store::instance_set_state(update, inst.id, transition.enters, t));
        batch.extend(extra);
        let op = self.new_op(
            ctx,
            scope,
            crate::workflow::operations::OpSpec {
                id: op_id,
                def,
                target: Target { kind: "instance", id: inst.id, name: &inst.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after,
            },
        );
        self.launch(op, batch).await?;
        let fresh = InstanceRecord { state: transition.enters, op_id: Some(op_id), state_reason: None, ..inst };
        self.instance_view(fresh).await
    }
}
