//! gureum's HTTP interface: the `/v1` REST API (described by the OpenAPI document it
//! serves at `/v1/openapi.json`), `/healthz`, `/readyz` and `/metrics`. Handlers are
//! thin: extract, call the engine, wrap the view.

mod error;
mod extract;
mod middleware;
mod openapi;
mod routes;

pub use error::ApiError;
pub use openapi::openapi_json;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use gureum_engine::Engine;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::OnceLock;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

/// The process-wide Prometheus recorder (installed once, shared by every router).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests build many servers).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole HTTP application.
pub fn app(engine: Engine) -> Router {
    let state = AppState { engine };
    let _ = metrics_handle();
    let (api, _) = routes::api_router().split_for_parts();
    // The fallback comes before the layers: a layer wraps only what is already routed, and
    // the request-context layer writes the error body.
    api.merge(routes::system_router())
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::idempotency))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context))
        .layer(DefaultBodyLimit::max(middleware::BODY_LIMIT))
        .with_state(state)
}
