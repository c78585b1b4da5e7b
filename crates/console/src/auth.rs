//! Signing in and out, the home redirect and the project switcher.

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::page::{enc, no_store, see_other};
use crate::session::{self, LOGIN_COOKIE, Posted, SESSION_COOKIE, Session, cookie, same_token, set_cookie};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use rand::RngCore;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    name: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn random_token() -> String {
    let mut raw = [0u8; 24];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn login_response(headers: &HeaderMap, status: StatusCode, page: LoginPage) -> PageResult {
    let body = page.render().map_err(|e| gureum_engine::Error::Internal(e.to_string()))?;
    let mut resp = (status, Html(body)).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(headers, LOGIN_COOKIE, &page.csrf, "/login", Some(3600)));
    Ok(no_store(resp))
}

/// The sign-in form (or, when already signed in, where the user was going).
pub async fn login_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let next = session::safe_next(q.next.as_deref());
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && st.engine.session_context(&secret, &session::request_id()).await.is_ok()
    {
        return see_other(next);
    }
    let page = LoginPage { csrf: random_token(), next, name: String::new(), error: None };
    login_response(&headers, StatusCode::OK, page)
}

/// Checks the password (argon2id, in the engine) and opens a session.
pub async fn login(State(st): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> PageResult {
    let form = crate::forms::FormData::parse(&body);
    // The sign-in form's CSRF defence: the token in the form must be the one this
    // browser got in its cookie with the form.
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(form.get("csrf"), &expected) {
        return Err(PageError::Csrf);
    }
    let next = session::safe_next(Some(form.get("next")));
    let name = form.get("name").to_string();
    match st.engine.session_create(&name, form.get("password"), &session::request_id()).await {
        Ok((secret, _csrf)) => {
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, &secret, "/", None));
            h.append(header::SET_COOKIE, set_cookie(&headers, LOGIN_COOKIE, "", "/login", Some(0)));
            Ok(resp)
        }
        // A wrong password, or a try made to wait after several: the form again, saying so.
        Err(e @ (gureum_engine::Error::Unauthenticated(_) | gureum_engine::Error::RateLimited(_))) => {
            let status = StatusCode::from_u16(e.http_status().0).unwrap_or(StatusCode::UNAUTHORIZED);
            let page = LoginPage { csrf: random_token(), next, name, error: Some(e.to_string()) };
            login_response(&headers, status, page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap, _posted: Posted) -> PageResult {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        st.engine.session_delete(&secret).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, "", "/", Some(0)));
    Ok(resp)
}

/// `/`: the first project's instances, or the project list when there is none.
pub async fn home(State(st): State<AppState>, s: Session) -> PageResult {
    let projects = st.engine.project_list(&s.ctx, Some(1), None).await?;
    match projects.items.first() {
        Some(p) => see_other(format!("/projects/{}/instances", enc(&p.name))),
        None => see_other("/projects"),
    }
}

pub async fn project_home(Path(project): Path<String>) -> Response {
    Redirect::to(&format!("/projects/{}/instances", enc(&project))).into_response()
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    project: Option<String>,
}

/// The project switcher (a GET form, so it works without JavaScript).
pub async fn switch(_s: Session, Query(q): Query<SwitchQuery>) -> PageResult {
    match q.project.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => see_other(format!("/projects/{}/instances", enc(p))),
        None => see_other("/projects"),
    }
}
