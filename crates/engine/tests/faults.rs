//! Workflows under the faults a real cloud and a real server have: an action that
//! preempts a running one, a provider that loses its answer, fails for good or runs out
//! of room, and a server that dies mid-workflow and starts again.

mod support;

use gureum_api_types::*;
use gureum_driver::ResourceKind;
use gureum_engine::{Engine, EngineConfig, Error, SecretKey};
use gureum_store::{Store, WorkflowRecord};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{H, Report, instance_req};

/// Polls the instance until `until` says yes (or fails the test after 20 s).
async fn instance_reaches(h: &H, p: &str, name: &str, what: &str, until: impl Fn(&Instance) -> bool) -> Instance {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let i = h.engine().instance_get(h.admin(), p, name).await.expect("instance");
        if until(&i) {
            return i;
        }
        assert!(Instant::now() < deadline, "instance {name} never {what}; it is {} ({:?})", i.state, i.state_reason);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Calls `f` again while the engine answers that the instance changed under the call (a
/// running workflow committed between the read and the write): its 409 says to retry.
async fn retrying<T, F: Future<Output = Result<T, Error>>>(what: &str, mut f: impl FnMut() -> F) -> T {
    for _ in 0..20 {
        match f().await {
            Err(Error::Conflict(m)) if m.contains("changed by another request") => continue,
            other => return other.unwrap_or_else(|e| panic!("{what}: {e}")),
        }
    }
    panic!("{what}: still conflicting after 20 tries")
}

/// The whole database settled and the connections' providers matching it.
async fn assert_world(h: &H, context: &str, connections: &[&str]) {
    let mut r = Report::default();
    r.set_context(context);
    h.world(connections, &mut r).await;
    r.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_instance_while_it_is_created_cancels_the_create() {
    let h = H::start().await;
    // Slow disks and VMs so the delete lands mid-create; everything else instant.
    h.connection("slow", json!({ "latency_ms": { "default": 0, "disk_create": 300, "vm_create": 300 } })).await;
    // Preempt while the root disk is made, and while the VM boots.
    let cases: [(&str, &[InstanceState]); 2] = [
        ("making the root disk", &[InstanceState::BlockDeviceMapping]),
        ("booting the VM", &[InstanceState::Spawning, InstanceState::Starting]),
    ];
    for (n, (when, states)) in cases.into_iter().enumerate() {
        let p = format!("preempt-{n}");
        h.project(&p).await;
        h.network(&p, "slow").await;
        h.volume(&p, "data", "slow").await;
        let create = h
            .engine()
            .instance_create(h.admin(), &p, instance_req("vm", PublicIpMode::Ephemeral, &["data"]))
            .await
            .expect("create");
        instance_reaches(&h, &p, "vm", when, |i| states.contains(&i.state)).await;
        let delete = retrying("delete while creating", || h.engine().instance_delete(h.admin(), &p, "vm", false)).await;
        assert_eq!(delete.state, InstanceState::Deleting, "{when}");
        let created = h.finish(&p, create.operation_id).await;
        assert_eq!(created.status, OperationStatus::Cancelled, "{when}: the create ends cancelled: {created:?}");
        h.succeed(&p, delete.operation_id).await;
        assert!(h.get_instance(&p, "vm").await.is_none(), "{when}: the instance is gone");
        let data = h.get_volume(&p, "data").await.expect("data volume kept");
        assert_eq!((data.state, data.instance), (VolumeState::Available, None), "{when}");
        for kind in [ResourceKind::Vm, ResourceKind::PublicIp] {
            assert!(h.tagged("slow", kind, create.id).await.is_empty(), "{when}: a {kind} of the instance remains");
        }
        let volumes = h.engine().volume_list(h.admin(), &p, &ListQuery::default()).await.expect("volumes").items;
        assert_eq!(volumes.len(), 1, "{when}: only the data volume remains: {volumes:?}");
        assert_world(&h, when, &["slow"]).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hard_reboot_interrupts_a_soft_reboot() {
    let h = H::start().await;
    h.connection("slow", json!({ "latency_ms": { "default": 0, "vm_reboot": 1500 } })).await;
    h.project("p").await;
    h.network("p", "slow").await;
    h.instance("p", "vm", PublicIpMode::None, &[]).await;
    let soft = h
        .engine()
        .instance_reboot(h.admin(), "p", "vm", InstanceReboot { reboot_type: RebootType::Soft })
        .await
        .expect("soft reboot");
    assert_eq!(soft.state, InstanceState::Rebooting);
    instance_reaches(&h, "p", "vm", "waits for the reboot", |i| i.state == InstanceState::RebootStarted).await;
    // Nothing but a hard reboot or a delete may interrupt it.
    let refused = h.engine().instance_stop(h.admin(), "p", "vm").await.expect_err("stop while rebooting");
    assert!(refused.to_string().contains("Reboot_started"), "{refused}");
    let hard = retrying("hard reboot", || {
        h.engine().instance_reboot(h.admin(), "p", "vm", InstanceReboot { reboot_type: RebootType::Hard })
    })
    .await;
    assert_eq!(hard.state, InstanceState::RebootingHard);
    let soft_op = h.finish("p", soft.operation_id).await;
    assert_eq!(soft_op.status, OperationStatus::Cancelled, "{soft_op:?}");
    h.succeed("p", hard.operation_id).await;
    let vm = h.get_instance("p", "vm").await.expect("instance");
    assert_eq!(vm.state, InstanceState::Active);
    assert_eq!(h.tagged("slow", ResourceKind::Vm, vm.id).await.len(), 1);
    assert_world(&h, "hard reboot over a soft one", &["slow"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_answer_makes_nothing_twice() {
    let h = H::start().await;
    // Every create of a VM, disk or IP is made, and its answer lost.
    let lost = json!({ "vm_create": 1.0, "disk_create": 1.0, "public_ip_create": 1.0 });
    h.connection("lossy", json!({ "latency_ms": 0, "lost_response_rate": lost })).await;
    h.project("p").await;
    h.network("p", "lossy").await;
    let vm = h.instance("p", "vm", PublicIpMode::Ephemeral, &[]).await;
    assert!(vm.public_ip.as_ref().is_some_and(|ip| ip.address.is_some()), "{vm:?}");
    assert_eq!(h.tagged("lossy", ResourceKind::Vm, vm.id).await.len(), 1, "exactly one VM is tagged with the instance");
    let calls = h.sim_stats("lossy").await.per_operation;
    for op in ["vm_create", "disk_create", "public_ip_create"] {
        assert_eq!(calls.get(op), Some(&1), "{op} was called again after its answer was lost: {calls:?}");
    }
    let drift = h.engine().drift(h.admin(), "lossy").await.expect("drift");
    let mapped = |kind: &str| drift.mapped.iter().filter(|m| m.kind == kind).count();
    assert_eq!((mapped("vm"), mapped("disk"), mapped("public_ip")), (1, 1, 1), "{drift:?}");
    assert_world(&h, "lost answers", &["lossy"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_provider_fault_fails_the_create_and_leaves_nothing() {
    let h = H::start().await;
    h.connection("faulty", json!({ "latency_ms": 0, "fault_rate": { "vm_create": 1.0 } })).await;
    h.project("p").await;
    h.network("p", "faulty").await;
    h.volume("p", "data", "faulty").await;
    let i = h
        .engine()
        .instance_create(h.admin(), "p", instance_req("vm", PublicIpMode::Ephemeral, &["data"]))
        .await
        .expect("create accepted");
    let op = h.finish("p", i.operation_id).await;
    assert_eq!(op.status, OperationStatus::Failed);
    let vm = h.get_instance("p", "vm").await.expect("the instance stays, in error");
    assert_eq!(vm.state, InstanceState::Error);
    let reason = vm.state_reason.unwrap_or_default();
    assert!(reason.contains("vm_create") && reason.contains("InternalError"), "the reason names the fault: {reason}");
    assert!(op.steps.iter().any(|s| s.name == "vm_create" && s.error.is_some()), "{:?}", op.steps);
    let calls = h.sim_stats("faulty").await.per_operation;
    assert_eq!(calls.get("vm_create"), Some(&1), "a permanent fault is not retried: {calls:?}");
    for kind in [ResourceKind::Vm, ResourceKind::Disk, ResourceKind::PublicIp] {
        let left: Vec<_> = h.tagged("faulty", kind, vm.id).await;
        assert!(left.is_empty(), "{kind} left: {left:?}");
    }
    let volumes = h.engine().volume_list(h.admin(), "p", &ListQuery::default()).await.expect("volumes").items;
    assert_eq!(volumes.len(), 1, "the root volume row went with its disk: {volumes:?}");
    assert_eq!((volumes[0].state, volumes[0].instance.clone()), (VolumeState::Available, None));
    assert_world(&h, "permanent fault", &["faulty"]).await;
    let d = h.engine().instance_delete(h.admin(), "p", "vm", false).await.expect("delete the failed instance");
    h.succeed("p", d.operation_id).await;
    assert_world(&h, "permanent fault, deleted", &["faulty"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_beyond_capacity_goes_to_error_naming_it() {
    let h = H::start().await;
    h.connection("small", json!({ "latency_ms": 0, "capacity": { "instances": 1 } })).await;
    h.project("p").await;
    h.network("p", "small").await;
    h.instance("p", "vm1", PublicIpMode::None, &[]).await;
    let i =
        h.engine().instance_create(h.admin(), "p", instance_req("vm2", PublicIpMode::None, &[])).await.expect("vm2");
    assert_eq!(h.finish("p", i.operation_id).await.status, OperationStatus::Failed);
    let vm2 = h.get_instance("p", "vm2").await.expect("vm2");
    assert_eq!(vm2.state, InstanceState::Error);
    let reason = vm2.state_reason.unwrap_or_default();
    assert!(reason.contains("capacity"), "the reason names the capacity: {reason}");
    assert!(h.tagged("small", ResourceKind::Disk, vm2.id).await.is_empty());
    assert_world(&h, "capacity", &["small"]).await;
    // Room made, the next one fits.
    for name in ["vm1", "vm2"] {
        let d = h.engine().instance_delete(h.admin(), "p", name, false).await.expect("delete");
        h.succeed("p", d.operation_id).await;
    }
    h.instance("p", "vm3", PublicIpMode::None, &[]).await;
    assert_world(&h, "capacity freed", &["small"]).await;
}

/// An engine on `url` and `data_dir` as a server with a fixed identity would start:
/// bootstrap (the admin's token on a fresh database), then resume unfinished work.
async fn server(url: &str, data_dir: &Path) -> (Engine, Option<String>) {
    let store = Store::open(url).await.expect("store");
    // One key for both lives of the server, as its data directory would keep it.
    static KEY: std::sync::OnceLock<SecretKey> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(SecretKey::generate).clone();
    let mut config = EngineConfig::new(data_dir.to_path_buf(), key).with_drivers(gureum_sim::registry());
    config.wait_timeout = Duration::from_secs(60);
    config.server_id = Some("restart-test".into());
    let engine = Engine::new(store, config);
    let token = engine.bootstrap().await.expect("bootstrap").admin_token;
    engine.start();
    (engine, token)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_server_finishes_the_workflow_it_was_running() {
    let (url, _db) = gureum_store::testing::fresh_database().await.expect("database");
    let data = tempfile::tempdir().expect("data dir");

    // The first server runs in a runtime of its own, which is torn down mid-create:
    // every task it had stops at whatever await it was in, as in a crash.
    let (u, dir) = (url.clone(), data.path().to_path_buf());
    let (token, op, vm_id) = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let out = rt.block_on(async move {
            let (engine, token) = server(&u, &dir).await;
            let token = token.expect("a fresh database makes an admin");
            let admin = engine.authenticate(&token, "test").await.expect("admin");
            let h = H::on(engine, admin);
            h.connection("slow", json!({ "latency_ms": { "default": 0, "disk_create": 300, "vm_create": 1500 } }))
                .await;
            h.project("p").await;
            h.network("p", "slow").await;
            let i = h
                .engine()
                .instance_create(h.admin(), "p", instance_req("vm", PublicIpMode::Ephemeral, &[]))
                .await
                .expect("create");
            let booting = instance_reaches(&h, "p", "vm", "boots", |i| i.state == InstanceState::Starting).await;
            assert_eq!(h.tagged("slow", ResourceKind::Vm, booting.id).await.len(), 1, "the VM is being made");
            (token, i.operation_id.expect("op"), i.id)
        });
        rt.shutdown_background();
        out
    })
    .join()
    .expect("first server");

    let left = Store::open(&url).await.expect("store").get_by_id::<WorkflowRecord>(op).await.expect("db").expect("op");
    assert!(!left.status.is_finished(), "the crash left the create unfinished ({})", left.status);

    let (engine, token2) = server(&url, data.path()).await;
    assert!(token2.is_none(), "the second server found the first one's database");
    let admin = engine.authenticate(&token, "test").await.expect("admin");
    let h = H::on(engine, admin);
    h.succeed("p", Some(op)).await;
    let vm = h.get_instance("p", "vm").await.expect("instance");
    assert_eq!(vm.state, InstanceState::Active);
    assert!(vm.public_ip.as_ref().is_some_and(|ip| ip.address.is_some()), "{vm:?}");
    assert_eq!(h.tagged("slow", ResourceKind::Vm, vm_id).await.len(), 1, "the resumed create made no second VM");
    assert_world(&h, "after the restart", &["slow"]).await;
}
