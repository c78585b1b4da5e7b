//! Bad input gets 400 `invalid_request` naming the field, with the request id, and
//! changes nothing: after each refused request every list of the project (and its
//! operations) is exactly what it was.

use crate::support;

use gureum_engine::testing::FAST;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{Api, Client, PUBLIC_KEY};

const P: &str = "/v1/projects/p1";

/// One bad request and the field its error must name.
struct Bad {
    what: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    field: &'static str,
}

fn json_bad(what: &'static str, path: &str, body: Value, field: &'static str) -> Bad {
    raw_bad(what, Method::POST, path, Some("application/json"), body.to_string().as_bytes(), field)
}

fn raw_bad(
    what: &'static str,
    method: Method,
    path: &str,
    ct: Option<&'static str>,
    body: &[u8],
    field: &'static str,
) -> Bad {
    Bad { what, method, path: path.to_string(), content_type: ct, body: body.to_vec(), field }
}

fn query_bad(what: &'static str, path: &str, field: &'static str) -> Bad {
    raw_bad(what, Method::GET, path, None, b"", field)
}

fn instance(overrides: Value) -> Value {
    let mut body = json!({"name": "bad", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net",
                          "security_groups": ["sg"]});
    for (k, v) in overrides.as_object().expect("an object") {
        body[k] = v.clone();
    }
    body
}

fn cases() -> Vec<Bad> {
    let vpcs = format!("{P}/vpcs");
    let subnets = format!("{P}/vpcs/net/subnets");
    let volumes = format!("{P}/volumes");
    let instances = format!("{P}/instances");
    vec![
        json_bad(
            "a CIDR with prefix /33",
            &vpcs,
            json!({"name": "bad", "cidr": "10.0.0.0/33", "connection": FAST}),
            "cidr",
        ),
        json_bad("a CIDR that is no address", &vpcs, json!({"name": "bad", "cidr": "ten.0.0.0/16"}), "cidr"),
        json_bad("a public VPC range", &vpcs, json!({"name": "bad", "cidr": "8.8.0.0/16", "connection": FAST}), "cidr"),
        json_bad("a subnet overlapping subnet net", &subnets, json!({"name": "bad", "cidr": "10.0.0.128/25"}), "cidr"),
        json_bad("a subnet outside its VPC", &subnets, json!({"name": "bad", "cidr": "10.9.0.0/24"}), "cidr"),
        json_bad("a volume of 0 GB", &volumes, json!({"name": "bad", "size_gb": 0, "connection": FAST}), "size_gb"),
        json_bad(
            "a volume of 5,121 GB",
            &volumes,
            json!({"name": "bad", "size_gb": 5121, "connection": FAST}),
            "size_gb",
        ),
        json_bad(
            "a volume from an unknown image",
            &volumes,
            json!({"name": "bad", "size_gb": 20, "image": "no-such-image", "connection": FAST}),
            "image",
        ),
        json_bad("an instance of an unknown image", &instances, instance(json!({"image": "no-such-image"})), "image"),
        json_bad(
            "an instance of an unknown type",
            &instances,
            instance(json!({"instance_type": "z9.huge"})),
            "instance_type",
        ),
        json_bad("an instance in an unknown subnet", &instances, instance(json!({"subnet": "nowhere"})), "subnet"),
        json_bad(
            "an instance with an unknown security group",
            &instances,
            instance(json!({"security_groups": ["sg", "nope"]})),
            "security_groups[1]",
        ),
        json_bad(
            "a root volume below the image's minimum",
            &instances,
            instance(json!({"root_volume_size_gb": 5})),
            "root_volume_size_gb",
        ),
        json_bad(
            "a GPU image on a type without GPU",
            &instances,
            instance(json!({"image": "ubuntu-22.04-gpu"})),
            "instance_type",
        ),
        json_bad(
            "a security group list that is a string",
            &instances,
            instance(json!({"security_groups": "sg"})),
            "security_groups",
        ),
        json_bad("an unknown public IP mode", &instances, instance(json!({"public_ip": "sometimes"})), "public_ip"),
        json_bad(
            "a malformed public key",
            &format!("{P}/key-pairs"),
            json!({"name": "bad", "public_key": "ssh-rsa not-a-key", "connection": FAST}),
            "public_key",
        ),
        json_bad(
            "a name starting with a digit",
            &vpcs,
            json!({"name": "1bad", "cidr": "10.3.0.0/16", "connection": FAST}),
            "name",
        ),
        json_bad(
            "an unknown connection",
            &vpcs,
            json!({"name": "bad", "cidr": "10.3.0.0/16", "connection": "nope"}),
            "connection",
        ),
        json_bad("an unknown reboot type", &format!("{P}/instances/vm/reboot"), json!({"type": "gentle"}), "type"),
        json_bad("a volume that would shrink", &format!("{P}/volumes/vol/extend"), json!({"size_gb": 1}), "size_gb"),
        json_bad(
            "a resize to the same type",
            &format!("{P}/instances/vm/resize"),
            json!({"instance_type": "t1.micro"}),
            "instance_type",
        ),
        json_bad("an unknown field", &vpcs, json!({"name": "x", "cidr": "10.0.0.0/16", "cdir": 1}), "cdir"),
        json_bad("a missing field", &vpcs, json!({"name": "x"}), "cidr"),
        json_bad("size_gb as a string", &volumes, json!({"name": "bad", "size_gb": "ten"}), "size_gb"),
        json_bad("name as a number", &vpcs, json!({"name": 5, "cidr": "10.3.0.0/16"}), "name"),
        json_bad("an array for a body", &vpcs, json!(["bad", "10.3.0.0/16", FAST]), "body"),
        json_bad("a string for a body", &vpcs, json!("bad"), "body"),
        raw_bad("malformed JSON", Method::POST, &vpcs, Some("application/json"), br#"{"name": "bad", "cidr":"#, "body"),
        raw_bad("a trailing comma", Method::POST, &vpcs, Some("application/json"), br#"{"name": "bad",}"#, "body"),
        raw_bad(
            "JSON sent as text/plain",
            Method::POST,
            &vpcs,
            Some("text/plain"),
            br#"{"name": "bad", "cidr": "10.3.0.0/16"}"#,
            "body",
        ),
        raw_bad(
            "JSON sent without a content type",
            Method::POST,
            &vpcs,
            None,
            br#"{"name": "bad", "cidr": "10.3.0.0/16"}"#,
            "body",
        ),
        raw_bad(
            "a form body",
            Method::POST,
            &vpcs,
            Some("application/x-www-form-urlencoded"),
            b"name=bad&cidr=10.3.0.0/16",
            "body",
        ),
        json_bad(
            "a blank volume type",
            &volumes,
            json!({"name": "bad", "size_gb": 1, "volume_type": " ", "connection": FAST}),
            "volume_type",
        ),
        query_bad("limit=0", &format!("{vpcs}?limit=0"), "limit"),
        query_bad("limit=1001", &format!("{vpcs}?limit=1001"), "limit"),
        query_bad("limit=-1", &format!("{vpcs}?limit=-1"), "limit"),
        query_bad("limit=ten", &format!("{P}/instances?limit=ten"), "limit"),
        query_bad("a cursor this server never issued", &format!("{vpcs}?cursor=not-a-cursor"), "cursor"),
        query_bad("an unknown state filter", &format!("{P}/instances?state=Sleeping"), "state"),
        query_bad("operations with limit=0", &format!("{P}/operations?limit=0"), "limit"),
        query_bad("operations with a bad cursor", &format!("{P}/operations?cursor=zzz"), "cursor"),
        query_bad("projects with limit=1001", "/v1/projects?limit=1001", "limit"),
        query_bad("users with a bad cursor", "/v1/users?cursor=%%%", "cursor"),
        query_bad("usage from a non-time", &format!("{P}/usage?from=yesterday"), "from"),
        query_bad("usage as XML", &format!("{P}/usage?format=xml"), "format"),
        query_bad(
            "a wait over the documented 60 s",
            &format!("{P}/operations/01a24362-5ae5-7768-a399-fca6a4fef8d6?wait_seconds=61"),
            "wait_seconds",
        ),
        // Every request body is required (the document says so); `{}` asks for defaults.
        raw_bad("a create with no body", Method::POST, &vpcs, Some("application/json"), b"", "body"),
        raw_bad("a connection change with no body", Method::PATCH, "/v1/connections/fast", None, b"", "body"),
        raw_bad("a reboot with a blank body", Method::POST, &format!("{instances}/vm/reboot"), None, b" \n", "body"),
        raw_bad(
            "credentials that are not an object",
            Method::PATCH,
            "/v1/connections/fast",
            Some("application/json"),
            br#"{"credentials": ["secret"]}"#,
            "credentials",
        ),
    ]
}

/// Every id in every list of p1, including its operations.
async fn inventory(c: &Client) -> BTreeMap<&'static str, Vec<String>> {
    let mut all = BTreeMap::new();
    for list in [
        "vpcs",
        "subnets",
        "security-groups",
        "volumes",
        "instances",
        "key-pairs",
        "public-ips",
        "images",
        "operations",
    ] {
        let ids = c
            .list_all(&format!("{P}/{list}"))
            .await
            .iter()
            .map(|v| format!("{} {}", v["id"], v["state"].as_str().or(v["status"].as_str()).unwrap_or("")))
            .collect();
        all.insert(list, ids);
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    c.instance("p1", "vm").await;
    c.create("p1", &format!("{P}/volumes"), json!({"name": "vol", "size_gb": 2, "connection": FAST})).await;
    c.create("p1", &format!("{P}/key-pairs"), json!({"name": "kp", "public_key": PUBLIC_KEY, "connection": FAST}))
        .await;
    let before = inventory(&c).await;

    let mut wrong = vec![];
    for bad in cases() {
        let r = c.send_raw(bad.method.clone(), &bad.path, bad.content_type, &bad.body).await;
        let e = &r.body["error"];
        let request_id = e["request_id"].as_str().unwrap_or_default();
        let ok = r.status == 400
            && e["code"] == "invalid_request"
            && e["field"] == bad.field
            && e["message"].as_str().is_some_and(|m| m.starts_with(&format!("{}: ", bad.field)))
            && !request_id.is_empty()
            && r.header("x-request-id") == Some(request_id);
        if !ok {
            wrong.push(format!("{}: {} {} → {} {}", bad.what, bad.method, bad.path, r.status, r.text));
        }
        let after = inventory(&c).await;
        if after != before {
            wrong.push(format!("{}: changed the project: {before:?} → {after:?}", bad.what));
            break;
        }
    }
    assert!(wrong.is_empty(), "{} bad requests not refused as they should be:\n{}", wrong.len(), wrong.join("\n"));
}

/// An `Idempotency-Key` that no store could hold is refused like any other bad field.
#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_idempotency_key_is_refused() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("p1").await;
    let before = inventory(&c).await;
    let long = "k".repeat(256);
    for key in [long.as_str(), "with space"] {
        let body = json!({"name": "keyed", "cidr": "10.3.0.0/16", "connection": FAST});
        let r = c.send_with(Method::POST, &format!("{P}/vpcs"), Some(&body), &[("idempotency-key", key)]).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let e = r.error();
        assert_eq!(e["code"], "invalid_request");
        assert_eq!(e["field"], "Idempotency-Key");
    }
    assert_eq!(inventory(&c).await, before);
}
