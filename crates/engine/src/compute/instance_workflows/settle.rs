//! What an instance shows after a failed run: a failed create's leftovers go, a failed
//! action's records follow what the provider says.

use super::*;

/// A failed create unwound: the instance shows `Error` with the reason; the rows of what
/// was cleaned up go (the root volume, IPs made for it) and attached volumes are freed.
pub(super) async fn create_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    if failure.cancelled {
        // The delete that cancelled the create removes everything.
        return Ok(Batch::new());
    }
    let t = now();
    let mut batch = Batch::new();
    let reason = match &failure.undo_error {
        None => format!("create failed: {} (everything it made was cleaned up; delete the instance)", failure.error),
        Some(_) => format!("create failed: {} (cleanup incomplete; deleting the instance retries it)", failure.error),
    };
    let update =
        guarded::<InstanceRecord>(&ctx, ctx.target_id).set(common::OP_ID, Val::Null).set(common::STATE_REASON, reason);
    batch.extend(Store::instance_set_state(update, ctx.target_id, S::Error, t));
    if failure.undo_error.is_none() {
        // Nothing of it is left on its node.
        batch.push(Store::allocation_release(ctx.target_id));
    }
    batch.push(Store::data_volumes_release(ctx.target_id, t));
    if failure.undo_error.is_none() {
        batch.extend(Store::instance_unmade_forget(ctx.target_id));
    }
    Ok(batch)
}

/// A failed action: the instance shows what the provider says it is, with the reason.
/// A step may have changed the provider and failed before recording it (removed the VM,
/// a disk or an ephemeral IP, detached a static IP, resized the VM), so the records
/// follow the provider. (A cancelled run leaves the instance to the action that
/// cancelled it.)
pub(crate) async fn resync(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    if failure.cancelled {
        return Ok(Batch::new());
    }
    let inst = instance(&ctx).await?;
    let cloud = cloud(&ctx).await?;
    let t = now();
    let mut batch = Batch::new();
    let mut update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(common::OP_ID, Val::Null)
        .set(InstanceRecord::return_state, Val::Null)
        .set(common::STATE_REASON, failure.error);
    let vm = match &inst.provider_id {
        Some(vm) => match cloud.get(ResourceKind::Vm, vm).await {
            Err(DriverError::NotFound { .. }) => None,
            other => Some(other),
        },
        None => None,
    };
    if vm.is_none() && inst.provider_id.is_some() {
        update = update.set(common::PROVIDER_ID, Val::Null).set(InstanceRecord::private_ip, Val::Null);
    }
    // A failed resize or revert may have changed the VM's type without recording it.
    if let Some(Ok(r)) = &vm
        && let Some(name) = r.attr_str("instance_type")
        && let Some(itype) = ctx.engine.store().get::<InstanceTypeRecord>(&[], &Key::Name(name.into())).await?
        && itype.id != inst.instance_type_id
    {
        update = update
            .set(InstanceRecord::instance_type_id, itype.id)
            .set(InstanceRecord::previous_instance_type_id, Val::Null);
    }
    let has_vm = vm.is_some();
    let state = match vm {
        Some(Ok(r)) if r.status == ProviderStatus::Running => S::Active,
        Some(Ok(r)) if r.status == ProviderStatus::Stopped => S::Stopped,
        Some(_) => S::Error,
        // Without a VM the disks are kept: shelved, if that is what the action was doing
        // or undoing.
        None if params(&ctx)?.final_state == S::ShelvedOffloaded || inst.return_state == Some(S::ShelvedOffloaded) => {
            S::ShelvedOffloaded
        }
        None => S::Error,
    };
    batch.extend(Store::instance_set_state(update, inst.id, state, t));
    batch.push(Store::allocation_follow(inst.id, has_vm));
    // A resize or revert that failed held (or gave back) for the type it did not reach.
    if params(&ctx)?.resize_to.is_some() {
        batch.extend(Store::quota_follow_type(inst.id));
    }
    batch.push(Store::volumes_settle_with(inst.id, VolumeState::settled(true, state == S::ShelvedOffloaded), t));
    // Disks a failed delete removed: the root, and data volumes it was to delete.
    let delete_volumes = params(&ctx)?.delete_volumes;
    for v in ctx.engine.store().list_all::<VolumeRecord>(&[("instance_id", inst.id.into())]).await? {
        let doomed = v.kind == VolumeKind::Root || v.delete_with_instance || delete_volumes;
        if doomed
            && let Some(disk) = &v.provider_id
            && let Err(DriverError::NotFound { .. }) = cloud.get(ResourceKind::Disk, disk).await
        {
            batch.extend(crate::iam::quotas::release(v.id));
            batch.push(delete::<VolumeRecord>(v.id));
        }
    }
    // The IP as the provider has it: an ephemeral one never allocated or already
    // released goes; a static one a failed delete detached is free again.
    if let Some(ip) = public_ip(&ctx).await? {
        let found = match &ip.provider_id {
            Some(pid) => Some(cloud.get(ResourceKind::PublicIp, pid).await),
            None => None,
        };
        match found {
            None | Some(Err(DriverError::NotFound { .. })) if ip.kind == PublicIpKind::Ephemeral => {
                batch.push(delete::<PublicIpRecord>(ip.id));
            }
            Some(Ok(r))
                if ip.kind == PublicIpKind::Static
                    && r.attr_str("attached_to").is_none()
                    && state != S::ShelvedOffloaded =>
            {
                batch.push(
                    Update::<PublicIpRecord>::of(ip.id)
                        .set(PublicIpRecord::instance_id, Val::Null)
                        .set(common::STATE, PublicIpState::Available.as_str())
                        .set(common::OP_ID, Val::Null)
                        .stmt(t),
                );
            }
            _ => {}
        }
    }
    Ok(batch)
}
