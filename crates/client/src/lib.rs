//! A typed async client for gureum's `/v1` API. Requests and views are the types of
//! `gureum-api-types`, so client and server cannot drift.
//!
//! ```no_run
//! # async fn demo() -> Result<(), gureum_client::ClientError> {
//! use gureum_client::{Client, types::*};
//! use std::time::Duration;
//! let c = Client::new("http://127.0.0.1:7480", Some("gru_…"))?;
//! let vpc = c.vpc_create("demo", &VpcCreate { name: "net".into(), cidr: "10.0.0.0/16".into(), connection: None }).await?;
//! let op = c.wait_operation("demo", &vpc.operation_id.unwrap().to_string(), Duration::from_secs(600), |p| {
//!     println!("step {}/{} {}", p.position, p.total, p.step.unwrap_or("-"));
//! }).await?;
//! assert_eq!(op.status, OperationStatus::Succeeded);
//! # Ok(()) }
//! ```

mod endpoints;
mod error;
mod progress;

pub use endpoints::SYSTEM_OPERATIONS;
pub use error::ClientError;
pub use gureum_api_types as types;
pub use progress::OperationProgress;

use gureum_api_types::{ErrorBody, ListQuery, Operation, Page};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// The header that makes a POST replayable: the same key with the same body returns the
/// first result; with a different body, 409.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// How long one long-poll of an operation is held by the server while waiting; short
/// enough that step changes show up about once a second.
const POLL_WINDOW_SECONDS: u64 = 1;

/// A connection to one gureum server as one caller (bearer token). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    idempotency_key: Option<String>,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:7480`), authenticating
    /// with the API token `token` (none: only unauthenticated calls work).
    pub fn new(base: &str, token: Option<&str>) -> Result<Client> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Long-polls are held at most 60 s by the server.
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("gureum-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::local("invalid_argument", format!("building the HTTP client: {e}")))?;
        Client::with_http(http, base, token)
    }

    /// Like [`Client::new`] with a prepared `reqwest::Client` (timeouts, proxies, TLS).
    pub fn with_http(http: reqwest::Client, base: &str, token: Option<&str>) -> Result<Client> {
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::local(
                "invalid_argument",
                format!("server address {base:?} must start with http:// or https://"),
            ));
        }
        let token = token.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        Ok(Client { http, base, token, idempotency_key: None })
    }

    /// The server's base address, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// A copy of this client that sends `Idempotency-Key: key` on every POST. Use it for
    /// one create (or action), and retry that same call with it after a lost answer.
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Client {
        Client { idempotency_key: Some(key.into()), ..self.clone() }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let is_post = method == Method::POST;
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if is_post && let Some(k) = &self.idempotency_key {
            rb = rb.header(IDEMPOTENCY_KEY_HEADER, k);
        }
        rb
    }

    /// Sends and returns the successful response, or the API error.
    async fn send(&self, rb: RequestBuilder) -> Result<Response> {
        let resp = rb.send().await.map_err(|e| ClientError::transport(&self.base, &e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(api_error(resp).await)
    }

    async fn send_json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let resp = self.send(rb).await?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| ClientError::transport(&self.base, &e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::local("bad_response", format!("the server's {status} answer is not the expected JSON: {e}"))
        })
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send_json(self.request(Method::GET, path)).await
    }

    pub(crate) async fn get_query<T: DeserializeOwned, Q: Serialize + ?Sized>(&self, path: &str, q: &Q) -> Result<T> {
        self.send_json(self.request(Method::GET, path).query(q)).await
    }

    pub(crate) async fn get_text<Q: Serialize + ?Sized>(&self, path: &str, q: &Q) -> Result<String> {
        let resp = self.send(self.request(Method::GET, path).query(q)).await?;
        resp.text().await.map_err(|e| ClientError::transport(&self.base, &e))
    }

    pub(crate) async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        self.send_json(self.request(Method::POST, path).json(body)).await
    }

    /// A POST action that takes no body.
    pub(crate) async fn post_empty<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send_json(self.request(Method::POST, path)).await
    }

    pub(crate) async fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        self.send_json(self.request(Method::PATCH, path).json(body)).await
    }

    /// A POST that answers 204.
    pub(crate) async fn post_no_content<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<()> {
        self.send(self.request(Method::POST, path).json(body)).await.map(drop)
    }

    pub(crate) async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<T> {
        self.send_json(self.request(Method::PUT, path).json(body)).await
    }

    /// A DELETE that answers 202 with the resource in its deleting state.
    pub(crate) async fn delete<T: DeserializeOwned, Q: Serialize + ?Sized>(&self, path: &str, q: &Q) -> Result<T> {
        self.send_json(self.request(Method::DELETE, path).query(q)).await
    }

    /// A DELETE that answers 204.
    pub(crate) async fn delete_no_content(&self, path: &str) -> Result<()> {
        self.send(self.request(Method::DELETE, path)).await.map(drop)
    }

    /// Follows an operation until it finishes (succeeded, failed or cancelled) and returns
    /// it; a failed operation is not an `Err` (look at `status` and `error`). Long-polls
    /// with `wait_seconds`, and calls `on_progress` first and then whenever the status,
    /// the steps done or the current step change. Gives up with code `timeout` after
    /// `timeout`.
    pub async fn wait_operation(
        &self,
        project: &str,
        operation_id: &str,
        timeout: Duration,
        mut on_progress: impl FnMut(&OperationProgress<'_>),
    ) -> Result<Operation> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last: Option<(String, usize, usize, Option<String>)> = None;
        let mut first = true;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            // The first look answers at once, so progress shows from the start.
            let window = if first { 0 } else { remaining.as_secs().min(POLL_WINDOW_SECONDS) };
            let op = self.operation_get(project, operation_id, Some(window)).await?;
            let p = OperationProgress::of(&op);
            let key = (op.status.to_string(), p.done, p.position, p.step.map(str::to_string));
            if last.as_ref() != Some(&key) {
                on_progress(&p);
                last = Some(key);
            }
            if op.status.is_finished() {
                return Ok(op);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::local(
                    "timeout",
                    format!(
                        "operation {operation_id} ({}) did not finish within {}s; it goes on: \
                         follow it with `gureum operation show {operation_id} --wait`",
                        op.kind,
                        timeout.as_secs()
                    ),
                ));
            }
            if window == 0 && !first {
                // Less than a second left: the server answers at once, so pace the polls.
                tokio::time::sleep(remaining.min(Duration::from_millis(200))).await;
            }
            first = false;
        }
    }
}

/// Every item of a paginated list: calls `fetch` with `query` (page size 1000 unless the
/// query sets one), then with each `next_cursor` until the last page.
///
/// `list_all(&ListQuery::default(), async |q| client.instance_list("demo", &q).await)`
pub async fn list_all<T>(
    query: &ListQuery,
    mut fetch: impl AsyncFnMut(ListQuery) -> Result<Page<T>>,
) -> Result<Vec<T>> {
    let mut q = query.clone();
    q.limit = q.limit.or(Some(1000));
    let mut items = Vec::new();
    loop {
        let page = fetch(q.clone()).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) if q.cursor.as_deref() != Some(c.as_str()) => q.cursor = Some(c),
            _ => return Ok(items),
        }
    }
}

/// Turns a non-success response into the API's error.
async fn api_error(resp: Response) -> ClientError {
    let status = resp.status();
    let header_request_id =
        resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let text = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ClientError {
            status: status.as_u16(),
            code: body.error.code,
            message: body.error.message,
            request_id: body.error.request_id,
            field: body.error.field,
        },
        Err(_) => {
            let snippet: String = text.trim().chars().take(200).collect();
            let message = if snippet.is_empty() {
                format!("the server answered {status}")
            } else {
                format!("the server answered {status}: {snippet}")
            };
            ClientError {
                status: status.as_u16(),
                code: fallback_code(status).to_string(),
                message,
                request_id: header_request_id,
                field: None,
            }
        }
    }
}

fn fallback_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        429 => "rate_limited",
        503 => "unavailable",
        _ => "internal",
    }
}

/// One path segment, percent-encoded (names and ids are plain, but a user may type
/// anything).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(seg("web-1.a_b~"), "web-1.a_b~");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        assert_eq!(seg(".."), "..");
        assert_eq!(seg("é"), "%C3%A9");
    }

    #[test]
    fn base_must_be_http() {
        assert!(Client::new("127.0.0.1:7480", None).is_err());
        let c = Client::new("http://127.0.0.1:7480/", Some(" ")).unwrap();
        assert_eq!(c.base(), "http://127.0.0.1:7480");
        assert!(!c.has_token());
    }

    fn op(status: &str, steps: &[(&str, &str, Option<&str>)], done: usize) -> Operation {
        let steps: Vec<serde_json::Value> = steps
            .iter()
            .map(|(n, st, e)| serde_json::json!({"name": n, "status": st, "started_at": null, "finished_at": null, "error": e}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "01a205b6-05de-76d8-885b-67663a6e2962", "kind": "instance_create", "status": status,
            "target": {"type": "instance", "id": "01a205b6-05de-76d8-885b-67659bc4b033", "name": "web"},
            "steps": steps, "progress": {"done": done, "total": steps.len()}, "error": null, "created_by": "admin",
            "created_at": "2026-01-01T00:00:00Z", "finished_at": null, "links": {"self": "/x"}
        }))
        .unwrap()
    }

    #[test]
    fn progress_names_the_current_step() {
        let running = op(
            "running",
            &[("schedule", "done", None), ("vm_create", "running", None), ("finish", "pending", None)],
            1,
        );
        let p = OperationProgress::of(&running);
        assert_eq!((p.done, p.position, p.total, p.step), (1, 2, 3, Some("vm_create")));

        let failed = op(
            "failed",
            &[("schedule", "done", None), ("vm_create", "undone", Some("boom")), ("finish", "pending", None)],
            1,
        );
        assert_eq!(OperationProgress::of(&failed).step, Some("vm_create"));

        let done = op("succeeded", &[("schedule", "done", None), ("finish", "done", None)], 2);
        let p = OperationProgress::of(&done);
        assert_eq!((p.position, p.step), (2, Some("finish")));
    }

    #[tokio::test]
    async fn list_all_follows_cursors() {
        let pages = [(vec![1, 2], Some("a")), (vec![3], Some("b")), (vec![4], None)];
        let mut seen = vec![];
        let all = list_all(&ListQuery::default(), async |q: ListQuery| {
            seen.push(q.cursor.clone());
            let i = seen.len() - 1;
            Ok(Page { items: pages[i].0.clone(), next_cursor: pages[i].1.map(str::to_string) })
        })
        .await
        .unwrap();
        assert_eq!(all, vec![1, 2, 3, 4]);
        assert_eq!(seen, vec![None, Some("a".to_string()), Some("b".to_string())]);
    }
}
