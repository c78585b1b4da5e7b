//! VM templates (SPEC §1): system administrators create, act on and delete them; everyone
//! signed in reads them. Actions answer 202 with the template in its transitional state.

use super::{Created, Errors, accepted};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(vm_template_list, vm_template_create))
        .routes(routes!(vm_template_get, vm_template_update, vm_template_delete))
        .routes(routes!(vm_template_start))
        .routes(routes!(vm_template_stop))
        .routes(routes!(vm_template_sysprep))
        .routes(routes!(vm_template_release))
        .routes(routes!(vm_template_maintenance))
        .routes(routes!(vm_template_console))
}

#[utoipa::path(get, path = "/v1/vm-templates", tag = "lean", responses((status = 200, body = Vec<VmTemplate>), Errors))]
async fn vm_template_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<VmTemplate>>> {
    Ok(Json(s.engine.vm_template_list(&ctx).await?))
}

/// Creates a template from a profile in a template pool; its machine then boots the
/// profile's install media (mode `first_installation`).
#[utoipa::path(post, path = "/v1/vm-templates", tag = "lean", request_body = VmTemplateCreate,
    responses((status = 202, description = "Building; the template shows its state", body = VmTemplate), Errors))]
async fn vm_template_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<VmTemplateCreate>,
) -> ApiResult<Created<VmTemplate>> {
    Ok(accepted(s.engine.vm_template_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/vm-templates/{vm_template}", tag = "lean",
    params(("vm_template" = String, Path, description = "Template name or id")), responses((status = 200, body = VmTemplate), Errors))]
async fn vm_template_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<VmTemplate>> {
    Ok(Json(s.engine.vm_template_get(&ctx, &key).await?))
}

/// Changes the description, size or clock, or flags the template `do_not_use`.
#[utoipa::path(patch, path = "/v1/vm-templates/{vm_template}", tag = "lean", request_body = VmTemplateUpdate,
    params(("vm_template" = String, Path, description = "Template name or id")), responses((status = 200, body = VmTemplate), Errors))]
async fn vm_template_update(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<VmTemplateUpdate>,
) -> ApiResult<Json<VmTemplate>> {
    Ok(Json(s.engine.vm_template_update(&ctx, &key, req).await?))
}

/// Deletes the template, its machine and its versions; refused (409) while persistent
/// VMs cloned from it exist.
#[utoipa::path(delete, path = "/v1/vm-templates/{vm_template}", tag = "lean",
    params(("vm_template" = String, Path, description = "Template name or id")),
    responses((status = 202, description = "Deleting", body = VmTemplate), Errors))]
async fn vm_template_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Created<VmTemplate>> {
    Ok(accepted(s.engine.vm_template_delete(&ctx, &key).await?))
}

/// One template action: `POST /v1/vm-templates/{vm_template}/<verb>`.
macro_rules! template_action {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "lean",
            params(("vm_template" = String, Path, description = "Template name or id")),
            responses((status = 202, description = "Accepted; the template shows its state", body = VmTemplate), Errors))]
        async fn $name(
            State(s): State<AppState>,
            Ctx(ctx): Ctx,
            Path(key): Path<String>,
        ) -> ApiResult<Created<VmTemplate>> {
            Ok(accepted(s.engine.vm_template_action(&ctx, &key, $action).await?))
        }
    };
}

template_action!(
    vm_template_start,
    "/v1/vm-templates/{vm_template}/start",
    TemplateAction::Start,
    "Boots the template's machine (first_installation or maintenance_mode only)."
);
template_action!(
    vm_template_stop,
    "/v1/vm-templates/{vm_template}/stop",
    TemplateAction::Stop,
    "Powers the template's machine off."
);
template_action!(
    vm_template_sysprep,
    "/v1/vm-templates/{vm_template}/sysprep",
    TemplateAction::Sysprep,
    "Generalizes the running machine (hostname, SSH host keys, machine id, logs) and powers it off."
);
template_action!(
    vm_template_release,
    "/v1/vm-templates/{vm_template}/release",
    TemplateAction::Release,
    "Freezes a sysprepped, stopped template into its next version: mode ready_for_use."
);
/// Takes a template back for updates: mode maintenance_mode (at once: nothing runs).
#[utoipa::path(post, path = "/v1/vm-templates/{vm_template}/maintenance", tag = "lean",
    params(("vm_template" = String, Path, description = "Template name or id")),
    responses((status = 200, body = VmTemplate), Errors))]
async fn vm_template_maintenance(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<VmTemplate>> {
    Ok(Json(s.engine.vm_template_action(&ctx, &key, TemplateAction::Maintenance).await?))
}

/// What the template's machine printed on its serial console (its installation, for one).
#[utoipa::path(get, path = "/v1/vm-templates/{vm_template}/console", tag = "lean",
    params(("vm_template" = String, Path, description = "Template name or id")),
    responses((status = 200, body = ConsoleLog), Errors))]
async fn vm_template_console(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<ConsoleLog>> {
    Ok(Json(s.engine.vm_template_console_log(&ctx, &key).await?))
}
