//! Maintenance in a real browser: the task list with its status coloured, a resource's
//! reserved time set in its row, the run watched live on the task page (Reserved, then
//! In progress, then Completed, without a reload), its log and the notifications.

use super::{Console, Site, WAIT, chrome, screenshot_dir};
use crate::support::eventually;
use chrome::Chrome;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

const PROJECT: &str = "ops";
const CONNECTION: &str = "maint-sim";

/// `YYYY-MM-DDTHH:MM:SS` (UTC) `secs` from now, as a datetime-local input takes it.
fn in_seconds(secs: u64) -> String {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + secs;
    let (days, rest) = (t / 86_400, t % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resource_scheduled_in_its_row_runs_live() {
    if !chrome::available() {
        return;
    }
    let shots = screenshot_dir();
    let site = Site::start(CONNECTION, json!({"latency_ms": {"default": 50, "vm_kernel_upgrade": 2000}})).await;
    let (server, api) = (&site.server, &site.api);
    api.network(PROJECT, CONNECTION).await;
    let body = json!({"name": "web", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net",
                      "security_groups": ["sg"]});
    api.run(PROJECT, "instances", Some(body)).await;
    let task = json!({"name": "kernel", "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
                      "type": "kernel_upgrade", "apply": {"kernel": "6.12"}, "downtime": true, "resources": ["web"]});
    api.post(&format!("/v1/projects/{PROJECT}/maintenance-tasks"), task).await;

    let c = Console { chrome: Chrome::start().await, base: server.base.clone() };
    c.login("admin").await;
    let p = format!("/projects/{PROJECT}/maintenance");
    c.go(&p).await;
    assert_eq!(c.row_state("maintenance-tasks", "kernel").await.as_deref(), Some("Pending"));
    let grey = c.chrome.js("return document.querySelector('#maintenance-tasks [data-state]').className").await;
    assert!(grey.as_str().unwrap().contains("st-grey"), "Pending is grey: {grey}");

    c.go(&format!("{p}/kernel")).await;
    let at = in_seconds(4);
    c.chrome
        .js(&format!("document.querySelector('#maintenance-resources input[name=at]').value = {at:?}; return null;"))
        .await;
    c.click("#maintenance-resources .schedule-form button[type=submit]").await;
    c.wait_path("back on the task page", |path| path == format!("{p}/kernel")).await;
    eventually(WAIT, "web Reserved", async || match c.row_state("maintenance-resources", "web").await {
        Some(s) if s == "Reserved" => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;
    c.chrome.screenshot(&shots, "maintenance-reserved").await;
    // From here on the page is never reloaded: a marker set now must survive.
    c.chrome.js("window.stillHere = true; return null;").await;
    let mut seen = vec![];
    eventually(WAIT, "web Completed, live", async || {
        let s = c.row_state("maintenance-resources", "web").await.unwrap_or_default();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "Completed" { Ok(()) } else { Err(s) }
    })
    .await;
    assert!(seen.contains(&"In_progress".to_string()), "the run was seen live: {seen:?}");
    assert_eq!(c.chrome.js("return window.stillHere === true").await, json!(true), "no reload");
    let green = c.chrome.js("return document.querySelector('#maintenance-resources [data-state]').className").await;
    assert!(green.as_str().unwrap().contains("st-green"), "Completed is green: {green}");
    c.chrome.screenshot(&shots, "maintenance-completed").await;

    c.go(&format!("{p}/kernel/resources/web/log")).await;
    let log = c.find("#maintenance-log").await.text().await.unwrap();
    for want in ["pre-check passed", "applied: boot kernel 6.12", "health check passed", "completed"] {
        assert!(log.contains(want), "the log shows {want:?}: {log}");
    }
    c.go(&format!("{p}/notifications")).await;
    let notices = c.find("#maintenance-notifications").await.text().await.unwrap();
    for want in ["started", "completed"] {
        assert!(notices.contains(want), "a {want} notice for web: {notices}");
    }
    c.chrome.quit().await;
}
