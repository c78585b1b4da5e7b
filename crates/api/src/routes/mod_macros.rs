//! Handlers that every project-scoped resource has in the same shape (list, get,
//! delete, create, actions). Macros write them so that their paths, parameters and
//! responses cannot differ by accident.

/// `list!(fn, "tag", "/v1/projects/{project}/things", View, engine_fn)`: a page of a
/// project's resources, with the list query (limit, cursor, state, name).
macro_rules! list {
    ($name:ident, $tag:literal, $path:literal, $view:ty, $efn:ident) => {
        #[utoipa::path(get, path = $path, tag = $tag,
                    params(("project" = String, Path, description = "Project name or id"), gureum_api_types::ListQuery),
                    responses((status = 200, body = gureum_api_types::Page<$view>), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path(project): axum::extract::Path<String>,
            crate::extract::ApiQuery(q): crate::extract::ApiQuery<gureum_api_types::ListQuery>,
        ) -> crate::error::ApiResult<axum::Json<gureum_api_types::Page<$view>>> {
            Ok(axum::Json(s.engine.$efn(&ctx, &project, &q).await?))
        }
    };
}

/// `get!(fn, "tag", "/v1/projects/{project}/things/{thing}", "thing", View, engine_fn)`.
macro_rules! get {
    ($name:ident, $tag:literal, $path:literal, $param:literal, $view:ty, $efn:ident) => {
        #[utoipa::path(get, path = $path, tag = $tag,
            params(("project" = String, Path, description = "Project name or id"), ($param = String, Path, description = "Name or id")),
            responses((status = 200, body = $view), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path((project, key)): axum::extract::Path<(String, String)>,
        ) -> crate::error::ApiResult<axum::Json<$view>> {
            Ok(axum::Json(s.engine.$efn(&ctx, &project, &key).await?))
        }
    };
}

/// `delete!(fn, "tag", "/v1/projects/{project}/things/{thing}", "thing", View, engine_fn)`:
/// answers 202 with the resource in its deleting state.
macro_rules! delete {
    ($name:ident, $tag:literal, $path:literal, $param:literal, $view:ty, $efn:ident) => {
        #[utoipa::path(delete, path = $path, tag = $tag,
            params(("project" = String, Path, description = "Project name or id"), ($param = String, Path, description = "Name or id")),
            responses((status = 202, description = "Deleting; follow the operation", body = $view), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path((project, key)): axum::extract::Path<(String, String)>,
        ) -> crate::error::ApiResult<super::Created<$view>> {
            Ok(super::accepted(s.engine.$efn(&ctx, &project, &key).await?))
        }
    };
}

/// A POST action on one resource that answers 202 with the resource:
/// `action!(fn_name, "tag", "/v1/…/{thing}/verb", "thing", View, engine_fn)` (no body) or
/// with `body: Type` after the engine function.
macro_rules! action {
    ($name:ident, $tag:literal, $path:literal, $param:literal, $view:ty, $efn:ident) => {
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("project" = String, Path, description = "Project name or id"), ($param = String, Path, description = "Name or id")),
            responses((status = 202, description = "Accepted; follow the operation", body = $view), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path((project, key)): axum::extract::Path<(String, String)>,
        ) -> crate::error::ApiResult<super::Created<$view>> {
            Ok(super::accepted(s.engine.$efn(&ctx, &project, &key).await?))
        }
    };
    ($name:ident, $tag:literal, $path:literal, $param:literal, $view:ty, $efn:ident, body: $body:ty) => {
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("project" = String, Path, description = "Project name or id"), ($param = String, Path, description = "Name or id")),
            request_body = $body,
            responses((status = 202, description = "Accepted; follow the operation", body = $view), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path((project, key)): axum::extract::Path<(String, String)>,
            crate::extract::ApiJson(req): crate::extract::ApiJson<$body>,
        ) -> crate::error::ApiResult<super::Created<$view>> {
            Ok(super::accepted(s.engine.$efn(&ctx, &project, &key, req).await?))
        }
    };
}

/// A project-scoped create answering 202: `create!(fn, "tag", "/v1/projects/{project}/things",
/// Body, View, engine_fn)`.
macro_rules! create {
    ($name:ident, $tag:literal, $path:literal, $body:ty, $view:ty, $efn:ident) => {
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("project" = String, Path, description = "Project name or id")),
            request_body = $body,
            responses((status = 202, description = "Creating; follow the operation", body = $view), super::Errors))]
        async fn $name(
            axum::extract::State(s): axum::extract::State<crate::AppState>,
            crate::extract::Ctx(ctx): crate::extract::Ctx,
            axum::extract::Path(project): axum::extract::Path<String>,
            crate::extract::ApiJson(req): crate::extract::ApiJson<$body>,
        ) -> crate::error::ApiResult<super::Created<$view>> {
            Ok(super::accepted(s.engine.$efn(&ctx, &project, req).await?))
        }
    };
}
