//! Provider profiles through the public API (SPEC §3): each KT Cloud Classic rule refused
//! by gureum up front with a clear message, and by the simulated provider itself with
//! its own terse answer when called directly; KakaoCloud's volume rules; capabilities,
//! verify, adopting a VM made behind gureum's back, and the per-connection call budget.

use crate::support;

use gureum_driver::{CreateSpec, DiskSource, Driver, DriverError, ResourceKind, RuleSpec, VmSpec};
use gureum_sim::{SimDriver, SimSettings};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Api, Client};

const P: &str = "/v1/projects/p";

/// A connection `name` to the simulated cloud with `settings` (zero latency).
async fn connection(admin: &Client, name: &str, profile: &str) -> Value {
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
async fn project_on(admin: &Client, conn: &str, zone: &str) {
    admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p"}))).await;
    admin.create("p", &format!("{P}/vpcs"), json!({"name": "net", "cidr": "10.0.0.0/16", "connection": conn})).await;
    admin
        .create("p", &format!("{P}/vpcs/net/subnets"), json!({"name": "net", "cidr": "10.0.0.0/20", "zone": zone}))
        .await;
    admin.create("p", &format!("{P}/security-groups"), json!({"name": "sg", "vpc": "net"})).await;
}

/// Adds a rule to group `sg` and waits until it is applied.
async fn add_rule(admin: &Client, rule: Value) {
    let r = admin.expect(202, Method::POST, &format!("{P}/security-groups/sg/rules"), Some(rule)).await;
    admin.settle("p", &r).await;
}

async fn kt(api: &Api) -> Client {
    let admin = api.admin();
    connection(&admin, "kt", "ktcloud-classic").await;
    project_on(&admin, "kt", "sim-1a").await;
    admin
}

fn vm(name: &str, instance_type: &str, image: &str) -> Value {
    json!({"name": name, "instance_type": instance_type, "image": image, "subnet": "net", "security_groups": ["sg"]})
}

/// Asserts a 400 naming `field` and returns the message.
async fn refused(c: &Client, status: u16, path: &str, body: Value, field: Option<&str>) -> String {
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
async fn provider_of(api: &Api, admin: &Client, conn: &str, settings: Value) -> SimDriver {
    let c = admin.get(&format!("/v1/connections/{conn}")).await;
    let id = c["id"].as_str().expect("connection id");
    let settings = SimSettings::parse(&settings).expect("settings");
    SimDriver::open(&api.te.data_dir.path().join("sim"), id, "sim-1", "sim-1a", settings).expect("open the sim")
}

fn kt_settings() -> Value {
    json!({"latency_ms": 0, "profile": "ktcloud-classic"})
}

fn general_error<T: std::fmt::Debug>(r: Result<T, DriverError>) {
    match r {
        Err(DriverError::Provider { message, .. }) => assert_eq!(message, "general error"),
        other => panic!("expected KT's general error, got {other:?}"),
    }
}

async fn provider_root_disk(
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

fn vm_spec(tag: &str, root_disk: &str, instance_type: &str, vcpus: i64, memory_mib: i64) -> VmSpec {
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
}

/// Rule 1: no native VPC/subnet — gureum keeps them; VMs get the zone's fixed network.
#[tokio::test]
async fn kt_rule1_vpcs_and_subnets_are_emulated_and_the_private_network_is_per_zone() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    assert!(sim.list(ResourceKind::Vpc).await.unwrap().is_empty(), "no VPC at the provider");
    assert!(sim.list(ResourceKind::Subnet).await.unwrap().is_empty());
    let i = admin.create("p", &format!("{P}/instances"), vm("web", "t1.small", "ubuntu-22.04")).await;
    assert_eq!(i["state"], "Active", "{i}");
    let ip = i["private_ip"].as_str().unwrap();
    assert!(ip.starts_with("172.16."), "the zone's fixed private network, not the subnet's 10.0.0.0/20: {ip}");
}

/// Rule 2: inbound only (outbound accepted, reported not applied); no overlapping rules.
#[tokio::test]
async fn kt_rule2_outbound_rules_are_not_applied_and_overlaps_are_refused() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let rules = format!("{P}/security-groups/sg/rules");
    add_rule(&admin, json!({"direction": "outbound", "protocol": "tcp", "port_from": 443, "port_to": 443})).await;
    add_rule(&admin, json!({"direction": "inbound", "protocol": "tcp", "port_from": 22, "port_to": 22})).await;
    let sg = admin.get(&format!("{P}/security-groups/sg")).await;
    let outbound = sg["rules"].as_array().unwrap().iter().find(|r| r["direction"] == "outbound").unwrap();
    assert_eq!(outbound["applied"], false, "{sg}");
    assert!(outbound["note"].as_str().unwrap().contains("not applied"), "{outbound}");
    let inbound = sg["rules"].as_array().unwrap().iter().find(|r| r["direction"] == "inbound").unwrap();
    assert_eq!(inbound["applied"], true);

    // gureum refuses the overlap before calling the provider, naming both rules.
    let msg = refused(&admin, 400, &rules, json!({"direction": "inbound", "protocol": "tcp"}), Some("port_from")).await;
    assert!(msg.contains("overlap") && msg.contains("tcp 22") && msg.contains("tcp all ports"), "{msg}");
    assert_eq!(
        admin.get(&format!("{P}/security-groups/sg")).await["rules"].as_array().unwrap().len(),
        2,
        "nothing added"
    );

    // The provider, called directly, answers only "general error".
    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    let sg_id = sim.list(ResourceKind::SecurityGroup).await.unwrap()[0].id.clone();
    let rule = |id: &str, from: Option<i64>, to: Option<i64>| RuleSpec {
        id: id.into(),
        direction: "inbound".into(),
        protocol: "tcp".into(),
        port_from: from,
        port_to: to,
        remote_cidr: "0.0.0.0/0".into(),
    };
    general_error(sim.security_group_set_rules(&sg_id, &[rule("a", Some(22), Some(22)), rule("b", None, None)]).await);
}

/// Rule 3: rules are port forwarding + firewall on the VM's public IP, shown with the
/// instance.
#[tokio::test]
async fn kt_rule3_rules_show_as_port_forwarding_on_the_public_ip() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let ssh = json!({"direction": "inbound", "protocol": "tcp", "port_from": 22, "port_to": 22,
                     "remote_cidr": "203.0.113.0/24"});
    add_rule(&admin, ssh).await;
    let mut body = vm("web", "t1.small", "ubuntu-22.04");
    body["public_ip"] = json!("ephemeral");
    let i = admin.create("p", &format!("{P}/instances"), body).await;
    let address = i["public_ip"]["address"].as_str().expect("a public IP").to_string();
    let pf = &i["provider"]["attributes"]["port_forwarding"];
    assert_eq!(
        pf,
        &json!([{"public_ip": address, "protocol": "tcp", "ports": "22", "private_ip": i["private_ip"], "allowed_from": "203.0.113.0/24"}]),
        "{i}"
    );
}

/// Rule 4: the spec must support the image; gureum names the specs that do.
#[tokio::test]
async fn kt_rule4_spec_must_support_the_image() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let msg = refused(
        &admin,
        400,
        &format!("{P}/instances"),
        vm("win", "t1.micro", "windows-server-2022"),
        Some("instance_type"),
    )
    .await;
    assert!(msg.contains("does not support image windows-server-2022") && msg.contains("t1.medium"), "{msg}");
    assert!(!msg.contains("t1.micro,"), "{msg}");
    assert_eq!(admin.get(&format!("{P}/instances")).await["items"], json!([]), "nothing recorded");
    let i = admin.create("p", &format!("{P}/instances"), vm("win", "t1.medium", "windows-server-2022")).await;
    assert_eq!(i["state"], "Active");

    // The provider itself answers "general error".
    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    let disk = provider_root_disk(&sim, "w", "windows-server-2022", 50, "SSD").await.unwrap();
    let mut spec = vm_spec("w", &disk, "t1.micro", 1, 1024);
    spec.image = "windows-server-2022".into();
    general_error(sim.create(CreateSpec::Vm(spec)).await);
}

/// Rule 5: root disk type by zone, size by OS; `…_diskNNNGB` specs carry a data disk.
#[tokio::test]
async fn kt_rule5_root_disk_by_zone_and_os_and_disk_specs() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    admin
        .create("p", &format!("{P}/vpcs/net/subnets"), json!({"name": "b", "cidr": "10.0.16.0/20", "zone": "sim-1b"}))
        .await;
    admin.create("p", &format!("{P}/instances"), vm("lin", "t1.small", "ubuntu-22.04")).await;
    admin.create("p", &format!("{P}/instances"), vm("win", "t1.medium", "windows-server-2022")).await;
    let mut far = vm("far", "t1.small", "ubuntu-22.04");
    far["subnet"] = json!("b");
    admin.create("p", &format!("{P}/instances"), far).await;
    let root = |name: &str| {
        let admin = admin.clone();
        let name = name.to_string();
        async move { admin.get(&format!("{P}/volumes/{name}-root")).await }
    };
    let (lin, win, far) = (root("lin").await, root("win").await, root("far").await);
    assert_eq!((lin["size_gb"].as_i64(), lin["volume_type"].as_str()), (Some(20), Some("SSD")), "{lin}");
    assert_eq!((win["size_gb"].as_i64(), win["volume_type"].as_str()), (Some(50), Some("SSD")), "{win}");
    assert_eq!((far["size_gb"].as_i64(), far["volume_type"].as_str()), (Some(20), Some("HDD")), "{far}");

    let mut sized = vm("x", "t1.small", "ubuntu-22.04");
    sized["root_volume_size_gb"] = json!(30);
    let msg = refused(&admin, 400, &format!("{P}/instances"), sized, Some("root_volume_size_gb")).await;
    assert!(msg.contains("20 GB root disk"), "{msg}");

    let i = admin.create("p", &format!("{P}/instances"), vm("big", "m1.large_disk100GB", "ubuntu-22.04")).await;
    assert_eq!(i["instance_type"], "m1.large");
    assert_eq!(i["provider"]["attributes"]["instance_type"], "m1.large_disk100GB");
    assert_eq!(i["provider"]["attributes"]["data_disk_gb"], 80, "the total minus the 20 GB root");
    let msg = refused(
        &admin,
        400,
        &format!("{P}/instances"),
        vm("y", "m1.large_disk20GB", "ubuntu-22.04"),
        Some("instance_type"),
    )
    .await;
    assert!(msg.contains("not more than the 20 GB root disk"), "{msg}");

    // The provider refuses a root disk of the wrong size with its general error.
    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    general_error(provider_root_disk(&sim, "r", "ubuntu-22.04", 30, "SSD").await);
}

/// Rule 6: data disks HDD / SSD-Provisioned with their sizes, only in the connection's zone.
#[tokio::test]
async fn kt_rule6_data_disk_types_sizes_and_zone() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    let vols = format!("{P}/volumes");
    let v = admin.create("p", &vols, json!({"name": "d1", "size_gb": 100, "connection": "kt"})).await;
    assert_eq!(v["volume_type"], "HDD", "the provider's default type");
    let v = admin
        .create("p", &vols, json!({"name": "d2", "size_gb": 800, "connection": "kt", "volume_type": "SSD-Provisioned"}))
        .await;
    assert_eq!(v["volume_type"], "SSD-Provisioned");
    let msg = refused(
        &admin,
        400,
        &vols,
        json!({"name": "d3", "size_gb": 100, "connection": "kt", "volume_type": "SSD"}),
        Some("volume_type"),
    )
    .await;
    assert!(msg.contains("HDD, SSD-Provisioned"), "{msg}");
    let msg =
        refused(&admin, 400, &vols, json!({"name": "d3", "size_gb": 600, "connection": "kt"}), Some("size_gb")).await;
    assert!(msg.contains("10–500 GB"), "{msg}");
    refused(&admin, 400, &vols, json!({"name": "d3", "size_gb": 5, "connection": "kt"}), Some("size_gb")).await;
    let msg = refused(
        &admin,
        400,
        &vols,
        json!({"name": "d3", "size_gb": 100, "connection": "kt", "zone": "sim-1b"}),
        Some("zone"),
    )
    .await;
    assert!(msg.contains("only in the connection's zone sim-1a"), "{msg}");

    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    let far = CreateSpec::Disk {
        name: "far".into(),
        tag: "far".into(),
        size_gb: 100,
        zone: "sim-1b".into(),
        volume_type: "HDD".into(),
        source: DiskSource::Blank,
    };
    general_error(sim.create(far).await);
}

/// Rule 7: my-image only from a stopped VM; not deletable in its first hour.
#[tokio::test]
async fn kt_rule7_my_images_from_stopped_vms_and_kept_an_hour() {
    let api = Api::start().await;
    let admin = kt(&api).await;
    admin.create("p", &format!("{P}/instances"), vm("web", "t1.small", "ubuntu-22.04")).await;
    let path = format!("{P}/instances/web/create-image");
    let msg = refused(&admin, 409, &path, json!({"name": "mine"}), None).await;
    assert!(msg.contains("only from a stopped VM"), "{msg}");
    // The provider, asked directly for an image of the running VM's disk, refuses tersely.
    let sim = provider_of(&api, &admin, "kt", kt_settings()).await;
    let running = sim.list(ResourceKind::Vm).await.unwrap().remove(0);
    let disk = running.attr_str("root_disk").unwrap().to_string();
    general_error(sim.create(CreateSpec::Image { name: "live".into(), tag: "live".into(), disk }).await);
    admin.act("p", "web", "stop", None).await;
    let i = admin.expect(202, Method::POST, &path, Some(json!({"name": "mine"}))).await;
    admin.settle("p", &i).await;
    let r = admin.send(Method::DELETE, &format!("{P}/images/mine"), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let msg = r.error()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("can be deleted in 59 min") || msg.contains("can be deleted in 60 min"), "{msg}");
    assert_eq!(admin.get(&format!("{P}/images/mine")).await["state"], "Active", "nothing changed");
}

/// KakaoCloud (SPEC §4): SSD volumes of 1–5,120 GB.
#[tokio::test]
async fn kakaocloud_volumes_are_ssd_only() {
    let api = Api::start().await;
    let admin = api.admin();
    connection(&admin, "kakao", "kakaocloud").await;
    admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p"}))).await;
    let vols = format!("{P}/volumes");
    let v = admin.create("p", &vols, json!({"name": "d", "size_gb": 5120, "connection": "kakao"})).await;
    assert_eq!((v["volume_type"].as_str(), v["state"].as_str()), (Some("SSD"), Some("Available")));
    let msg = refused(
        &admin,
        400,
        &vols,
        json!({"name": "h", "size_gb": 10, "connection": "kakao", "volume_type": "HDD"}),
        Some("volume_type"),
    )
    .await;
    assert!(msg.contains("KakaoCloud offers SSD"), "{msg}");
    refused(&admin, 400, &vols, json!({"name": "h", "size_gb": 5121, "connection": "kakao"}), Some("size_gb")).await;
}

/// A VM made at the provider behind gureum's back is registered and then managed like
/// any other; unregistering forgets it and leaves it running at the provider.
#[tokio::test]
async fn a_vm_made_behind_gureums_back_is_adopted_and_managed() {
    let api = Api::start().await;
    let admin = api.admin();
    admin.project_with_network("p").await;
    let sim = provider_of(&api, &admin, "fast", json!({"latency_ms": 0})).await;
    let disk = provider_root_disk(&sim, "stray-root", "ubuntu-22.04", 20, "SSD").await.unwrap();
    let stray = sim.create(CreateSpec::Vm(vm_spec("stray", &disk, "t1.medium", 2, 4096))).await.unwrap();

    let drift = admin.get("/v1/connections/fast/drift").await;
    let orphans: Vec<&str> =
        drift["only_in_provider"].as_array().unwrap().iter().filter_map(|i| i["provider_id"].as_str()).collect();
    assert!(orphans.contains(&stray.id.as_str()), "{drift}");

    // A public IP attached to the VM is not adopted on its own.
    let ip = sim.create(CreateSpec::PublicIp { name: "on-stray".into(), tag: "x".into(), zone: "sim-1a".into() });
    let ip = ip.await.unwrap();
    sim.public_ip_associate(&ip.id, &stray.id).await.unwrap();
    let body = json!({"kind": "public_ip", "provider_id": ip.id, "project": "p", "name": "ip"});
    let msg = refused(&admin, 409, "/v1/connections/fast/drift/adopt", body, None).await;
    assert!(msg.contains(&format!("attached to vm {}", stray.id)), "{msg}");
    sim.public_ip_disassociate(&ip.id, &stray.id).await.unwrap();

    let adopt = json!({"kind": "vm", "provider_id": stray.id, "project": "p", "name": "found", "subnet": "net"});
    let item = admin.expect(201, Method::POST, "/v1/connections/fast/drift/adopt", Some(adopt.clone())).await;
    assert_eq!((item["gureum_type"].as_str(), item["state"].as_str()), (Some("instance"), Some("Active")));
    let again = admin.send(Method::POST, "/v1/connections/fast/drift/adopt", Some(&adopt)).await;
    assert_eq!(again.status, 409, "adopted once: {}", again.text);

    let i = admin.get(&format!("{P}/instances/found")).await;
    assert_eq!((i["state"].as_str(), i["instance_type"].as_str()), (Some("Active"), Some("t1.medium")));
    assert_eq!(admin.act("p", "found", "stop", None).await["state"], "Stopped");
    assert_eq!(sim.get(ResourceKind::Vm, &stray.id).await.unwrap().status.as_str(), "stopped");
    assert_eq!(admin.act("p", "found", "start", None).await["state"], "Active");
    let drift = admin.get("/v1/connections/fast/drift").await;
    let mapped: Vec<&str> =
        drift["mapped"].as_array().unwrap().iter().filter_map(|i| i["provider_id"].as_str()).collect();
    assert!(mapped.contains(&stray.id.as_str()) && mapped.contains(&disk.as_str()), "{drift}");

    let forget = json!({"kind": "vm", "project": "p", "name": "found"});
    let r = admin.send(Method::POST, "/v1/connections/fast/drift/unregister", Some(&forget)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(admin.send(Method::GET, &format!("{P}/instances/found"), None).await.status, 404);
    assert_eq!(sim.get(ResourceKind::Vm, &stray.id).await.unwrap().status.as_str(), "running", "the provider keeps it");

    // An orphan disk can be deleted from the drift view.
    let loose = sim
        .create(CreateSpec::Disk {
            name: "loose".into(),
            tag: "x".into(),
            size_gb: 5,
            zone: "sim-1a".into(),
            volume_type: "SSD".into(),
            source: DiskSource::Blank,
        })
        .await
        .unwrap();
    let r = admin
        .send(
            Method::POST,
            "/v1/connections/fast/drift/delete",
            Some(&json!({"kind": "disk", "provider_id": loose.id})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(sim.get(ResourceKind::Disk, &loose.id).await.is_err(), "deleted");
}

/// The provider ids listed in `drift` `section` (`mapped`, `only_in_provider`…).
fn drift_ids(drift: &Value, section: &str) -> Vec<String> {
    drift[section].as_array().unwrap().iter().filter_map(|i| i["provider_id"].as_str().map(str::to_string)).collect()
}

/// A VPC, a key pair and a static public IP made behind gureum's back are adopted,
/// listed in the project and used, and a subnet and security group (with its rules)
/// under the adopted VPC; an unregistered key pair is drift again while the provider
/// keeps it.
#[tokio::test]
async fn network_resources_made_behind_gureums_back_are_adopted_and_unregistered() {
    let api = Api::start().await;
    let admin = api.admin();
    admin.expect(201, Method::POST, "/v1/projects", Some(json!({"name": "p"}))).await;
    let sim = provider_of(&api, &admin, "fast", json!({"latency_ms": 0})).await;
    let tag = || "made-by-hand".to_string();
    let vpc =
        sim.create(CreateSpec::Vpc { name: "hand".into(), tag: tag(), cidr: "10.9.0.0/16".into() }).await.unwrap();
    let key = sim
        .create(CreateSpec::KeyPair { name: "hand".into(), tag: tag(), public_key: support::PUBLIC_KEY.into() })
        .await
        .unwrap();
    let ip = sim.create(CreateSpec::PublicIp { name: "hand".into(), tag: tag(), zone: "sim-1a".into() }).await.unwrap();
    let address = sim.get(ResourceKind::PublicIp, &ip.id).await.unwrap().attrs["address"].clone();

    let drift = admin.get("/v1/connections/fast/drift").await;
    for id in [&vpc.id, &key.id, &ip.id] {
        assert!(drift_ids(&drift, "only_in_provider").contains(id), "{id} in {drift}");
    }

    let adopt =
        |kind: &str, id: &str, name: &str| json!({"kind": kind, "provider_id": id, "project": "p", "name": name});
    for (body, gureum_type) in [
        (adopt("vpc", &vpc.id, "found-net"), "vpc"),
        (adopt("key_pair", &key.id, "found-key"), "key pair"),
        (adopt("public_ip", &ip.id, "found-ip"), "public IP"),
    ] {
        let item = admin.expect(201, Method::POST, "/v1/connections/fast/drift/adopt", Some(body)).await;
        assert_eq!((item["gureum_type"].as_str(), item["state"].as_str()), (Some(gureum_type), Some("Available")));
    }
    let drift = admin.get("/v1/connections/fast/drift").await;
    for id in [&vpc.id, &key.id, &ip.id] {
        assert!(drift_ids(&drift, "mapped").contains(id), "{id} mapped in {drift}");
        assert!(!drift_ids(&drift, "only_in_provider").contains(id), "{id} no longer drift: {drift}");
    }

    let v = admin.get(&format!("{P}/vpcs/found-net")).await;
    assert_eq!((v["state"].as_str(), v["cidr"].as_str()), (Some("Available"), Some("10.9.0.0/16")), "{v}");
    let k = admin.get(&format!("{P}/key-pairs/found-key")).await;
    assert_eq!(k["state"], "Available", "{k}");
    assert!(k["fingerprint"].as_str().unwrap().starts_with("SHA256:"), "{k}");
    let i = admin.get(&format!("{P}/public-ips/found-ip")).await;
    assert_eq!((&i["state"], &i["address"]), (&json!("Available"), &address), "{i}");
    for (list, name) in [("vpcs", "found-net"), ("key-pairs", "found-key"), ("public-ips", "found-ip")] {
        let page = admin.get(&format!("{P}/{list}")).await;
        let names: Vec<&str> = page["items"].as_array().unwrap().iter().filter_map(|x| x["name"].as_str()).collect();
        assert_eq!(names, [name], "{list}: {page}");
    }

    // The adopted VPC is used like any other: a subnet is made in it at the provider.
    let subnet = admin
        .create("p", &format!("{P}/vpcs/found-net/subnets"), json!({"name": "inner", "cidr": "10.9.0.0/20"}))
        .await;
    assert_eq!(subnet["state"], "Available", "{subnet}");
    let at_provider = sim.list(ResourceKind::Subnet).await.unwrap();
    assert!(at_provider.iter().any(|s| s.attr_str("vpc") == Some(vpc.id.as_str())), "{at_provider:?}");

    // A subnet and a security group of that VPC made at the provider are adopted under it.
    let vpc_of = Some(vpc.id.clone());
    let sub = CreateSpec::Subnet {
        name: "hand".into(),
        tag: tag(),
        vpc: vpc_of.clone(),
        cidr: "10.9.16.0/20".into(),
        zone: "sim-1a".into(),
    };
    let sub = sim.create(sub).await.unwrap();
    let sg = sim.create(CreateSpec::SecurityGroup { name: "hand".into(), tag: tag(), vpc: vpc_of }).await.unwrap();
    let ssh = RuleSpec {
        id: "provider-rule".into(),
        direction: "inbound".into(),
        protocol: "tcp".into(),
        port_from: Some(22),
        port_to: Some(22),
        remote_cidr: "0.0.0.0/0".into(),
    };
    sim.security_group_set_rules(&sg.id, &[ssh]).await.unwrap();
    let adopt_url = "/v1/connections/fast/drift/adopt";
    let msg = refused(&admin, 400, adopt_url, adopt("subnet", &sub.id, "found-sub"), Some("vpc")).await;
    assert!(msg.contains("needs the VPC"), "{msg}");
    for (kind, id, name) in [("subnet", &sub.id, "found-sub"), ("security_group", &sg.id, "found-sg")] {
        let body = json!({"kind": kind, "provider_id": id, "project": "p", "name": name, "vpc": "found-net"});
        let item = admin.expect(201, Method::POST, adopt_url, Some(body)).await;
        assert_eq!(item["state"], "Available", "{item}");
    }
    let s = admin.get(&format!("{P}/vpcs/found-net/subnets/found-sub")).await;
    assert_eq!((s["state"].as_str(), s["cidr"].as_str()), (Some("Available"), Some("10.9.16.0/20")), "{s}");
    let rules = admin.get(&format!("{P}/security-groups/found-sg/rules")).await;
    let rules = rules.as_array().expect("a list of rules");
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!((rules[0]["port_from"].as_i64(), rules[0]["protocol"].as_str()), (Some(22), Some("tcp")), "{rules:?}");

    let forget_vpc = json!({"kind": "vpc", "project": "p", "name": "found-net"});
    let msg = refused(&admin, 409, "/v1/connections/fast/drift/unregister", forget_vpc, None).await;
    assert!(msg.contains("2 subnet(s) and 1 security group(s)"), "{msg}");
    let forget_sg = json!({"kind": "security_group", "project": "p", "name": "found-sg"});
    let r = admin.send(Method::POST, "/v1/connections/fast/drift/unregister", Some(&forget_sg)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(admin.send(Method::GET, &format!("{P}/security-groups/found-sg"), None).await.status, 404);

    let forget = json!({"kind": "key_pair", "project": "p", "name": "found-key"});
    let r = admin.send(Method::POST, "/v1/connections/fast/drift/unregister", Some(&forget)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(admin.send(Method::GET, &format!("{P}/key-pairs/found-key"), None).await.status, 404);
    assert_eq!(sim.get(ResourceKind::KeyPair, &key.id).await.unwrap().id, key.id, "the provider keeps it");
    let drift = admin.get("/v1/connections/fast/drift").await;
    assert!(drift_ids(&drift, "only_in_provider").contains(&key.id), "{drift}");
    assert!(drift_ids(&drift, "mapped").contains(&vpc.id), "{drift}");
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
