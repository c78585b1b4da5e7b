//! Real VMs: a `gureum serve` on this host's QEMU boots the tiny-linux guest it builds
//! (images/tiny-linux/build.sh) on the connection `local`, and every lifecycle action
//! reaches the QEMU process and shows in the guest, whose init reports its identity,
//! shape and disks on the serial console. Skips when QEMU is not installed, unless CI=true.

use crate::support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{Client, QemuHost, Server, banner, eventually};

const P: &str = "vms";

/// The pids of the QEMU processes under the server's data directory that are alive.
pub(crate) fn qemu_processes(data_dir: &Path) -> Vec<u32> {
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

/// Files the driver keeps (VM directories, disks, port forwards, images, snapshots), by
/// connection.
pub(crate) fn provider_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for conn in std::fs::read_dir(data_dir.join("qemu")).into_iter().flatten().flatten() {
        for sub in ["vms", "disks", "ips", "images", "snapshots"] {
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

/// Runs an action and waits for its operation to succeed; returns what the POST answered.
async fn run(c: &Client, path: &str, body: Value) -> Value {
    let accepted = c.post(&format!("/v1/projects/{P}/{path}"), body).await;
    let op = c.wait_op(P, accepted["operation_id"].as_str().unwrap_or_else(|| panic!("{path}: {accepted}"))).await;
    assert_eq!(op["status"], "succeeded", "{path}: {op}");
    accepted
}

async fn delete(c: &Client, path: &str) {
    let del = c.call(reqwest::Method::DELETE, &format!("/v1/projects/{P}/{path}"), None).await;
    assert!((200..300).contains(&del.0), "{path}: {del:?}");
    let op = c.wait_op(P, del.1["operation_id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "succeeded", "{path}: {op}");
}

/// An action on the instance `web`; returns the instance after it.
async fn act(c: &Client, verb: &str, body: Value) -> Value {
    run(c, &format!("instances/web/{verb}"), body).await;
    c.get(&format!("/v1/projects/{P}/instances/web")).await
}

async fn console(c: &Client, instance: &str) -> String {
    c.get(&format!("/v1/projects/{P}/instances/{instance}/console")).await["output"].as_str().unwrap().to_string()
}

fn markers(log: &str) -> usize {
    log.matches("GUREUM-READY").count()
}

/// What the guest printed since its last boot began.
fn last_boot(log: &str) -> &str {
    log.rfind("Linux version").map_or(log, |at| &log[at..])
}

/// The value of `key=` in the guest's last readiness line.
fn ready_value(log: &str, key: &str) -> u64 {
    let line = log.lines().rfind(|l| l.contains("GUREUM-READY")).expect("a readiness line");
    let value = line.split_whitespace().find_map(|w| w.strip_prefix(&format!("{key}="))).expect(key);
    value.parse().unwrap_or_else(|_| panic!("{key} in {line}"))
}

/// Waits until the guest of `instance` has printed `line` since its last boot.
async fn guest_says(c: &Client, instance: &str, line: &str) {
    eventually(Duration::from_secs(30), &format!("{instance} printing {line:?}"), async || {
        let log = console(c, instance).await;
        if last_boot(&log).contains(line) { Ok(()) } else { Err(last_boot(&log).to_string()) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tiny_linux_vm_follows_every_lifecycle_action() {
    let Some(host) = QemuHost::new().await else { return };
    let server = Server::start(host.path(), &host.db);
    let c = server.client();
    let local = c.get("/v1/connections/local").await;
    assert_eq!(local["driver"], "qemu", "{local}");
    c.network(P, "local").await;
    let key = c.post(&format!("/v1/projects/{P}/key-pairs"), json!({"name": "k", "connection": "local"})).await;
    let fingerprint = key["fingerprint"].as_str().expect("a fingerprint").to_string();
    // An instance may only use the key pair once it is Available.
    c.wait_op(P, key["operation_id"].as_str().expect("the key pair's operation")).await;
    for volume in ["data", "extra"] {
        run(&c, "volumes", json!({"name": volume, "size_gb": 1, "connection": "local"})).await;
    }

    // Create, with a data volume that is hot-plugged once the guest runs.
    let asked = Instant::now();
    run(
        &c,
        "instances",
        json!({"name": "web", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net",
               "security_groups": ["sg"], "key_pair": "k", "public_ip": "ephemeral", "volumes": ["data"]}),
    )
    .await;
    println!("API create → guest ready (Active): {:.1} s", asked.elapsed().as_secs_f64());
    let web = c.get(&format!("/v1/projects/{P}/instances/web")).await;
    assert_eq!(web["state"], "Active", "{web}");
    let log = console(&c, "web").await;
    assert!(
        log.contains(&format!("GUREUM-READY hostname=web key={fingerprint} cpus=1")),
        "the guest got its hostname and the key pair's key: {log}"
    );
    let small_mem = ready_value(&log, "mem");
    guest_says(&c, "web", "tiny-linux: disk vdb added size=1073741824").await;
    let pids = qemu_processes(host.path());
    assert_eq!(pids.len(), 1, "one QEMU process per VM");
    println!("RSS of the idle VM's QEMU process: {} MiB", rss_kib(pids[0]) / 1024);
    let cmdline = std::fs::read_to_string(format!("/proc/{}/cmdline", pids[0])).unwrap();
    assert!(cmdline.contains("restrict=on"), "no outbound rule: the guest is cut off from outside: {cmdline}");
    let address = web["public_ip"]["address"].as_str().expect("a public address").to_string();

    // Security groups: the forward to port 22 exists only while a rule lets it in.
    assert_eq!(banner(&address), None, "no rule of the VM's security group lets port 22 in");
    let rules = "security-groups/sg/rules";
    let ssh = run(&c, rules, json!({"direction": "inbound", "protocol": "tcp", "port_from": 22})).await;
    let dns = run(&c, rules, json!({"direction": "inbound", "protocol": "udp", "port_from": 53})).await;
    let sg = c.get(&format!("/v1/projects/{P}/security-groups/sg")).await;
    let rule = |id: &Value| sg["rules"].as_array().unwrap().iter().find(|r| r["id"] == *id).cloned().unwrap();
    assert_eq!(rule(&ssh["id"])["applied"], true, "{sg}");
    let dns = rule(&dns["id"]);
    assert_eq!(dns["applied"], false, "{sg}");
    assert!(dns["note"].as_str().unwrap().contains("TCP ports only"), "the note says why: {dns}");
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux web"), "the forward reaches the guest's port 22");

    // A volume hot-plugged, grown and unplugged while the guest runs.
    run(&c, "volumes/extra/attach", json!({"instance": "web"})).await;
    guest_says(&c, "web", "tiny-linux: disk vdc added size=1073741824").await;
    run(&c, "volumes/extra/extend", json!({"size_gb": 2})).await;
    guest_says(&c, "web", "tiny-linux: disk vdc resized size=2147483648").await;
    run(&c, "volumes/extra/detach", json!({})).await;
    guest_says(&c, "web", "tiny-linux: disk vdc removed").await;
    assert_eq!(c.get(&format!("/v1/projects/{P}/volumes/extra")).await["state"], "Available");

    // A snapshot of a volume the running guest has open, taken live; a volume made from
    // it is hot-plugged into the same guest.
    run(&c, "volumes/data/snapshots", json!({"name": "data-snap"})).await;
    let snap = c.get(&format!("/v1/projects/{P}/volumes/data/snapshots/data-snap")).await;
    assert_eq!(snap["state"], "Available", "{snap}");
    assert_eq!(markers(&console(&c, "web").await), 1, "the guest ran on through the snapshot");
    run(&c, "volumes", json!({"name": "restored", "size_gb": 2, "connection": "local", "snapshot": "data-snap"})).await;
    run(&c, "volumes/restored/attach", json!({"instance": "web"})).await;
    guest_says(&c, "web", "added size=2147483648").await;
    run(&c, "volumes/restored/detach", json!({})).await;
    delete(&c, "volumes/restored").await;
    delete(&c, "volumes/data/snapshots/data-snap").await;

    let web = act(&c, "stop", json!({})).await;
    assert_eq!(web["state"], "Stopped", "{web}");
    assert!(qemu_processes(host.path()).is_empty(), "a stopped VM has no process");
    assert!(console(&c, "web").await.contains("reboot: Power down"), "the guest powered off on ACPI, not killed");
    assert_eq!(banner(&address), None, "the ephemeral IP's forward is gone with it");

    let web = act(&c, "start", json!({})).await;
    assert_eq!(web["state"], "Active", "{web}");
    let log = console(&c, "web").await;
    assert_eq!(markers(&log), 2, "the guest booted again");
    let boot = last_boot(&log);
    assert!(boot.contains("disk vdb added") && !boot.contains("vdc"), "only the attached volume is back: {boot}");
    let address = web["public_ip"]["address"].as_str().expect("a public address on start").to_string();
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux web"));

    let pid = qemu_processes(host.path());
    assert_eq!(act(&c, "reboot", json!({"type": "soft"})).await["state"], "Active");
    let log = console(&c, "web").await;
    assert_eq!(markers(&log), 3, "a soft reboot boots the guest again");
    assert!(log.contains("Requesting system reboot"), "the guest's init rebooted it");
    assert_eq!(act(&c, "reboot", json!({"type": "hard"})).await["state"], "Active");
    assert_eq!(markers(&console(&c, "web").await), 4, "a hard reboot boots the guest again");
    assert_eq!(qemu_processes(host.path()), pid, "reboots keep the process");

    // Shelved: no VM, the disks kept; unshelved: a new VM boots from the same root disk.
    let web = act(&c, "shelve", json!({})).await;
    assert_eq!(web["state"], "Shelved_offloaded", "{web}");
    assert!(qemu_processes(host.path()).is_empty(), "a shelved instance has no process");
    let disks = provider_files(host.path()).into_iter().filter(|f| f.extension().is_some_and(|e| e == "qcow2")).count();
    assert_eq!(disks, 3, "the root disk and both volumes are kept while shelved");
    let web = act(&c, "unshelve", json!({})).await;
    assert_eq!(web["state"], "Active", "{web}");
    let log = console(&c, "web").await;
    assert!(log.contains("GUREUM-READY hostname=web"), "the guest booted again: {log}");
    guest_says(&c, "web", "tiny-linux: disk vdb added size=1073741824").await;

    // Resized: the VM restarts with the new shape, and the guest sees it; a revert
    // restarts it with the old one.
    let web = act(&c, "resize", json!({"instance_type": "t1.medium"})).await;
    assert_eq!(web["state"], "Resized", "{web}");
    assert_eq!(ready_value(&console(&c, "web").await, "cpus"), 2, "the guest sees the new vCPUs");
    let web = act(&c, "revert-resize", json!({})).await;
    assert_eq!(web["state"], "Active", "{web}");
    let log = console(&c, "web").await;
    assert_eq!(ready_value(&log, "cpus"), 1, "the old vCPUs are back");
    // The kernel's own reservations move MemTotal by a few KiB from boot to boot.
    assert!(ready_value(&log, "mem").abs_diff(small_mem) < small_mem / 100, "the old memory is back: {log}");
    let web = act(&c, "resize", json!({"instance_type": "t1.medium"})).await;
    assert_eq!(web["state"], "Resized", "{web}");
    let log = console(&c, "web").await;
    assert_eq!(ready_value(&log, "cpus"), 2, "the guest sees the new vCPUs");
    assert!(ready_value(&log, "mem") > small_mem, "the guest sees the new memory: {log}");
    guest_says(&c, "web", "tiny-linux: disk vdb added size=1073741824").await;
    assert_eq!(act(&c, "confirm-resize", json!({})).await["state"], "Active");
    let address = c.get(&format!("/v1/projects/{P}/instances/web")).await["public_ip"]["address"]
        .as_str()
        .expect("a public address")
        .to_string();
    assert_eq!(banner(&address).as_deref(), Some("SSH-2.0-tiny-linux web"));
    delete(&c, &format!("{rules}/{}", ssh["id"].as_str().unwrap())).await;
    assert_eq!(banner(&address), None, "without its rule the running VM's forward is gone");

    // My-image: the stopped VM's disk, flattened; a second VM boots from it.
    assert_eq!(act(&c, "stop", json!({})).await["state"], "Stopped");
    run(&c, "instances/web/create-image", json!({"name": "web-image"})).await;
    let image = c.get(&format!("/v1/projects/{P}/images/web-image")).await;
    assert_eq!(image["state"], "Active", "{image}");
    run(
        &c,
        "instances",
        json!({"name": "copy", "instance_type": "t1.micro", "image": "web-image", "subnet": "net",
               "security_groups": ["sg"]}),
    )
    .await;
    assert!(console(&c, "copy").await.contains("GUREUM-READY hostname=copy"), "the copy boots");

    delete(&c, "instances/copy").await;
    delete(&c, "instances/web").await;
    for volume in ["data", "extra"] {
        delete(&c, &format!("volumes/{volume}")).await;
    }
    delete(&c, "images/web-image").await;
    assert!(qemu_processes(host.path()).is_empty(), "no QEMU process is left");
    assert_eq!(provider_files(host.path()), Vec::<PathBuf>::new(), "no VM directory, disk, image or forward is left");
    assert_eq!(banner(&address), None, "no port forward is left");
}
