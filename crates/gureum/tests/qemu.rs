//! Real VMs: a `gureum serve` on this host's QEMU boots the tiny-linux guest it builds
//! (images/tiny-linux/build.sh) on the connection `local`, and every power action reaches
//! the QEMU process. Skips when QEMU is not installed, unless CI=true.

mod support;

use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{Client, Server};

const P: &str = "vms";

/// The pids of the QEMU processes under the server's data directory that are alive.
fn qemu_processes(data_dir: &Path) -> Vec<u32> {
    let mut pids = vec![];
    for conn in std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten() {
        for vm in std::fs::read_dir(conn.path().join("vms")).into_iter().flatten().flatten() {
            let Ok(pid) = std::fs::read_to_string(vm.path().join("qemu.pid")) else { continue };
            let pid: u32 = pid.trim().parse().expect("a pid");
            if Path::new(&format!("/proc/{pid}")).exists() {
                pids.push(pid);
            }
        }
    }
    pids
}

/// Files the driver keeps (VM directories, disks, port forwards), by connection.
fn provider_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for conn in std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten() {
        for sub in ["vms", "disks", "ips"] {
            files.extend(std::fs::read_dir(conn.path().join(sub)).into_iter().flatten().flatten().map(|e| e.path()));
        }
    }
    files
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The banner behind a port forward, if something answers there.
fn banner(address: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(&address.parse().ok()?, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).ok()?;
    (n > 0).then(|| String::from_utf8_lossy(&buf[..n]).trim().to_string())
}

async fn act(c: &Client, verb: &str, body: Value) -> Value {
    let i = c.post(&format!("/v1/projects/{P}/instances/web/{verb}"), body).await;
    let op = c.wait_op(P, i["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{verb}: {op}");
    c.get(&format!("/v1/projects/{P}/instances/web")).await
}

async fn console(c: &Client) -> String {
    c.get(&format!("/v1/projects/{P}/instances/web/console")).await["output"].as_str().unwrap().to_string()
}

fn markers(log: &str) -> usize {
    log.matches("GUREUM-READY").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tiny_linux_vm_boots_and_follows_every_power_action() {
    let Some(images) = gureum_qemu::testing::images_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
    std::fs::create_dir_all(dir.path().join("images")).unwrap();
    std::os::unix::fs::symlink(images.join("tiny-linux"), dir.path().join("images/tiny-linux")).unwrap();
    let (db, _g) = gureum_store::testing::fresh_database().await.unwrap();
    let server = Server::start(dir.path(), &db);
    let c = server.client();
    let local = c.get("/v1/connections/local").await;
    assert_eq!(local["driver"], "qemu", "{local}");
    c.network(P, "local").await;
    let key = c.post(&format!("/v1/projects/{P}/key-pairs"), json!({"name": "k", "connection": "local"})).await;
    let fingerprint = key["fingerprint"].as_str().expect("a fingerprint").to_string();

    let asked = Instant::now();
    let created = c
        .post(
            &format!("/v1/projects/{P}/instances"),
            json!({"name": "web", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
                   "security_groups": ["sg"], "key_pair": "k", "public_ip": "ephemeral"}),
        )
        .await;
    let op = c.wait_op(P, created["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    println!("API create → guest ready (Active): {:.1} s", asked.elapsed().as_secs_f64());
    let web = c.get(&format!("/v1/projects/{P}/instances/web")).await;
    assert_eq!(web["state"], "Active", "{web}");
    let log = console(&c).await;
    assert!(
        log.contains(&format!("GUREUM-READY hostname=web key={fingerprint}")),
        "the guest got its hostname and the key pair's key: {log}"
    );
    let pids = qemu_processes(dir.path());
    assert_eq!(pids.len(), 1, "one QEMU process per VM");
    println!("RSS of the idle VM's QEMU process: {} MiB", rss_kib(pids[0]) / 1024);
    let address = web["public_ip"]["address"].as_str().expect("a public address").to_string();
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux web"), "the forward reaches the guest's port 22");

    let web = act(&c, "stop", json!({})).await;
    assert_eq!(web["state"], "Stopped", "{web}");
    assert!(qemu_processes(dir.path()).is_empty(), "a stopped VM has no process");
    assert!(console(&c).await.contains("reboot: Power down"), "the guest powered off on ACPI, not killed");
    assert_eq!(banner(&address), None, "the ephemeral IP's forward is gone with it");

    let web = act(&c, "start", json!({})).await;
    assert_eq!(web["state"], "Active", "{web}");
    assert_eq!(markers(&console(&c).await), 2, "the guest booted again");
    let address = web["public_ip"]["address"].as_str().expect("a public address on start").to_string();
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux web"));

    let pid = qemu_processes(dir.path());
    assert_eq!(act(&c, "reboot", json!({"type": "soft"})).await["state"], "Active");
    let log = console(&c).await;
    assert_eq!(markers(&log), 3, "a soft reboot boots the guest again");
    assert!(log.contains("Requesting system reboot"), "the guest's init rebooted it");
    assert_eq!(act(&c, "reboot", json!({"type": "hard"})).await["state"], "Active");
    assert_eq!(markers(&console(&c).await), 4, "a hard reboot boots the guest again");
    assert_eq!(qemu_processes(dir.path()), pid, "reboots keep the process");

    let del = c.call(reqwest::Method::DELETE, &format!("/v1/projects/{P}/instances/web"), None).await;
    assert!((200..300).contains(&del.0), "{del:?}");
    let op = c.wait_op(P, del.1["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert!(qemu_processes(dir.path()).is_empty(), "no QEMU process is left");
    assert_eq!(provider_files(dir.path()), Vec::<PathBuf>::new(), "no VM directory, disk or forward is left");
    assert_eq!(banner(&address), None, "no port forward is left");
}
