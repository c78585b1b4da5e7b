//! A real HAProxy (Debian's) in front of several `gureum serve`: round robin, health
//! checks on `/healthz`, so a killed server leaves the rotation and a restarted one joins.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An `haproxy` process, killed when dropped.
pub struct Haproxy {
    child: Child,
    /// `http://127.0.0.1:PORT`, the balancer's address.
    pub url: String,
}

/// Whether HAProxy is installed; under `CI=true` it must be.
pub fn available() -> bool {
    let found = Command::new("haproxy").arg("-v").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run the balancer tests: apt-get install haproxy"
        );
        eprintln!("skipping: no haproxy (apt-get install haproxy)");
    }
    found
}

impl Haproxy {
    /// Balances `backends` (`127.0.0.1:PORT` each), its config and socket under `dir`.
    pub fn start(dir: &Path, backends: &[String]) -> Haproxy {
        let listen = super::agent::free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, b)| format!("    server s{i} {b} check inter 300ms fall 2 rise 1\n"))
            .collect();
        let config = format!(
            "global\n    maxconn 4096\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    timeout server 120s\n\
             \x20   option redispatch\n    retries 2\n\
             frontend api\n    bind {listen}\n    default_backend gureum\n\
             backend gureum\n    balance roundrobin\n    option httpchk GET /healthz\n{servers}"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start haproxy");
        let proxy = Haproxy { child, url: format!("http://{listen}") };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&listen).is_err() {
            assert!(Instant::now() < deadline, "haproxy did not listen on {listen}");
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
