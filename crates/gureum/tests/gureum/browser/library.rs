//! The template library in a real browser: from the Library to the static web site's
//! details, its execute form (one server, on a fast simulated connection), the plan, the
//! run; the status list follows it to Provisioned live, the installation info links its
//! web site; a return by typing the name, followed live to Returned; the history lists
//! every step and shows and serves a log; the status is deleted by typing the name.

use super::{Console, Site, WAIT, chrome, screenshot_dir};
use crate::support::eventually;
use chrome::Chrome;
use serde_json::json;
use thirtyfour::prelude::*;

const PROJECT: &str = "lib";
/// VMs in 0.6 s: the stack is Provisioning for a moment, long enough to be seen live.
const FAST_CONNECTION: &str = "library-fast";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_template_library_in_a_real_browser() {
    if !chrome::available() {
        return;
    }
    let shots = screenshot_dir();
    let latency = json!({ "latency_ms": { "default": 50, "vm_create": 600, "vm_delete": 300 } });
    let site = Site::start(FAST_CONNECTION, latency).await;
    let (server, api) = (&site.server, &site.api);
    // The prerequisites, made through the API: the console's own forms for them are the
    // other browser test's subject.
    api.network(PROJECT, FAST_CONNECTION).await;
    let k = api
        .post(&format!("/v1/projects/{PROJECT}/key-pairs"), json!({ "name": "laptop", "connection": FAST_CONNECTION }))
        .await;
    if let Some(op) = k["operation_id"].as_str() {
        api.wait_op(PROJECT, op).await;
    }

    let c = Console { chrome: Chrome::start().await, base: server.base.clone() };
    let p = format!("/projects/{PROJECT}");
    c.login("admin").await;

    // The Library, then the static web site's details in their sections.
    c.go(&format!("{p}/library")).await;
    let current = c.find("nav.side a[aria-current=page]").await.text().await.unwrap();
    assert_eq!(current, "Library", "the library is in the project's navigation");
    c.chrome.screenshot(&shots, "library").await;
    c.click("#templates a[href$='/library/static-website']").await;
    c.wait_path("the template's details", |path| path.ends_with("/library/static-website")).await;
    for section in ["template-overview", "template-features", "template-prerequisites", "template-resources"] {
        assert!(c.find(&format!("#{section} h2")).await.is_displayed().await.unwrap(), "{section}");
    }
    let licences = c.find("#template-licenses").await.text().await.unwrap();
    assert!(licences.contains("BusyBox") && licences.contains("GPL-2.0-only"), "{licences}");
    c.chrome.screenshot(&shots, "template-details").await;

    // The execute form, from the template's parameters; a plan before the run.
    c.click(".title-row .button").await;
    c.wait_path("the execute form", |path| path.ends_with("/static-website/execute")).await;
    assert!(c.chrome.driver.find_all(By::Css("#execute button[name=intent]")).await.unwrap().is_empty(), "no Run yet");
    c.fill("#execute-name", "site").await;
    c.choose("[name='parameters.vpc']", "net").await;
    c.choose("[name='parameters.subnet']", "net").await;
    c.choose("[name='parameters.key_pair']", "laptop").await;
    c.fill("[name='parameters.node_count']", "1").await;
    c.click("#execute button[type=submit]:not([name])").await;
    eventually(WAIT, "the plan", async || match c.chrome.driver.find_all(By::Css("#plan-resources tbody tr")).await {
        Ok(rows) if rows.len() == 2 => Ok(()),
        other => Err(format!("{:?}", other.map(|r| r.len()))),
    })
    .await;
    // Labels are shown in capitals: compare without case.
    let summary = c.find("#plan-summary").await.text().await.unwrap().to_lowercase();
    assert!(summary.contains("passed") && summary.contains("predicted time"), "{summary}");
    let checks = c.find("#plan-checks").await.text().await.unwrap();
    assert!(!checks.contains("failed"), "{checks}");
    assert_eq!(c.find("[name='parameters.node_count']").await.value().await.unwrap().as_deref(), Some("1"));
    c.chrome.js("document.getElementById('plan-summary').scrollIntoView()").await;
    c.chrome.screenshot(&shots, "execute-plan").await;
    c.click("#execute button[name=intent][value=run]").await;
    c.wait_path("the status list", |path| path == format!("{p}/provisionings")).await;

    // The list follows the stack to Provisioned without being loaded again.
    c.chrome.js("window.__noReload = 1").await;
    let first = c.row_state("provisionings", "site").await;
    c.wait_row("provisionings", "site", "Provisioned").await;
    assert_eq!(c.chrome.js("return window.__noReload === 1").await, json!(true), "the list was reloaded");
    println!("provisioning first seen as {first:?}, then Provisioned live");
    c.chrome.screenshot(&shots, "provisionings").await;

    c.click("#provisionings tbody a").await;
    c.wait_path("the provisioning's page", |path| path.starts_with(&format!("{p}/provisionings/"))).await;
    let detail = c.path().await;
    assert_eq!(c.detail_state("provisioning-fields").await, "Provisioned");
    let resources = c.find("#provisioning-resources").await.text().await.unwrap();
    assert!(resources.contains("web-sg") && resources.contains("web-1") && resources.contains("Ready"), "{resources}");
    c.chrome.screenshot(&shots, "provisioning-detail").await;

    c.go(&format!("{detail}/info")).await;
    let link = c.find("#installation-access a").await;
    let url = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(url.starts_with("http://") && url.ends_with(":80/"), "{url}");
    c.chrome.screenshot(&shots, "installation-info").await;

    // Return: the button waits for the name, then the page follows it to Returned.
    c.go(&detail).await;
    assert!(c.chrome.driver.find_all(By::Css("#delete-provisioning")).await.unwrap().is_empty(), "delete too soon");
    let button = c.find("#return-provisioning [data-confirm-button]").await;
    assert!(!button.is_enabled().await.unwrap());
    c.fill("#return-provisioning-confirm", "sit").await;
    assert!(!button.is_enabled().await.unwrap(), "a wrong name keeps it disabled");
    c.fill("#return-provisioning-confirm", "site").await;
    button.click().await.unwrap();
    eventually(WAIT, "Returned", async || match c.detail_state("provisioning-fields").await.as_str() {
        "Returned" => Ok(()),
        s => Err(s.to_string()),
    })
    .await;
    assert_eq!(c.path().await, detail);

    // The history: every step of the provisioning; a log read in the page and served.
    c.go(&format!("{p}/provisioning-history?provisioning=site")).await;
    let types = c
        .chrome
        .js("return Array.from(document.querySelectorAll('#history tbody tr')).map(function (tr) { \
               return tr.cells[1].textContent.trim(); })")
        .await;
    for kind in ["provisioning_executed", "provisioning_completed", "return_executed", "return_completed"] {
        assert!(types.as_array().unwrap().contains(&json!(kind)), "{kind} in {types}");
    }
    c.click("#history tbody a[href*='event=']").await;
    eventually(WAIT, "a log shown", async || match c.chrome.driver.find(By::Css("pre.output")).await {
        Ok(pre) => pre.text().await.map_err(|e| e.to_string()).and_then(|t| if t.is_empty() { Err(t) } else { Ok(()) }),
        Err(e) => Err(e.to_string()),
    })
    .await;
    c.chrome.screenshot(&shots, "provisioning-history").await;
    let served = c
        .chrome
        .js("var a = document.querySelector('#history tbody a[href$=\"/log\"]'); \
             var x = new XMLHttpRequest(); x.open('GET', a.href, false); x.send(); \
             return [x.status, x.getResponseHeader('content-disposition'), x.responseText.length];")
        .await;
    assert_eq!(served[0], json!(200), "{served}");
    assert!(served[1].as_str().unwrap().starts_with("attachment; filename=\"site-"), "{served}");
    assert!(served[2].as_u64().unwrap() > 0, "{served}");

    // Clean up through the console: the status goes once its name is typed.
    c.go(&detail).await;
    c.fill("#delete-provisioning-confirm", "site").await;
    c.click("#delete-provisioning [data-confirm-button]").await;
    c.wait_path("back at the status list", |path| path == format!("{p}/provisionings")).await;
    assert_eq!(c.row_state("provisionings", "site").await, None);
    c.chrome.quit().await;
}
