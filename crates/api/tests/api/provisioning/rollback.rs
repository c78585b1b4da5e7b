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

#[tokio::test(flavor = "multi_thread")]
async fn a_return_that_cannot_delete_lists_what_remains_and_may_be_retried() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    website(&c, "site", 2).await;
    // The provider refuses to delete security groups: the VMs go, the group stays.
    let flaky = json!({"settings": {"latency_ms": 0, "fault_rate": {"security_group_delete": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(flaky)).await;
    c.expect(202, Method::POST, &format!("{P}/provisionings/site/return"), Some(json!({"confirm": "site"}))).await;
    let p = settled(&c, "site").await;
    assert_eq!(p["state"], "Return_failed", "{p}");
    let reason = p["state_reason"].as_str().unwrap();
    let sg = p["resources"].as_array().unwrap().iter().find(|r| r["key"] == "web-sg").unwrap().clone();
    assert!(reason.contains("1 resource(s) remain: site-web-sg (security_group, provider id"), "{reason}");
    assert!(reason.contains(sg["provider_id"].as_str().unwrap()), "names the provider id: {reason}");
    assert_eq!(sg["state"], "Delete_failed", "{p}");
    assert_eq!(counts(&c).await, (0, 0, 2), "the VMs went; the group remains");
    let refused = send(&c, Method::DELETE, &format!("{P}/provisionings/site?confirm=site"), None).await;
    assert_eq!(refused.status, 204, "a failed return's status may be deleted: {}", refused.text);

    // Same again, but retried once the provider recovers.
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(json!({"settings": {"latency_ms": 0}})))
        .await;
    website(&c, "again", 1).await;
    let flaky = json!({"settings": {"latency_ms": 0, "fault_rate": {"security_group_delete": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(flaky)).await;
    c.expect(202, Method::POST, &format!("{P}/provisionings/again/return"), Some(json!({"confirm": "again"}))).await;
    assert_eq!(settled(&c, "again").await["state"], "Return_failed");
    c.expect(200, Method::PATCH, &format!("/v1/connections/{FAST}"), Some(json!({"settings": {"latency_ms": 0}})))
        .await;
    c.expect(202, Method::POST, &format!("{P}/provisionings/again/return"), Some(json!({"confirm": "again"}))).await;
    assert_eq!(settled(&c, "again").await["state"], "Returned");
    let groups = c.list_all(&format!("{P}/security-groups")).await;
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(
        names,
        ["sg", "site-web-sg"],
        "the retried return removed its group; the first stack's is left to remove by hand"
    );
}
