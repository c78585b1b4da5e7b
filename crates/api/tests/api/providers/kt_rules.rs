//! KT Cloud Classic's seven rules (and KakaoCloud's volumes), each refused by gureum up
//! front with a clear message and by the simulated provider with its own terse answer.

use super::*;

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
