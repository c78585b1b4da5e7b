//! Kill -9 the server while 60 instances are being created (and later deleted); start it
//! again: every workflow resumes or unwinds, nothing stays in a transitional state, and
//! the provider's inventory matches gureum's records exactly.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{Client, Server, assert_no_drift, connection_body, eventually};

const INSTANCES: usize = 60;
const PROJECT: &str = "crash";

const SETTLED: &[&str] = &["Active", "Stopped", "Shelved_offloaded", "Resized", "Error"];

async fn instances(c: &Client) -> Vec<Value> {
    c.list_all(&format!("/v1/projects/{PROJECT}/instances")).await
}

/// Every instance settled and no operation running; returns the instances.
async fn converged(c: &Client) -> Result<Vec<Value>, String> {
    let all = instances(c).await;
    let busy: Vec<String> = all
        .iter()
        .filter(|i| !SETTLED.contains(&i["state"].as_str().unwrap_or("")) || !i["operation_id"].is_null())
        .map(|i| format!("{}={}", i["name"], i["state"]))
        .collect();
    if busy.is_empty() { Ok(all) } else { Err(format!("{} busy: {}", busy.len(), busy.join(" "))) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_creates_and_deletes_converges_without_drift() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _db_guard) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();
    // Slow enough that the kills land mid-workflow: an instance needs ~2.5 s.
    c.post("/v1/connections", connection_body("slow", json!({ "latency_ms": 400 }))).await;
    c.network(PROJECT, "slow").await;

    let mut creates = Vec::new();
    for i in 0..INSTANCES {
        let c = c.clone();
        creates.push(tokio::spawn(async move {
            let body = json!({"name": format!("vm-{i}"), "instance_type": "t1.micro", "image": "ubuntu-22.04",
                              "subnet": "net", "security_groups": ["sg"], "public_ip": if i % 3 == 0 { "ephemeral" } else { "none" }});
            c.call(reqwest::Method::POST, &format!("/v1/projects/{PROJECT}/instances"), Some(body)).await
        }));
    }
    // Kill once most creates are recorded and still provisioning.
    let before = eventually(Duration::from_secs(30), "creates in flight", async || {
        let all = instances(&c).await;
        if all.len() >= INSTANCES * 3 / 4 { Ok(all) } else { Err(format!("{} recorded", all.len())) }
    })
    .await;
    let transitional = before.iter().filter(|i| i["state"] != "Active").count();
    server.kill();
    assert!(transitional > 0, "the kill should land while creates are in flight");
    let accepted = futures_count(creates).await;
    eprintln!(
        "killed with {} instances recorded, {transitional} still provisioning; {accepted} creates accepted",
        before.len()
    );

    let server = Server::start(dir.path(), &db);
    let c = server.client();
    let all =
        eventually(Duration::from_secs(90), "convergence after the first kill", async || converged(&c).await).await;
    // Every create the server accepted (202) is there; a create cut off by the kill either
    // never committed or committed and resumed.
    assert!(all.len() >= accepted, "{} instances, {accepted} creates accepted", all.len());
    let active = all.iter().filter(|i| i["state"] == "Active").count();
    assert_eq!(active, all.len(), "resumed creates finish: {:?}", states(&all));
    assert_no_drift(&c, "slow").await;

    // Now delete everything and kill the server in the middle of it.
    for i in &all {
        let c = c.clone();
        let id = i["id"].as_str().unwrap().to_string();
        tokio::spawn(async move {
            c.call(reqwest::Method::DELETE, &format!("/v1/projects/{PROJECT}/instances/{id}"), None).await
        });
    }
    let deleting = eventually(Duration::from_secs(30), "deletes in flight", async || {
        let n = instances(&c).await.iter().filter(|i| i["state"] == "Deleting").count();
        if n >= INSTANCES / 2 { Ok(n) } else { Err(format!("{n} deleting")) }
    })
    .await;
    server.kill();
    eprintln!("killed with {deleting} instances Deleting");
    assert!(deleting > 0, "the kill should land while deletes are in flight");

    let server = Server::start(dir.path(), &db);
    let c = server.client();
    // Deletes accepted before the kill complete; the rest are still Active and are
    // deleted now.
    let left =
        eventually(Duration::from_secs(90), "convergence after the second kill", async || converged(&c).await).await;
    for i in &left {
        let (status, v) = c
            .call(
                reqwest::Method::DELETE,
                &format!("/v1/projects/{PROJECT}/instances/{}", i["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, 202, "{v}");
    }
    eventually(Duration::from_secs(90), "every instance deleted", async || {
        let n = instances(&c).await.len();
        if n == 0 { Ok(()) } else { Err(format!("{n} left")) }
    })
    .await;
    let drift = assert_no_drift(&c, "slow").await;
    let vms = drift["mapped"].as_array().unwrap().iter().filter(|m| m["kind"] == "vm" || m["kind"] == "disk").count();
    assert_eq!(vms, 0, "no VM or disk may remain: {drift}");
    let volumes = c.list_all(&format!("/v1/projects/{PROJECT}/volumes")).await;
    assert!(volumes.is_empty(), "root volumes go with their instances: {volumes:?}");
}

fn states(all: &[Value]) -> Vec<String> {
    all.iter().map(|i| format!("{}={} {}", i["name"], i["state"], i["state_reason"])).collect()
}

/// How many of the create requests were answered 202.
async fn futures_count(handles: Vec<tokio::task::JoinHandle<(u16, Value)>>) -> usize {
    let mut n = 0;
    for h in handles {
        if let Ok((202, _)) = h.await {
            n += 1;
        }
    }
    n
}
