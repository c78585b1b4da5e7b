//! Maintenance executing on the simulated cloud, over the API: a slot starts at its time
//! and the runbook upgrades the kernel; a failed update rolls back; a mandatory task's
//! deadline schedules what is left; higher priority starts first; and rate control under
//! load (40 resources, `max_concurrency` 5, 30 % injected failures).

use crate::support::{Api, Client};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const TASKS: &str = "/v1/projects/p/maintenance-tasks";

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn parse(s: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(s.as_str().unwrap_or_else(|| panic!("a time: {s}")), &Rfc3339).unwrap()
}

async fn world(instances: usize) -> (Api, Client) {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p").await;
    for i in 0..instances {
        c.instance("p", &format!("vm{i}")).await;
    }
    (api, c)
}

fn kernel_task(name: &str, kernel: &str, resources: &[&str]) -> Value {
    json!({"name": name, "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
           "type": "kernel_upgrade", "apply": {"kernel": kernel, "health_timeout_seconds": 10},
           "downtime": true, "resources": resources, "max_concurrency": "100%"})
}

fn resource<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["resources"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()
}

/// Polls the task until `done` holds of it (60 s at most).
async fn until(c: &Client, task: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        let t = c.get(&format!("{TASKS}/{task}")).await;
        if done(&t) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{task}: never {what}: {}", c.get(&format!("{TASKS}/{task}")).await);
}

async fn log(c: &Client, task: &str, r: &str) -> String {
    let lines = c.get(&format!("{TASKS}/{task}/resources/{r}/log")).await;
    lines.as_array().unwrap().iter().map(|l| l["line"].as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n")
}

async fn instance_state(c: &Client, name: &str) -> String {
    c.get(&format!("/v1/projects/p/instances/{name}")).await["state"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slot_runs_at_its_time_and_the_kernel_is_upgraded() {
    let (_api, c) = world(2).await;
    let t = c.expect(201, Method::POST, TASKS, Some(kernel_task("k", "6.12", &["vm0", "vm1"]))).await;
    assert_eq!((t["restarts"].as_bool(), &t["expected_duration_seconds"]), (Some(true), &Value::Null), "{t}");
    let slot = OffsetDateTime::now_utc() + Duration::from_secs(2);
    let path = format!("{TASKS}/k/resources/vm0/schedule");
    let t = c.expect(200, Method::PUT, &path, Some(json!({"at": at(slot)}))).await;
    assert_eq!((resource(&t, "vm0")["status"].as_str(), t["status"].as_str()), (Some("Reserved"), Some("Pending")));

    let t = until(&c, "k", "completed vm0", |t| resource(t, "vm0")["status"] == "Completed").await;
    let r = resource(&t, "vm0");
    let delay = parse(&r["started_at"]) - parse(&r["scheduled_at"]);
    assert!(delay >= time::Duration::ZERO && delay < time::Duration::seconds(1), "started {delay} after its slot: {r}");
    assert_eq!((r["attempts"].as_i64(), &r["last_error"]), (Some(1), &Value::Null), "{r}");
    assert_eq!(t["counts"], json!({"completed": 1, "failed": 0, "total": 2}), "{t}");
    assert_eq!(t["status"], "Pending", "vm1 has no schedule: {t}");
    assert!(t["expected_duration_seconds"].as_f64().is_some(), "estimated from the run: {t}");
    let lines = log(&c, "k", "vm0").await;
    for want in
        ["pre-check passed", "snapshot", "stopped", "applied: boot kernel 6.12", "health check passed", "completed"]
    {
        assert!(lines.contains(want), "log lacks {want:?}:\n{lines}");
    }
    assert!(lines.contains("kernel 6.12"), "{lines}");
    assert_eq!(instance_state(&c, "vm0").await, "Active");
    assert_eq!(log(&c, "k", "vm1").await, "", "vm1 never ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_upgrade_rolls_back_and_retries_before_it_fails() {
    let (_api, c) = world(1).await;
    let mut body = kernel_task("bad", "broken", &["vm0"]);
    body["retries"] = json!(1);
    body["retry_backoff_seconds"] = json!(1);
    c.expect(201, Method::POST, TASKS, Some(body)).await;
    c.expect(200, Method::POST, &format!("{TASKS}/bad/resources/vm0/run-now"), None).await;
    let t = until(&c, "bad", "failed", |t| t["status"] == "Failed").await;
    let r = resource(&t, "vm0");
    assert_eq!(r["attempts"], 2, "one retry: {r}");
    assert!(r["last_error"].as_str().unwrap().contains("health check"), "{r}");
    let lines = log(&c, "bad", "vm0").await;
    for want in [
        "attempt 1 failed",
        "retrying",
        "attempt 2 started",
        "rollback: root disk reverted",
        "rollback: boot kernel 6.1",
        "rollback: started again",
        "failed:",
    ] {
        assert!(lines.contains(want), "log lacks {want:?}:\n{lines}");
    }
    assert_eq!(instance_state(&c, "vm0").await, "Active", "started again on the old kernel");
    // Retried by hand it runs again, and fails the same way.
    c.expect(200, Method::POST, &format!("{TASKS}/bad/resources/vm0/retry"), None).await;
    let t = until(&c, "bad", "failed again", |t| t["status"] == "Failed" && resource(t, "vm0")["attempts"] == 2).await;
    assert!(resource(&t, "vm0")["last_error"].as_str().unwrap().contains("health check"), "{t}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_schedules_what_is_left_and_high_priority_goes_first() {
    let (_api, c) = world(2).await;
    let deadline = OffsetDateTime::now_utc() + Duration::from_secs(2);
    let mut low = kernel_task("low", "6.12", &["vm0"]);
    low["priority"] = json!("low");
    let mut high = kernel_task("high", "6.12", &["vm1"]);
    high["priority"] = json!("high");
    for mut t in [low, high] {
        t["requirement"] = json!("mandatory");
        t["deadline"] = json!(at(deadline));
        t.as_object_mut().unwrap().remove("recommended_date");
        c.expect(201, Method::POST, TASKS, Some(t)).await;
    }
    let low = until(&c, "low", "completed", |t| t["status"] == "Completed").await;
    let high = until(&c, "high", "completed", |t| t["status"] == "Completed").await;
    let (l, h) = (resource(&low, "vm0"), resource(&high, "vm1"));
    assert!(log(&c, "low", "vm0").await.contains("scheduled automatically"));
    assert!(parse(&l["started_at"]) >= deadline - time::Duration::milliseconds(5), "{l}");
    assert!(parse(&h["started_at"]) <= parse(&l["started_at"]), "high before low: {h} {l}");
}

/// 40 resources, five at a time, 30 % of updates failing at the provider: never more
/// than five run (sampled every 20 ms); after `max_errors` + 1 failures the task stops,
/// and what had not started ends Failed with that reason.
#[tokio::test(flavor = "multi_thread")]
async fn rate_control_holds_under_load() {
    let (_api, c) = world(40).await;
    let settings =
        json!({"settings": {"latency_ms": {"default": 0, "vm_update": 200}, "fault_rate": {"vm_update": 0.3}}});
    c.expect(200, Method::PATCH, "/v1/connections/fast", Some(settings)).await;
    let names: Vec<String> = (0..40).map(|i| format!("vm{i}")).collect();
    let mut body = kernel_task("roll", "6.12", &names.iter().map(String::as_str).collect::<Vec<_>>());
    body["max_concurrency"] = json!("5");
    body["max_errors"] = json!("3");
    c.expect(201, Method::POST, TASKS, Some(body)).await;
    let now = at(OffsetDateTime::now_utc() + Duration::from_millis(500));
    c.expect(200, Method::POST, &format!("{TASKS}/roll/schedule"), Some(json!({"at": now}))).await;

    let mut most = 0;
    let t = loop {
        let t = c.get(&format!("{TASKS}/roll")).await;
        let count = |s: &str| t["resources"].as_array().unwrap().iter().filter(|r| r["status"] == s).count();
        most = most.max(count("In_progress"));
        if count("In_progress") + count("Reserved") == 0 {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(most <= 5, "{most} ran at once");
    assert!(most >= 2, "it ran in parallel ({most})");
    let rs = t["resources"].as_array().unwrap();
    let ran_and_failed = rs.iter().filter(|r| r["status"] == "Failed" && r["attempts"].as_i64() > Some(0)).count();
    let cancelled: Vec<&Value> = rs.iter().filter(|r| r["attempts"] == 0).collect();
    let completed = rs.iter().filter(|r| r["status"] == "Completed").count();
    assert!(t["stopped_reason"].as_str().is_some_and(|s| s.contains("max_errors")), "{}", t["stopped_reason"]);
    // The fourth failure stops it; at most the four others then running fail as well.
    assert!((4..=8).contains(&ran_and_failed), "{ran_and_failed} failed runs");
    assert!(!cancelled.is_empty(), "some never started");
    for r in &cancelled {
        assert_eq!(r["status"], "Failed", "{r}");
        assert!(r["last_error"].as_str().unwrap().starts_with("cancelled"), "{r}");
    }
    assert_eq!(completed + ran_and_failed + cancelled.len(), 40);
    assert_eq!(t["status"], "Failed");
}

/// Two servers on one database, both schedulers running: every slot fires once. The
/// second runs its scheduler alone (its own simulated cloud would otherwise make its
/// reconciler see the first's VMs as gone), so the runs it starts fail their pre-check;
/// what counts here is that no slot starts twice or not at all.
#[tokio::test(flavor = "multi_thread")]
async fn two_servers_fire_each_slot_once() {
    let (api, c) = world(30).await;
    let store = gureum_store::Store::open(&api.te.database_url).await.expect("second store");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = gureum_engine::EngineConfig::new(dir.path().to_path_buf(), gureum_engine::SecretKey::generate())
        .with_drivers(gureum_sim::registry());
    let second = gureum_engine::Engine::new(store, config);
    let ticking = second.clone();
    let ticks = tokio::spawn(async move {
        loop {
            ticking.maintenance_tick().await.expect("second scheduler");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let names: Vec<String> = (0..30).map(|i| format!("vm{i}")).collect();
    let mut body = kernel_task("twice", "6.12", &names.iter().map(String::as_str).collect::<Vec<_>>());
    body["max_errors"] = json!("100%");
    c.expect(201, Method::POST, TASKS, Some(body)).await;
    let soon = at(OffsetDateTime::now_utc() + Duration::from_millis(500));
    c.expect(200, Method::POST, &format!("{TASKS}/twice/schedule"), Some(json!({ "at": soon }))).await;
    let t = until(&c, "twice", "finished", |t| matches!(t["status"].as_str(), Some("Completed" | "Failed"))).await;
    for name in &names {
        let r = resource(&t, name);
        assert_eq!(r["attempts"], 1, "{r}");
        let lines = log(&c, "twice", name).await;
        assert_eq!(lines.matches("attempt 1 started").count(), 1, "{name}:\n{lines}");
    }
    let runbooks =
        api.te.engine.store().count_in("workflows", &[("kind", "maintenance_runbook".into())]).await.expect("count");
    assert_eq!(runbooks, 30, "one runbook per slot");
    eprintln!("first server ran {} slots, the second {}", t["counts"]["completed"], t["counts"]["failed"]);
    ticks.abort();
}

/// `service: provisioning` names stacks of the library: each of a stack's instances is a
/// resource of the task, maintained by its own runbook.
#[tokio::test(flavor = "multi_thread")]
async fn a_stack_is_maintained_instance_by_instance() {
    let api = Api::start().await;
    let c = api.admin();
    crate::provisioning::world(&c).await;
    crate::provisioning::website(&c, "site", 2).await;
    let body = json!({"name": "tune", "service": "provisioning", "requirement": "recommended",
                      "recommended_date": "2026-01-01T00:00:00Z", "type": "config_change",
                      "apply": {"settings": {"vm.swappiness": "10"}}, "resources": ["site"], "max_concurrency": "2"});
    let t = c.expect(201, Method::POST, TASKS, Some(body.clone())).await;
    let names: Vec<String> =
        t["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names.len(), 2, "the stack's two VMs: {t}");
    let soon = at(OffsetDateTime::now_utc() + Duration::from_millis(300));
    c.expect(200, Method::POST, &format!("{TASKS}/tune/schedule"), Some(json!({ "at": soon }))).await;
    let t = until(&c, "tune", "completed", |t| t["status"] == "Completed").await;
    assert_eq!(t["counts"], json!({"completed": 2, "failed": 0, "total": 2}), "{t}");
    for name in &names {
        assert!(log(&c, "tune", name).await.contains("vm.swappiness=10"), "{name}");
    }
    let mut bad = body;
    bad["name"] = json!("nope");
    bad["resources"] = json!(["nothing"]);
    let r = c.send(Method::POST, TASKS, Some(&bad)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("no provisioning") && r.text.contains("resources"), "{}", r.text);
}

/// A slot whose instance cannot be maintained (stopped) does not start: it counts as an
/// attempt, is retried after its backoff, then ends Failed with the pre-check's reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_slot_that_cannot_start_is_retried_then_failed() {
    let (_api, c) = world(1).await;
    c.act("p", "vm0", "stop", None).await;
    let mut body = kernel_task("stopped", "6.12", &["vm0"]);
    body["retries"] = json!(1);
    body["retry_backoff_seconds"] = json!(1);
    c.expect(201, Method::POST, TASKS, Some(body)).await;
    c.expect(200, Method::POST, &format!("{TASKS}/stopped/resources/vm0/run-now"), None).await;
    let t = until(&c, "stopped", "failed", |t| t["status"] == "Failed").await;
    let r = resource(&t, "vm0");
    assert_eq!((r["attempts"].as_i64(), &r["operation"]), (Some(2), &Value::Null), "no runbook ran: {r}");
    assert!(r["last_error"].as_str().unwrap().contains("the instance is Stopped"), "{r}");
    let lines = log(&c, "stopped", "vm0").await;
    assert!(lines.contains("attempt 1 failed: pre-check") && lines.contains("retrying in 1 s"), "{lines}");
    assert_eq!(instance_state(&c, "vm0").await, "Stopped", "left as it was");
}
