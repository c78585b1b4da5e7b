//! VM templates and persistent VMs over the API on the zero-latency sim connection: the
//! mode matrix (every action in every mode, including a VM from a template that is not
//! ready and starting a ready one), versions, the self-healing of a mode removed behind
//! gureum's back, and each bad persistent-VM field named with nothing created.

use crate::support::{Api, Client};
use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const P: &str = "/v1/projects/p";

/// Project `p` with a network; a template pool `tpl` (node `t1`) and persistent pools
/// `pvm` (node `p1`) and `pvm2` (node `p2`) on `fast`; profile `ubuntu`; stack `django`
/// for Ubuntu 22.04 offering test and production, stack `iis` for Windows.
async fn world() -> (Api, Client) {
    let api = Api::start().await;
    let sys = api.admin();
    sys.project_with_network("p").await;
    for (pool, purpose, prefix, node) in
        [("tpl", "template", "tpl", "t1"), ("pvm", "persistent", "kvm", "p1"), ("pvm2", "persistent", "vm", "p2")]
    {
        let body = json!({"name": pool, "connection": FAST, "purpose": purpose, "name_prefix": prefix,
                          "domain": "example.net"});
        sys.expect(201, Method::POST, "/v1/pools", Some(body)).await;
        let n = json!({"name": node, "vcpus": 64, "memory_mib": 262144, "disk_gb": 10000});
        sys.expect(201, Method::POST, &format!("/v1/pools/{pool}/nodes"), Some(n)).await;
    }
    let profile = json!({"name": "ubuntu", "base_profile": "linux", "install_media": "ubuntu-22.04",
                         "os_type": "Ubuntu", "os_version": "22.04", "memory_mib": 1024, "disk_gb": 20, "vcpus": 1});
    sys.expect(201, Method::POST, "/v1/vm-profiles", Some(profile)).await;
    for (name, os, version, envs) in
        [("django", "Ubuntu", "22.04", json!(["test", "production"])), ("iis", "Windows Server", "2022", json!([]))]
    {
        let stack = json!({"name": name, "version": "1", "fits": [{"os_type": os, "os_version": version}],
                           "environments": envs, "install_script": "#!/bin/sh\necho installing\n"});
        sys.expect(201, Method::POST, "/v1/software-stacks", Some(stack)).await;
    }
    (api, sys)
}

/// Waits until the template's machine settles (no action under way).
async fn settled(c: &Client, t: &str) -> Value {
    for _ in 0..600 {
        let v = c.get(&format!("/v1/vm-templates/{t}")).await;
        if ["Running", "Stopped", "Error"].contains(&v["state"].as_str().unwrap_or("")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("template {t} did not settle");
}

/// `POST /v1/vm-templates/{t}/{action}`, then the settled template.
async fn act(c: &Client, t: &str, action: &str) -> Value {
    let status = if action == "maintenance" { 200 } else { 202 };
    c.expect(status, Method::POST, &format!("/v1/vm-templates/{t}/{action}"), None).await;
    settled(c, t).await
}

/// The 409 an action gets, with its message.
async fn refused(c: &Client, t: &str, action: &str) -> String {
    let r = c.send(Method::POST, &format!("/v1/vm-templates/{t}/{action}"), None).await;
    assert_eq!(r.status, 409, "{action}: {}", r.text);
    r.error()["message"].as_str().unwrap_or_default().to_string()
}

fn vm_body(template: &str) -> Value {
    json!({"template": template, "pool": "pvm", "subnet": "net", "security_groups": ["sg"], "type": "server",
           "description": "Django server for customers"})
}

/// A persistent VM from `template`: 202, then Active.
async fn clone_vm(c: &Client, template: &str) -> Value {
    let v = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(vm_body(template))).await;
    c.settle("p", &v).await;
    let inst = c.get(&format!("{P}/instances/{}", v["id"].as_str().unwrap())).await;
    assert_eq!(inst["state"], "Active", "{inst}");
    c.get(&format!("{P}/persistent-vms/{}", v["id"].as_str().unwrap())).await
}

async fn create_vm_refused(c: &Client, template: &str, mode: &str) {
    let r = c.send(Method::POST, &format!("{P}/persistent-vms"), Some(&vm_body(template))).await;
    assert_eq!(r.status, 409, "a VM from a {mode} template: {}", r.text);
    assert!(r.text.contains(mode), "the refusal names the mode {mode}: {}", r.text);
}

/// A released template (version 1) named `tpl-0001.example.net`.
async fn released(c: &Client) -> String {
    let body = json!({"profile": "ubuntu", "pool": "tpl", "node": "t1", "description": "Ubuntu 22.04 template"});
    let t = c.expect(202, Method::POST, "/v1/vm-templates", Some(body)).await;
    let name = t["name"].as_str().unwrap().to_string();
    settled(c, &name).await;
    act(c, &name, "sysprep").await;
    let t = act(c, &name, "release").await;
    assert_eq!((t["mode"].as_str(), t["version"].as_i64()), (Some("ready_for_use"), Some(1)), "{t}");
    name
}

#[tokio::test]
async fn every_action_follows_the_template_mode() {
    let (_api, c) = world().await;
    let body =
        json!({"profile": "ubuntu", "pool": "tpl", "node": "t1", "memory_mib": 2048, "clock_offset": "localtime"});
    let t = c.expect(202, Method::POST, "/v1/vm-templates", Some(body)).await;
    assert_eq!((t["name"].as_str(), t["mode"].as_str()), (Some("tpl-0001.example.net"), Some("first_installation")));
    assert_eq!(
        (t["os_type"].as_str(), t["memory_mib"].as_i64(), t["disk_gb"].as_i64()),
        (Some("Ubuntu"), Some(2048), Some(20))
    );
    let name = t["name"].as_str().unwrap().to_string();

    // first_installation, running: installed by the administrator; no VM from it.
    let t = settled(&c, &name).await;
    assert_eq!(t["state"], "Running", "{t}");
    assert_eq!(t["allowed_actions"], json!(["stop", "sysprep", "do_not_use"]), "{t}");
    create_vm_refused(&c, &name, "first_installation").await;
    assert!(refused(&c, &name, "release").await.contains("running"));
    assert!(refused(&c, &name, "maintenance").await.contains("first_installation"));
    assert!(refused(&c, &name, "start").await.contains("running"));
    let t = act(&c, &name, "sysprep").await;
    assert_eq!((t["state"].as_str(), t["sysprepped"].as_bool()), (Some("Stopped"), Some(true)), "{t}");
    assert!(refused(&c, &name, "sysprep").await.contains("stopped"));
    let t = act(&c, &name, "release").await;
    assert_eq!((t["mode"].as_str(), t["version"].as_i64()), (Some("ready_for_use"), Some(1)), "{t}");

    // ready_for_use: VMs come from it; it cannot run itself.
    assert!(refused(&c, &name, "start").await.contains("maintenance_mode"));
    for action in ["stop", "sysprep", "release"] {
        assert!(refused(&c, &name, action).await.contains("ready_for_use"), "{action}");
    }
    let vm1 = clone_vm(&c, &name).await;
    assert_eq!((vm1["name"].as_str(), vm1["version"].as_i64()), (Some("kvm-0001.example.net"), Some(1)), "{vm1}");
    let inst = c.get(&format!("{P}/instances/{}", vm1["id"].as_str().unwrap())).await;
    assert_eq!((inst["template"].as_str(), inst["template_version"].as_i64()), (Some(name.as_str()), Some(1)));
    assert_eq!(inst["node"], "p1", "placed on the persistent pool's node: {inst}");

    // do_not_use, set directly; nothing but maintenance gets it out.
    let t =
        c.expect(200, Method::PATCH, &format!("/v1/vm-templates/{name}"), Some(json!({"mode": "do_not_use"}))).await;
    assert_eq!(t["allowed_actions"], json!(["maintenance", "do_not_use"]), "{t}");
    create_vm_refused(&c, &name, "do_not_use").await;
    for action in ["start", "sysprep", "release"] {
        assert!(refused(&c, &name, action).await.contains("do_not_use"), "{action}");
    }
    let r = c.send(Method::PATCH, &format!("/v1/vm-templates/{name}"), Some(&json!({"mode": "ready_for_use"}))).await;
    assert_eq!(r.status, 400, "ready_for_use follows from release: {}", r.text);

    // maintenance_mode → edit → sysprep → release makes version 2; vm1 keeps version 1.
    let t = act(&c, &name, "maintenance").await;
    assert_eq!(t["mode"], "maintenance_mode", "{t}");
    create_vm_refused(&c, &name, "maintenance_mode").await;
    assert!(refused(&c, &name, "maintenance").await.contains("maintenance_mode"));
    let t = act(&c, &name, "start").await;
    assert_eq!((t["state"].as_str(), t["sysprepped"].as_bool()), (Some("Running"), Some(false)), "{t}");
    act(&c, &name, "sysprep").await;
    let t = act(&c, &name, "release").await;
    assert_eq!((t["mode"].as_str(), t["version"].as_i64()), (Some("ready_for_use"), Some(2)), "{t}");
    let vm2 = clone_vm(&c, &name).await;
    assert_eq!((vm2["name"].as_str(), vm2["version"].as_i64()), (Some("kvm-0002.example.net"), Some(2)), "{vm2}");
    let vm1 = c.get(&format!("{P}/persistent-vms/{}", vm1["id"].as_str().unwrap())).await;
    assert_eq!(vm1["version"], 1, "an existing VM keeps its version: {vm1}");

    // A template with clones stays.
    let r = c.send(Method::DELETE, &format!("/v1/vm-templates/{name}"), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("2 persistent VMs"), "{}", r.text);
    let events: Vec<String> = c.get(&format!("/v1/vm-templates/{name}")).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(events.iter().any(|e| e.contains("released as version 2")), "{events:?}");

    // Without clones it goes, with its machine and versions.
    for vm in [&vm1, &vm2] {
        c.expect(202, Method::DELETE, &format!("{P}/persistent-vms/{}", vm["id"].as_str().unwrap()), None).await;
    }
    for _ in 0..600 {
        if c.get(&format!("{P}/persistent-vms")).await.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.expect(202, Method::DELETE, &format!("/v1/vm-templates/{name}"), None).await;
    for _ in 0..600 {
        if c.send(Method::GET, &format!("/v1/vm-templates/{name}"), None).await.status == 404 {
            let images = c.get("/v1/images").await;
            assert!(!images.to_string().contains("tpl-0001.example.net-v"), "its version images went: {images}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the template was not deleted");
}

#[tokio::test]
async fn a_template_without_a_mode_heals_to_do_not_use() {
    let (api, c) = world().await;
    let name = released(&c).await;
    let unmode = "UPDATE vm_templates SET mode = NULL WHERE name = $1";
    api.te.engine.store().write(gureum_store::Stmt::new(unmode, vec![name.clone().into()])).await.expect("unmode");
    let mut t = Value::Null;
    for _ in 0..100 {
        t = c.get(&format!("/v1/vm-templates/{name}")).await;
        if t["events"].to_string().contains("self-healing") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(t["events"].to_string().contains("the mode was missing"), "a visible event: {t}");
    assert_eq!(t["mode"], "do_not_use", "{t}");
    let stored =
        api.te.engine.store().get_by_id::<gureum_store::VmTemplateRecord>(t["id"].as_str().unwrap().parse().unwrap());
    assert_eq!(stored.await.unwrap().unwrap().mode.as_deref(), Some("do_not_use"), "written, not only shown");
    create_vm_refused(&c, &name, "do_not_use").await;
}

#[tokio::test]
async fn bad_persistent_vm_fields_are_named_and_create_nothing() {
    let (_api, c) = world().await;
    let name = released(&c).await;
    let cases = [
        ("software_stack", json!({"software_stack": "iis"})),
        ("environment", json!({"software_stack": "django", "environment": "development"})),
        ("environment", json!({"environment": "test"})),
        ("node", json!({"node": "p2"})),
        ("node", json!({"node": "t1"})),
        ("pool", json!({"pool": "tpl"})),
        ("type", json!({"type": "laptop"})),
        ("configuration_management", json!({"configuration_management": "install_only"})),
        ("configuration_management", json!({"configuration_management": "always"})),
    ];
    for (field, edit) in cases {
        let mut body = vm_body(&name);
        body.as_object_mut().unwrap().extend(edit.as_object().unwrap().clone());
        let r = c.send(Method::POST, &format!("{P}/persistent-vms"), Some(&body)).await;
        assert_eq!(r.status, 400, "{field} {edit}: {}", r.text);
        assert!(r.text.contains(field), "{field} named: {}", r.text);
    }
    let r = c
        .send(
            Method::POST,
            "/v1/vm-templates",
            Some(&json!({"profile": "ubuntu", "pool": "tpl", "clock_offset": "gmt"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("clock_offset"), "{}", r.text);
    assert!(c.get(&format!("{P}/persistent-vms")).await.as_array().unwrap().is_empty(), "nothing created");
    assert_eq!(c.list_all(&format!("{P}/instances")).await.len(), 0, "no instance either");
    assert_eq!(c.get("/v1/vm-templates").await.as_array().unwrap().len(), 1, "no template either");

    // A stack that fits, with an environment it offers and configuration management.
    let mut body = vm_body(&name);
    body.as_object_mut().unwrap().extend(
        json!({"software_stack": "django", "environment": "production", "configuration_management": "install_and_maintain",
               "node": "p1"})
        .as_object()
        .unwrap()
        .clone(),
    );
    let v = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(body)).await;
    assert_eq!(
        (v["software_stack"].as_str(), v["environment"].as_str(), v["configuration_management"].as_str()),
        (Some("django"), Some("production"), Some("install_and_maintain")),
        "{v}"
    );
}

#[tokio::test]
async fn a_host_shared_by_two_pools_is_booked_once() {
    let (_api, c) = world().await;
    let cap = json!({"vcpus": 2, "capacity_pinned": true});
    c.expect(200, Method::PATCH, "/v1/pools/tpl/nodes/t1", Some(cap)).await;
    c.expect(200, Method::PATCH, "/v1/pools/tpl", Some(json!({"cpu_overcommit": 1.0}))).await;
    let n = c.expect(201, Method::POST, "/v1/pools/pvm/shared-nodes", Some(json!({"node": "t1"}))).await;
    assert_eq!(n["shared_with"], json!(["pvm"]), "{n}");
    let nodes: Vec<String> = c
        .get("/v1/pools/pvm/nodes")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().into())
        .collect();
    assert_eq!(nodes, ["p1", "t1"], "the pool lists the node it shares");
    c.expect(201, Method::POST, "/v1/connections", Some(json!({"name": "elsewhere", "driver": "sim"}))).await;
    c.expect(201, Method::POST, "/v1/pools", Some(json!({"name": "ep", "connection": "elsewhere"}))).await;
    let e1 = json!({"name": "e1", "vcpus": 8, "memory_mib": 8192, "disk_gb": 100});
    c.expect(201, Method::POST, "/v1/pools/ep/nodes", Some(e1)).await;
    let r = c.send(Method::POST, "/v1/pools/pvm/shared-nodes", Some(&json!({"node": "e1"}))).await;
    assert_eq!(r.status, 400, "a node of a pool of another connection is refused: {}", r.text);
    let name = released(&c).await;

    // The template holds 1 of t1's 2 vCPUs; a VM placed on t1 through the persistent pool
    // takes the other; the next one finds no room there.
    let mut body = vm_body(&name);
    body["node"] = json!("t1");
    let vm = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(body.clone())).await;
    c.settle("p", &vm).await;
    let t1 = c.get("/v1/pools/tpl/nodes/t1").await;
    assert_eq!((t1["allocated"]["vcpus"].as_i64(), t1["instances"].as_i64()), (Some(2), Some(2)), "{t1}");
    let r = c.send(Method::POST, &format!("{P}/persistent-vms"), Some(&body)).await;
    assert!(r.status >= 400, "the shared host is full: {}", r.text);
    assert!(r.text.contains("t1"), "{}", r.text);
    let t1 = c.get("/v1/pools/tpl/nodes/t1").await;
    assert_eq!(t1["allocated"]["vcpus"].as_i64(), Some(2), "never double-booked: {t1}");

    let r = c.send(Method::DELETE, "/v1/pools/pvm/shared-nodes/t1", None).await;
    assert_eq!(r.status, 409, "the pool's VM is still on it: {}", r.text);
}

#[tokio::test]
async fn a_persistent_vm_is_for_a_customer_within_reach() {
    let (api, c) = world().await;
    let name = released(&c).await;
    let v = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(vm_body(&name))).await;
    assert_eq!((v["reseller"].as_str(), v["customer"].as_str()), (Some("default"), Some("default")), "the project's");
    c.settle("p", &v).await;
    let inst = c.get(&format!("{P}/instances/{}", v["id"].as_str().unwrap())).await;
    assert_eq!(inst["customer"], "default", "{inst}");

    c.expect(201, Method::POST, "/v1/resellers", Some(json!({"name": "acme"}))).await;
    c.expect(201, Method::POST, "/v1/resellers/acme/customers", Some(json!({"name": "shop"}))).await;
    let mut other = vm_body(&name);
    other.as_object_mut().unwrap().extend(json!({"reseller": "acme", "customer": "shop"}).as_object().unwrap().clone());
    let v = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(other.clone())).await;
    assert_eq!(v["customer"], "shop", "a system administrator reaches every customer: {v}");

    let member = api.user("m").await;
    c.expect(200, Method::PUT, "/v1/projects/p/members/m", Some(json!({"role": "member"}))).await;
    let before = c.get(&format!("{P}/persistent-vms")).await.as_array().unwrap().len();
    let r = member.send(Method::POST, &format!("{P}/persistent-vms"), Some(&other)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("reseller"), "{}", r.text);
    assert_eq!(c.get(&format!("{P}/persistent-vms")).await.as_array().unwrap().len(), before, "nothing created");
    let v = member.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(vm_body(&name))).await;
    assert_eq!(v["customer"], "default", "{v}");
}

#[tokio::test]
async fn configuration_management_is_billed_and_stays_billed() {
    let (_api, c) = world().await;
    let name = released(&c).await;
    let mut ids = vec![];
    for management in ["install_only", "install_and_maintain"] {
        let mut body = vm_body(&name);
        body.as_object_mut().unwrap().extend(
            json!({"software_stack": "django", "configuration_management": management}).as_object().unwrap().clone(),
        );
        let v = c.expect(202, Method::POST, &format!("{P}/persistent-vms"), Some(body)).await;
        c.settle("p", &v).await;
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fee = |usage: &Value, management: &str| -> Option<Value> {
        usage["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["instance_type"] == format!("configuration management: {management}"))
            .cloned()
    };
    let usage = c.get(&format!("{P}/usage")).await;
    let setup = fee(&usage, "install_only").unwrap_or_else(|| panic!("a setup fee: {usage}"));
    assert!(setup["cost"].as_f64().unwrap() > 0.0 && setup["seconds"] == 0, "{setup}");
    let kept = fee(&usage, "install_and_maintain").unwrap_or_else(|| panic!("a recurring fee: {usage}"));
    assert!(kept["price_per_hour"].as_f64().unwrap() > 0.0 && kept["seconds"].as_i64().unwrap() >= 1, "{kept}");

    // The setup fee stays on the bill after the VM is gone.
    let gone = c.expect(202, Method::DELETE, &format!("{P}/persistent-vms/{}", ids[0]), None).await;
    c.settle("p", &gone).await;
    let usage = c.get(&format!("{P}/usage")).await;
    assert_eq!(fee(&usage, "install_only").map(|l| l["cost"].clone()), Some(setup["cost"].clone()), "{usage}");
    assert_eq!(
        c.get(&format!("{P}/persistent-vms")).await.as_array().unwrap().len(),
        1,
        "the deleted one is not listed"
    );
}
