//! Three `gureum serve` on one PostgreSQL behind a real HAProxy, sharing one simulated
//! cloud (`gureum sim serve`): creates through the balancer, one server killed with
//! SIGKILL mid-way, and nothing lost, doubled or leaked; the killed server, restarted,
//! rejoins. Sessions, idempotency keys and operation long-polls go through any server.

use crate::support::agent::free_port;
use crate::support::haproxy;
use crate::support::shared::{join_dir, shared_database};
use crate::support::sim::SimService;
use crate::support::{self, Client, Server};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const P: &str = "spread";
const INSTANCES: usize = 100;
const VOLUMES: usize = 20;

/// A create through the balancer, sent again with the same `Idempotency-Key` while the
/// server it reached dies under it (no answer, or the balancer's 502/503/504), and while
/// the key is held by the request a killed server was running (until that server counts
/// as dead and the request runs again).
async fn create(c: &Client, path: &str, body: &Value, key: &str) -> (u16, Value) {
    for _ in 0..150 {
        let sent = c.http.post(format!("{}{path}", c.base)).bearer_auth(&c.token).header("Idempotency-Key", key);
        if let Ok(r) = sent.json(body).send().await {
            let status = r.status().as_u16();
            let answer = r.json().await.unwrap_or(Value::Null);
            let held = answer["error"]["message"].as_str().is_some_and(|m| m.contains("still being processed"));
            if ![502, 503, 504].contains(&status) && !held {
                return (status, answer);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("POST {path} never got a final answer");
}

/// Every item of a list through the balancer, keyed by name.
async fn by_name(c: &Client, path: &str) -> BTreeMap<String, Value> {
    let items = c.list_all(path).await;
    items.into_iter().map(|i| (i["name"].as_str().unwrap().to_string(), i)).collect()
}

/// Signs in to the console through the balancer and opens a page several times (each
/// on the next server in the rotation): the session is the database's, not a server's.
async fn console_through(balancer: &str, c: &Client) {
    let (status, _) =
        c.call(reqwest::Method::PUT, "/v1/users/admin/password", Some(json!({"password": "balanced-pass-1234"}))).await;
    assert_eq!(status, 200);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{balancer}/login")).send().await.unwrap();
    let cookie = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_string))
            .find(|v| !v.is_empty())
    };
    let csrf = cookie(&form, "gureum_login").expect("the sign-in form's cookie");
    let signed_in = http
        .post(format!("{balancer}/login"))
        .header("cookie", format!("gureum_login={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&name=admin&password=balanced-pass-1234&next=/projects/{P}/instances"))
        .send()
        .await
        .unwrap();
    let session = cookie(&signed_in, "gureum_session").expect("a session cookie");
    for _ in 0..6 {
        let page = http
            .get(format!("{balancer}/projects/{P}/instances/vm0"))
            .header("cookie", format!("gureum_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "a console page through the balancer");
        assert!(page.text().await.unwrap().contains("vm0"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_haproxy_lose_nothing_when_one_is_killed() {
    let Some((db, _db_dir)) = shared_database().await else { return };
    if !haproxy::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sim = SimService::start(&dir.path().join("sim"), "127.0.0.1:0");
    let ports: Vec<String> = (0..3).map(|_| free_port()).collect();
    let data = |i: usize| dir.path().join(format!("server{i}"));
    let start = |i: usize| {
        let options = ["--listen", &ports[i], "--sim-endpoint", &sim.url, "--sim-token", &sim.token];
        Server::start_shared(&data(i), &db, &options)
    };
    let mut servers = vec![start(0)];
    for i in 1..3 {
        join_dir(&data(0), &data(i));
        servers.push(start(i));
    }
    let proxy = haproxy::start(dir.path(), &ports);
    let c = Client { http: reqwest::Client::new(), base: proxy.url.clone(), token: servers[0].token.clone() };
    // The default connection `sim`, every server's, is the service's cloud (its default
    // latencies: 3 s to create a VM, 1.5 s a disk).
    c.network(P, "sim").await;

    // 100 instance and 20 volume creates at once; one server is killed when half have
    // been answered, with the rest in flight and its workflows running.
    let answered = Arc::new(AtomicUsize::new(0));
    let mut creates = vec![];
    let requests = (0..INSTANCES)
        .map(|i| {
            let body = json!({"name": format!("vm{i}"), "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net"});
            ("instances", body)
        })
        .chain((0..VOLUMES).map(|i| ("volumes", json!({"name": format!("vol{i}"), "size_gb": 10}))));
    for (i, (kind, body)) in requests.enumerate() {
        let (c, answered) = (c.clone(), answered.clone());
        creates.push(tokio::spawn(async move {
            let r = create(&c, &format!("/v1/projects/{P}/{kind}"), &body, &format!("create-{i}")).await;
            answered.fetch_add(1, Ordering::SeqCst);
            (body["name"].as_str().unwrap().to_string(), r)
        }));
    }
    support::eventually(Duration::from_secs(60), "half the creates answered", async || {
        let n = answered.load(Ordering::SeqCst);
        if n >= (INSTANCES + VOLUMES) / 2 { Ok(()) } else { Err(format!("{n} answered")) }
    })
    .await;
    servers.remove(1).kill();
    let mut accepted = vec![];
    let mut outcomes = BTreeMap::<u16, usize>::new();
    for task in creates {
        let (name, (status, body)) = task.await.unwrap();
        *outcomes.entry(status).or_default() += 1;
        match status {
            202 => accepted.push(name),
            // Run again after the killed server had committed it (its answer was lost):
            // the name is taken, by the resource that create made.
            409 if body["error"]["message"].as_str().unwrap_or_default().contains("already exists") => {
                accepted.push(name)
            }
            _ => panic!("{name}: {status} {body}"),
        }
    }
    eprintln!("create answers by status: {outcomes:?}");

    // Every accepted create ends Active/Available once the survivors take over the
    // killed server's workflows (their leases run out).
    let (instances, volumes) = support::eventually(Duration::from_secs(240), "every create settled", async || {
        let (i, v) = (
            by_name(&c, &format!("/v1/projects/{P}/instances")).await,
            by_name(&c, &format!("/v1/projects/{P}/volumes")).await,
        );
        let busy = i
            .values()
            .chain(v.values())
            .filter(|r| !["Active", "Available", "In-use", "Error"].contains(&r["state"].as_str().unwrap()))
            .count();
        if busy == 0 {
            return Ok((i, v));
        }
        let mut states = BTreeMap::<String, usize>::new();
        for r in i.values().chain(v.values()) {
            *states.entry(r["state"].as_str().unwrap().to_string()).or_default() += 1;
        }
        Err(format!("{busy} still changing: {states:?}"))
    })
    .await;
    for name in &accepted {
        let r = instances.get(name).or_else(|| volumes.get(name)).unwrap_or_else(|| panic!("accepted {name} is gone"));
        assert!(["Active", "Available"].contains(&r["state"].as_str().unwrap()), "{name}: {r}");
    }
    let data = volumes.values().filter(|v| v["kind"] == "data").count();
    assert!(instances.len() <= INSTANCES && data <= VOLUMES, "no create ran twice");
    let ops = c.list_all(&format!("/v1/projects/{P}/operations")).await;
    let running: Vec<&Value> =
        ops.iter().filter(|o| !["succeeded", "failed", "cancelled"].contains(&o["status"].as_str().unwrap())).collect();
    assert!(running.is_empty(), "workflows left running: {running:?}");
    let drift = support::assert_no_drift(&c, "sim").await;
    let vms = drift["mapped"].as_array().unwrap().iter().filter(|m| m["kind"] == "vm").count();
    assert_eq!(vms, instances.len(), "one VM at the provider per instance: {drift}");

    // The killed server, restarted on its data, serves again and drives the shared cloud.
    let back = start(1);
    let direct = back.client();
    let vm0 = direct.get(&format!("/v1/projects/{P}/instances/vm0")).await;
    assert_eq!(vm0["state"], "Active", "{vm0}");
    let body = json!({"name": "rejoined", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net"});
    direct.run(P, "instances", Some(body)).await;
    console_through(&proxy.url, &c).await;
}
