//! `GET /belum-rekam.xlsx?nagari=..`: the office's whole belum-rekam list as an XLSX workbook
//! for outreach (NIK and No. KK as text cells), see [`crate::desk::belum_rekam`]. Any logged-in
//! operator; audited like the JSON answer (`GET /api/belum-rekam`). The printable HTML page is
//! added with the page rewrite.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::session::SesiHalaman;
use crate::desk::belum_rekam;

/// The query of both routes.
#[derive(Debug, Default, Deserialize)]
pub struct BelumRekamQuery {
    /// One nagari (empty: the whole kecamatan).
    pub nagari: Option<String>,
    /// Page of the JSON list.
    pub halaman: Option<String>,
}

/// `GET /belum-rekam.xlsx`.
pub async fn xlsx(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Query(q): Query<BelumRekamQuery>,
) -> Result<Response, ApiError> {
    let mut s = belum_rekam::saring(state.today(), q.nagari.as_deref(), None)?;
    s.halaman = None;
    let kecamatan = state.config.kecamatan.clone();
    let operator = sesi.operator.username.clone();
    let b = state
        .db
        .write(move |tx| belum_rekam::hitung_diaudit(tx, &operator, &kecamatan, &s, "xlsx"))
        .await?;
    let bytes = belum_rekam::xlsx(&b).map_err(ApiError::internal)?;
    let disp = format!(
        "attachment; filename=\"belum-rekam-{}-{}.xlsx\"",
        b.kecamatan, b.pada
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disp).unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}
