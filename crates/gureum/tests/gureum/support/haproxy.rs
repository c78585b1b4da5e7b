//! A real HAProxy (Debian's, [`gureum_balancer`]) in front of several `gureum serve`,
//! checking them often, so a killed server leaves the rotation within a second.

use gureum_balancer::{Checks, Haproxy};
use std::path::Path;
use std::time::Duration;

/// Whether HAProxy is installed; under `CI=true` it must be.
pub fn available() -> bool {
    let found = gureum_balancer::installed();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run the balancer tests: apt-get install haproxy"
        );
        eprintln!("skipping: no haproxy (apt-get install haproxy)");
    }
    found
}

/// Balances `servers` (`127.0.0.1:PORT` each), its config and log under `dir`.
pub fn start(dir: &Path, servers: &[String]) -> Haproxy {
    Haproxy::start(dir, servers, Checks { every: Duration::from_millis(300), fall: 2 }).expect("haproxy")
}
