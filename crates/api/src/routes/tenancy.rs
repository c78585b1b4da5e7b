use super::{Created, Errors, created};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gureum_api_types::*;
use gureum_engine::iam::tenant_usage::tenant_usage_csv;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reseller_list, reseller_create))
        .routes(routes!(reseller_get, reseller_delete))
        .routes(routes!(reseller_quota_get, reseller_quota_set))
        .routes(routes!(reseller_usage))
        .routes(routes!(customer_list, customer_create))
        .routes(routes!(customer_get, customer_delete))
        .routes(routes!(customer_quota_get, customer_quota_set))
        .routes(routes!(customer_usage))
        .routes(routes!(project_quota_get, project_quota_set))
}

/// The roll-up as JSON, or as a CSV download with `format=csv`.
fn usage_response(u: TenantUsage, format: Option<UsageFormat>) -> Response {
    match format {
        None | Some(UsageFormat::Json) => Json(u).into_response(),
        Some(UsageFormat::Csv) => {
            let name = u.customer.as_ref().map_or_else(|| u.reseller.clone(), |c| format!("{}-{c}", u.reseller));
            let disposition = format!("attachment; filename=\"usage-{name}.csv\"");
            (
                [(header::CONTENT_TYPE, "text/csv".to_string()), (header::CONTENT_DISPOSITION, disposition)],
                tenant_usage_csv(&u),
            )
                .into_response()
        }
    }
}

/// Resellers: all for a system administrator, the home reseller for its admins.
#[utoipa::path(get, path = "/v1/resellers", tag = "tenancy", params(PageQuery), responses((status = 200, body = Page<Reseller>), Errors))]
async fn reseller_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Reseller>>> {
    Ok(Json(s.engine.reseller_list(&ctx, q.limit, q.cursor.as_deref()).await?))
}

/// Creates a reseller (system administrators).
#[utoipa::path(post, path = "/v1/resellers", tag = "tenancy", request_body = TenantCreate, responses((status = 201, body = Reseller), Errors))]
async fn reseller_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<TenantCreate>,
) -> ApiResult<Created<Reseller>> {
    Ok(created(s.engine.reseller_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/resellers/{reseller}", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id")), responses((status = 200, body = Reseller), Errors))]
async fn reseller_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
) -> ApiResult<Json<Reseller>> {
    Ok(Json(s.engine.reseller_get(&ctx, &reseller).await?))
}

/// Deletes a reseller without customers (system administrators).
#[utoipa::path(delete, path = "/v1/resellers/{reseller}", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id")), responses((status = 204), Errors))]
async fn reseller_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
) -> ApiResult<StatusCode> {
    s.engine.reseller_delete(&ctx, &reseller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/resellers/{reseller}/quota", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id")), responses((status = 200, body = Quota), Errors))]
async fn reseller_quota_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.reseller_quota_get(&ctx, &reseller).await?))
}

/// Sets a reseller's limits (system administrators); an omitted limit is unlimited.
#[utoipa::path(put, path = "/v1/resellers/{reseller}/quota", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id")), request_body = QuotaSet,
    responses((status = 200, body = Quota), Errors))]
async fn reseller_quota_set(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
    ApiJson(req): ApiJson<QuotaSet>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.reseller_quota_set(&ctx, &reseller, req).await?))
}

/// Billed seconds and cost over every project of the reseller's customers; CSV with
/// `format=csv` (the reseller's admins).
#[utoipa::path(get, path = "/v1/resellers/{reseller}/usage", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), UsageQuery),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
        content((TenantUsage = "application/json"), (String = "text/csv"))), Errors))]
async fn reseller_usage(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Response> {
    let u = s.engine.reseller_usage(&ctx, &reseller, q.from.as_deref(), q.to.as_deref()).await?;
    Ok(usage_response(u, q.format))
}

/// The reseller's customers (a customer admin sees only their own).
#[utoipa::path(get, path = "/v1/resellers/{reseller}/customers", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), PageQuery),
    responses((status = 200, body = Page<Customer>), Errors))]
async fn customer_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    Ok(Json(s.engine.customer_list(&ctx, &reseller, q.limit, q.cursor.as_deref()).await?))
}

/// Creates a customer (the reseller's admins).
#[utoipa::path(post, path = "/v1/resellers/{reseller}/customers", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id")), request_body = TenantCreate,
    responses((status = 201, body = Customer), Errors))]
async fn customer_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(reseller): Path<String>,
    ApiJson(req): ApiJson<TenantCreate>,
) -> ApiResult<Created<Customer>> {
    Ok(created(s.engine.customer_create(&ctx, &reseller, req).await?))
}

#[utoipa::path(get, path = "/v1/resellers/{reseller}/customers/{customer}", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), ("customer" = String, Path, description = "Customer name or id")),
    responses((status = 200, body = Customer), Errors))]
async fn customer_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((reseller, customer)): Path<(String, String)>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(s.engine.customer_get(&ctx, &reseller, &customer).await?))
}

/// Deletes a customer without projects and users (the reseller's admins).
#[utoipa::path(delete, path = "/v1/resellers/{reseller}/customers/{customer}", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), ("customer" = String, Path, description = "Customer name or id")),
    responses((status = 204), Errors))]
async fn customer_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((reseller, customer)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.customer_delete(&ctx, &reseller, &customer).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/resellers/{reseller}/customers/{customer}/quota", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), ("customer" = String, Path, description = "Customer name or id")),
    responses((status = 200, body = Quota), Errors))]
async fn customer_quota_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((reseller, customer)): Path<(String, String)>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.customer_quota_get(&ctx, &reseller, &customer).await?))
}

/// Sets a customer's limits (the reseller's admins); an omitted limit is unlimited.
#[utoipa::path(put, path = "/v1/resellers/{reseller}/customers/{customer}/quota", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), ("customer" = String, Path, description = "Customer name or id")),
    request_body = QuotaSet, responses((status = 200, body = Quota), Errors))]
async fn customer_quota_set(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((reseller, customer)): Path<(String, String)>,
    ApiJson(req): ApiJson<QuotaSet>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.customer_quota_set(&ctx, &reseller, &customer, req).await?))
}

/// Billed seconds and cost over every project of the customer; CSV with `format=csv`
/// (the customer's and the reseller's admins).
#[utoipa::path(get, path = "/v1/resellers/{reseller}/customers/{customer}/usage", tag = "tenancy",
    params(("reseller" = String, Path, description = "Reseller name or id"), ("customer" = String, Path, description = "Customer name or id"), UsageQuery),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
        content((TenantUsage = "application/json"), (String = "text/csv"))), Errors))]
async fn customer_usage(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((reseller, customer)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Response> {
    let u = s.engine.customer_usage(&ctx, &reseller, &customer, q.from.as_deref(), q.to.as_deref()).await?;
    Ok(usage_response(u, q.format))
}

#[utoipa::path(get, path = "/v1/projects/{project}/quota", tag = "tenancy",
    params(("project" = String, Path, description = "Project name or id")), responses((status = 200, body = Quota), Errors))]
async fn project_quota_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.project_quota_get(&ctx, &project).await?))
}

/// Sets a project's limits (its customer's admins); an omitted limit is unlimited.
#[utoipa::path(put, path = "/v1/projects/{project}/quota", tag = "tenancy",
    params(("project" = String, Path, description = "Project name or id")), request_body = QuotaSet,
    responses((status = 200, body = Quota), Errors))]
async fn project_quota_set(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<QuotaSet>,
) -> ApiResult<Json<Quota>> {
    Ok(Json(s.engine.project_quota_set(&ctx, &project, req).await?))
}
