//! Disks moving between nodes. Their bytes do not fit a JSON call: an export is a GET
//! whose body is the disk, an import a POST whose body is the disk, and the manifest
//! travels in the [`MANIFEST_HEADER`] of either. Errors stay typed: a failed export
//! answers the error's status with an [`Answer::Err`] body, an import answers an
//! [`Answer`] like every call.

use crate::{Answer, RemoteDriver, Served};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use gureum_driver::{DiskContent, DiskExport, DiskManifest, DriverError, DriverResult, ProviderResource};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The header that carries a disk's [`DiskManifest`] as JSON.
pub const MANIFEST_HEADER: &str = "x-gureum-disk-manifest";
/// The longest a transfer may go without moving, unless the driver says otherwise: the
/// source's flattening before the first byte, a pause between two pieces, the
/// destination's sync and check after the last. A transfer takes as long as its size
/// needs, so nothing bounds it as a whole.
pub const TRANSFER_STALL: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a refused import's remaining upload is read so its answer gets through.
const REFUSAL_DRAIN: Duration = Duration::from_secs(10);

/// The HTTP clients of a node's transfers (a call's client bounds the whole request).
pub(crate) struct TransferClients {
    stall: Duration,
    /// For exports: reqwest's read timeout bounds the wait for the answer and every
    /// pause in its body.
    exports: reqwest::Client,
    /// For imports: reqwest's read timeout would also count the upload (it is not reset
    /// until the answer comes), so a watchdog of the upload's progress bounds them.
    imports: reqwest::Client,
}

impl TransferClients {
    pub(crate) fn new(stall: Duration) -> TransferClients {
        let client = || reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT);
        TransferClients {
            stall,
            exports: client().read_timeout(stall).build().expect("an HTTP client"),
            imports: client().build().expect("an HTTP client"),
        }
    }
}

/// `GET /v1/driver/disks/{id}/export`: the disk's bytes, its manifest in the header.
pub(crate) async fn serve_export(State(s): State<Served>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !s.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match s.driver.disk_export(&id).await {
        Ok(DiskExport { manifest, content }) => {
            ([(MANIFEST_HEADER, manifest_header(&manifest))], Body::from_stream(content)).into_response()
        }
        Err(e) => (status_of(&e), axum::Json(Answer::Err(e))).into_response(),
    }
}

/// `POST /v1/driver/disks/import`: a new disk from the body's bytes and the header's manifest.
pub(crate) async fn serve_import(State(s): State<Served>, headers: HeaderMap, body: Body) -> Response {
    if !s.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // A raw body is not held to axum's body limit, which only extractors apply.
    let body = Arc::new(tokio::sync::Mutex::new(body.into_data_stream()));
    let answer = match manifest_of(&headers) {
        Ok(manifest) => Answer::from(s.driver.disk_import(manifest, shared_content(body.clone())).await),
        Err(why) => Answer::Err(DriverError::InvalidRequest(format!("a disk import needs {MANIFEST_HEADER}: {why}"))),
    };
    if let Answer::Err(_) = answer {
        // Closing the connection on bytes not yet read resets it, and the reset can lose
        // the answer before the caller reads it: the rest is read first, for a while.
        let drain = async { while let Some(Ok(_)) = body.lock().await.next().await {} };
        let _ = tokio::time::timeout(REFUSAL_DRAIN, drain).await;
    }
    axum::Json(answer).into_response()
}

/// The request body as a disk's content, which the handler can still read after the driver.
fn shared_content(body: Arc<tokio::sync::Mutex<axum::body::BodyDataStream>>) -> DiskContent {
    futures::stream::unfold(body, |body| async move {
        let piece = body.lock().await.next().await?;
        Some((piece.map_err(std::io::Error::other), body))
    })
    .boxed()
}

/// The status of a failed export (its body says which error it is).
fn status_of(e: &DriverError) -> StatusCode {
    match e {
        DriverError::NotFound { .. } => StatusCode::NOT_FOUND,
        DriverError::Conflict(_) | DriverError::AlreadyExists(_) => StatusCode::CONFLICT,
        DriverError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
        DriverError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
        DriverError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        DriverError::Unavailable(_) | DriverError::Capacity(_) => StatusCode::SERVICE_UNAVAILABLE,
        DriverError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        DriverError::Provider { .. } => StatusCode::BAD_GATEWAY,
    }
}

/// The manifest as a header value: JSON with everything outside printable ASCII
/// escaped, which a header can carry and JSON reads back the same.
fn manifest_header(manifest: &DiskManifest) -> HeaderValue {
    let json = serde_json::to_string(manifest).expect("a manifest serializes");
    let mut ascii = String::with_capacity(json.len());
    for c in json.chars() {
        if (' '..='~').contains(&c) {
            ascii.push(c);
        } else {
            // serde_json escapes control characters itself: this is inside a string.
            for unit in c.encode_utf16(&mut [0; 2]) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    HeaderValue::from_str(&ascii).expect("printable ASCII is a header value")
}

fn manifest_of(headers: &HeaderMap) -> Result<DiskManifest, String> {
    let value = headers.get(MANIFEST_HEADER).ok_or("the header is missing")?;
    let text = value.to_str().map_err(|e| e.to_string())?;
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// What an upload's source did: when it last moved, for a watchdog that ends the upload
/// once it has stood still, and how it broke off, if it did (the request then fails for
/// a reason that is not the node's).
#[derive(Clone)]
struct Progress {
    start: Instant,
    last_ms: Arc<AtomicU64>,
    broke: Arc<std::sync::Mutex<Option<String>>>,
}

impl Progress {
    fn new() -> Progress {
        Progress { start: Instant::now(), last_ms: Arc::default(), broke: Arc::default() }
    }

    fn saw(&self, piece: &std::io::Result<bytes::Bytes>) {
        match piece {
            Ok(_) => self.last_ms.store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed),
            Err(e) => *self.broke.lock().expect("progress") = Some(e.to_string()),
        }
    }

    fn broke(&self) -> Option<String> {
        self.broke.lock().expect("progress").clone()
    }

    /// Returns once nothing has moved for `limit`.
    async fn stalled(&self, limit: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let idle = last.elapsed();
            if idle >= limit {
                return;
            }
            tokio::time::sleep(limit - idle).await;
        }
    }
}

impl RemoteDriver {
    pub(crate) async fn export(&self, disk_id: &str) -> DriverResult<DiskExport> {
        let url = format!("{}/disks/{disk_id}/export", self.url);
        let r = self.authorized(self.transfers.exports.get(url)).send().await;
        let r = r.map_err(|e| self.unreachable(e))?;
        if !r.status().is_success() {
            return Err(match self.answer::<serde_json::Value>(r).await {
                Err(e) => e,
                Ok(_) => self.unreachable("it answered an export with an error status and a result"),
            });
        }
        let manifest = manifest_of(r.headers()).map_err(|why| self.unreachable(format!("its export: {why}")))?;
        let content: DiskContent = r.bytes_stream().map_err(std::io::Error::other).boxed();
        Ok(DiskExport { manifest, content })
    }

    pub(crate) async fn import(&self, manifest: DiskManifest, content: DiskContent) -> DriverResult<ProviderResource> {
        let progress = Progress::new();
        let moved = progress.clone();
        let body = reqwest::Body::wrap_stream(content.inspect(move |piece| moved.saw(piece)));
        let send = self
            .authorized(self.transfers.imports.post(format!("{}/disks/import", self.url)))
            .header(MANIFEST_HEADER, manifest_header(&manifest))
            .body(body)
            .send();
        let r = tokio::select! {
            r = send => r.map_err(|e| match progress.broke() {
                Some(why) => DriverError::Unavailable(format!("the content of disk {:?} broke off: {why}", manifest.name)),
                None => self.unreachable(e),
            })?,
            _ = progress.stalled(self.transfers.stall) => {
                return Err(DriverError::Timeout(format!(
                    "the import of disk {:?} into {} stood still for {:?}",
                    manifest.name, self.who(), self.transfers.stall
                )));
            }
        };
        self.answer(r).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_header_is_ascii_and_reads_back_the_same() {
        let manifest = DiskManifest {
            name: "구름 \"disk\"\u{7f}".into(),
            tag: "vol-1".into(),
            size_gb: 3,
            zone: "local-1".into(),
            volume_type: "SSD".into(),
            boot_image: Some("tiny-linux".into()),
        };
        let mut headers = HeaderMap::new();
        headers.insert(MANIFEST_HEADER, manifest_header(&manifest));
        assert!(headers[MANIFEST_HEADER].to_str().is_ok());
        assert_eq!(manifest_of(&headers), Ok(manifest));
        assert_eq!(manifest_of(&HeaderMap::new()), Err("the header is missing".into()));
    }
}
