//! The JSON API under `/api/`: the same desk actions as the pages, for scripts, tests and
//! other clients. Errors are 4xx with `{"error": "...", "field": "..."}`. POSTs accept an
//! `Idempotency-Key` header; a replay answers with the first result and the header
//! `Idempotent-Replayed: true`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::session::{self, Sesi};
use crate::desk::perekaman::{GagalInput, PanggilInput};
use crate::desk::registrasi::{BerkasInput, BuatInput, TerlambatInput, TolakInput};
use crate::desk::{self, Ctx, Hasil, buku, perekaman, registrasi, store};
use crate::device::protocol::Modality;

/// A JSON body whose rejection is an [`ApiError`] naming the problem: the body is read with
/// axum's size limit (413, field `body`), then parsed with `serde_path_to_error`, so a value of
/// the wrong type or a missing field is 400 with the field's path (`penduduk.rt`).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                error: "JSON tidak sah: kirim JSON (Content-Type: application/json)".into(),
                field: Some("body".into()),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            ApiError {
                status,
                error: if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "data terlalu besar".into()
                } else {
                    "isi permintaan tidak dapat dibaca".into()
                },
                field: Some("body".into()),
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => match de.end() {
                Ok(()) => Ok(JsonBody(v)),
                Err(e) => Err(ApiError {
                    status: StatusCode::BAD_REQUEST,
                    error: format!("JSON tidak sah: {e}"),
                    field: Some("body".into()),
                }),
            },
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." || path.is_empty() {
                    "body".to_owned()
                } else {
                    path
                };
                Err(ApiError {
                    status: StatusCode::BAD_REQUEST,
                    error: format!("JSON tidak sah: {}", e.inner()),
                    field: Some(field),
                })
            }
        }
    }
}

/// The idempotency key of a request, if sent.
pub fn idem_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn answer(h: Hasil, created: bool) -> Response {
    let status = if created && !h.replay {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut resp = (status, Json(h.view)).into_response();
    if h.replay {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

fn ctx<'a>(state: &'a AppState, sesi: &'a Sesi, headers: &HeaderMap) -> Ctx<'a> {
    Ctx {
        state,
        op: &sesi.operator,
        idem: idem_key(headers),
    }
}

async fn buat(
    State(state): State<AppState>,
    sesi: Sesi,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BuatInput>,
) -> Result<Response, ApiError> {
    Ok(answer(
        registrasi::buat(ctx(&state, &sesi, &headers), body).await?,
        true,
    ))
}

async fn lihat(
    State(state): State<AppState>,
    _sesi: Sesi,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(desk::view(&state, &id).await?).into_response())
}

#[derive(Deserialize)]
struct DaftarQuery {
    tanggal: Option<String>,
    status: Option<String>,
}

async fn daftar(
    State(state): State<AppState>,
    _sesi: Sesi,
    Query(q): Query<DaftarQuery>,
) -> Result<Response, ApiError> {
    let tanggal = tanggal_or_today(&state, q.tanggal.as_deref())?;
    let now = state.clock.now();
    let today = state.today();
    let views = state
        .db
        .read(move |c| {
            let rows = match &q.status {
                Some(s) => store::load_where(
                    c,
                    "tanggal = ?1 AND status = ?2 ORDER BY created_at",
                    [tanggal.as_str(), s.as_str()],
                )?,
                None => {
                    store::load_where(c, "tanggal = ?1 ORDER BY created_at", [tanggal.as_str()])?
                }
            };
            Ok::<_, ApiError>(
                rows.iter()
                    .map(|r| desk::PermohonanView::of(r, vec![], now, today))
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    Ok(Json(views).into_response())
}

/// Parses a `tanggal` query value (default: today).
pub fn tanggal_or_today(state: &AppState, t: Option<&str>) -> Result<String, ApiError> {
    match t.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(state.today().to_string()),
        Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| ApiError::field("tanggal", "tanggal harus berformat TTTT-BB-HH")),
    }
}

macro_rules! action {
    ($name:ident, $input:ty, $f:path) => {
        async fn $name(
            State(state): State<AppState>,
            sesi: Sesi,
            headers: HeaderMap,
            Path(id): Path<String>,
            JsonBody(body): JsonBody<$input>,
        ) -> Result<Response, ApiError> {
            Ok(answer(
                $f(ctx(&state, &sesi, &headers), &id, body).await?,
                false,
            ))
        }
    };
}

action!(terima_berkas, BerkasInput, registrasi::terima_berkas);
action!(periksa_berkas, BerkasInput, registrasi::periksa_berkas);
action!(tolak, TolakInput, registrasi::tolak);
action!(cek_biometrik, TerlambatInput, registrasi::cek_biometrik);
action!(antrian_ulang, TerlambatInput, registrasi::antrian_ulang);
action!(berhasil, TerlambatInput, perekaman::berhasil);
action!(gagal, GagalInput, perekaman::gagal);
action!(
    pengecualian,
    perekaman::PengecualianInput,
    perekaman::kecualikan
);
action!(serahkan, TerlambatInput, perekaman::serahkan);

async fn panggil_berikut(
    State(state): State<AppState>,
    sesi: Sesi,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PanggilInput>,
) -> Result<Response, ApiError> {
    Ok(answer(
        perekaman::panggil(ctx(&state, &sesi, &headers), None, body).await?,
        false,
    ))
}

async fn panggil(
    State(state): State<AppState>,
    sesi: Sesi,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PanggilInput>,
) -> Result<Response, ApiError> {
    Ok(answer(
        perekaman::panggil(ctx(&state, &sesi, &headers), Some(&id), body).await?,
        false,
    ))
}

/// Parses a modality path segment.
pub fn modality(s: &str) -> Result<Modality, ApiError> {
    match s {
        "finger" | "sidik-jari" => Ok(Modality::Finger),
        "iris" => Ok(Modality::Iris),
        "face" | "foto" => Ok(Modality::Face),
        "signature" | "tanda-tangan" => Ok(Modality::Signature),
        _ => Err(ApiError::field(
            "modality",
            "modalitas: sidik-jari, iris, foto atau tanda-tangan",
        )),
    }
}

async fn rekam(
    State(state): State<AppState>,
    sesi: Sesi,
    headers: HeaderMap,
    Path((id, m)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let m = modality(&m)?;
    Ok(answer(
        perekaman::rekam(ctx(&state, &sesi, &headers), &id, m).await?,
        false,
    ))
}

async fn antrian(State(state): State<AppState>) -> Result<Response, ApiError> {
    let today = state.today().to_string();
    let a = state
        .db
        .read(move |c| perekaman::antrian(c, &today))
        .await?;
    Ok(Json(a).into_response())
}

/// `?tanggal=YYYY-MM-DD` (default today).
#[derive(Deserialize)]
pub struct TanggalQuery {
    pub tanggal: Option<String>,
}

async fn buku_json(
    State(state): State<AppState>,
    _sesi: Sesi,
    Query(q): Query<TanggalQuery>,
) -> Result<Response, ApiError> {
    let t = tanggal_or_today(&state, q.tanggal.as_deref())?;
    let tz = state.config.offset();
    let rows = state.db.read(move |c| buku::buku(c, &t, tz)).await?;
    Ok(Json(rows).into_response())
}

/// `GET /buku.csv?tanggal=`: the register book as CSV (also used by the page's link).
pub async fn buku_csv(
    State(state): State<AppState>,
    _sesi: session::SesiHalaman,
    Query(q): Query<TanggalQuery>,
) -> Result<Response, ApiError> {
    let t = tanggal_or_today(&state, q.tanggal.as_deref())?;
    let tz = state.config.offset();
    let t2 = t.clone();
    let rows = state.db.read(move |c| buku::buku(c, &t2, tz)).await?;
    let disp = format!(
        "attachment; filename=\"buku-bhppk-{}-{t}.csv\"",
        state.config.kecamatan
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disp).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        buku::csv(&rows),
    )
        .into_response())
}

/// `GET /buku.xlsx?tanggal=`: the register book as an Excel workbook (NIK and No. KK as text).
pub async fn buku_xlsx(
    State(state): State<AppState>,
    _sesi: session::SesiHalaman,
    Query(q): Query<TanggalQuery>,
) -> Result<Response, ApiError> {
    let t = tanggal_or_today(&state, q.tanggal.as_deref())?;
    let tz = state.config.offset();
    let t2 = t.clone();
    let rows = state.db.read(move |c| buku::buku(c, &t2, tz)).await?;
    let bytes = buku::xlsx(&rows, &t).map_err(ApiError::internal)?;
    let disp = format!(
        "attachment; filename=\"buku-bhppk-{}-{t}.xlsx\"",
        state.config.kecamatan
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
        ],
        bytes,
    )
        .into_response())
}

async fn statistik(
    State(state): State<AppState>,
    _sesi: Sesi,
    Query(q): Query<TanggalQuery>,
) -> Result<Response, ApiError> {
    let t = tanggal_or_today(&state, q.tanggal.as_deref())?;
    let s = state.db.read(move |c| buku::statistik(c, &t)).await?;
    Ok(Json(s).into_response())
}

/// `GET /api/penduduk/{nik}`: the resident in the office's copy of the population register
/// (see [`crate::desk::register`]): 200 with the data, 404 not registered (with what the SOP
/// says to do), 409 deceased or moved out, 400 an invalid NIK; audited.
async fn penduduk(
    State(state): State<AppState>,
    sesi: Sesi,
    Path(nik): Path<String>,
) -> Result<Response, ApiError> {
    use crate::desk::register::{self as reg, Jawaban};
    Ok(match reg::cari(&state, &sesi.operator, &nik).await? {
        Jawaban::Terdaftar(t) => (StatusCode::OK, Json(t)).into_response(),
        Jawaban::TidakTerdaftar(t) => (StatusCode::NOT_FOUND, Json(t)).into_response(),
        Jawaban::Ditolak(d) => (StatusCode::CONFLICT, Json(d)).into_response(),
    })
}

/// `GET /api/belum-rekam?nagari=..&halaman=..`: who in this office's kecamatan must still
/// record (see [`crate::desk::belum_rekam`]), a page of the list, counts per nagari and the
/// residents turning 17 within 30 days; audited. The whole list: `GET /belum-rekam.xlsx`.
async fn belum_rekam(
    State(state): State<AppState>,
    sesi: Sesi,
    Query(q): Query<super::belum_rekam::BelumRekamQuery>,
) -> Result<Response, ApiError> {
    use crate::desk::belum_rekam as br;
    let s = br::saring(state.today(), q.nagari.as_deref(), q.halaman.as_deref())?;
    let kecamatan = state.config.kecamatan.clone();
    let operator = sesi.operator.username.clone();
    let bentuk = format!("halaman {}", s.halaman.unwrap_or(1));
    let b = state
        .db
        .write(move |tx| br::hitung_diaudit(tx, &operator, &kecamatan, &s, &bentuk))
        .await?;
    Ok(Json(b).into_response())
}

async fn perangkat(State(state): State<AppState>, _sesi: Sesi) -> Result<Response, ApiError> {
    let devices = state
        .devices
        .discover()
        .await
        .map_err(registrasi::device_error)?;
    Ok(Json(devices).into_response())
}

async fn audit(State(state): State<AppState>, sesi: Sesi) -> Result<Response, ApiError> {
    if sesi.operator.peran != crate::peran::Peran::KepalaUkl {
        return Err(ApiError::forbidden("melihat log audit"));
    }
    let rows = state
        .db
        .read(|c| crate::audit::latest(c, 500).map_err(ApiError::from))
        .await?;
    Ok(Json(rows).into_response())
}

async fn cakupan(State(state): State<AppState>, _sesi: Sesi) -> Json<serde_json::Value> {
    let distrik = state.cek.info_distrik();
    let peringatan = distrik.as_ref().and_then(crate::cek::peringatan_indeks);
    Json(serde_json::json!({
        "lokal": state.cek.jumlah_lokal(),
        "distrik": distrik,
        "peringatan": peringatan,
    }))
}

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/login", post(session::api_login))
        .route("/api/logout", post(session::api_logout))
        .route("/api/me", get(session::api_me))
        .route("/api/penduduk/{nik}", get(penduduk))
        .route("/api/belum-rekam", get(belum_rekam))
        .route("/belum-rekam.xlsx", get(super::belum_rekam::xlsx))
        .route("/api/permohonan", post(buat).get(daftar))
        .route("/api/permohonan/{id}", get(lihat))
        .route("/api/permohonan/{id}/terima-berkas", post(terima_berkas))
        .route("/api/permohonan/{id}/periksa-berkas", post(periksa_berkas))
        .route("/api/permohonan/{id}/tolak", post(tolak))
        .route("/api/permohonan/{id}/cek-biometrik", post(cek_biometrik))
        .route("/api/permohonan/{id}/antrian-ulang", post(antrian_ulang))
        .route("/api/permohonan/{id}/panggil", post(panggil))
        .route("/api/permohonan/{id}/rekam/{modality}", post(rekam))
        .route("/api/permohonan/{id}/pengecualian", post(pengecualian))
        .route("/api/permohonan/{id}/berhasil", post(berhasil))
        .route("/api/permohonan/{id}/gagal", post(gagal))
        .route("/api/permohonan/{id}/serahkan", post(serahkan))
        .route("/api/antrian", get(antrian))
        .route("/api/antrian/panggil", post(panggil_berikut))
        .route("/api/buku", get(buku_json))
        .route("/api/statistik", get(statistik))
        .route("/api/sync", get(super::sinkron::api))
        .route("/buku.csv", get(buku_csv))
        .route("/buku.xlsx", get(buku_xlsx))
        .route("/api/perangkat", get(perangkat))
        .route("/api/audit", get(audit))
        .route("/api/cek", get(cakupan))
}
