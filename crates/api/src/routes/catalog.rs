use super::Errors;
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
        .routes(routes!(instance_type_list))
        .routes(routes!(instance_type_get))
        .routes(routes!(image_list))
        .routes(routes!(image_get))
}

/// Instance types (flavors) with their price per hour.
#[utoipa::path(get, path = "/v1/instance-types", tag = "catalog", responses((status = 200, body = Vec<InstanceType>), Errors))]
async fn instance_type_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<InstanceType>>> {
    Ok(Json(s.engine.instance_type_list(&ctx).await?))
}

#[utoipa::path(get, path = "/v1/instance-types/{instance_type}", tag = "catalog",
    params(("instance_type" = String, Path, description = "Instance type name or id")), responses((status = 200, body = InstanceType), Errors))]
async fn instance_type_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(key): Path<String>,
) -> ApiResult<Json<InstanceType>> {
    Ok(Json(s.engine.instance_type_get(&ctx, &key).await?))
}

/// The public (default) images.
#[utoipa::path(get, path = "/v1/images", tag = "catalog", params(ListQuery), responses((status = 200, body = Page<Image>), Errors))]
async fn image_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Image>>> {
    Ok(Json(s.engine.public_image_list(&ctx, &q).await?))
}

#[utoipa::path(get, path = "/v1/images/{image}", tag = "catalog",
    params(("image" = String, Path, description = "Image name or id")), responses((status = 200, body = Image), Errors))]
async fn image_get(State(s): State<AppState>, Ctx(ctx): Ctx, Path(key): Path<String>) -> ApiResult<Json<Image>> {
    Ok(Json(s.engine.public_image_get(&ctx, &key).await?))
}
