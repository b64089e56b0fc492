//! The hub's HTTP API (served over mutual TLS by [`crate::tls`]).
//!
//! - `POST /v1/sync`: binary sync body ([`rekam_shared::wire`]), gzip both ways.
//! - `GET /v1/blobs/{sha256}`: upload state of a blob ([`BlobStatus`] JSON).
//! - `PUT /v1/blobs/{sha256}?offset=N&total=T`: one chunk of a blob; the last chunk completes it
//!   after the SHA-256 check.
//! - `GET /v1/blobs/{sha256}/data?permohonan=ID&offset=N`: a complete blob's bytes from `offset`
//!   (a restored office resumes a cut download there), only if application `ID` belongs to the
//!   peer's kecamatan (from its certificate) and references the blob: 403 for another
//!   kecamatan's application (audited), 404 for a blob it does not reference or the hub lacks.
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
        .route(
            &format!(
                "{}/{{sha256}}/{}",
                wire::BLOBS_PATH,
                wire::BLOB_DATA_SEGMENT
            ),
            get(blob_get),
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

/// Query of a blob download.
#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    permohonan: Option<String>,
    #[serde(default)]
    offset: u64,
}

/// Why a blob download is refused.
enum Unduh {
    Bytes(Vec<u8>),
    NoDoc,
    OtherKecamatan(String),
    NotReferenced,
    NoBlob,
    Offset(u64),
}

async fn blob_get(
    State(st): State<AppState>,
    Extension(peer): Extension<Arc<PeerIdentity>>,
    Path(sha): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    if !wire::is_sha256_hex(&sha) {
        return error(
            StatusCode::BAD_REQUEST,
            "not a lowercase hex SHA-256",
            "sha256",
        );
    }
    let Some(id) = q
        .permohonan
        .filter(|p| !p.is_empty() && p.len() <= wire::MAX_ID_BYTES)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "the application that references the blob is required",
            "permohonan",
        );
    };
    let storage = st.storage.clone();
    let p = peer.clone();
    let (sha2, id2) = (sha.clone(), id.clone());
    let r = tokio::task::spawn_blocking(move || -> Result<Unduh, StorageError> {
        let Some(doc) = storage.load_doc(&id2)? else {
            return Ok(Unduh::NoDoc);
        };
        if doc.kecamatan != p.kecamatan {
            storage.transaction(&mut |tx| {
                tx.audit(&crate::storage::AuditEntry {
                    at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    actor: format!("kecamatan {}", p.kecamatan),
                    action: "blob.refused".into(),
                    permohonan_id: Some(id2.clone()),
                    detail: format!("blob of kecamatan {} asked for", doc.kecamatan),
                })
            })?;
            return Ok(Unduh::OtherKecamatan(doc.kecamatan));
        }
        let referenced = crate::sync::load_for_hub(&doc.bytes)
            .ok()
            .and_then(|d| d.biometrik().ok())
            .is_some_and(|b| b.blobs().any(|r| r.sha256 == sha2));
        if !referenced {
            return Ok(Unduh::NotReferenced);
        }
        let Some(data) = storage.get_blob(&sha2)? else {
            return Ok(Unduh::NoBlob);
        };
        let len = data.len() as u64;
        if q.offset > len {
            return Ok(Unduh::Offset(len));
        }
        Ok(Unduh::Bytes(data[q.offset as usize..].to_vec()))
    })
    .await;
    match r {
        Ok(Ok(Unduh::Bytes(b))) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], b).into_response()
        }
        Ok(Ok(Unduh::NoDoc)) => error(
            StatusCode::NOT_FOUND,
            "no such application at the hub",
            "permohonan",
        ),
        Ok(Ok(Unduh::OtherKecamatan(k))) => {
            tracing::warn!(
                kecamatan = %peer.kecamatan,
                permohonan = %id,
                pemilik = %k,
                "blob download refused: another kecamatan's application"
            );
            error(
                StatusCode::FORBIDDEN,
                format!(
                    "application of kecamatan {k} cannot be read by kecamatan {}",
                    peer.kecamatan
                ),
                "permohonan",
            )
        }
        Ok(Ok(Unduh::NotReferenced)) => error(
            StatusCode::NOT_FOUND,
            "the application does not reference this blob",
            "sha256",
        ),
        Ok(Ok(Unduh::NoBlob)) => error(
            StatusCode::NOT_FOUND,
            "the hub does not hold this blob complete",
            "sha256",
        ),
        Ok(Ok(Unduh::Offset(len))) => error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!("offset past the blob's {len} bytes"),
            "offset",
        ),
        Ok(Err(e)) => storage_error(e),
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
        let (dir, _, app) = app_with_storage();
        (dir, app)
    }

    fn app_with_storage() -> (tempfile::TempDir, Arc<dyn Storage>, Router) {
        let dir = tempfile::tempdir().unwrap();
        let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("h.db")).unwrap());
        let peer = Arc::new(PeerIdentity {
            kecamatan: "130101".into(),
            serial: "01".into(),
        });
        (
            dir,
            s.clone(),
            router(s, Pemicu::new()).layer(Extension(peer)),
        )
    }

    /// Stores a complete blob and an application of `kecamatan` whose photo it is.
    fn photo_of(s: &dyn Storage, id: &str, kecamatan: &str, data: &[u8]) -> String {
        use rekam_shared::document::{Biometrik, BlobRef, PermohonanDoc};
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data));
        s.put_blob_chunk(&sha, 0, data.len() as u64, data).unwrap();
        let mut doc = PermohonanDoc::new(id, kecamatan).unwrap();
        doc.set_biometrik(&Biometrik {
            foto: Some(BlobRef {
                sha256: sha.clone(),
                size: data.len() as u64,
                media_type: "image/jpeg".into(),
            }),
            ..Biometrik::default()
        })
        .unwrap();
        let bytes = doc.save();
        s.transaction(&mut |tx| tx.save_doc(id, kecamatan, &bytes, false))
            .unwrap();
        sha
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
    async fn an_office_downloads_only_blobs_of_its_own_applications_and_resumes() {
        let (_d, s, app) = app_with_storage();
        let own: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let theirs = b"another kecamatan's face photo".to_vec();
        let sha_own = photo_of(s.as_ref(), "130101-p1", "130101", &own);
        let sha_theirs = photo_of(s.as_ref(), "130102-p1", "130102", &theirs);
        let get = |sha: &str, query: &str| {
            Request::get(format!(
                "{}/{sha}/{}{query}",
                wire::BLOBS_PATH,
                wire::BLOB_DATA_SEGMENT
            ))
            .body(Body::empty())
            .unwrap()
        };
        let (st, _, body) = call(&app, get(&sha_own, "?permohonan=130101-p1")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, own);
        // Resumed after a cut at byte 1234.
        let (st, _, body) = call(&app, get(&sha_own, "?permohonan=130101-p1&offset=1234")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, own[1234..]);
        // Another kecamatan's photo, by its hash and its application: refused and audited.
        let (st, _, body) = call(&app, get(&sha_theirs, "?permohonan=130102-p1")).await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "{}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(json(&body)["field"], "permohonan");
        assert!(
            s.audit_entries(5)
                .unwrap()
                .iter()
                .any(|e| e.action == "blob.refused" && e.actor == "kecamatan 130101")
        );
        // ... and through one of this office's own applications, which does not reference it.
        let (st, _, body) = call(&app, get(&sha_theirs, "?permohonan=130101-p1")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(json(&body)["field"], "sha256");
        assert!(!body.windows(theirs.len()).any(|w| w == theirs));
        // Without naming an application, with an unknown one, past the end, not a hash.
        let (st, _, body) = call(&app, get(&sha_own, "")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(json(&body)["field"], "permohonan");
        let (st, _, body) = call(&app, get(&sha_own, "?permohonan=130101-nope")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_eq!(json(&body)["field"], "permohonan");
        let (st, _, body) = call(&app, get(&sha_own, "?permohonan=130101-p1&offset=5001")).await;
        assert_eq!(st, StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(json(&body)["field"], "offset");
        let (st, _, body) = call(&app, get("NOT-HEX", "?permohonan=130101-p1")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(json(&body)["field"], "sha256");
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
