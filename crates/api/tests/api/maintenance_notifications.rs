//! Maintenance notifications and webhooks over real HTTP: a webhook receiver listening on
//! 127.0.0.1 inside the test checks each delivery's HMAC against the raw body, answers
//! the first one 500 and the next 200, and the delivery shows both attempts; `upcoming`
//! notices come at the task's lead time, once, and again for a new time; bad input is a
//! 400 naming the field; another project's webhook is a 404; the secret never comes back.

use crate::support::{Api, Client, Resp};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "s3cret-of-the-hook-0123456789";
const P: &str = "/v1/projects/p";

/// What the receiver got: the delivery id, the body and whether its signature held.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    delivery: String,
    body: Value,
    signed: bool,
}

/// A webhook receiver on 127.0.0.1: answers 500 to the first request when `fail_first`,
/// 200 to the others.
async fn receiver(fail_first: bool) -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = got.clone();
    let handler = move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
        let seen = seen.clone();
        async move {
            let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(&body);
            let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            let mut seen = seen.lock().unwrap();
            seen.push(Received {
                path: uri.path().to_string(),
                delivery: header("x-gureum-delivery"),
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                signed: header("x-gureum-signature") == want,
            });
            if fail_first && seen.len() == 1 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
        }
    };
    let app = axum::Router::new().fallback(axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, got)
}

/// Polls `check` every 100 ms for up to `secs` seconds.
async fn until<T>(secs: u64, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..secs * 10 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within {secs} s")
}

fn in_minutes(m: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(m);
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

async fn notifications(c: &Client) -> Vec<Value> {
    c.list_all(&format!("{P}/notifications")).await
}

fn assert_no_secret(r: &Resp) {
    assert!(!r.text.contains(SECRET), "the secret came back: {}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn upcoming_notices_reach_a_signed_webhook_once_with_retries_recorded() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p").await;
    c.instance("p", "a").await;
    c.instance("p", "b").await;
    c.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "q"}))).await;
    let (base, got) = receiver(true).await;

    let r = c
        .send(
            Method::POST,
            &format!("{P}/webhooks"),
            Some(&json!({"name": "ops", "url": format!("{base}/p"), "secret": SECRET})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_no_secret(&r);
    assert_eq!(r.body["url"], format!("{base}/p"));
    let other = json!({"name": "ops", "url": format!("{base}/q"), "secret": SECRET});
    let q_hook = c.expect(201, Method::POST, "/v1/projects/q/webhooks", Some(other)).await;

    let task = json!({"name": "kernel", "requirement": "mandatory", "deadline": in_minutes(24 * 60), "type": "kernel_upgrade",
                      "apply": {"kernel": "6.12"}, "downtime": true, "resources": ["a", "b"], "notify_before": ["1h"]});
    let t = c.expect(201, Method::POST, &format!("{P}/maintenance-tasks"), Some(task)).await;
    assert_eq!(t["notify_before"], json!(["1h"]), "{t}");
    let resource = format!("{P}/maintenance-tasks/kernel/resources");
    // b, 3 hours ahead, is outside the lead time: no notice for it.
    c.expect(200, Method::PUT, &format!("{resource}/b/schedule"), Some(json!({"at": in_minutes(180)}))).await;
    c.expect(200, Method::PUT, &format!("{resource}/a/schedule"), Some(json!({"at": in_minutes(30)}))).await;

    let notice = until(5, "the upcoming notice", async || notifications(&c).await.into_iter().next()).await;
    assert_eq!(notice["kind"], "upcoming", "{notice}");
    assert_eq!(notice["task"]["name"], "kernel");
    assert_eq!(notice["task"]["id"], t["id"]);
    assert_eq!(notice["resource"]["name"], "a");
    let message = notice["message"].as_str().unwrap();
    assert!(message.contains("kernel_upgrade of a") && message.contains("stopped"), "{message}");

    // The first attempt is answered 500, the retry a second later 200.
    let hook = format!("{P}/webhooks/ops");
    let delivery = until(10, "the delivery after a retry", async || {
        let d = c.get(&format!("{hook}/deliveries")).await["items"][0].clone();
        (d["status"] == "delivered").then_some(d)
    })
    .await;
    assert_eq!(delivery["attempts"], 2, "{delivery}");
    assert_eq!(delivery["last_response_code"], 200);
    assert_eq!(delivery["kind"], "upcoming");
    let log = delivery["attempt_log"].as_array().unwrap();
    assert_eq!(
        (log[0]["response_code"].clone(), log[1]["response_code"].clone()),
        (json!(500), json!(200)),
        "{delivery}"
    );
    assert!(log[0]["error"].as_str().unwrap().contains("500"), "{delivery}");
    assert_eq!(log[1]["error"], Value::Null);

    let received = got.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "{received:?}");
    for r in &received {
        assert!(r.signed, "the signature is the HMAC of the body: {r:?}");
        assert_eq!(r.path, "/p", "only p's webhook hears p's notices: {r:?}");
        assert_eq!(r.delivery, delivery["id"].as_str().unwrap());
        assert_eq!(r.body, notice, "the body is the notification as listed");
    }

    // Later passes send nothing again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(notifications(&c).await.len(), 1, "one notice per resource and lead time");
    assert_eq!(got.lock().unwrap().len(), 2, "nothing sent twice");

    // Moved to another time, it is announced again.
    c.expect(200, Method::PUT, &format!("{resource}/a/schedule"), Some(json!({"at": in_minutes(40)}))).await;
    until(5, "the notice for the new time", async || (notifications(&c).await.len() == 2).then_some(())).await;
    until(5, "its delivery", async || (got.lock().unwrap().len() == 3).then_some(())).await;

    // The secret never comes back, and is sealed at rest.
    for path in [hook.clone(), format!("{P}/webhooks"), format!("{hook}/deliveries"), format!("{P}/notifications")] {
        let r = c.send(Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_no_secret(&r);
    }
    let rows = api.te.engine.store().db.query("SELECT secret FROM maintenance_webhooks", vec![]).await.unwrap();
    assert!(rows.iter().all(|r| !r.text(0).contains(SECRET)), "sealed at rest");

    // Another project's webhook is not found from p, by id or by name.
    let q_id = q_hook["id"].as_str().unwrap();
    for path in [format!("{P}/webhooks/{q_id}"), format!("{P}/webhooks/{q_id}/deliveries")] {
        assert_eq!(c.send(Method::GET, &path, None).await.status, 404, "{path}");
    }
    assert_eq!(c.send(Method::DELETE, &format!("{P}/webhooks/{q_id}"), None).await.status, 404);
    assert!(c.get("/v1/projects/q/notifications").await["items"].as_array().unwrap().is_empty());
    assert!(got.lock().unwrap().iter().all(|r| r.path == "/p"), "q's webhook heard nothing");

    c.expect(204, Method::DELETE, &hook, None).await;
    c.expect(404, Method::GET, &hook, None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_webhooks_and_lead_times_are_a_400_naming_the_field_and_change_nothing() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p").await;
    c.instance("p", "a").await;
    let hook = |name: &str, url: &str, secret: &str| json!({"name": name, "url": url, "secret": secret});
    let cases = [
        (hook("w", "ftp://example.com/", SECRET), "url"),
        (hook("w", "not a url", SECRET), "url"),
        (hook("w", "https://user:pw@example.com/", SECRET), "url"),
        // Where clouds serve the host's metadata and credentials.
        (hook("w", "http://169.254.169.254/latest/meta-data/", SECRET), "url"),
        (hook("w", "https://example.com/", "short"), "secret"),
        (hook("1w", "https://example.com/", SECRET), "name"),
    ];
    for (body, field) in cases {
        let r = c.send(Method::POST, &format!("{P}/webhooks"), Some(&body)).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.error()["field"], field, "{body}: {}", r.text);
        assert_no_secret(&r);
    }
    assert!(c.get(&format!("{P}/webhooks")).await["items"].as_array().unwrap().is_empty(), "nothing created");

    for lead in [json!(["soon"]), json!(["1h", "60m"]), json!(["0s"]), json!(["31d"]), json!("1h")] {
        let task = json!({"name": "t", "requirement": "recommended", "recommended_date": in_minutes(60), "type": "os_update", "apply": {"version": "12"}, "downtime": true,
                          "resources": ["a"], "notify_before": lead});
        let r = c.send(Method::POST, &format!("{P}/maintenance-tasks"), Some(&task)).await;
        assert_eq!(r.status, 400, "{lead}: {}", r.text);
        assert!(r.text.contains("notify_before"), "{lead}: {}", r.text);
    }
    assert!(c.get(&format!("{P}/maintenance-tasks")).await["items"].as_array().unwrap().is_empty(), "nothing created");
    let task = json!({"name": "t", "requirement": "recommended", "recommended_date": in_minutes(60), "type": "os_update", "apply": {"version": "12"}, "downtime": true,
                      "resources": ["a"]});
    let t = c.expect(201, Method::POST, &format!("{P}/maintenance-tasks"), Some(task)).await;
    assert_eq!(t["notify_before"], json!(["24h", "1h"]), "the default: {t}");

    for q in ["limit=0", "cursor=nope"] {
        let r = c.send(Method::GET, &format!("{P}/notifications?{q}"), None).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
}

/// Servers sharing one database each run the delivery pass: every delivery is sent once.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_delivery_passes_send_each_delivery_once() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p").await;
    let names = ["a", "b", "c", "d"];
    for name in names {
        c.instance("p", name).await;
    }
    let (base, got) = receiver(false).await;
    let hooks = ["h1", "h2", "h3"];
    for name in hooks {
        let hook = json!({"name": name, "url": format!("{base}/{name}"), "secret": SECRET});
        c.expect(201, Method::POST, &format!("{P}/webhooks"), Some(hook)).await;
    }
    let task = json!({"name": "t", "requirement": "mandatory", "deadline": in_minutes(24 * 60), "type": "os_update", "apply": {"version": "12"}, "downtime": true,
                      "resources": names, "notify_before": ["1h"]});
    c.expect(201, Method::POST, &format!("{P}/maintenance-tasks"), Some(task)).await;
    c.expect(200, Method::POST, &format!("{P}/maintenance-tasks/t/schedule"), Some(json!({"at": in_minutes(30)})))
        .await;

    // Four more "servers" run the delivery pass back to back, racing the engine's own
    // worker, until everything is delivered.
    let total = names.len() * hooks.len();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let servers: Vec<_> = (0..4)
        .map(|_| {
            let (engine, stop) = (api.te.engine.clone(), stop.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    engine.maintenance_delivery_pass(&http).await.expect("a delivery pass");
                    // SQLite reads do not yield: let the server answer meanwhile.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    until(10, "every delivery", async || {
        let mut delivered = 0;
        for h in hooks {
            let items = c.get(&format!("{P}/webhooks/{h}/deliveries")).await["items"].as_array().unwrap().clone();
            delivered += items.iter().filter(|d| d["status"] == "delivered").count();
        }
        (delivered == total).then_some(())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in servers {
        s.await.unwrap();
    }
    let received = got.lock().unwrap().clone();
    let mut ids: Vec<&str> = received.iter().map(|r| r.delivery.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((received.len(), ids.len()), (total, total), "each sent once: {received:?}");
    assert!(received.iter().all(|r| r.signed));
}

/// The scheduler and runbook write `started`, then `completed` or `failed`, once each,
/// with the status change they announce.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_is_announced_when_it_starts_and_when_it_completes_or_fails() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p").await;
    for name in ["ok", "bad"] {
        c.instance("p", name).await;
    }
    for (task, vm, kernel) in [("up", "ok", "6.12"), ("down", "bad", "broken")] {
        let body = json!({"name": task, "requirement": "recommended", "recommended_date": "2026-01-01T00:00:00Z",
                          "type": "kernel_upgrade", "apply": {"kernel": kernel, "health_timeout_seconds": 10},
                          "downtime": true, "resources": [vm], "notify_before": []});
        c.expect(201, Method::POST, &format!("{P}/maintenance-tasks"), Some(body)).await;
        c.expect(200, Method::POST, &format!("{P}/maintenance-tasks/{task}/resources/{vm}/run-now"), None).await;
    }
    let kinds = |ns: &[Value], vm: &str| -> Vec<String> {
        let mut k: Vec<String> = ns
            .iter()
            .filter(|n| n["resource"]["name"] == vm)
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect();
        k.reverse();
        k
    };
    let ns = until(60, "both runs announced", async || {
        let ns = notifications(&c).await;
        (kinds(&ns, "ok").len() == 2 && kinds(&ns, "bad").len() == 2).then_some(ns)
    })
    .await;
    assert_eq!(kinds(&ns, "ok"), ["started", "completed"], "{ns:#?}");
    assert_eq!(kinds(&ns, "bad"), ["started", "failed"], "{ns:#?}");
    let failed = ns.iter().find(|n| n["kind"] == "failed").unwrap();
    let message = failed["message"].as_str().unwrap();
    assert!(
        message.starts_with("kernel_upgrade of bad (task down) failed: ") && message.contains("health check"),
        "{message}"
    );
    let started = ns.iter().find(|n| n["kind"] == "started").unwrap()["message"].as_str().unwrap();
    assert!(started.contains("(attempt 1); it is stopped while it is updated"), "{started}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(notifications(&c).await.len(), 4, "each once");
}
