//! The server a benchmark measures (a real `gureum serve` on a temporary data
//! directory, ended on drop) and its clients: the API and a console session.

use anyhow::{Context, bail};
use gureum_api_types::{Instance, Operation, OperationStatus};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Killed when dropped (before its data directory goes).
pub(crate) struct Server {
    pub(crate) process: Process,
    pub base: String,
    pub token: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Server {
    /// Starts `gureum serve` on a fresh temporary data directory; `extra` are more
    /// arguments of `serve`.
    pub fn start(database_url: Option<&str>, extra: &[&std::ffi::OsStr]) -> anyhow::Result<Server> {
        Server::start_in(tempfile::tempdir()?, database_url, extra)
    }

    /// Starts `gureum serve` on data directory `dir`, which may already hold what the
    /// server must share with others (`secret.key`, `admin.token`).
    pub fn start_in(
        dir: tempfile::TempDir,
        database_url: Option<&str>,
        extra: &[&std::ffi::OsStr],
    ) -> anyhow::Result<Server> {
        let mut cmd = gureum()?;
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.path()).args(extra);
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let (process, base) =
            Process::listening(cmd, "gureum listening on ").context("the server did not say where it listens")?;
        let token = std::fs::read_to_string(dir.path().join("admin.token"))?.trim().to_string();
        Ok(Server { process, base, token, dir })
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn api(&self) -> anyhow::Result<Api> {
        Ok(Api { http: reqwest::Client::builder().build()?, base: self.base.clone(), token: self.token.clone() })
    }

    /// CPU seconds the server has used so far (user + system).
    pub(crate) fn cpu_seconds(&self) -> f64 {
        self.process.cpu_seconds()
    }

    pub(crate) fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.0.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

/// A process of ours other than a server (the simulated cloud, a balancer), killed
/// when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// Starts `cmd` (a [`gureum`] command that prints `prefix` and its address once it
    /// listens); the process and that address. It is killed if it never says.
    pub(crate) fn listening(mut cmd: Command, prefix: &str) -> anyhow::Result<(Process, String)> {
        let mut process = Process(cmd.spawn().with_context(|| format!("starting {:?}", cmd.get_program()))?);
        let addr = listening(&mut process.0, prefix)?;
        Ok((process, addr))
    }

    pub(crate) fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.0.id().to_string())
    }
}

/// This binary, logging warnings only, its output read by us.
pub(crate) fn gureum() -> anyhow::Result<Command> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.env("RUST_LOG", "warn").stdout(Stdio::piped()).stderr(Stdio::inherit());
    Ok(cmd)
}

/// Reads what `child` prints until the line starting with `prefix`; the rest of it.
fn listening(child: &mut Child, prefix: &str) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut found = None;
    for line in lines.by_ref() {
        if let Some(rest) = line?.strip_prefix(prefix) {
            found = Some(rest.trim().to_string());
            break;
        }
    }
    // Keep reading what it prints after that: a closed pipe would end it.
    std::thread::spawn(move || lines.for_each(drop));
    found.with_context(|| format!("it ended without printing {prefix:?}"))
}

/// CPU seconds process `pid` (or "self") has used so far (user + system).
pub(crate) fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and
    // 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).copied().unwrap_or(0.0) + fields.get(12).copied().unwrap_or(0.0)) / 100.0
}

#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

impl Api {
    pub async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: {status} {text}"))
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let status = r.status();
        if !status.is_success() {
            bail!("GET {path}: {status} {}", r.text().await?);
        }
        Ok(r.json().await?)
    }

    pub async fn wait(&self, op: &str) -> anyhow::Result<Operation> {
        loop {
            let o: Operation = self.get(&format!("/v1/projects/bench/operations/{op}?wait_seconds=30")).await?;
            if o.status.is_finished() {
                return Ok(o);
            }
        }
    }

    /// Asks for an instance of `image` in the project's network; its create operation runs.
    pub(crate) async fn start_instance(&self, name: &str, image: &str) -> anyhow::Result<Instance> {
        let body = json!({"name": name, "instance_type": "t1.micro", "image": image, "subnet": "bench",
                          "security_groups": ["bench"]});
        Ok(serde_json::from_value(self.post("/v1/projects/bench/instances", body).await?)?)
    }

    /// Creates an instance of `image` in the project's network and waits until its create
    /// operation finished.
    pub async fn instance_of(&self, name: &str, image: &str) -> anyhow::Result<()> {
        let i = self.start_instance(name, image).await?;
        self.succeeded(&format!("instance {name}"), &i.operation_id.context("no operation")?.to_string()).await
    }

    pub(crate) async fn instance(&self, name: &str) -> anyhow::Result<()> {
        self.instance_of(name, "ubuntu-22.04").await
    }

    /// Deletes an instance and waits until it is gone.
    pub async fn delete_instance(&self, name: &str) -> anyhow::Result<()> {
        let path = format!("/v1/projects/bench/instances/{name}");
        let r = self.http.delete(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let status = r.status();
        let v: serde_json::Value = r.json().await?;
        anyhow::ensure!(status.is_success(), "DELETE {path}: {status} {v}");
        self.succeeded(&format!("deleting {name}"), v["operation_id"].as_str().context("no operation")?).await
    }

    pub(crate) async fn succeeded(&self, what: &str, op: &str) -> anyhow::Result<()> {
        let op = self.wait(op).await?;
        if op.status != OperationStatus::Succeeded {
            bail!("{what}: {:?} {:?}", op.status, op.error);
        }
        Ok(())
    }

    /// The project `bench` with a VPC, subnet and security group `bench` on `connection`.
    pub async fn network(&self, connection: &str) -> anyhow::Result<()> {
        self.post("/v1/projects", json!({"name": "bench"})).await?;
        let vpc = self
            .post("/v1/projects/bench/vpcs", json!({"name": "bench", "cidr": "10.0.0.0/16", "connection": connection}))
            .await?;
        self.succeeded("vpc", vpc["operation_id"].as_str().context("vpc op")?).await?;
        let subnet =
            self.post("/v1/projects/bench/vpcs/bench/subnets", json!({"name": "bench", "cidr": "10.0.0.0/16"})).await?;
        self.succeeded("subnet", subnet["operation_id"].as_str().context("subnet op")?).await?;
        let sg = self.post("/v1/projects/bench/security-groups", json!({"name": "bench", "vpc": "bench"})).await?;
        self.succeeded("security group", sg["operation_id"].as_str().context("sg op")?).await
    }
}

/// The value of cookie `name` set by a response.
pub(crate) fn set_cookie(resp: &reqwest::Response, name: &str) -> anyhow::Result<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .with_context(|| format!("no {name} cookie"))
}

/// A signed-in console browser: admin's session cookie.
pub(crate) struct ConsoleSession {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) cookie: String,
}

impl ConsoleSession {
    /// Gives admin a password through the API and signs in with the console's form.
    pub(crate) async fn sign_in(api: &Api) -> anyhow::Result<ConsoleSession> {
        // URL-safe as it is, so the form body needs no encoding.
        const PASSWORD: &str = "bench-console-password";
        let r = api
            .http
            .put(format!("{}/v1/users/admin/password", api.base))
            .bearer_auth(&api.token)
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "setting admin's password: {}", r.status());
        // The sign-in answer's cookie is on the redirect itself.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let form = http.get(format!("{}/login", api.base)).send().await?;
        let login = set_cookie(&form, "gureum_login")?;
        let page = form.text().await?;
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).context("csrf")?;
        let r = http
            .post(format!("{}/login", api.base))
            .header(reqwest::header::COOKIE, format!("gureum_login={login}"))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&name=admin&password={PASSWORD}&next=%2F"))
            .send()
            .await?;
        let cookie = format!("gureum_session={}", set_cookie(&r, "gureum_session")?);
        Ok(ConsoleSession { http, base: api.base.clone(), cookie })
    }

    /// GETs a console page; returns the server's own time for it (`Server-Timing`).
    pub(crate) async fn page(&self, path: &str) -> anyhow::Result<Duration> {
        let r =
            self.http.get(format!("{}{path}", self.base)).header(reqwest::header::COOKIE, &self.cookie).send().await?;
        if !r.status().is_success() {
            bail!("GET {path}: {}", r.status());
        }
        let timing = r.headers().get("server-timing").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let ms: f64 = timing.strip_prefix("app;dur=").and_then(|v| v.parse().ok()).context("no Server-Timing")?;
        anyhow::ensure!(r.text().await?.contains("id=\"instances\""), "GET {path}: no instance table");
        Ok(Duration::from_secs_f64(ms / 1000.0))
    }
}
