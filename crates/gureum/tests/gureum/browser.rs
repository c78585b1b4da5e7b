//! The web console in a real browser (Debian's headless Chromium) against a real
//! `gureum serve`: an admin builds a network and an instance through the forms, watches it
//! become Active live without a reload, stops it, meets a field error, deletes it by typing
//! its name; a reader is offered nothing to create. Screenshots of the main pages go to
//! target/screenshots/. The template library's flow is in `browser/library.rs`.

#[path = "support/chrome.rs"]
mod chrome;
mod lean;
mod library;
mod maintenance;
use crate::support;

use chrome::Chrome;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use support::{Server, connection_body, eventually};
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

const PASSWORD: &str = "correct horse battery";
const PROJECT: &str = "shop";
/// A sim connection whose provider latency is long enough to see transitional states
/// (vm_create 1.5 s) and short enough for a quick test.
const SLOW_CONNECTION: &str = "console-demo";
const WAIT: Duration = Duration::from_secs(60);

fn screenshot_dir() -> PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("the workspace");
    let dir = workspace.join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}

struct Console {
    chrome: Chrome,
    base: String,
}

impl Console {
    async fn go(&self, path: &str) {
        self.chrome.driver.goto(format!("{}{path}", self.base)).await.unwrap();
    }

    async fn find(&self, css: &str) -> WebElement {
        self.chrome.driver.find(By::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Replaces the value of an input.
    async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn choose(&self, css: &str, value: &str) {
        SelectElement::new(&self.find(css).await).await.unwrap().select_by_value(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    async fn path(&self) -> String {
        self.chrome.driver.current_url().await.unwrap().path().to_string()
    }

    /// Waits for the browser to arrive at a page whose path `arrived` accepts (a click's
    /// navigation may still be under way when the click returns).
    async fn wait_path(&self, what: &str, arrived: impl Fn(&str) -> bool) {
        eventually(WAIT, what, async || {
            let path = self.path().await;
            if arrived(&path) { Ok(()) } else { Err(path) }
        })
        .await;
    }

    async fn login(&self, name: &str) {
        self.go("/login").await;
        self.fill("#login-name", name).await;
        self.fill("#login-password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]").await;
        self.wait_path(&format!("{name} signed in"), |p| p.starts_with("/projects/")).await;
    }

    /// The state badge of the row named `name` in list `table` (None while absent).
    async fn row_state(&self, table: &str, name: &str) -> Option<String> {
        let script = format!(
            "var r = Array.from(document.querySelectorAll('#{table} tbody tr')).find(function (tr) {{ \
               return tr.cells[0].textContent.trim() === {name:?}; }}); \
             return r ? r.querySelector('[data-state]').getAttribute('data-state') : null;"
        );
        self.chrome.js(&script).await.as_str().map(str::to_string)
    }

    /// Waits, on the page as it is (live updates only), for a row to reach `want`.
    async fn wait_row(&self, table: &str, name: &str, want: &str) {
        eventually(WAIT, &format!("{name} {want} in #{table}"), async || match self.row_state(table, name).await {
            Some(s) if s == want => Ok(()),
            other => Err(format!("{other:?}")),
        })
        .await;
    }

    /// The state badge of a detail page's fields block.
    async fn detail_state(&self, block: &str) -> String {
        let script = format!("var e = document.querySelector('#{block} [data-state]'); return e ? e.textContent : ''");
        // Between pages (a click's navigation under way) there is no document to ask.
        match self.chrome.driver.execute(script, vec![]).await {
            Ok(v) => v.json().as_str().unwrap_or_default().to_string(),
            Err(_) => String::new(),
        }
    }

    async fn post_forms(&self) -> Vec<String> {
        let v = self
            .chrome
            .js("return Array.from(document.querySelectorAll('form[method=post]')).map(function (f) { \
                   return f.getAttribute('action'); }).filter(function (a) { return a !== '/logout'; })")
            .await;
        v.as_array().unwrap().iter().map(|a| a.as_str().unwrap_or_default().to_string()).collect()
    }
}

/// A real server on a fresh database whose `admin` signs in with [`PASSWORD`], with the
/// sim connection `connection` of `latency`. Fields drop in order: the server stops before
/// its directories go.
struct Site {
    server: Server,
    api: support::Client,
    _db: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn start(connection: &str, latency: serde_json::Value) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let (db, db_dir) = gureum_store::testing::fresh_database().await.unwrap();
        let server = Server::start(dir.path(), &db);
        let api = server.client();
        let (status, v) =
            api.call(reqwest::Method::PUT, "/v1/users/admin/password", Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 200, "{v}");
        api.post("/v1/connections", connection_body(connection, latency)).await;
        Site { server, api, _db: db_dir, _dir: dir }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_console_in_a_real_browser() {
    if !chrome::available() {
        return;
    }
    let shots = screenshot_dir();
    let latency = json!({ "latency_ms": { "default": 150, "vm_create": 1500, "vm_stop": 1000, "vm_delete": 1000 } });
    let site = Site::start(SLOW_CONNECTION, latency).await;
    let (server, api) = (&site.server, &site.api);
    api.post("/v1/projects", json!({ "name": PROJECT })).await;
    api.post("/v1/users", json!({ "name": "rita", "password": PASSWORD })).await;
    let (status, m) = api
        .call(reqwest::Method::PUT, &format!("/v1/projects/{PROJECT}/members/rita"), Some(json!({"role": "reader"})))
        .await;
    assert_eq!(status, 200, "{m}");

    let c = Console { chrome: Chrome::start().await, base: server.base.clone() };
    let p = format!("/projects/{PROJECT}");
    c.login("admin").await;
    // The script ran: the project switcher navigates on its own, its Go button is hidden.
    assert!(!c.find(".switcher button").await.is_displayed().await.unwrap());

    // A VPC on the slow connection; its page follows it to Available by itself.
    c.go(&format!("{p}/vpcs/new")).await;
    c.fill("#create-vpc-name", "net").await;
    c.fill("#create-vpc-cidr", "10.0.0.0/16").await;
    c.choose("#create-vpc-connection", SLOW_CONNECTION).await;
    c.click("#create-vpc button[type=submit]").await;
    c.wait_path("the VPC's page", |path| path.starts_with(&format!("{p}/vpcs/")) && !path.ends_with("/new")).await;
    eventually(WAIT, "VPC Available", async || match c.detail_state("vpc-fields").await.as_str() {
        "Available" => Ok(()),
        s => Err(s.to_string()),
    })
    .await;

    // A subnet from the VPC's page.
    c.fill("#create-subnet-name", "web").await;
    c.fill("#create-subnet-cidr", "10.0.1.0/24").await;
    c.click("#create-subnet button[type=submit]").await;
    c.wait_path("back at the VPC", |path| path.starts_with(&format!("{p}/vpcs/")) && !path.ends_with("/subnets")).await;
    c.wait_row("vpc-subnets", "web", "Available").await;

    c.go(&format!("{p}/security-groups/new")).await;
    c.fill("#create-security-group-name", "web-sg").await;
    c.choose("#create-security-group-vpc", "net").await;
    c.click("#create-security-group button[type=submit]").await;
    c.wait_path("the group's page", |path| {
        path.starts_with(&format!("{p}/security-groups/")) && !path.ends_with("/new")
    })
    .await;
    c.go(&format!("{p}/security-groups")).await;
    c.wait_row("security-groups", "web-sg", "Available").await;

    c.go(&format!("{p}/key-pairs/new")).await;
    c.fill("#create-key-pair-name", "laptop").await;
    c.choose("#create-key-pair-connection", SLOW_CONNECTION).await;
    c.click("#create-key-pair button[type=submit]").await;
    // The private key is shown at the form's own address (nothing to redirect to keeps it).
    c.wait_path("the new key pair", |path| path == format!("{p}/key-pairs")).await;
    // The generated private key is offered once, on the page after the form.
    assert!(c.find("#download-private-key").await.attr("download").await.unwrap().is_some());
    c.go(&format!("{p}/key-pairs")).await;
    c.wait_row("key-pairs", "laptop", "Available").await;

    // The instance: after the form, its page shows a transitional state and follows it to
    // Active through live updates, without the page ever being loaded again.
    c.go(&format!("{p}/instances/new")).await;
    c.fill("#create-instance-name", "shop-web").await;
    c.choose("#create-instance-instance_type", "t1.small").await;
    c.choose("#create-instance-image", "ubuntu-22.04").await;
    c.choose("#create-instance-subnet", "web").await;
    c.click("#create-instance-security_groups input[value='web-sg']").await;
    c.choose("#create-instance-key_pair", "laptop").await;
    c.choose("#create-instance-public_ip", "ephemeral").await;
    c.click("#create-instance button[type=submit]").await;
    c.wait_path("the instance's page", |path| path.starts_with(&format!("{p}/instances/")) && !path.ends_with("/new"))
        .await;
    let detail = c.path().await;
    c.chrome.js("window.__noReload = 1").await;
    let first = c.detail_state("instance-fields").await;
    let class = c.chrome.js("return document.querySelector('#instance-fields [data-state]').className").await;
    assert!(class.as_str().unwrap().contains("st-amber"), "a transitional state first: {first} ({class})");
    let mut seen = vec![first];
    eventually(WAIT, "instance Active without a reload", async || {
        let marker = c.chrome.js("return window.__noReload === 1").await;
        assert_eq!(marker, json!(true), "the page was reloaded (states seen: {seen:?})");
        let s = c.detail_state("instance-fields").await;
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "Active" { Ok(()) } else { Err(s) }
    })
    .await;
    assert_eq!(c.path().await, detail, "never navigated away");
    println!("instance states seen live: {seen:?}");
    // The actions block was refreshed with the state: Stop is offered now.
    eventually(WAIT, "Stop enabled", async || {
        match c.find("#instance-actions button[data-action=stop]").await.is_enabled().await.unwrap() {
            true => Ok(()),
            false => Err("disabled".to_string()),
        }
    })
    .await;
    c.chrome.screenshot(&shots, "instance-detail").await;

    c.go(&format!("{p}/instances")).await;
    assert_eq!(c.row_state("instances", "shop-web").await.as_deref(), Some("Active"));
    c.chrome.screenshot(&shots, "instances").await;
    c.chrome.viewport(420, 800).await;
    c.chrome.screenshot(&shots, "instances-narrow").await;
    c.chrome.viewport(1280, 800).await;

    // Stop, then watch it reach Stopped.
    c.go(&detail).await;
    c.click("#instance-actions button[data-action=stop]").await;
    eventually(WAIT, "instance Stopped", async || match c.detail_state("instance-fields").await.as_str() {
        "Stopped" => Ok(()),
        s => Err(s.to_string()),
    })
    .await;

    // A volume size out of range comes back with the error next to the size field, and the
    // name typed is kept.
    for bad in ["0", "5121"] {
        c.go(&format!("{p}/volumes/new")).await;
        c.fill("#create-volume-name", "scratch").await;
        c.fill("#create-volume-size_gb", bad).await;
        c.click("#create-volume button[type=submit]").await;
        c.wait_path("the form shown again", |path| path == format!("{p}/volumes")).await;
        let error = c.find("#create-volume-size_gb-error").await.text().await.unwrap();
        assert!(error.contains("5120") || error.contains("5,120"), "size {bad}: {error}");
        assert_eq!(c.find("#create-volume-size_gb").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        assert_eq!(c.find("#create-volume-name").await.value().await.unwrap().as_deref(), Some("scratch"));
    }
    c.chrome.screenshot(&shots, "create-volume-field-error").await;
    let (_, vols) = api.call(reqwest::Method::GET, &format!("/v1/projects/{PROJECT}/volumes?name=scratch"), None).await;
    assert_eq!(vols["items"], json!([]), "a refused form creates nothing");

    c.go(&format!("{p}/volumes")).await;
    c.chrome.screenshot(&shots, "volumes").await;
    c.go(&format!("{p}/usage")).await;
    assert!(c.find("#usage-chart svg").await.is_displayed().await.unwrap());
    c.chrome.screenshot(&shots, "usage").await;
    c.go("/connections").await;
    c.chrome.screenshot(&shots, "connections").await;

    // Delete: the button stays disabled until the name is typed.
    c.go(&detail).await;
    let button = c.find("#delete-instance [data-confirm-button]").await;
    assert!(!button.is_enabled().await.unwrap());
    c.fill("#delete-instance-confirm", "shop-we").await;
    assert!(!button.is_enabled().await.unwrap(), "a wrong name keeps it disabled");
    c.fill("#delete-instance-confirm", "shop-web").await;
    assert!(button.is_enabled().await.unwrap());
    button.click().await.unwrap();
    c.wait_path("back at the instance list", |path| path == format!("{p}/instances")).await;
    eventually(WAIT, "instance gone", async || {
        c.go(&format!("{p}/instances")).await;
        match c.row_state("instances", "shop-web").await {
            None => Ok(()),
            Some(s) => Err(s),
        }
    })
    .await;

    // A reader sees everything and is offered nothing to create or change.
    c.click("form[action='/logout'] button").await;
    c.wait_path("signed out", |path| path == "/login").await;
    c.login("rita").await;
    for page in ["instances", "volumes", "images", "key-pairs", "vpcs", "subnets", "security-groups", "public-ips"] {
        c.go(&format!("{p}/{page}")).await;
        let primary = c.chrome.driver.find_all(By::Css(".title-row .button")).await.unwrap();
        assert!(primary.is_empty(), "a create button on {page} for a reader");
        assert_eq!(c.post_forms().await, Vec::<String>::new(), "forms on {page} for a reader");
    }
    c.go(&format!("{p}/vpcs")).await;
    c.click("#vpcs tbody a").await;
    assert_eq!(c.post_forms().await, Vec::<String>::new(), "forms on a VPC for a reader");
    assert!(c.find("main").await.text().await.unwrap().contains("read-only access"));
    c.chrome.quit().await;
    println!("screenshots in {}", shots.display());
}
