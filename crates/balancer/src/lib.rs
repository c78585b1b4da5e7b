//! Debian's HAProxy in front of several gureum servers: round robin, each server checked
//! on `/healthz` so that a killed one leaves the rotation and a restarted one joins it
//! again, a request whose server died before answering sent to another. Killed when
//! dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long HAProxy may take to listen.
const LISTEN_WITHIN: Duration = Duration::from_secs(10);

/// Whether `haproxy` runs here.
pub fn installed() -> bool {
    Command::new("haproxy").arg("-v").output().is_ok_and(|o| o.status.success())
}

/// How often each server is checked, and after how many failed checks in a row it leaves
/// the rotation (one passed check brings it back).
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    pub every: Duration,
    pub fall: u32,
}

/// A running `haproxy`.
pub struct Haproxy {
    child: Child,
    /// `http://127.0.0.1:PORT`, where it listens.
    pub url: String,
}

impl Haproxy {
    /// Balances `servers` (`HOST:PORT`, or `http://HOST:PORT`), its config and log in
    /// `dir`; returns once it listens.
    pub fn start(dir: &Path, servers: &[String], checks: Checks) -> Result<Haproxy, String> {
        let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
        // A port free now; HAProxy binds it a moment later.
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| io("a free port", e))?;
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config(listen, servers, checks)).map_err(|e| io("writing haproxy.cfg", e))?;
        let log_path = dir.join("haproxy.log");
        let log = std::fs::File::create(&log_path).map_err(|e| io("creating haproxy.log", e))?;
        let child = Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| io("starting haproxy (apt-get install haproxy)", e))?;
        let proxy = Haproxy { child, url: format!("http://{listen}") };
        let deadline = Instant::now() + LISTEN_WITHIN;
        while std::net::TcpStream::connect(listen).is_err() {
            if Instant::now() > deadline {
                let said = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("haproxy did not listen on {listen} within 10 s: {}", said.trim()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(proxy)
    }

    /// Its process id (to read what it costs).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(listen: std::net::SocketAddr, servers: &[String], checks: Checks) -> String {
    let inter = checks.every.as_millis();
    let servers: String = servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let addr = s.trim_start_matches("http://");
            format!("    server s{i} {addr} check inter {inter}ms fall {} rise 1\n", checks.fall)
        })
        .collect();
    format!(
        "global\n    maxconn 4096\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n\
         \x20   timeout check 5s\n    option redispatch\n    retries 2\n\
         frontend api\n    bind {listen}\n    default_backend gureum\n\
         backend gureum\n    balance roundrobin\n    option httpchk GET /healthz\n{servers}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_server_is_checked_on_healthz_at_the_given_pace() {
        let listen = "127.0.0.1:7480".parse().unwrap();
        let checks = Checks { every: Duration::from_millis(300), fall: 2 };
        let text = config(listen, &["127.0.0.1:7481".into(), "http://127.0.0.1:7482".into()], checks);
        assert!(text.contains("bind 127.0.0.1:7480\n"), "{text}");
        assert!(text.contains("option httpchk GET /healthz\n"), "{text}");
        assert!(text.contains("    server s0 127.0.0.1:7481 check inter 300ms fall 2 rise 1\n"), "{text}");
        assert!(text.contains("    server s1 127.0.0.1:7482 check inter 300ms fall 2 rise 1\n"), "{text}");
    }
}
