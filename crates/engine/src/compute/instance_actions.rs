//! Instance actions. Each goes through the transition table (`start_instance_workflow`)
//! and runs its workflow; the POST returns the instance in its transitional state.

use crate::compute::instance_workflows::*;
use crate::iam::quotas::type_amounts;
use crate::{Engine, Error, OpContext, Result};
use gureum_api_types::{Instance, InstanceCreateImage, InstanceReboot, InstanceResize, RebootType};
use gureum_driver::{Intent, ResourceKind};
use gureum_model::Name;
use gureum_model::authz::Permission;
use gureum_model::image::ImageState;
use gureum_model::instance::{InstanceAction, InstanceState};
use gureum_model::public_ip::{PublicIpKind, PublicIpMode};
use gureum_model::volume::{VolumeKind, VolumeState};
use gureum_store::record::common;
use gureum_store::{
    Batch, ImageRecord, InstanceRecord, InstanceTypeRecord, Key, PublicIpRecord, Record, Resources, Update,
    VolumeRecord, new_id, now,
};

impl Engine {
    fn params_for(conn: uuid::Uuid, final_state: InstanceState) -> InstanceParams {
        InstanceParams {
            connection_id: conn,
            final_state,
            resize_to: None,
            delete_volumes: false,
            image_id: None,
            hard: false,
            provider_spec: None,
        }
    }

    /// A new ephemeral IP row when the instance comes up and should have one.
    async fn ephemeral_ip_batch(
        &self,
        ctx: &OpContext,
        scope: &crate::ProjectScope,
        inst: &gureum_store::InstanceRecord,
    ) -> Result<Batch> {
        if inst.public_ip_mode != PublicIpMode::Ephemeral {
            return Ok(Batch::new());
        }
        if self.store().count::<PublicIpRecord>(&[("instance_id", inst.id.into())]).await? > 0 {
            return Ok(Batch::new());
        }
        // The row's op_id is only informative here; the instance row carries the guard.
        Ok(self.new_instance_ip(scope, ctx, inst, PublicIpMode::Ephemeral, new_id()).await?.insert().into())
    }

    pub async fn instance_start(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        inst.state.check(InstanceAction::Start, inst.op_id.map(|o| o.to_string()).as_deref())?;
        let extra = self.ephemeral_ip_batch(ctx, &scope, &inst).await?;
        let params = Self::params_for(inst.connection_id, InstanceState::Active);
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Start, &INSTANCE_START, params, extra).await
    }

    pub async fn instance_stop(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let params = Self::params_for(inst.connection_id, InstanceState::Stopped);
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Stop, &INSTANCE_STOP, params, Batch::new())
            .await
    }

    pub async fn instance_reboot(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        req: InstanceReboot,
    ) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let hard = req.reboot_type == RebootType::Hard;
        let (action, def) = if hard {
            (InstanceAction::HardReboot, &INSTANCE_REBOOT_HARD)
        } else {
            (InstanceAction::SoftReboot, &INSTANCE_REBOOT)
        };
        inst.state.check(action, inst.op_id.map(|o| o.to_string()).as_deref())?;
        let extra = if hard { self.ephemeral_ip_batch(ctx, &scope, &inst).await? } else { Batch::new() };
        let params = InstanceParams { hard, ..Self::params_for(inst.connection_id, InstanceState::Active) };
        self.start_instance_workflow(ctx, &scope, inst, action, def, params, extra).await
    }

    pub async fn instance_shelve(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let params = Self::params_for(inst.connection_id, InstanceState::ShelvedOffloaded);
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Shelve, &INSTANCE_SHELVE, params, Batch::new())
            .await
    }

    pub async fn instance_unshelve(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        inst.state.check(InstanceAction::Unshelve, inst.op_id.map(|o| o.to_string()).as_deref())?;
        let mut extra = self.reserve_on_node(&inst, inst.instance_type_id, true).await?;
        extra.extend(self.ephemeral_ip_batch(ctx, &scope, &inst).await?);
        let params = Self::params_for(inst.connection_id, InstanceState::Active);
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Unshelve, &INSTANCE_UNSHELVE, params, extra)
            .await
    }

    pub async fn instance_resize(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        req: InstanceResize,
    ) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let to = self.instance_type_for("instance_type", &req.instance_type).await?;
        if to.id == inst.instance_type_id {
            return Err(Error::invalid("instance_type", format!("the instance already is {}", to.name)));
        }
        let image = self.store().get_by_id::<ImageRecord>(inst.image_id).await?;
        if image.as_ref().is_some_and(|i| i.gpu) && to.gpu.is_none() {
            return Err(Error::invalid(
                "instance_type",
                format!("the instance's image needs a GPU, which {} lacks", to.name),
            ));
        }
        let image = image.ok_or_else(|| Error::Conflict(format!("instance {}'s image is gone", inst.name)))?;
        let root_size = self.root_volume(&inst).await?.size_gb;
        self.precheck_vm(inst.connection_id, &to.name, &to, &image, &inst.zone, root_size).await?;
        inst.state.check(InstanceAction::Resize, inst.op_id.map(|o| o.to_string()).as_deref())?;
        let mut extra = self.reserve_on_node(&inst, to.id, false).await?;
        // Tenancy quotas: until it is confirmed or reverted, the instance holds the larger
        // of both types, checked at every level now.
        let from = self.instance_type_amounts(inst.instance_type_id).await?;
        extra.extend(self.quota_resize(inst.id, scope.id, from.growth_to(type_amounts(&to)), true).await?);
        let params =
            InstanceParams { resize_to: Some(to.id), ..Self::params_for(inst.connection_id, InstanceState::Resized) };
        self.start_instance_workflow(ctx, &scope, inst, InstanceAction::Resize, &INSTANCE_RESIZE, params, extra).await
    }

    pub async fn instance_confirm_resize(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let back = inst.return_state.unwrap_or(InstanceState::Active);
        let params = Self::params_for(inst.connection_id, back);
        // The new type is kept: what only the old one needed is given back.
        let extra = match inst.previous_instance_type_id {
            Some(previous) => {
                let (now, before) = (
                    self.instance_type_amounts(inst.instance_type_id).await?,
                    self.instance_type_amounts(previous).await?,
                );
                self.quota_resize(inst.id, scope.id, now.growth_to(before), false).await?
            }
            None => Batch::new(),
        };
        self.start_instance_workflow(
            ctx,
            &scope,
            inst,
            InstanceAction::ConfirmResize,
            &INSTANCE_RESIZE_CONFIRM,
            params,
            extra,
        )
        .await
    }

    pub async fn instance_revert_resize(&self, ctx: &OpContext, project: &str, key: &str) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let inst = self.instance_record(&scope, key).await?;
        let back = inst.return_state.unwrap_or(InstanceState::Active);
        let params =
            InstanceParams { resize_to: inst.previous_instance_type_id, ..Self::params_for(inst.connection_id, back) };
        inst.state.check(InstanceAction::RevertResize, inst.op_id.map(|o| o.to_string()).as_deref())?;
        let extra = match inst.previous_instance_type_id {
            Some(previous) => {
                let mut extra = self.reserve_on_node(&inst, previous, false).await?;
                // Back to the old type: what only the new one needed is given back.
                let (now, before) = (
                    self.instance_type_amounts(inst.instance_type_id).await?,
                    self.instance_type_amounts(previous).await?,
                );
                extra.extend(self.quota_resize(inst.id, scope.id, before.growth_to(now), false).await?);
                extra
            }
            None => Batch::new(),
        };
        self.start_instance_workflow(
            ctx,
            &scope,
            inst,
            InstanceAction::RevertResize,
            &INSTANCE_RESIZE_REVERT,
            params,
            extra,
        )
        .await
    }

    /// Makes a project image from the instance's root volume.
    pub async fn instance_create_image(
        &self,
        ctx: &OpContext,
        project: &str,
        key: &str,
        req: InstanceCreateImage,
    ) -> Result<Instance> {
        let scope = self.authorize(ctx, project, Permission::ManageResources).await?;
        let name = Name::parse("name", &req.name)?;
        let inst = self.instance_record(&scope, key).await?;
        inst.state.check(InstanceAction::CreateImage, inst.op_id.map(|o| o.to_string()).as_deref())?;
        if self.store().get::<ImageRecord>(&scope.filter(), &Key::Name(name.to_string())).await?.is_some() {
            return Err(Error::Conflict(format!("an image named {name} already exists in project {}", scope.name)));
        }
        let vm_stopped = inst.state == InstanceState::Stopped;
        self.precheck(inst.connection_id, ResourceKind::Image, Some(&Intent::ImageFromVm { vm_stopped })).await?;
        let source = self.store().get_by_id::<ImageRecord>(inst.image_id).await?;
        let root = self.root_volume(&inst).await?;
        let t = now();
        let image_id = new_id();
        let image = ImageRecord {
            id: image_id,
            project_id: Some(scope.id),
            name: name.to_string(),
            os_family: source.as_ref().map_or(gureum_model::image::OsFamily::Linux, |s| s.os_family),
            distribution: source.as_ref().map_or_else(String::new, |s| s.distribution.clone()),
            version: source.as_ref().map_or_else(String::new, |s| s.version.clone()),
            gpu: source.as_ref().is_some_and(|s| s.gpu),
            min_disk_gb: root.size_gb,
            max_disk_gb: source.as_ref().map_or(gureum_model::volume::VOLUME_MAX_GB, |s| s.max_disk_gb),
            size_gb: root.size_gb,
            connection_id: Some(inst.connection_id),
            provider_id: None,
            source_instance_id: Some(inst.id),
            source_volume_id: Some(root.id),
            state: ImageState::Creating,
            state_reason: None,
            op_id: None,
            generation: 1,
            created_by: Some(ctx.user_id),
            created_at: t,
            updated_at: t,
        };
        let mut extra = Batch::from(image.insert());
        extra.push(
            Update::<VolumeRecord>::of(root.id)
                .set(common::STATE, VolumeState::Uploading.as_str())
                .guard(common::GENERATION, root.generation)
                .stmt(t),
        );
        let params = InstanceParams { image_id: Some(image_id), ..Self::params_for(inst.connection_id, inst.state) };
        self.remember_name(image_id, &image.name);
        self.start_instance_workflow(
            ctx,
            &scope,
            inst,
            InstanceAction::CreateImage,
            &INSTANCE_CREATE_IMAGE,
            params,
            extra,
        )
        .await
    }
}

impl Engine {
    /// The reservation of an instance at `instance_type` with its disks, on the node its
    /// disks live on (a qemu disk is a file on that host); the first fitting node when it
    /// has none yet. With `may_move` (unshelving), a full node gives way to another one
    /// that fits (the workflow moves the disks there) — unless a static public IP, a port
    /// of that host, holds the instance there. Empty when its connection has no pool.
    async fn reserve_on_node(&self, inst: &InstanceRecord, instance_type: uuid::Uuid, may_move: bool) -> Result<Batch> {
        let itype = self
            .store()
            .get_by_id::<InstanceTypeRecord>(instance_type)
            .await?
            .ok_or_else(|| Error::Conflict(format!("instance {}'s instance type is gone", inst.name)))?;
        let disks = self.store().list_all::<VolumeRecord>(&[("instance_id", inst.id.into())]).await?;
        let need = Resources {
            vcpus: itype.vcpus,
            memory_mib: itype.memory_mib,
            disk_gb: disks.iter().map(|v| v.size_gb).sum(),
        };
        let on = self.store().instance_allocation(inst.id).await?.map(|a| a.node_id);
        let held_by_ip = self
            .store()
            .list_all::<PublicIpRecord>(&[("instance_id", inst.id.into())])
            .await?
            .iter()
            .any(|ip| ip.kind == PublicIpKind::Static && ip.node_id.is_some());
        let placed = match self.place(inst.connection_id, inst.id, need, on).await {
            Err(Error::Capacity(_)) if may_move && on.is_some() && !held_by_ip => {
                self.place(inst.connection_id, inst.id, need, None).await
            }
            placed => placed,
        };
        Ok(placed?.map(|(_, b)| b).unwrap_or_default())
    }

    async fn root_volume(&self, inst: &InstanceRecord) -> Result<VolumeRecord> {
        self.store()
            .list_all::<VolumeRecord>(&[("instance_id", inst.id.into()), ("kind", VolumeKind::Root.as_str().into())])
            .await?
            .pop()
            .ok_or_else(|| Error::Conflict(format!("instance {} has no root volume", inst.name)))
    }
}
