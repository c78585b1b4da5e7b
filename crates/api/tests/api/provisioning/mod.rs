//! The template library over HTTP on the simulated cloud: catalog, plan, execute,
//! installation info, return, delete and history; failures that unwind; bad input that
//! changes nothing.

mod bad_input;
mod history;
mod lifecycle;
mod rollback;

use crate::support::{Client, PUBLIC_KEY};
use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub const P: &str = "/v1/projects/p";

/// Project `p` with the network [`Client::network`] makes and the key pair `kp`.
pub async fn world(c: &Client) {
    c.project_with_network("p").await;
    c.create("p", &format!("{P}/key-pairs"), json!({"name": "kp", "public_key": PUBLIC_KEY, "connection": FAST})).await;
}

pub fn body(name: &str, template: &str, params: Value) -> Value {
    let mut p = json!({"vpc": "net", "subnet": "net", "key_pair": "kp"});
    p.as_object_mut().unwrap().extend(params.as_object().cloned().unwrap_or_default());
    json!({"name": name, "template": template, "parameters": p})
}

/// Follows a provisioning until it leaves `Provisioning`/`Returning`.
pub async fn settled(c: &Client, name: &str) -> Value {
    for _ in 0..1200 {
        let p = c.get(&format!("{P}/provisionings/{name}")).await;
        if !["Provisioning", "Returning"].contains(&p["state"].as_str().unwrap_or_default()) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("provisioning {name} never settled");
}

/// A `static-website` of `nodes` VMs named `name`, followed until Provisioned.
pub async fn website(c: &Client, name: &str, nodes: u32) {
    let req = body(name, "static-website", json!({ "node_count": nodes }));
    c.expect(202, Method::POST, &format!("{P}/provisionings"), Some(req)).await;
    assert_eq!(settled(c, name).await["state"], "Provisioned");
}

/// How many resources of each kind the project holds.
pub async fn counts(c: &Client) -> (usize, usize, usize) {
    let n = |path: &'static str| async move { c.list_all(&format!("{P}/{path}")).await.len() };
    (n("instances").await, n("volumes").await, n("security-groups").await)
}

pub async fn send(c: &Client, method: Method, path: &str, body: Option<Value>) -> crate::support::Resp {
    c.send(method, path, body.as_ref()).await
}
