//! The steps that bring an instance up: create and unshelve (disks, IP, VM, attachments),
//! and the step that settles it in its final state.

use super::*;
use crate::compute::instances::provider_view_json;

pub(super) async fn schedule(ctx: StepCtx) -> Result<StepOut, StepError> {
    // The provider picks the host; gureum only checks the connection opens.
    cloud(&ctx).await?;
    Ok(StepOut::done())
}

pub(super) async fn root_volume_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    if let Some(id) = &root.provider_id {
        return Ok(StepOut::done().typed(&DiskMade { disk: id.clone() }));
    }
    let image_id = root.image_id.ok_or_else(|| StepError::Fail("the root volume has no image".into()))?;
    let image = ctx
        .engine
        .store()
        .get_by_id::<ImageRecord>(image_id)
        .await?
        .ok_or_else(|| StepError::Fail("the image is gone".into()))?;
    let source = DiskSource::Image(image.provider_id.unwrap_or(image.name));
    let spec = CreateSpec::Disk {
        name: root.name.clone(),
        tag: root.id.to_string(),
        size_gb: root.size_gb,
        zone: root.zone.clone(),
        volume_type: root.volume_type.clone(),
        source,
    };
    let (cloud, node) = placement(&ctx).await?;
    let disk = cloud.ensure_created(spec, ctx.may_have_run).await?;
    let update =
        Update::<VolumeRecord>::of(root.id).set(common::PROVIDER_ID, disk.id.as_str()).set(VolumeRecord::node_id, node);
    Ok(StepOut::done().typed(&DiskMade { disk: disk.id }).batch(update.stmt(now()).into()))
}

pub(super) async fn root_volume_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    let id = ctx.made(root.provider_id.clone(), "root_volume_create", |o: DiskMade| o.disk)?;
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Disk, id.as_deref(), &root.id.to_string()).await?;
    let update = Update::<VolumeRecord>::of(root.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

pub(super) async fn root_volume_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let root = root_volume(&ctx).await?;
    let id = root.provider_id.ok_or_else(|| StepError::Fail("the root volume was not created".into()))?;
    cloud(&ctx).await?.wait_for(ResourceKind::Disk, &id, &[ProviderStatus::Available, ProviderStatus::InUse]).await?;
    Ok(StepOut::done())
}

/// Allocates the instance's public IP if it has one without an address at the provider.
pub(super) async fn public_ip_allocate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    if ip.provider_id.is_some() {
        return Ok(StepOut::skipped());
    }
    let spec = CreateSpec::PublicIp { name: ip.name.clone(), tag: ip.id.to_string(), zone: instance(&ctx).await?.zone };
    let (cloud, node) = placement(&ctx).await?;
    let r = cloud.ensure_created(spec, ctx.may_have_run).await?;
    let update =
        Update::<PublicIpRecord>::of(ip.id).set(common::PROVIDER_ID, r.id.as_str()).set(PublicIpRecord::node_id, node);
    Ok(StepOut::done().typed(&IpAllocated { ip: ip.id, provider_id: r.id }).batch(update.stmt(now()).into()))
}

/// Releases an IP this workflow allocated (its row goes with it).
pub(super) async fn public_ip_allocate_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    // A step that failed after allocating left no output: its IP is then the instance's
    // one with no address recorded, which nothing else can have allocated.
    let (ip, provider_id) = match ctx.output_of::<IpAllocated>("public_ip_allocate")? {
        Some(made) => (Some(made.ip), Some(made.provider_id)),
        None => (public_ip(&ctx).await?.filter(|ip| ip.provider_id.is_none()).map(|ip| ip.id), None),
    };
    let Some(ip) = ip else {
        return Ok(StepOut::done());
    };
    cloud(&ctx).await?.ensure_deleted(ResourceKind::PublicIp, provider_id.as_deref(), &ip.to_string()).await?;
    Ok(StepOut::done().batch(delete::<PublicIpRecord>(ip).into()))
}

pub(super) async fn public_ip_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    let Some(pid) = &ip.provider_id else {
        return Ok(StepOut::skipped());
    };
    if ip.address.is_some() {
        return Ok(StepOut::skipped());
    }
    let r = cloud(&ctx)
        .await?
        .wait_for(ResourceKind::PublicIp, pid, &[ProviderStatus::Available, ProviderStatus::InUse])
        .await?;
    let update = Update::<PublicIpRecord>::of(ip.id)
        .set(PublicIpRecord::address, r.attr_str("address"))
        .set(common::STATE, PublicIpState::Available.as_str());
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// Brings the shelved instance's disks to the node it is unshelved on (a no-op when it
/// stays where they are).
pub(super) async fn disks_move(ctx: StepCtx) -> Result<StepOut, StepError> {
    let (_, node) = placement(&ctx).await?;
    let disks = ctx.engine.store().list_all::<VolumeRecord>(&[("instance_id", ctx.target_id.into())]).await?;
    if disks.iter().all(|v| v.node_id == node) {
        return Ok(StepOut::skipped());
    }
    for v in disks {
        ctx.engine.volume_bring(v, node).await?;
    }
    Ok(StepOut::done())
}

pub(super) async fn vm_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    if let Some(id) = &inst.provider_id {
        return Ok(StepOut::done().typed(&VmMade { vm: id.clone() }));
    }
    let store = ctx.engine.store();
    let root = root_volume(&ctx).await?;
    let root_disk = root.provider_id.clone().ok_or_else(|| StepError::Fail("the root volume has no disk".into()))?;
    let itype = store
        .get_by_id::<InstanceTypeRecord>(inst.instance_type_id)
        .await?
        .ok_or_else(|| StepError::Fail("the instance type is gone".into()))?;
    let image = store.get_by_id::<ImageRecord>(inst.image_id).await?;
    let subnet = store.get_by_id::<SubnetRecord>(inst.subnet_id).await?;
    let mut groups = vec![];
    for sg in store.instance_security_group_ids(inst.id).await? {
        groups.extend(store.get_by_id::<SecurityGroupRecord>(sg).await?);
    }
    let cloud = cloud(&ctx).await?;
    let security_groups = ctx.engine.security_groups_on(&cloud, &groups).await?;
    let key = match inst.key_pair_id {
        Some(k) => store.get_by_id::<KeyPairRecord>(k).await?,
        None => None,
    };
    let spec = VmSpec {
        name: inst.name.clone(),
        tag: inst.id.to_string(),
        hostname: inst.name.clone(),
        zone: inst.zone.clone(),
        instance_type: params(&ctx)?.provider_spec.unwrap_or(itype.name),
        vcpus: itype.vcpus,
        memory_mib: itype.memory_mib,
        image: image.map(|i| i.provider_id.unwrap_or(i.name)).unwrap_or_default(),
        root_disk,
        subnet: subnet.and_then(|s| s.provider_id),
        security_groups,
        key_pair: key.as_ref().and_then(|k| k.provider_id.clone()),
        public_key: key.map(|k| k.public_key),
        user_data: inst
            .user_data
            .as_deref()
            .map(|u| ctx.engine.config().secret_key.open_field(u))
            .transpose()
            .map_err(StepError::Fail)?,
    };
    let vm = cloud.ensure_created(CreateSpec::Vm(spec), ctx.may_have_run).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id).set(common::PROVIDER_ID, vm.id.as_str());
    Ok(StepOut::done().typed(&VmMade { vm: vm.id }).batch(update.stmt(now()).into()))
}

pub(super) async fn vm_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let id = ctx.made(inst.provider_id.clone(), "vm_create", |o: VmMade| o.vm)?;
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Vm, id.as_deref(), &inst.id.to_string()).await?;
    let update = Update::<InstanceRecord>::of(inst.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

pub(super) async fn vm_wait_running(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let vm = cloud(&ctx).await?.wait_for(ResourceKind::Vm, vm_id(&inst)?, &[ProviderStatus::Running]).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id).set(InstanceRecord::private_ip, vm.attr_str("private_ip"));
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

/// Attaches every data volume of the instance that the provider does not show attached.
pub(super) async fn volumes_attach(ctx: StepCtx) -> Result<StepOut, StepError> {
    let data = volumes(&ctx, VolumeKind::Data).await?;
    if data.is_empty() {
        return Ok(StepOut::skipped());
    }
    let inst = instance(&ctx).await?;
    let vm = vm_id(&inst)?;
    let (cloud, node) = placement(&ctx).await?;
    for v in data {
        let v = ctx.engine.volume_bring(v, node).await?;
        let disk = v.provider_id.as_deref().ok_or_else(|| StepError::Fail(format!("volume {} has no disk", v.name)))?;
        let current = cloud.get(ResourceKind::Disk, disk).await?;
        if current.attr_str("attached_to") != Some(vm) {
            cloud.disk_attach(disk, vm).await?;
        }
        cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::InUse]).await?;
    }
    Ok(StepOut::done())
}

pub(super) async fn volumes_attach_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let Some(vm) = inst.provider_id.as_deref() else {
        return Ok(StepOut::done());
    };
    let cloud = cloud(&ctx).await?;
    for v in volumes(&ctx, VolumeKind::Data).await? {
        let Some(disk) = v.provider_id.as_deref() else {
            continue;
        };
        match cloud.get(ResourceKind::Disk, disk).await {
            Ok(d) if d.attr_str("attached_to") == Some(vm) => {
                cloud.disk_detach(disk, vm).await?;
                cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
            }
            Ok(_) | Err(DriverError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(StepOut::done())
}

pub(super) async fn public_ip_associate(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else { return Ok(StepOut::skipped()) };
    let inst = instance(&ctx).await?;
    let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) else { return Ok(StepOut::skipped()) };
    cloud(&ctx).await?.public_ip_attach(pid, vm).await?;
    Ok(StepOut::done())
}

pub(super) async fn public_ip_associate_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else { return Ok(StepOut::done()) };
    let inst = instance(&ctx).await?;
    if let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) {
        cloud(&ctx).await?.public_ip_detach(pid, vm).await?;
    }
    Ok(StepOut::done())
}

/// Settles the instance (and what hangs off it) in the workflow's final state.
pub(crate) async fn finish(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let t = now();
    let shelved = p.final_state == S::ShelvedOffloaded;
    let mut update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::OP_ID, Val::Null)
        .set(common::STATE_REASON, Val::Null)
        .set(InstanceRecord::return_state, Val::Null);
    if p.final_state == S::Active && inst.launched_at.is_none() {
        update = update.set(InstanceRecord::launched_at, t);
    }
    let mut batch = Store::instance_set_state(update, inst.id, p.final_state, t);
    let volume_state = VolumeState::settled(true, shelved);
    batch.push(Store::volumes_settle_with(inst.id, volume_state, t));
    // An IP bound to the instance is in use by it, shelved or not (unshelving puts it
    // back on the new VM); only detaching frees it for another instance.
    batch.push(Store::public_ips_in_use_by(inst.id, t));
    // What the provider now says of the VM, for reads (which never ask it themselves).
    match inst.provider_id.as_deref() {
        Some(vm) if !shelved => {
            let seen = cloud(&ctx).await?.get(ResourceKind::Vm, vm).await?;
            batch.push(Store::provider_view_set(inst.id, inst.connection_id, &provider_view_json(&seen), t));
        }
        _ => {
            batch.push(Store::provider_view_forget(inst.id));
        }
    }
    Ok(StepOut::done().batch(batch))
}
