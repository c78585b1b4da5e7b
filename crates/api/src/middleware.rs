//! Per-request plumbing: request ids, authentication, error bodies, access log and
//! metrics (one middleware), and `Idempotency-Key` replay for creating POSTs.

use crate::AppState;
use crate::error::{ApiError, body as error_body};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gureum_api_types::{ErrorBody, ErrorDetail};
use gureum_engine::iam::idempotency::Replay;
use gureum_engine::{Error, OpContext};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::time::Instant;

pub const REQUEST_ID: &str = "x-request-id";
const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Bodies larger than this are refused.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// A body declared larger than the limit is still read and dropped up to this size, so
/// the client reads the 413 instead of a connection reset.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// Request id, authentication, error rendering, access log and metrics.
pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared.filter(|l| *l > BODY_LIMIT as u64) {
        if len <= DRAIN_LIMIT {
            let _ = http_body_util::Limited::new(req.into_body(), DRAIN_LIMIT as usize).collect().await;
        }
        let e = Error::TooLarge(format!("the body is {len} bytes; the limit is {BODY_LIMIT}"));
        let mut resp = (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(error_body(&e, &request_id))).into_response();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(REQUEST_ID, v);
        }
        return resp;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    if let Some(token) = bearer {
        let ctx: Result<OpContext, Error> = state.engine.authenticate(&token, &request_id).await;
        req.extensions_mut().insert(ctx);
    }
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());

    let mut resp = next.run(req).await;

    if let Some(ApiError(e)) = resp.extensions_mut().remove::<ApiError>() {
        if let Error::Internal(detail) = &e {
            tracing::error!(request_id, %method, route, detail, "internal error");
        }
        let status = resp.status();
        resp = (status, axum::Json(error_body(&e, &request_id))).into_response();
    } else if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
        // axum answers a known path asked with another method by an empty 405.
        let allow = resp.headers().get(header::ALLOW).cloned();
        let allowed = allow.as_ref().and_then(|a| a.to_str().ok()).unwrap_or("none").to_string();
        let error = ErrorDetail {
            code: "method_not_allowed".into(),
            message: format!("{method} is not allowed on this path; allowed: {allowed}"),
            request_id: request_id.clone(),
            field: None,
        };
        resp = (StatusCode::METHOD_NOT_ALLOWED, axum::Json(ErrorBody { error })).into_response();
        if let Some(a) = allow {
            resp.headers_mut().insert(header::ALLOW, a);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!("gureum_http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("gureum_http_request_duration_seconds", "method" => method.to_string(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    tracing::debug!(request_id, %method, route, status, micros = elapsed.as_micros() as u64, "request");
    resp
}

fn conflict(msg: &str) -> Response {
    ApiError(Error::Conflict(msg.into())).into_response()
}

/// Replays the first response of a POST with the same `Idempotency-Key` (same caller,
/// same method, path and body); refuses the key with a different request.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()).map(str::to_string) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return ApiError(Error::invalid("Idempotency-Key", "must be 1–255 visible ASCII characters")).into_response();
    }
    let Some(Ok(ctx)) = req.extensions().get::<Result<OpContext, Error>>().cloned() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return ApiError(Error::invalid("body", "could not be read")).into_response(),
    };
    let path = parts.uri.path().to_string();
    let hash = hex::encode(Sha256::digest(&bytes));
    match state.engine.idempotency_begin(&ctx, &key, parts.method.as_str(), &path, &hash).await {
        Err(e) => return ApiError(e).into_response(),
        Ok(Replay::Mismatch) => {
            return conflict("this Idempotency-Key was already used with a different request");
        }
        Ok(Replay::InProgress) => {
            return conflict("a request with this Idempotency-Key is still being processed");
        }
        Ok(Replay::Done { status, body }) => {
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return resp;
        }
        Ok(Replay::Fresh) => {}
    }
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    // Errors are rendered by the outer middleware; keep the key only for responses that
    // are final (success or a client error), free it after a server fault.
    let status = resp.status();
    if status.is_server_error() {
        let _ = state.engine.idempotency_abandon(&ctx, &key).await;
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes: Bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    // A replayed refusal names the request that was refused (its id is in the server log).
    let stored_body = match parts.extensions.get::<ApiError>() {
        Some(ApiError(e)) => serde_json::to_string(&error_body(e, &ctx.request_id)).unwrap_or_default(),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let _ = state.engine.idempotency_finish(&ctx, &key, status.as_u16(), stored_body.as_bytes()).await;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
