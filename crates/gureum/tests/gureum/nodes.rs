//! Hosts as nodes, end to end: a real `gureum agent` process joins a pool of a real
//! `gureum serve`, heartbeats, goes unreachable when killed (its instance shows it and
//! stays Active) and ready again when restarted; on this host's QEMU the serving machine
//! is node `local-1` of pool `local`, which refuses a real VM it has no room for and
//! frees its room on shelve and delete; and a real VM placed on an agent's node runs
//! under the agent's data dir, outlives the agent, and is deleted through it.

use crate::support;

use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use support::agent::{Agent, free_port};
use support::{Client, Server, banner, connection_body, eventually};

/// Live QEMU processes whose pidfile is somewhere under `dir`.
pub(crate) fn qemu_processes(dir: &Path) -> usize {
    let mut dirs = vec![dir.to_path_buf()];
    let mut live = 0;
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == "qemu.pid")
                && let Ok(pid) = std::fs::read_to_string(&path)
                && Path::new(&format!("/proc/{}", pid.trim())).exists()
            {
                live += 1;
            }
        }
    }
    live
}

/// A `gureum serve` on this host's QEMU (node `local-1` of pool `local`) and a `gureum
/// agent` joined to it as node `far-1`, each with its own data dir and the tiny-linux
/// image. `None` (the test skips) without QEMU.
struct TwoHosts {
    // Dropped in this order: the agent, the server, then whatever guests are left.
    agent: Agent,
    server: Server,
    listen: String,
    _guests: gureum_qemu::testing::KillGuests,
    _db: tempfile::TempDir,
    dir: tempfile::TempDir,
}

impl TwoHosts {
    async fn start() -> Option<TwoHosts> {
        let images = gureum_qemu::testing::images_dir()?;
        let dir = tempfile::tempdir().unwrap();
        let guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
        for d in ["server", "agent"] {
            let d = dir.path().join(d);
            std::fs::create_dir_all(d.join("images")).unwrap();
            std::os::unix::fs::symlink(images.join("tiny-linux"), d.join("images/tiny-linux")).unwrap();
        }
        let (db, db_dir) = gureum_store::testing::fresh_database().await.unwrap();
        let server = Server::start_with(&dir.path().join("server"), &db, &["--node-timeout-seconds", "3"]);
        let c = server.client();
        let token = c.post("/v1/pools/local/join-tokens", json!({})).await["token"].as_str().unwrap().to_string();
        let listen = free_port();
        let agent = Agent::start(&server.base, &dir.path().join("agent"), &listen, Some(&token));
        far_ready(&c, "local").await;
        Some(TwoHosts { agent, server, listen, _guests: guests, _db: db_dir, dir })
    }

    fn server_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("server")
    }

    fn agent_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("agent")
    }
}

async fn patch(c: &Client, path: &str, body: Value) -> Value {
    let (status, v) = c.call(reqwest::Method::PATCH, path, Some(body)).await;
    assert_eq!(status, 200, "PATCH {path}: {v}");
    v
}

/// The qcow2 files (disks, snapshots, images) under `dir`.
fn qcow2_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![dir.to_path_buf()];
    let mut found = vec![];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() && !path.is_symlink() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "qcow2") {
                found.push(path);
            }
        }
    }
    found
}

/// The records of one kind (`sgs`, `ips`…) the qemu driver keeps under `dir`.
pub(crate) fn records(dir: &Path, kind: &str) -> usize {
    let count = |d: &Path| std::fs::read_dir(d.join(kind)).into_iter().flatten().count();
    // An agent's driver keeps them in qemu/<kind>, a server's in qemu/<connection>/<kind>.
    let conns = std::fs::read_dir(dir.join("qemu")).into_iter().flatten().flatten();
    count(&dir.join("qemu")) + conns.map(|c| count(&c.path())).sum::<usize>()
}

/// Waits until node `far-1` of `pool` is ready.
async fn far_ready(c: &Client, pool: &str) -> Value {
    eventually(Duration::from_secs(30), "the node to be ready", async || {
        let n = node_state(c, pool, "far-1").await?;
        if n["state"] == "ready" { Ok(n) } else { Err(n.to_string()) }
    })
    .await
}

async fn node_state(c: &Client, pool: &str, node: &str) -> Result<Value, String> {
    let (status, n) = c.call(reqwest::Method::GET, &format!("/v1/pools/{pool}/nodes/{node}"), None).await;
    if status == 200 { Ok(n) } else { Err(format!("{status} {n}")) }
}

async fn instance(c: &Client, project: &str, name: &str) -> Value {
    c.get(&format!("/v1/projects/{project}/instances/{name}")).await
}

/// Creates an instance and waits for its operation; returns it as it is then.
async fn create(c: &Client, project: &str, body: Value) -> Value {
    let name = body["name"].as_str().unwrap().to_string();
    c.run(project, "instances", Some(body)).await;
    instance(c, project, &name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_node_goes_unreachable_when_it_stops_and_ready_when_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _g) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start_with(&dir.path().join("server"), &db, &["--node-timeout-seconds", "3"]);
    let c = server.client();
    c.post("/v1/connections", connection_body("farm", json!({"latency_ms": 0}))).await;
    c.post("/v1/pools", json!({"name": "farm", "connection": "farm", "cpu_overcommit": 1.0})).await;
    let token = c.post("/v1/pools/farm/join-tokens", json!({})).await["token"].as_str().unwrap().to_string();
    let agent_dir = dir.path().join("agent");
    let listen = free_port();
    let agent = Agent::start(&server.base, &agent_dir, &listen, Some(&token));
    let n = far_ready(&c, "farm").await;
    assert_eq!(n["agent_url"], format!("http://{listen}"), "{n}");
    let nproc = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!(n["capacity"]["vcpus"], nproc, "the agent reports its host's CPUs: {n}");
    assert!(n["capacity"]["memory_mib"].as_i64().unwrap() > 0, "{n}");

    c.network("far", "farm").await;
    let body =
        |name: &str| json!({"name": name, "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net"});
    let vm = create(&c, "far", body("vm")).await;
    assert_eq!((vm["node"].as_str(), vm["node_state"].as_str()), (Some("far-1"), Some("ready")), "{vm}");

    // The agent dies: the node misses its heartbeats; the instance shows it and is
    // neither failed nor deleted, and nothing new is placed there.
    drop(agent);
    let vm = eventually(Duration::from_secs(30), "the instance to show its node unreachable", async || {
        let vm = instance(&c, "far", "vm").await;
        if vm["node_state"] == "unreachable" { Ok(vm) } else { Err(vm.to_string()) }
    })
    .await;
    assert_eq!(vm["state"], "Active", "{vm}");
    assert_eq!(node_state(&c, "farm", "far-1").await.unwrap()["state"], "unreachable");
    let (status, refused) = c.call(reqwest::Method::POST, "/v1/projects/far/instances", Some(body("vm2"))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("capacity")), "{refused}");
    assert_eq!(refused["error"]["message"], "no node of pool farm is ready: far-1 is unreachable");
    let (status, stop) = c.call(reqwest::Method::POST, "/v1/projects/far/instances/vm/stop", None).await;
    assert_eq!(status, 409, "{stop}");
    assert_eq!(stop["error"]["message"], "instance vm is on node far-1, which is unreachable; retry when it is ready");

    // Restarted on its data dir, it needs no new token and is ready again, where it
    // listens now.
    let moved = free_port();
    let _agent = Agent::start(&server.base, &agent_dir, &moved, None);
    let n = far_ready(&c, "farm").await;
    assert_eq!(n["agent_url"], format!("http://{moved}"), "the servers call it at its new address: {n}");
    let vm = instance(&c, "far", "vm").await;
    assert_eq!((vm["state"].as_str(), vm["node_state"].as_str()), (Some("Active"), Some("ready")), "{vm}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn this_host_is_node_local_1_and_refuses_a_real_vm_it_has_no_room_for() {
    let Some(images) = gureum_qemu::testing::images_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
    std::fs::create_dir_all(dir.path().join("images")).unwrap();
    std::os::unix::fs::symlink(images.join("tiny-linux"), dir.path().join("images/tiny-linux")).unwrap();
    let (db, _g) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();
    let pool = c.get("/v1/pools/local").await;
    assert_eq!((pool["connection"].as_str(), pool["cpu_overcommit"].as_f64()), (Some("local"), Some(4.0)), "{pool}");
    let n = c.get("/v1/pools/local/nodes/local-1").await;
    let nproc = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!((n["capacity"]["vcpus"].as_i64(), n["state"].as_str()), (Some(nproc), Some("ready")), "{n}");
    // Room for one t1.micro (1 vCPU, 1 GiB) and no more.
    let pool = c.call(reqwest::Method::PATCH, "/v1/pools/local", Some(json!({"cpu_overcommit": 1.0}))).await;
    assert_eq!(pool.0, 200, "{}", pool.1);
    let node = c.call(reqwest::Method::PATCH, "/v1/pools/local/nodes/local-1", Some(json!({"vcpus": 1}))).await;
    assert_eq!(node.0, 200, "{}", node.1);

    c.network("vms", "local").await;
    let body = |name: &str| json!({"name": name, "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net"});
    let one = create(&c, "vms", body("one")).await;
    assert_eq!((one["state"].as_str(), one["node"].as_str()), (Some("Active"), Some("local-1")), "{one}");
    let n = c.get("/v1/pools/local/nodes/local-1").await;
    assert_eq!((n["allocated"]["vcpus"].as_i64(), n["free"]["vcpus"].as_i64()), (Some(1), Some(0)), "{n}");
    let (status, refused) = c.call(reqwest::Method::POST, "/v1/projects/vms/instances", Some(body("two"))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("capacity")), "{refused}");
    assert_eq!(refused["error"]["message"], "no node of pool local has 1 vCPUs free: local-1 has 0 vCPUs");
    let (status, _) = c.call(reqwest::Method::GET, "/v1/projects/vms/instances/two", None).await;
    assert_eq!(status, 404, "nothing is created for a refused instance");

    // Shelving the real VM frees its vCPU for the next one.
    let shelve = c.post("/v1/projects/vms/instances/one/shelve", json!({})).await;
    assert_eq!(c.wait_op("vms", shelve["operation_id"].as_str().unwrap()).await["status"], "succeeded");
    let n = c.get("/v1/pools/local/nodes/local-1").await;
    assert_eq!(n["allocated"]["vcpus"], 0, "{n}");
    let two = create(&c, "vms", body("two")).await;
    assert_eq!((two["state"].as_str(), two["node"].as_str()), (Some("Active"), Some("local-1")), "{two}");
    for name in ["one", "two"] {
        let (status, v) = c.call(reqwest::Method::DELETE, &format!("/v1/projects/vms/instances/{name}"), None).await;
        assert_eq!(status, 202, "{v}");
        assert_eq!(c.wait_op("vms", v["operation_id"].as_str().unwrap()).await["status"], "succeeded");
    }
    let n = c.get("/v1/pools/local/nodes/local-1").await;
    assert_eq!((n["allocated"]["vcpus"].as_i64(), n["instances"].as_i64()), (Some(0), Some(0)), "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_vm_placed_on_an_agent_node_runs_there_and_outlives_its_agent() {
    let Some(hosts) = TwoHosts::start().await else { return };
    let (c, server_dir, agent_dir) = (hosts.server.client(), hosts.server_dir(), hosts.agent_dir());
    // The server's own host takes nothing, so the VM goes to the agent's.
    patch(&c, "/v1/pools/local/nodes/local-1", json!({"vcpus": 0})).await;
    let agent = hosts.agent;
    let (server, listen) = (&hosts.server, &hosts.listen);
    c.network("vms", "local").await;
    let vm =
        create(&c, "vms", json!({"name": "vm", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net"}))
            .await;
    assert_eq!((vm["state"].as_str(), vm["node"].as_str()), (Some("Active"), Some("far-1")), "{vm}");
    assert_eq!((qemu_processes(&agent_dir), qemu_processes(&server_dir)), (1, 0), "the VM runs on the agent's host");
    let log = c.get("/v1/projects/vms/instances/vm/console").await["output"].as_str().unwrap().to_string();
    assert!(log.contains("GUREUM-READY hostname=vm"), "the console comes from the agent: {log}");

    // Without its agent the VM runs on; the instance shows its node out of reach.
    drop(agent);
    let vm = eventually(Duration::from_secs(30), "the instance to show its node unreachable", async || {
        let vm = instance(&c, "vms", "vm").await;
        if vm["node_state"] == "unreachable" { Ok(vm) } else { Err(vm.to_string()) }
    })
    .await;
    assert_eq!(vm["state"], "Active", "{vm}");
    assert_eq!(qemu_processes(&agent_dir), 1, "the VM outlives its agent");

    let _agent = Agent::start(&server.base, &agent_dir, listen, None);
    far_ready(&c, "local").await;
    let (status, v) = c.call(reqwest::Method::DELETE, "/v1/projects/vms/instances/vm", None).await;
    assert_eq!(status, 202, "{v}");
    let op = c.wait_op("vms", v["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(qemu_processes(&agent_dir), 0, "deleted through the agent");
    let n = c.get("/v1/pools/local/nodes/far-1").await;
    assert_eq!(n["instances"], 0, "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disks_follow_their_instance_from_node_to_node() {
    let Some(hosts) = TwoHosts::start().await else { return };
    let (c, server_dir, agent_dir) = (hosts.server.client(), hosts.server_dir(), hosts.agent_dir());
    let qcow2_on = |dir: &Path| qcow2_files(dir).into_iter().filter(|f| !f.starts_with(dir.join("images"))).count();
    // An administrator's capacity outlives the agent's heartbeats (one a second here).
    let far = patch(&c, "/v1/pools/local/nodes/far-1", json!({"vcpus": 2, "memory_mib": 4096, "disk_gb": 100})).await;
    assert_eq!(far["capacity_pinned"], true, "{far}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let far = c.get("/v1/pools/local/nodes/far-1").await;
    assert_eq!((far["capacity"]["vcpus"].as_i64(), far["capacity"]["disk_gb"].as_i64()), (Some(2), Some(100)), "{far}");
    // This host has the most disk (new volumes go there) and no vCPUs (VMs go to far-1).
    patch(&c, "/v1/pools/local/nodes/local-1", json!({"vcpus": 0, "disk_gb": 5000})).await;

    c.network("vms", "local").await;
    c.run("vms", "volumes", Some(json!({"name": "data", "size_gb": 1, "connection": "local"}))).await;
    let data = c.get("/v1/projects/vms/volumes/data").await;
    assert_eq!((data["state"].as_str(), data["node"].as_str()), (Some("Available"), Some("local-1")), "{data}");
    assert_eq!((qcow2_on(&server_dir), qcow2_on(&agent_dir)), (1, 0), "the volume is a file on this host");
    let body = json!({"name": "vm", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
                      "security_groups": ["sg"], "public_ip": "ephemeral"});
    let vm = create(&c, "vms", body).await;
    assert_eq!((vm["state"].as_str(), vm["node"].as_str()), (Some("Active"), Some("far-1")), "{vm}");
    // far-1 enforces the group through its own copy, which follows the group's rules.
    let address = vm["public_ip"]["address"].as_str().expect("an address on far-1").to_string();
    assert_eq!(banner(&address), None, "no rule lets port 22 in yet");
    let rule = json!({"direction": "inbound", "protocol": "tcp", "port_from": 22});
    c.run("vms", "security-groups/sg/rules", Some(rule)).await;
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux vm"), "the rule reached far-1");

    // A static IP is a port of its node's host: it cannot forward to far-1's VM.
    c.run("vms", "public-ips", Some(json!({"name": "ip", "connection": "local"}))).await;
    let ip = c.get("/v1/projects/vms/public-ips/ip").await;
    assert_eq!(ip["node"], "local-1", "{ip}");
    let (status, refused) =
        c.call(reqwest::Method::POST, "/v1/projects/vms/public-ips/ip/attach", Some(json!({"instance": "vm"}))).await;
    assert_eq!(status, 409, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("local-1") && message.contains("far-1"), "the error names both nodes: {refused}");
    c.run("vms", "public-ips/ip", None).await;

    // Attaching moves the volume's disk to the VM's node, where the guest sees it appear.
    c.run("vms", "volumes/data/attach", Some(json!({"instance": "vm"}))).await;
    let data = c.get("/v1/projects/vms/volumes/data").await;
    assert_eq!((data["state"].as_str(), data["node"].as_str()), (Some("In-use"), Some("far-1")), "{data}");
    assert_eq!((qcow2_on(&server_dir), qcow2_on(&agent_dir)), (0, 2), "root and data disks are on far-1");
    eventually(Duration::from_secs(30), "the guest to see the moved disk", async || {
        let log = c.get("/v1/projects/vms/instances/vm/console").await["output"].as_str().unwrap().to_string();
        if log.contains("tiny-linux: disk vdb added size=1073741824") { Ok(()) } else { Err(log) }
    })
    .await;

    // Shelved, then unshelved while far-1 is full: the instance and both its disks move
    // to this host, and far-1 keeps nothing of them.
    c.run("vms", "instances/vm/shelve", Some(json!({}))).await;
    patch(&c, "/v1/pools/local/nodes/far-1", json!({"vcpus": 0})).await;
    patch(&c, "/v1/pools/local/nodes/local-1", json!({"vcpus": 2})).await;
    c.run("vms", "instances/vm/unshelve", Some(json!({}))).await;
    let vm = instance(&c, "vms", "vm").await;
    assert_eq!((vm["state"].as_str(), vm["node"].as_str()), (Some("Active"), Some("local-1")), "{vm}");
    assert_eq!(c.get("/v1/projects/vms/volumes/data").await["node"], "local-1");
    assert_eq!((qcow2_on(&server_dir), qcow2_on(&agent_dir)), (2, 0), "both disks moved to this host");
    assert_eq!((qemu_processes(&server_dir), qemu_processes(&agent_dir)), (1, 0), "the VM runs on this host");
    let log = c.get("/v1/projects/vms/instances/vm/console").await["output"].as_str().unwrap().to_string();
    assert!(log.contains("GUREUM-READY hostname=vm"), "the moved root disk boots: {log}");
    let address = vm["public_ip"]["address"].as_str().expect("an address on this host").to_string();
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux vm"), "the group's rule holds here too");
    eventually(Duration::from_secs(30), "the data volume back in the guest", async || {
        let log = c.get("/v1/projects/vms/instances/vm/console").await["output"].as_str().unwrap().to_string();
        let last_boot = log.rfind("Linux version").map_or(log.as_str(), |at| &log[at..]);
        if last_boot.contains("tiny-linux: disk vdb added") { Ok(()) } else { Err(log.clone()) }
    })
    .await;

    // The drift view covers both hosts: everything gureum made is mapped, nothing is left over.
    let drift = c.get("/v1/connections/local/drift").await;
    assert_eq!(drift["only_in_gureum"], json!([]), "{drift}");
    assert_eq!(drift["only_in_provider"], json!([]), "{drift}");

    c.run("vms", "instances/vm", None).await;
    c.run("vms", "volumes/data", None).await;
    c.run("vms", "security-groups/sg", None).await;
    assert_eq!((qcow2_on(&server_dir), qcow2_on(&agent_dir)), (0, 0), "no disk is left on either host");
    assert_eq!((records(&server_dir, "sgs"), records(&agent_dir, "sgs")), (0, 0), "the group and its copy are gone");
    assert_eq!((qemu_processes(&server_dir), qemu_processes(&agent_dir)), (0, 0));
    let far = patch(&c, "/v1/pools/local/nodes/far-1", json!({"capacity_pinned": false})).await;
    assert_eq!(far["capacity_pinned"], false, "{far}");
    let far = eventually(Duration::from_secs(10), "far-1 to report its own capacity again", async || {
        let far = c.get("/v1/pools/local/nodes/far-1").await;
        if far["capacity"]["vcpus"].as_i64() > Some(0) { Ok(far) } else { Err(far.to_string()) }
    })
    .await;
    assert_eq!(far["capacity"]["vcpus"].as_i64(), Some(std::thread::available_parallelism().unwrap().get() as i64));
}
