//! Several `gureum serve` processes on one PostgreSQL database: singleton work runs on
//! one of them at a time and moves when its server dies; all of them must seal with the
//! same secret key. (PostgreSQL only: SQLite is one server's database.)

use crate::support::shared::{join_dir, shared_database};
use crate::support::{self, Server};
use std::time::Duration;

/// Which singleton workers this server holds the lease of, from its `/metrics`.
async fn leases_held(server: &Server) -> Vec<String> {
    let text = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("gureum_worker_lease_held{worker=\""))
        .filter_map(|l| l.split_once("\"} "))
        .filter(|(_, v)| v.trim() == "1")
        .map(|(w, _)| w.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn singleton_workers_run_on_one_server_and_move_when_it_dies() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = Server::start_shared(&dir.path().join("a"), &db, &[]);
    join_dir(&dir.path().join("a"), &dir.path().join("b"));
    let b = Server::start_shared(&dir.path().join("b"), &db, &[]);
    let singletons = ["reconciler", "maintenance_scheduler", "maintenance_upcoming", "history_log_purge"];
    let (held_by_a, held_by_b) = support::eventually(Duration::from_secs(20), "every singleton held", async || {
        let (ha, hb) = (leases_held(&a).await, leases_held(&b).await);
        match singletons.iter().all(|w| ha.iter().chain(&hb).any(|h| h == w)) {
            true => Ok((ha, hb)),
            false => Err(format!("a holds {ha:?}, b holds {hb:?}")),
        }
    })
    .await;
    for w in &held_by_a {
        assert!(!held_by_b.contains(w), "{w} is held by both servers: {held_by_a:?} {held_by_b:?}");
    }
    // The servers list says what the metrics say. (Workers other than these four may
    // still be taking their leases: both are read again until a moment they agree.)
    support::eventually(Duration::from_secs(10), "the servers list to match the metrics", async || {
        let listed = b.client().get("/v1/servers").await;
        let servers = listed.as_array().expect("a list");
        assert_eq!(servers.len(), 2, "{listed}");
        assert!(servers.iter().all(|s| s["alive"] == true), "{listed}");
        let mut workers: Vec<String> = servers
            .iter()
            .flat_map(|s| s["workers"].as_array().unwrap())
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect();
        let mut metrics: Vec<String> = [leases_held(&a).await, leases_held(&b).await].concat();
        workers.sort();
        metrics.sort();
        if workers == metrics { Ok(()) } else { Err(format!("listed {workers:?}, metrics {metrics:?}")) }
    })
    .await;
    // The servers agree on who holds what: B's view of the lease table.
    let (dead, alive) = if held_by_a.iter().any(|w| w == "reconciler") { (a, b) } else { (b, a) };
    dead.kill();
    support::eventually(Duration::from_secs(30), "the survivor takes every singleton over", async || {
        let held = leases_held(&alive).await;
        match singletons.iter().all(|w| held.iter().any(|h| h == w)) {
            true => Ok(()),
            false => Err(format!("the survivor holds {held:?}")),
        }
    })
    .await;
    support::eventually(Duration::from_secs(15), "the dead server listed gone", async || {
        let listed = alive.client().get("/v1/servers").await;
        let state: Vec<(bool, usize)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["alive"] == true, s["workers"].as_array().map_or(0, Vec::len)))
            .collect();
        let survivor = leases_held(&alive).await.len();
        let mut expected = vec![(false, 0), (true, survivor)];
        let mut got = state.clone();
        expected.sort();
        got.sort();
        if got == expected { Ok(()) } else { Err(listed.to_string()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_secret_key_refuses_to_start() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let _first = Server::start(&dir.path().join("a"), &db);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gureum"))
        .args(["serve", "--no-guest-build", "--listen", "127.0.0.1:0", "--database-url", &db, "--data-dir"])
        .arg(dir.path().join("other"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "a server with its own new key started on a shared database");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("set up with another secret key") && said.contains("GUREUM_SECRET_KEY"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_changed_through_one_server_applies_on_the_others() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let sim = crate::support::sim::SimService::start(&dir.path().join("sim"), "127.0.0.1:0");
    let a = Server::start_shared(&dir.path().join("a"), &db, &[]);
    join_dir(&dir.path().join("a"), &dir.path().join("b"));
    let b = Server::start_shared(&dir.path().join("b"), &db, &[]);
    let (ca, cb) = (a.client(), b.client());
    ca.post("/v1/connections", sim.connection_body("shared", serde_json::json!({"latency_ms": 0}))).await;
    ca.post("/v1/projects", serde_json::json!({"name": "p"})).await;
    // B opens the connection's driver with the first settings.
    let body = |name: &str| serde_json::json!({"name": name, "size_gb": 1, "connection": "shared"});
    cb.run("p", "volumes", Some(body("before"))).await;
    let faulty =
        serde_json::json!({"settings": {"endpoint": sim.url, "latency_ms": 0, "fault_rate": {"disk_create": 1}}});
    let (status, v) = ca.call(reqwest::Method::PATCH, "/v1/connections/shared", Some(faulty)).await;
    assert_eq!(status, 200, "{v}");
    // Within B's refresh, its creates carry the new settings to the shared cloud.
    support::eventually(Duration::from_secs(10), "B calls with the settings A set", async || {
        let name = format!("after-{}", uuid::Uuid::new_v4().simple());
        let accepted = cb.post("/v1/projects/p/volumes", body(&name[..20])).await;
        let op = cb.wait_op("p", accepted["operation_id"].as_str().unwrap()).await;
        match op.to_string().contains("simulated internal error during disk_create") {
            true => Ok(()),
            false => Err(format!("{}", op["status"])),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_started_together_on_an_empty_database_all_come_up_with_one_set_of_defaults() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = gureum_engine::SecretKey::generate().to_base64();
    let dirs: Vec<_> = ["a", "b", "c"].iter().map(|n| dir.path().join(n)).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("secret.key"), &key).unwrap();
        // Only the server that makes the administrator writes its token.
        std::fs::write(d.join("admin.token"), "none\n").unwrap();
    }
    // Migrations and first-start seeding race on the same empty database.
    let servers: Vec<Server> = std::thread::scope(|s| {
        let started: Vec<_> = dirs.iter().map(|d| s.spawn(|| Server::start_shared(d, &db, &[]))).collect();
        started.into_iter().map(|h| h.join().expect("every server starts")).collect()
    });
    let tokens: Vec<&str> = servers.iter().map(|s| s.token.as_str()).filter(|t| *t != "none").collect();
    assert_eq!(tokens.len(), 1, "one server made the administrator: {tokens:?}");
    for server in &servers {
        let c = support::Client { token: tokens[0].to_string(), ..server.client() };
        let connections = c.get("/v1/connections").await;
        let names: Vec<&str> = connections.as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
        assert_eq!(names, ["sim"], "one default connection, seen by every server: {connections}");
        let types = c.get("/v1/instance-types").await;
        assert_eq!(types.as_array().map(Vec::len), Some(gureum_model::catalog::INSTANCE_TYPES.len()), "{types}");
    }
}
