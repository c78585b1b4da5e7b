//! `gureum bench`: starts a real `gureum serve` on a temporary data directory with a
//! zero-latency simulated connection and measures, end to end through the HTTP API:
//! instance creates reaching Active per second, GET latency of one instance, latency of
//! a 100-row page out of 10,000 instances, the console's server-side render time of the
//! instance list page, and the server's resident memory.

use gureum_api_types::{Instance, Page};
use serde_json::json;
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
    /// The template library on the simulated cloud: a 10-VM stack against its critical
    /// paths, the plan of a 50-resource template, 20 stacks at once.
    Stack(stack::StackBenchArgs),
    /// Lean provisioning on this host's QEMU: linked clones of a released template
    /// version (qemu-img create -b) timed one by one, and persistent VMs API create →
    /// guest ready against a bare QEMU booting a fresh clone of the same version image.
    Lean(lean::LeanBenchArgs),
    /// The maintenance scheduler on the zero-latency simulated cloud: 1,000 tasks × 10
    /// resources due within one minute; how late each slot starts, and the task list page
    /// while they run.
    Maintenance(maintenance::MaintenanceBenchArgs),
    /// Scale-out: 1, 2, 3… servers on one PostgreSQL behind HAProxy, sharing one
    /// simulated cloud; instance creates → Active per second through the balancer and
    /// the CPU each process spends per create.
    Servers(servers::ServersBenchArgs),
}

/// The simulated cloud's figures (the default `gureum bench`).
#[derive(clap::Args, Debug, Clone)]
pub struct SimBenchArgs {
    /// Instances created (and timed) in the throughput phase [default: 2000; 200 a round
    /// with --servers]
    #[arg(long)]
    pub instances: Option<usize>,
    /// Concurrent clients in the create phases [default: 64; 32 with --servers]
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Scale-out instead, as `gureum bench servers --servers N,…` (with --database-url).
    #[arg(long, value_delimiter = ',')]
    pub servers: Option<Vec<usize>>,
    /// With --servers: how long the simulated cloud takes to create a VM.
    #[arg(long, default_value_t = 0, requires = "servers")]
    pub vm_create_ms: u64,
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

mod haproxy;
mod lean;
mod maintenance;
mod reads;
mod server;
mod servers;
mod stack;

pub(crate) use server::{Api, ConsoleSession, Process, Server, cpu_seconds};

/// Creates `count` instances `{prefix}-{i}` with `concurrency` clients, each waiting for
/// its instance's create to finish; returns the elapsed time.
async fn create_many(api: &Api, prefix: &str, count: usize, concurrency: usize) -> anyhow::Result<Duration> {
    let api = api.clone();
    let prefix = prefix.to_string();
    spread(count, concurrency, move |i| {
        let (api, name) = (api.clone(), format!("{prefix}-{i}"));
        async move { api.instance(&name).await }
    })
    .await
}

/// Runs `one(i)` for every `i` below `count` with `concurrency` clients; the elapsed time.
async fn spread<F>(
    count: usize,
    concurrency: usize,
    one: impl Fn(usize) -> F + Clone + Send + 'static,
) -> anyhow::Result<Duration>
where
    F: Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (one, next) = (one.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                one(i).await?;
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
        None => match args.sim.servers.clone() {
            Some(counts) => runtime.block_on(servers::bench(servers::ServersBenchArgs {
                database_url: args.sim.database_url,
                servers: counts,
                instances: args.sim.instances.unwrap_or(servers::INSTANCES),
                concurrency: args.sim.concurrency.unwrap_or(servers::CONCURRENCY),
                vm_create_ms: args.sim.vm_create_ms,
            })),
            None => runtime.block_on(bench(args.sim)),
        },
        Some(BenchTarget::Qemu(args)) => runtime.block_on(crate::bench_qemu::bench(args)),
        Some(BenchTarget::Stack(args)) => runtime.block_on(stack::bench(args)),
        Some(BenchTarget::Lean(args)) => runtime.block_on(lean::bench(args)),
        Some(BenchTarget::Maintenance(args)) => runtime.block_on(maintenance::bench(args)),
        Some(BenchTarget::Servers(args)) => runtime.block_on(servers::bench(args)),
    }
}

async fn bench(args: SimBenchArgs) -> anyhow::Result<()> {
    let (instances, concurrency) = (args.instances.unwrap_or(2000), args.concurrency.unwrap_or(64));
    // The simulated cloud alone: no guest image is built for a server that boots no VM.
    let server = Server::start(args.database_url.as_deref(), &["--no-guest-build".as_ref()])?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build()?;
    let api = Api { http, base: server.base.clone(), token: server.token.clone() };
    let cap = (args.total + instances) as i64 * 2;
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
    let took = create_many(&api, "t", instances, concurrency).await?;
    let cpu = server.cpu_seconds() - cpu_before;
    let client_cpu = cpu_seconds("self") - client_before;
    let rate = instances as f64 / took.as_secs_f64();
    println!(
        "create→Active: {} instances, concurrency {}, {:.2} s: {:.0} instances/s   [target ≥ 1000: {}]",
        instances,
        concurrency,
        took.as_secs_f64(),
        rate,
        verdict(rate >= 1000.0)
    );
    // The client shares the machine; the server's own CPU per create is the steadier figure.
    println!(
        "CPU per instance create: server {:.2} ms, this benchmark's HTTP client {:.2} ms",
        cpu * 1000.0 / instances as f64,
        client_cpu * 1000.0 / instances as f64
    );

    let fill = args.total.saturating_sub(instances);
    let took = create_many(&api, "f", fill, concurrency).await?;
    println!("filled to {} instances ({} more in {:.1} s)", args.total, fill, took.as_secs_f64());

    let (p50, p99) = latencies(args.samples, async |i| {
        let _: Instance = api.get(&format!("/v1/projects/bench/instances/t-{}", i % instances.max(1))).await?;
        Ok(())
    })
    .await?;
    println!(
        "GET one instance: p50 {:.2} ms, p99 {:.2} ms   [target p99 < 2 ms: {}]",
        ms(p50),
        ms(p99),
        verdict(ms(p99) < 2.0)
    );

    reads::read_path(&api, args.samples).await?;

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
