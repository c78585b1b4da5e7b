//! Debian's HAProxy ([`gureum_balancer`]) in front of the servers a benchmark starts,
//! ready once a request through it reaches a server.

use anyhow::bail;
use gureum_balancer::{Checks, Haproxy};
use std::path::Path;
use std::time::{Duration, Instant};

/// Whether HAProxy is installed, before anything is started for it.
pub(crate) fn installed() -> anyhow::Result<()> {
    if !gureum_balancer::installed() {
        bail!(
            "gureum bench servers balances the servers with HAProxy, which is not installed: apt-get install haproxy"
        );
    }
    Ok(())
}

/// Balances `backends` (`http://127.0.0.1:PORT` each); its config and log under `dir`.
/// Returns once a request through it reaches a server.
pub(crate) async fn start(dir: &Path, backends: &[String]) -> anyhow::Result<Haproxy> {
    let checks = Checks { every: Duration::from_secs(1), fall: 3 };
    let balancer = Haproxy::start(dir, backends, checks).map_err(anyhow::Error::msg)?;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = http.get(format!("{}/healthz", balancer.url)).send().await;
        if r.is_ok_and(|r| r.status().is_success()) {
            return Ok(balancer);
        }
        if Instant::now() > deadline {
            bail!("no server answered through haproxy at {} within 10 s", balancer.url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
