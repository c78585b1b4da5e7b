//! A public IP forwards every TCP port its VM's security groups open from 127.0.0.1, each
//! from a port of 127.0.0.1 it shows: port 22 from its address, the others from ports it
//! allocates; the forwards follow rule changes and stops, and no listener outlives a
//! detach or the VM.

use crate::common;

use common::{BOOT, Host};
use gureum_driver::{CreateSpec, DiskSource, Driver, ProviderStatus, ResourceKind, RuleSpec, VmAction};
use gureum_qemu::ZONE;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

fn inbound(port: i64) -> RuleSpec {
    RuleSpec {
        id: format!("in-{port}"),
        direction: "inbound".into(),
        protocol: "tcp".into(),
        port_from: Some(port),
        port_to: Some(port),
        remote_cidr: "0.0.0.0/0".into(),
    }
}

/// What the IP shows it forwards: guest port → port of 127.0.0.1.
async fn forwards(driver: &impl Driver, ip: &str) -> BTreeMap<u16, u16> {
    let view = driver.get(ResourceKind::PublicIp, ip).await.unwrap();
    serde_json::from_value(view.attrs["forwards"].clone()).unwrap()
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The page the guest's httpd serves on a forwarded port, once it does.
fn page(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    answer.contains(" 200 ").then_some(answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_ip_forwards_the_tcp_ports_its_security_groups_open() {
    let Some(host) = Host::new() else { return };
    let driver = &host.driver;
    let sg = CreateSpec::SecurityGroup { name: "web".into(), tag: "web-tag".into(), vpc: None };
    let sg = driver.create(sg).await.unwrap();
    driver.security_group_set_rules(&sg.id, &[inbound(22), inbound(80)]).await.unwrap();
    let disk = driver.create(common::disk("root", 1, DiskSource::Image("tiny-linux".into()))).await.unwrap();
    let mut spec = gureum_qemu::testing::tiny_vm("box", "box-tag", &disk.id);
    spec.security_groups = vec![sg.id.clone()];
    spec.user_data = Some("#!/bin/sh\nmkdir -p /www && echo hello > /www/index.html && httpd -p 80 -h /www\n".into());
    let vm = driver.create(CreateSpec::Vm(spec)).await.unwrap();
    let ip = CreateSpec::PublicIp { name: "ip".into(), tag: "ip-tag".into(), zone: ZONE.into() };
    let ip = driver.create(ip).await.unwrap();
    let address = ip.attr_str("address").unwrap().to_string();
    let own: u16 = address.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_eq!(forwards(driver, &ip.id).await, BTreeMap::new(), "a detached IP forwards nothing");

    driver.public_ip_associate(&ip.id, &vm.id).await.unwrap();
    let shown = forwards(driver, &ip.id).await;
    assert_eq!(shown.keys().copied().collect::<Vec<_>>(), [22, 80], "{shown:?}");
    assert_eq!(shown[&22], own, "port 22 is forwarded from the IP's address");
    let web = shown[&80];
    driver.wait(ResourceKind::Vm, &vm.id, &[ProviderStatus::Running], BOOT).await.unwrap();
    let answer = page(web).expect("the guest's httpd answers through the forward");
    assert!(answer.contains("hello"), "{answer}");

    // A rule removed closes its forward on the running VM; one added opens another.
    driver.security_group_set_rules(&sg.id, &[inbound(22), inbound(8080)]).await.unwrap();
    let shown = forwards(driver, &ip.id).await;
    assert_eq!(shown.keys().copied().collect::<Vec<_>>(), [22, 8080], "{shown:?}");
    assert!(!listening(web), "port 80's forward is gone");
    assert!(listening(shown[&8080]) && listening(own));

    // Stopped: nothing listens; started again: the same ports.
    driver.vm_action(&vm.id, VmAction::Stop { force: true }).await.unwrap();
    assert!(!listening(own) && !listening(shown[&8080]));
    driver.vm_action(&vm.id, VmAction::Start).await.unwrap();
    assert_eq!(forwards(driver, &ip.id).await, shown, "a forward keeps its port across a stop");
    assert!(listening(own) && listening(shown[&8080]));

    driver.public_ip_disassociate(&ip.id, &vm.id).await.unwrap();
    assert_eq!(forwards(driver, &ip.id).await, BTreeMap::new());
    assert!(!listening(own) && !listening(shown[&8080]), "a detached IP leaves no listener");
    driver.public_ip_associate(&ip.id, &vm.id).await.unwrap();
    let again = forwards(driver, &ip.id).await;
    assert!(listening(again[&8080]));
    driver.delete(ResourceKind::Vm, &vm.id).await.unwrap();
    assert!(!listening(own) && !listening(again[&8080]), "no listener outlives the VM");
    assert_eq!(forwards(driver, &ip.id).await, BTreeMap::new());
    driver.delete(ResourceKind::PublicIp, &ip.id).await.unwrap();
    driver.delete(ResourceKind::Disk, &disk.id).await.unwrap();
}
