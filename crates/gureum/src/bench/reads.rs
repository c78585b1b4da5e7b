//! The read path: `GET` of an instance whose connection answers every call in 500 ms
//! stays as fast as any other, because reads answer from the store and never call the
//! provider (the server's `gureum_provider_calls_total{call="get"}` does not move).

use super::{Api, latencies, ms, verdict};
use anyhow::Context;
use gureum_api_types::Instance;
use serde_json::json;

/// How long each call to the slow connection's provider takes.
const CALL_MS: u64 = 500;

pub(super) async fn read_path(api: &Api, samples: usize) -> anyhow::Result<()> {
    let settings = json!({"latency_ms": 0, "call_ms": CALL_MS});
    api.post("/v1/connections", json!({"name": "slow", "driver": "sim", "settings": settings})).await?;
    let vpc = api
        .post("/v1/projects/bench/vpcs", json!({"name": "slow", "cidr": "10.1.0.0/16", "connection": "slow"}))
        .await?;
    api.succeeded("vpc slow", vpc["operation_id"].as_str().context("vpc op")?).await?;
    let subnet =
        api.post("/v1/projects/bench/vpcs/slow/subnets", json!({"name": "slow", "cidr": "10.1.0.0/16"})).await?;
    api.succeeded("subnet slow", subnet["operation_id"].as_str().context("subnet op")?).await?;
    let sg = api.post("/v1/projects/bench/security-groups", json!({"name": "slow", "vpc": "slow"})).await?;
    api.succeeded("security group slow", sg["operation_id"].as_str().context("sg op")?).await?;
    let body = json!({"name": "slow-1", "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "slow",
                      "security_groups": ["slow"]});
    let i: Instance = serde_json::from_value(api.post("/v1/projects/bench/instances", body).await?)?;
    api.succeeded("instance slow-1", &i.operation_id.context("no operation")?.to_string()).await?;

    let gets_before = provider_gets(api).await?;
    let (p50, p99) = latencies(samples, async |_| {
        let i: Instance = api.get("/v1/projects/bench/instances/slow-1").await?;
        anyhow::ensure!(i.provider.is_some(), "no provider view recorded for slow-1");
        Ok(())
    })
    .await?;
    let gets = provider_gets(api).await? - gets_before;
    println!(
        "GET one instance, its connection's calls taking {CALL_MS} ms: p50 {:.2} ms, p99 {:.2} ms, \
         provider calls {gets}   [target p99 < 2 ms and no call: {}]",
        ms(p50),
        ms(p99),
        verdict(ms(p99) < 2.0 && gets == 0)
    );
    Ok(())
}

/// The server's count of provider `get` calls, from `/metrics`.
async fn provider_gets(api: &Api) -> anyhow::Result<u64> {
    let text = api.http.get(format!("{}/metrics", api.base)).send().await?.text().await?;
    let line = text.lines().find(|l| l.starts_with("gureum_provider_calls_total{call=\"get\"}"));
    Ok(line.and_then(|l| l.rsplit(' ').next()).map_or(Ok(0), str::parse)?)
}
