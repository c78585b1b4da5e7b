//! The contract around every endpoint: the OpenAPI document is the one committed in
//! `docs/openapi.json` and the one served; every error, also for unknown routes, wrong
//! methods and bad tokens, has the one error body with the request id.

use crate::support;

use gureum_engine::testing::FAST;
use reqwest::Method;
use std::path::PathBuf;
use support::{Api, Resp};

const REGENERATE: &str = "cargo run -q -p gureum -- openapi > docs/openapi.json";

fn committed_document() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read ({e}); create it with `{REGENERATE}`", path.display()))
}

/// The first line where two documents differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    match a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y) {
        Some((i, (x, y))) => format!("line {}: committed {x:?}, now {y:?}", i + 1),
        None => format!("committed {} lines, now {} lines", a.lines().count(), b.lines().count()),
    }
}

#[test]
fn the_committed_openapi_document_is_current() {
    let committed = committed_document();
    let current = gureum_api::openapi_json();
    assert!(
        committed == current,
        "docs/openapi.json is out of date with the API ({}).\nRegenerate it from the repository root with\n    {REGENERATE}\nand commit it.",
        first_difference(&committed, &current)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_is_the_committed_one_and_public() {
    let api = Api::start().await;
    let r = api.client(None).send(Method::GET, "/v1/openapi.json", None).await;
    assert_eq!(r.status, 200, "no token needed: {}", r.text);
    assert!(r.header("content-type").is_some_and(|ct| ct.starts_with("application/json")), "{:?}", r.headers);
    assert!(
        r.text == committed_document(),
        "the served document differs from docs/openapi.json; regenerate: {REGENERATE}"
    );
    assert_eq!(r.body["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
}

/// The one error body with `code`, and the request id of the response header.
fn assert_error(r: &Resp, status: u16, code: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    assert!(r.header("content-type").is_some_and(|ct| ct.starts_with("application/json")), "{what}: {:?}", r.headers);
    assert_eq!(r.error()["code"], code, "{what}: {}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_wrong_methods_answer_with_the_error_body() {
    let api = Api::start().await;
    api.admin().expect(201, Method::POST, "/v1/projects", Some(serde_json::json!({"name": "p1"}))).await;
    for client in [api.admin(), api.client(None)] {
        for path in ["/v1/nothing-here", "/v1/projects/p1/nothing-here", "/nothing", "/v2/projects"] {
            let r = client.send(Method::GET, path, None).await;
            assert_error(&r, 404, "not_found", &format!("GET {path}"));
        }
        for (method, path) in [
            (Method::PATCH, "/v1/projects/p1/vpcs"),
            (Method::DELETE, "/v1/me"),
            (Method::PUT, "/v1/projects/p1/instances"),
            (Method::POST, "/v1/openapi.json"),
        ] {
            let r = client.send(method.clone(), path, None).await;
            assert_error(&r, 405, "method_not_allowed", &format!("{method} {path}"));
            assert!(r.header("allow").is_some(), "{method} {path}: 405 names the allowed methods");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_are_401_with_the_error_body() {
    let api = Api::start().await;
    for token in ["gur_not-a-real-token", "not even the format", ""] {
        let r = api.client(Some(token)).send(Method::GET, "/v1/me", None).await;
        assert_error(&r, 401, "unauthenticated", &format!("token {token:?}"));
    }
    let r =
        api.client(None).send_with(Method::GET, "/v1/me", None, &[("authorization", "Basic YWRtaW46YWRtaW4=")]).await;
    assert_error(&r, 401, "unauthenticated", "basic auth");
    // A revoked token stops working at once.
    let user = api.user("leaver").await;
    user.get("/v1/me").await;
    let tokens = user.get("/v1/users/leaver/tokens").await;
    let id = tokens[0]["id"].as_str().expect("token id");
    user.expect(204, Method::DELETE, &format!("/v1/users/leaver/tokens/{id}"), None).await;
    assert_error(&user.send(Method::GET, "/v1/me", None).await, 401, "unauthenticated", "revoked token");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_id_a_client_sends_is_the_one_errors_name() {
    let api = Api::start().await;
    let r =
        api.admin().send_with(Method::GET, "/v1/projects/nope", None, &[("x-request-id", "client-chosen-42")]).await;
    assert_error(&r, 404, "not_found", "unknown project");
    assert_eq!(r.error()["request_id"], "client-chosen-42");
    let ok = api.admin().send_with(Method::GET, "/v1/me", None, &[("x-request-id", "client-chosen-43")]).await;
    assert_eq!(ok.header("x-request-id"), Some("client-chosen-43"));
    // An unusable one is replaced, not echoed.
    let r = api.admin().send_with(Method::GET, "/v1/projects/nope", None, &[("x-request-id", &"x".repeat(200))]).await;
    assert_ne!(r.error()["request_id"], "x".repeat(200));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_refused_with_the_error_body() {
    let api = Api::start().await;
    let c = api.admin();
    c.expect(201, Method::POST, "/v1/projects", Some(serde_json::json!({"name": "p1"}))).await;
    let big = format!(r#"{{"name": "big", "cidr": "10.0.0.0/16", "padding": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let r = c.send_raw(Method::POST, "/v1/projects/p1/vpcs", Some("application/json"), big.as_bytes()).await;
    assert_error(&r, 413, "payload_too_large", "a 2 MiB body");
    assert_eq!(r.error()["field"], "body");
    assert!(r.error()["message"].as_str().unwrap().contains("limit"), "{}", r.text);
    assert!(c.list_all("/v1/projects/p1/vpcs").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_metrics_need_no_token() {
    let api = Api::start().await;
    let anon = api.client(None);
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = anon.send(Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subnets_are_addressed_under_their_vpc_and_rules_under_their_group() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    c.create(
        "p1",
        "/v1/projects/p1/vpcs",
        serde_json::json!({"name": "other", "cidr": "10.9.0.0/16", "connection": FAST}),
    )
    .await;
    let s = c.get("/v1/projects/p1/vpcs/net/subnets/net").await;
    assert_eq!((s["name"].as_str(), s["vpc"].as_str()), (Some("net"), Some("net")), "{s}");
    let r = c.send(Method::GET, "/v1/projects/p1/vpcs/other/subnets/net", None).await;
    assert_error(&r, 404, "not_found", "a subnet under a VPC it is not in");
    let r = c.send(Method::DELETE, "/v1/projects/p1/vpcs/other/subnets/net", None).await;
    assert_error(&r, 404, "not_found", "deleting through the wrong VPC");
    assert_eq!(
        c.get("/v1/projects/p1/subnets/net").await["state"],
        "Available",
        "the wrong-VPC delete changed nothing"
    );

    assert_eq!(c.get("/v1/projects/p1/security-groups/sg/rules").await, serde_json::json!([]));
    let body = serde_json::json!({"direction": "inbound", "protocol": "tcp", "port_from": 22});
    let rule = c.expect(202, Method::POST, "/v1/projects/p1/security-groups/sg/rules", Some(body)).await;
    c.settle("p1", &rule).await;
    let rules = c.get("/v1/projects/p1/security-groups/sg/rules").await;
    assert_eq!(rules.as_array().map(Vec::len), Some(1), "{rules}");
    assert_eq!(rules[0]["port_from"], 22, "{rules}");
}

/// The bounds the document states are the ones the server checks: the same constants.
#[test]
fn the_documented_bounds_are_the_validated_ones() {
    let doc: serde_json::Value = serde_json::from_str(&gureum_api::openapi_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let size = &schemas["VolumeCreate"]["properties"]["size_gb"];
    assert_eq!(
        (size["minimum"].as_i64(), size["maximum"].as_i64()),
        (Some(gureum_model::volume::VOLUME_MIN_GB), Some(gureum_model::volume::VOLUME_MAX_GB))
    );
    let name = &schemas["VpcCreate"]["properties"]["name"];
    assert_eq!(name["maxLength"].as_u64(), Some(gureum_model::name::NAME_MAX_LEN as u64), "{name}");
    for bad in ["", "1abc", "a b", "a/b"] {
        assert!(gureum_model::Name::parse("name", bad).is_err(), "{bad:?} is refused as the pattern says");
    }
    assert!(gureum_model::Name::parse("name", "web-1.a_b").is_ok());
    let list = &doc["paths"]["/v1/projects/{project}/instances"]["get"]["parameters"];
    let limit = list.as_array().unwrap().iter().find(|p| p["name"] == "limit").expect("a limit parameter");
    assert_eq!(
        (limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()),
        (Some(1), Some(u64::from(gureum_engine::MAX_PAGE)))
    );
}

/// What the document promises beyond the shapes: required bodies, every content type and
/// status an operation answers, the state filters' values, descriptions, no dangling refs.
#[test]
fn the_document_describes_what_the_server_answers() {
    let text = gureum_api::openapi_json();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in text.split("\"#/components/schemas/").skip(1).filter_map(|s| s.split('"').next()) {
        assert!(schemas.contains_key(r), "a $ref to {r}, which the document does not define");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            if let Some(body) = op.get("requestBody") {
                assert_eq!(body["required"], true, "{what}: its body is required");
            }
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                assert!(r["description"].as_str().is_some_and(|d| !d.is_empty()), "{what} {status}: no description");
            }
            let writes = method != "get";
            let console = op["operationId"] == "instance_console";
            assert_eq!(responses.contains_key("409"), writes || console, "{what}: 409");
            assert_eq!(responses.contains_key("413"), op.get("requestBody").is_some(), "{what}: 413");
        }
    }
    let usage = &doc["paths"]["/v1/projects/{project}/usage"]["get"]["responses"]["200"]["content"];
    assert!(usage.get("application/json").is_some() && usage.get("text/csv").is_some(), "{usage}");
    let verify = &doc["paths"]["/v1/connections/{connection}/verify"]["post"]["responses"];
    assert!(verify.get("429").is_some() && verify.get("503").is_some(), "{verify}");
    let list = doc["paths"]["/v1/projects/{project}/instances"]["get"]["parameters"].as_array().unwrap();
    let state = list.iter().find(|p| p["name"] == "state").unwrap();
    assert_eq!(state["schema"]["$ref"], "#/components/schemas/InstanceState", "{state}");
}

/// JSON has one number type: `2.0` is the integer the schema asks for.
#[tokio::test(flavor = "multi_thread")]
async fn a_whole_number_written_with_a_fraction_is_an_integer() {
    let api = Api::start().await;
    let c = api.admin();
    c.expect(201, Method::POST, "/v1/projects", Some(serde_json::json!({"name": "p1"}))).await;
    let body = serde_json::json!({"name": "v", "size_gb": 2.0, "connection": FAST});
    let v = c.expect(202, Method::POST, "/v1/projects/p1/volumes", Some(body)).await;
    assert_eq!(v["size_gb"], 2, "{v}");
    let body = serde_json::json!({"name": "w", "size_gb": 2.5, "connection": FAST});
    let r = c.send(Method::POST, "/v1/projects/p1/volumes", Some(&body)).await;
    assert_error(&r, 400, "invalid_request", "2.5 GB");
}
