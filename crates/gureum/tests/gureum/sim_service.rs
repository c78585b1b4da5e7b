//! The simulated cloud as a service (`gureum sim serve`): a sim connection whose
//! `endpoint` names it keeps its cloud there, not in the server, with its settings
//! (latency, faults) applied by the service; the cloud survives the service's `kill -9`;
//! and two servers on one PostgreSQL database share it, one taking over the other's
//! creates when it dies.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::sim::SimService;
use support::{Client, Server, assert_no_drift, connection_body, eventually};

const P: &str = "svc";

fn instance(name: &str) -> Value {
    json!({"name": name, "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net",
           "security_groups": ["sg"]})
}

/// How many resources of `kind` the drift view maps (gureum's and the provider's agree).
fn mapped(drift: &Value, kind: &str) -> usize {
    drift["mapped"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).count()
}

async fn verify(c: &Client, connection: &str) -> Value {
    c.post(&format!("/v1/connections/{connection}/verify"), json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_with_an_endpoint_keeps_its_cloud_in_the_service() {
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = SimService::start(sim_dir.path(), "127.0.0.1:0");
    let dir = tempfile::tempdir().unwrap();
    let (db, _db_guard) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();

    let (status, bad) = c
        .call(reqwest::Method::POST, "/v1/connections", Some(connection_body("bad", json!({"endpoint": "ftp://x"}))))
        .await;
    assert_eq!((status, bad["error"]["field"].as_str()), (400, Some("settings.endpoint")), "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().contains("an http(s) URL with a host"), "{bad}");

    let conn = c.post("/v1/connections", sim.connection_body("shared", json!({"latency_ms": 300}))).await;
    let id = conn["id"].as_str().unwrap().to_string();
    c.network(P, "shared").await;
    c.run(P, "instances", Some(instance("web"))).await;
    c.run(P, "volumes", Some(json!({"name": "data", "size_gb": 10, "connection": "shared"}))).await;
    let web = c.get(&format!("/v1/projects/{P}/instances/web")).await;
    assert_eq!(web["state"], "Active", "{web}");
    let data = c.get(&format!("/v1/projects/{P}/volumes/data")).await;
    assert_eq!(data["state"], "Available", "{data}");

    // The cloud's journal is the service's; the server keeps none of it.
    assert!(sim_dir.path().join(format!("{id}.jsonl")).exists(), "the service holds the cloud");
    assert!(!dir.path().join(format!("sim/{id}.jsonl")).exists(), "the server holds no copy");
    let drift = assert_no_drift(&c, "shared").await;
    assert_eq!((mapped(&drift, "vm"), mapped(&drift, "disk")), (1, 2), "the VM, its root and data: {drift}");

    // Down, the service is named in the error; killed and started again on its directory,
    // it holds the same cloud.
    let (url, addr) = (sim.url.clone(), sim.addr().to_string());
    sim.kill();
    let down = verify(&c, "shared").await;
    let unreachable = format!("the simulated cloud at {url} is unreachable");
    assert!(down["ok"] == false && down["message"].as_str().unwrap().contains(&unreachable), "{down}");
    let sim = SimService::start(sim_dir.path(), &addr);
    let drift = assert_no_drift(&c, "shared").await;
    assert_eq!((mapped(&drift, "vm"), mapped(&drift, "disk")), (1, 2), "after the restart: {drift}");
    let (status, stop) = c.call(reqwest::Method::POST, &format!("/v1/projects/{P}/instances/web/stop"), None).await;
    assert_eq!(status, 202, "{stop}");
    let op = c.wait_op(P, stop["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "the restarted service stops the VM it kept: {op}");

    // A fault set on the connection reaches the service from the next call.
    let faulty = json!({"settings": {"endpoint": sim.url, "latency_ms": 0, "fault_rate": {"disk_create": 1}}});
    let (status, v) = c.call(reqwest::Method::PATCH, "/v1/connections/shared", Some(faulty)).await;
    assert_eq!(status, 200, "{v}");
    let body = json!({"name": "doomed", "size_gb": 10, "connection": "shared"});
    let accepted = c.post(&format!("/v1/projects/{P}/volumes"), body).await;
    let op = c.wait_op(P, accepted["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "failed", "{op}");
    assert!(op.to_string().contains("simulated internal error during disk_create"), "{op}");

    // An endpoint where nothing listens is an error naming it, not a hang.
    let nowhere = format!("http://{}", support::agent::free_port());
    c.post("/v1/connections", connection_body("nowhere", json!({"endpoint": nowhere}))).await;
    let v = verify(&c, "nowhere").await;
    let unreachable = format!("the simulated cloud at {nowhere} is unreachable");
    assert!(v["ok"] == false && v["message"].as_str().unwrap().contains(&unreachable), "{v}");
}

/// Whether connection `name` (on `endpoint`, with `token` as credentials when given)
/// reaches the service; else the refusal, which must never show the token.
async fn reaches(c: &Client, name: &str, endpoint: &str, token: Option<&str>, secret: &str) -> Result<(), String> {
    let mut body = connection_body(name, json!({ "endpoint": endpoint }));
    if let Some(t) = token {
        body["credentials"] = json!({ "token": t });
    }
    c.post("/v1/connections", body).await;
    let v = verify(c, name).await;
    let message = v["message"].as_str().unwrap_or_default();
    assert!(!message.contains(secret), "a refusal never shows the token: {v}");
    if v["ok"] == true { Ok(()) } else { Err(message.to_string()) }
}

/// This host's address on its network (no packet is sent), if it has one.
fn host_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    Some(s.local_addr().ok()?.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_from_this_host_need_no_token_unless_one_is_given_and_calls_from_elsewhere_always_do() {
    let (sim_dir, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (db, _db_guard) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();

    // Without --token, on every address: this host calls freely (the plain
    // `"endpoint"`), another address of the host counts as another host.
    let open = SimService::start(sim_dir.path(), "0.0.0.0:0");
    let port = open.url.rsplit(':').next().unwrap().to_string();
    let token = open.token.clone();
    reaches(&c, "here", &format!("http://127.0.0.1:{port}"), None, &token).await.expect("loopback without a token");
    match host_address() {
        Some(ip) => {
            let there = format!("http://{ip}:{port}");
            let refused = reaches(&c, "there", &there, None, &token).await.expect_err("another host without the token");
            assert!(refused.contains("lacks this service's token"), "{refused}");
            reaches(&c, "there-token", &there, Some(&token), &token).await.expect("another host with the token");
        }
        None => assert!(std::env::var("CI").as_deref() != Ok("true"), "CI's host has a network address"),
    }

    // With --token, every call bears it, this host's too.
    let given = "gsim_given_by_the_operator_0123456789";
    let strict = SimService::start_with(&sim_dir.path().join("strict"), "127.0.0.1:0", Some(given));
    let refused = reaches(&c, "strict", &strict.url, None, given).await.expect_err("no token with --token");
    assert!(refused.contains("lacks this service's token"), "{refused}");
    reaches(&c, "strict-token", &strict.url, Some(given), given).await.expect("the given token");
    let wrong = reaches(&c, "strict-wrong", &strict.url, Some(&token), given).await.expect_err("another token");
    assert!(wrong.contains("lacks this service's token"), "{wrong}");
}

/// Every instance Active with no operation under way; the instances.
async fn all_active(c: &Client, n: usize) -> Result<Vec<Value>, String> {
    let all = c.list_all(&format!("/v1/projects/{P}/instances")).await;
    let done = all.iter().filter(|i| i["state"] == "Active" && i["operation_id"].is_null()).count();
    let states: Vec<String> = all.iter().map(|i| format!("{}={}", i["name"], i["state"])).collect();
    if all.len() == n && done == n { Ok(all) } else { Err(states.join(" ")) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_server_takes_over_the_creates_of_a_killed_one_on_the_shared_cloud() {
    let Some((db, _db_guard)) = support::shared::shared_database().await else { return };
    const N: usize = 10;
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = SimService::start(sim_dir.path(), "127.0.0.1:0");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_shared(dir_a.path(), &db, &[]);
    // One deployment: the second server has the first's key and admin token.
    support::shared::join_dir(dir_a.path(), dir_b.path());
    let b = Server::start_shared(dir_b.path(), &db, &[]);
    let (ca, cb) = (a.client(), b.client());
    let settings = json!({"latency_ms": {"default": 100, "vm_create": 3000}});
    ca.post("/v1/connections", sim.connection_body("shared", settings)).await;
    ca.network(P, "shared").await;

    for i in 0..N {
        ca.post(&format!("/v1/projects/{P}/instances"), instance(&format!("vm-{i}"))).await;
    }
    // Mid-way: the VMs are being created at the provider.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = ca.list_all(&format!("/v1/projects/{P}/instances")).await;
    let busy = before.iter().filter(|i| i["state"] != "Active").count();
    a.kill();
    assert!(busy > 0, "the kill should land while creates are under way: {before:?}");
    eprintln!("killed server A with {busy} of {N} creates under way");

    // Server B takes the dead server's workflows once their leases expire (30 s).
    eventually(Duration::from_secs(120), "every create Active through server B", async || all_active(&cb, N).await)
        .await;
    let drift = assert_no_drift(&cb, "shared").await;
    assert_eq!((mapped(&drift, "vm"), mapped(&drift, "disk")), (N, N), "one VM and one root each: {drift}");
}
