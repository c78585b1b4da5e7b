//! Resources made behind gureum's back: adopted under a gureum name and managed, or
//! unregistered again.

use super::*;

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

    // Adopted, it counts against the project's quotas as a create would: refused while
    // there is no room, and nothing is recorded then.
    let adopt = json!({"kind": "vm", "provider_id": stray.id, "project": "p", "name": "found", "subnet": "net"});
    admin.expect(200, Method::PUT, "/v1/projects/p/quota", Some(json!({"vcpus": 1}))).await;
    let r = admin.send(Method::POST, "/v1/connections/fast/drift/adopt", Some(&adopt)).await;
    assert_eq!((r.status, r.error()["code"].as_str()), (409, Some("quota_exceeded")), "{}", r.text);
    assert_eq!(admin.send(Method::GET, &format!("{P}/instances/found"), None).await.status, 404);
    admin.expect(200, Method::PUT, "/v1/projects/p/quota", Some(json!({"vcpus": 4}))).await;
    let item = admin.expect(201, Method::POST, "/v1/connections/fast/drift/adopt", Some(adopt.clone())).await;
    let quota = admin.get("/v1/projects/p/quota").await;
    let used =
        |q: &Value| (q["vcpus"]["used"].as_i64(), q["instances"]["used"].as_i64(), q["volume_gb"]["used"].as_i64());
    assert_eq!(used(&quota), (Some(2), Some(1), Some(20)), "t1.medium and its 20 GB root: {quota}");
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
    let quota = admin.get("/v1/projects/p/quota").await;
    assert_eq!(used(&quota), (Some(0), Some(0), Some(0)), "forgotten, it holds nothing: {quota}");

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
