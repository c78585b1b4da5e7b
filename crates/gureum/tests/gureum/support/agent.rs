//! A real `gureum agent` process for the node tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `gureum agent` process, killed when dropped.
pub struct Agent(Child);

impl Agent {
    pub fn start(server: &str, data_dir: &Path, listen: &str, join_token: Option<&str>) -> Agent {
        Self::start_with(server, data_dir, listen, join_token, &[])
    }

    pub fn start_with(
        server: &str,
        data_dir: &Path,
        listen: &str,
        join_token: Option<&str>,
        options: &[&str],
    ) -> Agent {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gureum"));
        cmd.args([
            "agent",
            "--no-guest-build",
            "--server",
            server,
            "--name",
            "far-1",
            "--listen",
            listen,
            "--data-dir",
        ])
        .arg(data_dir)
        .args(options)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
        if let Some(t) = join_token {
            cmd.args(["--join-token", t]);
        }
        Agent(cmd.spawn().expect("start gureum agent"))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}
