//! Resellers and customers over real HTTP: the default tenancy of a fresh install, who
//! sees what (404 outside one's subtree), the caller's reseller and customer as the
//! default of a create, bad input, usage roll-ups, and quotas under concurrent creates.

mod quotas;

use crate::support::{Api, Client};
use reqwest::Method;
use serde_json::{Value, json};

/// A user with a home customer and a tenancy role, made by `by`, and a client with a
/// token of theirs.
pub async fn tenant_user(api: &Api, by: &Client, name: &str, reseller: &str, customer: &str, role: &str) -> Client {
    let body = json!({"name": name, "reseller": reseller, "customer": customer, "tenancy_role": role});
    by.expect(201, Method::POST, "/v1/users", Some(body)).await;
    let t = by.expect(201, Method::POST, &format!("/v1/users/{name}/tokens"), Some(json!({"name": "t"}))).await;
    api.client(Some(t["secret"].as_str().expect("token secret")))
}

pub async fn reseller(admin: &Client, name: &str) {
    admin.expect(201, Method::POST, "/v1/resellers", Some(json!({ "name": name }))).await;
}

pub async fn customer(by: &Client, reseller: &str, name: &str) {
    by.expect(201, Method::POST, &format!("/v1/resellers/{reseller}/customers"), Some(json!({ "name": name }))).await;
}

fn names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["name"].as_str().unwrap_or_default()).collect()
}

/// Asserts a 400 that names `field`.
async fn refused(c: &Client, method: Method, path: &str, body: Value, field: &str) {
    let r = c.send(method.clone(), path, (!body.is_null()).then_some(&body)).await;
    assert_eq!(r.status, 400, "{method} {path} {body}: {}", r.text);
    assert_eq!(r.error()["field"], field, "{}", r.text);
}

#[tokio::test]
async fn a_fresh_install_has_reseller_default_with_customer_default() {
    let api = Api::start().await;
    let admin = api.admin();
    assert_eq!(names(&admin.list_all("/v1/resellers").await), ["default"]);
    assert_eq!(names(&admin.list_all("/v1/resellers/default/customers").await), ["default"]);
    let p = admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "old-style"}))).await;
    assert_eq!((&p["reseller"], &p["customer"]), (&json!("default"), &json!("default")));
    let me = admin.get("/v1/me").await;
    assert_eq!((&me["user"]["reseller"], &me["user"]["customer"]), (&json!("default"), &json!("default")));
    assert_eq!(me["user"]["tenancy_role"], "none");
    for path in ["/v1/resellers/default", "/v1/resellers/default/customers/default"] {
        let r = admin.send(Method::DELETE, path, None).await;
        assert_eq!(r.status, 409, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn a_reseller_admin_sees_its_subtree_and_nothing_else() {
    let api = Api::start().await;
    let admin = api.admin();
    for (r, c) in [("r1", "c1"), ("r2", "c2")] {
        reseller(&admin, r).await;
        customer(&admin, r, c).await;
    }
    let a1 = tenant_user(&api, &admin, "a1", "r1", "c1", "reseller_admin").await;
    let a2 = tenant_user(&api, &admin, "a2", "r2", "c2", "reseller_admin").await;
    // The forms' default: the caller's reseller and customer.
    let p1 = a1.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p1"}))).await;
    assert_eq!((&p1["reseller"], &p1["customer"]), (&json!("r1"), &json!("c1")));
    a2.project_with_network("p2").await;
    a2.instance("p2", "vm2").await;

    for path in [
        "/v1/resellers/r2",
        "/v1/resellers/r2/customers",
        "/v1/resellers/r2/customers/c2",
        "/v1/resellers/r1/customers/c2",
        "/v1/resellers/r2/quota",
        "/v1/resellers/r2/usage",
        "/v1/projects/p2",
        "/v1/projects/p2/instances",
        "/v1/projects/p2/instances/vm2",
        "/v1/projects/p2/quota",
        "/v1/users/a2",
    ] {
        let r = a1.send(Method::GET, path, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let r = a1.send(Method::DELETE, "/v1/projects/p2/instances/vm2", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(names(&a1.list_all("/v1/resellers").await), ["r1"]);
    assert_eq!(names(&a1.list_all("/v1/projects").await), ["p1"]);
    assert_eq!(names(&a1.list_all("/v1/users").await), ["a1"]);

    // Within its subtree a reseller admin is admin of every project, member or not.
    customer(&a1, "r1", "c1b").await;
    let ca = tenant_user(&api, &a1, "ca", "r1", "c1b", "customer_admin").await;
    let pb = ca.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "pb"}))).await;
    assert_eq!(pb["customer"], "c1b");
    assert_eq!(a1.get("/v1/projects/pb").await["role"], "admin");
    let mut seen = names(&a1.list_all("/v1/projects").await).into_iter().map(String::from).collect::<Vec<_>>();
    seen.sort();
    assert_eq!(seen, ["p1", "pb"]);
    assert_eq!(names(&a1.list_all("/v1/resellers/r1/customers").await).len(), 2);

    // A customer admin: its customer only.
    assert_eq!(names(&ca.list_all("/v1/resellers/r1/customers").await), ["c1b"]);
    assert_eq!(names(&ca.list_all("/v1/projects").await), ["pb"]);
    for path in ["/v1/projects/p1", "/v1/resellers/r1/customers/c1", "/v1/users/a1", "/v1/resellers/r2"] {
        let r = ca.send(Method::GET, path, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let r = ca.send(Method::POST, "/v1/resellers/r1/customers", Some(&json!({"name": "mine"}))).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = ca.send(Method::PUT, "/v1/resellers/r1/customers/c1b/quota", Some(&json!({"vcpus": 1000}))).await;
    assert_eq!(r.status, 403, "a customer does not raise its own quota: {}", r.text);
    let r = a1.send(Method::POST, "/v1/resellers", Some(&json!({"name": "r3"}))).await;
    assert_eq!(r.status, 403, "only system administrators make resellers: {}", r.text);

    // Nobody adds a member from outside the project's customer and their own subtree.
    let r = ca.send(Method::PUT, "/v1/projects/pb/members/a2", Some(&json!({"role": "reader"}))).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = a1.send(Method::PUT, "/v1/projects/p1/members/a2", Some(&json!({"role": "reader"}))).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // A plain user of the customer sees only what they are a member of.
    let plain = tenant_user(&api, &ca, "plain", "r1", "c1b", "none").await;
    assert!(plain.list_all("/v1/projects").await.is_empty());
    let r = plain.send(Method::GET, "/v1/projects/pb", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
    ca.expect(200, Method::PUT, "/v1/projects/pb/members/plain", Some(json!({"role": "reader"}))).await;
    assert_eq!(plain.get("/v1/projects/pb").await["role"], "reader");
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let api = Api::start().await;
    let admin = api.admin();
    for (r, c) in [("r1", "c1"), ("r2", "c2")] {
        reseller(&admin, r).await;
        customer(&admin, r, c).await;
    }
    let a1 = tenant_user(&api, &admin, "a1", "r1", "c1", "reseller_admin").await;
    let ca = tenant_user(&api, &a1, "ca", "r1", "c1", "customer_admin").await;
    a1.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p1"}))).await;

    refused(&a1, Method::POST, "/v1/projects", json!({"name": "x", "reseller": "r2"}), "reseller").await;
    refused(&a1, Method::POST, "/v1/projects", json!({"name": "x", "customer": "c2"}), "customer").await;
    refused(&a1, Method::POST, "/v1/projects", json!({"name": "x", "customer": "nope"}), "customer").await;
    refused(&admin, Method::POST, "/v1/projects", json!({"name": "x", "reseller": "r2"}), "customer").await;
    refused(&ca, Method::POST, "/v1/users", json!({"name": "x", "tenancy_role": "reseller_admin"}), "tenancy_role")
        .await;
    refused(&a1, Method::POST, "/v1/users", json!({"name": "x", "tenancy_role": "owner"}), "tenancy_role").await;
    refused(&admin, Method::POST, "/v1/resellers", json!({"name": "1bad"}), "name").await;
    refused(&admin, Method::POST, "/v1/resellers", json!({"name": "ok", "extra": 1}), "extra").await;
    refused(
        &a1,
        Method::POST,
        "/v1/resellers/r1/customers",
        json!({"name": "c", "description": "d".repeat(1025)}),
        "description",
    )
    .await;
    refused(&a1, Method::PUT, "/v1/resellers/r1/customers/c1/quota", json!({"vcpus": -1}), "vcpus").await;
    refused(&a1, Method::PUT, "/v1/projects/p1/quota", json!({"memory_mib": "lots"}), "memory_mib").await;

    assert_eq!(names(&a1.list_all("/v1/projects").await), ["p1"]);
    assert_eq!(names(&a1.list_all("/v1/resellers/r1/customers").await), ["c1"]);
    let mut users = names(&a1.list_all("/v1/users").await).into_iter().map(String::from).collect::<Vec<_>>();
    users.sort();
    assert_eq!(users, ["a1", "ca"]);
    assert_eq!(names(&admin.list_all("/v1/resellers").await), ["default", "r1", "r2"]);
    let q = a1.get("/v1/resellers/r1/customers/c1/quota").await;
    assert_eq!(q["vcpus"], json!({"limit": null, "used": 0}));
}

#[tokio::test]
async fn usage_rolls_up_per_customer_and_per_reseller() {
    let api = Api::start().await;
    let admin = api.admin();
    reseller(&admin, "r1").await;
    customer(&admin, "r1", "c1").await;
    customer(&admin, "r1", "c2").await;
    let a1 = tenant_user(&api, &admin, "a1", "r1", "c1", "reseller_admin").await;
    a1.project_with_network("p1").await;
    a1.instance("p1", "vm1").await;
    a1.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p2", "customer": "c2"}))).await;
    a1.network("p2").await;
    a1.instance("p2", "vm2").await;

    let u = a1.get("/v1/resellers/r1/usage").await;
    assert_eq!(u["reseller"], "r1");
    let lines: Vec<(&str, &str, &str)> = u["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["customer"].as_str().unwrap(), l["project"].as_str().unwrap(), l["instance"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [("c1", "p1", "vm1"), ("c2", "p2", "vm2")]);

    let u = a1.get("/v1/resellers/r1/customers/c2/usage").await;
    assert_eq!((&u["customer"], u["lines"].as_array().unwrap().len()), (&json!("c2"), 1));

    let r = a1.send(Method::GET, "/v1/resellers/r1/usage?format=csv", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/csv"));
    let rows: Vec<&str> = r.text.lines().collect();
    assert_eq!(rows[0], "customer,project,instance_id,instance,instance_type,seconds,price_per_hour,cost");
    assert!(rows[1].starts_with("c1,p1,") && rows[2].starts_with("c2,p2,"), "{}", r.text);
    assert!(rows[3].starts_with(",,,total,"), "{}", r.text);
    let r = a1.send(Method::GET, "/v1/resellers/r1/customers/c1/usage?format=csv", None).await;
    assert_eq!(r.text.lines().count(), 3, "{}", r.text);
    refused(
        &a1,
        Method::GET,
        "/v1/resellers/r1/usage?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
        Value::Null,
        "from",
    )
    .await;
}
