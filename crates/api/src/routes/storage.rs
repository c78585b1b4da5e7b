use super::{Created, Errors, accepted};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(volume_list, volume_create))
        .routes(routes!(volume_get, volume_delete))
        .routes(routes!(volume_attach))
        .routes(routes!(volume_detach))
        .routes(routes!(volume_extend))
        .routes(routes!(volume_upload))
        .routes(routes!(snapshot_list, snapshot_create))
        .routes(routes!(snapshot_get, snapshot_delete))
        .routes(routes!(project_image_list))
        .routes(routes!(project_image_get, project_image_delete))
}

list!(volume_list, "storage", "/v1/projects/{project}/volumes", Volume, volume_list);
get!(volume_get, "storage", "/v1/projects/{project}/volumes/{volume}", "volume", Volume, volume_get);
delete!(volume_delete, "storage", "/v1/projects/{project}/volumes/{volume}", "volume", Volume, volume_delete);
create!(volume_create, "storage", "/v1/projects/{project}/volumes", VolumeCreate, Volume, volume_create);
action!(volume_attach, "storage", "/v1/projects/{project}/volumes/{volume}/attach", "volume", Volume, volume_attach, body: VolumeAttach);
action!(volume_detach, "storage", "/v1/projects/{project}/volumes/{volume}/detach", "volume", Volume, volume_detach);
action!(volume_extend, "storage", "/v1/projects/{project}/volumes/{volume}/extend", "volume", Volume, volume_extend, body: VolumeExtend);
action!(volume_upload, "storage", "/v1/projects/{project}/volumes/{volume}/upload", "volume", Volume, volume_upload, body: VolumeUpload);

#[utoipa::path(get, path = "/v1/projects/{project}/volumes/{volume}/snapshots", tag = "storage",
    params(("project" = String, Path, description = "Project name or id"), ("volume" = String, Path, description = "Volume name or id"), ListQuery),
    responses((status = 200, body = Page<Snapshot>), Errors))]
async fn snapshot_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, volume)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Snapshot>>> {
    Ok(Json(s.engine.snapshot_list(&ctx, &project, &volume, &q).await?))
}

/// Takes a snapshot of a volume (the volume shows Backing-Up meanwhile).
#[utoipa::path(post, path = "/v1/projects/{project}/volumes/{volume}/snapshots", tag = "storage",
    params(("project" = String, Path, description = "Project name or id"), ("volume" = String, Path, description = "Volume name or id")),
    request_body = SnapshotCreate, responses((status = 202, body = Snapshot), Errors))]
async fn snapshot_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, volume)): Path<(String, String)>,
    ApiJson(req): ApiJson<SnapshotCreate>,
) -> ApiResult<Created<Snapshot>> {
    Ok(accepted(s.engine.snapshot_create(&ctx, &project, &volume, req).await?))
}

#[utoipa::path(get, path = "/v1/projects/{project}/volumes/{volume}/snapshots/{snapshot}", tag = "storage",
    params(("project" = String, Path, description = "Project name or id"), ("volume" = String, Path, description = "Volume name or id"),
           ("snapshot" = String, Path, description = "Snapshot name or id")),
    responses((status = 200, body = Snapshot), Errors))]
async fn snapshot_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, volume, snapshot)): Path<(String, String, String)>,
) -> ApiResult<Json<Snapshot>> {
    Ok(Json(s.engine.snapshot_get(&ctx, &project, &volume, &snapshot).await?))
}

#[utoipa::path(delete, path = "/v1/projects/{project}/volumes/{volume}/snapshots/{snapshot}", tag = "storage",
    params(("project" = String, Path, description = "Project name or id"), ("volume" = String, Path, description = "Volume name or id"),
           ("snapshot" = String, Path, description = "Snapshot name or id")),
    responses((status = 202, body = Snapshot), Errors))]
async fn snapshot_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, volume, snapshot)): Path<(String, String, String)>,
) -> ApiResult<Created<Snapshot>> {
    Ok(accepted(s.engine.snapshot_delete(&ctx, &project, &volume, &snapshot).await?))
}

list!(project_image_list, "storage", "/v1/projects/{project}/images", Image, project_image_list);
get!(project_image_get, "storage", "/v1/projects/{project}/images/{image}", "image", Image, project_image_get);
delete!(project_image_delete, "storage", "/v1/projects/{project}/images/{image}", "image", Image, project_image_delete);
