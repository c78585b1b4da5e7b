//! A real `gureum sim serve` process: the simulated clouds as a service of their own.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `gureum sim serve` process, killed when dropped.
pub struct SimService {
    child: Child,
    /// `http://ADDR:PORT` as it listens, what a connection's `endpoint` names.
    pub url: String,
    /// Its `--token`, else its `<data-dir>/sim.token` (what calls from other hosts bear).
    pub token: String,
}

impl SimService {
    /// Starts the service on `data_dir` and `listen` (`127.0.0.1:0` picks a port).
    pub fn start(data_dir: &Path, listen: &str) -> SimService {
        Self::start_with(data_dir, listen, None)
    }

    /// The same, with `--token` when given (then every call must bear it).
    pub fn start_with(data_dir: &Path, listen: &str, token: Option<&str>) -> SimService {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gureum"));
        cmd.args(["sim", "serve", "--listen", listen, "--data-dir"]).arg(data_dir);
        if let Some(t) = token {
            cmd.args(["--token", t]);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gureum sim serve");
        let (url, _) = super::listening(&mut child, "gureum sim listening on ");
        let token = match token {
            Some(t) => t.to_string(),
            None => std::fs::read_to_string(data_dir.join("sim.token")).expect("sim.token").trim().to_string(),
        };
        SimService { child, url, token }
    }

    /// The body creating sim connection `name` on this service with these `settings`
    /// (its endpoint added) and its token as credentials.
    pub fn connection_body(&self, name: &str, mut settings: Value) -> Value {
        settings["endpoint"] = json!(self.url);
        json!({ "name": name, "driver": "sim", "settings": settings, "credentials": { "token": self.token } })
    }

    /// The address it listens on, to start it again there.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for SimService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
