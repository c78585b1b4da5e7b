//! Persistent VMs (SPEC §1): instances cloned from a released VM template. Their
//! lifecycle actions are the instance's (`/v1/projects/{p}/instances/{vm}/…`).

use super::Errors;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Ctx;
use axum::Json;
use axum::extract::{Path, State};
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(persistent_vm_list, persistent_vm_create))
        .routes(routes!(persistent_vm_get, persistent_vm_delete))
}

#[utoipa::path(get, path = "/v1/projects/{project}/persistent-vms", tag = "lean",
    params(("project" = String, Path, description = "Project name or id")),
    responses((status = 200, body = Vec<PersistentVm>), Errors))]
async fn persistent_vm_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
) -> ApiResult<Json<Vec<PersistentVm>>> {
    Ok(Json(s.engine.persistent_vm_list(&ctx, &project).await?))
}

create!(
    persistent_vm_create,
    "lean",
    "/v1/projects/{project}/persistent-vms",
    PersistentVmCreate,
    PersistentVm,
    persistent_vm_create
);
get!(persistent_vm_get, "lean", "/v1/projects/{project}/persistent-vms/{vm}", "vm", PersistentVm, persistent_vm_get);
delete!(
    persistent_vm_delete,
    "lean",
    "/v1/projects/{project}/persistent-vms/{vm}",
    "vm",
    Instance,
    persistent_vm_delete
);
