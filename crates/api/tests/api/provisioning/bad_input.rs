use super::*;

async fn refused(c: &Client, req: Value, field: &str) {
    refused_at(c, &req, field, &[format!("{P}/provisionings/plan"), format!("{P}/provisionings")]).await;
}

/// A prerequisite that does not hold: the plan shows the failed check, the execute is
/// refused with it.
async fn failed_check(c: &Client, req: Value, field: &str) {
    let plan = c.expect(200, Method::POST, &format!("{P}/provisionings/plan"), Some(req.clone())).await;
    assert_eq!(plan["ok"], false, "{plan}");
    let failed: Vec<&Value> = plan["checks"].as_array().unwrap().iter().filter(|c| c["passed"] == false).collect();
    assert_eq!((failed.len(), failed[0]["field"].as_str()), (1, Some(field)), "{plan}");
    refused_at(c, &req, field, &[format!("{P}/provisionings")]).await;
}

async fn refused_at(c: &Client, req: &Value, field: &str, paths: &[String]) {
    for path in paths {
        let r = send(c, Method::POST, path, Some(req.clone())).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(r.error()["message"].as_str().unwrap().starts_with(field), "{path} names {field}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_names_the_field_and_makes_nothing() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    c.create("p", &format!("{P}/vpcs"), json!({"name": "other", "cidr": "10.9.0.0/16", "connection": FAST})).await;
    c.create("p", &format!("{P}/vpcs/other/subnets"), json!({"name": "elsewhere", "cidr": "10.9.0.0/24"})).await;

    let mut missing = body("s", "static-website", json!({}));
    missing["parameters"].as_object_mut().unwrap().remove("key_pair");
    refused(&c, missing, "parameters.key_pair").await;
    refused(&c, body("s", "static-website", json!({"node_count": 0})), "parameters.node_count").await;
    refused(&c, body("s", "no-such-template", json!({})), "template").await;
    failed_check(&c, body("s", "static-website", json!({"subnet": "elsewhere"})), "parameters.subnet").await;
    refused(&c, body("s", "message-broker", json!({"admin_password": "short"})), "parameters.admin_password").await;
    assert_eq!(counts(&c).await, (0, 0, 1), "nothing was made");
    assert_eq!(c.get(&format!("{P}/provisionings")).await["items"].as_array().unwrap().len(), 0);

    // A template with a dependency cycle is refused naming where.
    let doc = "name: loop\ntitle: L\nversion: '1'\noverview: o\nresources:\n  a: {kind: security_group, depends_on: [b]}\n  b: {kind: security_group, depends_on: [a]}\n";
    let r = send(&c, Method::POST, "/v1/library/templates", Some(json!({"document": doc}))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let m = r.error()["message"].as_str().unwrap();
    assert!(m.starts_with("document.resources.a.depends_on") && m.contains("cycle"), "{m}");
    assert_eq!(send(&c, Method::GET, "/v1/library/templates/loop", None).await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_that_does_not_fit_the_pool_is_refused_before_anything_is_made() {
    let api = crate::support::Api::start().await;
    let c = api.admin();
    world(&c).await;
    let pool = json!({"name": "fp", "connection": FAST, "cpu_overcommit": 1.0});
    c.expect(201, Method::POST, "/v1/pools", Some(pool)).await;
    let node = json!({"name": "n1", "vcpus": 4, "memory_mib": 16384, "disk_gb": 1000});
    c.expect(201, Method::POST, "/v1/pools/fp/nodes", Some(node)).await;

    // Four one-vCPU VMs fit the node's four vCPUs; five do not.
    let plan = c
        .expect(
            200,
            Method::POST,
            &format!("{P}/provisionings/plan"),
            Some(body("s", "static-website", json!({"node_count": 4}))),
        )
        .await;
    assert_eq!(plan["ok"], true, "{plan}");
    failed_check(&c, body("s", "static-website", json!({"node_count": 5})), "parameters.node_count").await;
    assert_eq!(counts(&c).await, (0, 0, 1), "nothing was made");
}
