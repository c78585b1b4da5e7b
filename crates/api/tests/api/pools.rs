//! Pools, nodes and placement over the API, on a sim connection with a pool (the same
//! placement a qemu connection gets; crates/gureum/tests/nodes.rs does it for real).
//! A node is filled, refuses with a capacity error naming what is short and creates
//! nothing, frees vCPUs and memory on shelve and everything on delete, and is never
//! overbooked by concurrent creates.

use crate::support;

use futures::future::join_all;
use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Client};

const P: &str = "/v1/projects/p";

/// A project `p` with a network on `fast`, and the pool `fp` of `fast` with node `n1`.
async fn world(vcpus: i64) -> (Api, Client) {
    let api = Api::start().await;
    let sys = api.admin();
    sys.project_with_network("p").await;
    let pool = json!({"name": "fp", "connection": FAST, "cpu_overcommit": 1.0});
    let p = sys.expect(201, Method::POST, "/v1/pools", Some(pool)).await;
    assert_eq!((p["connection"].as_str(), p["memory_overcommit"].as_f64()), (Some(FAST), Some(1.0)), "{p}");
    let node = json!({"name": "n1", "vcpus": vcpus, "memory_mib": 16384, "disk_gb": 1000});
    sys.expect(201, Method::POST, "/v1/pools/fp/nodes", Some(node)).await;
    (api, sys)
}

fn create_body(name: &str) -> Value {
    json!({"name": name, "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net"})
}

async fn node(c: &Client) -> Value {
    c.get("/v1/pools/fp/nodes/n1").await
}

fn used(n: &Value) -> (i64, i64, i64) {
    let a = &n["allocated"];
    (a["vcpus"].as_i64().unwrap(), a["memory_mib"].as_i64().unwrap(), a["disk_gb"].as_i64().unwrap())
}

#[tokio::test]
async fn a_full_node_refuses_creates_and_shelve_delete_and_resize_keep_its_allocation_right() {
    let (_api, c) = world(2).await;
    let a = c.create("p", &format!("{P}/instances"), create_body("a")).await;
    assert_eq!((a["node"].as_str(), a["node_state"].as_str()), (Some("n1"), Some("ready")), "{a}");
    let root_gb = c.get(&format!("{P}/volumes/a-root")).await["size_gb"].as_i64().unwrap();
    assert_eq!(used(&node(&c).await), (1, 1024, root_gb));
    c.create("p", &format!("{P}/instances"), create_body("b")).await;
    let n = node(&c).await;
    assert_eq!((n["free"]["vcpus"].as_i64(), n["instances"].as_i64()), (Some(0), Some(2)), "{n}");

    // Full: refused up front, naming what is short, and nothing is made.
    let r = c.send(Method::POST, &format!("{P}/instances"), Some(&create_body("c"))).await;
    assert_eq!((r.status, r.error()["code"].as_str()), (409, Some("capacity")), "{}", r.text);
    let msg = r.error()["message"].as_str().unwrap().to_string();
    assert_eq!(msg, "no node of pool fp has 1 vCPUs free: n1 has 0 vCPUs", "{msg}");
    c.expect(404, Method::GET, &format!("{P}/instances/c"), None).await;
    c.expect(404, Method::GET, &format!("{P}/volumes/c-root"), None).await;
    assert_eq!(used(&node(&c).await), (2, 2048, 2 * root_gb));

    // Shelving releases vCPUs and memory; the disk stays where it is.
    let a = c.act("p", "a", "shelve", None).await;
    assert_eq!((a["state"].as_str(), a["node"].as_str()), (Some("Shelved_offloaded"), Some("n1")), "{a}");
    assert_eq!(used(&node(&c).await), (1, 1024, 2 * root_gb));
    c.create("p", &format!("{P}/instances"), create_body("c")).await;

    // Unshelving needs room again on the node its disk is on.
    let r = c.send(Method::POST, &format!("{P}/instances/a/unshelve"), None).await;
    assert_eq!((r.status, r.error()["code"].as_str()), (409, Some("capacity")), "{}", r.text);
    assert_eq!(c.get(&format!("{P}/instances/a")).await["state"], "Shelved_offloaded");
    let gone = c.expect(202, Method::DELETE, &format!("{P}/instances/b"), None).await;
    c.settle("p", &gone).await;
    assert_eq!(used(&node(&c).await), (1, 1024, 2 * root_gb));
    let a = c.act("p", "a", "unshelve", None).await;
    assert_eq!(a["state"], "Active", "{a}");
    assert_eq!(used(&node(&c).await), (2, 2048, 2 * root_gb));

    // A resize needs the new type's room (minus the instance's own); a bigger
    // overcommit makes it.
    let medium = json!({"instance_type": "t1.medium"});
    let r = c.send(Method::POST, &format!("{P}/instances/a/resize"), Some(&medium)).await;
    assert_eq!((r.status, r.error()["code"].as_str()), (409, Some("capacity")), "{}", r.text);
    assert!(r.error()["message"].as_str().unwrap().contains("n1 has 1 vCPUs"), "{}", r.text);
    let p = c.expect(200, Method::PATCH, "/v1/pools/fp", Some(json!({"cpu_overcommit": 2.0}))).await;
    assert_eq!(p["cpu_overcommit"], 2.0);
    // Just over the bound is over it: numbers are read exactly (serde_json's default
    // parser could land on 100.0 here and accept it; found by the schema fuzzer).
    let over = br#"{"cpu_overcommit": 100.00000000000001}"#;
    let r = c.send_raw(Method::PATCH, "/v1/pools/fp", Some("application/json"), over).await;
    assert_eq!((r.status, r.error()["field"].as_str()), (400, Some("cpu_overcommit")), "{}", r.text);
    let a = c.act("p", "a", "resize", Some(medium)).await;
    assert_eq!(a["state"], "Resized", "{a}");
    assert_eq!(used(&node(&c).await), (3, 5120, 2 * root_gb));
    c.act("p", "a", "revert-resize", None).await;
    assert_eq!(used(&node(&c).await), (2, 2048, 2 * root_gb));

    // A node holding instances stays; deleting them frees everything.
    let r = c.send(Method::DELETE, "/v1/pools/fp/nodes/n1", None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    for vm in ["a", "c"] {
        let gone = c.expect(202, Method::DELETE, &format!("{P}/instances/{vm}"), None).await;
        c.settle("p", &gone).await;
    }
    let n = node(&c).await;
    assert_eq!((used(&n), n["instances"].as_i64()), ((0, 0, 0), Some(0)), "{n}");
}

#[tokio::test]
async fn a_failed_resize_gives_back_what_it_reserved() {
    let (_api, c) = world(4).await;
    let a = c.create("p", &format!("{P}/instances"), create_body("a")).await;
    assert_eq!(a["node"], "n1");
    // The provider now refuses every resize.
    let flaky = json!({"settings": {"latency_ms": 0, "fault_rate": {"vm_resize": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(flaky)).await;
    let r = c
        .expect(202, Method::POST, &format!("{P}/instances/a/resize"), Some(json!({"instance_type": "t1.medium"})))
        .await;
    let op = c.finished_op("p", r["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "failed", "{op}");
    let a = c.get(&format!("{P}/instances/a")).await;
    assert_eq!((a["state"].as_str(), a["instance_type"].as_str()), (Some("Active"), Some("t1.micro")), "{a}");
    // It had reserved t1.medium's 2 vCPUs when asked; failing gave one back.
    assert_eq!(used(&node(&c).await).0, 1, "the failed resize gave its vCPU back");
}

#[tokio::test]
async fn concurrent_creates_never_overbook_a_node() {
    let (_api, c) = world(3).await;
    let creates = (0..8).map(|i| {
        let c = c.clone();
        async move { c.send(Method::POST, &format!("{P}/instances"), Some(&create_body(&format!("vm{i}")))).await }
    });
    let answers = join_all(creates).await;
    let placed: Vec<_> = answers.iter().filter(|r| r.status == 202).collect();
    let refused = answers.iter().filter(|r| r.status == 409 && r.body["error"]["code"] == "capacity").count();
    assert_eq!((placed.len(), refused), (3, 5), "{:?}", answers.iter().map(|r| &r.text).collect::<Vec<_>>());
    for r in placed {
        c.settle("p", &r.body).await;
    }
    assert_eq!(used(&node(&c).await).0, 3);
    assert_eq!(c.list_all(&format!("{P}/instances")).await.len(), 3);
}

#[tokio::test]
async fn bad_pool_and_node_input_is_refused_naming_the_field() {
    let (api, c) = world(2).await;
    let bad = [
        (json!({"name": "x", "connection": "nope"}), "connection"),
        (json!({"name": "x", "connection": FAST, "cpu_overcommit": 0.0}), "cpu_overcommit"),
        (json!({"name": "x", "connection": FAST, "disk_overcommit": 1000.0}), "disk_overcommit"),
        (json!({"name": "Not A Name", "connection": FAST}), "name"),
    ];
    for (body, field) in bad {
        let r = c.send(Method::POST, "/v1/pools", Some(&body)).await;
        assert_eq!((r.status, r.error()["field"].as_str()), (400, Some(field)), "{body}: {}", r.text);
    }
    // One pool per connection.
    let r = c.send(Method::POST, "/v1/pools", Some(&json!({"name": "fp2", "connection": FAST}))).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = c.send(Method::PATCH, "/v1/pools/fp", Some(&json!({"memory_overcommit": -1.0}))).await;
    assert_eq!((r.status, r.error()["field"].as_str()), (400, Some("memory_overcommit")), "{}", r.text);
    assert_eq!(c.get("/v1/pools/fp").await["memory_overcommit"], 1.0);
    let node = json!({"name": "n2", "vcpus": -1, "memory_mib": 1, "disk_gb": 1});
    let r = c.send(Method::POST, "/v1/pools/fp/nodes", Some(&node)).await;
    assert_eq!((r.status, r.error()["field"].as_str()), (400, Some("vcpus")), "{}", r.text);
    let r = c.send(Method::PATCH, "/v1/pools/fp/nodes/n1", Some(&json!({"disk_gb": -5}))).await;
    assert_eq!((r.status, r.error()["field"].as_str()), (400, Some("disk_gb")), "{}", r.text);
    // A connection with a pool stays.
    let r = c.send(Method::DELETE, &format!("/v1/connections/{FAST}"), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.error()["message"].as_str().unwrap().contains("1 pools"), "{}", r.text);
    // A pool with nodes stays; an unknown one is 404.
    assert_eq!(c.send(Method::DELETE, "/v1/pools/fp", None).await.status, 409);
    assert_eq!(c.send(Method::GET, "/v1/pools/none", None).await.status, 404);
    assert_eq!(c.send(Method::GET, "/v1/pools/fp/nodes/none", None).await.status, 404);
    // Readable by a user without any role.
    let u = api.user("u").await;
    let nodes = u.get("/v1/nodes").await;
    assert_eq!(nodes.as_array().map(Vec::len), Some(1), "{nodes}");
    assert_eq!(nodes[0]["capacity"]["vcpus"], 2);
    assert_eq!(u.send(Method::POST, "/v1/pools/fp/join-tokens", None).await.status, 403);
}

#[tokio::test]
async fn an_agent_joins_once_with_its_token_and_heartbeats_with_its_secret() {
    let (api, c) = world(2).await;
    let t = c.expect(201, Method::POST, "/v1/pools/fp/join-tokens", None).await;
    let token = t["token"].as_str().unwrap();
    let cap = json!({"vcpus": 4, "memory_mib": 2048, "disk_gb": 50});
    let anon = api.client(None);
    let join = json!({"token": token, "name": "far", "agent_url": "http://127.0.0.1:1", "capacity": cap});
    let joined = anon.expect(201, Method::POST, "/v1/nodes/join", Some(join.clone())).await;
    assert_eq!((joined["node"]["pool"].as_str(), joined["node"]["state"].as_str()), (Some("fp"), Some("ready")));
    let secret = joined["secret"].as_str().unwrap();
    // The token is used up.
    let r = anon
        .send(Method::POST, "/v1/nodes/join", Some(&json!({"token": token, "name": "far2", "capacity": cap})))
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let beat = json!({"secret": secret, "capacity": {"vcpus": 8, "memory_mib": 2048, "disk_gb": 50}});
    anon.expect(204, Method::POST, "/v1/nodes/heartbeat", Some(beat)).await;
    let far = c.get("/v1/pools/fp/nodes/far").await;
    assert_eq!((far["capacity"]["vcpus"].as_i64(), far["state"].as_str()), (Some(8), Some("ready")), "{far}");
    let wrong = json!({"secret": "gns_wrong", "capacity": cap});
    assert_eq!(anon.send(Method::POST, "/v1/nodes/heartbeat", Some(&wrong)).await.status, 401);
}

#[tokio::test]
async fn a_connection_has_one_general_pool_and_any_number_of_template_and_persistent_ones() {
    let (_api, c) = world(4).await;
    let general = c.get("/v1/pools/fp").await;
    assert_eq!(
        (general["purpose"].as_str(), general["name_prefix"].as_str()),
        (Some("general"), Some("kvm")),
        "{general}"
    );
    let r = c.send(Method::POST, "/v1/pools", Some(&json!({"name": "fp2", "connection": FAST}))).await;
    assert_eq!(r.status, 409, "a second general pool: {}", r.text);
    for (name, purpose) in [("tpl", "template"), ("pvm", "persistent"), ("pvm2", "persistent")] {
        let body =
            json!({"name": name, "connection": FAST, "purpose": purpose, "name_prefix": "vm", "domain": "example.net"});
        let p = c.expect(201, Method::POST, "/v1/pools", Some(body)).await;
        assert_eq!((p["purpose"].as_str(), p["domain"].as_str()), (Some(purpose), Some("example.net")), "{p}");
    }
    for (field, body) in [
        ("name_prefix", json!({"name": "x1", "connection": FAST, "purpose": "template", "name_prefix": "Kvm"})),
        ("domain", json!({"name": "x2", "connection": FAST, "purpose": "template", "domain": "bad..net"})),
        ("purpose", json!({"name": "x3", "connection": FAST, "purpose": "gpu"})),
    ] {
        let r = c.send(Method::POST, "/v1/pools", Some(&body)).await;
        assert_eq!(r.status, 400, "{field}: {}", r.text);
        assert!(r.error()["message"].as_str().unwrap().starts_with(field), "{field}: {}", r.text);
    }
    // Instances are still placed on the general pool's node.
    let a = c.create("p", &format!("{P}/instances"), create_body("a")).await;
    assert_eq!(a["node"], "n1", "{a}");
}
