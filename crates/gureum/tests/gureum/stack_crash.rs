//! Kill -9 the server while a stack is being provisioned, and again while it is being
//! returned; start it again each time: the stack's workflow carries on, every resource is
//! made once (no duplicate at the provider), and after the return nothing is left.

use crate::support;

use serde_json::{Value, json};
use std::time::Duration;
use support::{Client, Server, assert_no_drift, connection_body, eventually};

const PROJECT: &str = "stacks";
const P: &str = "/v1/projects/stacks";
const NODES: usize = 6;

async fn stack(c: &Client) -> Value {
    c.get(&format!("{P}/provisionings/site")).await
}

/// The stack's resources in `state`.
fn in_state(s: &Value, state: &str) -> usize {
    s["resources"].as_array().map_or(0, |r| r.iter().filter(|x| x["state"] == state).count())
}

async fn settled_in(c: &Client, want: &str) -> Value {
    eventually(Duration::from_secs(120), want, async || {
        let s = stack(c).await;
        if s["state"] == want {
            Ok(s)
        } else {
            Err(format!("{} ({}/{} ready)", s["state"], s["progress"]["ready"], s["progress"]["total"]))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_provisioning_and_return_finishes_without_leak_or_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _db_guard) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();
    // A VM takes ~2 s here, so the kills land mid-stack.
    c.post("/v1/connections", connection_body("slow", json!({ "latency_ms": 400 }))).await;
    c.network(PROJECT, "slow").await;
    let kp = c.post(&format!("{P}/key-pairs"), json!({"name": "kp", "connection": "slow"})).await;
    c.wait_op(PROJECT, kp["operation_id"].as_str().unwrap()).await;
    let body = json!({"name": "site", "template": "static-website",
                      "parameters": {"vpc": "net", "subnet": "net", "key_pair": "kp", "node_count": NODES}});
    c.post(&format!("{P}/provisionings"), body).await;

    let before = eventually(Duration::from_secs(60), "VMs being made", async || {
        let s = stack(&c).await;
        if in_state(&s, "Creating") >= 2 { Ok(s) } else { Err(format!("{} creating", in_state(&s, "Creating"))) }
    })
    .await;
    server.kill();
    eprintln!("killed with {} resources Creating, {} Ready", in_state(&before, "Creating"), in_state(&before, "Ready"));

    let server = Server::start(dir.path(), &db);
    let c = server.client();
    let s = settled_in(&c, "Provisioned").await;
    assert_eq!(in_state(&s, "Ready"), NODES + 1, "{s}");
    let vms = c.list_all(&format!("{P}/instances")).await;
    assert_eq!(vms.len(), NODES, "one VM per node, none twice: {vms:?}");
    let drift = assert_no_drift(&c, "slow").await;
    let at_provider = drift["mapped"].as_array().unwrap().iter().filter(|m| m["kind"] == "vm").count();
    assert_eq!(at_provider, NODES, "one VM per node at the provider: {drift}");

    c.post(&format!("{P}/provisionings/site/return"), json!({"confirm": "site"})).await;
    let during = eventually(Duration::from_secs(60), "resources being deleted", async || {
        let s = stack(&c).await;
        if in_state(&s, "Deleting") >= 2 { Ok(s) } else { Err(format!("{} deleting", in_state(&s, "Deleting"))) }
    })
    .await;
    server.kill();
    eprintln!("killed with {} resources Deleting", in_state(&during, "Deleting"));

    let server = Server::start(dir.path(), &db);
    let c = server.client();
    settled_in(&c, "Returned").await;
    assert!(c.list_all(&format!("{P}/instances")).await.is_empty(), "no VM left");
    assert!(c.list_all(&format!("{P}/volumes")).await.is_empty(), "no disk left");
    let groups = c.list_all(&format!("{P}/security-groups")).await;
    assert_eq!(groups.len(), 1, "only the project's own group is left: {groups:?}");
    let drift = assert_no_drift(&c, "slow").await;
    let left = drift["mapped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| ["vm", "disk", "public_ip"].contains(&m["kind"].as_str().unwrap_or("")))
        .count();
    assert_eq!(left, 0, "nothing of the stack at the provider: {drift}");
    let h = c.get(&format!("{P}/provisioning-history?provisioning=site")).await;
    let types: Vec<&str> = h["items"].as_array().unwrap().iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        ["return_completed", "return_executed", "provisioning_completed", "provisioning_executed"],
        "{h}"
    );
}
