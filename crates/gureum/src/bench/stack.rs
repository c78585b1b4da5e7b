//! `gureum bench stack`: the template library's figures on the simulated cloud with a
//! latency profile. A 10-VM stack's provisioning and return time against the critical
//! paths of its dependency graph (the best any orchestrator can do when independent
//! resources are made at once), the plan of a 50-resource template (no provider call),
//! and 20 stacks at once.

use super::{Api, Server, latencies, ms, verdict};
use anyhow::Context;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct StackBenchArgs {
    /// Plans timed for the 50-resource template.
    #[arg(long, default_value_t = 50)]
    pub plans: usize,
    /// Stacks provisioned at once in the concurrency phase.
    #[arg(long, default_value_t = 20)]
    pub stacks: usize,
}

/// Provider latencies (ms): a third of the simulated cloud's defaults, so a VM takes a
/// second and the whole run a few minutes.
fn profile() -> Value {
    json!({"latency_ms": {"default": 100, "vm_create": 1000, "vm_delete": 500, "disk_create": 500,
                          "disk_delete": 333, "public_ip_associate": 167, "public_ip_disassociate": 167}})
}

fn body(name: &str, template: &str, params: Value) -> Value {
    let mut p = json!({"vpc": "bench", "subnet": "bench", "key_pair": "bench"});
    p.as_object_mut().expect("object").extend(params.as_object().cloned().unwrap_or_default());
    json!({"name": name, "template": template, "parameters": p})
}

/// Follows a provisioning until it leaves `from`; its end state and how long that took.
async fn settle(api: &Api, name: &str, from: &str, started: Instant) -> anyhow::Result<(String, Duration)> {
    loop {
        let p: Value = api.get(&format!("/v1/projects/bench/provisionings/{name}")).await?;
        let state = p["state"].as_str().context("state")?.to_string();
        if state != from {
            return Ok((state, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Executes (or returns) and waits; the wall time.
async fn run_one(api: &Api, name: &str, req: Value, ret: bool) -> anyhow::Result<Duration> {
    let (path, from, want) = if ret {
        (format!("/v1/projects/bench/provisionings/{name}/return"), "Returning", "Returned")
    } else {
        ("/v1/projects/bench/provisionings".to_string(), "Provisioning", "Provisioned")
    };
    let started = Instant::now();
    api.post(&path, req).await?;
    let (state, took) = settle(api, name, from, started).await?;
    anyhow::ensure!(state == want, "{name} ended {state}, not {want}");
    Ok(took)
}

/// A template of `n` resources: security groups, each needed by a chain of instances.
fn wide_template(n: usize) -> String {
    let mut doc = String::from("name: bench-wide\ntitle: Wide\nversion: '1'\noverview: 50 resources\nresources:\n");
    let groups = n / 5;
    for g in 0..groups {
        doc.push_str(&format!("  sg{g}:\n    kind: security_group\n    rules: [{{protocol: tcp, port: 80}}]\n"));
    }
    for i in 0..n - groups {
        let after = if i % 4 == 0 { String::new() } else { format!(", depends_on: [vm{}]", i - 1) };
        doc.push_str(&format!(
            "  vm{i}: {{kind: instance, instance_type: t1.micro, image: ubuntu-22.04, security_groups: [sg{}]{after}}}\n",
            i % groups
        ));
    }
    doc
}

/// Runs `n` of `one` at once; their times.
async fn at_once<F>(n: usize, one: impl Fn(usize) -> F) -> anyhow::Result<Vec<Duration>>
where
    F: std::future::Future<Output = anyhow::Result<Duration>> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(one(i))).collect();
    let mut times = Vec::with_capacity(n);
    for h in handles {
        times.push(h.await??);
    }
    Ok(times)
}

async fn provider_calls(api: &Api) -> anyhow::Result<u64> {
    let text = api.http.get(format!("{}/metrics", api.base)).send().await?.text().await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("gureum_provider_calls_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

pub async fn bench(args: StackBenchArgs) -> anyhow::Result<()> {
    let server = Server::start(None, &["--no-guest-build".as_ref()])?;
    let api = server.api()?;
    api.post("/v1/connections", json!({"name": "bench", "driver": "sim", "settings": profile()})).await?;
    api.network("bench").await?;
    let kp = api.post("/v1/projects/bench/key-pairs", json!({"name": "bench", "connection": "bench"})).await?;
    api.succeeded("key pair", kp["operation_id"].as_str().context("key pair op")?).await?;
    println!("gureum bench stack: server {}, sim connection latencies {}", server.base, profile()["latency_ms"]);

    // A 10-VM stack: nine web servers behind a load-balancer VM.
    let req = body("lb10", "web-behind-lb", json!({"node_count": 9}));
    let plan = api.post("/v1/projects/bench/provisionings/plan", req.clone()).await?;
    let (predicted, predicted_return) = (
        plan["predicted_seconds"].as_f64().context("predicted")?,
        plan["predicted_return_seconds"].as_f64().context("return")?,
    );
    let took = run_one(&api, "lb10", req, false).await?.as_secs_f64();
    let ratio = took / predicted;
    println!(
        "10-VM stack (web-behind-lb, 9 web + 1 lb): provisioned in {took:.2} s; critical path + installation {predicted:.2} s ({}); ratio {ratio:.2}   [target <= 1.1: {}]",
        plan["critical_path"]
            .as_array()
            .map(|p| p.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" → "))
            .unwrap_or_default(),
        verdict(ratio <= 1.1)
    );
    let took = run_one(&api, "lb10", json!({"confirm": "lb10"}), true).await?.as_secs_f64();
    let ratio = took / predicted_return;
    println!(
        "10-VM stack returned in {took:.2} s; reverse critical path {predicted_return:.2} s; ratio {ratio:.2}   [target <= 1.1: {}]",
        verdict(ratio <= 1.1)
    );

    // The plan of a 50-resource template: no provider call.
    api.post("/v1/library/templates", json!({"document": wide_template(50)})).await?;
    let req = body("wide", "bench-wide", json!({}));
    let calls_before = provider_calls(&api).await?;
    let (p50, p99) = latencies(args.plans, async |_| {
        let plan = api.post("/v1/projects/bench/provisionings/plan", req.clone()).await?;
        anyhow::ensure!(plan["resources"].as_array().map(Vec::len) == Some(50), "a plan of 50 resources: {plan}");
        Ok(())
    })
    .await?;
    let calls = provider_calls(&api).await? - calls_before;
    println!(
        "plan of a 50-resource template: p50 {:.1} ms, p99 {:.1} ms, provider calls {calls}   [target <= 200 ms and no call: {}]",
        ms(p50),
        ms(p99),
        verdict(ms(p99) <= 200.0 && calls == 0)
    );

    // Stacks at once: two-VM web sites, all executed together, then all returned.
    let alone = {
        let req = body("alone", "static-website", json!({"node_count": 2}));
        let took = run_one(&api, "alone", req, false).await?;
        run_one(&api, "alone", json!({"confirm": "alone"}), true).await?;
        took
    };
    let started = Instant::now();
    let all = at_once(args.stacks, |i| {
        let (api, name) = (api.clone(), format!("s{i}"));
        async move { run_one(&api, &name, body(&name, "static-website", json!({"node_count": 2})), false).await }
    })
    .await?;
    let together = started.elapsed();
    let slowest = all.iter().max().copied().unwrap_or_default();
    println!(
        "{} two-VM stacks at once: all Provisioned in {:.2} s (slowest {:.2} s; one alone {:.2} s)",
        args.stacks,
        together.as_secs_f64(),
        slowest.as_secs_f64(),
        alone.as_secs_f64()
    );
    let started = Instant::now();
    at_once(args.stacks, |i| {
        let (api, name) = (api.clone(), format!("s{i}"));
        async move { run_one(&api, &name, json!({ "confirm": name }), true).await }
    })
    .await?;
    println!("{} stacks returned at once in {:.2} s", args.stacks, started.elapsed().as_secs_f64());
    Ok(())
}
