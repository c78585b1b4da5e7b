//! Public IPs. Static ones are allocated here (a project admin's "public IP
//! configuration"), attached to and detached from instances, and released. Ephemeral ones
//! are made and released by their instance's workflows.

use crate::views::{links, project_path, ts};
use crate::workflow::operations::Target;
use crate::workflow::start::ResourceStart;
use crate::workflow::{Failure, StepCtx, StepDef, StepError, StepOut, WorkflowDef};
use crate::{Engine, Error, OpContext, ProjectScope, Result, on_failure, step};
use gureum_api_types::{ListQuery, Page, PublicIp, PublicIpAttach, PublicIpCreate};
use gureum_driver::{CreateSpec, ResourceKind};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::{PublicIpAction, PublicIpKind, PublicIpState};
use gureum_store::record::common;
use gureum_store::{Batch, ConnectionRecord, InstanceRecord, Key, PublicIpRecord, Update, Val, new_id, now};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IpParams {
    connection_id: Uuid,
    instance_id: Uuid,
}

fn ip_show(target: Uuid, workflow: Uuid, state: &'static str, now: i64) -> Batch {
    Update::<PublicIpRecord>::of(target).set(common::STATE, state).guard(common::OP_ID, workflow).stmt(now).into()
}

pub(crate) static PUBLIC_IP_ATTACH: WorkflowDef = WorkflowDef {
    kind: "public_ip_attach",
    steps: &[
        StepDef::showing("associate", PublicIpState::Attaching.as_str(), step!(associate), Some(step!(disassociate))),
        StepDef::new("settle", step!(settle_attached), None),
    ],
    on_failure: on_failure!(ip_failed),
    show: Some(ip_show),
    version: 1,
    renames: &[],
};

pub(crate) static PUBLIC_IP_DETACH: WorkflowDef = WorkflowDef {
    kind: "public_ip_detach",
    steps: &[
        StepDef::showing("disassociate", PublicIpState::Detaching.as_str(), step!(disassociate), None),
        StepDef::new("settle", step!(settle_detached), None),
    ],
    on_failure: on_failure!(ip_failed),
    show: Some(ip_show),
    version: 1,
    renames: &[],
};

impl Engine {
    async fn public_ip_view(&self, r: PublicIpRecord) -> PublicIp {
        PublicIp {
            links: links(project_path(r.project_id, "public-ips", r.id), r.op_id.map(|o| (r.project_id, o))),
            connection: self.name_of::<ConnectionRecord>(r.connection_id).await,
            instance: self.name_of_opt::<InstanceRecord>(r.instance_id).await,
            node: self.name_of_opt::<gureum_store::NodeRecord>(r.node_id).await,
            id: r.id,
            name: r.name,
            kind: r.kind,
            address: r.address,
            state: r.state,
            state_reason: r.state_reason,
            operation_id: r.op_id,
            created_at: ts(r.created_at),
        }
    }

    async fn public_ip_record(&self, scope: &ProjectScope, key: &str) -> Result<PublicIpRecord> {
        self.store()
            .get::<PublicIpRecord>(&scope.filter(), &Key::parse(key))
            .await?
            .ok_or_else(|| Error::not_found("public IP", key))
    }

    pub async fn public_ip_create(&self, ctx: &OpContext, project: &str, req: PublicIpCreate) -> Result<PublicIp> {
        let scope = self.authorize(ctx, project, Permission::ManagePublicIps).await?;
        let name = Name::parse("name", &req.name)?;
        let conn = self.resolve_connection(req.connection.as_deref()).await?;
        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = PublicIpRecord {
            id,
            project_id: scope.id,
            name: name.to_string(),
            connection_id: conn.id,
            provider_id: None,
            kind: PublicIpKind::Static,
            address: None,
            instance_id: None,
            state: PublicIpState::Allocating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            node_id: self.home_for_new(conn.id).await?,
        };
        let spec = CreateSpec::PublicIp { name: rec.name.clone(), tag: id.to_string(), zone: conn.zone.clone() };
        self.start_create(ctx, &scope, &rec, spec, PublicIpState::Available.as_str(), gureum_store::Batch::new())
            .await?;
        Ok(self.public_ip_view(rec).await)
    }

    pub async fn public_ip_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<PublicIp> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        Ok(self.public_ip_view(self.public_ip_record(&scope, key).await?).await)
    }

    pub async fn public_ip_list(&self, ctx: &OpContext, project: &str, q: &ListQuery) -> Result<Page<PublicIp>> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        self.list_views::<PublicIpRecord, PublicIpState, _, _>(
            scope.filter().to_vec(),
            q,
            |r| r.id,
            |r| self.public_ip_view(r),
        )
        .await
    }

    /// A user action on a static IP: ephemeral ones belong to their instance.
    async fn static_ip(
        &self,
        scope: &ProjectScope,
        key: &str,
        action: PublicIpAction,
    ) -> Result<(PublicIpRecord, PublicIpState)> {
        let r = self.public_ip_record(scope, key).await?;
        if r.kind == PublicIpKind::Ephemeral {
            return Err(Error::Conflict(format!(
                "public IP {} is ephemeral: it comes and goes with its instance and cannot be {}ed by hand",
                r.name,
                action.as_str().trim_end_matches('e')
            )));
        }
        if r.op_id.is_some() {
            return Err(Error::Conflict(format!("public IP {} has an operation in progress", r.name)));
        }
        let enters = r.state.check(action)?;
        Ok((r, enters))
    }

    pub async fn public_ip_delete(&self, ctx: &OpContext, project: &str, key: &str) -> Result<PublicIp> {
        let scope = self.authorize(ctx, project, Permission::ManagePublicIps).await?;
        let (r, enters) = self.static_ip(&scope, key, PublicIpAction::Release).await?;
        let op = self.start_delete(ctx, &scope, &r, enters.as_str()).await?;
        Ok(self.public_ip_view(PublicIpRecord { state: enters, op_id: Some(op), ..r }).await)
    }

    pub async fn public_ip_attach(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        req: PublicIpAttach,
    ) -> Result<PublicIp> {
        let scope = self.authorize(ctx, project, Permission::ManagePublicIps).await?;
        let (r, enters) = self.static_ip(&scope, key, PublicIpAction::Attach).await?;
        let inst = self
            .store()
            .get::<InstanceRecord>(&scope.filter(), &Key::parse(&req.instance))
            .await?
            .ok_or_else(|| Error::invalid("instance", format!("no instance {:?} in this project", req.instance)))?;
        if !matches!(inst.state, InstanceState::Active | InstanceState::Stopped)
            || inst.op_id.is_some()
            || inst.provider_id.is_none()
        {
            return Err(Error::Conflict(format!(
                "instance {} is {}; a public IP attaches to an Active or Stopped instance with no operation in progress",
                inst.name, inst.state
            )));
        }
        if inst.connection_id != r.connection_id {
            return Err(Error::invalid("instance", format!("instance {} is in another connection", inst.name)));
        }
        self.check_same_node(&r, &inst).await?;
        if self.store().count::<PublicIpRecord>(&[("instance_id", inst.id.into())]).await? > 0 {
            return Err(Error::Conflict(format!("instance {} already has a public IP", inst.name)));
        }
        let params = IpParams { connection_id: r.connection_id, instance_id: inst.id };
        self.start_ip_workflow(ctx, &scope, r, enters, &PUBLIC_IP_ATTACH, params, Some(inst.id)).await
    }

    pub async fn public_ip_detach(&self, ctx: &OpContext, project: &str, key: &str) -> Result<PublicIp> {
        let scope = self.authorize(ctx, project, Permission::ManagePublicIps).await?;
        let (r, enters) = self.static_ip(&scope, key, PublicIpAction::Detach).await?;
        let instance_id =
            r.instance_id.ok_or_else(|| Error::Conflict(format!("public IP {} is not attached", r.name)))?;
        let params = IpParams { connection_id: r.connection_id, instance_id };
        self.start_ip_workflow(ctx, &scope, r, enters, &PUBLIC_IP_DETACH, params, None).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn start_ip_workflow(
        &self,
        ctx: &OpContext,
        scope: &ProjectScope,
        r: PublicIpRecord,
        enters: PublicIpState,
        def: &'static WorkflowDef,
        params: IpParams,
        set_instance: Option<Uuid>,
    ) -> Result<PublicIp> {
        let op_id = new_id();
        let start = ResourceStart {
            id: op_id,
            def,
            target: Target { kind: "public IP", id: r.id, name: &r.name },
            generation: r.generation,
            enters: enters.as_str(),
            params,
            set: set_instance.map(|i| (&PublicIpRecord::instance_id as _, i.into())).into_iter().collect(),
            extra: Batch::new(),
        };
        self.start_resource_workflow::<PublicIpRecord, _>(ctx, scope, start).await?;
        Ok(self
            .public_ip_view(PublicIpRecord {
                state: enters,
                state_reason: None,
                op_id: Some(op_id),
                instance_id: set_instance.or(r.instance_id),
                ..r
            })
            .await)
    }
}

impl Engine {
    /// A public IP of a pool's node is a port of that node's host: it can only forward to
    /// an instance on the same node.
    async fn check_same_node(&self, ip: &PublicIpRecord, inst: &InstanceRecord) -> Result<()> {
        let node = self.instance_node(inst.id).await?;
        if ip.node_id.is_none() || ip.node_id == node.as_ref().map(|n| n.id) {
            return Ok(());
        }
        let name = |id: Option<Uuid>| async move {
            match id {
                Some(id) => self.name_of::<gureum_store::NodeRecord>(id).await,
                None => "the server's host".to_string(),
            }
        };
        Err(Error::Conflict(format!(
            "public IP {} is a port of node {}'s host and instance {} runs on node {}; \
             a public IP forwards only to instances on its own node",
            ip.name,
            name(ip.node_id).await,
            inst.name,
            name(node.map(|n| n.id)).await
        )))
    }
}

/// The IP, the VM of the instance the workflow is about, and the cloud that holds the IP.
struct IpStep {
    params: IpParams,
    ip: PublicIpRecord,
    vm: Option<String>,
    cloud: crate::Cloud,
}

async fn ip_step(ctx: &StepCtx) -> Result<IpStep, StepError> {
    let p: IpParams = ctx.params()?;
    let ip = ctx
        .engine
        .store()
        .get_by_id::<PublicIpRecord>(ctx.target_id)
        .await?
        .ok_or_else(|| StepError::Fail("the IP is gone".into()))?;
    let vm = crate::storage::volume_workflows::attached_vm(ctx, Some(p.instance_id)).await?;
    let cloud = ctx.engine.cloud_on(p.connection_id, ip.node_id).await?;
    Ok(IpStep { params: p, ip, vm, cloud })
}

async fn associate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let IpStep { ip, vm, cloud, .. } = ip_step(&ctx).await?;
    let vm = vm.ok_or_else(|| StepError::Fail("the instance has no VM".into()))?;
    let pid = ip.provider_id.ok_or_else(|| StepError::Fail("the IP has no provider address".into()))?;
    cloud.public_ip_attach(&pid, &vm).await?;
    Ok(StepOut::done())
}

async fn disassociate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let IpStep { ip, vm, cloud, .. } = ip_step(&ctx).await?;
    if let (Some(pid), Some(vm)) = (ip.provider_id, vm) {
        cloud.public_ip_detach(&pid, &vm).await?;
    }
    Ok(StepOut::done())
}

async fn settle_attached(ctx: StepCtx) -> Result<StepOut, StepError> {
    settle(ctx, true).await
}

async fn settle_detached(ctx: StepCtx) -> Result<StepOut, StepError> {
    settle(ctx, false).await
}

async fn settle(ctx: StepCtx, attached: bool) -> Result<StepOut, StepError> {
    let state = if attached { PublicIpState::InUse } else { PublicIpState::Available };
    let mut update = Update::<PublicIpRecord>::of(ctx.target_id)
        .set(common::STATE, state.as_str())
        .set(common::OP_ID, Val::Null)
        .guard(common::OP_ID, ctx.workflow_id);
    if !attached {
        update = update.set(PublicIpRecord::instance_id, Val::Null);
    }
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

async fn ip_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let IpStep { params: p, ip, vm, cloud } = ip_step(&ctx).await?;
    // What the provider says decides where the IP is.
    let attached_to = match &ip.provider_id {
        Some(pid) => cloud
            .get(ResourceKind::PublicIp, pid)
            .await
            .ok()
            .and_then(|r| r.attr_str("attached_to").map(str::to_string)),
        None => None,
    };
    let attached = attached_to.is_some() && attached_to == vm;
    let update = Update::<PublicIpRecord>::of(ip.id)
        .set(common::STATE, if attached { PublicIpState::InUse.as_str() } else { PublicIpState::Available.as_str() })
        .set(PublicIpRecord::instance_id, if attached { Val::from(p.instance_id) } else { Val::Null })
        .set(common::STATE_REASON, failure.error)
        .set(common::OP_ID, Val::Null)
        .lenient();
    Ok(update.stmt(now()).into())
}
