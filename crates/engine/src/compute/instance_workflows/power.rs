//! Stop, start, reboot and the steps that take an instance down (delete, shelve).

use super::*;

pub(super) async fn vm_start(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    if cloud.get(ResourceKind::Vm, vm).await?.status != ProviderStatus::Running {
        cloud.vm_action(vm, VmAction::Start).await?;
    }
    Ok(StepOut::done())
}

/// Stops the VM (ACPI first; forced if it does not go down) and waits for it.
pub(crate) async fn vm_stop(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let Some(vm) = inst.provider_id.as_deref() else {
        return Ok(StepOut::skipped());
    };
    let status = cloud.get(ResourceKind::Vm, vm).await?.status;
    if status != ProviderStatus::Stopped {
        if status != ProviderStatus::Stopping {
            cloud.vm_action(vm, VmAction::Stop { force: false }).await?;
        }
        if cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Stopped]).await.is_err() {
            cloud.vm_action(vm, VmAction::Stop { force: true }).await?;
            cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Stopped]).await?;
        }
    }
    Ok(StepOut::done())
}

pub(super) async fn vm_reboot(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    // A hard reboot of a stopped VM powers it on (Nova does the same).
    let action = match cloud.get(ResourceKind::Vm, vm).await?.status {
        ProviderStatus::Stopped if p.hard => VmAction::Start,
        _ => VmAction::Reboot { hard: p.hard },
    };
    cloud.vm_action(vm, action).await?;
    Ok(StepOut::done())
}

pub(super) async fn vm_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Vm, inst.provider_id.as_deref(), &inst.id.to_string()).await?;
    let update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::PROVIDER_ID, Val::Null)
        .set(InstanceRecord::private_ip, Val::Null);
    // Without a VM the node keeps only the instance's disks (shelve; delete forgets all).
    let mut batch = Batch::from(update.stmt(now()));
    batch.push(Store::allocation_keep_disk(inst.id));
    Ok(StepOut::done().batch(batch))
}

/// Releases an ephemeral IP at the provider and forgets it; a static IP stays.
pub(super) async fn release_ip(ctx: &StepCtx, ip: &PublicIpRecord, inst: &InstanceRecord) -> Result<Batch, StepError> {
    let cloud = cloud(ctx).await?;
    if let (Some(pid), Some(vm)) = (&ip.provider_id, &inst.provider_id) {
        cloud.public_ip_detach(pid, vm).await?;
    }
    if ip.kind == PublicIpKind::Ephemeral {
        cloud.ensure_deleted(ResourceKind::PublicIp, ip.provider_id.as_deref(), &ip.id.to_string()).await?;
        return Ok(delete::<PublicIpRecord>(ip.id).into());
    }
    Ok(Batch::new())
}

pub(super) async fn public_ip_release_ephemeral(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await?.filter(|ip| ip.kind == PublicIpKind::Ephemeral) else {
        return Ok(StepOut::skipped());
    };
    let inst = instance(&ctx).await?;
    Ok(StepOut::done().batch(release_ip(&ctx, &ip, &inst).await?))
}

/// On delete: an ephemeral IP is released, a static one detached and kept.
pub(super) async fn public_ip_release_all(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(ip) = public_ip(&ctx).await? else {
        return Ok(StepOut::skipped());
    };
    let inst = instance(&ctx).await?;
    let mut batch = release_ip(&ctx, &ip, &inst).await?;
    if ip.kind == PublicIpKind::Static {
        let state = if ip.provider_id.is_some() { PublicIpState::Available } else { PublicIpState::Error };
        batch.push(
            Update::<PublicIpRecord>::of(ip.id)
                .set(PublicIpRecord::instance_id, Val::Null)
                .set(common::OP_ID, Val::Null)
                .set(common::STATE, state.as_str())
                .stmt(now()),
        );
    }
    Ok(StepOut::done().batch(batch))
}

/// Data volumes are detached and kept (the VM is gone, so the provider freed them), or
/// deleted when the user asked.
pub(super) async fn data_volumes_release(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let data = volumes(&ctx, VolumeKind::Data).await?;
    if data.is_empty() {
        return Ok(StepOut::skipped());
    }
    let cloud = cloud(&ctx).await?;
    let t = now();
    let mut batch = Batch::new();
    for v in data {
        if p.delete_volumes || v.delete_with_instance {
            cloud.ensure_deleted(ResourceKind::Disk, v.provider_id.as_deref(), &v.id.to_string()).await?;
            batch.extend(crate::iam::quotas::release(v.id));
            batch.push(delete::<VolumeRecord>(v.id));
        } else {
            if let Some(disk) = &v.provider_id {
                cloud.wait_for(ResourceKind::Disk, disk, &[ProviderStatus::Available]).await?;
            }
            batch.push(
                Update::<VolumeRecord>::of(v.id)
                    .set(VolumeRecord::instance_id, Val::Null)
                    .set(common::OP_ID, Val::Null)
                    .set(common::STATE, VolumeState::Available.as_str())
                    .stmt(t),
            );
        }
    }
    Ok(StepOut::done().batch(batch))
}

pub(super) async fn root_volume_delete(ctx: StepCtx) -> Result<StepOut, StepError> {
    let Some(root) = volumes(&ctx, VolumeKind::Root).await?.pop() else {
        return Ok(StepOut::skipped());
    };
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Disk, root.provider_id.as_deref(), &root.id.to_string()).await?;
    Ok(StepOut::done().batch(delete::<VolumeRecord>(root.id).into()))
}

pub(super) async fn forget(ctx: StepCtx) -> Result<StepOut, StepError> {
    let mut batch = Batch::from(Store::instance_security_groups_unlink(ctx.target_id));
    batch.push(Store::usage_close(ctx.target_id, now()));
    batch.push(Store::allocation_release(ctx.target_id));
    batch.extend(crate::iam::quotas::release(ctx.target_id));
    batch.push(Store::provider_view_forget(ctx.target_id));
    batch.push(Store::persistent_vm_forget(ctx.target_id, now()));
    batch.push(delete::<InstanceRecord>(ctx.target_id));
    Ok(StepOut::done().batch(batch))
}
