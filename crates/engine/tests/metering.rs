//! Billing by state (SPEC §4): an instance accrues usage while Active and Stopped (and
//! powering between them), not while it is provisioned, shelved or after it is deleted.

mod support;

use gureum_api_types::*;
use serde_json::json;
use std::time::{Duration, Instant};
use support::H;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Long enough that each billed stretch is worth at least a whole second.
const STRETCH: Duration = Duration::from_millis(1100);

fn stamp() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).expect("time")
}

/// Billed seconds of the project in `[from, to)` (defaults: the last 30 days until now).
async fn billed(h: &H, from: Option<&str>, to: Option<&str>) -> Usage {
    h.engine().usage(h.admin(), "p", from, to).await.expect("usage")
}

async fn act(h: &H, what: &str) {
    let (e, a) = (h.engine(), h.admin());
    let i = match what {
        "stop" => e.instance_stop(a, "p", "vm").await,
        "start" => e.instance_start(a, "p", "vm").await,
        "shelve" => e.instance_shelve(a, "p", "vm").await,
        "delete" => e.instance_delete(a, "p", "vm", false).await,
        _ => unreachable!(),
    };
    h.succeed("p", i.expect(what).operation_id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_accrues_only_in_billed_states() {
    let h = H::start().await;
    // Provisioning takes about two seconds, none of them billed; power changes are instant.
    h.connection("meter", json!({ "latency_ms": { "default": 0, "disk_create": 500, "vm_create": 1500 } })).await;
    h.project("p").await;
    h.network("p", "meter").await;

    let created = stamp();
    let i = h
        .engine()
        .instance_create(h.admin(), "p", support::instance_req("vm", PublicIpMode::None, &[]))
        .await
        .expect("create");
    h.succeed("p", i.operation_id).await;
    let active_at = Instant::now();
    let active = stamp();
    let u = billed(&h, Some(&created), Some(&active)).await;
    assert_eq!(u.total_seconds, 0, "provisioning is not billed: {u:?}");

    tokio::time::sleep(STRETCH).await;
    let u = billed(&h, None, None).await;
    assert!(u.total_seconds >= 1, "Active is billed: {u:?}");

    act(&h, "stop").await;
    tokio::time::sleep(STRETCH).await;
    let u = billed(&h, None, None).await;
    assert!(u.total_seconds >= 2, "Stopped is billed too: {u:?}");

    act(&h, "start").await;
    tokio::time::sleep(STRETCH).await;
    act(&h, "shelve").await;
    let shelved = stamp();
    let billed_span = active_at.elapsed();
    tokio::time::sleep(STRETCH).await;
    let before_delete = stamp();
    let u = billed(&h, Some(&shelved), Some(&before_delete)).await;
    assert_eq!(u.total_seconds, 0, "Shelved_offloaded is not billed: {u:?}");

    act(&h, "delete").await;
    let at_delete = billed(&h, None, None).await;
    tokio::time::sleep(STRETCH).await;
    let after = billed(&h, None, None).await;
    assert_eq!(after.total_seconds, at_delete.total_seconds, "a deleted instance is not billed");

    // Active, Stopped, Active: at least three whole seconds; no more than the time from
    // Active to shelved (with a margin for the moments between the state change and the
    // test seeing it), so provisioning and shelved time are excluded.
    let seconds = after.total_seconds;
    assert!(seconds >= 3, "{after:?}");
    let most = billed_span.as_secs_f64() + 0.2;
    assert!(seconds as f64 <= most, "{seconds} s billed in {billed_span:?}: {after:?}");
    assert_eq!(after.lines.len(), 1, "{after:?}");
    let line = &after.lines[0];
    assert_eq!((line.instance.as_str(), line.instance_type.as_str()), ("vm", "t1.micro"));
    assert!((line.cost - seconds as f64 * line.price_per_hour / 3600.0).abs() < 1e-9, "{line:?}");
    assert!((after.total_cost - line.cost).abs() < 1e-12);
}
