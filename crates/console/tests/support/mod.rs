//! A browser without a browser: drives the console router in-process (real engine, real
//! database), keeping cookies and reading CSRF tokens out of the pages like a user would.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gureum_api_types::{MemberSet, PasswordSet, Role, UserCreate};
use gureum_engine::testing::TestEngine;
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first `csrf` hidden field of the page.
    pub fn csrf(&self) -> String {
        attr_after(&self.body, "name=\"csrf\" value=\"").expect("a form with a csrf field")
    }
}

fn attr_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('"').next()?.to_string())
}

pub struct Browser {
    pub app: Router,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(t: &TestEngine) -> Browser {
        Browser { app: gureum_console::router(t.engine.clone()), cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.expect("router answers");
        for c in resp.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// GET that must answer 200.
    pub async fn page(&mut self, path: &str) -> Resp {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// POSTs a form of page `from` (GETs it for its CSRF token first).
    pub async fn submit(&mut self, from: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.page(from).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn login(&mut self, name: &str, password: &str) -> Resp {
        let csrf = self.page("/login").await.csrf();
        self.post("/login", &[("csrf", &csrf), ("name", name), ("password", password), ("next", "/")]).await
    }
}

/// An engine with project `demo` (admin is its admin) and admin's password set.
pub async fn setup() -> TestEngine {
    let t = TestEngine::start(gureum_sim::registry()).await;
    t.engine.user_set_password(&t.admin, "admin", PasswordSet { password: PASSWORD.into() }).await.unwrap();
    t.project("demo").await;
    t
}

/// A user with a password and `role` in `demo`.
pub async fn member(t: &TestEngine, name: &str, role: Role) {
    let u = UserCreate { name: name.into(), password: Some(PASSWORD.into()), is_admin: false, ..Default::default() };
    t.engine.user_create(&t.admin, u).await.unwrap();
    t.engine.member_set(&t.admin, "demo", name, MemberSet { role }).await.unwrap();
}

/// Waits for `check` to hold, failing with `what` after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
