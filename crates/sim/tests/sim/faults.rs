//! Injected faults: what each one changes, and what it leaves for gureum to recover.

use super::*;
use gureum_driver::{DriverError, VmAction};

fn vpc(tag: &str) -> CreateSpec {
    CreateSpec::Vpc { name: "n".into(), tag: tag.into(), cidr: "10.0.0.0/16".into() }
}

#[tokio::test]
async fn a_fault_fails_the_call_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "fault_rate": {"vm_create": 1.0}})));
    let disk = root_disk(&sim, "web").await;
    let err = sim.create(CreateSpec::Vm(vm_spec("web", &disk.id))).await.unwrap_err();
    assert!(matches!(&err, DriverError::Provider { code, .. } if code == "InternalError"), "{err}");
    assert!(!err.is_retryable() && !err.outcome_unknown());
    assert!(sim.list(ResourceKind::Vm).await.unwrap().is_empty());
    assert_eq!(status(&sim, ResourceKind::Disk, &disk.id).await, ProviderStatus::Available);

    // Settings change live; the next call succeeds.
    sim.set_settings(SimSettings::instant());
    sim.create(CreateSpec::Vm(vm_spec("web", &disk.id))).await.unwrap();
}

#[tokio::test]
async fn a_lost_answer_leaves_the_change_made_and_findable_by_tag() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "lost_response_rate": {"vm_create": 1.0}})));
    let disk = root_disk(&sim, "web").await;
    let err = sim.create(CreateSpec::Vm(vm_spec("web", &disk.id))).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    let vm = sim.find_by_tag(ResourceKind::Vm, "web").await.unwrap().expect("the orphan is there");
    assert_eq!(vm.status, ProviderStatus::Running);
    assert_eq!(status(&sim, ResourceKind::Disk, &disk.id).await, ProviderStatus::InUse);
    assert_eq!(sim.stats().per_operation["vm_create"], 1);
}

#[tokio::test]
async fn a_hang_times_out_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "hang_rate": {"vpc_create": 1.0}, "hang_ms": 20})));
    let err = sim.create(vpc("t")).await.unwrap_err();
    assert!(matches!(err, DriverError::Timeout(_)), "{err}");
    assert!(sim.find_by_tag(ResourceKind::Vpc, "t").await.unwrap().is_none());
    // Other operations are not affected.
    sim.create(disk_spec("d", ZONE, 10, DiskSource::Blank)).await.unwrap();
}

#[tokio::test]
async fn an_error_rate_ends_the_transition_in_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "error_rate": {"vm_start": 1.0, "vpc_delete": 1.0}})));
    let vm = vm(&sim, "web").await;
    sim.vm_action(&vm.id, VmAction::Stop { force: false }).await.unwrap();
    sim.vm_action(&vm.id, VmAction::Start).await.unwrap();
    let r = sim.get(ResourceKind::Vm, &vm.id).await.unwrap();
    assert_eq!(r.status, ProviderStatus::Error);
    assert_eq!(r.status_reason.as_deref(), Some("simulated failure during vm_start"));
    let err = sim.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], WAIT).await.unwrap_err();
    assert!(err.to_string().contains("went to error"), "{err}");

    // Only a hard reboot (or delete) gets a VM out of Error.
    let err = sim.vm_action(&vm.id, VmAction::Start).await.unwrap_err();
    assert!(matches!(err, DriverError::Conflict(_)), "{err}");
    sim.vm_action(&vm.id, VmAction::Reboot { hard: true }).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vm, &vm.id).await, ProviderStatus::Running);

    // A delete that fails leaves the resource in Error, and it can be deleted again.
    let v = sim.create(vpc("net")).await.unwrap();
    sim.delete(ResourceKind::Vpc, &v.id).await.unwrap();
    assert_eq!(status(&sim, ResourceKind::Vpc, &v.id).await, ProviderStatus::Error);
    sim.set_settings(SimSettings::instant());
    sim.delete(ResourceKind::Vpc, &v.id).await.unwrap();
    assert!(sim.wait(ResourceKind::Vpc, &v.id, &[], WAIT).await.unwrap().is_none());
}
