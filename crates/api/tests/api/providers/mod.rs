//! Provider profiles through the public API (SPEC §3): each KT Cloud Classic rule refused
//! by gureum up front with a clear message, and by the simulated provider itself with
//! its own terse answer when called directly; KakaoCloud's volume rules; capabilities,
//! verify, adopting a VM made behind gureum's back, and the per-connection call budget.

use crate::support;

mod adoption;
mod kt_rules;

use gureum_driver::{CreateSpec, DiskSource, Driver, DriverError, ResourceKind, RuleSpec, VmSpec};
use gureum_sim::{SimDriver, SimSettings};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Client};

pub(super) const P: &str = "/v1/projects/p";

/// A connection `name` to the simulated cloud with `settings` (zero latency).
pub(super) async fn connection(admin: &Client, name: &str, profile: &str) -> Value {
    let settings = json!({"latency_ms": 0, "profile": profile});
    admin
        .expect(
            201,
            Method::POST,
            "/v1/connections",
            Some(json!({"name": name, "driver": "sim", "settings": settings})),
        )
        .await
}

/// Project `p` with VPC `net`, subnet `net` (in `zone`) and security group `sg`, all on
/// connection `conn`.
pub(super) async fn project_on(admin: &Client, conn: &str, zone: &str) {
    admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p"}))).await;
    admin.create("p", &format!("{P}/vpcs"), json!({"name": "net", "cidr": "10.0.0.0/16", "connection": conn})).await;
    admin
        .create("p", &format!("{P}/vpcs/net/subnets"), json!({"name": "net", "cidr": "10.0.0.0/20", "zone": zone}))
        .await;
    admin.create("p", &format!("{P}/security-groups"), json!({"name": "sg", "vpc": "net"})).await;
}

/// Adds a rule to group `sg` and waits until it is applied.
pub(super) async fn add_rule(admin: &Client, rule: Value) {
    let r = admin.expect(202, Method::POST, &format!("{P}/security-groups/sg/rules"), Some(rule)).await;
    admin.settle("p", &r).await;
}

pub(super) async fn kt(api: &Api) -> Client {
    let admin = api.admin();
    connection(&admin, "kt", "ktcloud-classic").await;
    project_on(&admin, "kt", "sim-1a").await;
    admin
}

pub(super) fn vm(name: &str, instance_type: &str, image: &str) -> Value {
    json!({"name": name, "instance_type": instance_type, "image": image, "subnet": "net", "security_groups": ["sg"]})
}

/// Asserts a 400 naming `field` and returns the message.
pub(super) async fn refused(c: &Client, status: u16, path: &str, body: Value, field: Option<&str>) -> String {
    let r = c.send(Method::POST, path, Some(&body)).await;
    assert_eq!(r.status, status, "POST {path}: {}", r.text);
    let e = r.error();
    if let Some(f) = field {
        assert_eq!(e["field"], f, "{}", r.text);
    }
    e["message"].as_str().unwrap_or_default().to_string()
}

/// The simulated cloud behind `api`'s connection `conn`, opened directly (it shares the
/// cloud gureum uses).
pub(super) async fn provider_of(api: &Api, admin: &Client, conn: &str, settings: Value) -> SimDriver {
    let c = admin.get(&format!("/v1/connections/{conn}")).await;
    let id = c["id"].as_str().expect("connection id");
    let settings = SimSettings::parse(&settings).expect("settings");
    SimDriver::open(&api.te.data_dir.path().join("sim"), id, "sim-1", "sim-1a", settings).expect("open the sim")
}

pub(super) fn kt_settings() -> Value {
    json!({"latency_ms": 0, "profile": "ktcloud-classic"})
}

pub(super) fn general_error<T: std::fmt::Debug>(r: Result<T, DriverError>) {
    match r {
        Err(DriverError::Provider { message, .. }) => assert_eq!(message, "general error"),
        other => panic!("expected KT's general error, got {other:?}"),
    }
}

pub(super) async fn provider_root_disk(
    sim: &SimDriver,
    tag: &str,
    image: &str,
    size_gb: i64,
    volume_type: &str,
) -> Result<String, DriverError> {
    let spec = CreateSpec::Disk {
        name: tag.into(),
        tag: tag.into(),
        size_gb,
        zone: "sim-1a".into(),
        volume_type: volume_type.into(),
        source: DiskSource::Image(image.into()),
    };
    Ok(sim.create(spec).await?.id)
}

pub(super) fn vm_spec(tag: &str, root_disk: &str, instance_type: &str, vcpus: i64, memory_mib: i64) -> VmSpec {
    VmSpec {
        name: tag.into(),
        tag: tag.into(),
        hostname: tag.into(),
        zone: "sim-1a".into(),
        instance_type: instance_type.into(),
        vcpus,
        memory_mib,
        image: "ubuntu-22.04".into(),
        root_disk: root_disk.into(),
        subnet: None,
        security_groups: vec![],
        key_pair: None,
        public_key: None,
        user_data: None,
    }
}

#[tokio::test]
async fn capabilities_list_kinds_limits_and_the_call_budget() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let drivers = admin.get("/v1/drivers").await;
    let profiles: Vec<&str> = drivers.as_array().unwrap().iter().filter_map(|d| d["profile"].as_str()).collect();
    assert_eq!(profiles, ["generic", "ktcloud-classic", "kakaocloud"]);

    let caps = admin.get("/v1/connections/kt/capabilities").await;
    assert_eq!((caps["driver"].as_str(), caps["profile"].as_str()), (Some("sim"), Some("ktcloud-classic")));
    assert!(caps["version"].is_string());
    assert_eq!(caps["kinds"]["vpc"], "emulated");
    assert_eq!(caps["kinds"]["vm"], "native");
    assert_eq!(caps["details"]["limits"]["volume_types"][0]["name"], "HDD");
    assert_eq!(caps["max_concurrent_calls"], 32, "the default budget");

    let v = admin.expect(200, Method::POST, "/v1/connections/kt/verify", None).await;
    assert_eq!(v["ok"], true, "{v}");

    // Limits are settings of the connection, validated like the driver's own.
    let bad =
        admin.send(Method::PATCH, "/v1/connections/kt", Some(&json!({"settings": {"max_concurrent_calls": 0}}))).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.error()["field"], "settings.max_concurrent_calls");
    let settings =
        json!({"latency_ms": 0, "profile": "ktcloud-classic", "max_concurrent_calls": 3, "calls_per_second": 50});
    admin
        .expect(
            200,
            Method::PATCH,
            "/v1/connections/kt",
            Some(json!({"settings": settings, "credentials": {"key": "s3cret"}})),
        )
        .await;
    let caps = admin.get("/v1/connections/kt/capabilities").await;
    assert_eq!((caps["max_concurrent_calls"].as_u64(), caps["calls_per_second"].as_f64()), (Some(3), Some(50.0)));
    let c = admin.get("/v1/connections/kt").await;
    assert_eq!(c["has_credentials"], true);
    assert!(!c.to_string().contains("s3cret"), "credentials are never returned: {c}");
    // Left out they are kept; `null` removes them.
    let c = admin.expect(200, Method::PATCH, "/v1/connections/kt", Some(json!({"settings": settings}))).await;
    assert_eq!(c["has_credentials"], true, "{c}");
    let c = admin.expect(200, Method::PATCH, "/v1/connections/kt", Some(json!({"credentials": null}))).await;
    assert_eq!(c["has_credentials"], false, "{c}");
}

/// Under a limit of N concurrent calls, a burst of 500 creates never has more than N
/// calls in flight at the provider (as the simulated provider counts them).
#[tokio::test]
async fn a_burst_of_500_creates_stays_within_the_connection_budget() {
    const N: u64 = 4;
    let api = Api::start().await;
    let admin = api.admin();
    let settings = json!({"latency_ms": 0, "call_ms": 2, "max_concurrent_calls": N});
    admin
        .expect(
            201,
            Method::POST,
            "/v1/connections",
            Some(json!({"name": "slow", "driver": "sim", "settings": settings})),
        )
        .await;
    admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p"}))).await;
    let posts = (0..500).map(|i| {
        let admin = admin.clone();
        async move {
            let body = json!({"name": format!("v{i}"), "size_gb": 1, "connection": "slow"});
            admin.expect(202, Method::POST, &format!("{P}/volumes"), Some(body)).await
        }
    });
    let views = futures::future::join_all(posts).await;
    for v in &views {
        admin.settle("p", v).await;
    }
    let calls = &admin.get("/v1/connections/slow/capabilities").await["details"]["calls"];
    let max = calls["max_in_flight"].as_u64().unwrap();
    println!("500 creates: {} provider calls, at most {max} in flight (limit {N})", calls["calls_total"]);
    assert!(calls["per_operation"]["disk_create"].as_u64().unwrap() >= 500, "{calls}");
    assert!(max <= N, "{max} calls in flight under a limit of {N}: {calls}");
    assert!(max >= 2, "the burst ran concurrently: {calls}");
}

/// The drivers come from the registry the server was built with: a name it does not
/// have is a 400 on the field `driver` that lists the ones it has.
#[tokio::test]
async fn an_unknown_driver_is_refused_naming_the_known_ones() {
    let api = Api::start().await;
    let admin = api.admin();
    let msg = refused(&admin, 400, "/v1/connections", json!({"name": "x", "driver": "aws"}), Some("driver")).await;
    assert!(msg.contains("\"aws\"") && msg.contains("sim"), "{msg}");
}
