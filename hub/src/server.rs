//! The hub's HTTP API (served over mutual TLS by [`crate::tls`]).
//!
//! - `POST /v1/sync`: binary sync body ([`rekam_shared::wire`]), gzip both ways.
//! - `GET /v1/blobs/{sha256}`: upload state of a blob ([`BlobStatus`] JSON).
//! - `PUT /v1/blobs/{sha256}?offset=N&total=T`: one chunk of a blob; the last chunk completes it
//!   after the SHA-256 check.
//! - `GET /v1/status`: document count and offices (for the office's status page and ops).
//! - `GET /healthz`.
//!
//! Errors are 4xx with a JSON body `{"error": ..., "field": ...}`.

use std::io::Read as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use rekam_shared::wire::{self, BlobStatus, SyncRequest};
use serde::Deserialize;

use crate::dedup::queue::Pemicu;
use crate::pki::PeerIdentity;
use crate::storage::{Storage, StorageError};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The storage.
    pub storage: Arc<dyn Storage>,
    /// Wakes the dedup queue's worker after a sync changed applications (the work itself is
    /// queued in storage by the sync).
    pub dedup: Pemicu,
}

/// Builds the router.
pub fn router(storage: Arc<dyn Storage>, dedup: Pemicu) -> Router {
    Router::new()
        .route(wire::SYNC_PATH, post(sync))
        .route(
            &format!("{}/{{sha256}}", wire::BLOBS_PATH),
            get(blob_status).put(blob_put),
        )
        .route("/v1/status", get(status))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(wire::MAX_BODY_BYTES))
        .with_state(AppState { storage, dedup })
}

fn error(status: StatusCode, error: impl std::fmt::Display, field: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": error.to_string(), "field": field})),
    )
        .into_response()
}

fn storage_error(e: StorageError) -> Response {
    match e {
        StorageError::BlobOffset { .. } => error(StatusCode::CONFLICT, e, "offset"),
        StorageError::BlobHash => error(StatusCode::UNPROCESSABLE_ENTITY, e, "sha256"),
        StorageError::BlobTooLarge(_) => error(StatusCode::PAYLOAD_TOO_LARGE, e, "total"),
        other => {
            tracing::error!(error = %other, "storage failure");
            error(StatusCode::INTERNAL_SERVER_ERROR, "storage failure", "")
        }
    }
}

fn gunzip_bounded(body: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    if out.len() > max {
        return Err(format!("body larger than {max} bytes"));
    }
    Ok(out)
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body).expect("write to Vec");
    enc.finish().expect("write to Vec")
}

async fn sync(
    State(st): State<AppState>,
    Extension(peer): Extension<Arc<PeerIdentity>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let gz = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let raw = if gz {
        match gunzip_bounded(&body, wire::MAX_BODY_BYTES) {
            Ok(b) => b,
            Err(e) => return error(StatusCode::BAD_REQUEST, e, "body"),
        }
    } else {
        body.to_vec()
    };
    let req = match SyncRequest::decode(&raw) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e, "body"),
    };
    let storage = st.storage.clone();
    let pemicu = st.dedup.clone();
    let p = peer.clone();
    let result = tokio::task::spawn_blocking(move || {
        let result = crate::sync::process(storage.as_ref(), &p, &req);
        if let Ok((_, outcome)) = &result
            && !outcome.updated_ids.is_empty()
        {
            // The changed documents were queued for dedup in the sync transaction, which
            // has committed: wake the worker. Here, not after the `.await` below: a client
            // that hangs up drops this handler, but what was stored must still be checked
            // (and the worker also looks at the queue on its own every few seconds).
            pemicu.bangunkan();
        }
        result
    })
    .await;
    let (resp, outcome) = match result {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return storage_error(e),
        Err(e) => {
            tracing::error!(error = %e, "sync task failed");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "sync task failed", "");
        }
    };
    if outcome.docs_updated > 0 || outcome.refused > 0 {
        tracing::info!(
            kecamatan = %peer.kecamatan,
            docs = resp.docs.len(),
            updated = outcome.docs_updated,
            refused = outcome.refused,
            "sync request served"
        );
    } else {
        tracing::debug!(kecamatan = %peer.kecamatan, docs = resp.docs.len(), "sync request served");
    }
    let body = resp.encode();
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut out_headers = HeaderMap::new();
    out_headers.insert(
        header::CONTENT_TYPE,
        "application/x-rekam-sync".parse().expect("static"),
    );
    if accepts_gzip {
        out_headers.insert(header::CONTENT_ENCODING, "gzip".parse().expect("static"));
        (out_headers, gzip(&body)).into_response()
    } else {
        (out_headers, body).into_response()
    }
}

async fn blob_status(State(st): State<AppState>, Path(sha): Path<String>) -> Response {
    if !wire::is_sha256_hex(&sha) {
        return error(
            StatusCode::BAD_REQUEST,
            "not a lowercase hex SHA-256",
            "sha256",
        );
    }
    let storage = st.storage.clone();
    match tokio::task::spawn_blocking(move || storage.blob_status(&sha)).await {
        Ok(Ok(s)) => Json(s).into_response(),
        Ok(Err(e)) => storage_error(e),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "task failed", ""),
    }
}

/// Query of a blob chunk upload.
#[derive(Debug, Deserialize)]
pub struct ChunkQuery {
    offset: u64,
    total: u64,
}

async fn blob_put(
    State(st): State<AppState>,
    Extension(peer): Extension<Arc<PeerIdentity>>,
    Path(sha): Path<String>,
    Query(q): Query<ChunkQuery>,
    body: Bytes,
) -> Response {
    if !wire::is_sha256_hex(&sha) {
        return error(
            StatusCode::BAD_REQUEST,
            "not a lowercase hex SHA-256",
            "sha256",
        );
    }
    if q.total > wire::MAX_BLOB_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "blob too large", "total");
    }
    let storage = st.storage.clone();
    let sha2 = sha.clone();
    let r: Result<Result<BlobStatus, StorageError>, _> = tokio::task::spawn_blocking(move || {
        storage.put_blob_chunk(&sha2, q.offset, q.total, &body)
    })
    .await;
    match r {
        Ok(Ok(s)) => Json(s).into_response(),
        Ok(Err(e)) => {
            if matches!(e, StorageError::BlobHash) {
                tracing::warn!(kecamatan = %peer.kecamatan, blob = %sha, "blob refused: hash mismatch");
            }
            storage_error(e)
        }
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "task failed", ""),
    }
}

async fn status(State(st): State<AppState>) -> Response {
    let storage = st.storage.clone();
    let r = tokio::task::spawn_blocking(move || -> Result<_, StorageError> {
        Ok((storage.doc_count()?, storage.offices()?))
    })
    .await;
    match r {
        Ok(Ok((docs, offices))) => Json(serde_json::json!({
            "documents": docs,
            "offices": offices.iter().map(|o| serde_json::json!({
                "kecamatan": o.kecamatan,
                "last_seen": o.last_seen,
                "requests": o.requests,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(Err(e)) => storage_error(e),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "task failed", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    fn app() -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("h.db")).unwrap());
        let peer = Arc::new(PeerIdentity {
            kecamatan: "130101".into(),
            serial: "01".into(),
        });
        (dir, router(s, Pemicu::new()).layer(Extension(peer)))
    }

    async fn call(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, headers, body)
    }

    fn json(body: &[u8]) -> serde_json::Value {
        serde_json::from_slice(body).unwrap()
    }

    #[tokio::test]
    async fn sync_bodies_are_checked_and_gzip_works_both_ways() {
        let (_d, app) = app();
        let req = Request::post(wire::SYNC_PATH)
            .body(Body::from("not a sync body"))
            .unwrap();
        let (st, _, body) = call(&app, req).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(json(&body)["field"], "body");
        let req = Request::post(wire::SYNC_PATH)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from("not gzip"))
            .unwrap();
        assert_eq!(call(&app, req).await.0, StatusCode::BAD_REQUEST);
        // A gzip bomb is cut at the bound.
        let bomb = gzip(&vec![0u8; wire::MAX_BODY_BYTES + 10]);
        let req = Request::post(wire::SYNC_PATH)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(bomb))
            .unwrap();
        let (st, _, body) = call(&app, req).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert!(json(&body)["error"].as_str().unwrap().contains("larger"));
        // A valid empty request, gzip'd, answered gzip'd.
        let req = Request::post(wire::SYNC_PATH)
            .header(header::CONTENT_ENCODING, "gzip")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::from(gzip(&SyncRequest::default().encode())))
            .unwrap();
        let (st, headers, body) = call(&app, req).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
        let raw = gunzip_bounded(&body, wire::MAX_BODY_BYTES).unwrap();
        let resp = wire::SyncResponse::decode(&raw).unwrap();
        assert!(resp.docs.is_empty());
        // The office is now known to the hub.
        let (st, _, body) = call(
            &app,
            Request::get("/v1/status").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        let v = json(&body);
        assert_eq!(v["documents"], 0);
        assert_eq!(v["offices"][0]["kecamatan"], "130101");
        assert_eq!(v["offices"][0]["requests"], 1);
    }

    #[tokio::test]
    async fn blob_endpoints_name_the_bad_field() {
        let (_d, app) = app();
        let req = Request::get(format!("{}/NOT-HEX", wire::BLOBS_PATH))
            .body(Body::empty())
            .unwrap();
        let (st, _, body) = call(&app, req).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(json(&body)["field"], "sha256");
        let data = b"hello blob".to_vec();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
        let put = |offset: u64, body: &[u8]| {
            Request::put(format!(
                "{}/{sha}?offset={offset}&total={}",
                wire::BLOBS_PATH,
                data.len()
            ))
            .body(Body::from(body.to_vec()))
            .unwrap()
        };
        let (st, _, body) = call(&app, put(0, &data[..4])).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(json(&body)["received"], 4);
        let (st, _, body) = call(&app, put(0, &data[..4])).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(json(&body)["field"], "offset");
        let (st, _, body) = call(&app, put(4, &data[4..])).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(json(&body)["complete"], true);
        let req = Request::put(format!(
            "{}/{sha}?offset=0&total={}",
            wire::BLOBS_PATH,
            wire::MAX_BLOB_BYTES + 1
        ))
        .body(Body::empty())
        .unwrap();
        let (st, _, body) = call(&app, req).await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json(&body)["field"], "total");
    }
}
