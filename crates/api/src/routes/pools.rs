//! Pools, their nodes, join tokens, and the two calls node agents make (authenticated by
//! the join token or the node's secret in the body, not by a user's API token).

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
        .routes(routes!(pool_list, pool_create))
        .routes(routes!(pool_get, pool_update, pool_delete))
        .routes(routes!(pool_node_list, node_create))
        .routes(routes!(node_get, node_update, node_delete))
        .routes(routes!(node_list))
        .routes(routes!(node_share))
        .routes(routes!(node_unshare))
        .routes(routes!(join_token_create))
        .routes(routes!(node_join))
        .routes(routes!(node_heartbeat))
}

#[utoipa::path(get, path = "/v1/pools", tag = "pools", responses((status = 200, body = Vec<Pool>), Errors))]
async fn pool_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<Pool>>> {
    Ok(Json(s.engine.pool_list(&ctx).await?))
}

/// Makes a pool of a connection's hosts (system administrators; one pool per connection).
#[utoipa::path(post, path = "/v1/pools", tag = "pools", request_body = PoolCreate,
    responses((status = 201, body = Pool), Errors))]
async fn pool_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(req): ApiJson<PoolCreate>,
) -> ApiResult<Created<Pool>> {
    Ok(created(s.engine.pool_create(&ctx, req).await?))
}

#[utoipa::path(get, path = "/v1/pools/{pool}", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 200, body = Pool), Errors))]
async fn pool_get(State(s): State<AppState>, Ctx(ctx): Ctx, Path(pool): Path<String>) -> ApiResult<Json<Pool>> {
    Ok(Json(s.engine.pool_get(&ctx, &pool).await?))
}

/// Changes a pool's overcommit ratios.
#[utoipa::path(patch, path = "/v1/pools/{pool}", tag = "pools", request_body = PoolUpdate,
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 200, body = Pool), Errors))]
async fn pool_update(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(pool): Path<String>,
    ApiJson(req): ApiJson<PoolUpdate>,
) -> ApiResult<Json<Pool>> {
    Ok(Json(s.engine.pool_update(&ctx, &pool, req).await?))
}

/// Deletes a pool without nodes.
#[utoipa::path(delete, path = "/v1/pools/{pool}", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 204), Errors))]
async fn pool_delete(State(s): State<AppState>, Ctx(ctx): Ctx, Path(pool): Path<String>) -> ApiResult<StatusCode> {
    s.engine.pool_delete(&ctx, &pool).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A pool's nodes with capacity, allocation, free room and state.
#[utoipa::path(get, path = "/v1/pools/{pool}/nodes", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 200, body = Vec<Node>), Errors))]
async fn pool_node_list(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(pool): Path<String>,
) -> ApiResult<Json<Vec<Node>>> {
    Ok(Json(s.engine.node_list(&ctx, Some(&pool)).await?))
}

/// Adds a host without an agent (a simulated host, or one whose capacity is set by hand).
#[utoipa::path(post, path = "/v1/pools/{pool}/nodes", tag = "pools", request_body = NodeCreate,
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 201, body = Node), Errors))]
async fn node_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(pool): Path<String>,
    ApiJson(req): ApiJson<NodeCreate>,
) -> ApiResult<Created<Node>> {
    Ok(created(s.engine.node_create(&ctx, &pool, req).await?))
}

#[utoipa::path(get, path = "/v1/pools/{pool}/nodes/{node}", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id"), ("node" = String, Path, description = "Node name or id")),
    responses((status = 200, body = Node), Errors))]
async fn node_get(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((pool, node)): Path<(String, String)>,
) -> ApiResult<Json<Node>> {
    Ok(Json(s.engine.node_get(&ctx, &pool, &node).await?))
}

/// Changes a node's recorded capacity.
#[utoipa::path(patch, path = "/v1/pools/{pool}/nodes/{node}", tag = "pools", request_body = NodeUpdate,
    params(("pool" = String, Path, description = "Pool name or id"), ("node" = String, Path, description = "Node name or id")),
    responses((status = 200, body = Node), Errors))]
async fn node_update(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((pool, node)): Path<(String, String)>,
    ApiJson(req): ApiJson<NodeUpdate>,
) -> ApiResult<Json<Node>> {
    Ok(Json(s.engine.node_update(&ctx, &pool, &node, req).await?))
}

/// Removes a node that holds no instance.
#[utoipa::path(delete, path = "/v1/pools/{pool}/nodes/{node}", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id"), ("node" = String, Path, description = "Node name or id")),
    responses((status = 204), Errors))]
async fn node_delete(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((pool, node)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.node_delete(&ctx, &pool, &node).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every node of every pool.
#[utoipa::path(get, path = "/v1/nodes", tag = "pools", responses((status = 200, body = Vec<Node>), Errors))]
async fn node_list(State(s): State<AppState>, Ctx(ctx): Ctx) -> ApiResult<Json<Vec<Node>>> {
    Ok(Json(s.engine.node_list(&ctx, None).await?))
}

/// A one-time token for `gureum agent --join-token` (shown once; valid for an hour).
#[utoipa::path(post, path = "/v1/pools/{pool}/join-tokens", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 201, body = JoinToken), Errors))]
async fn join_token_create(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(pool): Path<String>,
) -> ApiResult<Created<JoinToken>> {
    Ok(created(s.engine.join_token_create(&ctx, &pool).await?))
}

/// A node agent joins a pool with a join token (no API token needed).
#[utoipa::path(post, path = "/v1/nodes/join", tag = "pools", request_body = NodeJoin, security(()),
    responses((status = 201, body = NodeJoined), Errors))]
async fn node_join(State(s): State<AppState>, ApiJson(req): ApiJson<NodeJoin>) -> ApiResult<Created<NodeJoined>> {
    Ok(created(s.engine.node_join(req).await?))
}

/// A node agent's heartbeat, authenticated by its node secret (no API token needed).
#[utoipa::path(post, path = "/v1/nodes/heartbeat", tag = "pools", request_body = NodeHeartbeat, security(()),
    responses((status = 204), Errors))]
async fn node_heartbeat(State(s): State<AppState>, ApiJson(req): ApiJson<NodeHeartbeat>) -> ApiResult<StatusCode> {
    s.engine.node_heartbeat(req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lets the pool place on a node of another pool of its connection: the host serves
/// both, its capacity booked once.
#[utoipa::path(post, path = "/v1/pools/{pool}/shared-nodes", tag = "pools", request_body = NodeShare,
    params(("pool" = String, Path, description = "Pool name or id")), responses((status = 201, body = Node), Errors))]
async fn node_share(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path(pool): Path<String>,
    ApiJson(req): ApiJson<NodeShare>,
) -> ApiResult<Created<Node>> {
    Ok(created(s.engine.node_share(&ctx, &pool, req).await?))
}

/// Stops the pool placing on a node it shares (refused while its systems are on it).
#[utoipa::path(delete, path = "/v1/pools/{pool}/shared-nodes/{node}", tag = "pools",
    params(("pool" = String, Path, description = "Pool name or id"), ("node" = String, Path, description = "Node name or id")),
    responses((status = 204), Errors))]
async fn node_unshare(
    State(s): State<AppState>,
    Ctx(ctx): Ctx,
    Path((pool, node)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.engine.node_unshare(&ctx, &pool, &node).await?;
    Ok(StatusCode::NO_CONTENT)
}
