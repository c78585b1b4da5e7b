//! The whole instance lifecycle over HTTP on a connection with provider latency, where
//! every transition really takes time: each operation must succeed the first time, and
//! the instance must show its transitional states on the way.

use crate::support;

use serde_json::{Value, json};
use support::{Client, Server, connection_body};

const P: &str = "life";

async fn act(c: &Client, verb: &str, body: Value) -> Value {
    let i = c.post(&format!("/v1/projects/{P}/instances/web/{verb}"), body).await;
    let op = c.wait_op(P, i["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{verb}: {op}");
    c.get(&format!("/v1/projects/{P}/instances/web")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_action_succeeds_with_provider_latency() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _g) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();
    c.post("/v1/connections", connection_body("laggy", json!({ "latency_ms": 60 }))).await;
    c.network(P, "laggy").await;
    let ip = c.post(&format!("/v1/projects/{P}/public-ips"), json!({"name": "fixed", "connection": "laggy"})).await;
    c.wait_op(P, ip["operation_id"].as_str().unwrap()).await;

    let created = c
        .post(
            &format!("/v1/projects/{P}/instances"),
            json!({"name": "web", "instance_type": "t1.small", "image": "ubuntu-22.04", "subnet": "net",
                   "security_groups": ["sg"], "public_ip": "ephemeral"}),
        )
        .await;
    assert_eq!(created["state"], "Building");
    let mut seen = vec![];
    let op_id = created["operation_id"].as_str().unwrap().to_string();
    loop {
        let i = c.get(&format!("/v1/projects/{P}/instances/web")).await;
        let state = i["state"].as_str().unwrap().to_string();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "Active" || state == "Error" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(c.wait_op(P, &op_id).await["status"], "succeeded");
    assert_eq!(seen.last().unwrap(), "Active", "{seen:?}");
    assert!(seen.iter().any(|s| s == "Spawning" || s == "Starting"), "transitional states are visible: {seen:?}");
    let web = c.get(&format!("/v1/projects/{P}/instances/web")).await;
    assert!(web["public_ip"]["address"].is_string(), "{web}");

    let web = act(&c, "stop", json!({})).await;
    assert_eq!(web["state"], "Stopped");
    assert!(web["public_ip"].is_null(), "an ephemeral IP is released on stop: {web}");
    let web = act(&c, "start", json!({})).await;
    assert_eq!(web["state"], "Active");
    assert!(web["public_ip"]["address"].is_string(), "a new ephemeral IP on start: {web}");
    assert_eq!(act(&c, "reboot", json!({"type": "soft"})).await["state"], "Active");
    assert_eq!(act(&c, "reboot", json!({"type": "hard"})).await["state"], "Active");
    let web = act(&c, "resize", json!({"instance_type": "m1.large"})).await;
    assert_eq!((web["state"].as_str(), web["instance_type"].as_str()), (Some("Resized"), Some("m1.large")));
    let web = act(&c, "revert-resize", json!({})).await;
    assert_eq!((web["state"].as_str(), web["instance_type"].as_str()), (Some("Active"), Some("t1.small")));
    act(&c, "resize", json!({"instance_type": "m1.large"})).await;
    let web = act(&c, "confirm-resize", json!({})).await;
    assert_eq!((web["state"].as_str(), web["instance_type"].as_str()), (Some("Active"), Some("m1.large")));
    let web = act(&c, "shelve", json!({})).await;
    assert_eq!(web["state"], "Shelved_offloaded");
    let root = c.get(&format!("/v1/projects/{P}/volumes/web-root")).await;
    assert_eq!(root["state"], "Reserved", "a shelved instance's volumes are Reserved: {root}");
    assert_eq!(act(&c, "unshelve", json!({})).await["state"], "Active");
    let web = act(&c, "create-image", json!({"name": "web-image"})).await;
    assert_eq!(web["state"], "Active");
    let image = c.get(&format!("/v1/projects/{P}/images/web-image")).await;
    assert_eq!(image["state"], "Active", "{image}");

    // Move the ephemeral IP out of the way by stopping, then use the static one.
    act(&c, "stop", json!({})).await;
    let attach = c.post(&format!("/v1/projects/{P}/public-ips/fixed/attach"), json!({"instance": "web"})).await;
    assert_eq!(c.wait_op(P, attach["operation_id"].as_str().unwrap()).await["status"], "succeeded");
    let web = act(&c, "start", json!({})).await;
    assert_eq!(web["public_ip"]["name"], "fixed", "a static IP stays with its instance: {web}");

    let (status, deleted) = c.call(reqwest::Method::DELETE, &format!("/v1/projects/{P}/instances/web"), None).await;
    assert_eq!(status, 202, "{deleted}");
    assert_eq!(c.wait_op(P, deleted["operation_id"].as_str().unwrap()).await["status"], "succeeded");
    let fixed = c.get(&format!("/v1/projects/{P}/public-ips/fixed")).await;
    assert_eq!((fixed["state"].as_str(), fixed["instance"].as_str()), (Some("Available"), None), "{fixed}");
    let drift = c.get("/v1/connections/laggy/drift").await;
    assert_eq!((drift["only_in_provider"].clone(), drift["only_in_gureum"].clone()), (json!([]), json!([])));
}
