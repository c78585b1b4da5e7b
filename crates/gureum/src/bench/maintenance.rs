//! `gureum bench maintenance`: the scheduler's figures on the zero-latency simulated
//! cloud. Tasks of config changes over their own instances, every slot due within the
//! same minute (each task's resources together, the tasks spread over the minute):
//! how late each runbook starts after its slot (`started_at` − `scheduled_at`), and how
//! fast a page of the task list answers while they run.

use super::{Api, Server, create_many, ms, percentile, verdict};
use anyhow::Context;
use gureum_api_types::{MaintenanceTask, Page};
use serde_json::json;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(clap::Args, Debug, Clone)]
pub struct MaintenanceBenchArgs {
    /// Maintenance tasks.
    #[arg(long, default_value_t = 1000)]
    pub tasks: usize,
    /// Resources (instances) per task.
    #[arg(long, default_value_t = 10)]
    pub resources: usize,
    /// Seconds over which the slots are spread.
    #[arg(long, default_value_t = 60)]
    pub within: u64,
    /// Task list pages timed while the runbooks run.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
}

const TASKS: &str = "/v1/projects/bench/maintenance-tasks";

pub async fn bench(args: MaintenanceBenchArgs) -> anyhow::Result<()> {
    let server = Server::start(None, &["--no-guest-build".as_ref()])?;
    let api = server.api()?;
    let instances = args.tasks * args.resources;
    let cap = instances as i64 * 2;
    api.post(
        "/v1/connections",
        json!({"name": "bench", "driver": "sim", "settings": {"latency_ms": 0,
            "capacity": {"instances": cap, "vcpus": cap * 16, "memory_mib": cap * 65536, "disk_gb": cap * 100}}}),
    )
    .await?;
    api.network("bench").await?;
    println!(
        "gureum bench maintenance: server {}, {} tasks × {} resources on the zero-latency sim, slots within {} s",
        server.base, args.tasks, args.resources, args.within
    );
    let took = create_many(&api, "m", instances, 64).await?;
    println!("{instances} instances Active in {:.1} s", took.as_secs_f64());

    let started = Instant::now();
    for t in 0..args.tasks {
        let resources: Vec<String> = (0..args.resources).map(|r| format!("m-{}", t * args.resources + r)).collect();
        let body = json!({"name": format!("t{t}"), "requirement": "recommended",
            "recommended_date": "2026-01-01T00:00:00Z", "type": "config_change",
            "apply": {"settings": {"vm.swappiness": "10"}}, "downtime": false,
            "resources": resources, "max_concurrency": "100%"});
        api.post(TASKS, body).await?;
    }
    println!("{} tasks created in {:.1} s", args.tasks, started.elapsed().as_secs_f64());

    // Every slot in the future by the time it is set: the first a few seconds ahead.
    let first = OffsetDateTime::now_utc() + Duration::from_secs(5 + args.tasks as u64 / 200);
    let step = Duration::from_secs(args.within) / args.tasks.max(1) as u32;
    for t in 0..args.tasks {
        let at = (first + step * t as u32).format(&Rfc3339)?;
        api.post(&format!("{TASKS}/t{t}/schedule"), json!({ "at": at })).await?;
    }
    let last = first + step * args.tasks as u32;
    println!("{instances} slots reserved from {first} to {last}");

    // A page of the list, timed while the slots fire and their runbooks run.
    let (p50, p99) = list_page(&api, args.samples).await?;
    println!(
        "task list page (50 tasks × {} resources of {}) during the run: p50 {:.2} ms, p99 {:.2} ms   [target p99 ≤ 50 ms: {}]",
        args.resources,
        args.tasks,
        ms(p50),
        ms(p99),
        verdict(ms(p99) <= 50.0)
    );

    let delays = finished(&api, args.tasks).await?;
    let (p50, p99, max) = (percentile(&delays, 0.5), percentile(&delays, 0.99), delays[delays.len() - 1]);
    println!(
        "firing delay (started_at − scheduled_at) of {} slots: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms   [target p99 ≤ 250 ms: {}]",
        delays.len(),
        ms(p50),
        ms(p99),
        ms(max),
        verdict(ms(p99) <= 250.0)
    );
    let (p50, p99) = list_page(&api, args.samples).await?;
    println!(
        "task list page once all ran (every resource with its times and log): p50 {:.2} ms, p99 {:.2} ms   [target p99 ≤ 50 ms: {}]",
        ms(p50),
        ms(p99),
        verdict(ms(p99) <= 50.0)
    );
    Ok(())
}

/// `samples` pages of 50 tasks, 100 ms apart: their p50 and p99.
async fn list_page(api: &Api, samples: usize) -> anyhow::Result<(Duration, Duration)> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        let _: Page<MaintenanceTask> = api.get(&format!("{TASKS}?limit=50")).await?;
        times.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

/// Waits until every task is Completed; the firing delay of each resource, sorted.
async fn finished(api: &Api, tasks: usize) -> anyhow::Result<Vec<Duration>> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let mut all = Vec::with_capacity(tasks);
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{TASKS}?limit=500&cursor={c}"),
                None => format!("{TASKS}?limit=500"),
            };
            let page: Page<MaintenanceTask> = api.get(&path).await?;
            let done = page.items.is_empty() || page.next_cursor.is_none();
            all.extend(page.items);
            cursor = page.next_cursor;
            if done {
                break;
            }
        }
        if let Some(r) = all.iter().flat_map(|t| &t.resources).find(|r| r.status.as_str() == "Failed") {
            anyhow::bail!("{} failed: {}", r.name, r.last_error.as_deref().unwrap_or("?"));
        }
        let open = all.iter().filter(|t| t.status.as_str() != "Completed").count();
        if open == 0 {
            let mut delays = Vec::new();
            for r in all.iter().flat_map(|t| &t.resources) {
                let parse = |s: &Option<String>| OffsetDateTime::parse(s.as_deref().unwrap_or_default(), &Rfc3339);
                let d = parse(&r.started_at).context("started_at")? - parse(&r.scheduled_at).context("scheduled_at")?;
                delays.push(Duration::try_from(d).unwrap_or_default());
            }
            delays.sort();
            return Ok(delays);
        }
        anyhow::ensure!(Instant::now() < deadline, "{open} tasks still not Completed after 10 minutes");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
