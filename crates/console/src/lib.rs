//! gureum's web console: server-rendered pages (askama) over the engine, in-process, so
//! authorization stays in the engine's one place. A little vanilla JavaScript follows
//! transitional states live and guards name-confirmed deletes; every form works without
//! it.
//!
//! Routes: `/` (to the sign-in page or the first project's instances), `/login`,
//! `/logout`, `/static/*`, `/switch`, the global pages (`/projects`, `/instance-types`,
//! `/connections`, `/servers`, `/resellers`, `/resellers/{reseller}/customers`, `/users`, `/account`) and everything of a project under
//! `/projects/{project}/…` (the template library under `library`, `provisionings` and
//! `provisioning-history`). Resources are addressed by id in URLs.

mod auth;
mod error;
mod forms;
mod list;
mod page;
mod pages;
mod session;
mod ui;
mod view;

pub use ui::state_class;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gureum_engine::Engine;
use std::time::Instant;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");

/// FNV-1a, at compile time.
const fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// A fingerprint of the stylesheet and the script, in their URLs (`?v=`): after an
/// upgrade browsers fetch the new ones at once instead of using a cached copy that no
/// longer matches the pages.
pub const ASSET_VERSION: u64 = fnv1a(JS.as_bytes(), fnv1a(CSS.as_bytes(), 0xcbf2_9ce4_8422_2325));

/// The response header that carries the server-side time of a console page.
pub const SERVER_TIMING: &str = "server-timing";

/// Every console route. Merge it with the API router (it has no fallback of its own).
pub fn router(engine: Engine) -> Router {
    use pages::*;
    let state = AppState { engine };
    let p = |path: &str| format!("/projects/{{project}}{path}");
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/switch", get(auth::switch))
        .route("/static/console.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/static/console.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/instance-types", get(catalog::instance_types))
        .route("/servers", get(servers::list))
        .route("/connections", get(connections::list).post(connections::create))
        .route("/connections/{connection}", get(connections::detail))
        .route("/connections/{connection}/delete", post(connections::delete))
        .route("/vm-templates", get(lean::vm_templates::list).post(lean::vm_templates::create))
        .route("/vm-templates/{template}", get(lean::vm_templates::detail))
        .route("/vm-templates/{template}/action", post(lean::vm_templates::action))
        .route("/vm-templates/{template}/delete", post(lean::vm_templates::delete))
        .route(&p("/persistent-vms"), get(lean::persistent_vms::list).post(lean::persistent_vms::create))
        .route(&p("/persistent-vms/new"), get(lean::persistent_vms::new))
        .route("/resellers", get(resellers::list).post(resellers::create))
        .route("/resellers/{reseller}/customers", get(customers::list).post(customers::create))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{user}/password", post(users::set_password))
        .route("/account", get(users::account).post(users::account_password))
        // Instances
        .route(&p("/instances"), get(instances::list).post(instances::create))
        .route(&p("/instances/new"), get(instances::new))
        .route(&p("/instances/{id}"), get(instances::detail))
        .route(&p("/instances/{id}/action"), post(instances::action))
        .route(&p("/instances/{id}/delete"), post(instances::delete))
        .route(&p("/instances/{id}/console"), get(instances::console))
        // Volumes and snapshots
        .route(&p("/volumes"), get(volumes::list).post(volumes::create))
        .route(&p("/volumes/new"), get(volumes::new))
        .route(&p("/volumes/{id}"), get(volumes::detail))
        .route(&p("/volumes/{id}/action"), post(volumes::action))
        .route(&p("/volumes/{id}/delete"), post(volumes::delete))
        .route(&p("/volumes/{id}/snapshots/{snapshot}/delete"), post(volumes::snapshot_delete))
        // Images
        .route(&p("/images"), get(catalog::images))
        .route(&p("/images/{id}"), get(catalog::image_detail))
        .route(&p("/images/{id}/delete"), post(catalog::image_delete))
        // Key pairs
        .route(&p("/key-pairs"), get(key_pairs::list).post(key_pairs::create))
        .route(&p("/key-pairs/new"), get(key_pairs::new))
        .route(&p("/key-pairs/{id}"), get(key_pairs::detail))
        .route(&p("/key-pairs/{id}/delete"), post(key_pairs::delete))
        // Networks
        .route(&p("/vpcs"), get(network::vpc_list).post(network::vpc_create))
        .route(&p("/vpcs/new"), get(network::vpc_new))
        .route(&p("/vpcs/{id}"), get(network::vpc_detail))
        .route(&p("/vpcs/{id}/delete"), post(network::vpc_delete))
        .route(&p("/vpcs/{id}/subnets"), post(network::subnet_create))
        .route(&p("/subnets"), get(network::subnet_list))
        .route(&p("/subnets/{id}"), get(network::subnet_detail))
        .route(&p("/subnets/{id}/delete"), post(network::subnet_delete))
        .route(&p("/security-groups"), get(security_groups::list).post(security_groups::create))
        .route(&p("/security-groups/new"), get(security_groups::new))
        .route(&p("/security-groups/{id}"), get(security_groups::detail))
        .route(&p("/security-groups/{id}/rules"), post(security_groups::rule_create))
        .route(&p("/security-groups/{id}/rules/{rule}/delete"), post(security_groups::rule_delete))
        .route(&p("/security-groups/{id}/delete"), post(security_groups::delete))
        .route(&p("/public-ips"), get(public_ips::list).post(public_ips::create))
        .route(&p("/public-ips/new"), get(public_ips::new))
        .route(&p("/public-ips/{id}"), get(public_ips::detail))
        .route(&p("/public-ips/{id}/action"), post(public_ips::action))
        .route(&p("/public-ips/{id}/delete"), post(public_ips::delete))
        // Maintenance
        .route(&p("/maintenance"), get(maintenance::list))
        .route(&p("/maintenance/notifications"), get(maintenance::notifications::list))
        .route(&p("/maintenance/{task}"), get(maintenance::detail))
        .route(&p("/maintenance/{task}/resources/{resource}/schedule"), post(maintenance::schedule))
        .route(&p("/maintenance/{task}/resources/{resource}/action"), post(maintenance::action))
        .route(&p("/maintenance/{task}/resources/{resource}/log"), get(maintenance::log))
        // The template library and provisionings
        .route(&p("/library"), get(provisioning::library::list))
        .route(&p("/library/{template}"), get(provisioning::library::detail))
        .route(&p("/library/{template}/execute"), get(provisioning::execute::form).post(provisioning::execute::submit))
        .route(&p("/provisionings"), get(provisioning::status::list))
        .route(&p("/provisionings/{id}"), get(provisioning::status::detail))
        .route(&p("/provisionings/{id}/info"), get(provisioning::status::info))
        .route(&p("/provisionings/{id}/return"), post(provisioning::status::return_))
        .route(&p("/provisionings/{id}/delete"), post(provisioning::status::delete))
        .route(&p("/provisioning-history"), get(provisioning::history::list))
        .route(&p("/provisioning-history/{event}/log"), get(provisioning::history::log))
        // Operations, usage, members
        .route(&p("/operations"), get(operations::list))
        .route(&p("/operations/{id}"), get(operations::detail))
        .route(&p("/usage"), get(usage::page))
        .route(&p("/usage.csv"), get(usage::csv))
        .route(&p("/members"), get(members::list).post(members::set))
        .route(&p("/members/{user}/delete"), post(members::delete))
        .route("/projects/{project}", get(auth::project_home))
        .layer(axum::middleware::from_fn(headers))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// Security headers on every console response, and the server-side time it took
/// (`Server-Timing: app;dur=<ms>`), which `gureum bench` reports.
async fn headers(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.2}")) {
        h.insert(HeaderName::from_static(SERVER_TIMING), v);
    }
    resp
}
