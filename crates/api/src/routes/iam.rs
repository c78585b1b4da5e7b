use super::{Created, Errors, created};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Ctx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gureum_api_types::*;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(project_list, project_create))
        .routes(routes!(project_get, project_delete))
        .routes(routes!(member_list))
        .routes(routes!(member_set, member_delete))
        .routes(routes!(user_list, user_create))
        .routes(routes!(user_get, user_delete))
        .routes(routes!(user_set_password))
        .routes(routes!(token_list, token_create))
        .routes(routes!(token_delete))
}

/// Who you are and your projects.
#[utoipa::path(get, path = "/v1/me", tag = "iam", responses((status = 200, body = Me), Errors))]
async fn me(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Me>> {
    Ok(Json(s.engine.me(&ctx).await?))
}

/// Projects you are a member of (all, for a system administrator).
#[utoipa::path(get, path = "/v1/projects", tag = "iam", params(PageQuery), responses((status = 200, body = Page<Project>), Errors))]
async fn project_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Project>>> {
    Ok(Json(s.engine.project_list(&ctx, q.limit, q.cursor.as_deref()).await?))
}

/// Creates a project (system administrators); the creator becomes its admin.
#[utoipa::path(post, path = "/v1/projects", tag = "iam", request_body = ProjectCreate, responses((status = 201, body = Project), Errors))]
async fn project_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<ProjectCreate>,
) -> ApiResult<Created<Project>> {
    Ok(created(s.engine.project_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/projects/{project}", tag = "iam",
    params(("project" = String, Path, description = "Project name or id")), responses((status = 200, body = Project), Errors))]
async fn project_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
) -> ApiResult<Json<Project>> {
    Ok(Json(s.engine.project_get(&ctx, &project).await?))
}

/// Deletes an empty project (system administrators).
#[utoipa::path(delete, path = "/v1/projects/{project}", tag = "iam",
    params(("project" = String, Path, description = "Project name or id")), responses((status = 204), Errors))]
async fn project_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    s.engine.project_delete(&ctx, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/projects/{project}/members", tag = "iam",
    params(("project" = String, Path, description = "Project name or id")), responses((status = 200, body = Vec<Member>), Errors))]
async fn member_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(project): Path<String>,
) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(s.engine.member_list(&ctx, &project).await?))
}

/// Adds a member or changes their role (project admins).
#[utoipa::path(put, path = "/v1/projects/{project}/members/{user}", tag = "iam",
    params(("project" = String, Path, description = "Project name or id"), ("user" = String, Path, description = "User name or id")),
    request_body = MemberSet, responses((status = 200, body = Member), Errors))]
async fn member_set(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, user)): Path<(String, String)>,
    ApiJson(req): ApiJson<MemberSet>,
) -> ApiResult<Json<Member>> {
    Ok(Json(s.engine.member_set(&ctx, &project, &user, req).await?))
}

#[utoipa::path(delete, path = "/v1/projects/{project}/members/{user}", tag = "iam",
    params(("project" = String, Path, description = "Project name or id"), ("user" = String, Path, description = "User name or id")),
    responses((status = 204), Errors))]
async fn member_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((project, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.member_delete(&ctx, &project, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All users (system administrators).
#[utoipa::path(get, path = "/v1/users", tag = "iam", params(PageQuery), responses((status = 200, body = Page<User>), Errors))]
async fn user_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(s.engine.user_list(&ctx, q.limit, q.cursor.as_deref()).await?))
}

/// Creates a user (system administrators).
#[utoipa::path(post, path = "/v1/users", tag = "iam", request_body = UserCreate, responses((status = 201, body = User), Errors))]
async fn user_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<UserCreate>,
) -> ApiResult<Created<User>> {
    Ok(created(s.engine.user_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/users/{user}", tag = "iam",
    params(("user" = String, Path, description = "User name or id")), responses((status = 200, body = User), Errors))]
async fn user_get(State(s): State<AppState>, Ctx(ctx): Ctx, Path(user): Path<String>) -> ApiResult<Json<User>> {
    Ok(Json(s.engine.user_get(&ctx, &user).await?))
}

#[utoipa::path(delete, path = "/v1/users/{user}", tag = "iam",
    params(("user" = String, Path, description = "User name or id")), responses((status = 204), Errors))]
async fn user_delete(State(s): State<AppState>, Ctx(ctx): Ctx, Path(user): Path<String>) -> ApiResult<StatusCode> {
    s.engine.user_delete(&ctx, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a user's console password (your own, or anyone's for a system administrator).
#[utoipa::path(put, path = "/v1/users/{user}/password", tag = "iam",
    params(("user" = String, Path, description = "User name or id")), request_body = PasswordSet, responses((status = 200, body = User), Errors))]
async fn user_set_password(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<PasswordSet>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.engine.user_set_password(&ctx, &user, req).await?))
}

#[utoipa::path(get, path = "/v1/users/{user}/tokens", tag = "iam",
    params(("user" = String, Path, description = "User name or id")), responses((status = 200, body = Vec<Token>), Errors))]
async fn token_list(State(s): State<AppState>, Ctx(ctx): Ctx, Path(user): Path<String>) -> ApiResult<Json<Vec<Token>>> {
    Ok(Json(s.engine.token_list(&ctx, &user).await?))
}

/// Creates an API token; its secret is in this response only.
#[utoipa::path(post, path = "/v1/users/{user}/tokens", tag = "iam",
    params(("user" = String, Path, description = "User name or id")), request_body = TokenCreate, responses((status = 201, body = TokenCreated), Errors))]
async fn token_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<TokenCreate>,
) -> ApiResult<Created<TokenCreated>> {
    Ok(created(s.engine.token_create(&ctx, &user, req).await?))
}

#[utoipa::path(delete, path = "/v1/users/{user}/tokens/{token}", tag = "iam",
    params(("user" = String, Path, description = "User name or id"), ("token" = String, Path, description = "Token id")),
    responses((status = 204), Errors))]
async fn token_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((user, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.token_delete(&ctx, &user, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
