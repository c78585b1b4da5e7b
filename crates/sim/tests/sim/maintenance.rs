//! Maintenance on the simulated cloud: updates take their own operation's time (none on
//! a zero-latency connection) and follow the VM's status rules, the guest reports the
//! result once running, a broken kernel never gets the VM to Running, a revert puts the
//! root disk's guest back as its snapshot captured it, and faults hit per operation.

use super::*;
use gureum_driver::{DriverError, GuestFacts, GuestUpdate, VmAction};
use std::collections::BTreeMap;
use std::time::Instant;

fn kernel(prefix: &str) -> GuestUpdate {
    GuestUpdate::KernelUpgrade { kernel: prefix.into() }
}

fn config(key: &str, value: &str) -> GuestUpdate {
    GuestUpdate::ConfigChange { settings: BTreeMap::from([(key.to_string(), value.to_string())]) }
}

async fn facts(sim: &SimDriver, vm: &str) -> GuestFacts {
    sim.guest_facts(vm).await.expect("the running guest's facts")
}

async fn power(sim: &SimDriver, vm: &str, action: VmAction, to: ProviderStatus) {
    sim.vm_action(vm, action).await.unwrap();
    sim.wait(ResourceKind::Vm, vm, &[to], WAIT).await.unwrap();
}

fn conflict<T: std::fmt::Debug>(r: Result<T, DriverError>, says: &str) {
    match r {
        Err(DriverError::Conflict(m)) => assert!(m.contains(says), "{m}"),
        other => panic!("expected a conflict saying {says:?}: {other:?}"),
    }
}

#[tokio::test]
async fn each_kind_of_update_takes_its_own_time_and_none_on_an_instant_sim() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), latency(json!({"vm_kernel_upgrade": 300, "vm_config_change": 20})));
    let vm = vm(&sim, "web").await;
    let asked = Instant::now();
    sim.vm_update(&vm.id, &config("vm.swappiness", "10")).await.unwrap();
    let config_took = asked.elapsed();
    power(&sim, &vm.id, VmAction::Stop { force: false }, ProviderStatus::Stopped).await;
    let asked = Instant::now();
    sim.vm_update(&vm.id, &kernel("6.12")).await.unwrap();
    let kernel_took = asked.elapsed();
    assert!(config_took >= Duration::from_millis(20) && kernel_took >= Duration::from_millis(300));
    assert!(config_took < kernel_took, "{config_took:?} {kernel_took:?}");
    // Refused at once, without the operation's time.
    let asked = Instant::now();
    conflict(sim.vm_update(&vm.id, &config("vm.swappiness", "1")).await, "needs it running");
    assert!(asked.elapsed() < Duration::from_millis(300));

    let d = SimSettings::default();
    let ops = ["vm_config_change", "vm_kernel_upgrade", "vm_engine_upgrade", "vm_os_update"];
    let defaults: Vec<u64> = ops.iter().map(|op| d.latency(gureum_sim::Operation::parse(op).unwrap())).collect();
    assert!(defaults.is_sorted() && defaults[0] > 0, "an OS update is the longest: {defaults:?}");

    let instant = self::instant(&dir.path().join("instant"));
    let vm = super::vm(&instant, "db").await;
    let asked = Instant::now();
    instant.vm_update(&vm.id, &config("vm.swappiness", "10")).await.unwrap();
    power(&instant, &vm.id, VmAction::Stop { force: false }, ProviderStatus::Stopped).await;
    for update in [kernel("6.12"), GuestUpdate::OsUpdate { version: "24.04".into() }] {
        instant.vm_update(&vm.id, &update).await.unwrap();
    }
    assert!(asked.elapsed() < Duration::from_millis(200), "settled at once");
}

#[tokio::test]
async fn updates_show_in_what_the_guest_reports_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (vm, after) = {
        let sim = instant(dir.path());
        let vm = vm(&sim, "web").await.id;
        let before = facts(&sim, &vm).await;
        assert_eq!(before.kernel.as_deref(), Some("6.1.0-sim"));
        assert_eq!(before.settings.get("vm.swappiness").map(String::as_str), Some("60"));
        assert_eq!(sim.get(ResourceKind::Vm, &vm).await.unwrap().attr_str("kernel"), Some("6.1.0-sim"));

        sim.vm_update(&vm, &config("vm.swappiness", "10")).await.unwrap();
        sim.vm_update(&vm, &config("vm.swappiness", "10")).await.unwrap();
        assert_eq!(facts(&sim, &vm).await.settings["vm.swappiness"], "10", "no restart needed");
        conflict(sim.vm_update(&vm, &kernel("6.12")).await, "needs it stopped");

        power(&sim, &vm, VmAction::Stop { force: false }, ProviderStatus::Stopped).await;
        conflict(sim.guest_facts(&vm).await, "needs it running");
        match sim.vm_update(&vm, &kernel("5.10")).await {
            Err(DriverError::InvalidRequest(m)) => assert!(m.contains("installed: 6.1.0-sim"), "{m}"),
            other => panic!("an unknown kernel names the installed ones: {other:?}"),
        }
        for update in [
            kernel("6.12"),
            kernel("6.12"),
            GuestUpdate::OsUpdate { version: "24.04".into() },
            GuestUpdate::EngineUpgrade { version: "16.4".into() },
        ] {
            sim.vm_update(&vm, &update).await.unwrap();
        }
        power(&sim, &vm, VmAction::Start, ProviderStatus::Running).await;
        let after = facts(&sim, &vm).await;
        assert_eq!(after.kernel.as_deref(), Some("6.12.0-sim"));
        assert_eq!((after.os_version.as_deref(), after.engine_version.as_deref()), (Some("24.04"), Some("16.4")));
        assert_eq!(after.settings["vm.swappiness"], "10", "kept across the restart");
        assert!(sim.console_log(&vm).await.unwrap().contains("Linux version 6.12.0-sim"));
        (vm, after)
    };
    let sim = instant(dir.path());
    assert_eq!(facts(&sim, &vm).await, after);
}

#[tokio::test]
async fn a_broken_kernel_never_gets_running_and_the_previous_one_brings_the_vm_back() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vm = vm(&sim, "web").await.id;
    let previous = facts(&sim, &vm).await.kernel.unwrap();
    power(&sim, &vm, VmAction::Stop { force: true }, ProviderStatus::Stopped).await;
    sim.vm_update(&vm, &kernel("broken")).await.unwrap();
    sim.vm_action(&vm, VmAction::Start).await.unwrap();
    let err = sim.wait(ResourceKind::Vm, &vm, &[ProviderStatus::Running], Duration::from_millis(300)).await;
    assert!(matches!(err, Err(DriverError::Timeout(_))), "{err:?}");
    assert_eq!(status(&sim, ResourceKind::Vm, &vm).await, ProviderStatus::Starting);
    conflict(sim.guest_facts(&vm).await, "needs it running");
    assert!(sim.console_log(&vm).await.unwrap().contains("Could not boot"));

    power(&sim, &vm, VmAction::Stop { force: true }, ProviderStatus::Stopped).await;
    sim.vm_update(&vm, &kernel(&previous)).await.unwrap();
    power(&sim, &vm, VmAction::Start, ProviderStatus::Running).await;
    assert_eq!(facts(&sim, &vm).await.kernel, Some(previous));
}

#[tokio::test]
async fn a_revert_puts_back_the_guest_the_snapshot_captured() {
    let dir = tempfile::tempdir().unwrap();
    let sim = instant(dir.path());
    let vm = vm(&sim, "web").await;
    let root = vm.attr_str("root_disk").unwrap().to_string();
    sim.vm_update(&vm.id, &config("vm.swappiness", "10")).await.unwrap();
    let snap = CreateSpec::Snapshot { name: "before".into(), tag: "before".into(), disk: root.clone() };
    let snap = sim.create(snap).await.unwrap().id;
    let before = facts(&sim, &vm.id).await;
    sim.vm_update(&vm.id, &config("vm.swappiness", "99")).await.unwrap();
    conflict(sim.disk_revert(&root, &snap).await, "needs it stopped");
    power(&sim, &vm.id, VmAction::Stop { force: false }, ProviderStatus::Stopped).await;
    sim.vm_update(&vm.id, &kernel("6.12")).await.unwrap();

    let other = sim.create(disk_spec("other", ZONE, 10, DiskSource::Blank)).await.unwrap();
    match sim.disk_revert(&other.id, &snap).await {
        Err(DriverError::InvalidRequest(m)) => assert!(m.contains(&format!("is of disk {root}")), "{m}"),
        other => panic!("a snapshot of another disk is refused: {other:?}"),
    }
    sim.disk_revert(&root, &snap).await.unwrap();
    sim.disk_revert(&root, &snap).await.unwrap();
    power(&sim, &vm.id, VmAction::Start, ProviderStatus::Running).await;
    assert_eq!(facts(&sim, &vm.id).await, before, "the kernel and settings of the snapshot's instant");
}

#[tokio::test]
async fn faults_hit_each_operation_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = open(dir.path(), settings(json!({"latency_ms": 0, "fault_rate": {"vm_update": 1.0}})));
    let vm = vm(&sim, "web").await.id;
    let err = sim.vm_update(&vm, &config("vm.swappiness", "10")).await.unwrap_err();
    assert!(matches!(&err, DriverError::Provider { code, .. } if code == "InternalError"), "{err}");
    assert_eq!(facts(&sim, &vm).await.settings["vm.swappiness"], "60", "unchanged");
    assert_eq!(sim.stats().per_operation["vm_config_change"], 1);
    assert_eq!(sim.stats().per_operation["guest_facts"], 1);

    sim.set_settings(settings(json!({"latency_ms": 0, "fault_rate": {"vm_update": 1.0, "vm_config_change": 0}})));
    sim.vm_update(&vm, &config("vm.swappiness", "10")).await.unwrap();
    power(&sim, &vm, VmAction::Stop { force: false }, ProviderStatus::Stopped).await;
    assert!(sim.vm_update(&vm, &kernel("6.12")).await.is_err(), "the other updates still fail");

    sim.set_settings(settings(json!({"latency_ms": 0, "lost_response_rate": {"disk_revert": 1.0}})));
    let root = sim.get(ResourceKind::Vm, &vm).await.unwrap().attr_str("root_disk").unwrap().to_string();
    let snap = sim.create(CreateSpec::Snapshot { name: "s".into(), tag: "s".into(), disk: root.clone() }).await;
    let err = sim.disk_revert(&root, &snap.unwrap().id).await.unwrap_err();
    assert!(err.outcome_unknown(), "the revert was made, its answer lost: {err}");
}
