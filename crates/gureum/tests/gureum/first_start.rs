//! A new user's first `gureum serve` on a host with QEMU: nothing built by hand, the
//! server builds tiny-linux itself (or links the user's cached build) and offers the
//! connection `local`, its image and its node; a VM boots from it. With
//! `--no-guest-build` it says in one line why it runs on `sim` alone.

use crate::support;

use serde_json::json;
use support::Server;

const P: &str = "first";

fn qemu_usable() -> bool {
    match gureum_qemu::host_unusable() {
        None => true,
        Some(why) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must run the QEMU tests: {why}");
            eprintln!("skipping: {why}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_server_builds_tiny_linux_and_offers_local() {
    if !qemu_usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
    let (db, _db_dir) = gureum_store::testing::fresh_database().await.unwrap();
    let (server, said) = Server::spawn(&dir.path().join("one"), &db, &[]);
    let said = said.join("\n");
    assert!(said.contains("Connection `local` runs VMs on this host's QEMU"), "{said}");
    let images = dir.path().join("one/images/tiny-linux");
    for file in ["vmlinuz", "initrd.img", "disk.qcow2"] {
        assert!(images.join(file).is_file(), "{file} in the data directory's images: {said}");
    }
    // Each kernel a VM may be upgraded to is linked in too.
    let kernels: Vec<_> = std::fs::read_dir(images.join("kernels")).unwrap().flatten().collect();
    assert!(kernels.iter().all(|k| k.path().join("vmlinuz").is_file() && k.path().join("initrd.img").is_file()));
    assert!(!kernels.is_empty(), "kernels in the data directory's images: {said}");

    let c = server.client();
    let local = c.get("/v1/connections/local").await;
    assert_eq!(local["driver"], "qemu", "{local}");
    let image = c.get("/v1/images/tiny-linux").await;
    assert_eq!(image["state"], "Active", "{image}");
    let nodes = c.get("/v1/pools/local/nodes").await;
    assert_eq!(nodes[0]["name"], "local-1", "{nodes}");

    // The image the server made is one a VM boots from.
    c.network(P, "local").await;
    c.run(
        P,
        "instances",
        Some(json!({"name": "vm", "instance_type": "t1.micro", "image": "tiny-linux", "subnet": "net"})),
    )
    .await;
    let vm = c.get(&format!("/v1/projects/{P}/instances/vm")).await;
    assert_eq!(vm["state"], "Active", "{vm}");
    let log = c.get(&format!("/v1/projects/{P}/instances/vm/console")).await;
    assert!(log["output"].as_str().unwrap().contains("GUREUM-READY hostname=vm"), "{log}");
    c.run(P, "instances/vm", None).await;
    drop(server);

    // A second data directory gets the same build, linked or copied, not built again.
    let (db2, _db_dir2) = gureum_store::testing::fresh_database().await.unwrap();
    let (_two, said) = Server::spawn(&dir.path().join("two"), &db2, &[]);
    assert!(!said.join("\n").contains("Building"), "{said:?}");
    let kernel = |d: &str| std::fs::read(dir.path().join(d).join("images/tiny-linux/vmlinuz")).unwrap();
    assert_eq!(kernel("one"), kernel("two"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_building_a_server_says_why_it_runs_on_sim_alone() {
    if !qemu_usable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, _db_dir) = gureum_store::testing::fresh_database().await.unwrap();
    let (server, said) = Server::spawn(dir.path(), &db, &["--no-guest-build"]);
    let why: Vec<_> = said.iter().filter(|l| l.starts_with("No local QEMU connection")).collect();
    assert_eq!(why.len(), 1, "{said:?}");
    assert!(why[0].contains("no tiny-linux image in") && why[0].ends_with("running on the simulated cloud alone."));
    let (status, _) = server.client().call(reqwest::Method::GET, "/v1/connections/local", None).await;
    assert_eq!(status, 404);
    server.client().get("/v1/connections/sim").await;
}
