use super::{Created, Errors, accepted};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(instance_list, instance_create))
        .routes(routes!(instance_get, instance_delete))
        .routes(routes!(instance_start))
        .routes(routes!(instance_stop))
        .routes(routes!(instance_shelve))
        .routes(routes!(instance_unshelve))
        .routes(routes!(instance_reboot))
        .routes(routes!(instance_resize))
        .routes(routes!(instance_confirm_resize))
        .routes(routes!(instance_revert_resize))
        .routes(routes!(instance_create_image))
        .routes(routes!(instance_console))
        .routes(routes!(key_pair_list, key_pair_create))
        .routes(routes!(key_pair_get, key_pair_delete))
}

list!(instance_list, "compute", "/v1/projects/{project}/instances", Instance, instance_list);
get!(instance_get, "compute", "/v1/projects/{project}/instances/{instance}", "instance", Instance, instance_get);
create!(instance_create, "compute", "/v1/projects/{project}/instances", InstanceCreate, Instance, instance_create);

/// Deletes an instance from any state but Deleting (interrupting a running task). Its
/// root volume is deleted; data volumes are detached and kept unless `delete_volumes`.
#[utoipa::path(delete, path = "/v1/projects/{project}/instances/{instance}", tag = "compute",
    params(("project" = String, Path, description = "Project name or id"), ("instance" = String, Path, description = "Name or id"),
           InstanceDeleteQuery),
    responses((status = 202, description = "Deleting; follow the operation", body = Instance), Errors))]
async fn instance_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, key)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<InstanceDeleteQuery>,
) -> ApiResult<Created<Instance>> {
    Ok(accepted(s.engine.instance_delete(&ctx, &project, &key, q.delete_volumes).await?))
}

action!(
    instance_start,
    "compute",
    "/v1/projects/{project}/instances/{instance}/start",
    "instance",
    Instance,
    instance_start
);
action!(
    instance_stop,
    "compute",
    "/v1/projects/{project}/instances/{instance}/stop",
    "instance",
    Instance,
    instance_stop
);
action!(
    instance_shelve,
    "compute",
    "/v1/projects/{project}/instances/{instance}/shelve",
    "instance",
    Instance,
    instance_shelve
);
action!(
    instance_unshelve,
    "compute",
    "/v1/projects/{project}/instances/{instance}/unshelve",
    "instance",
    Instance,
    instance_unshelve
);
action!(instance_reboot, "compute", "/v1/projects/{project}/instances/{instance}/reboot", "instance", Instance, instance_reboot, body: InstanceReboot);
action!(instance_resize, "compute", "/v1/projects/{project}/instances/{instance}/resize", "instance", Instance, instance_resize, body: InstanceResize);
action!(
    instance_confirm_resize,
    "compute",
    "/v1/projects/{project}/instances/{instance}/confirm-resize",
    "instance",
    Instance,
    instance_confirm_resize
);
action!(
    instance_revert_resize,
    "compute",
    "/v1/projects/{project}/instances/{instance}/revert-resize",
    "instance",
    Instance,
    instance_revert_resize
);
action!(instance_create_image, "compute", "/v1/projects/{project}/instances/{instance}/create-image", "instance", Instance, instance_create_image, body: InstanceCreateImage);

/// The instance's serial console output.
#[utoipa::path(get, path = "/v1/projects/{project}/instances/{instance}/console", tag = "compute",
    params(("project" = String, Path, description = "Project name or id"), ("instance" = String, Path, description = "Name or id")),
    responses((status = 200, body = ConsoleLog), Errors))]
async fn instance_console(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, key)): Path<(String, String)>,
) -> ApiResult<Json<ConsoleLog>> {
    Ok(Json(s.engine.instance_console_log(&ctx, &project, &key).await?))
}

list!(key_pair_list, "compute", "/v1/projects/{project}/key-pairs", KeyPair, key_pair_list);
get!(key_pair_get, "compute", "/v1/projects/{project}/key-pairs/{key_pair}", "key_pair", KeyPair, key_pair_get);
delete!(
    key_pair_delete,
    "compute",
    "/v1/projects/{project}/key-pairs/{key_pair}",
    "key_pair",
    KeyPair,
    key_pair_delete
);
create!(key_pair_create, "compute", "/v1/projects/{project}/key-pairs", KeyPairCreate, KeyPair, key_pair_create);
