//! Resize (with confirm and revert) and making an image of an instance.

use super::*;
use crate::storage::volume_workflows::ImageMade;

pub(super) async fn resize_prep(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    if p.resize_to.is_none() {
        return Err(StepError::Fail("no target instance type".into()));
    }
    Ok(StepOut::done())
}

/// Changes the VM to `resize_to` and records the type swap (the old type is kept for a
/// revert until the resize is confirmed).
pub(super) async fn vm_resize(ctx: StepCtx) -> Result<StepOut, StepError> {
    let p = params(&ctx)?;
    let inst = instance(&ctx).await?;
    let to = p.resize_to.ok_or_else(|| StepError::Fail("no target instance type".into()))?;
    let itype = ctx
        .engine
        .store()
        .get_by_id::<InstanceTypeRecord>(to)
        .await?
        .ok_or_else(|| StepError::Fail("the instance type is gone".into()))?;
    let cloud = cloud(&ctx).await?;
    let vm = vm_id(&inst)?;
    let current = cloud.get(ResourceKind::Vm, vm).await?;
    if current.attr_str("instance_type") != Some(itype.name.as_str()) {
        let action =
            VmAction::Resize { instance_type: itype.name.clone(), vcpus: itype.vcpus, memory_mib: itype.memory_mib };
        cloud.vm_action(vm, action).await?;
    }
    let reverting = inst.previous_instance_type_id == Some(to);
    let previous: Val = if reverting { Val::Null } else { inst.instance_type_id.into() };
    let update = guarded::<InstanceRecord>(&ctx, inst.id)
        .set(InstanceRecord::instance_type_id, to)
        .set(InstanceRecord::previous_instance_type_id, previous);
    Ok(StepOut::done().typed(&ResizedFrom { from: inst.instance_type_id }).batch(update.stmt(now()).into()))
}

pub(super) async fn vm_resize_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    // A step that failed after resizing left no output, and no type swap in the record.
    let from = ctx.output_of::<ResizedFrom>("vm_resize")?.map_or(inst.instance_type_id, |r| r.from);
    let itype = ctx.engine.store().get_by_id::<InstanceTypeRecord>(from).await?;
    if let (Some(itype), Some(vm)) = (itype, inst.provider_id.as_deref()) {
        let cloud = cloud(&ctx).await?;
        let action = VmAction::Resize { instance_type: itype.name, vcpus: itype.vcpus, memory_mib: itype.memory_mib };
        cloud.vm_action(vm, action).await?;
        cloud.wait_for(ResourceKind::Vm, vm, &[ProviderStatus::Running, ProviderStatus::Stopped]).await?;
    }
    let update = Update::<InstanceRecord>::of(inst.id)
        .set(InstanceRecord::instance_type_id, from)
        .set(InstanceRecord::previous_instance_type_id, Val::Null)
        .lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

pub(super) async fn vm_wait_resized(ctx: StepCtx) -> Result<StepOut, StepError> {
    let inst = instance(&ctx).await?;
    cloud(&ctx)
        .await?
        .wait_for(ResourceKind::Vm, vm_id(&inst)?, &[ProviderStatus::Running, ProviderStatus::Stopped])
        .await?;
    Ok(StepOut::done())
}

pub(super) async fn resize_confirm(ctx: StepCtx) -> Result<StepOut, StepError> {
    let update =
        guarded::<InstanceRecord>(&ctx, ctx.target_id).set(InstanceRecord::previous_instance_type_id, Val::Null);
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

pub(super) async fn image_row(ctx: &StepCtx) -> Result<ImageRecord, StepError> {
    let id = params(ctx)?.image_id.ok_or_else(|| StepError::Fail("no image".into()))?;
    ctx.engine
        .store()
        .get_by_id::<ImageRecord>(id)
        .await?
        .ok_or_else(|| StepError::Fail("the image row is gone".into()))
}

pub(super) async fn image_create(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    if let Some(id) = &image.provider_id {
        return Ok(StepOut::done().typed(&ImageMade { image: id.clone() }));
    }
    let root = root_volume(&ctx).await?;
    let disk = root.provider_id.ok_or_else(|| StepError::Fail("the root volume has no disk".into()))?;
    let spec = CreateSpec::Image { name: image.name.clone(), tag: image.id.to_string(), disk };
    let r = cloud(&ctx).await?.ensure_created(spec, ctx.may_have_run).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, r.id.as_str());
    Ok(StepOut::done().typed(&ImageMade { image: r.id }).batch(update.stmt(now()).into()))
}

pub(super) async fn image_create_undo(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    let id = ctx.made(image.provider_id.clone(), "image_create", |o: ImageMade| o.image)?;
    cloud(&ctx).await?.ensure_deleted(ResourceKind::Image, id.as_deref(), &image.id.to_string()).await?;
    let update = Update::<ImageRecord>::of(image.id).set(common::PROVIDER_ID, Val::Null).lenient();
    Ok(StepOut::done().batch(update.stmt(now()).into()))
}

pub(super) async fn image_wait(ctx: StepCtx) -> Result<StepOut, StepError> {
    let image = image_row(&ctx).await?;
    let pid = image.provider_id.clone().ok_or_else(|| StepError::Fail("the image was not created".into()))?;
    let r = cloud(&ctx).await?.wait_for(ResourceKind::Image, &pid, &[ProviderStatus::Available]).await?;
    let t = now();
    let mut batch = Batch::from(
        Update::<ImageRecord>::of(image.id)
            .set(common::STATE, "Active")
            .set(common::OP_ID, Val::Null)
            .set(ImageRecord::size_gb, r.attr_i64("size_gb").unwrap_or(image.size_gb))
            .stmt(t),
    );
    batch.extend(settle_after_image(&ctx, None, t).await?);
    Ok(StepOut::done().batch(batch))
}

/// The instance is free again and its root volume back in use.
pub(super) async fn settle_after_image(ctx: &StepCtx, reason: Option<String>, t: i64) -> Result<Batch, StepError> {
    let root = root_volume(ctx).await?;
    let mut batch = Batch::from(
        Update::<VolumeRecord>::of(root.id)
            .set(common::STATE, VolumeState::InUse.as_str())
            .set(common::OP_ID, Val::Null)
            .lenient()
            .stmt(t),
    );
    let mut update = guarded::<InstanceRecord>(ctx, ctx.target_id).set(common::OP_ID, Val::Null).lenient();
    if let Some(r) = reason {
        update = update.set(common::STATE_REASON, r);
    }
    batch.push(update.stmt(t));
    Ok(batch)
}

pub(super) async fn create_image_failed(ctx: StepCtx, failure: Failure) -> Result<Batch, StepError> {
    let t = now();
    let image = image_row(&ctx).await?;
    let mut batch = Batch::from(
        Update::<ImageRecord>::of(image.id)
            .set(common::STATE, "Error")
            .set(common::STATE_REASON, failure.error.clone())
            .set(common::OP_ID, Val::Null)
            .lenient()
            .stmt(t),
    );
    batch.extend(settle_after_image(&ctx, Some(format!("create-image failed: {}", failure.error)), t).await?);
    Ok(batch)
}
