//! A real `gureum serve` process for end-to-end tests: its own data directory and port,
//! killable with SIGKILL and restartable on the same data.

#![allow(dead_code)]

pub mod agent;
pub mod clock;
pub mod haproxy;
pub mod shared;
pub mod sim;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub token: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts `gureum serve` on `data_dir` (created if needed), the database at
    /// `database_url` (see `gureum_store::testing::fresh_database`) and a free port.
    pub fn start(data_dir: &Path, database_url: &str) -> Server {
        Self::start_with(data_dir, database_url, &[])
    }

    /// Like [`Server::start`], with more `gureum serve` options. It never builds the
    /// guest image: a test that wants QEMU brings it (see [`QemuHost`]).
    pub fn start_with(data_dir: &Path, database_url: &str, options: &[&str]) -> Server {
        Self::spawn(data_dir, database_url, &[&["--no-guest-build"], options].concat()).0
    }

    /// One of several servers sharing a PostgreSQL database: like [`Server::start_with`],
    /// and its host is no node of its own (hosts join through `gureum agent`).
    pub fn start_shared(data_dir: &Path, database_url: &str, options: &[&str]) -> Server {
        Self::start_shared_env(data_dir, database_url, options, &[])
    }

    /// Like [`Server::start_shared`], with these environment variables set.
    pub fn start_shared_env(data_dir: &Path, database_url: &str, options: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn_as(data_dir, database_url, &[&["--no-guest-build"], options].concat(), false, env).0
    }

    /// `gureum serve` with just these options; also returns what it printed before it
    /// listened.
    pub fn spawn(data_dir: &Path, database_url: &str, options: &[&str]) -> (Server, Vec<String>) {
        Self::spawn_as(data_dir, database_url, options, true, &[])
    }

    /// `one_server`: the only server of its database, which offers its host as node
    /// `local-1` on PostgreSQL too.
    fn spawn_as(
        data_dir: &Path,
        database_url: &str,
        options: &[&str],
        one_server: bool,
        env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gureum"));
        cmd.arg("serve").envs(env.iter().copied());
        // A free port unless the test gives one (a server restarted behind a balancer
        // keeps its address).
        if !options.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .args(["--database-url", database_url])
            .args(options);
        if one_server && database_url.starts_with("postgres") {
            cmd.arg("--local-host");
        }
        let mut child = cmd.spawn().expect("start gureum serve");
        let (base, said) = listening(&mut child, "gureum listening on ");
        let token = std::fs::read_to_string(data_dir.join("admin.token")).expect("admin.token").trim().to_string();
        (Server { child, base, token, data_dir: data_dir.to_path_buf() }, said)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }

    pub fn client(&self) -> Client {
        Client { http: reqwest::Client::new(), base: self.base.clone(), token: self.token.clone() }
    }
}

/// Reads `child`'s piped stdout up to the line `{banner}URL`; returns the URL and the
/// lines before it. The rest of stdout is drained, so the child never blocks on a full pipe.
pub fn listening(child: &mut Child, banner: &str) -> (String, Vec<String>) {
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut said = vec![];
    let url = loop {
        let line = lines.next().expect("exited before listening").expect("read stdout");
        if let Some(url) = line.strip_prefix(banner) {
            break url.trim().to_string();
        }
        said.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    (url, said)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Client {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.json().await.unwrap_or(Value::Null))
            }
            // The server was killed under the request.
            Err(_) => (0, Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {v}");
        v
    }

    /// Follows an operation to its end. Behind a balancer, a server killed under the
    /// long-poll fails it (no answer, or 502/503 from the balancer): the GET is asked
    /// again, for at most 10 s of such failures in a row.
    pub async fn wait_op(&self, project: &str, op: &str) -> Value {
        let path = format!("/v1/projects/{project}/operations/{op}?wait_seconds=30");
        let mut failed_in_a_row = 0;
        loop {
            let (status, o) = self.call(reqwest::Method::GET, &path, None).await;
            if matches!(status, 0 | 502 | 503) && failed_in_a_row < 50 {
                failed_in_a_row += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            assert_eq!(status, 200, "GET {path}: {o}");
            failed_in_a_row = 0;
            if ["succeeded", "failed", "cancelled"].contains(&o["status"].as_str().unwrap_or_default()) {
                return o;
            }
        }
    }

    /// Starts an action on `/v1/projects/{project}/{path}` (POST with a body, DELETE
    /// without) and waits for its operation to succeed; returns what the request answered.
    pub async fn run(&self, project: &str, path: &str, body: Option<Value>) -> Value {
        let method = if body.is_some() { reqwest::Method::POST } else { reqwest::Method::DELETE };
        let (status, accepted) = self.call(method, &format!("/v1/projects/{project}/{path}"), body).await;
        assert!((200..300).contains(&status), "{path}: {status} {accepted}");
        let op = accepted["operation_id"].as_str().unwrap_or_else(|| panic!("{path}: {accepted}"));
        let op = self.wait_op(project, op).await;
        assert_eq!(op["status"], "succeeded", "{path}: {op}");
        accepted
    }

    /// Every item of a paginated list.
    pub async fn list_all(&self, path: &str) -> Vec<Value> {
        let mut items = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit=1000&cursor={c}"),
                None => format!("{path}{sep}limit=1000"),
            };
            let page = self.get(&url).await;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
    }

    /// A project with a VPC, a subnet and a security group on `connection`.
    pub async fn network(&self, project: &str, connection: &str) {
        self.post("/v1/projects", json!({ "name": project })).await;
        let p = format!("/v1/projects/{project}");
        let vpc = self
            .post(&format!("{p}/vpcs"), json!({"name": "net", "cidr": "10.0.0.0/16", "connection": connection}))
            .await;
        self.wait_op(project, vpc["operation_id"].as_str().unwrap()).await;
        let subnet = self.post(&format!("{p}/vpcs/net/subnets"), json!({"name": "net", "cidr": "10.0.0.0/20"})).await;
        self.wait_op(project, subnet["operation_id"].as_str().unwrap()).await;
        let sg = self.post(&format!("{p}/security-groups"), json!({"name": "sg", "vpc": "net"})).await;
        self.wait_op(project, sg["operation_id"].as_str().unwrap()).await;
    }
}

/// The banner behind a port forward, if something answers there (slirp accepts a
/// connection even when nothing listens in the guest: only a banner proves the way in).
pub fn banner(address: &str) -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect_timeout(&address.parse().ok()?, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).ok()?;
    (n > 0).then(|| String::from_utf8_lossy(&buf[..n]).trim().to_string())
}

/// Polls `check` until it returns `Some`, failing after `timeout` with the last state.
pub async fn eventually<T>(timeout: Duration, what: &str, mut check: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => panic!("{what} did not happen within {timeout:?}; last: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The connection's drift view, asserted empty: gureum and the provider agree on every
/// resource.
pub async fn assert_no_drift(c: &Client, connection: &str) -> Value {
    let drift = c.get(&format!("/v1/connections/{connection}/drift")).await;
    assert_eq!(drift["only_in_provider"], json!([]), "provider resources gureum does not know: {drift}");
    assert_eq!(drift["only_in_gureum"], json!([]), "records whose provider resource is gone: {drift}");
    drift
}

pub fn connection_body(name: &str, settings: Value) -> Value {
    json!({ "name": name, "driver": "sim", "settings": settings })
}

/// A data directory and database for a server that runs VMs on this host's QEMU: the
/// tiny-linux image linked in, and every QEMU process under it killed when dropped.
pub struct QemuHost {
    // Dropped first: no guest outlives the directory it runs from.
    _guests: gureum_qemu::testing::KillGuests,
    pub db: String,
    _db_dir: tempfile::TempDir,
    dir: tempfile::TempDir,
}

impl QemuHost {
    /// `None` (the test skips) when this host has no QEMU; see `images_dir`.
    pub async fn new() -> Option<QemuHost> {
        let images = gureum_qemu::testing::images_dir()?;
        let dir = tempfile::tempdir().unwrap();
        let _guests = gureum_qemu::testing::KillGuests(dir.path().to_path_buf());
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        std::os::unix::fs::symlink(images.join("tiny-linux"), dir.path().join("images/tiny-linux")).unwrap();
        let (db, _db_dir) = gureum_store::testing::fresh_database().await.unwrap();
        Some(QemuHost { _guests, db, _db_dir, dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
