//! Maintenance tasks (SPEC §2): a project's resources grouped for an update, each with its
//! own schedule and execution status; the task's status is derived from theirs. Project
//! admins write them; every project role reads them. At a resource's time the scheduler
//! runs the task's runbook on it; its log is readable while it runs.

mod notifications;

use super::{Created, Errors, created};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(maintenance_task_list, maintenance_task_create))
        .routes(routes!(maintenance_task_get, maintenance_task_delete))
        .routes(routes!(maintenance_task_schedule))
        .routes(routes!(maintenance_resource_schedule, maintenance_resource_unschedule))
        .routes(routes!(maintenance_resource_exclude))
        .routes(routes!(maintenance_resource_include))
        .routes(routes!(maintenance_resource_run_now))
        .routes(routes!(maintenance_resource_retry))
        .routes(routes!(maintenance_resource_log))
        .merge(notifications::router())
}

const TAG: &str = "maintenance";

list!(
    maintenance_task_list,
    "maintenance",
    "/v1/projects/{project}/maintenance-tasks",
    MaintenanceTask,
    maintenance_task_list
);

/// Creates a task over instances of the project, all Pending (project admins).
///
/// Rate control: `max_concurrency` is how many resources may be updated at once and
/// `max_errors` how many may fail before the rest is cancelled. Each is a count (`"5"`)
/// or a percentage of the task's resources (`"10%"`), resolved when the task runs:
/// rounded down, and for `max_concurrency` at least 1. A mandatory task needs a future
/// `deadline`; a recommended one a `recommended_date`. Bad input is a 400 naming the
/// field, and nothing is created.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks", tag = TAG, request_body = MaintenanceTaskCreate,
    params(("project" = String, Path, description = "Project name or id")),
    responses((status = 201, body = MaintenanceTask), Errors))]
async fn maintenance_task_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
    ApiJson(req): ApiJson<MaintenanceTaskCreate>,
) -> ApiResult<Created<MaintenanceTask>> {
    Ok(created(s.engine.maintenance_task_create(&ctx, &project, req).await?))
}

/// A task with its derived `status`, `counts` (completed, failed, total — excluded ones
/// do not count) and its resources' schedules and statuses.
#[utoipa::path(get, path = "/v1/projects/{project}/maintenance-tasks/{task}", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_task_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task)): Path<(String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    Ok(Json(s.engine.maintenance_task_get(&ctx, &project, &task).await?))
}

/// Deletes a task and its resources' schedules (project admins).
#[utoipa::path(delete, path = "/v1/projects/{project}/maintenance-tasks/{task}", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id")),
    responses((status = 204), Errors))]
async fn maintenance_task_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.maintenance_task_delete(&ctx, &project, &task).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reserves every Pending resource of the task at `at`; the others keep their schedule.
/// `at` in the past is a 400 naming it.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks/{task}/schedule", tag = TAG,
    request_body = MaintenanceSchedule,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_task_schedule(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task)): Path<(String, String)>,
    ApiJson(req): ApiJson<MaintenanceSchedule>,
) -> ApiResult<Json<MaintenanceTask>> {
    Ok(Json(s.engine.maintenance_task_schedule(&ctx, &project, &task, req).await?))
}

/// Reserves (or moves) one resource at `at`: allowed while Pending or Reserved, else a
/// 409 naming its status; `at` in the past is a 400 naming it.
#[utoipa::path(put, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/schedule", tag = TAG,
    request_body = MaintenanceSchedule,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_schedule(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task, resource)): Path<(String, String, String)>,
    ApiJson(req): ApiJson<MaintenanceSchedule>,
) -> ApiResult<Json<MaintenanceTask>> {
    Ok(Json(s.engine.maintenance_resource_schedule(&ctx, &project, &task, &resource, req).await?))
}

/// Drops a Reserved resource's schedule: it is Pending again.
#[utoipa::path(delete, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/schedule", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_unschedule(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task, resource)): Path<(String, String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    act(s, ctx, (project, task, resource), ResourceAction::Unschedule).await
}

/// Leaves a Pending, Reserved or Failed resource out of the task (its schedule is
/// dropped); excluded resources do not count in the task's status.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/exclude", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_exclude(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    act(s, ctx, p, ResourceAction::Exclude).await
}

/// Takes an Excluded resource back into the task, Pending.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/include", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_include(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    act(s, ctx, p, ResourceAction::Include).await
}

/// Reserves a Pending or Reserved resource for now, to run as soon as possible.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/run-now", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_run_now(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    act(s, ctx, p, ResourceAction::RunNow).await
}

/// Reserves a Failed resource for now, to run again; its last error is cleared.
#[utoipa::path(post, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/retry", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = MaintenanceTask), Errors))]
async fn maintenance_resource_retry(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(p): Path<(String, String, String)>,
) -> ApiResult<Json<MaintenanceTask>> {
    act(s, ctx, p, ResourceAction::Retry).await
}

/// The resource's runbook log, oldest line first, every attempt (poll it for live
/// progress).
#[utoipa::path(get, path = "/v1/projects/{project}/maintenance-tasks/{task}/resources/{resource}/log", tag = TAG,
    params(("project" = String, Path, description = "Project name or id"), ("task" = String, Path, description = "Task name or id"),
        ("resource" = String, Path, description = "The instance's name or id")),
    responses((status = 200, body = Vec<MaintenanceLogLine>), Errors))]
async fn maintenance_resource_log(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, task, resource)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<MaintenanceLogLine>>> {
    Ok(Json(s.engine.maintenance_resource_log(&ctx, &project, &task, &resource).await?))
}

async fn act(
    s: AppState,
    ctx: gureum_engine::OpContext,
    (project, task, resource): (String, String, String),
    action: ResourceAction,
) -> ApiResult<Json<MaintenanceTask>> {
    Ok(Json(s.engine.maintenance_resource_action(&ctx, &project, &task, &resource, action).await?))
}
