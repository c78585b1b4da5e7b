//! Omicron-style saga tests over every workflow of the registry: each runs with every
//! step (and undo) replayed, and fails after each of its steps in turn. A replayed run
//! must end exactly like a plain one; a failed run must unwind to a settled state with
//! nothing left at the provider, and the user must be able to clean up what failed.

mod support;

use gureum_api_types::OperationStatus;
use gureum_engine::WorkflowHooks;
use gureum_engine::testing::FAST;
use std::collections::BTreeSet;
use support::scenarios::Scenario;
use support::scenarios::checks::{check_failed, check_succeeded};
use support::scenarios::start::{prepare, start};
use support::{H, Report};

#[test]
fn every_workflow_kind_and_step_is_exercised() {
    let registered: BTreeSet<&str> = gureum_engine::workflow::kinds::all().iter().map(|d| d.kind).collect();
    let covered: BTreeSet<&str> = Scenario::ALL.iter().map(|s| s.kind()).collect();
    assert_eq!(registered, covered, "every registered workflow needs a scenario (and no scenario a phantom one)");
    for s in Scenario::ALL {
        assert!(!s.steps().is_empty(), "{s:?}");
    }
}

/// Runs each scenario plainly, then with every step run twice: both must succeed and
/// leave the same end state.
#[tokio::test(flavor = "multi_thread")]
async fn replaying_every_step_changes_nothing() {
    let h = H::start().await;
    let mut r = Report::default();
    for (i, s) in Scenario::ALL.iter().copied().enumerate() {
        for replay in [false, true] {
            let p = format!("r{i}-{}", if replay { "replay" } else { "plain" });
            r.set_context(format!("{s:?}{}", if replay { " replayed" } else { "" }));
            prepare(&h, s, &p).await;
            h.hooks(WorkflowHooks { replay, fail_after: None });
            let op = start(&h, s, &p).await;
            let o = h.finish(&p, Some(op)).await;
            h.hooks(WorkflowHooks::default());
            r.check(o.status == OperationStatus::Succeeded, || format!("ended {}: {:?}", o.status, o.error));
            let target = h.workflow(op).await.target_id;
            check_succeeded(&h, s, &p, target, &mut r).await;
            h.world(&[FAST], &mut r).await;
        }
    }
    r.assert_clean();
}

/// Fails each scenario's workflow after each of its steps in turn, on a fresh project
/// every time; then again with every step and undo run twice, so the unwind is shown
/// to be idempotent too.
async fn fail_after_every_step(group: &str, scenarios: &[Scenario]) {
    let h = H::start().await;
    let mut r = Report::default();
    let mut n = 0;
    for replay in [false, true] {
        for &s in scenarios {
            for step in s.steps() {
                n += 1;
                let p = format!("{group}-{n}");
                r.set_context(format!("{s:?} failing after {step}{}", if replay { ", replayed" } else { "" }));
                fail_once(&h, s, step, replay, &p, &mut r).await;
            }
        }
    }
    r.assert_clean();
}

async fn fail_once(h: &H, s: Scenario, step: &str, replay: bool, p: &str, r: &mut Report) {
    prepare(h, s, p).await;
    h.hooks(WorkflowHooks { replay, fail_after: Some((s.kind().into(), step.into())) });
    let op = start(h, s, p).await;
    let o = h.finish(p, Some(op)).await;
    h.hooks(WorkflowHooks::default());
    r.check(o.status == OperationStatus::Failed, || format!("ended {}: {:?}", o.status, o.error));
    let injected = format!("injected failure after step {step}");
    r.check(o.error.as_deref().is_some_and(|e| e.contains(&injected)), || {
        format!("the operation's error does not say what failed: {:?}", o.error)
    });
    let target = h.workflow(op).await.target_id;
    h.world(&[FAST], r).await;
    check_failed(h, s, p, target, r).await;
    h.world(&[FAST], r).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_generic_workflows_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step(
        "g",
        &[
            VpcCreate,
            SubnetCreate,
            SecurityGroupCreate,
            KeyPairCreate,
            VolumeCreate,
            PublicIpCreate,
            VpcDelete,
            SubnetDelete,
            SecurityGroupDelete,
            KeyPairDelete,
            VolumeDelete,
            PublicIpDelete,
            SnapshotDelete,
            ImageDelete,
            RuleAdd,
            RuleRemove,
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_instance_creates_and_deletes_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step("c", &[InstanceCreate, InstanceCreateStaticIp, InstanceDelete, InstanceDeleteWithVolumes])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_instance_actions_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step(
        "a",
        &[
            InstanceStart,
            InstanceStop,
            InstanceReboot,
            InstanceRebootHard,
            InstanceShelve,
            InstanceUnshelve,
            InstanceResize,
            InstanceResizeConfirm,
            InstanceResizeRevert,
            InstanceCreateImage,
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_volume_and_ip_workflows_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step(
        "v",
        &[VolumeAttach, VolumeDetach, VolumeExtend, VolumeUpload, VolumeSnapshot, PublicIpAttach, PublicIpDetach],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_provisionings_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step("st", &[StackExecute, StackReturn]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_template_workflows_unwind_cleanly() {
    use Scenario::*;
    fail_after_every_step("tp", &[TemplateCreate, TemplateSysprep, TemplateRelease, TemplateDelete]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_maintenance_runs_roll_back_cleanly() {
    fail_after_every_step("mt", &[Scenario::MaintenanceRun]).await;
}
