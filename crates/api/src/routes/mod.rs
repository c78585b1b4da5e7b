//! Route tables. Each resource file registers its handlers (and so its OpenAPI paths).

#[macro_use]
mod mod_macros;
mod catalog;
mod iam;
mod instances;
mod lean;
mod maintenance;
mod network;
mod ops;
mod persistent_vms;
mod pools;
mod provisioning;
mod storage;
mod tenancy;
mod vm_templates;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gureum_api_types::ErrorBody;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The error responses every `/v1` endpoint may give (409, 413, 429 and 503 are added by
/// rule in `openapi.rs`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// Invalid input: the message names the field and the rule; nothing was changed.
    #[response(status = 400)]
    Invalid(ErrorBody),
    /// No or an invalid bearer token.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// Your role in the project does not allow this.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such resource (also for other projects' resources).
    #[response(status = 404)]
    NotFound(ErrorBody),
}

pub(crate) type Created<T> = (StatusCode, Json<T>);

pub(crate) fn created<T>(v: T) -> Created<T> {
    (StatusCode::CREATED, Json(v))
}

/// 202: the work runs on; the body shows the resource in its transitional state.
pub(crate) fn accepted<T>(v: T) -> Created<T> {
    (StatusCode::ACCEPTED, Json(v))
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .merge(iam::router())
        .merge(catalog::router())
        .merge(network::router())
        .merge(storage::router())
        .merge(instances::router())
        .merge(ops::router())
        .merge(pools::router())
        .merge(provisioning::router())
        .merge(lean::router())
        .merge(maintenance::router())
        .merge(vm_templates::router())
        .merge(persistent_vms::router())
        .merge(tenancy::router())
}

pub fn system_router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/openapi.json", get(openapi))
}

async fn readyz(State(s): State<AppState>) -> ApiResult<&'static str> {
    s.engine.ready().await?;
    Ok("ready\n")
}

async fn metrics() -> Response {
    let body = crate::metrics_handle().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::openapi_json()).into_response()
}

pub async fn not_found() -> ApiError {
    ApiError(gureum_engine::Error::NotFound { kind: "route", key: "for this method and path".into() })
}
