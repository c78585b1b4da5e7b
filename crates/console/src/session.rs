//! Sign-in state of a browser: the `gureum_session` cookie (HttpOnly, SameSite=Strict,
//! Path=/) holds a random secret; the engine keeps its hash, the user and the session's
//! CSRF token. Every page takes a [`Session`]; every POST takes a [`Posted`], which also
//! checks the form's `csrf` field against the session's token.

use crate::AppState;
use crate::error::PageError;
use crate::forms::FormData;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gureum_engine::{Error, OpContext};

pub const SESSION_COOKIE: &str = "gureum_session";
/// Double-submit token of the sign-in form (there is no session yet to hold one).
pub const LOGIN_COOKIE: &str = "gureum_login";
const BODY_LIMIT: usize = 1024 * 1024;
/// Sent by the live-update script: answer 401 instead of redirecting to the login page.
pub const LIVE_HEADER: &str = "x-console-live";

pub fn request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether the browser reached us over https (directly or through a proxy that says so).
fn secure(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure over https.
pub fn set_cookie(headers: &HeaderMap, name: &str, value: &str, path: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure(headers) {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are base64url")
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub ctx: OpContext,
    pub csrf: String,
}

/// Where a page without a session sends the browser: the sign-in page, coming back here
/// afterwards.
fn to_login(parts: &Parts) -> Response {
    if parts.headers.contains_key(LIVE_HEADER) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if parts.method == axum::http::Method::GET && here != "/" {
        let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login(parts));
        };
        match state.engine.session_context(&secret, &request_id()).await {
            Ok(s) => Ok(Session { ctx: s.ctx, csrf: s.csrf }),
            Err(Error::Unauthenticated(_)) => Err(to_login(parts)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// A posted form of a signed-in user whose CSRF token matched.
pub struct Posted {
    pub session: Session,
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
            PageError::from(Error::TooLarge(format!("a form may be at most {BODY_LIMIT} bytes"))).into_response()
        })?;
        let form = FormData::parse(&bytes);
        if !same_token(form.get("csrf"), &session.csrf) {
            return Err(PageError::Csrf.into_response());
        }
        Ok(Posted { session, form })
    }
}

/// A valid `next` after signing in: a path on this site, never another origin.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.starts_with("/login") => {
            n.to_string()
        }
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_next() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; gureum_session=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(&h, SESSION_COOKIE, "xyz", "/", None);
        assert_eq!(c.to_str().unwrap(), "gureum_session=xyz; Path=/; HttpOnly; SameSite=Strict");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/projects/a/instances")), "/projects/a/instances");
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
