//! Quotas at reseller, customer and project level hold under 200 concurrent creates by
//! 10 customers of one reseller, and the counters match what exists afterwards.

use super::{customer, reseller, tenant_user};
use crate::support::{Api, Client};
use reqwest::Method;
use serde_json::{Value, json};

const CUSTOMERS: usize = 10;
const CREATES_EACH: usize = 20;
/// t1.micro: 1 vCPU, 1024 MiB, and a root volume of the image's minimum.
const RESELLER_INSTANCES: i64 = 40;
const CUSTOMER_INSTANCES: i64 = 6;
/// The project limit of the even customers (tighter than their customer's).
const PROJECT_VCPUS: i64 = 3;

fn quota_line(q: &Value, resource: &str) -> (Option<i64>, i64) {
    (q[resource]["limit"].as_i64(), q[resource]["used"].as_i64().expect("used"))
}

/// The instances of `project` and their vCPUs, as listed (all are t1.micro: 1 vCPU).
async fn held(c: &Client, project: &str) -> (i64, i64) {
    let items = c.list_all(&format!("/v1/projects/{project}/instances")).await;
    assert!(items.iter().all(|i| i["instance_type"] == "t1.micro"));
    (items.len() as i64, items.len() as i64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quotas_hold_under_200_concurrent_creates_by_10_customers() {
    let api = Api::start().await;
    let admin = api.admin();
    reseller(&admin, "big").await;
    admin.expect(200, Method::PUT, "/v1/resellers/big/quota", Some(json!({ "instances": RESELLER_INSTANCES }))).await;
    customer(&admin, "big", "c0").await;
    let ra = tenant_user(&api, &admin, "ra", "big", "c0", "reseller_admin").await;
    for i in 0..CUSTOMERS {
        let (c, p) = (format!("c{i}"), format!("p{i}"));
        if i > 0 {
            customer(&ra, "big", &c).await;
        }
        let path = format!("/v1/resellers/big/customers/{c}/quota");
        ra.expect(200, Method::PUT, &path, Some(json!({ "instances": CUSTOMER_INSTANCES }))).await;
        ra.expect(201, Method::POST, "/v1/projects", Some(json!({ "name": p, "customer": c }))).await;
        ra.network(&p).await;
        if i % 2 == 0 {
            let path = format!("/v1/projects/{p}/quota");
            ra.expect(200, Method::PUT, &path, Some(json!({ "vcpus": PROJECT_VCPUS }))).await;
        }
    }

    let mut creates = vec![];
    for i in 0..CUSTOMERS {
        for n in 0..CREATES_EACH {
            let ra = ra.clone();
            creates.push(tokio::spawn(async move {
                let body = json!({"name": format!("vm{n}"), "instance_type": "t1.micro", "image": "ubuntu-22.04",
                                  "subnet": "net", "security_groups": ["sg"]});
                ra.send(Method::POST, &format!("/v1/projects/p{i}/instances"), Some(&body)).await
            }));
        }
    }
    let mut made = 0;
    for c in creates {
        let r = c.await.unwrap();
        match r.status {
            202 => made += 1,
            409 => {
                assert_eq!(r.error()["code"], "quota_exceeded", "{}", r.text);
                let m = r.error()["message"].as_str().unwrap();
                assert!(m.contains("'s quota of ") && m.contains("in use"), "{m}");
            }
            _ => panic!("unexpected answer: {}", r.text),
        }
    }
    // Even projects hold at most 3, odd ones 6 (their customer's limit): 45 would fit
    // below the reseller, whose 40 is the binding limit.
    assert_eq!(made, RESELLER_INSTANCES);

    let mut total = 0;
    for i in 0..CUSTOMERS {
        let (instances, vcpus) = held(&ra, &format!("p{i}")).await;
        total += instances;
        let pq = ra.get(&format!("/v1/projects/p{i}/quota")).await;
        let cq = ra.get(&format!("/v1/resellers/big/customers/c{i}/quota")).await;
        assert_eq!(quota_line(&pq, "instances").1, instances, "project p{i}: {pq}");
        assert_eq!(quota_line(&pq, "vcpus").1, vcpus, "project p{i}: {pq}");
        assert_eq!(quota_line(&cq, "instances"), (Some(CUSTOMER_INSTANCES), instances), "customer c{i}: {cq}");
        assert!(instances <= CUSTOMER_INSTANCES);
        if i % 2 == 0 {
            assert!(vcpus <= PROJECT_VCPUS, "project p{i} holds {vcpus} vCPUs");
        }
    }
    let rq = ra.get("/v1/resellers/big/quota").await;
    assert_eq!(quota_line(&rq, "instances"), (Some(RESELLER_INSTANCES), total));
    assert_eq!(quota_line(&rq, "memory_mib").1, total * 1024);

    // Deleting frees what the instance held, at every level.
    let vm = ra.list_all("/v1/projects/p1/instances").await[0]["name"].as_str().unwrap().to_string();
    let d = ra.expect(202, Method::DELETE, &format!("/v1/projects/p1/instances/{vm}"), None).await;
    ra.settle("p1", &d).await;
    let rq = ra.get("/v1/resellers/big/quota").await;
    assert_eq!(quota_line(&rq, "instances").1, total - 1);
    let cq = ra.get("/v1/resellers/big/customers/c1/quota").await;
    assert_eq!(quota_line(&cq, "instances").1, held(&ra, "p1").await.0);
}

#[tokio::test]
async fn a_volume_beyond_its_quota_is_refused_naming_the_level() {
    let api = Api::start().await;
    let admin = api.admin();
    admin.project_with_network("p").await;
    admin.expect(200, Method::PUT, "/v1/projects/p/quota", Some(json!({ "volume_gb": 30 }))).await;
    let vol = |name: &str, size: i64| json!({"name": name, "size_gb": size, "connection": "fast"});
    let v = admin.create("p", "/v1/projects/p/volumes", vol("a", 20)).await;
    assert_eq!(v["size_gb"], 20);
    let r = admin.send(Method::POST, "/v1/projects/p/volumes", Some(&vol("b", 20))).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(
        r.error()["message"],
        "project p's quota of 30 GB of volumes is used up: 20 in use, 20 asked",
        "{}",
        r.text
    );
    assert_eq!(admin.list_all("/v1/projects/p/volumes").await.len(), 1, "nothing was made");
    // Growing a volume holds the growth too.
    let r = admin.send(Method::POST, "/v1/projects/p/volumes/a/extend", Some(&json!({"size_gb": 31}))).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error()["message"], "project p's quota of 30 GB of volumes is used up: 20 in use, 11 asked");
    let v = admin.expect(202, Method::POST, "/v1/projects/p/volumes/a/extend", Some(json!({"size_gb": 30}))).await;
    admin.settle("p", &v).await;
    assert_eq!(admin.get("/v1/projects/p/quota").await["volume_gb"], json!({"limit": 30, "used": 30}));
    let d = admin.expect(202, Method::DELETE, "/v1/projects/p/volumes/a", None).await;
    admin.settle("p", &d).await;
    assert_eq!(admin.get("/v1/projects/p/quota").await["volume_gb"], json!({"limit": 30, "used": 0}));
    // The default customer and reseller counted it too, and freed it.
    assert_eq!(admin.get("/v1/resellers/default/quota").await["volume_gb"]["used"], 0);
}

/// A resize holds the larger of both types until it is confirmed or reverted, checked
/// against the quotas when it starts; a revert gives the growth back, a confirm keeps it.
#[tokio::test]
async fn a_resize_is_checked_against_the_quotas_and_held_until_confirmed_or_reverted() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("rs").await;
    c.expect(200, Method::PUT, "/v1/projects/rs/quota", Some(json!({"vcpus": 3}))).await;
    let used = async |c: &Client| c.get("/v1/projects/rs/quota").await["vcpus"]["used"].as_i64().unwrap();
    c.instance("rs", "vm").await;
    assert_eq!(used(&c).await, 1, "t1.micro holds 1 vCPU");
    let resize = |t: &str| json!({ "instance_type": t });
    let r = c.send(Method::POST, "/v1/projects/rs/instances/vm/resize", Some(&resize("m1.xlarge"))).await;
    assert_eq!(r.status, 409, "4 vCPUs exceed the project's 3: {}", r.text);
    assert_eq!(r.error()["code"], "quota_exceeded", "{}", r.text);
    assert_eq!(used(&c).await, 1, "nothing held by the refusal");

    let v = c.expect(202, Method::POST, "/v1/projects/rs/instances/vm/resize", Some(resize("t1.medium"))).await;
    c.settle("rs", &v).await;
    assert_eq!(used(&c).await, 2, "t1.medium (2 vCPUs) is held while Resized");
    let v = c.expect(202, Method::POST, "/v1/projects/rs/instances/vm/revert-resize", None).await;
    c.settle("rs", &v).await;
    assert_eq!(used(&c).await, 1, "reverted: back to t1.micro's 1");

    let v = c.expect(202, Method::POST, "/v1/projects/rs/instances/vm/resize", Some(resize("t1.medium"))).await;
    c.settle("rs", &v).await;
    let v = c.expect(202, Method::POST, "/v1/projects/rs/instances/vm/confirm-resize", None).await;
    c.settle("rs", &v).await;
    assert_eq!(used(&c).await, 2, "confirmed: t1.medium's 2");
}

/// A resize the provider refuses gives its growth back: the instance keeps its type and
/// holds only what that type needs.
#[tokio::test]
async fn a_failed_resize_gives_its_quota_growth_back() {
    let api = Api::start().await;
    let c = api.admin();
    c.project_with_network("rf").await;
    let used = async |c: &Client| c.get("/v1/projects/rf/quota").await["vcpus"]["used"].as_i64().unwrap();
    c.instance("rf", "vm").await;
    let flaky = json!({"settings": {"latency_ms": 0, "fault_rate": {"vm_resize": 1}}});
    c.expect(200, Method::PATCH, &format!("/v1/connections/{}", gureum_engine::testing::FAST), Some(flaky)).await;
    let r = c
        .expect(202, Method::POST, "/v1/projects/rf/instances/vm/resize", Some(json!({"instance_type": "t1.medium"})))
        .await;
    let op = c.finished_op("rf", r["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "failed", "{op}");
    let vm = c.get("/v1/projects/rf/instances/vm").await;
    assert_eq!((vm["state"].as_str(), vm["instance_type"].as_str()), (Some("Active"), Some("t1.micro")), "{vm}");
    assert_eq!(used(&c).await, 1, "t1.micro's 1 vCPU, not t1.medium's 2");
    assert_eq!(c.get("/v1/resellers/default/quota").await["vcpus"]["used"], 1, "every level gave it back");
}
