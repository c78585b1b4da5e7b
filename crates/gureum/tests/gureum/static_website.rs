//! The static-website template for real on the connection `local`: its web VMs boot
//! tiny-linux under QEMU, busybox httpd serves each page through the public IP's forward
//! of port 80, "Provisioned" means every page answered, and a return leaves no process,
//! disk or listening port behind. Skips when QEMU is not installed, unless CI=true.

use crate::qemu::{provider_files, qemu_processes};
use crate::support;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{Client, QemuHost, Server, eventually};

const P: &str = "sites";
/// Two tiny-linux guests boot and answer within this under TCG on a busy 2-core host.
const STACK: Duration = Duration::from_secs(240);

/// Follows the provisioning `site` until it is in `state`; fails on any other end.
async fn follow(c: &Client, state: &str) -> Value {
    eventually(STACK, &format!("site becoming {state}"), async || {
        let site = c.get(&format!("/v1/projects/{P}/provisionings/site")).await;
        match site["state"].as_str() {
            Some(s) if s == state => Ok(site),
            Some("Provisioning" | "Returning") => Err(site.to_string()),
            _ => panic!("site ended other than {state}: {site}"),
        }
    })
    .await
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_static_website_template_serves_its_pages_on_local_and_returns_without_a_trace() {
    let Some(host) = QemuHost::new().await else { return };
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    c.network(P, "local").await;
    c.run(P, "key-pairs", Some(json!({"name": "k", "connection": "local"}))).await;

    let asked = Instant::now();
    let parameters = json!({"vpc": "net", "subnet": "net", "key_pair": "k", "node_count": 2});
    c.post(
        &format!("/v1/projects/{P}/provisionings"),
        json!({"name": "site", "template": "static-website", "parameters": parameters}),
    )
    .await;
    follow(&c, "Provisioned").await;
    println!("static-website, 2 web VMs on local: Provisioned in {:.1} s", asked.elapsed().as_secs_f64());

    let info = c.get(&format!("/v1/projects/{P}/provisionings/site/installation-info")).await;
    let access = info["access"].as_array().expect("access entries");
    assert_eq!(access.len(), 2, "one page per web VM: {info}");
    let mut ports = vec![];
    for a in access {
        let url = a["url"].as_str().expect("a url");
        let page = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(page.status(), 200, "{url}");
        let body = page.text().await.unwrap();
        assert!(body.contains("<h1>site</h1>"), "the page names the provisioning: {body}");
        ports.push(a["port"].as_u64().expect("a port") as u16);
    }
    // The web VMs' port 22 forwards, at their public IPs' addresses.
    for vm in c.list_all(&format!("/v1/projects/{P}/instances")).await {
        let address = vm["public_ip"]["address"].as_str().unwrap_or_else(|| panic!("a public IP: {vm}"));
        ports.push(address.rsplit(':').next().unwrap().parse().unwrap());
    }
    assert!(ports.iter().all(|p| listening(*p)), "every forward listens: {ports:?}");

    let returned = Instant::now();
    c.post(&format!("/v1/projects/{P}/provisionings/site/return"), json!({"confirm": "site"})).await;
    follow(&c, "Returned").await;
    println!("static-website returned in {:.1} s", returned.elapsed().as_secs_f64());
    assert!(qemu_processes(host.path()).is_empty(), "no QEMU process is left");
    assert_eq!(provider_files(host.path()), Vec::<PathBuf>::new(), "no VM directory, disk or IP is left");
    let left: Vec<u16> = ports.into_iter().filter(|p| listening(*p)).collect();
    assert!(left.is_empty(), "no forward listens any more: {left:?}");
}
