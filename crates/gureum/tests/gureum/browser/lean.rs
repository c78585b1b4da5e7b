//! Lean provisioning in a real browser: the VM templates with their mode and the actions
//! it allows (a ready template's Start greyed with the reason), and the persistent-VM
//! form whose fields follow each other: the nodes are the chosen pool's, the software
//! stack is disabled when none fits the template's OS, the environment when the chosen
//! stack offers none. The VM it creates shows its stack and environment.

use super::{Console, Site, WAIT, chrome, screenshot_dir};
use crate::support::{Client, eventually};
use chrome::Chrome;
use serde_json::{Value, json};

const PROJECT: &str = "lean";
const CONNECTION: &str = "lean-fast";

/// Waits until the template settles after an action.
async fn settled(api: &Client, name: &str) -> Value {
    eventually(WAIT, "the template settles", async || {
        let t = api.get(&format!("/v1/vm-templates/{name}")).await;
        if t["operation_id"].is_null() { Ok(t) } else { Err(t["state"].to_string()) }
    })
    .await
}

/// A released template of `profile`; returns its assigned name.
async fn released(api: &Client, profile: &str) -> String {
    let t = api.post("/v1/vm-templates", json!({"profile": profile, "pool": "tpl"})).await;
    let name = t["name"].as_str().unwrap().to_string();
    settled(api, &name).await;
    for action in ["sysprep", "release"] {
        api.post(&format!("/v1/vm-templates/{name}/{action}"), json!({})).await;
        settled(api, &name).await;
    }
    name
}

/// The values a select offers now (enabled, not blank), and whether it is disabled.
async fn offered(c: &Console, name: &str) -> (Vec<String>, bool) {
    let v = c
        .chrome
        .js(&format!(
            "const s = document.querySelector('#create-persistent-vm [name={name}]'); \
             return [Array.from(s.options).filter(o => !o.disabled && o.value).map(o => o.value), s.disabled];"
        ))
        .await;
    let values = v[0].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    (values, v[1].as_bool().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn persistent_vm_form_fields_follow_each_other() {
    if !chrome::available() {
        return;
    }
    let shots = screenshot_dir();
    let site = Site::start(CONNECTION, json!({ "latency_ms": { "default": 20 } })).await;
    let (server, api) = (&site.server, &site.api);
    api.network(PROJECT, CONNECTION).await;
    for (pool, purpose, node) in
        [("tpl", "template", "t1"), ("pvm-a", "persistent", "a1"), ("pvm-b", "persistent", "b1")]
    {
        let body = json!({"name": pool, "connection": CONNECTION, "purpose": purpose, "domain": "lean.test"});
        api.post("/v1/pools", body).await;
        api.post(
            &format!("/v1/pools/{pool}/nodes"),
            json!({"name": node, "vcpus": 64, "memory_mib": 262144, "disk_gb": 4000}),
        )
        .await;
    }
    for (name, os, version) in [("ubuntu", "Ubuntu", "22.04"), ("gentoo", "Gentoo", "2013.0")] {
        let profile = json!({"name": name, "base_profile": "linux", "install_media": "ubuntu-22.04", "os_type": os,
                             "os_version": version, "memory_mib": 1024, "disk_gb": 20, "vcpus": 1});
        api.post("/v1/vm-profiles", profile).await;
    }
    for (name, envs) in [("django", json!(["test", "production"])), ("plain", json!([]))] {
        let stack = json!({"name": name, "version": "1", "fits": [{"os_type": "Ubuntu", "os_version": "22.04"}],
                           "environments": envs, "install_script": "#!/bin/sh\ntrue\n"});
        api.post("/v1/software-stacks", stack).await;
    }
    let ubuntu = released(api, "ubuntu").await;
    let gentoo = released(api, "gentoo").await;

    let c = Console { chrome: Chrome::start().await, base: server.base.clone() };
    c.login("admin").await;

    // The templates with their modes; a ready one's Start says why it is greyed.
    c.go("/vm-templates").await;
    let table = c.find("#vm-templates").await.text().await.unwrap();
    assert!(table.contains(&ubuntu) && table.contains("ready_for_use"), "{table}");
    c.go(&format!("/vm-templates/{ubuntu}")).await;
    let start = c.find("#vm-template-actions button[data-action=start]").await;
    assert!(!start.is_enabled().await.unwrap(), "a ready template cannot be started");
    let why =
        c.find("#vm-template-actions button[data-action=start]").await.attr("title").await.unwrap().unwrap_or_default();
    assert!(why.contains("maintenance_mode"), "the reason is shown: {why:?}");
    assert!(c.find("#vm-template-actions button[data-action=maintenance]").await.is_enabled().await.unwrap());
    c.chrome.screenshot(&shots, "vm-template").await;

    // The persistent-VM form.
    let p = format!("/projects/{PROJECT}");
    c.go(&format!("{p}/persistent-vms/new")).await;
    for (field, want) in [("reseller", "default"), ("customer", "default")] {
        let v = c.find(&format!("#create-persistent-vm [name={field}]")).await.value().await.unwrap();
        assert_eq!(v.as_deref(), Some(want), "the {field} is preselected");
    }
    c.choose("#create-persistent-vm [name=pool]", "pvm-a").await;
    assert_eq!(offered(&c, "node").await, (vec!["a1".to_string()], false), "pool pvm-a's nodes");
    c.choose("#create-persistent-vm [name=pool]", "pvm-b").await;
    assert_eq!(offered(&c, "node").await, (vec!["b1".to_string()], false), "pool pvm-b's nodes");
    c.choose("#create-persistent-vm [name=template]", &gentoo).await;
    assert_eq!(offered(&c, "software_stack").await, (vec![], true), "no stack fits Gentoo");
    assert!(offered(&c, "environment").await.1, "nor an environment");
    c.choose("#create-persistent-vm [name=template]", &ubuntu).await;
    assert_eq!(offered(&c, "software_stack").await, (vec!["django".to_string(), "plain".to_string()], false));
    c.choose("#create-persistent-vm [name=software_stack]", "plain").await;
    assert_eq!(offered(&c, "environment").await, (vec![], true), "plain offers no environment");
    c.choose("#create-persistent-vm [name=software_stack]", "django").await;
    assert_eq!(offered(&c, "environment").await, (vec!["test".to_string(), "production".to_string()], false));
    c.choose("#create-persistent-vm [name=environment]", "production").await;
    c.choose("#create-persistent-vm [name=node]", "b1").await;
    c.chrome.screenshot(&shots, "persistent-vm-form").await;
    c.click("#create-persistent-vm button[type=submit]").await;
    c.wait_path("the new VM's page", |path| path.starts_with(&format!("{p}/instances/"))).await;

    let vms = api.get(&format!("/v1{p}/persistent-vms")).await;
    let vm = &vms[0];
    assert_eq!(
        (vm["template"].as_str(), vm["software_stack"].as_str(), vm["environment"].as_str(), vm["customer"].as_str()),
        (Some(ubuntu.as_str()), Some("django"), Some("production"), Some("default")),
        "{vm}"
    );
    eventually(WAIT, "the VM on node b1, Active", async || {
        let i = api.get(&format!("/v1{p}/instances/{}", vm["id"].as_str().unwrap())).await;
        if i["state"] == "Active" && i["node"] == "b1" { Ok(()) } else { Err(i.to_string()) }
    })
    .await;
    c.go(&format!("{p}/persistent-vms")).await;
    let list = c.find("#persistent-vms").await.text().await.unwrap();
    assert!(list.contains("django") && list.contains("production"), "{list}");
    c.chrome.quit().await;
}
