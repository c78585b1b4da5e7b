use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_is_planned_provisioned_followed_returned_and_deleted() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;

    // The catalog lists the shipped templates, each with its details.
    let list = c.get("/v1/library/templates").await;
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    for t in ["message-broker", "postgres-replicated", "static-website", "web-behind-lb"] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
    let t = c.get("/v1/library/templates/postgres-replicated").await;
    assert!(
        t["licenses"][0]["license"].as_str().is_some() && !t["prerequisites"].as_array().unwrap().is_empty(),
        "{t}"
    );
    assert!(t["parameters"]["properties"]["admin_password"].is_object(), "{t}");

    // The plan: resources in dependency order, checks, a prediction; nothing made.
    let req = body("db", "postgres-replicated", json!({}));
    let plan = c.expect(200, Method::POST, &format!("{P}/provisionings/plan"), Some(req.clone())).await;
    assert_eq!(plan["ok"], true, "{plan}");
    let keys: Vec<&str> = plan["resources"].as_array().unwrap().iter().filter_map(|r| r["key"].as_str()).collect();
    let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert!(at("primary") < at("replica") && at("replica-data") < at("replica"), "{keys:?}");
    assert!(plan["edges"].as_array().unwrap().contains(&json!(["replica", "primary"])), "{plan}");
    assert_eq!(counts(&c).await, (0, 0, 1), "a plan makes nothing");

    // Execute: 202 Provisioning, then Provisioned with every resource ready.
    let p = c.expect(202, Method::POST, &format!("{P}/provisionings"), Some(req)).await;
    assert_eq!(p["state"], "Provisioning", "{p}");
    let p = settled(&c, "db").await;
    assert_eq!(p["state"], "Provisioned", "{p}");
    assert_eq!((p["progress"]["ready"].as_u64(), p["progress"]["total"].as_u64()), (Some(5), Some(5)), "{p}");
    assert!(
        p["resources"].as_array().unwrap().iter().all(|r| r["state"] == "Ready" && r["provider_id"].is_string()),
        "{p}"
    );
    assert_eq!(counts(&c).await, (2, 4, 2), "two VMs with root and data volumes, and the stack's group");

    // Installation info: access per instance, credentials for admins and members only.
    let info = c.get(&format!("{P}/provisionings/db/installation-info")).await;
    let access = info["access"].as_array().unwrap();
    assert_eq!(access.len(), 2, "{info}");
    assert!(access[0]["url"].as_str().unwrap().starts_with("postgresql://postgres@"), "{info}");
    let password = info["credentials"].as_array().unwrap().iter().find(|c| c["name"] == "Password").unwrap();
    assert_eq!(password["value"].as_str().unwrap().len(), 20, "generated: {info}");
    let reader = api.user("rdr").await;
    c.expect(200, Method::PUT, "/v1/projects/p/members/rdr", Some(json!({"role": "reader"}))).await;
    let seen = reader.get(&format!("{P}/provisionings/db/installation-info")).await;
    assert_eq!(
        (seen["credentials"].as_array().unwrap().len(), &seen["credentials_hidden"]),
        (0, &json!(true)),
        "{seen}"
    );

    // Delete is refused until returned; return needs the typed name.
    let r = send(&c, Method::DELETE, &format!("{P}/provisionings/db?confirm=db"), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("Provisioned"), "names the state: {}", r.text);
    let r = send(&c, Method::POST, &format!("{P}/provisionings/db/return"), Some(json!({"confirm": "dB"}))).await;
    assert_eq!((r.status, r.error()["message"].as_str().unwrap().starts_with("confirm")), (400, true), "{}", r.text);
    let r = c.expect(202, Method::POST, &format!("{P}/provisionings/db/return"), Some(json!({"confirm": "db"}))).await;
    assert_eq!(r["state"], "Returning", "{r}");
    let p = settled(&c, "db").await;
    assert_eq!(p["state"], "Returned", "{p}");
    assert_eq!(counts(&c).await, (0, 0, 1), "everything the stack made is gone");
    let drift = c.get(&format!("/v1/connections/{FAST}/drift")).await;
    assert_eq!(drift["items"].as_array().map_or(0, Vec::len), 0, "nothing left at the provider: {drift}");

    c.expect(204, Method::DELETE, &format!("{P}/provisionings/db?confirm=db"), None).await;
    let r = send(&c, Method::GET, &format!("{P}/provisionings/db"), None).await;
    assert_eq!(r.status, 404);

    // History: every event, with its log as a download.
    let h = c.get(&format!("{P}/provisioning-history?provisioning=db")).await;
    let types: Vec<&str> = h["items"].as_array().unwrap().iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        ["status_deleted", "return_completed", "return_executed", "provisioning_completed", "provisioning_executed"],
        "{h}"
    );
    let completed = &h["items"][3];
    let log =
        send(&c, Method::GET, &format!("{P}/provisioning-history/{}/log", completed["id"].as_str().unwrap()), None)
            .await;
    assert_eq!(log.status, 200);
    assert!(log.header("content-disposition").is_some_and(|d| d.starts_with("attachment")), "{:?}", log.headers);
    assert!(log.text.contains("primary") && log.text.contains("Ready"), "{}", log.text);
    assert!(!log.text.contains(password["value"].as_str().unwrap()), "no secret in a log");
    let only = c.get(&format!("{P}/provisioning-history?type=return_completed")).await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1, "{only}");
}
