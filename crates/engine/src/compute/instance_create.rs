//! Creating an instance: every field validated and every reference resolved before any
//! provider call, capacity reserved on a node, then the create workflow.

use crate::compute::instance_workflows::{INSTANCE_CREATE, InstanceParams};
use crate::workflow::operations::{Target, name_taken};
use crate::{Engine, Error, OpContext, ProjectScope, Result};
use gureum_api_types::{Instance, InstanceCreate};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::image::ImageState;
use gureum_model::instance::InstanceState;
use gureum_model::public_ip::{PublicIpKind, PublicIpMode, PublicIpState};
use gureum_model::state::LifecycleState;
use gureum_model::tenancy::QuotaAmounts;
use gureum_model::volume::{VolumeKind, VolumeState, validate_size};
use gureum_store::record::common;
use gureum_store::{
    Batch, InstanceRecord, Key, KeyPairRecord, PublicIpRecord, Record, Resources, SecurityGroupRecord, Store,
    SubnetRecord, Update, VolumeRecord, new_id, now,
};
use uuid::Uuid;

pub const USER_DATA_MAX: usize = 64 * 1024;
/// How often a create is placed again after losing a node's last room to another one.
const PLACEMENT_TRIES: usize = 3;

/// Where an instance made for another resource goes, and what is written with it.
pub(crate) struct InstanceExtras {
    pub id: Uuid,
    /// Placed in this pool (else the connection's general pool), on this node if given.
    pub pool: Option<gureum_store::PoolRecord>,
    pub node: Option<Uuid>,
    /// Written in the same transaction as the instance (a persistent VM's row).
    pub batch: Batch,
}

impl Default for InstanceExtras {
    fn default() -> Self {
        InstanceExtras { id: new_id(), pool: None, node: None, batch: Batch::new() }
    }
}

impl Engine {
    pub async fn instance_create(&self, ctx: &OpContext, project: &str, req: InstanceCreate) -> Result<Instance> {
        self.instance_create_with(ctx, project, req, InstanceExtras::default()).await
    }

    pub(crate) async fn instance_create_with(
        &self,
        ctx: &OpContext,
        project: &str,
        req: InstanceCreate,
        extras: InstanceExtras,
    ) -> Result<Instance> {
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

        let (id, op_id, t) = (extras.id, new_id(), now());
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
            // It may carry credentials (a provisioning's passwords): sealed at rest.
            user_data: req.user_data.map(|u| self.config().secret_key.seal_field(&u)),
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
        batch.extend(extras.batch);
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
                Update::<VolumeRecord>::of(v.id)
                    .set(common::STATE, VolumeState::Attaching.as_str())
                    .set(VolumeRecord::instance_id, id)
                    .set(common::OP_ID, op_id)
                    .guard(common::GENERATION, v.generation)
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
        // Tenancy quotas: the instance holds its type and root volume until it is deleted.
        let held =
            QuotaAmounts { vcpus: itype.vcpus, memory_mib: itype.memory_mib, instances: 1, volume_gb: root_size };
        batch.extend(crate::iam::quotas::reserve(id, scope.id, held));
        // A reservation that lost a race for a node's last room is placed again.
        for _ in 0..PLACEMENT_TRIES {
            let placed = match &extras.pool {
                Some(pool) => Some(self.place_in(pool, id, need, extras.node).await?),
                None => self.place(subnet.connection_id, id, need, None).await?,
            };
            let mut placed = placed.map(|(_, b)| b).unwrap_or_default();
            placed.extend(batch.clone());
            match self.launch(op.clone(), placed).await {
                Err(e) if Store::is_reservation_conflict(&e) => continue,
                Err(e) if Store::is_quota_conflict(&e) => return Err(self.quota_refusal(scope.id, held).await),
                done => done.map_err(name_taken("instance", &rec.name))?,
            }
            return self.instance_view(rec).await;
        }
        Err(Error::Capacity("the nodes of the pool kept filling up while placing the instance; retry".into()))
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
}
