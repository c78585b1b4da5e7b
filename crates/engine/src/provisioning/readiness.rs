//! "Provisioned" means reachable. On real VMs the template's HTTP check must pass on
//! every instance it names; on the simulated cloud the installation is simulated, taking
//! the template's installation time scaled by the connection's latency profile (a
//! connection whose VMs are made in a tenth of the default time installs ten times faster).

use super::stack::{POLL, StackRun};
use gureum_model::provisioning::StackResourceKind;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The simulated cloud's default time to make a VM, the scale's unit.
const DEFAULT_VM_CREATE_MS: f64 = 3000.0;

/// The simulated installation time on a connection with `details` (its driver's).
pub(crate) fn simulated_install(install_seconds: u64, details: &serde_json::Value) -> Duration {
    let vm_create = details["settings"]["latency_ms"]["vm_create"].as_f64().unwrap_or(DEFAULT_VM_CREATE_MS);
    Duration::from_secs_f64(install_seconds as f64 * vm_create / DEFAULT_VM_CREATE_MS)
}

pub(crate) async fn wait(run: &StackRun) -> Result<(), String> {
    let readiness = &run.doc.readiness;
    let driver = run.engine.driver(run.prov.connection_id).await.map_err(|e| e.to_string())?;
    let info = driver.info();
    let Some(http) = readiness.http.as_ref().filter(|_| info.driver == "qemu") else {
        tokio::time::sleep(simulated_install(readiness.install_seconds, &info.details)).await;
        return Ok(());
    };
    let rows = run.rows().await.map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + run.engine.config().wait_timeout;
    for r in rows.iter().filter(|r| r.kind == StackResourceKind::Instance && r.resource == http.resource) {
        let id = r.resource_id.ok_or_else(|| format!("{} was never made", r.name))?;
        loop {
            // Asked again each time: a forward may appear only once the rules reach the VM.
            let outcome = match run.engine.child_address(id, http.port).await {
                Ok((address, port)) => match get_status(&address, port, &http.path).await {
                    Ok(status) if (200..300).contains(&status) => break,
                    outcome => format!("http://{address}:{port}{}: {outcome:?}", http.path),
                },
                Err(e) => e.to_string(),
            };
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer on port {} within {:?} (last: {outcome})",
                    r.name,
                    http.port,
                    run.engine.config().wait_timeout
                ));
            }
            tokio::time::sleep(POLL * 5).await;
        }
    }
    Ok(())
}

/// The status code of `GET path` on `address:port` (HTTP/1.0, so the server closes).
pub(crate) async fn get_status(address: &str, port: u16, path: &str) -> Result<u16, String> {
    let io = async {
        let mut s = tokio::net::TcpStream::connect((address, port)).await?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n = s.read(&mut head).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&head[..n]).to_string())
    };
    let head = tokio::time::timeout(Duration::from_secs(5), io)
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("not an HTTP answer: {head:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn installation_time_follows_the_connections_latency() {
        let slow = json!({"settings": {"latency_ms": {"vm_create": 3000}}});
        let fast = json!({"settings": {"latency_ms": {"vm_create": 300}}});
        assert_eq!(simulated_install(60, &slow), Duration::from_secs(60));
        assert_eq!(simulated_install(60, &fast), Duration::from_secs(6));
        assert_eq!(simulated_install(60, &json!({})), Duration::from_secs(60), "no profile: the default time");
    }
}
