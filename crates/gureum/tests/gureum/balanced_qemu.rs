//! Real VMs with several servers: two `gureum serve` on one PostgreSQL behind HAProxy, no
//! host a node of its server; a host joins pool `local` through `gureum agent` (which
//! heartbeats through the balancer), and the server running two tiny-linux creates is
//! killed while they boot. The survivor finishes them on the agent's node.

use crate::nodes::{qemu_processes, records};
use crate::support::agent::{Agent, free_port};
use crate::support::haproxy;
use crate::support::shared::{join_dir, shared_database};
use crate::support::{self, Client, Server};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

const P: &str = "farm";

/// A data directory `name` under `dir` whose guest images are the test's.
fn home(dir: &Path, images: &Path, name: &str) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(d.join("images")).unwrap();
    std::os::unix::fs::symlink(images.join("tiny-linux"), d.join("images/tiny-linux")).unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_while_vms_boot_on_an_agent_node_loses_nothing() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let Some(images) = gureum_qemu::testing::images_dir() else { return };
    if !haproxy::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
    let home = |name: &str| home(dir.path(), &images, name);
    let (dirs, ports) = ([home("server0"), home("server1")], [free_port(), free_port()]);
    let start = |i: usize| Server::start_shared(&dirs[i], &db, &["--listen", &ports[i], "--node-timeout-seconds", "5"]);
    let first = start(0);
    join_dir(&dirs[0], &dirs[1]);
    let mut servers = vec![first, start(1)];
    let proxy = haproxy::start(dir.path(), &ports);
    let c = Client { http: reqwest::Client::new(), base: proxy.url.clone(), token: servers[0].token.clone() };

    // No server made its host a node; the agent's host joins the pool.
    let nodes = c.get("/v1/pools/local/nodes").await;
    assert_eq!(nodes.as_array().map(Vec::len), Some(0), "servers are no nodes: {nodes}");
    let token = c.post("/v1/pools/local/join-tokens", json!({})).await["token"].as_str().unwrap().to_string();
    let agent_dir = home("agent");
    let _agent = Agent::start(&proxy.url, &agent_dir, &free_port(), Some(&token));
    support::eventually(Duration::from_secs(30), "the agent's node ready", async || {
        let n = c.call(reqwest::Method::GET, "/v1/pools/local/nodes/far-1", None).await.1;
        if n["state"] == "ready" { Ok(()) } else { Err(n.to_string()) }
    })
    .await;

    c.network(P, "local").await;
    // Both creates go to the server about to die, so their workflows are its own.
    let doomed = servers[0].client();
    let mut ops = vec![];
    for name in ["vm0", "vm1"] {
        let body = json!({"name": name, "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
                          "security_groups": ["sg"], "public_ip": "ephemeral"});
        let accepted = doomed.post(&format!("/v1/projects/{P}/instances"), body).await;
        ops.push(accepted["operation_id"].as_str().unwrap().to_string());
    }
    // It dies while the guests boot; the other server takes the workflows over.
    support::eventually(Duration::from_secs(60), "the VMs started on the agent's host", async || {
        let n = qemu_processes(&agent_dir);
        if n == 2 { Ok(()) } else { Err(format!("{n} QEMU processes")) }
    })
    .await;
    servers.remove(0).kill();
    for op in &ops {
        let op = c.wait_op(P, op).await;
        assert_eq!(op["status"], "succeeded", "{op}");
    }
    for name in ["vm0", "vm1"] {
        let vm = c.get(&format!("/v1/projects/{P}/instances/{name}")).await;
        assert_eq!((vm["state"].as_str(), vm["node"].as_str()), (Some("Active"), Some("far-1")), "{vm}");
        let log = c.get(&format!("/v1/projects/{P}/instances/{name}/console")).await;
        assert!(log["output"].as_str().unwrap().contains(&format!("GUREUM-READY hostname={name}")), "{log}");
    }
    assert_eq!(qemu_processes(&agent_dir), 2, "one VM per instance, on the agent's host");
    assert_eq!(qemu_processes(&dirs[0]) + qemu_processes(&dirs[1]), 0, "no VM on a server's host");
    // The group lives in gureum and as a copy on the agent's host, which enforces the
    // rules any server is given; no server's host keeps one.
    let vm0 = c.get(&format!("/v1/projects/{P}/instances/vm0")).await;
    let address = vm0["public_ip"]["address"].as_str().expect("an address on far-1").to_string();
    assert_eq!(support::banner(&address), None, "no rule lets port 22 in yet");
    let rule = json!({"direction": "inbound", "protocol": "tcp", "port_from": 22});
    c.run(P, "security-groups/sg/rules", Some(rule)).await;
    assert_eq!(support::banner(&address).as_deref(), Some("SSH-2.0-tiny-linux vm0"), "the rule reached far-1");
    assert_eq!((records(&dirs[0], "sgs"), records(&dirs[1], "sgs"), records(&agent_dir, "sgs")), (0, 0, 1));
    // VMs, disks, IPs and the group agree with the node.
    let drift = c.get("/v1/connections/local/drift").await;
    assert_eq!((&drift["only_in_gureum"], &drift["only_in_provider"]), (&json!([]), &json!([])), "{drift}");
    for name in ["vm0", "vm1"] {
        c.run(P, &format!("instances/{name}"), None).await;
    }
    assert_eq!(qemu_processes(&agent_dir), 0, "deleted through the agent by the survivor");
    c.run(P, "security-groups/sg", None).await;
    assert_eq!(records(&agent_dir, "sgs"), 0, "the group's copy is gone with it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_started_with_agent_is_a_node_a_server_without_qemu_drives() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let Some(images) = gureum_qemu::testing::images_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
    let (a, b) = (home(dir.path(), &images, "a"), home(dir.path(), &images, "b"));
    let _host = Server::start_shared(&a, &db, &["--agent", "host-a"]);
    join_dir(&a, &b);
    // B's host has no QEMU: a server that runs no VM itself drives the node all the same.
    let other = Server::start_shared_env(&b, &db, &[], &[("PATH", "/nonexistent")]);
    let c = other.client();
    let nodes = c.get("/v1/pools/local/nodes").await;
    let names: Vec<_> = nodes.as_array().unwrap().iter().map(|n| (n["name"].clone(), n["state"].clone())).collect();
    assert_eq!(names, [(json!("host-a"), json!("ready"))], "A's host is the pool's one node: {nodes}");

    // B places the VM on host-a and drives it through the driver A serves.
    c.network(P, "local").await;
    let body = json!({"name": "vm", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net"});
    c.run(P, "instances", Some(body)).await;
    let vm = c.get(&format!("/v1/projects/{P}/instances/vm")).await;
    assert_eq!((vm["state"].as_str(), vm["node"].as_str()), (Some("Active"), Some("host-a")), "{vm}");
    let log = c.get(&format!("/v1/projects/{P}/instances/vm/console")).await;
    assert!(log["output"].as_str().unwrap().contains("GUREUM-READY hostname=vm"), "{log}");
    assert_eq!((qemu_processes(&a.join("agent")), qemu_processes(&b)), (1, 0), "the VM runs under A's agent");
    c.run(P, "instances/vm", None).await;
    assert_eq!(qemu_processes(&a), 0, "deleted through A's agent by B");
}

#[test]
fn serve_agent_on_an_address_other_servers_cannot_reach_is_refused_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gureum"))
        .args(["serve", "--no-guest-build", "--listen", "0.0.0.0:0", "--agent", "box", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a server started on 0.0.0.0 with --agent");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--agent") && said.contains("--listen") && said.contains("0.0.0.0:0"), "{said}");
    assert!(!data.exists(), "nothing is made: no data directory, key or database");
}
