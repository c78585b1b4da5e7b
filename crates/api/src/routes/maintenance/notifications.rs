//! Maintenance notifications and the project's webhooks they are delivered to. Every
//! project role reads them; project admins write webhooks. A webhook's `secret` is
//! write-only: sealed at rest, never returned.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use crate::routes::{Created, Errors, created};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notification_list))
        .routes(routes!(webhook_list, webhook_create))
        .routes(routes!(webhook_get, webhook_delete))
        .routes(routes!(delivery_list))
}

const TAG: &str = "maintenance";

/// The project's maintenance notifications, newest first: `upcoming` at each task's
/// `notify_before` lead times before a resource runs, `started`, `completed`, `failed`.
#[utoipa::path(get, path = "/v1/projects/{project}/notifications", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), PageQuery),
    responses((status = 200, body = Page<Notification>), Errors))]
async fn notification_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    Ok(Json(s.engine.maintenance_notification_list(&ctx, &project, &q).await?))
}

/// The project's webhooks (their secrets are never shown).
#[utoipa::path(get, path = "/v1/projects/{project}/webhooks", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), PageQuery),
    responses((status = 200, body = Page<Webhook>), Errors))]
async fn webhook_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Webhook>>> {
    Ok(Json(s.engine.maintenance_webhook_list(&ctx, &project, &q).await?))
}

/// Adds a webhook (project admins). Every notification written from now on is POSTed
/// to it as JSON with `X-Gureum-Delivery: <delivery id>` and `X-Gureum-Signature:
/// sha256=<hex HMAC-SHA256 of the exact body keyed with the secret>`; a non-2xx answer
/// or a connection error is retried after 1 s, 2 s, 4 s… (at most 5 minutes apart) up to
/// 8 attempts. Redirects are not followed.
#[utoipa::path(post, path = "/v1/projects/{project}/webhooks", tag = TAG, request_body = WebhookCreate,
    params(("project" = String, Path, description = "Project name or id")),
    responses((status = 201, body = Webhook), Errors))]
async fn webhook_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<WebhookCreate>,
) -> ApiResult<Created<Webhook>> {
    Ok(created(s.engine.maintenance_webhook_create(&ctx, &project, req).await?))
}

#[utoipa::path(get, path = "/v1/projects/{project}/webhooks/{webhook}", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("webhook" = String, Path, description = "Webhook name or id")),
    responses((status = 200, body = Webhook), Errors))]
async fn webhook_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, webhook)): Path<(String, String)>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(s.engine.maintenance_webhook_get(&ctx, &project, &webhook).await?))
}

/// Deletes a webhook and its deliveries: nothing more is sent to it (project admins).
#[utoipa::path(delete, path = "/v1/projects/{project}/webhooks/{webhook}", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("webhook" = String, Path, description = "Webhook name or id")),
    responses((status = 204), Errors))]
async fn webhook_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, webhook)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.maintenance_webhook_delete(&ctx, &project, &webhook).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's deliveries, newest first, each with its status and every attempt.
#[utoipa::path(get, path = "/v1/projects/{project}/webhooks/{webhook}/deliveries", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("webhook" = String, Path, description = "Webhook name or id"),
        PageQuery),
    responses((status = 200, body = Page<Delivery>), Errors))]
async fn delivery_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, webhook)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(s.engine.maintenance_delivery_list(&ctx, &project, &webhook, &q).await?))
}
