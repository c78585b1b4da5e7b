//! Lean provisioning for real on this host's QEMU (`local`): a profile of the tiny-linux
//! install media, a template that installs a system onto its blank disk, is sysprepped
//! and released; two persistent VMs cloned from it (linked clones of the version image)
//! boot their own disks with their own hostname, machine id, host key and MAC; a file
//! written in one survives its stop/start; deleting the other leaves the version image
//! byte-identical; the template with a clone left cannot be deleted. The template pool's
//! host also serves the persistent pool; an agent's host joining it cannot read the
//! version image, so clones stay off it. Skips without QEMU, unless CI=true.

use crate::support;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use support::agent::{Agent, free_port};
use support::{Client, QemuHost, Server, eventually};

const P: &str = "lean";
const BOOT: Duration = Duration::from_secs(120);

/// Runs at every boot of a clone: writes a file on its disk the first time, finds it after.
const USER_DATA: &str = "#!/bin/sh\nif [ -f /var/lib/hello ]; then echo \"HELLO-FOUND $(cat /var/lib/hello)\"; \
                         else echo \"written by $(hostname)\" > /var/lib/hello; sync; echo HELLO-WRITTEN; fi\n";

async fn template_settled(c: &Client, name: &str) -> Value {
    eventually(BOOT, &format!("template {name} settles"), async || {
        let t = c.get(&format!("/v1/vm-templates/{name}")).await;
        if t["operation_id"].is_null() { Ok(t) } else { Err(t["state"].to_string()) }
    })
    .await
}

async fn template_act(c: &Client, name: &str, action: &str) -> Value {
    c.post(&format!("/v1/vm-templates/{name}/{action}"), json!({})).await;
    template_settled(c, name).await
}

async fn console(c: &Client, vm: &str) -> String {
    c.get(&format!("/v1/projects/{P}/instances/{vm}/console")).await["output"].as_str().unwrap().to_string()
}

/// The value of `key=` on the guest's last readiness line.
fn ready(log: &str, key: &str) -> String {
    let line = log.lines().rfind(|l| l.contains("GUREUM-READY")).expect("a readiness line");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {line}"))
        .into()
}

/// The SHA-256 of every version image (my-image) the connection's driver keeps.
fn version_images(data: &Path) -> Vec<(String, String)> {
    let mut out = vec![];
    for conn in std::fs::read_dir(data.join("qemu")).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(conn.path().join("images")).into_iter().flatten().flatten() {
            if f.path().extension().is_none_or(|e| e != "qcow2") {
                continue;
            }
            let bytes = std::fs::read(f.path()).unwrap();
            out.push((f.path().display().to_string(), format!("{:x}", Sha256::digest(&bytes))));
        }
    }
    out.sort();
    out
}

fn clone_body(template: &str, node: Option<&str>) -> Value {
    json!({"template": template, "pool": "pvm", "node": node, "subnet": "net", "security_groups": ["sg"],
           "key_pair": "k", "type": "server", "user_data": USER_DATA})
}

async fn clone_vm(c: &Client, template: &str, node: Option<&str>) -> Value {
    let v = c.post(&format!("/v1/projects/{P}/persistent-vms"), clone_body(template, node)).await;
    let op = c.wait_op(P, v["operation_id"].as_str().expect("an operation")).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    v
}

async fn instance_run(c: &Client, vm: &str, verb: &str) {
    c.run(P, &format!("instances/{vm}/{verb}"), Some(json!({}))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn templates_install_release_and_clone_real_vms() {
    let Some(host) = QemuHost::new().await else { return };
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    c.network(P, "local").await;
    let key = c.post(&format!("/v1/projects/{P}/key-pairs"), json!({"name": "k", "connection": "local"})).await;
    c.wait_op(P, key["operation_id"].as_str().unwrap()).await;
    for (pool, purpose, prefix) in [("tpl", "template", "tpl"), ("pvm", "persistent", "kvm")] {
        let body = json!({"name": pool, "connection": "local", "purpose": purpose, "name_prefix": prefix,
                          "domain": "lean.test"});
        c.post("/v1/pools", body).await;
    }
    c.post("/v1/pools/tpl/nodes", json!({"name": "host", "vcpus": 8, "memory_mib": 16384, "disk_gb": 200})).await;
    c.post("/v1/pools/pvm/shared-nodes", json!({"node": "host"})).await;
    let profile = json!({"name": "tiny", "base_profile": "linux", "install_media": "tiny-linux", "os_type": "Tiny Linux",
                         "os_version": "1", "memory_mib": 256, "disk_gb": 1, "vcpus": 1});
    c.post("/v1/vm-profiles", profile).await;

    // The template boots the install media onto its blank disk, installs, runs.
    let t = c.post("/v1/vm-templates", json!({"profile": "tiny", "pool": "tpl", "node": "host"})).await;
    let name = t["name"].as_str().unwrap().to_string();
    assert_eq!((name.as_str(), t["mode"].as_str()), ("tpl-0001.lean.test", Some("first_installation")));
    let t = template_settled(&c, &name).await;
    assert_eq!(t["state"], "Running", "{t}");
    let installed = c.get(&format!("/v1/vm-templates/{name}/console")).await["output"].as_str().unwrap().to_string();
    assert!(installed.contains("installed a system on vda"), "the install shows on its console: {installed}");
    let t = template_act(&c, &name, "sysprep").await;
    assert_eq!((t["state"].as_str(), t["sysprepped"].as_bool()), (Some("Stopped"), Some(true)), "{t}");
    let t = template_act(&c, &name, "release").await;
    assert_eq!((t["mode"].as_str(), t["version"].as_i64()), (Some("ready_for_use"), Some(1)), "{t}");

    // Two clones, each its own machine.
    let a = clone_vm(&c, &name, Some("host")).await["name"].as_str().unwrap().to_string();
    let b = clone_vm(&c, &name, Some("host")).await["name"].as_str().unwrap().to_string();
    assert_eq!((a.as_str(), b.as_str()), ("kvm-0001.lean.test", "kvm-0002.lean.test"));
    let (log_a, log_b) = (console(&c, &a).await, console(&c, &b).await);
    assert_eq!(
        (ready(&log_a, "system"), ready(&log_b, "system")),
        ("disk".into(), "disk".into()),
        "booted their disks"
    );
    assert_eq!((ready(&log_a, "hostname"), ready(&log_b, "hostname")), (a.clone(), b.clone()));
    for key in ["machine_id", "host_key", "mac"] {
        assert_ne!(ready(&log_a, key), ready(&log_b, key), "{key} differs: {log_a}\n{log_b}");
    }
    assert!(log_a.contains("HELLO-WRITTEN"), "{log_a}");

    // A file written inside A survives its stop and start.
    instance_run(&c, &a, "stop").await;
    instance_run(&c, &a, "start").await;
    eventually(BOOT, "A finds its file after the restart", async || {
        let log = console(&c, &a).await;
        if log.contains(&format!("HELLO-FOUND written by {a}")) { Ok(()) } else { Err(log) }
    })
    .await;

    // Deleting B leaves the version image as it was; the template with A left stays.
    let before = version_images(host.path());
    assert_eq!(before.len(), 1, "one version image: {before:?}");
    c.run(P, &format!("persistent-vms/{b}"), None).await;
    assert_eq!(version_images(host.path()), before, "the clone's base is byte-identical");
    let (status, refused) = c.call(reqwest::Method::DELETE, &format!("/v1/vm-templates/{name}"), None).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("1 persistent VM"), "{refused}");
    let host_node = c.get("/v1/pools/tpl/nodes/host").await;
    assert_eq!(host_node["instances"], 2, "the shared host holds the template and A: {host_node}");

    // A second host joins the persistent pool through an agent, with far more room than
    // `host`, but it cannot read the version image on `host`: a clone asked there is
    // refused naming both nodes, and one left to placement still goes to `host`.
    let token = c.post("/v1/pools/pvm/join-tokens", json!({})).await["token"].as_str().unwrap().to_string();
    let _far = Agent::start(&server.base, &host.path().join("far"), &free_port(), Some(&token));
    eventually(Duration::from_secs(30), "far-1 ready", async || {
        let n = c.call(reqwest::Method::GET, "/v1/pools/pvm/nodes/far-1", None).await.1;
        if n["state"] == "ready" { Ok(()) } else { Err(n.to_string()) }
    })
    .await;
    let roomy = json!({"vcpus": 64, "memory_mib": 262144, "disk_gb": 10000});
    let (status, far) = c.call(reqwest::Method::PATCH, "/v1/pools/pvm/nodes/far-1", Some(roomy)).await;
    assert_eq!(status, 200, "{far}");
    let path = format!("/v1/projects/{P}/persistent-vms");
    let (status, refused) = c.call(reqwest::Method::POST, &path, Some(clone_body(&name, Some("far-1")))).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert_eq!((status, refused["error"]["field"].as_str()), (400, Some("node")), "{refused}");
    assert!(message.contains("far-1") && message.contains("host"), "{refused}");
    let c_vm = clone_vm(&c, &name, None).await["name"].as_str().unwrap().to_string();
    let placed = c.get(&format!("{path}/{c_vm}")).await;
    assert_eq!((placed["state"].as_str(), placed["node"].as_str()), (Some("Active"), Some("host")), "{placed}");
}
