use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_create_unwinds_everything_it_made() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    // Security groups are made; the second VM's create ends in Error.
    let flaky = json!({"settings": {"latency_ms": 0, "error_rate": {"vm_create": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(flaky)).await;
    let req = body("site", "static-website", json!({"node_count": 2}));
    c.expect(202, Method::POST, &format!("{P}/provisionings"), Some(req)).await;
    let p = settled(&c, "site").await;
    assert_eq!(p["state"], "Provisioning_failed", "{p}");
    assert!(p["state_reason"].as_str().unwrap().contains("web-"), "names the resource: {p}");
    assert_eq!(counts(&c).await, (0, 0, 1), "the rollback removed everything it made");
    let drift = c.get(&format!("/v1/connections/{FAST}/drift")).await;
    assert_eq!(drift["items"].as_array().map_or(0, Vec::len), 0, "and nothing is left at the provider: {drift}");
    let h = c.get(&format!("{P}/provisioning-history?provisioning=site&type=provisioning_failed")).await;
    assert_eq!(h["items"].as_array().unwrap().len(), 1, "{h}");
    // A failed stack is returned (nothing left to delete) and its status deleted.
    c.expect(202, Method::POST, &format!("{P}/provisionings/site/return"), Some(json!({"confirm": "site"}))).await;
    assert_eq!(settled(&c, "site").await["state"], "Returned");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_keep_a_failed_stack_keeps_what_it_made_until_returned() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    let flaky = json!({"settings": {"latency_ms": 0, "error_rate": {"vm_create": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(flaky)).await;
    let mut req = body("kept", "static-website", json!({"node_count": 1}));
    req["on_failure"] = json!("keep");
    c.expect(202, Method::POST, &format!("{P}/provisionings"), Some(req)).await;
    let p = settled(&c, "kept").await;
    assert_eq!(p["state"], "Provisioning_failed", "{p}");
    assert_eq!(counts(&c).await.2, 2, "the stack's security group was kept");
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(json!({"settings": {"latency_ms": 0}})))
        .await;
    c.expect(202, Method::POST, &format!("{P}/provisionings/kept/return"), Some(json!({"confirm": "kept"}))).await;
    let p = settled(&c, "kept").await;
    assert_eq!(p["state"], "Returned", "{p}");
    assert_eq!(counts(&c).await, (0, 0, 1), "the return removed what was kept");
}
