//! The VM template workflows on the zero-latency connection: a template created,
//! sysprepped, released and deleted. Templates belong to no project, so each scenario's
//! template is the one described as its project `p`.

use super::*;
use gureum_model::lean::{TemplateMode, TemplateState};

const POOL: &str = "tpl";

/// The template pool (with a roomy node) and the profile every template scenario uses.
async fn catalog(h: &H) {
    let (e, a) = (h.engine(), h.admin());
    if e.pool_get(a, POOL).await.is_ok() {
        return;
    }
    let pool = PoolCreate {
        name: POOL.into(),
        connection: C.into(),
        purpose: Some(gureum_model::pool::PoolPurpose::Template),
        name_prefix: Some("tpl".into()),
        domain: None,
        cpu_overcommit: None,
        memory_overcommit: None,
        disk_overcommit: None,
    };
    e.pool_create(a, pool).await.expect("template pool");
    let node = NodeCreate { name: "tn".into(), vcpus: 100_000, memory_mib: 1 << 30, disk_gb: 1 << 30 };
    e.node_create(a, POOL, node).await.expect("template node");
    let profile = VmProfileCreate {
        name: "ubuntu".into(),
        base_profile: OsFamily::Linux,
        install_media: "ubuntu-22.04".into(),
        description: String::new(),
        os_type: "Ubuntu".into(),
        os_version: "22.04".into(),
        memory_mib: 1024,
        disk_gb: 10,
        vcpus: 1,
        clock_offset: None,
    };
    e.vm_profile_create(a, profile).await.expect("profile");
}

/// The template of scenario project `p`.
pub(super) async fn template(h: &H, p: &str) -> Option<VmTemplate> {
    h.engine().vm_template_list(h.admin()).await.expect("templates").into_iter().find(|t| t.description == p)
}

async fn act(h: &H, p: &str, action: TemplateAction) {
    let t = template(h, p).await.expect("template");
    let t = h.engine().vm_template_action(h.admin(), &t.name, action).await.expect("action");
    h.succeed(p, t.operation_id).await;
}

pub(super) async fn prepare(h: &H, s: Scenario, p: &str) {
    catalog(h).await;
    if s == S::TemplateCreate {
        return;
    }
    let t = h.engine().vm_template_create(h.admin(), request(p)).await.expect("template");
    h.succeed(p, t.operation_id).await;
    if matches!(s, S::TemplateRelease | S::TemplateDelete) {
        act(h, p, TemplateAction::Sysprep).await;
    }
    if s == S::TemplateDelete {
        act(h, p, TemplateAction::Release).await;
    }
}

fn request(p: &str) -> VmTemplateCreate {
    VmTemplateCreate {
        profile: "ubuntu".into(),
        pool: POOL.into(),
        node: None,
        description: p.into(),
        memory_mib: None,
        disk_gb: None,
        vcpus: None,
        clock_offset: None,
    }
}

pub(super) async fn start(h: &H, s: Scenario, p: &str) -> Result<Option<Uuid>, Error> {
    let (e, a) = (h.engine(), h.admin());
    if s == S::TemplateCreate {
        return e.vm_template_create(a, request(p)).await.map(|t| t.operation_id);
    }
    let name = template(h, p).await.expect("template").name;
    match s {
        S::TemplateSysprep => e.vm_template_action(a, &name, TemplateAction::Sysprep).await,
        S::TemplateRelease => e.vm_template_action(a, &name, TemplateAction::Release).await,
        _ => e.vm_template_delete(a, &name).await,
    }
    .map(|t| t.operation_id)
}

/// The template's (state, mode, version) and how many VMs, disks and version images of
/// it the provider holds.
async fn seen(h: &H, p: &str, target: Uuid) -> (Option<(TemplateState, TemplateMode, i64)>, usize, usize, usize) {
    let t = template(h, p).await;
    let images = match &t {
        Some(t) => h
            .engine()
            .store()
            .list_all::<gureum_store::ImageRecord>(&[])
            .await
            .expect("images")
            .into_iter()
            .filter(|i| i.name.starts_with(&format!("{}-v", t.name)))
            .count(),
        None => 0,
    };
    let vms = h.tagged(C, ResourceKind::Vm, target).await.len();
    let disks = h.tagged(C, ResourceKind::Disk, target).await.len();
    (t.map(|t| (t.state, t.mode, t.version)), vms, disks, images)
}

pub(super) async fn check_succeeded(h: &H, s: Scenario, p: &str, target: Uuid, r: &mut Report) {
    let got = seen(h, p, target).await;
    let want = match s {
        S::TemplateCreate => (Some((TemplateState::Running, TemplateMode::FirstInstallation, 0)), 1, 1, 0),
        S::TemplateSysprep => (Some((TemplateState::Stopped, TemplateMode::FirstInstallation, 0)), 1, 1, 0),
        S::TemplateRelease => (Some((TemplateState::Stopped, TemplateMode::ReadyForUse, 1)), 1, 1, 1),
        _ => (None, 0, 0, 0),
    };
    r.check(got == want, || format!("template, VMs, disks, images: {got:?}, want {want:?}"));
    if s != S::TemplateDelete {
        delete(h, p, r).await;
    }
}

/// A failed action leaves the template with the reason (a failed create with nothing at
/// the provider, a failed release without a version); the administrator can then
/// delete it.
pub(super) async fn check_failed(h: &H, s: Scenario, p: &str, target: Uuid, r: &mut Report) {
    let t = template(h, p).await;
    let reason = t.as_ref().and_then(|t| t.state_reason.clone());
    r.check(reason.as_deref().is_some_and(|m| m.contains("injected failure")), || format!("reason {reason:?}"));
    let (_, vms, disks, images) = seen(h, p, target).await;
    match s {
        S::TemplateCreate => {
            r.check((vms, disks) == (0, 0), || format!("{vms} VMs and {disks} disks left by the unwind"));
            r.check(t.as_ref().is_some_and(|t| t.state == TemplateState::Error), || format!("{t:?}"));
        }
        S::TemplateRelease => {
            r.check(images == 0, || format!("{images} version images left by the unwind"));
            let v = t.as_ref().map(|t| (t.mode, t.version));
            r.check(v == Some((TemplateMode::FirstInstallation, 0)), || format!("mode and version {v:?}"));
        }
        _ => {}
    }
    delete(h, p, r).await;
}

async fn delete(h: &H, p: &str, r: &mut Report) {
    let Some(t) = template(h, p).await else { return };
    let d = h.engine().vm_template_delete(h.admin(), &t.name).await.expect("delete");
    let o = h.finish(p, d.operation_id).await;
    r.check(o.status == OperationStatus::Succeeded, || format!("deleting it afterwards: {:?}", o.error));
    let (left, vms, disks, _) = seen(h, p, t.id).await;
    r.check(left.is_none() && (vms, disks) == (0, 0), || {
        format!("after the delete: {left:?}, {vms} VMs, {disks} disks")
    });
}
