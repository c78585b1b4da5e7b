//! The state machines over HTTP: an action the transition table refuses answers 409
//! `state_conflict` naming the state and the allowed actions, and changes nothing;
//! transitional states are real; a resource answers the same by name and by id; another
//! project's resource is 404 from this project's paths, even for someone in both.

use crate::support;

use gureum_engine::testing::FAST;
use gureum_model::instance::{InstanceAction, InstanceState};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Client, PUBLIC_KEY, Resp};

/// The HTTP call for an instance action.
fn call(action: InstanceAction) -> (Method, &'static str, Option<Value>) {
    use InstanceAction as A;
    match action {
        A::Start => (Method::POST, "/start", None),
        A::Stop => (Method::POST, "/stop", None),
        A::Shelve => (Method::POST, "/shelve", None),
        A::Unshelve => (Method::POST, "/unshelve", None),
        A::SoftReboot => (Method::POST, "/reboot", Some(json!({"type": "soft"}))),
        A::HardReboot => (Method::POST, "/reboot", Some(json!({"type": "hard"}))),
        // Neither the original type (t1.micro) nor the one resized to (t1.small).
        A::Resize => (Method::POST, "/resize", Some(json!({"instance_type": "t1.medium"}))),
        A::ConfirmResize => (Method::POST, "/confirm-resize", None),
        A::RevertResize => (Method::POST, "/revert-resize", None),
        A::CreateImage => (Method::POST, "/create-image", Some(json!({"name": "refused-image"}))),
        A::Delete => (Method::DELETE, "", None),
    }
}

/// Checks a 409 `state_conflict` names `state` and exactly `allowed`.
fn assert_state_conflict(r: &Resp, what: &str, state: &str, allowed: &[String]) {
    assert_eq!(r.status, 409, "{what}: {}", r.text);
    let e = r.error();
    assert_eq!(e["code"], "state_conflict", "{what}: {}", r.text);
    let message = e["message"].as_str().expect("message");
    assert!(
        message.contains(&format!("while the resource is {state}")),
        "{what}: the message names the state: {message}"
    );
    let listed = message.split("allowed now: ").nth(1).map(|l| l.split(", ").map(str::to_string).collect::<Vec<_>>());
    match listed {
        Some(l) => assert_eq!(&l, allowed, "{what}: the message lists the allowed actions: {message}"),
        None => assert!(allowed.is_empty() && message.contains("no action is allowed"), "{what}: {message}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("an array").iter().map(|s| s.as_str().expect("a string").to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refused_instance_action_is_a_409_naming_the_state_and_the_allowed_actions() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    let p = "/v1/projects/p1/instances";
    c.instance("p1", "active").await;
    c.instance("p1", "stopped").await;
    c.act("p1", "stopped", "stop", None).await;
    c.instance("p1", "shelved").await;
    c.act("p1", "shelved", "shelve", None).await;
    c.instance("p1", "resized").await;
    c.act("p1", "resized", "resize", Some(json!({"instance_type": "t1.small"}))).await;

    let mut refusals = 0;
    for (name, state) in [
        ("active", InstanceState::Active),
        ("stopped", InstanceState::Stopped),
        ("shelved", InstanceState::ShelvedOffloaded),
        ("resized", InstanceState::Resized),
    ] {
        let before = c.get(&format!("{p}/{name}")).await;
        assert_eq!(before["state"], state.as_str(), "{before}");
        let allowed = strings(&before["allowed_actions"]);
        let table: Vec<String> = state.allowed_actions(false).iter().map(|a| a.as_str().to_string()).collect();
        assert_eq!(allowed, table, "{name}: the view shows the table's allowed actions");
        for &action in InstanceAction::ALL {
            if state.check(action, None).is_ok() {
                continue;
            }
            refusals += 1;
            let (method, suffix, body) = call(action);
            let r = c.send(method.clone(), &format!("{p}/{name}{suffix}"), body.as_ref()).await;
            assert_state_conflict(&r, &format!("{action} on {name}"), state.as_str(), &allowed);
        }
        let after = c.get(&format!("{p}/{name}")).await;
        assert_eq!(after, before, "{name}: refusals change nothing");
    }
    assert!(refusals >= 4 * 3, "only {refusals} refusals exercised");
    // start on Active, as the issue puts it.
    let r = c.send(Method::POST, &format!("{p}/active/start"), None).await;
    assert_eq!(r.status, 409);
    assert!(r.text.contains("cannot start while the resource is Active; allowed now: stop"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transitional_state_is_real_and_refuses_what_must_wait() {
    let api = Api::start().await;
    let c = api.admin();
    let conn = json!({"name": "slow", "driver": "sim", "settings": {"latency_ms": 150}});
    c.expect(201, Method::POST, "/v1/connections", Some(conn)).await;
    c.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p1"}))).await;
    let p = "/v1/projects/p1";
    c.create("p1", &format!("{p}/vpcs"), json!({"name": "net", "cidr": "10.0.0.0/16", "connection": "slow"})).await;
    c.create("p1", &format!("{p}/vpcs/net/subnets"), json!({"name": "net", "cidr": "10.0.0.0/24"})).await;
    let body = json!({"name": "vm", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net"});
    c.create("p1", &format!("{p}/instances"), body).await;

    let stopping = c.expect(202, Method::POST, &format!("{p}/instances/vm/stop"), None).await;
    assert_eq!(stopping["state"], "Powering-off", "{stopping}");
    let op = stopping["operation_id"].as_str().expect("an operation");
    let r = c.send(Method::POST, &format!("{p}/instances/vm/start"), None).await;
    assert_state_conflict(&r, "start while stopping", "Powering-off", &["delete".to_string()]);
    assert!(r.error()["message"].as_str().unwrap().contains(op), "names the running operation: {}", r.text);
    let r = c.send(Method::POST, &format!("{p}/instances/vm/reboot"), Some(&json!({"type": "hard"}))).await;
    assert_state_conflict(&r, "hard reboot while stopping", "Powering-off", &["delete".to_string()]);
    let shown = c.get(&format!("{p}/instances/vm")).await;
    assert_eq!((shown["state"].as_str(), shown["allowed_actions"].clone()), (Some("Powering-off"), json!(["delete"])));
    c.wait_op("p1", op).await;
    assert_eq!(c.get(&format!("{p}/instances/vm")).await["state"], "Stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_volume_action_is_a_409_naming_the_state() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    c.instance("p1", "vm").await;
    let p = "/v1/projects/p1/volumes";
    c.create("p1", p, json!({"name": "data", "size_gb": 1, "connection": FAST})).await;
    let v = c.expect(202, Method::POST, &format!("{p}/data/attach"), Some(json!({"instance": "vm"}))).await;
    c.settle("p1", &v).await;
    let before = c.get(&format!("{p}/data")).await;
    assert_eq!(before["state"], "In-use");
    let allowed = strings(&before["allowed_actions"]);
    let r = c.send(Method::DELETE, &format!("{p}/data"), None).await;
    assert_state_conflict(&r, "delete In-use volume", "In-use", &allowed);
    let r = c.send(Method::POST, &format!("{p}/data/attach"), Some(&json!({"instance": "vm"}))).await;
    assert_state_conflict(&r, "attach In-use volume", "In-use", &allowed);
    assert_eq!(c.get(&format!("{p}/data")).await, before);
}

/// VPC, subnet, security group (with a rule), key pair, volume with a snapshot, static
/// public IP, an Active instance and an image, all named `x`, in `project`.
async fn populate(c: &Client, project: &str) {
    let p = format!("/v1/projects/{project}");
    c.expect(201, Method::POST, "/v1/projects", Some(json!({"name": project}))).await;
    c.create(project, &format!("{p}/vpcs"), json!({"name": "x", "cidr": "10.0.0.0/16", "connection": FAST})).await;
    c.create(project, &format!("{p}/vpcs/x/subnets"), json!({"name": "x", "cidr": "10.0.0.0/24"})).await;
    c.create(project, &format!("{p}/security-groups"), json!({"name": "x", "vpc": "x"})).await;
    let rule = json!({"direction": "inbound", "protocol": "tcp", "port_from": 22, "port_to": 22});
    let r = c.expect(202, Method::POST, &format!("{p}/security-groups/x/rules"), Some(rule)).await;
    c.settle(project, &r).await;
    c.create(project, &format!("{p}/key-pairs"), json!({"name": "x", "public_key": PUBLIC_KEY, "connection": FAST}))
        .await;
    c.create(project, &format!("{p}/volumes"), json!({"name": "x", "size_gb": 1, "connection": FAST})).await;
    let s = c.expect(202, Method::POST, &format!("{p}/volumes/x/snapshots"), Some(json!({"name": "x"}))).await;
    c.settle(project, &s).await;
    c.create(project, &format!("{p}/public-ips"), json!({"name": "x", "connection": FAST})).await;
    let vm = c
        .create(
            project,
            &format!("{p}/instances"),
            json!({"name": "x", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "x",
                   "security_groups": ["x"], "key_pair": "x"}),
        )
        .await;
    assert_eq!(vm["state"], "Active", "{vm}");
    let v = c.expect(202, Method::POST, &format!("{p}/volumes/x/upload"), Some(json!({"image_name": "x"}))).await;
    c.settle(project, &v).await;
}

/// Project-relative paths of the resources `populate` makes, by name.
const NAMED: &[&str] = &[
    "vpcs/x",
    "subnets/x",
    "security-groups/x",
    "key-pairs/x",
    "volumes/x",
    "public-ips/x",
    "instances/x",
    "images/x",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_reads_the_same_by_name_and_by_id() {
    let api = Api::start().await;
    let c = api.admin();
    populate(&c, "p1").await;
    let project = c.get("/v1/projects/p1").await;
    let pid = project["id"].as_str().expect("id");
    assert_eq!(c.get(&format!("/v1/projects/{pid}")).await, project);
    for named in NAMED {
        let by_name = c.get(&format!("/v1/projects/p1/{named}")).await;
        let id = by_name["id"].as_str().expect("id");
        let collection = named.rsplit_once('/').expect("collection/name").0;
        let by_id = c.get(&format!("/v1/projects/{pid}/{collection}/{id}")).await;
        assert_eq!(by_id, by_name, "{named}");
        assert_eq!(by_name["links"]["self"], format!("/v1/projects/{pid}/{collection}/{id}"), "{named}");
    }
    let snap = c.get("/v1/projects/p1/volumes/x/snapshots/x").await;
    let vol = c.get("/v1/projects/p1/volumes/x").await;
    let by_id = c
        .get(&format!(
            "/v1/projects/{pid}/volumes/{}/snapshots/{}",
            vol["id"].as_str().unwrap(),
            snap["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id, snap);
    for global in ["/v1/users/admin", "/v1/connections/fast", "/v1/instance-types/t1.micro", "/v1/images/ubuntu-22.04"]
    {
        let by_name = c.get(global).await;
        let collection = global.rsplit_once('/').expect("collection/name").0;
        let by_id = c.get(&format!("{collection}/{}", by_name["id"].as_str().expect("id"))).await;
        assert_eq!(by_id, by_name, "{global}");
    }
}

/// 404 with the one error body.
fn assert_not_found(r: &Resp, what: &str) {
    assert_eq!(r.status, 404, "{what}: {}", r.text);
    assert_eq!(r.error()["code"], "not_found", "{what}: {}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_projects_resource_is_not_found_through_this_projects_paths() {
    let api = Api::start().await;
    let c = api.admin();
    populate(&c, "p1").await;
    populate(&c, "p2").await;
    // The system administrator is admin of both projects, and so is `both`.
    let both = api.user("both").await;
    for p in ["p1", "p2"] {
        c.expect(200, Method::PUT, &format!("/v1/projects/{p}/members/both"), Some(json!({"role": "admin"}))).await;
    }
    let id_in_p2 =
        async |path: &str| c.get(&format!("/v1/projects/p2/{path}")).await["id"].as_str().unwrap().to_string();
    let p2_before: Vec<Value> = {
        let mut all = vec![];
        for named in NAMED {
            all.push(c.get(&format!("/v1/projects/p2/{named}")).await);
        }
        all
    };
    let op = c.get("/v1/projects/p2/operations").await["items"][0]["id"].as_str().unwrap().to_string();
    let vol2 = id_in_p2("volumes/x").await;
    let snap2 = id_in_p2("volumes/x/snapshots/x").await;
    let sg2 = c.get("/v1/projects/p2/security-groups/x").await;
    let rule2 = sg2["rules"][0]["id"].as_str().expect("a rule").to_string();

    for who in [&c, &both] {
        for named in NAMED {
            let collection = named.rsplit_once('/').unwrap().0;
            let id = id_in_p2(named).await;
            let r = who.send(Method::GET, &format!("/v1/projects/p1/{collection}/{id}"), None).await;
            assert_not_found(&r, &format!("GET p1/{collection}/<p2 id>"));
        }
        let calls: Vec<(Method, String, Option<Value>)> = vec![
            (Method::POST, format!("instances/{}/stop", id_in_p2("instances/x").await), None),
            (Method::DELETE, format!("instances/{}", id_in_p2("instances/x").await), None),
            (Method::DELETE, format!("vpcs/{}", id_in_p2("vpcs/x").await), None),
            (Method::DELETE, format!("key-pairs/{}", id_in_p2("key-pairs/x").await), None),
            (Method::POST, format!("volumes/{vol2}/extend"), Some(json!({"size_gb": 2}))),
            (Method::GET, format!("volumes/{vol2}/snapshots/{snap2}"), None),
            (Method::GET, format!("volumes/x/snapshots/{snap2}"), None),
            (Method::DELETE, format!("volumes/x/snapshots/{snap2}"), None),
            (
                Method::POST,
                format!("public-ips/{}/attach", id_in_p2("public-ips/x").await),
                Some(json!({"instance": "x"})),
            ),
            (Method::DELETE, format!("security-groups/x/rules/{rule2}"), None),
            (Method::DELETE, format!("images/{}", id_in_p2("images/x").await), None),
            (Method::GET, format!("operations/{op}"), None),
        ];
        for (method, path, body) in calls {
            let r = who.send(method.clone(), &format!("/v1/projects/p1/{path}"), body.as_ref()).await;
            assert_not_found(&r, &format!("{method} p1/{path}"));
        }
        // Referring to them from a p1 body is a bad field, not a way in.
        let body = json!({"name": "y", "instance_type": "t1.micro", "image": "ubuntu-22.04",
                          "subnet": id_in_p2("subnets/x").await});
        let r = who.send(Method::POST, "/v1/projects/p1/instances", Some(&body)).await;
        assert_eq!((r.status, r.body["error"]["field"].as_str()), (400, Some("subnet")), "{}", r.text);
        let body = json!({"instance": id_in_p2("instances/x").await});
        let r = who.send(Method::POST, "/v1/projects/p1/volumes/x/attach", Some(&body)).await;
        assert_eq!((r.status, r.body["error"]["field"].as_str()), (400, Some("instance")), "{}", r.text);
    }
    for (named, before) in NAMED.iter().zip(&p2_before) {
        assert_eq!(&c.get(&format!("/v1/projects/p2/{named}")).await, before, "p2's {named} is untouched");
    }
}
