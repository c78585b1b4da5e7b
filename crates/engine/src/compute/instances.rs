//! Instances: create (everything validated before any provider call), read, list,
//! delete, console output. Actions are in `instance_actions`, workflows in
//! `instance_workflows`.

use crate::compute::instance_workflows::{INSTANCE_CREATE, INSTANCE_DELETE, InstanceParams};
use crate::views::{links as links_of, project_path, ts, ts_opt};
use crate::workflow::operations::{Target, name_taken};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{ConsoleLog, Instance, InstanceCreate, InstancePublicIp, ListQuery, Page};
use gureum_driver::ResourceKind;
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::image::ImageState;
use gureum_model::instance::{InstanceAction, InstanceState};
use gureum_model::public_ip::{PublicIpKind, PublicIpMode, PublicIpState};
use gureum_model::state::LifecycleState;
use gureum_model::volume::{VolumeKind, VolumeState, validate_size};
use gureum_store::{
    Batch, ConnectionRecord, ImageRecord, InstanceRecord, InstanceTypeRecord, Key, KeyPairRecord, NodeAllocationRecord,
    NodeRecord, PublicIpRecord, Record, Resources, SecurityGroupRecord, Store, SubnetRecord, Update, Val, VolumeRecord,
    VpcRecord, new_id, now,
};
use uuid::Uuid;

pub const USER_DATA_MAX: usize = 64 * 1024;
/// How long a single instance's GET waits for the provider's view of its VM.
const PROVIDER_VIEW_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// How often a create is placed again after losing a node's last room to another one.
const PLACEMENT_TRIES: usize = 3;

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
            views.push(Instance {
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

    pub async fn instance_create(&self, ctx: &OpContext, project: &str, req: InstanceCreate) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        // A provider spec may carry a disk size (`m1.large_disk100GB`); the instance type is
        // the rest, and the provider is sent the whole spec.
        let (type_name, spec_disk_gb) = gureum_driver::split_disk_spec(&req.instance_type);
        let itype = self.instance_type_for("instance_type", type_name).await?;
        let image = self.image_for("image", scope.id, &req.image).await?;
        if image.state != ImageState::Active {
            return Err(Error::invalid("image", format!("image {} is {}, not Active", image.name, image.state)));
        }
        if image.gpu && itype.gpu.is_none() {
            let gpu_types: Vec<String> =
                self.instance_type_list(ctx).await?.into_iter().filter(|t| t.gpu.is_some()).map(|t| t.name).collect();
            return Err(Error::invalid(
                "instance_type",
                format!("image {} needs an instance type with a GPU: {}", image.name, gpu_types.join(", ")),
            ));
        }
        let subnet = self
            .store()
            .get::<SubnetRecord>(&scope.filter(), &Key::parse(&req.subnet))
            .await?
            .ok_or_else(|| Error::invalid("subnet", format!("no subnet {:?} in this project", req.subnet)))?;
        if subnet.state != LifecycleState::Available {
            return Err(Error::Conflict(format!(
                "subnet {} is {}; wait until it is Available",
                subnet.name, subnet.state
            )));
        }
        if let Some(conn) = image.connection_id
            && conn != subnet.connection_id
        {
            return Err(Error::invalid(
                "image",
                format!("image {} lives in another connection than the subnet", image.name),
            ));
        }
        let mut groups = Vec::with_capacity(req.security_groups.len());
        for (i, g) in req.security_groups.iter().enumerate() {
            let field = format!("security_groups[{i}]");
            let sg = self
                .store()
                .get::<SecurityGroupRecord>(&scope.filter(), &Key::parse(g))
                .await?
                .ok_or_else(|| Error::invalid(&field, format!("no security group {g:?} in this project")))?;
            if sg.vpc_id != subnet.vpc_id {
                return Err(Error::invalid(
                    &field,
                    format!("security group {} is in another VPC than subnet {}", sg.name, subnet.name),
                ));
            }
            if sg.state != LifecycleState::Available {
                return Err(Error::invalid(&field, format!("security group {} is {}", sg.name, sg.state)));
            }
            if groups.iter().any(|x: &SecurityGroupRecord| x.id == sg.id) {
                return Err(Error::invalid(&field, format!("security group {} is listed twice", sg.name)));
            }
            groups.push(sg);
        }
        let key_pair = match &req.key_pair {
            None => None,
            Some(k) => {
                let kp = self
                    .store()
                    .get::<KeyPairRecord>(&scope.filter(), &Key::parse(k))
                    .await?
                    .ok_or_else(|| Error::invalid("key_pair", format!("no key pair {k:?} in this project")))?;
                if kp.connection_id != subnet.connection_id {
                    return Err(Error::invalid("key_pair", format!("key pair {} is in another connection", kp.name)));
                }
                if kp.state != LifecycleState::Available {
                    return Err(Error::invalid("key_pair", format!("key pair {} is {}", kp.name, kp.state)));
                }
                Some(kp)
            }
        };
        let public_ip_mode = req.public_ip.unwrap_or(PublicIpMode::None);
        if public_ip_mode == PublicIpMode::Static && !scope.role.allows(Permission::ManagePublicIps) {
            return Err(Error::Forbidden(format!(
                "your role in project {} is {}, which may not set public IP configuration (static IPs)",
                scope.name, scope.role
            )));
        }
        let mut data_volumes = Vec::with_capacity(req.volumes.len());
        for (i, v) in req.volumes.iter().enumerate() {
            let field = format!("volumes[{i}]");
            let vol = self
                .store()
                .get::<VolumeRecord>(&scope.filter(), &Key::parse(v))
                .await?
                .ok_or_else(|| Error::invalid(&field, format!("no volume {v:?} in this project")))?;
            if vol.state != VolumeState::Available || vol.kind != VolumeKind::Data {
                return Err(Error::invalid(
                    &field,
                    format!("volume {} is {}, not an Available data volume", vol.name, vol.state),
                ));
            }
            if vol.connection_id != subnet.connection_id || vol.zone != subnet.zone {
                return Err(Error::invalid(
                    &field,
                    format!("volume {} is in zone {}, the subnet in {}", vol.name, vol.zone, subnet.zone),
                ));
            }
            if data_volumes.iter().any(|x: &VolumeRecord| x.id == vol.id) {
                return Err(Error::invalid(&field, format!("volume {} is listed twice", vol.name)));
            }
            data_volumes.push(vol);
        }
        let provider_root =
            self.provider_root_disk(subnet.connection_id, image.os_family.as_str(), &subnet.zone).await?;
        let root_size =
            req.root_volume_size_gb.or(provider_root.as_ref().and_then(|r| r.size_gb)).unwrap_or(image.min_disk_gb);
        validate_size("root_volume_size_gb", root_size)?;
        if root_size < image.min_disk_gb || root_size > image.max_disk_gb {
            return Err(Error::invalid(
                "root_volume_size_gb",
                format!(
                    "image {} needs a root volume of {}–{} GB, got {root_size}",
                    image.name, image.min_disk_gb, image.max_disk_gb
                ),
            ));
        }
        if let Some(ud) = &req.user_data
            && ud.len() > USER_DATA_MAX
        {
            return Err(Error::invalid(
                "user_data",
                format!("must be at most {USER_DATA_MAX} bytes, got {}", ud.len()),
            ));
        }

        self.precheck_vm(subnet.connection_id, &req.instance_type, &itype, &image, &subnet.zone, root_size).await?;

        let (id, op_id, t) = (new_id(), new_id(), now());
        let rec = InstanceRecord {
            id,
            project_id: scope.id,
            name: name.to_string(),
            connection_id: subnet.connection_id,
            provider_id: None,
            instance_type_id: itype.id,
            previous_instance_type_id: None,
            image_id: image.id,
            vpc_id: subnet.vpc_id,
            subnet_id: subnet.id,
            key_pair_id: key_pair.as_ref().map(|k| k.id),
            public_ip_mode,
            user_data: req.user_data,
            zone: subnet.zone.clone(),
            private_ip: None,
            return_state: None,
            state: InstanceState::Building,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            launched_at: None,
        };
        let mut batch = Batch::from(rec.insert());
        let root = VolumeRecord {
            id: new_id(),
            project_id: scope.id,
            name: self.free_volume_name(&scope, &format!("{name}-root")).await?,
            connection_id: subnet.connection_id,
            provider_id: None,
            kind: VolumeKind::Root,
            size_gb: root_size,
            volume_type: provider_root.map_or_else(|| "SSD".into(), |r| r.volume_type),
            zone: subnet.zone.clone(),
            image_id: Some(image.id),
            snapshot_id: None,
            instance_id: Some(id),
            delete_with_instance: true,
            state: VolumeState::Creating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            // Where the root disk is made: the instance's node (see root_volume_create).
            node_id: None,
        };
        batch.push(root.insert());
        for sg in &groups {
            batch.push(Store::instance_security_group_link(id, sg.id));
        }
        for v in &data_volumes {
            batch.push(
                Update::of::<VolumeRecord>(v.id)
                    .set("state", VolumeState::Attaching.as_str())
                    .set("instance_id", id)
                    .set("op_id", op_id)
                    .guard("generation", v.generation)
                    .stmt(t),
            );
        }
        if public_ip_mode != PublicIpMode::None {
            batch.push(self.new_instance_ip(&scope, ctx, &rec, public_ip_mode, op_id).await?.insert());
        }
        let params = InstanceParams {
            connection_id: subnet.connection_id,
            final_state: InstanceState::Active,
            resize_to: None,
            delete_volumes: false,
            image_id: None,
            hard: false,
            provider_spec: spec_disk_gb.map(|_| req.instance_type.clone()),
        };
        let op = self.new_op(
            ctx,
            &scope,
            crate::workflow::operations::OpSpec {
                id: op_id,
                def: &INSTANCE_CREATE,
                target: Target { kind: "instance", id, name: &rec.name },
                params: serde_json::to_value(params).expect("params serialize"),
                after: None,
            },
        );
        self.remember_name(id, &rec.name);
        let disk_gb = root_size + data_volumes.iter().map(|v| v.size_gb).sum::<i64>();
        let need = Resources { vcpus: itype.vcpus, memory_mib: itype.memory_mib, disk_gb };
        // A reservation that lost a race for a node's last room is placed again.
        for _ in 0..PLACEMENT_TRIES {
            let mut placed =
                self.place(subnet.connection_id, id, need, None).await?.map(|(_, b)| b).unwrap_or_default();
            placed.extend(batch.clone());
            match self.launch(op.clone(), placed).await {
                Err(e) if Store::is_reservation_conflict(&e) => continue,
                done => done.map_err(name_taken("instance", &rec.name))?,
            }
            return self.instance_view(rec).await;
        }
        Err(Error::Capacity("the nodes of the pool kept filling up while placing the instance; retry".into()))
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

    /// `base`, or `base-2`, `base-3`… if a volume already has that name.
    async fn free_volume_name(&self, scope: &ProjectScope, base: &str) -> Result<String> {
        let base: String = base.chars().take(56).collect();
        for i in 1..100 {
            let candidate = if i == 1 { base.clone() } else { format!("{base}-{i}") };
            if self.store().get::<VolumeRecord>(&scope.filter(), &Key::Name(candidate.clone())).await?.is_none() {
                return Ok(candidate);
            }
        }
        Ok(format!("{base}-{}", &new_id().simple().to_string()[..6]))
    }

    /// The row of a public IP made for an instance (ephemeral, or static on request).
    pub(crate) async fn new_instance_ip(
        &self,
        scope: &ProjectScope,
        ctx: &OpContext,
        inst: &InstanceRecord,
        mode: PublicIpMode,
        op_id: Uuid,
    ) -> Result<PublicIpRecord> {
        let t = now();
        let name = {
            let base: String = format!("{}-ip", inst.name).chars().take(56).collect();
            let taken = self.store().get::<PublicIpRecord>(&scope.filter(), &Key::Name(base.clone())).await?.is_some();
            if taken { format!("{base}-{}", &new_id().simple().to_string()[..6]) } else { base }
        };
        Ok(PublicIpRecord {
            id: new_id(),
            project_id: scope.id,
            name,
            connection_id: inst.connection_id,
            provider_id: None,
            kind: if mode == PublicIpMode::Static { PublicIpKind::Static } else { PublicIpKind::Ephemeral },
            address: None,
            instance_id: Some(inst.id),
            state: PublicIpState::Allocating,
            state_reason: None,
            op_id: Some(op_id),
            generation: 1,
            created_by: ctx.user_id,
            created_at: t,
            updated_at: t,
            // Where it is allocated: the instance's node (see public_ip_allocate).
            node_id: None,
        })
    }

    pub async fn instance_get(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::View).await?;
        let rec = self.instance_record(&scope, key).await?;
        let vm = match &rec.provider_id {
            // Best effort and brief: the record is the answer even when the provider is
            // slow, unreachable or its call budget is taken by a burst of work.
            Some(id) => {
                let cloud = self.instance_cloud(rec.connection_id, rec.id).await?;
                tokio::time::timeout(PROVIDER_VIEW_WAIT, cloud.get(ResourceKind::Vm, id))
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
            None => None,
        };
        let mut view = self.instance_view(rec).await?;
        view.provider =
            vm.map(|vm| serde_json::json!({"id": vm.id, "status": vm.status.as_str(), "attributes": vm.attrs}));
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
        let mut update = Update::of::<InstanceRecord>(inst.id)
            .set("op_id", op_id)
            .set("state_reason", Val::Null)
            .guard("generation", inst.generation);
        if inst.state.is_settled() && inst.state != InstanceState::Resized && transition.enters != inst.state {
            update = update.set("return_state", inst.state.as_str());
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
