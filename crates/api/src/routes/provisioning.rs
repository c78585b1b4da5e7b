//! The template library (SPEC §0): catalog, plan, provisionings, installation info,
//! return and history.

use super::{Created, Errors, created};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gureum_api_types::*;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(template_list, template_create))
        .routes(routes!(template_get, template_delete))
        .routes(routes!(provisioning_plan))
        .routes(routes!(provisioning_list, provisioning_create))
        .routes(routes!(provisioning_get, provisioning_delete))
        .routes(routes!(provisioning_info))
        .routes(routes!(provisioning_return))
        .routes(routes!(history_list))
        .routes(routes!(history_log))
}

/// The library's templates.
#[utoipa::path(get, path = "/v1/library/templates", tag = "provisioning", responses((status = 200, body = Page<TemplateSummary>), Errors))]
async fn template_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Page<TemplateSummary>>> {
    Ok(Json(Page { items: s.engine.template_list(&ctx).await?, next_cursor: None }))
}

/// Adds a template (system administrators); refused with the field and the reason when
/// the document breaks a rule.
#[utoipa::path(post, path = "/v1/library/templates", tag = "provisioning", request_body = TemplateCreate,
    responses((status = 201, body = Template), Errors))]
async fn template_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<TemplateCreate>,
) -> ApiResult<Created<Template>> {
    Ok(created(s.engine.template_create(&ctx, req).await?))
}

/// A template: overview, features, prerequisites, installation resources, licences,
/// parameter schema and document.
#[utoipa::path(get, path = "/v1/library/templates/{template}", tag = "provisioning",
    params(("template" = String, Path, description = "Template name")), responses((status = 200, body = Template), Errors))]
async fn template_get(State(s): State<AppState>, Ctx(ctx): Ctx, Path(name): Path<String>) -> ApiResult<Json<Template>> {
    Ok(Json(s.engine.template_get(&ctx, &name).await?))
}

/// Removes an added template (system administrators); stacks made from it keep theirs.
#[utoipa::path(delete, path = "/v1/library/templates/{template}", tag = "provisioning",
    params(("template" = String, Path, description = "Template name")), responses((status = 204), Errors))]
async fn template_delete(State(s): State<AppState>, Ctx(ctx): Ctx, Path(name): Path<String>) -> ApiResult<StatusCode> {
    s.engine.template_delete(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an execute with this body would make, its checks and predicted duration, without
/// any provider call.
#[utoipa::path(post, path = "/v1/projects/{project}/provisionings/plan", tag = "provisioning",
    params(("project" = String, Path, description = "Project name or id")), request_body = ProvisioningCreate,
    responses((status = 200, body = Plan), Errors))]
async fn provisioning_plan(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<ProvisioningCreate>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(s.engine.provisioning_plan(&ctx, &project, req).await?))
}

create!(
    provisioning_create,
    "provisioning",
    "/v1/projects/{project}/provisionings",
    ProvisioningCreate,
    Provisioning,
    provisioning_create
);
list!(provisioning_list, "provisioning", "/v1/projects/{project}/provisionings", Provisioning, provisioning_list);
get!(
    provisioning_get,
    "provisioning",
    "/v1/projects/{project}/provisionings/{provisioning}",
    "provisioning",
    Provisioning,
    provisioning_get
);
get!(
    provisioning_info,
    "provisioning",
    "/v1/projects/{project}/provisionings/{provisioning}/installation-info",
    "provisioning",
    InstallationInfo,
    provisioning_info
);
action!(provisioning_return, "provisioning", "/v1/projects/{project}/provisionings/{provisioning}/return", "provisioning", Provisioning, provisioning_return, body: ProvisioningConfirm);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Confirm {
    /// The provisioning's name, typed to confirm.
    confirm: Option<String>,
}

/// Deletes a provisioning's status once its return completed or failed (its history
/// stays).
#[utoipa::path(delete, path = "/v1/projects/{project}/provisionings/{provisioning}", tag = "provisioning",
    params(("project" = String, Path, description = "Project name or id"), ("provisioning" = String, Path, description = "Name or id"), Confirm),
    responses((status = 204), Errors))]
async fn provisioning_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, key)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<Confirm>,
) -> ApiResult<StatusCode> {
    s.engine.provisioning_delete(&ctx, &project, &key, q.confirm.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The project's provisioning history, newest first.
#[utoipa::path(get, path = "/v1/projects/{project}/provisioning-history", tag = "provisioning",
    params(("project" = String, Path, description = "Project name or id"), HistoryQuery),
    responses((status = 200, body = Page<HistoryEvent>), Errors))]
async fn history_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Page<HistoryEvent>>> {
    Ok(Json(s.engine.provisioning_history(&ctx, &project, &q).await?))
}

/// An event's log as a text download; 410 once it expired.
#[utoipa::path(get, path = "/v1/projects/{project}/provisioning-history/{event}/log", tag = "provisioning",
    params(("project" = String, Path, description = "Project name or id"), ("event" = String, Path, description = "Event id")),
    responses((status = 200, content_type = "text/plain", body = String), (status = 410, description = "The log expired", body = ErrorBody), Errors))]
async fn history_log(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, event)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (e, log) = s.engine.provisioning_history_log(&ctx, &project, &event).await?;
    let file = format!("attachment; filename=\"{}-{}-{}.log\"", e.provisioning, e.event_type, e.id);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], log)
        .into_response())
}
