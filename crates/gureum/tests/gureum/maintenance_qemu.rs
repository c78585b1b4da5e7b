//! Maintenance for real on this host's QEMU (`local`), as issue 16 asks of CI: a kernel
//! upgrade of two tiny-linux instances at their slot (6.1 → 6.12, the running release
//! read from the guest by the health check and printed by the guest at boot), a
//! configuration change set in the running guest without a restart, and an upgrade to a
//! kernel that never gets ready rolled back onto the kernel the instance had, Active
//! again. Skips without QEMU, unless CI=true.

use crate::qemu::qemu_processes;
use crate::support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::clock::rfc3339;
use support::{Client, QemuHost, Server, eventually};

const P: &str = "maint";
const TASKS: &str = "/v1/projects/maint/maintenance-tasks";
/// A task's whole run under TCG on a loaded host: two boots, or a boot that never gets
/// ready and the rollback's boot.
const RUN: Duration = Duration::from_secs(300);
/// How long the broken kernel gets before the health check gives up. The rollback's
/// boot has as long (the runbook uses the task's health timeout for it too).
const BROKEN_TIMEOUT: u64 = 30;

fn kernel_task(name: &str, kernel: &str, health_timeout: u64, resources: &[&str]) -> Value {
    json!({"name": name, "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
           "type": "kernel_upgrade", "apply": {"kernel": kernel, "health_timeout_seconds": health_timeout},
           "downtime": true, "resources": resources, "max_concurrency": "2", "max_errors": "1", "retries": 0})
}

fn config_task(name: &str, swappiness: &str, vm: &str) -> Value {
    json!({"name": name, "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
           "type": "config_change", "apply": {"settings": {"vm.swappiness": swappiness}}, "downtime": false,
           "resources": [vm], "max_concurrency": "1", "max_errors": "0", "retries": 0})
}

fn resource<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["resources"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name}: {t}"))
}

/// The task once every resource has finished.
async fn finished(c: &Client, task: &str) -> Value {
    eventually(RUN, &format!("task {task} finishes"), async || {
        let t = c.get(&format!("{TASKS}/{task}")).await;
        let busy = t["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "Reserved" || r["status"] == "In_progress");
        if busy { Err(t.to_string()) } else { Ok(t) }
    })
    .await
}

async fn log(c: &Client, task: &str, vm: &str) -> String {
    let lines = c.get(&format!("{TASKS}/{task}/resources/{vm}/log")).await;
    lines.as_array().unwrap().iter().map(|l| l["line"].as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n")
}

/// Asserts the log has each of `lines` (as part of a line) and prints the lines that do.
fn assert_says(log: &str, lines: &[&str]) {
    for want in lines {
        let line = log.lines().find(|l| l.contains(want)).unwrap_or_else(|| panic!("the log lacks {want:?}:\n{log}"));
        eprintln!("    {line}");
    }
}

async fn console(c: &Client, vm: &str) -> String {
    c.get(&format!("/v1/projects/{P}/instances/{vm}/console")).await["output"].as_str().unwrap().to_string()
}

/// The kernel release of each readiness line the guest printed, boot after boot.
fn ready_kernels(console: &str) -> Vec<String> {
    console
        .lines()
        .filter(|l| l.contains("GUREUM-READY"))
        .map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("kernel=")).unwrap_or("?").to_string())
        .collect()
}

async fn active(c: &Client, vm: &str) {
    let i = c.get(&format!("/v1/projects/{P}/instances/{vm}")).await;
    assert!(i["state"] == "Active" && i["operation_id"].is_null(), "{vm} is Active and settled: {i}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kernel_upgrade_config_change_and_a_rolled_back_upgrade_on_real_vms() {
    let Some(host) = QemuHost::new().await else { return };
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    c.network(P, "local").await;
    let began = Instant::now();
    let create = |vm: &'static str| {
        let c = c.clone();
        async move {
            let body = json!({"name": vm, "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
                              "security_groups": ["sg"]});
            c.run(P, "instances", Some(body)).await;
        }
    };
    tokio::join!(create("vm0"), create("vm1"));
    eprintln!("vm0 and vm1 Active: {:.1} s", began.elapsed().as_secs_f64());
    for vm in ["vm0", "vm1"] {
        let kernels = ready_kernels(&console(&c, vm).await);
        assert!(kernels.len() == 1 && kernels[0].starts_with("6.1.0-"), "{vm} boots the default 6.1: {kernels:?}");
    }

    // (a) A kernel upgrade of both at one slot, two at once.
    let phase = Instant::now();
    c.post(TASKS, kernel_task("upgrade", "6.12", 120, &["vm0", "vm1"])).await;
    let slot = gureum_store::now() + 3_000_000;
    c.post(&format!("{TASKS}/upgrade/schedule"), json!({"at": rfc3339(slot)})).await;
    let t = finished(&c, "upgrade").await;
    eprintln!("(a) kernel upgrade of vm0 and vm1: {:.1} s after scheduling", phase.elapsed().as_secs_f64());
    assert_eq!(
        (t["status"].as_str(), &t["counts"]),
        (Some("Completed"), &json!({"completed": 2, "failed": 0, "total": 2})),
        "{t}"
    );
    let (r0, r1) = (resource(&t, "vm0"), resource(&t, "vm1"));
    assert!(
        r0["started_at"].as_str() < r1["finished_at"].as_str()
            && r1["started_at"].as_str() < r0["finished_at"].as_str(),
        "max_concurrency 2: both ran at once: {r0} {r1}"
    );
    for vm in ["vm0", "vm1"] {
        let r = resource(&t, vm);
        assert_eq!((r["attempts"].as_i64(), &r["last_error"]), (Some(1), &Value::Null), "{r}");
        let log = log(&c, "upgrade", vm).await;
        eprintln!("  {vm}:");
        assert_says(
            &log,
            &[
                &format!("pre-check passed: {vm} is Active; the guest runs kernel 6.1.0-"),
                "snapshot",
                "stopped",
                "applied: boot kernel 6.12",
                "starting",
                "health check passed: the guest runs kernel 6.12.",
                "completed",
            ],
        );
        active(&c, vm).await;
        let kernels = ready_kernels(&console(&c, vm).await);
        assert!(kernels.len() == 2 && kernels[1].starts_with("6.12."), "{vm} booted 6.12 once more: {kernels:?}");
    }

    // (b) A configuration change in the running guest: no stop, no boot, same processes.
    let phase = Instant::now();
    let mut pids = qemu_processes(host.path());
    pids.sort();
    let boots = ready_kernels(&console(&c, "vm0").await).len();
    c.post(TASKS, config_task("swappiness", "17", "vm0")).await;
    c.post(&format!("{TASKS}/swappiness/resources/vm0/run-now"), json!({})).await;
    let t = finished(&c, "swappiness").await;
    eprintln!("(b) config change on vm0: {:.1} s", phase.elapsed().as_secs_f64());
    assert_eq!(t["status"], "Completed", "{t}");
    let log0 = log(&c, "swappiness", "vm0").await;
    assert_says(
        &log0,
        &[
            "pre-check passed: vm0 is Active; the guest runs vm.swappiness=",
            "applied to the running guest: vm.swappiness=17",
            "health check passed: the guest runs vm.swappiness=17",
            "completed",
        ],
    );
    for never in ["snapshot", "stopped", "starting"] {
        assert!(!log0.contains(never), "no {never:?} without downtime:\n{log0}");
    }
    let out = console(&c, "vm0").await;
    assert!(out.contains("tiny-linux: set vm.swappiness=17"), "the guest's agent set it: {out}");
    assert_eq!(ready_kernels(&out).len(), boots, "the guest did not boot again: {out}");
    let mut after = qemu_processes(host.path());
    after.sort();
    assert_eq!(after, pids, "the same QEMU processes run");
    active(&c, "vm0").await;

    // (c) An upgrade to a kernel that never gets ready: rolled back onto 6.12, Active.
    let phase = Instant::now();
    c.post(TASKS, kernel_task("broken", "broken", BROKEN_TIMEOUT, &["vm1"])).await;
    c.post(&format!("{TASKS}/broken/resources/vm1/run-now"), json!({})).await;
    let t = finished(&c, "broken").await;
    eprintln!("(c) failed upgrade of vm1 and its rollback: {:.1} s", phase.elapsed().as_secs_f64());
    let r = resource(&t, "vm1");
    assert_eq!(
        (t["status"].as_str(), r["status"].as_str(), r["attempts"].as_i64()),
        (Some("Failed"), Some("Failed"), Some(1)),
        "{t}"
    );
    let error = r["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("health check") && !error.contains("rollback did not complete"), "{r}");
    let log1 = log(&c, "broken", "vm1").await;
    assert_says(
        &log1,
        &[
            "pre-check passed: vm1 is Active; the guest runs kernel 6.12.",
            "applied: boot kernel broken",
            "rollback: root disk reverted to snapshot",
            "rollback: boot kernel 6.12.",
            "rollback: started again",
            "failed: health check",
        ],
    );
    active(&c, "vm1").await;
    let out = console(&c, "vm1").await;
    assert!(
        out.contains("tiny-linux: not ready: no network card"),
        "the broken kernel booted and never got ready: {out}"
    );
    let kernels = ready_kernels(&out);
    assert!(
        kernels.len() == 3 && kernels[2].starts_with("6.12."),
        "booted 6.12 again after the broken one: {kernels:?}"
    );
    assert!(out.rfind("GUREUM-READY") > out.rfind("not ready"), "the last boot got ready: {out}");

    // The guest's agent answers on the kernel it is back on: a change reads and sets it.
    c.post(TASKS, config_task("after", "23", "vm1")).await;
    c.post(&format!("{TASKS}/after/resources/vm1/run-now"), json!({})).await;
    let t = finished(&c, "after").await;
    assert_eq!(t["status"], "Completed", "{t}");
    assert_says(&log(&c, "after", "vm1").await, &["health check passed: the guest runs vm.swappiness=23"]);
    eprintln!("maintenance on QEMU: {:.1} s in all", began.elapsed().as_secs_f64());
}
