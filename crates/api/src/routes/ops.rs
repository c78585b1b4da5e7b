use super::{Created, Errors, created};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gureum_api_types::*;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(operation_list))
        .routes(routes!(operation_get))
        .routes(routes!(usage))
        .routes(routes!(system_operation_get))
        .routes(routes!(connection_list, connection_create))
        .routes(routes!(connection_get, connection_update, connection_delete))
        .routes(routes!(connection_drift))
        .routes(routes!(driver_list))
        .routes(routes!(server_list))
        .routes(routes!(connection_capabilities))
        .routes(routes!(connection_verify))
        .routes(routes!(drift_adopt))
        .routes(routes!(drift_delete))
        .routes(routes!(drift_unregister))
}

/// Operations of a project, newest first.
#[utoipa::path(get, path = "/v1/projects/{project}/operations", tag = "operations",
    params(("project" = String, Path, description = "Project name or id"), PageQuery),
    responses((status = 200, body = Page<Operation>), Errors))]
async fn operation_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Operation>>> {
    Ok(Json(s.engine.operation_list(&ctx, &project, q.limit, q.cursor.as_deref()).await?))
}

/// An operation with its steps, progress and error; `wait_seconds` holds the request
/// until the operation finishes (at most 60 s).
#[utoipa::path(get, path = "/v1/projects/{project}/operations/{operation}", tag = "operations",
    params(("project" = String, Path, description = "Project name or id"), ("operation" = String, Path, description = "Operation id"),
           OperationWaitQuery),
    responses((status = 200, body = Operation), Errors))]
async fn operation_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, op)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<OperationWaitQuery>,
) -> ApiResult<Json<Operation>> {
    let wait = q.wait_seconds.map(Duration::from_secs);
    Ok(Json(s.engine.operation_get(&ctx, &project, &op, wait).await?))
}

/// An operation of no project (a VM template's), for system administrators; waits like
/// a project's.
#[utoipa::path(get, path = "/v1/operations/{operation}", tag = "operations",
    params(("operation" = String, Path, description = "Operation id"), OperationWaitQuery),
    responses((status = 200, body = Operation), Errors))]
async fn system_operation_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(op): Path<String>,
    ApiQuery(q): ApiQuery<OperationWaitQuery>,
) -> ApiResult<Json<Operation>> {
    let wait = q.wait_seconds.map(Duration::from_secs);
    Ok(Json(s.engine.system_operation_get(&ctx, &op, wait).await?))
}

/// Billed seconds and cost per instance and instance type over a time range; CSV with
/// `format=csv`.
#[utoipa::path(get, path = "/v1/projects/{project}/usage", tag = "operations",
    params(("project" = String, Path, description = "Project name or id"), UsageQuery),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
        content((Usage = "application/json"), (String = "text/csv"))), Errors))]
async fn usage(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Response> {
    let u = s.engine.usage(&ctx, &project, q.from.as_deref(), q.to.as_deref()).await?;
    match q.format {
        None | Some(UsageFormat::Json) => Ok(Json(u).into_response()),
        Some(UsageFormat::Csv) => {
            let disposition = format!("attachment; filename=\"usage-{}.csv\"", u.project);
            Ok((
                [(header::CONTENT_TYPE, "text/csv".to_string()), (header::CONTENT_DISPOSITION, disposition)],
                gureum_engine::compute::usage::usage_csv(&u),
            )
                .into_response())
        }
    }
}

#[utoipa::path(get, path = "/v1/connections", tag = "connections", responses((status = 200, body = Vec<Connection>), Errors))]
async fn connection_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<Connection>>> {
    Ok(Json(s.engine.connection_list(&ctx).await?))
}

/// Registers a connection (system administrators). Credentials are encrypted at rest
/// and never returned.
#[utoipa::path(post, path = "/v1/connections", tag = "connections", request_body = ConnectionCreate,
    responses((status = 201, body = Connection), Errors))]
async fn connection_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<ConnectionCreate>,
) -> ApiResult<Created<Connection>> {
    Ok(created(s.engine.connection_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/connections/{connection}", tag = "connections",
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 200, body = Connection), Errors))]
async fn connection_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<Connection>> {
    Ok(Json(s.engine.connection_get(&ctx, &key).await?))
}

#[utoipa::path(delete, path = "/v1/connections/{connection}", tag = "connections",
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 204), Errors))]
async fn connection_delete(State(s): State<AppState>, Ctx(ctx): Ctx, Path(key): Path<String>) -> ApiResult<StatusCode> {
    s.engine.connection_delete(&ctx, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The provider's real inventory against gureum's records.
#[utoipa::path(get, path = "/v1/connections/{connection}/drift", tag = "connections",
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 200, body = Drift), Errors))]
async fn connection_drift(State(s): State<AppState>, Ctx(ctx): Ctx, Path(key): Path<String>) -> ApiResult<Json<Drift>> {
    Ok(Json(s.engine.drift(&ctx, &key).await?))
}

/// Changes a connection's settings (replaced whole) or credentials (write-only).
#[utoipa::path(patch, path = "/v1/connections/{connection}", tag = "connections", request_body = ConnectionUpdate,
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 200, body = Connection), Errors))]
async fn connection_update(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<ConnectionUpdate>,
) -> ApiResult<Json<Connection>> {
    Ok(Json(s.engine.connection_update(&ctx, &key, req).await?))
}

/// The drivers this server has, once per provider profile: which resource kinds each
/// has natively, which gureum emulates, which are unsupported, and its limits.
#[utoipa::path(get, path = "/v1/drivers", tag = "connections", responses((status = 200, body = Vec<Capabilities>), Errors))]
async fn driver_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<Capabilities>>> {
    Ok(Json(s.engine.driver_list(&ctx).await?))
}

/// The gureum servers sharing this database: alive or not, and the singleton workers
/// (reconciler, schedulers, purges…) each runs now.
#[utoipa::path(get, path = "/v1/servers", tag = "servers", responses((status = 200, body = Vec<ServerStatus>), Errors))]
async fn server_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<ServerStatus>>> {
    Ok(Json(s.engine.server_list(&ctx).await?))
}

/// What the connection's driver can do, its limits and the connection's call budget.
#[utoipa::path(get, path = "/v1/connections/{connection}/capabilities", tag = "connections",
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 200, body = Capabilities), Errors))]
async fn connection_capabilities(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<Capabilities>> {
    Ok(Json(s.engine.connection_capabilities(&ctx, &key).await?))
}

/// Checks that the provider answers with the stored credentials.
#[utoipa::path(post, path = "/v1/connections/{connection}/verify", tag = "connections",
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 200, body = ConnectionVerify), Errors))]
async fn connection_verify(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<ConnectionVerify>> {
    Ok(Json(s.engine.connection_verify(&ctx, &key).await?))
}

/// Registers a resource found only at the provider under a gureum name (`vm` becomes an
/// instance, `disk` a volume), managed like any other from then on.
#[utoipa::path(post, path = "/v1/connections/{connection}/drift/adopt", tag = "connections", request_body = DriftAdopt,
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 201, body = DriftItem), Errors))]
async fn drift_adopt(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<DriftAdopt>,
) -> ApiResult<Created<DriftItem>> {
    Ok(created(s.engine.drift_adopt(&ctx, &key, req).await?))
}

/// Deletes a resource found only at the provider.
#[utoipa::path(post, path = "/v1/connections/{connection}/drift/delete", tag = "connections", request_body = DriftDelete,
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 204), Errors))]
async fn drift_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<DriftDelete>,
) -> ApiResult<StatusCode> {
    s.engine.drift_delete(&ctx, &key, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets a gureum record without touching the provider.
#[utoipa::path(post, path = "/v1/connections/{connection}/drift/unregister", tag = "connections", request_body = DriftUnregister,
    params(("connection" = String, Path, description = "Connection name or id")), responses((status = 204), Errors))]
async fn drift_unregister(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<DriftUnregister>,
) -> ApiResult<StatusCode> {
    s.engine.drift_unregister(&ctx, &key, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
