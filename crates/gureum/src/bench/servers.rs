//! `gureum bench servers`: scale-out on this machine. For each server count N, a fresh
//! database on the given PostgreSQL, one `gureum sim serve`, N `gureum serve` sharing
//! both (and the secret key and admin token), and HAProxy in front of them; then
//! instance creates through the balancer, timed from the first POST until every instance
//! is Active, and the CPU each kind of process spent per create.

use super::server::gureum;
use super::{Api, Process, Server, cpu_seconds, spread};
use anyhow::{Context, bail};
use gureum_api_types::{Instance, Page};
use serde_json::json;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::time::{Duration, Instant};

/// Instances a round creates, and clients sending them, unless told.
pub const INSTANCES: usize = 200;
pub const CONCURRENCY: usize = 32;

#[derive(clap::Args, Debug, Clone)]
pub struct ServersBenchArgs {
    /// The PostgreSQL server the servers share (`postgres://user@host:port/db`): each
    /// round makes a database of its own there, dropped at its end.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The server counts to measure, one round each.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub servers: Vec<usize>,
    /// Instances created in each round.
    #[arg(long, default_value_t = INSTANCES)]
    pub instances: usize,
    /// Concurrent clients sending the creates.
    #[arg(long, default_value_t = CONCURRENCY)]
    pub concurrency: usize,
    /// How long the simulated cloud takes to create a VM (a disk takes half of it, every
    /// other call answers at once).
    #[arg(long, default_value_t = 0)]
    pub vm_create_ms: u64,
}

/// CPU seconds spent during a round's creates, by kind of process.
#[derive(Debug, Default, Clone, Copy)]
struct Cpu {
    servers: f64,
    sim: f64,
    haproxy: f64,
    client: f64,
    /// The backends serving the round's database, when PostgreSQL runs on this machine.
    postgres: Option<f64>,
}

struct Round {
    servers: usize,
    took: Duration,
    cpu: Cpu,
}

pub async fn bench(args: ServersBenchArgs) -> anyhow::Result<()> {
    let Some(admin_url) = args.database_url.clone() else {
        bail!("gureum bench servers needs --database-url postgres://…: several servers need one PostgreSQL database");
    };
    anyhow::ensure!(admin_url.starts_with("postgres"), "--database-url must be a postgres:// URL");
    anyhow::ensure!(args.servers.iter().all(|n| *n > 0), "--servers: every count must be at least 1");
    super::haproxy::installed()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "gureum bench servers: {} instances per round, {} clients, VM create {} ms, {cores} cores, through HAProxy",
        args.instances, args.concurrency, args.vm_create_ms
    );
    let mut rounds = Vec::new();
    for &n in &args.servers {
        let db = Scratch::create(&admin_url).await?;
        // Ctrl-C ends the round here, so that its processes are killed and its database
        // dropped on the way out.
        let round = tokio::select! {
            r = round(&args, n, &db) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        let dropped = db.drop().await;
        let round = round?;
        dropped?;
        print_round(&args, &round);
        rounds.push(round);
    }
    closing(&args, &rounds, cores);
    Ok(())
}

fn print_round(args: &ServersBenchArgs, r: &Round) {
    let secs = r.took.as_secs_f64();
    let per = |cpu: f64| format!("{:.2} ms ({:.2} cores)", cpu * 1000.0 / args.instances as f64, cpu / secs);
    let postgres = r.cpu.postgres.map_or("not on this machine".to_string(), per);
    println!(
        "{} server{}: {} instances Active in {secs:.2} s = {:.0} creates→Active/s; CPU per create: servers {}, \
         sim {}, postgres {postgres}, haproxy {}, bench client {}",
        r.servers,
        if r.servers == 1 { "" } else { "s" },
        args.instances,
        args.instances as f64 / secs,
        per(r.cpu.servers),
        per(r.cpu.sim),
        per(r.cpu.haproxy),
        per(r.cpu.client),
    );
}

/// The speed-up over the first round and where the CPU went in the last one.
fn closing(args: &ServersBenchArgs, rounds: &[Round], cores: usize) {
    let (Some(first), Some(last)) = (rounds.first(), rounds.last()) else { return };
    let rate = |r: &Round| args.instances as f64 / r.took.as_secs_f64();
    let c = last.cpu;
    let busy = (c.servers + c.sim + c.haproxy + c.client + c.postgres.unwrap_or(0.0)) / last.took.as_secs_f64();
    println!(
        "{} servers do {:.2}× the creates of {}; in that round the processes above kept {busy:.1} of {cores} cores busy",
        last.servers,
        rate(last) / rate(first),
        first.servers,
    );
}

/// One round: N servers behind HAProxy on database `db`, sharing one simulated cloud.
async fn round(args: &ServersBenchArgs, n: usize, db: &Scratch) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir()?;
    let mut cmd = gureum()?;
    cmd.args(["sim", "serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("sim"));
    let (sim, sim_url) = Process::listening(cmd, "gureum sim listening on ")?;
    // On this host the servers' calls need no token.
    let extra: [&OsStr; 3] = ["--no-guest-build".as_ref(), "--sim-endpoint".as_ref(), sim_url.as_ref()];
    let mut servers = vec![Server::start(Some(&db.url), &extra)?];
    for _ in 1..n {
        // Servers sharing a database share the key that seals credentials (and, for the
        // benchmark's convenience, the first one's admin token).
        let data = tempfile::tempdir()?;
        for file in ["secret.key", "admin.token"] {
            std::fs::copy(servers[0].data_dir().join(file), data.path().join(file))?;
        }
        servers.push(Server::start_in(data, Some(&db.url), &extra)?);
    }
    let backends: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let balancer = super::haproxy::start(dir.path(), &backends).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let api = Api { http, base: balancer.url.clone(), token: servers[0].token.clone() };

    // The fresh install's `sim`, every server's, held by the service: its latencies
    // (settings are replaced whole, so the endpoint is given again) and room for all.
    let cap = args.instances as i64 * 2;
    let settings = json!({"endpoint": sim_url,
        "latency_ms": {"default": 0, "vm_create": args.vm_create_ms, "disk_create": args.vm_create_ms / 2},
        "capacity": {"instances": cap, "vcpus": cap * 16, "memory_mib": cap * 65536, "disk_gb": cap * 100}});
    api.send(reqwest::Method::PATCH, "/v1/connections/sim", json!({ "settings": settings })).await?;
    api.network("sim").await?;

    let cpu = |pg: Option<f64>| Cpu {
        servers: servers.iter().map(Server::cpu_seconds).sum(),
        sim: sim.cpu_seconds(),
        haproxy: cpu_seconds(&balancer.pid().to_string()),
        client: cpu_seconds("self"),
        postgres: pg,
    };
    let (pg_before, before) = (db.backends_cpu().await, cpu(None));
    let started = Instant::now();
    let creator = api.clone();
    spread(args.instances, args.concurrency, move |i| {
        let api = creator.clone();
        async move { api.start_instance(&format!("s-{i}"), "ubuntu-22.04").await.map(drop) }
    })
    .await?;
    all_active(&api, args.instances).await?;
    let took = started.elapsed();
    let postgres = match (pg_before, db.backends_cpu().await) {
        (Some(b), Some(a)) => Some(a.iter().map(|(pid, cpu)| cpu - b.get(pid).unwrap_or(&0.0)).sum()),
        _ => None,
    };
    let after = cpu(postgres);
    let spent = Cpu {
        servers: after.servers - before.servers,
        sim: after.sim - before.sim,
        haproxy: after.haproxy - before.haproxy,
        client: after.client - before.client,
        postgres,
    };
    Ok(Round { servers: n, took, cpu: spent })
}

/// Waits until the project holds `count` instances, all Active (the list through the
/// balancer, every 50 ms).
async fn all_active(api: &Api, count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (mut active, mut cursor) = (0, None::<String>);
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/projects/bench/instances?limit=1000&cursor={c}"),
                None => "/v1/projects/bench/instances?limit=1000".to_string(),
            };
            let page: Page<Instance> = api.get(&path).await?;
            for i in &page.items {
                match i.state.as_str() {
                    "Active" => active += 1,
                    "Error" => bail!("{} ended in Error: {}", i.name, i.state_reason.as_deref().unwrap_or("?")),
                    _ => {}
                }
            }
            cursor = page.next_cursor;
            if page.items.is_empty() || cursor.is_none() {
                break;
            }
        }
        if active >= count {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{active} of {count} instances Active after 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A database of its own on the PostgreSQL server, for one round.
struct Scratch {
    admin: tokio_postgres::Client,
    name: String,
    /// The URL the servers use.
    url: String,
}

impl Scratch {
    async fn create(admin_url: &str) -> anyhow::Result<Scratch> {
        let (admin, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
            .await
            .with_context(|| format!("connecting to --database-url {admin_url}"))?;
        tokio::spawn(conn);
        let name = format!("gureum_bench_{}", uuid::Uuid::new_v4().simple());
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.context("CREATE DATABASE")?;
        // The same server and options, another database: the URL's path is its name.
        let (rest, query) = admin_url.split_once('?').map_or((admin_url, None), |(r, q)| (r, Some(q)));
        let host = rest.find("://").map_or(0, |i| i + 3);
        let base = rest[host..].find('/').map_or(rest, |i| &rest[..host + i]);
        let url = match query {
            Some(q) => format!("{base}/{name}?{q}"),
            None => format!("{base}/{name}"),
        };
        Ok(Scratch { admin, name, url })
    }

    /// CPU seconds of each backend serving this database, when all are processes of
    /// this machine (`None` for a remote server).
    async fn backends_cpu(&self) -> Option<HashMap<i32, f64>> {
        let rows = self.admin.query("SELECT pid FROM pg_stat_activity WHERE datname = $1", &[&self.name]).await.ok()?;
        let mut cpu = HashMap::new();
        for row in rows {
            let pid: i32 = row.get(0);
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            if !comm.starts_with("postgres") {
                return None;
            }
            cpu.insert(pid, cpu_seconds(&pid.to_string()));
        }
        Some(cpu)
    }

    /// Drops the database, ending the sessions still on it.
    async fn drop(self) -> anyhow::Result<()> {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        self.admin.batch_execute(&sql).await.with_context(|| format!("dropping database {}", self.name))
    }
}
