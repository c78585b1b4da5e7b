//! Debian's HAProxy in front of the servers a benchmark starts: round robin, health
//! checks on `/healthz`; killed when dropped.

use super::Process;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether HAProxy is installed, before anything is started for it.
pub(crate) fn installed() -> anyhow::Result<()> {
    match Command::new("haproxy").arg("-v").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => bail!(
            "gureum bench servers balances the servers with HAProxy, which is not installed: apt-get install haproxy"
        ),
    }
}

pub(crate) struct Balancer {
    pub process: Process,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Balancer {
    /// Balances `backends` (`http://127.0.0.1:PORT` each); its config and log under `dir`.
    /// Returns once a request through it reaches a server.
    pub async fn start(dir: &Path, backends: &[String]) -> anyhow::Result<Balancer> {
        // A port free now; HAProxy binds it a moment later.
        let listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut servers = String::new();
        for (i, b) in backends.iter().enumerate() {
            let addr = b.trim_start_matches("http://");
            servers.push_str(&format!("    server s{i} {addr} check inter 1s fall 3 rise 1\n"));
        }
        let config = format!(
            "global\n    maxconn 4096\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n\
             \x20   timeout check 5s\n    option redispatch\n    retries 2\n\
             frontend api\n    bind {listen}\n    default_backend gureum\n\
             backend gureum\n    balance roundrobin\n    option httpchk GET /healthz\n{servers}"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config)?;
        let log = dir.join("haproxy.log");
        let mut cmd = Command::new("haproxy");
        cmd.args(["-db", "-f"]).arg(&path).stdout(Stdio::null()).stderr(std::fs::File::create(&log)?);
        let process = Process(cmd.spawn().context("starting haproxy")?);
        let balancer = Balancer { process, url: format!("http://{listen}") };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = http.get(format!("{}/healthz", balancer.url)).send().await;
            if r.is_ok_and(|r| r.status().is_success()) {
                return Ok(balancer);
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("haproxy did not answer on {listen} within 10 s: {}", log.trim());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
