//! The sync daemon's state as the desks see it: a card on the home page and `GET /api/sync`.
//!
//! The daemon (`crate::sync`) keeps its state in the office's database (online flag, last
//! success, what is waiting); this module only reads it, so the desks never wait on the link.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::AppState;
use super::error::ApiError;
use super::session::Sesi;
use crate::sync::client::WireBytes;
use crate::sync::daemon::{SyncStatus, status_from_db};

/// The daemon's state, or `None` when this office has no hub configured (it works alone).
pub async fn status(state: &AppState) -> Result<Option<SyncStatus>, ApiError> {
    if state.config.hub.is_none() {
        return Ok(None);
    }
    state
        .db
        .read(|c| status_from_db(c, WireBytes::default()))
        .await
        .map(Some)
        .map_err(ApiError::internal)
}

/// `GET /api/sync`: `{"hub": false}` without a hub, else `{"hub": true, ...status}`.
pub async fn api(State(state): State<AppState>, _sesi: Sesi) -> Result<Response, ApiError> {
    let body = match status(&state).await? {
        None => serde_json::json!({ "hub": false }),
        Some(s) => {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            v["hub"] = serde_json::Value::Bool(true);
            v
        }
    };
    Ok(Json(body).into_response())
}

/// The home page's card (Indonesian).
pub fn kartu(s: Option<&SyncStatus>) -> Markup {
    html! {
        div class="kartu" id="sinkron" {
            h2 { "Sinkronisasi ke kabupaten" }
            @if let Some(s) = s {
                p {
                    "Status: "
                    @if s.online {
                        b class="ok" { "Terhubung" }
                    } @else {
                        b class="peringatan" { "Tidak terhubung" }
                        " (data tetap aman di kantor dan dikirim saat jaringan kembali)"
                    }
                }
                p { "Terakhir berhasil: " (s.last_success.as_deref().unwrap_or("belum pernah")) }
                p {
                    "Menunggu dikirim: " (s.docs_waiting) " dokumen ("
                    (s.doc_bytes_waiting.div_ceil(1024)) " KB), " (s.blobs_waiting)
                    " berkas foto/tanda tangan (" (s.blob_bytes_waiting.div_ceil(1024)) " KB)"
                }
                p { "Ditolak hub: " (s.docs_refused) " dokumen" }
                @if let Some(e) = &s.last_error { p { "Galat terakhir: " (e) } }
            } @else {
                p { "Tidak dikonfigurasi: kantor ini bekerja mandiri." }
            }
        }
    }
}
