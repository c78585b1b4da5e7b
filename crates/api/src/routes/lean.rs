//! Lean provisioning (SPEC §1): VM profiles and software stacks (system administrators
//! write them; everyone reads them).

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
        .routes(routes!(vm_profile_list, vm_profile_create))
        .routes(routes!(vm_profile_get, vm_profile_update, vm_profile_delete))
        .routes(routes!(software_stack_list, software_stack_create))
        .routes(routes!(software_stack_get, software_stack_delete))
}

#[utoipa::path(get, path = "/v1/vm-profiles", tag = "lean", responses((status = 200, body = Vec<VmProfile>), Errors))]
async fn vm_profile_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<VmProfile>>> {
    Ok(Json(s.engine.vm_profile_list(&ctx).await?))
}

/// Describes a machine once (system administrators).
#[utoipa::path(post, path = "/v1/vm-profiles", tag = "lean", request_body = VmProfileCreate,
    responses((status = 201, body = VmProfile), Errors))]
async fn vm_profile_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<VmProfileCreate>,
) -> ApiResult<Created<VmProfile>> {
    Ok(created(s.engine.vm_profile_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/vm-profiles/{profile}", tag = "lean",
    params(("profile" = String, Path, description = "Profile name or id")), responses((status = 200, body = VmProfile), Errors))]
async fn vm_profile_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<VmProfile>> {
    Ok(Json(s.engine.vm_profile_get(&ctx, &key).await?))
}

/// Changes a profile (its base profile stays).
#[utoipa::path(patch, path = "/v1/vm-profiles/{profile}", tag = "lean", request_body = VmProfileUpdate,
    params(("profile" = String, Path, description = "Profile name or id")), responses((status = 200, body = VmProfile), Errors))]
async fn vm_profile_update(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<VmProfileUpdate>,
) -> ApiResult<Json<VmProfile>> {
    Ok(Json(s.engine.vm_profile_update(&ctx, &key, req).await?))
}

#[utoipa::path(delete, path = "/v1/vm-profiles/{profile}", tag = "lean",
    params(("profile" = String, Path, description = "Profile name or id")), responses((status = 204), Errors))]
async fn vm_profile_delete(State(s): State<AppState>, Ctx(ctx): Ctx, Path(key): Path<String>) -> ApiResult<StatusCode> {
    s.engine.vm_profile_delete(&ctx, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/software-stacks", tag = "lean", responses((status = 200, body = Vec<SoftwareStack>), Errors))]
async fn software_stack_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<SoftwareStack>>> {
    Ok(Json(s.engine.software_stack_list(&ctx).await?))
}

/// Adds a software stack (system administrators).
#[utoipa::path(post, path = "/v1/software-stacks", tag = "lean", request_body = SoftwareStackCreate,
    responses((status = 201, body = SoftwareStack), Errors))]
async fn software_stack_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<SoftwareStackCreate>,
) -> ApiResult<Created<SoftwareStack>> {
    Ok(created(s.engine.software_stack_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/software-stacks/{stack}", tag = "lean",
    params(("stack" = String, Path, description = "Stack name or id")), responses((status = 200, body = SoftwareStack), Errors))]
async fn software_stack_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<SoftwareStack>> {
    Ok(Json(s.engine.software_stack_get(&ctx, &key).await?))
}

#[utoipa::path(delete, path = "/v1/software-stacks/{stack}", tag = "lean",
    params(("stack" = String, Path, description = "Stack name or id")), responses((status = 204), Errors))]
async fn software_stack_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    s.engine.software_stack_delete(&ctx, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}
