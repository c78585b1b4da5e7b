//! The API served over real HTTP on a real engine (a fresh database, SQLite or PostgreSQL
//! with `GUREUM_TEST_DATABASE_URL`, and the zero-latency sim connection `fast`), and a
//! small client that speaks to it like any other client would.

#![allow(dead_code)]

use gureum_engine::testing::{FAST, TestEngine};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::time::Duration;

/// An engine and the HTTP server in front of it.
pub struct Api {
    pub te: TestEngine,
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Api {
        let te = TestEngine::start(gureum_sim::registry()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let app = gureum_api::app(te.engine.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        let http = reqwest::Client::builder().timeout(Duration::from_secs(90)).build().expect("http client");
        Api { te, base, http }
    }

    /// The system administrator.
    pub fn admin(&self) -> Client {
        self.client(Some(&self.te.admin_token))
    }

    /// A caller with `token`, or with none.
    pub fn client(&self, token: Option<&str>) -> Client {
        Client { http: self.http.clone(), base: self.base.clone(), token: token.map(str::to_string) }
    }

    /// Creates a user (as the system administrator) and returns a client with a new token
    /// of theirs.
    pub async fn user(&self, name: &str) -> Client {
        let admin = self.admin();
        admin.expect(201, Method::POST, "/v1/users", Some(json!({ "name": name }))).await;
        let t = admin.expect(201, Method::POST, &format!("/v1/users/{name}/tokens"), Some(json!({"name": "t"}))).await;
        self.client(Some(t["secret"].as_str().expect("token secret")))
    }
}

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks the one error body shape and returns `error`.
    pub fn error(&self) -> &Value {
        let e = &self.body["error"];
        assert!(
            e["code"].is_string() && e["message"].is_string(),
            "not an error body ({}): {}",
            self.status,
            self.text
        );
        let rid = e["request_id"].as_str().expect("error.request_id");
        assert!(!rid.is_empty(), "empty request id: {}", self.text);
        assert_eq!(Some(rid), self.header("x-request-id"), "error.request_id is the x-request-id header");
        e
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    /// Sends a request, with `body` as JSON when given.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.send_with(method, path, body, &[]).await
    }

    /// Like [`Client::send`] with extra headers.
    pub async fn send_with(&self, method: Method, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.finish(req, headers).await
    }

    /// Sends raw bytes with the given content type (or none).
    pub async fn send_raw(&self, method: Method, path: &str, content_type: Option<&str>, body: &[u8]) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).body(body.to_vec());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        self.finish(req, &[]).await
    }

    async fn finish(&self, mut req: reqwest::RequestBuilder, headers: &[(&str, &str)]) -> Resp {
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.expect("the server answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    /// Sends and asserts the status; returns the body.
    pub async fn expect(&self, status: u16, method: Method, path: &str, body: Option<Value>) -> Value {
        let r = self.send(method.clone(), path, body.as_ref()).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text);
        r.body
    }

    pub async fn get(&self, path: &str) -> Value {
        self.expect(200, Method::GET, path, None).await
    }

    /// A POST that starts work (202); waits for its operation to succeed and returns the
    /// resource as it is then.
    pub async fn create(&self, project: &str, path: &str, body: Value) -> Value {
        let v = self.expect(202, Method::POST, path, Some(body)).await;
        self.settle(project, &v).await;
        self.get(v["links"]["self"].as_str().expect("links.self")).await
    }

    /// Waits for the operation a view names to succeed.
    pub async fn settle(&self, project: &str, view: &Value) -> Value {
        let op = view["operation_id"].as_str().unwrap_or_else(|| panic!("no operation in {view}"));
        self.wait_op(project, op).await
    }

    /// Follows an operation to its end and asserts it succeeded.
    pub async fn wait_op(&self, project: &str, op: &str) -> Value {
        let o = self.finished_op(project, op).await;
        assert_eq!(o["status"], "succeeded", "operation {op} did not succeed: {o}");
        o
    }

    /// Follows an operation to its end, however it ends.
    pub async fn finished_op(&self, project: &str, op: &str) -> Value {
        for _ in 0..10 {
            let o = self.get(&format!("/v1/projects/{project}/operations/{op}?wait_seconds=30")).await;
            if !matches!(o["status"].as_str(), Some("running" | "unwinding")) {
                return o;
            }
        }
        panic!("operation {op} did not finish")
    }

    /// An instance action that answers 202; waits until it is done.
    pub async fn act(&self, project: &str, instance: &str, action: &str, body: Option<Value>) -> Value {
        let path = format!("/v1/projects/{project}/instances/{instance}/{action}");
        let v = self.expect(202, Method::POST, &path, body).await;
        self.settle(project, &v).await;
        self.get(&format!("/v1/projects/{project}/instances/{instance}")).await
    }

    /// Every item of a list, following `next_cursor`.
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

    /// A project (as a system administrator) with [`Client::network`].
    pub async fn project_with_network(&self, project: &str) {
        self.expect(201, Method::POST, "/v1/projects", Some(json!({ "name": project }))).await;
        self.network(project).await;
    }

    /// VPC `net` (10.0.0.0/16), subnet `net` (10.0.0.0/20) and security group `sg` in
    /// `project`, on the `fast` connection.
    pub async fn network(&self, project: &str) {
        let p = format!("/v1/projects/{project}");
        self.create(project, &format!("{p}/vpcs"), json!({"name": "net", "cidr": "10.0.0.0/16", "connection": FAST}))
            .await;
        self.create(project, &format!("{p}/vpcs/net/subnets"), json!({"name": "net", "cidr": "10.0.0.0/20"})).await;
        self.create(project, &format!("{p}/security-groups"), json!({"name": "sg", "vpc": "net"})).await;
    }

    /// An Active instance in subnet `net`.
    pub async fn instance(&self, project: &str, name: &str) -> Value {
        let v = self
            .create(
                project,
                &format!("/v1/projects/{project}/instances"),
                json!({"name": name, "instance_type": "t1.micro", "image": "ubuntu-22.04", "subnet": "net",
                       "security_groups": ["sg"]}),
            )
            .await;
        assert_eq!(v["state"], "Active", "{v}");
        v
    }
}

/// The fixed public key imported where a key pair is needed.
pub const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINDRN94j+YdtPv2rEL+WMGL3hIv8frE3F3kAe2BFgwpp gureum-test";
