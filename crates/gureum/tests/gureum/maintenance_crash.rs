//! Exactly once across `kill -9`: a resource's slot is due, and the server is killed at
//! its firing moment — just before the scheduler's pass that fires it, or just after,
//! or mid-runbook. Started again on the same data and database, the resource runs once:
//! one attempt, one "attempt 1 started" line in its log, one runbook operation for its
//! instance; never zero times, never twice.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::clock::{parse_rfc3339, rfc3339};
use support::{Client, Server, connection_body, eventually};

const P: &str = "once";
const TASKS: &str = "/v1/projects/once/maintenance-tasks";
/// When the server dies, relative to the slot's time. The scheduler looks every 200 ms,
/// so a slot fires 0–200 ms after its time: −20 ms is always before the firing pass,
/// +60 and +150 ms fall either side of it. `None`: as soon as the API shows the resource
/// In_progress, which is after firing and (with the sim's 100 ms a call) mid-runbook.
const KILLS: [Option<i64>; 4] = [Some(-20), Some(60), Some(150), None];
/// How far ahead each slot is set: the time to create and schedule a task and more.
const AHEAD_US: i64 = 3_000_000;

async fn instance(c: &Client, name: &str) -> String {
    let body = json!({"name": name, "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net",
                      "security_groups": ["sg"]});
    c.run(P, "instances", Some(body)).await;
    c.get(&format!("/v1/projects/{P}/instances/{name}")).await["id"].as_str().unwrap().to_string()
}

fn config_task(name: &str, vm: &str, swappiness: usize) -> Value {
    json!({"name": name, "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
           "type": "config_change", "apply": {"settings": {"vm.swappiness": swappiness.to_string()}},
           "downtime": false, "resources": [vm], "max_concurrency": "1", "max_errors": "0", "retries": 0})
}

fn resource(task: &Value) -> Value {
    task["resources"][0].clone()
}

async fn log_lines(c: &Client, task: &str, vm: &str) -> Vec<String> {
    let lines = c.get(&format!("{TASKS}/{task}/resources/{vm}/log")).await;
    lines.as_array().unwrap().iter().map(|l| l["line"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slot_killed_at_its_firing_moment_runs_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _db_guard) = gureum_store::testing::fresh_database().await.unwrap();
    let mut server = Server::start(dir.path(), &db);
    let c = server.client();
    c.post("/v1/connections", connection_body("slow", json!({"latency_ms": 100}))).await;
    c.network(P, "slow").await;
    let mut ids = vec![];
    for i in 0..KILLS.len() {
        ids.push(instance(&c, &format!("vm{i}")).await);
    }

    let mut outcomes = vec![];
    for (round, kill) in KILLS.into_iter().enumerate() {
        let (task, vm) = (format!("round{round}"), format!("vm{round}"));
        let c = server.client();
        c.post(TASKS, config_task(&task, &vm, 10 + round)).await;
        let slot = gureum_store::now() + AHEAD_US;
        let path = format!("{TASKS}/{task}/resources/{vm}/schedule");
        let (status, t) = c.call(reqwest::Method::PUT, &path, Some(json!({"at": rfc3339(slot)}))).await;
        assert_eq!((status, resource(&t)["status"].as_str()), (200, Some("Reserved")), "{t}");

        match kill {
            Some(offset_ms) => {
                let wait = slot + offset_ms * 1000 - gureum_store::now();
                assert!(wait > 0, "round {round}: the set-up outlasted the slot's lead ({} ms late)", -wait / 1000);
                tokio::time::sleep(Duration::from_micros(wait as u64)).await;
            }
            None => {
                eventually(Duration::from_secs(30), &format!("round {round}: {vm} in progress"), async || {
                    let t = c.get(&format!("{TASKS}/{task}")).await;
                    if resource(&t)["status"] == "In_progress" { Ok(()) } else { Err(t.to_string()) }
                })
                .await
            }
        }
        let killed = gureum_store::now();
        server.kill();
        server = Server::start(dir.path(), &db);
        let restarted = gureum_store::now();
        let c = server.client();

        let t = eventually(Duration::from_secs(90), &format!("round {round}: {vm} completed"), async || {
            let t = c.get(&format!("{TASKS}/{task}")).await;
            match resource(&t)["status"].as_str() {
                Some("Completed") => Ok(t),
                Some("Failed") => panic!("round {round}: {vm} failed: {t}"),
                _ => Err(t.to_string()),
            }
        })
        .await;
        let r = resource(&t);
        assert_eq!(r["attempts"], 1, "round {round}: one attempt: {r}");
        let lines = log_lines(&c, &task, &vm).await;
        let started = lines.iter().filter(|l| l.starts_with("attempt 1 started")).count();
        assert_eq!(started, 1, "round {round}: one start in the log:\n{}", lines.join("\n"));
        assert!(
            !lines.iter().any(|l| l.contains("attempt 2")),
            "round {round}: no second attempt:\n{}",
            lines.join("\n")
        );
        let passed = format!("health check passed: the guest runs vm.swappiness={}", 10 + round);
        for once in ["completed", passed.as_str()] {
            let n = lines.iter().filter(|l| l.as_str() == once).count();
            assert_eq!(n, 1, "round {round}: {once:?} once:\n{}", lines.join("\n"));
        }

        let runbooks: Vec<Value> = c
            .list_all(&format!("/v1/projects/{P}/operations"))
            .await
            .into_iter()
            .filter(|o| o["kind"] == "maintenance_runbook" && o["target"]["id"] == ids[round].as_str())
            .collect();
        assert_eq!(runbooks.len(), 1, "round {round}: one runbook for {vm}: {runbooks:?}");
        assert_eq!(runbooks[0]["id"], r["operation"], "round {round}: the resource's run is that one: {r}");
        assert_eq!(runbooks[0]["status"], "succeeded", "round {round}: {}", runbooks[0]);
        let inst = c.get(&format!("/v1/projects/{P}/instances/{vm}")).await;
        assert!(inst["state"] == "Active" && inst["operation_id"].is_null(), "round {round}: {inst}");

        let fired = parse_rfc3339(r["started_at"].as_str().unwrap());
        let finished = parse_rfc3339(r["finished_at"].as_str().unwrap());
        let when = if fired > killed {
            "before firing: the restarted server fired it"
        } else if finished > killed {
            "after firing, mid-runbook: the restarted server resumed it"
        } else {
            "after the whole run"
        };
        let ms = |us: i64| us as f64 / 1000.0;
        eprintln!(
            "round {round}: killed {} at slot{:+.1} ms, {when}; fired at slot{:+.1} ms, completed {:.1} ms after \
             the restart",
            kill.map_or("once In_progress".into(), |o| format!("aiming at slot{o:+} ms")),
            ms(killed - slot),
            ms(fired - slot),
            ms(finished - restarted)
        );
        outcomes.push(when);
    }
    eprintln!("kills landed: {outcomes:?}");
    assert!(outcomes[0].starts_with("before"), "the first kill landed before its slot fired");
    assert!(!outcomes[KILLS.len() - 1].starts_with("before"), "the last kill landed after its slot fired");
}
