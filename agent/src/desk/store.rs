//! SQL for applications: loading a permohonan, inserting it, saving each event with its row,
//! its event-log row and its automerge document in the caller's (single) transaction.

use rekam_shared::document::{Biometrik, DaftarPengecualian, PermohonanDoc};
use rekam_shared::penduduk::Penduduk;
use rekam_shared::workflow::{Peristiwa, Permohonan, PermohonanData};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::input::enum_name;
use crate::web::error::ApiError;

/// What the "already recorded?" check answered, as stored with the application.
pub type CekJson = serde_json::Value;

/// An application with the desk's own columns.
#[derive(Debug, Clone)]
pub struct Row {
    pub permohonan: Permohonan,
    pub tanggal: String,
    pub nomor_antrian: Option<u32>,
    pub tanggal_antrian: Option<String>,
    pub nomor_bukti: Option<String>,
    pub berkas: Vec<String>,
    pub cek_biometrik: Option<CekJson>,
    pub created_at: String,
}

/// A stored capture's summary (never its data), or an exception (pengecualian) of a position:
/// then `modality` is `pengecualian`, `sha256` is the exception photo's and `alasan` is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaptureSummary {
    pub modality: String,
    pub position: String,
    pub quality: u8,
    pub sha256: String,
    pub captured_at: String,
    /// Attempts made at this position.
    #[serde(default)]
    pub percobaan: u32,
    /// Kept for the recording (met the minimum, or the best after the cap of attempts); when
    /// false the desk asks for a re-capture.
    #[serde(default)]
    pub diterima: bool,
    /// Kept after the cap of attempts although below the minimum.
    #[serde(default)]
    pub kualitas_rendah: bool,
    /// The exception's reason (`amputasi`, ...), for a `pengecualian` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alasan: Option<String>,
    /// The note of a `lainnya` reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keterangan: Option<String>,
}

const SELECT: &str = "SELECT state, tanggal, nomor_antrian, tanggal_antrian, nomor_bukti, berkas,
        cek_biometrik, created_at FROM permohonan";

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Row0)> {
    Ok((
        r.get(0)?,
        Row0 {
            tanggal: r.get(1)?,
            nomor_antrian: r.get(2)?,
            tanggal_antrian: r.get(3)?,
            nomor_bukti: r.get(4)?,
            berkas: r.get(5)?,
            cek: r.get(6)?,
            created_at: r.get(7)?,
        },
    ))
}

struct Row0 {
    tanggal: String,
    nomor_antrian: Option<u32>,
    tanggal_antrian: Option<String>,
    nomor_bukti: Option<String>,
    berkas: String,
    cek: Option<String>,
    created_at: String,
}

fn finish(state: String, r: Row0) -> Result<Row, ApiError> {
    let data: PermohonanData = serde_json::from_str(&state).map_err(ApiError::internal)?;
    let permohonan = Permohonan::try_from(data).map_err(ApiError::internal)?;
    Ok(Row {
        permohonan,
        tanggal: r.tanggal,
        nomor_antrian: r.nomor_antrian,
        tanggal_antrian: r.tanggal_antrian,
        nomor_bukti: r.nomor_bukti,
        berkas: serde_json::from_str(&r.berkas).unwrap_or_default(),
        cek_biometrik: r.cek.and_then(|c| serde_json::from_str(&c).ok()),
        created_at: r.created_at,
    })
}

/// Loads one application.
pub fn load(conn: &Connection, id: &str) -> Result<Option<Row>, ApiError> {
    let found = conn
        .query_row(&format!("{SELECT} WHERE id = ?1"), [id], row_of)
        .optional()?;
    found.map(|(s, r)| finish(s, r)).transpose()
}

/// Loads one application or answers 404.
pub fn load_required(conn: &Connection, id: &str) -> Result<Row, ApiError> {
    load(conn, id)?.ok_or_else(|| ApiError::not_found("permohonan"))
}

/// Applications matching a WHERE clause (trusted SQL) with parameters, in creation order.
pub fn load_where(
    conn: &Connection,
    clause: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Row>, ApiError> {
    let mut st = conn.prepare(&format!("{SELECT} WHERE {clause}"))?;
    let rows = st.query_map(args, row_of)?;
    let mut out = Vec::new();
    for r in rows {
        let (s, r) = r?;
        out.push(finish(s, r)?);
    }
    Ok(out)
}

/// Upserts the resident's latest data.
pub fn upsert_penduduk(tx: &Connection, p: &Penduduk, now: &str) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO penduduk(nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
            status_perkawinan, alamat, rt, rw, kelurahan, kecamatan, data, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT(nik) DO UPDATE SET no_kk = excluded.no_kk, nama = excluded.nama,
            tempat_lahir = excluded.tempat_lahir, tanggal_lahir = excluded.tanggal_lahir,
            jenis_kelamin = excluded.jenis_kelamin, status_perkawinan = excluded.status_perkawinan,
            alamat = excluded.alamat, rt = excluded.rt, rw = excluded.rw,
            kelurahan = excluded.kelurahan, kecamatan = excluded.kecamatan, data = excluded.data,
            updated_at = excluded.updated_at",
        params![
            p.nik.to_string(),
            p.no_kk.to_string(),
            p.nama,
            p.tempat_lahir,
            p.tanggal_lahir.to_string(),
            enum_name(&p.jenis_kelamin),
            enum_name(&p.status_perkawinan),
            p.alamat,
            p.rt.to_string(),
            p.rw.to_string(),
            p.nagari,
            p.kecamatan.to_string(),
            serde_json::to_string(p).map_err(ApiError::internal)?,
            now
        ],
    )?;
    Ok(())
}

/// A resident known at this office.
pub fn penduduk(conn: &Connection, nik: &str) -> Result<Option<Penduduk>, ApiError> {
    let data: Option<String> = conn
        .query_row("SELECT data FROM penduduk WHERE nik = ?1", [nik], |r| {
            r.get(0)
        })
        .optional()?;
    data.map(|d| serde_json::from_str(&d).map_err(ApiError::internal))
        .transpose()
}

/// Inserts a new application (after its first event was applied).
pub fn insert(
    tx: &Transaction<'_>,
    p: &Permohonan,
    tanggal: &str,
    now: &str,
) -> Result<(), ApiError> {
    upsert_penduduk(tx, p.penduduk(), now)?;
    tx.execute(
        "INSERT INTO permohonan(id, nik, kecamatan, tanggal, status, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            p.id(),
            p.penduduk().nik.to_string(),
            p.kecamatan().to_string(),
            tanggal,
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(ApiError::internal)?,
            now
        ],
    )?;
    for e in p.peristiwa() {
        insert_event(tx, p, e)?;
    }
    sync_doc(tx, p, None)?;
    Ok(())
}

fn insert_event(tx: &Transaction<'_>, p: &Permohonan, e: &Peristiwa) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO peristiwa(permohonan_id, at, operator, kind, status_after, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            p.id(),
            e.waktu.to_rfc3339(),
            e.operator,
            e.aksi.jenis().nama(),
            p.status().nama(),
            serde_json::to_string(e).map_err(ApiError::internal)?
        ],
    )?;
    Ok(())
}

/// Saves an application after one more event was applied to it.
pub fn save_event(tx: &Transaction<'_>, p: &Permohonan, now: &str) -> Result<(), ApiError> {
    tx.execute(
        "UPDATE permohonan SET status = ?2, state = ?3, updated_at = ?4 WHERE id = ?1",
        params![
            p.id(),
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(ApiError::internal)?,
            now
        ],
    )?;
    if let Some(e) = p.peristiwa().last() {
        insert_event(tx, p, e)?;
    }
    sync_doc(tx, p, None)?;
    Ok(())
}

/// Brings the application's automerge document up to date with its rows, in the same
/// transaction: THE single call site of `rekam_shared::document` in the desk code.
pub fn sync_doc(
    tx: &Transaction<'_>,
    p: &Permohonan,
    biometrik: Option<&Biometrik>,
) -> Result<(), ApiError> {
    sync_doc_rekaman(tx, p, biometrik.map(|b| (b, None)))
}

/// [`sync_doc`] that also writes the biometric exceptions (end of step 3).
pub fn sync_doc_rekaman(
    tx: &Transaction<'_>,
    p: &Permohonan,
    biometrik: Option<(&Biometrik, Option<&DaftarPengecualian>)>,
) -> Result<(), ApiError> {
    let stored: Option<Vec<u8>> = tx
        .query_row(
            "SELECT doc FROM permohonan_doc WHERE permohonan_id = ?1",
            [p.id()],
            |r| r.get(0),
        )
        .optional()?;
    if crate::sync::store::menunggu_pulih(tx, p.id()).map_err(ApiError::internal)? {
        // Restored from a backup: the hub may hold newer events of this application. The
        // desk continues once the sync brought them back (the rows follow the document).
        return Err(ApiError::conflict(
            Some("sinkron"),
            "permohonan ini dipulihkan dari cadangan dan menunggu sinkron dengan hub; \
             coba lagi setelah sinkron",
        ));
    }
    let mut doc = match stored {
        Some(bytes) => PermohonanDoc::load(&bytes).map_err(ApiError::internal)?,
        None => {
            PermohonanDoc::new(p.id(), &p.kecamatan().to_string()).map_err(ApiError::internal)?
        }
    };
    doc.set_penduduk(p.penduduk()).map_err(ApiError::internal)?;
    doc.append_peristiwa(p.peristiwa())
        .map_err(ApiError::internal)?;
    if let Some((b, pengecualian)) = biometrik {
        doc.set_biometrik(b).map_err(ApiError::internal)?;
        if let Some(daftar) = pengecualian {
            doc.set_pengecualian(daftar).map_err(ApiError::internal)?;
        }
    }
    tx.execute(
        "INSERT INTO permohonan_doc(permohonan_id, doc) VALUES (?1, ?2)
         ON CONFLICT(permohonan_id) DO UPDATE SET doc = excluded.doc",
        params![p.id(), doc.save()],
    )?;
    Ok(())
}

/// The district's dedup decision on an application, as the hub last sent it (it lives in the
/// application's automerge document, written only by the hub).
pub fn keputusan(
    conn: &Connection,
    id: &str,
) -> Result<Option<rekam_shared::document::Keputusan>, ApiError> {
    let Some(doc) = crate::sync::store::load_doc(conn, id).map_err(ApiError::internal)? else {
        return Ok(None);
    };
    PermohonanDoc::from_automerge(doc)
        .keputusan()
        .map_err(ApiError::internal)
}

/// Capture summaries of an application, then its exceptions.
pub fn captures(conn: &Connection, id: &str) -> Result<Vec<CaptureSummary>, ApiError> {
    let mut st = conn.prepare(
        "SELECT modality, position, quality, sha256, captured_at, percobaan, diterima,
            kualitas_rendah FROM biometrik
         WHERE permohonan_id = ?1 AND modality <> 'pengecualian' ORDER BY id",
    )?;
    let rows = st.query_map([id], |r| {
        Ok(CaptureSummary {
            modality: r.get(0)?,
            position: r.get(1)?,
            quality: r.get(2)?,
            sha256: r.get(3)?,
            captured_at: r.get(4)?,
            percobaan: r.get(5)?,
            diterima: r.get(6)?,
            kualitas_rendah: r.get(7)?,
            alasan: None,
            keterangan: None,
        })
    })?;
    let mut out: Vec<CaptureSummary> = rows.collect::<Result<_, _>>()?;
    let mut st = conn.prepare(
        "SELECT position, alasan, keterangan, foto_sha256, at FROM pengecualian
         WHERE permohonan_id = ?1 ORDER BY at, position",
    )?;
    let rows = st.query_map([id], |r| {
        let keterangan: String = r.get(2)?;
        Ok(CaptureSummary {
            modality: "pengecualian".into(),
            position: r.get(0)?,
            quality: 0,
            sha256: r.get(3)?,
            captured_at: r.get(4)?,
            percobaan: 0,
            diterima: true,
            kualitas_rendah: false,
            alasan: Some(r.get(1)?),
            keterangan: (!keterangan.is_empty()).then_some(keterangan),
        })
    })?;
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}
