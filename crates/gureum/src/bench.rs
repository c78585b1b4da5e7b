//! `gureum bench`: starts a real `gureum serve` on a temporary data directory with a
//! zero-latency simulated connection and measures, end to end through the HTTP API:
//! instance creates reaching Active per second, GET latency of one instance, latency of
//! a 100-row page out of 10,000 instances, the console's server-side render time of the
//! instance list page, and the server's resident memory.

use anyhow::{Context, bail};
use gureum_api_types::{Instance, Operation, OperationStatus, Page};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: Option<BenchTarget>,
    #[command(flatten)]
    pub sim: SimBenchArgs,
}

/// What to measure instead of the simulated cloud.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum BenchTarget {
    /// Boot real VMs on this host's QEMU: API create → guest ready against a bare QEMU
    /// booting the same guest, and the memory of an idle VM.
    Qemu(crate::bench_qemu::QemuBenchArgs),
}

/// The simulated cloud's figures (the default `gureum bench`).
#[derive(clap::Args, Debug, Clone)]
pub struct SimBenchArgs {
    /// Instances created (and timed) in the throughput phase.
    #[arg(long, default_value_t = 2000)]
    pub instances: usize,
    /// Concurrent clients in the create phases.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Instances in the project for the read phases.
    #[arg(long, default_value_t = 10_000)]
    pub total: usize,
    /// Requests per latency measurement.
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// Run the server against this PostgreSQL instead of SQLite.
    #[arg(long)]
    pub database_url: Option<String>,
}

pub(crate) struct Server {
    child: Child,
    pub base: String,
    pub token: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `gureum serve` on a fresh temporary data directory; `extra` are more
    /// arguments of `serve`.
    pub fn start(database_url: Option<&str>, extra: &[&std::ffi::OsStr]) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd.spawn().context("starting gureum serve")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line?;
            if let Some(addr) = line.strip_prefix("gureum listening on ") {
                base = Some(addr.trim().to_string());
                break;
            }
        }
        // Keep reading what the server prints after that: a closed pipe would end it.
        std::thread::spawn(move || lines.for_each(drop));
        let base = base.context("the server did not say where it listens")?;
        let token = std::fs::read_to_string(dir.path().join("admin.token"))?.trim().to_string();
        Ok(Server { child, base, token, dir })
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn api(&self) -> anyhow::Result<Api> {
        Ok(Api { http: reqwest::Client::builder().build()?, base: self.base.clone(), token: self.token.clone() })
    }

    /// CPU seconds the server has used so far (user + system).
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.child.id().to_string())
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

/// CPU seconds process `pid` (or "self") has used so far (user + system).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and
    // 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).copied().unwrap_or(0.0) + fields.get(12).copied().unwrap_or(0.0)) / 100.0
}

#[derive(Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    pub async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: serde_json::Value = r.json().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let status = r.status();
        if !status.is_success() {
            bail!("GET {path}: {status} {}", r.text().await?);
        }
        Ok(r.json().await?)
    }

    pub async fn wait(&self, op: &str) -> anyhow::Result<Operation> {
        loop {
            let o: Operation = self.get(&format!("/v1/projects/bench/operations/{op}?wait_seconds=30")).await?;
            if o.status.is_finished() {
                return Ok(o);
            }
        }
    }

    /// Creates an instance of `image` in the project's network and waits until its create
    /// operation finished.
    pub async fn instance_of(&self, name: &str, image: &str) -> anyhow::Result<()> {
        let body = json!({"name": name, "instance_type": "t1.micro", "image": image, "subnet": "bench",
                          "security_groups": ["bench"]});
        let i: Instance = serde_json::from_value(self.post("/v1/projects/bench/instances", body).await?)?;
        self.succeeded(&format!("instance {name}"), &i.operation_id.context("no operation")?.to_string()).await
    }

    async fn instance(&self, name: &str) -> anyhow::Result<()> {
        self.instance_of(name, "ubuntu-22.04").await
    }

    /// Deletes an instance and waits until it is gone.
    pub async fn delete_instance(&self, name: &str) -> anyhow::Result<()> {
        let path = format!("/v1/projects/bench/instances/{name}");
        let r = self.http.delete(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let status = r.status();
        let v: serde_json::Value = r.json().await?;
        anyhow::ensure!(status.is_success(), "DELETE {path}: {status} {v}");
        self.succeeded(&format!("deleting {name}"), v["operation_id"].as_str().context("no operation")?).await
    }

    async fn succeeded(&self, what: &str, op: &str) -> anyhow::Result<()> {
        let op = self.wait(op).await?;
        if op.status != OperationStatus::Succeeded {
            bail!("{what}: {:?} {:?}", op.status, op.error);
        }
        Ok(())
    }

    /// The project `bench` with a VPC, subnet and security group `bench` on `connection`.
    pub async fn network(&self, connection: &str) -> anyhow::Result<()> {
        self.post("/v1/projects", json!({"name": "bench"})).await?;
        let vpc = self
            .post("/v1/projects/bench/vpcs", json!({"name": "bench", "cidr": "10.0.0.0/16", "connection": connection}))
            .await?;
        self.succeeded("vpc", vpc["operation_id"].as_str().context("vpc op")?).await?;
        let subnet =
            self.post("/v1/projects/bench/vpcs/bench/subnets", json!({"name": "bench", "cidr": "10.0.0.0/16"})).await?;
        self.succeeded("subnet", subnet["operation_id"].as_str().context("subnet op")?).await?;
        let sg = self.post("/v1/projects/bench/security-groups", json!({"name": "bench", "vpc": "bench"})).await?;
        self.succeeded("security group", sg["operation_id"].as_str().context("sg op")?).await
    }
}

/// The value of cookie `name` set by a response.
fn set_cookie(resp: &reqwest::Response, name: &str) -> anyhow::Result<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .with_context(|| format!("no {name} cookie"))
}

/// A signed-in console browser: admin's session cookie.
struct ConsoleSession {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl ConsoleSession {
    /// Gives admin a password through the API and signs in with the console's form.
    async fn sign_in(api: &Api) -> anyhow::Result<ConsoleSession> {
        // URL-safe as it is, so the form body needs no encoding.
        const PASSWORD: &str = "bench-console-password";
        let r = api
            .http
            .put(format!("{}/v1/users/admin/password", api.base))
            .bearer_auth(&api.token)
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "setting admin's password: {}", r.status());
        // The sign-in answer's cookie is on the redirect itself.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let form = http.get(format!("{}/login", api.base)).send().await?;
        let login = set_cookie(&form, "gureum_login")?;
        let page = form.text().await?;
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).context("csrf")?;
        let r = http
            .post(format!("{}/login", api.base))
            .header(reqwest::header::COOKIE, format!("gureum_login={login}"))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&name=admin&password={PASSWORD}&next=%2F"))
            .send()
            .await?;
        let cookie = format!("gureum_session={}", set_cookie(&r, "gureum_session")?);
        Ok(ConsoleSession { http, base: api.base.clone(), cookie })
    }

    /// GETs a console page; returns the server's own time for it (`Server-Timing`).
    async fn page(&self, path: &str) -> anyhow::Result<Duration> {
        let r =
            self.http.get(format!("{}{path}", self.base)).header(reqwest::header::COOKIE, &self.cookie).send().await?;
        if !r.status().is_success() {
            bail!("GET {path}: {}", r.status());
        }
        let timing = r.headers().get("server-timing").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let ms: f64 = timing.strip_prefix("app;dur=").and_then(|v| v.parse().ok()).context("no Server-Timing")?;
        anyhow::ensure!(r.text().await?.contains("id=\"instances\""), "GET {path}: no instance table");
        Ok(Duration::from_secs_f64(ms / 1000.0))
    }
}

/// Creates `names` with `concurrency` clients; returns the elapsed time.
async fn create_many(api: &Api, prefix: &str, count: usize, concurrency: usize) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (api, next, prefix) = (api.clone(), next.clone(), prefix.to_string());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                api.instance(&format!("{prefix}-{i}")).await?;
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    Ok(started.elapsed())
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn latencies(
    samples: usize,
    mut one: impl AsyncFnMut(usize) -> anyhow::Result<()>,
) -> anyhow::Result<(Duration, Duration)> {
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        one(i).await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("note: this is a debug build; build with --release for meaningful figures");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match args.target {
        None => runtime.block_on(bench(args.sim)),
        Some(BenchTarget::Qemu(args)) => runtime.block_on(crate::bench_qemu::bench(args)),
    }
}

async fn bench(args: SimBenchArgs) -> anyhow::Result<()> {
    // The simulated cloud alone: no guest image is built for a server that boots no VM.
    let server = Server::start(args.database_url.as_deref(), &["--no-guest-build".as_ref()])?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let api = Api { http, base: server.base.clone(), token: server.token.clone() };
    let cap = (args.total + args.instances) as i64 * 2;
    api.post(
        "/v1/connections",
        json!({"name": "bench", "driver": "sim", "settings": {"latency_ms": 0,
            "capacity": {"instances": cap, "vcpus": cap * 16, "memory_mib": cap * 65536, "disk_gb": cap * 100, "public_ips": 16}}}),
    )
    .await?;
    api.network("bench").await?;

    println!(
        "gureum bench: server {} ({})",
        server.base,
        if args.database_url.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    let (cpu_before, client_before) = (server.cpu_seconds(), cpu_seconds("self"));
    let took = create_many(&api, "t", args.instances, args.concurrency).await?;
    let cpu = server.cpu_seconds() - cpu_before;
    let client_cpu = cpu_seconds("self") - client_before;
    let rate = args.instances as f64 / took.as_secs_f64();
    println!(
        "create→Active: {} instances, concurrency {}, {:.2} s: {:.0} instances/s   [target ≥ 1000: {}]",
        args.instances,
        args.concurrency,
        took.as_secs_f64(),
        rate,
        verdict(rate >= 1000.0)
    );
    // The client shares the machine; the server's own CPU per create is the steadier figure.
    println!(
        "CPU per instance create: server {:.2} ms, this benchmark's HTTP client {:.2} ms",
        cpu * 1000.0 / args.instances as f64,
        client_cpu * 1000.0 / args.instances as f64
    );

    let fill = args.total.saturating_sub(args.instances);
    let took = create_many(&api, "f", fill, args.concurrency).await?;
    println!("filled to {} instances ({} more in {:.1} s)", args.total, fill, took.as_secs_f64());

    let (p50, p99) = latencies(args.samples, async |i| {
        let _: Instance = api.get(&format!("/v1/projects/bench/instances/t-{}", i % args.instances.max(1))).await?;
        Ok(())
    })
    .await?;
    println!(
        "GET one instance: p50 {:.2} ms, p99 {:.2} ms   [target p99 < 2 ms: {}]",
        ms(p50),
        ms(p99),
        verdict(ms(p99) < 2.0)
    );

    // Cursors of every page, then pages fetched in a scattered order.
    let mut cursors: Vec<Option<String>> = vec![None];
    loop {
        let path = match cursors.last().and_then(|c| c.as_ref()) {
            Some(c) => format!("/v1/projects/bench/instances?limit=100&cursor={c}"),
            None => "/v1/projects/bench/instances?limit=100".into(),
        };
        let page: Page<Instance> = api.get(&path).await?;
        if page.items.is_empty() {
            // A full last page still hands out a cursor; the page after it is empty.
            cursors.pop();
            break;
        }
        match page.next_cursor {
            Some(c) => cursors.push(Some(c)),
            None => break,
        }
    }
    let pages = cursors.len();
    let (p50, p99) = latencies(args.samples / 4, async |i| {
        let path = match &cursors[(i * 37) % pages] {
            Some(c) => format!("/v1/projects/bench/instances?limit=100&cursor={c}"),
            None => "/v1/projects/bench/instances?limit=100".into(),
        };
        let page: Page<Instance> = api.get(&path).await?;
        anyhow::ensure!(!page.items.is_empty(), "empty page");
        Ok(())
    })
    .await?;
    println!(
        "list a 100-row page of {} ({} pages): p50 {:.2} ms, p99 {:.2} ms   [target p99 < 5 ms: {}]",
        args.total,
        pages,
        ms(p50),
        ms(p99),
        verdict(ms(p99) < 5.0)
    );
    let console = ConsoleSession::sign_in(&api).await?;
    let mut times = Vec::with_capacity(args.samples / 4);
    for _ in 0..(args.samples / 4).max(1) {
        times.push(console.page("/projects/bench/instances").await?);
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    println!(
        "console instance list page (50 rows of {}), server-side: p50 {:.2} ms, p99 {:.2} ms   [target p99 < 50 ms: {}]",
        args.total,
        ms(p50),
        ms(p99),
        verdict(ms(p99) < 50.0)
    );
    let rss = server.rss_mib();
    println!("server RSS: {rss:.0} MiB   [target < 200 MB: {}]", verdict(rss < 200.0 * 1_000_000.0 / 1_048_576.0));
    Ok(())
}
