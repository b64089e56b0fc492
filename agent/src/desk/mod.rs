//! The desk logic: every action of the SOP's four steps, shared by the JSON API and the HTML
//! pages (neither has a second copy). Each action builds a workflow event and hands it to
//! `rekam_shared::workflow` (the only place transitions are decided), then stores the result
//! (row, event log, automerge document, audit entry) in one transaction on the writer thread.
//!
//! Forms and API calls may carry an idempotency key: a second submit with the same key returns
//! the first answer and changes nothing.

pub mod buku;
pub mod input;
pub mod perekaman;
pub mod register;
pub mod registrasi;
pub mod store;

use chrono::{DateTime, Utc};
use rekam_shared::eligibility::{self, Kelayakan};
use rekam_shared::workflow::{
    Aksi, AlasanTerlambat, DurasiLangkah, Kelengkapan, Peran, Peristiwa, WorkflowError,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::auth::Operator;
use crate::web::AppState;
use crate::web::error::ApiError;
use store::{CaptureSummary, Row};

/// Maps a refusal of the state machine to an HTTP answer naming the field.
pub fn workflow_error(e: WorkflowError) -> ApiError {
    let msg = e.to_string();
    match e {
        WorkflowError::TransisiTidakSah { .. } => ApiError::conflict(Some("status"), msg),
        WorkflowError::PeranTidakBerwenang { .. } => {
            ApiError::new(axum::http::StatusCode::FORBIDDEN, msg)
        }
        WorkflowError::AlasanTerlambatWajib { .. } => ApiError {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            error: msg,
            field: Some("alasan_terlambat".into()),
        },
        WorkflowError::WaktuMundur { .. } => ApiError::conflict(Some("waktu"), msg),
        WorkflowError::PerekamanBelumLengkap { .. } => ApiError::conflict(Some("biometrik"), msg),
        WorkflowError::DataTidakSah { field, .. } => ApiError::field(field, msg),
    }
}

/// The current step as shown at the desk: its SOP standard and how long it has been running.
#[derive(Debug, Clone, Serialize)]
pub struct LangkahView {
    pub nomor: u8,
    pub label: &'static str,
    pub standar: &'static str,
    pub batas_menit: i64,
    pub mulai: Option<DateTime<Utc>>,
    pub detik_berjalan: i64,
    pub terlambat: bool,
}

/// An application as the desks and the API see it.
#[derive(Debug, Clone, Serialize)]
pub struct PermohonanView {
    pub id: String,
    pub status: &'static str,
    pub keadaan: serde_json::Value,
    pub penduduk: rekam_shared::penduduk::Penduduk,
    pub tanggal: String,
    pub nomor_antrian: Option<u32>,
    pub nomor_bukti: Option<String>,
    pub berkas: Vec<String>,
    pub kelayakan: Option<Kelayakan>,
    pub cek_biometrik: Option<serde_json::Value>,
    pub langkah: Option<LangkahView>,
    pub aksi_berikut: Vec<&'static str>,
    pub peristiwa: Vec<Peristiwa>,
    pub riwayat_langkah: Vec<DurasiLangkah>,
    pub biometrik: Vec<CaptureSummary>,
    /// The district's dedup decision, once the hub has sent it (filled by [`view`] only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keputusan: Option<rekam_shared::document::Keputusan>,
}

impl PermohonanView {
    /// Builds the view of a row at `now` (local day `today` for eligibility).
    pub fn of(
        row: &Row,
        captures: Vec<CaptureSummary>,
        now: DateTime<Utc>,
        today: chrono::NaiveDate,
    ) -> Self {
        let p = &row.permohonan;
        let langkah = p.langkah_sekarang().map(|l| {
            let lama = p
                .lama_langkah_sekarang(now)
                .map(|d| d.num_seconds())
                .unwrap_or(0);
            LangkahView {
                nomor: l.nomor(),
                label: l.label(),
                standar: l.standar(),
                batas_menit: l.batas_menit(),
                mulai: p.keadaan().langkah_mulai,
                detik_berjalan: lama,
                terlambat: p.perlu_alasan_terlambat(now),
            }
        });
        PermohonanView {
            id: p.id().to_owned(),
            status: p.status().nama(),
            keadaan: serde_json::to_value(p.keadaan()).unwrap_or_default(),
            penduduk: p.penduduk().clone(),
            tanggal: row.tanggal.clone(),
            nomor_antrian: row.nomor_antrian,
            nomor_bukti: row.nomor_bukti.clone(),
            berkas: row.berkas.clone(),
            kelayakan: eligibility::periksa_penduduk(p.penduduk(), today).ok(),
            cek_biometrik: row.cek_biometrik.clone(),
            langkah,
            aksi_berikut: p.status().aksi_berikut().iter().map(|j| j.nama()).collect(),
            peristiwa: p.peristiwa().to_vec(),
            riwayat_langkah: p.riwayat_langkah(),
            biometrik: captures,
            keputusan: None,
        }
    }
}

/// The result of a desk action: the application's id and its view (as JSON), and whether this
/// was a replay of an earlier submit with the same idempotency key.
#[derive(Debug, Clone)]
pub struct Hasil {
    pub id: String,
    pub view: serde_json::Value,
    pub replay: bool,
}

/// Loads the view of one application.
pub async fn view(state: &AppState, id: &str) -> Result<PermohonanView, ApiError> {
    let id = id.to_owned();
    let now = state.clock.now();
    let today = state.today();
    state
        .db
        .read(move |c| {
            let row = store::load_required(c, &id)?;
            let caps = store::captures(c, &id)?;
            let mut v = PermohonanView::of(&row, caps, now, today);
            v.keputusan = store::keputusan(c, &id)?;
            Ok(v)
        })
        .await
}

/// Returns the stored answer of an idempotency key, if this key was used before.
pub fn idem_lookup(
    tx: &Transaction<'_>,
    key: Option<&str>,
    operator: &str,
) -> Result<Option<Hasil>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let found: Option<(String, String)> = tx
        .query_row(
            "SELECT operator, response FROM idempotency WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match found {
        None => Ok(None),
        Some((op, _)) if op != operator => Err(ApiError::conflict(
            Some("idempotency_key"),
            "kunci idempotensi sudah dipakai operator lain",
        )),
        Some((_, resp)) => {
            let view: serde_json::Value =
                serde_json::from_str(&resp).map_err(ApiError::internal)?;
            let id = view
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            Ok(Some(Hasil {
                id,
                view,
                replay: true,
            }))
        }
    }
}

/// Records the answer of an idempotency key.
pub fn idem_store(
    tx: &Transaction<'_>,
    key: Option<&str>,
    operator: &str,
    view: &serde_json::Value,
    now: &str,
) -> Result<(), ApiError> {
    if let Some(key) = key {
        if key.is_empty() || key.len() > 128 {
            return Err(ApiError::field(
                "idempotency_key",
                "kunci idempotensi 1-128 karakter",
            ));
        }
        tx.execute(
            "INSERT INTO idempotency(key, operator, response, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![key, operator, view.to_string(), now],
        )?;
    }
    Ok(())
}

/// What a desk action does inside its transaction, after the event was applied: extra writes.
pub type Extra = Box<dyn FnOnce(&Transaction<'_>, &mut Row) -> Result<(), ApiError> + Send>;

/// Context of one action.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub op: &'a Operator,
    pub idem: Option<String>,
}

/// Applies one event (built by `make` from the loaded row, so it can depend on stored data)
/// to application `id`, stores everything in one transaction and returns the new view.
pub async fn act<F>(ctx: Ctx<'_>, id: &str, audit: &'static str, make: F) -> Result<Hasil, ApiError>
where
    F: FnOnce(
            &Transaction<'_>,
            &mut Row,
            DateTime<Utc>,
        ) -> Result<(Aksi, Option<AlasanTerlambat>, Option<Extra>), ApiError>
        + Send
        + 'static,
{
    let id = id.to_owned();
    act_on(ctx, move |_| Ok(id), audit, make).await
}

/// [`act`] on the application chosen by `pick` inside the same transaction (e.g. the next
/// queue number: two desks calling "next" at once get different residents).
pub async fn act_on<P, F>(
    ctx: Ctx<'_>,
    pick: P,
    audit: &'static str,
    make: F,
) -> Result<Hasil, ApiError>
where
    P: FnOnce(&Transaction<'_>) -> Result<String, ApiError> + Send + 'static,
    F: FnOnce(
            &Transaction<'_>,
            &mut Row,
            DateTime<Utc>,
        ) -> Result<(Aksi, Option<AlasanTerlambat>, Option<Extra>), ApiError>
        + Send
        + 'static,
{
    act_peristiwa(ctx, pick, audit, move |tx, row, now| {
        let (aksi, late, extra) = make(tx, row, now)?;
        Ok((aksi, late, None, extra))
    })
    .await
}

/// What a desk action's event is made of: the action, its late reason, what the recording
/// captured or excepted (only "perekaman berhasil"), and the extra writes.
pub type Rancangan = (
    Aksi,
    Option<AlasanTerlambat>,
    Option<Kelengkapan>,
    Option<Extra>,
);

/// THE write path of every desk action ([`act`] and [`act_on`] are its short forms): the
/// idempotency lookup, the clock, the event applied through the state machine, the rows, the
/// document, the audit entry and the answer, in one transaction.
pub async fn act_peristiwa<P, F>(
    ctx: Ctx<'_>,
    pick: P,
    audit: &'static str,
    make: F,
) -> Result<Hasil, ApiError>
where
    P: FnOnce(&Transaction<'_>) -> Result<String, ApiError> + Send + 'static,
    F: FnOnce(&Transaction<'_>, &mut Row, DateTime<Utc>) -> Result<Rancangan, ApiError>
        + Send
        + 'static,
{
    let state = ctx.state.clone();
    let op = ctx.op.clone();
    let idem = ctx.idem;
    let clock = state.clock.clone();
    let today = state.today();
    state
        .db
        .clone()
        .write(move |tx| {
            if let Some(h) = idem_lookup(tx, idem.as_deref(), &op.username)? {
                return Ok(h);
            }
            let id = pick(tx)?;
            let now = clock.now();
            let now_s = now.to_rfc3339();
            let mut row = store::load_required(tx, &id)?;
            let (aksi, late, kelengkapan, extra) = make(tx, &mut row, now)?;
            let mut e = Peristiwa::new(now, op.username.clone(), op.peran, aksi);
            e.alasan_terlambat = late;
            e.kelengkapan = kelengkapan;
            row.permohonan.apply(e).map_err(workflow_error)?;
            store::save_event(tx, &row.permohonan, &now_s)?;
            if let Some(extra) = extra {
                extra(tx, &mut row)?;
            }
            crate::audit::record(
                tx,
                &op.username,
                audit,
                Some(&id),
                row.permohonan.status().nama(),
            )?;
            let caps = store::captures(tx, &id)?;
            selesai(
                tx,
                &row,
                caps,
                idem.as_deref(),
                &op.username,
                now,
                today,
                &now_s,
            )
        })
        .await
}

/// Ends a desk write inside its transaction: the application's new view, remembered under the
/// idempotency key (so a second submit of the same form gets the same answer), as the result.
#[allow(clippy::too_many_arguments)]
pub fn selesai(
    tx: &Transaction<'_>,
    row: &Row,
    captures: Vec<CaptureSummary>,
    idem: Option<&str>,
    operator: &str,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
    now_s: &str,
) -> Result<Hasil, ApiError> {
    let view = serde_json::to_value(PermohonanView::of(row, captures, now, today))
        .map_err(ApiError::internal)?;
    idem_store(tx, idem, operator, &view, now_s)?;
    Ok(Hasil {
        id: row.permohonan.id().to_owned(),
        view,
        replay: false,
    })
}

/// Checks that the operator's role may fire `jenis` at all (a quick 403 before device work;
/// the state machine checks again when the event is applied).
pub fn boleh(op: &Operator, jenis: rekam_shared::workflow::JenisAksi) -> Result<(), ApiError> {
    if op.peran.boleh(jenis) {
        Ok(())
    } else {
        Err(workflow_error(WorkflowError::PeranTidakBerwenang {
            peran: op.peran,
            aksi: jenis.nama(),
        }))
    }
}

/// Whether a role works at the registration desk.
pub fn di_registrasi(p: Peran) -> bool {
    matches!(p, Peran::OperatorRegistrasi | Peran::KepalaUkl)
}

/// Whether a role works at the recording desk.
pub fn di_perekaman(p: Peran) -> bool {
    matches!(p, Peran::OperatorPerekaman | Peran::KepalaUkl)
}

/// A new application id: the office's kecamatan code, a dash and a UUIDv7 (the hub refuses
/// new documents whose id lacks their kecamatan, so no office can claim another's ids).
pub fn new_id(kecamatan: &impl std::fmt::Display) -> String {
    rekam_shared::document::permohonan_id(&kecamatan.to_string(), &uuid::Uuid::now_v7().to_string())
}
