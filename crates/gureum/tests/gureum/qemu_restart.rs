//! VMs survive the control plane: a `gureum serve` killed with SIGKILL and restarted on
//! the same data directory and database finds its running QEMU processes again (the
//! same pids, not relaunched) and controls them; a VM whose process dies behind its back,
//! while it runs or while it is down, is reported in Error with the reason, never
//! forgotten. Skips when QEMU is not installed, unless CI=true.

use crate::support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Client, QemuHost, Server, eventually};

const P: &str = "vms";
const NAMES: [&str; 5] = ["vm0", "vm1", "vm2", "vm3", "vm4"];

/// The live QEMU process of each VM under the server's data directory, by instance name
/// (the driver's `vm.json` keeps the name it was created with).
fn qemu_pids(data_dir: &Path) -> BTreeMap<String, u32> {
    let mut pids = BTreeMap::new();
    for conn in std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten() {
        for vm in std::fs::read_dir(conn.path().join("vms")).into_iter().flatten().flatten() {
            let (Ok(record), Ok(pid)) = (
                std::fs::read_to_string(vm.path().join("vm.json")),
                std::fs::read_to_string(vm.path().join("qemu.pid")),
            ) else {
                continue;
            };
            let record: Value = serde_json::from_str(&record).expect("a VM record");
            let pid: u32 = pid.trim().parse().expect("a pid");
            if Path::new(&format!("/proc/{pid}")).exists() {
                pids.insert(record["spec"]["name"].as_str().expect("a name").to_string(), pid);
            }
        }
    }
    pids
}

fn kill_9(pid: u32) {
    let status = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -9 {pid}");
    // Reaped by init (QEMU daemonized); wait until the pid is gone so liveness is settled.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn instance(c: &Client, name: &str) -> Value {
    c.get(&format!("/v1/projects/{P}/instances/{name}")).await
}

/// Runs an action on an instance and waits for its operation to succeed.
async fn act(c: &Client, name: &str, verb: &str, body: Value) -> Value {
    let accepted = c.post(&format!("/v1/projects/{P}/instances/{name}/{verb}"), body).await;
    let op = c.wait_op(P, accepted["operation_id"].as_str().unwrap_or_else(|| panic!("{verb}: {accepted}"))).await;
    assert_eq!(op["status"], "succeeded", "{name} {verb}: {op}");
    instance(c, name).await
}

async fn console(c: &Client, name: &str) -> String {
    c.get(&format!("/v1/projects/{P}/instances/{name}/console")).await["output"].as_str().unwrap().to_string()
}

/// Waits until the instance is in Error with a reason; returns the reason.
async fn error_reason(c: &Client, name: &str) -> String {
    eventually(Duration::from_secs(30), &format!("{name} in Error"), async || {
        let i = instance(c, name).await;
        match (i["state"].as_str(), i["state_reason"].as_str()) {
            (Some("Error"), Some(reason)) => Ok(reason.to_string()),
            _ => Err(i.to_string()),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vms_outlive_a_killed_server_and_deaths_behind_its_back_are_reported() {
    let Some(host) = QemuHost::new().await else { return };
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    c.network(P, "local").await;

    // Five VMs created at once.
    let asked = Instant::now();
    let creates = NAMES.map(|name| {
        let c = c.clone();
        tokio::spawn(async move {
            let body = json!({"name": name, "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
                              "security_groups": ["sg"]});
            let accepted = c.post(&format!("/v1/projects/{P}/instances"), body).await;
            c.wait_op(P, accepted["operation_id"].as_str().unwrap()).await
        })
    });
    for op in creates {
        let op = op.await.unwrap();
        assert_eq!(op["status"], "succeeded", "{op}");
    }
    println!("5 VMs at once: all Active in {:.1} s", asked.elapsed().as_secs_f64());
    let pids = qemu_pids(host.path());
    assert_eq!(pids.keys().map(String::as_str).collect::<Vec<_>>(), NAMES, "one QEMU process per VM");

    // SIGKILL the server; a new one on the same data finds the same processes.
    server.kill();
    assert_eq!(qemu_pids(host.path()), pids, "the VMs run on without the server");
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    for name in NAMES {
        let i = instance(&c, name).await;
        assert_eq!(i["state"], "Active", "{i}");
    }
    assert_eq!(qemu_pids(host.path()), pids, "the restarted server re-attached: nothing was relaunched");

    // And controls them.
    assert_eq!(act(&c, "vm0", "stop", json!({})).await["state"], "Stopped");
    assert!(!qemu_pids(host.path()).contains_key("vm0"), "a stopped VM has no process");
    assert_eq!(act(&c, "vm0", "start", json!({})).await["state"], "Active");
    assert_eq!(console(&c, "vm0").await.matches("GUREUM-READY").count(), 2, "vm0 booted again");
    assert_eq!(act(&c, "vm1", "reboot", json!({"type": "hard"})).await["state"], "Active");
    assert_eq!(console(&c, "vm1").await.matches("GUREUM-READY").count(), 2, "vm1 booted again");
    assert_eq!(qemu_pids(host.path())["vm1"], pids["vm1"], "a hard reboot keeps the process");
    assert!(console(&c, "vm2").await.contains("GUREUM-READY hostname=vm2"), "vm2's console log is readable");

    // A VM killed behind the running server's back.
    let killed = Instant::now();
    kill_9(pids["vm3"]);
    let reason = error_reason(&c, "vm3").await;
    println!("a VM's QEMU killed: its instance in Error after {:.1} s ({reason})", killed.elapsed().as_secs_f64());
    assert!(reason.contains("QEMU process is gone"), "the reason says what happened: {reason}");

    // A VM killed while the server is down.
    server.kill();
    kill_9(pids["vm4"]);
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    let reason = error_reason(&c, "vm4").await;
    assert!(reason.contains("QEMU process is gone"), "the reason says what happened: {reason}");
    for name in ["vm0", "vm1", "vm2"] {
        assert_eq!(instance(&c, name).await["state"], "Active", "{name} is untouched");
    }
    assert_eq!(instance(&c, "vm3").await["state"], "Error", "vm3 is still reported, not forgotten");
}
