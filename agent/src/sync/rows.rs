//! Rows follow the document: when a document received from the hub carries what the office's
//! rows lack (events recorded after the backup the office was restored from, a resident's
//! newer data, a whole application the backup does not have), the rows are brought up to the
//! document in the same transaction as the document is stored.
//!
//! The document is the truth that syncs; the rows are the desk's view of it. The state is
//! derived by replaying the document's events through the SOP state machine
//! ([`Permohonan::replay`], [`Permohonan::apply`]): no rule is decided here. The desk's own
//! columns that events carry (queue number and its day, proof-of-recording number) are taken
//! from the events; the daily queue counter is moved past a queue number that came back, so
//! the desk does not issue it twice.

use chrono::FixedOffset;
use rekam_shared::document::PermohonanDoc;
use rekam_shared::penduduk::Penduduk;
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::{Aksi, Peristiwa, Permohonan};
use rusqlite::{Connection, OptionalExtension, params};

use super::SyncError;
use crate::desk::store as rows;

/// What following a document did to the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ikuti {
    /// The rows already show what the document holds.
    Sama,
    /// The rows of an existing application were brought up to the document.
    Diperbarui {
        /// Events added to the rows.
        peristiwa_baru: usize,
    },
    /// The application was new to this office: its rows were created from the document.
    Dibuat,
    /// The document cannot be shown at the desk (yet): no resident data or no events, or
    /// events the state machine refuses. Nothing was written.
    Belum(String),
    /// The rows hold events the document does not (or in another order): they were left as
    /// they are and the application needs a person (logged).
    Bercabang(String),
}

fn err(id: &str, reason: impl std::fmt::Display) -> SyncError {
    SyncError::Document {
        id: id.to_owned(),
        reason: reason.to_string(),
    }
}

/// Brings the rows of the document's application up to the document. `offset` is the office's
/// UTC offset (the local day of queue numbers and of step 1). The caller stores the document.
pub fn ikuti(
    conn: &Connection,
    doc: &PermohonanDoc,
    offset: FixedOffset,
) -> Result<Ikuti, SyncError> {
    let id = doc.id().map_err(|e| err("?", e))?;
    let kecamatan: KodeKecamatan = match doc.kecamatan().map_err(|e| err(&id, e))?.parse() {
        Ok(k) => k,
        Err(e) => return Ok(Ikuti::Belum(format!("kecamatan: {e}"))),
    };
    let events: Vec<Peristiwa> = doc.peristiwa_as().map_err(|e| err(&id, e))?;
    let penduduk: Option<Penduduk> = doc.penduduk_as().map_err(|e| err(&id, e))?;
    let row = rows::load(conn, &id).map_err(|e| err(&id, e.error))?;
    let Some(row) = row else {
        return buat(conn, &id, kecamatan, penduduk, events, offset);
    };
    let lama = row.permohonan.peristiwa();
    if events.len() < lama.len() || events[..lama.len()] != *lama {
        let why = format!(
            "the office's {} events are not a prefix of the document's {}",
            lama.len(),
            events.len()
        );
        tracing::error!(permohonan = %id, reason = %why, "rows and document diverge");
        return Ok(Ikuti::Bercabang(why));
    }
    let penduduk = penduduk.unwrap_or_else(|| row.permohonan.penduduk().clone());
    let baru = &events[lama.len()..];
    if baru.is_empty() && penduduk == *row.permohonan.penduduk() {
        return Ok(Ikuti::Sama);
    }
    // Replay the rows' events with the document's resident, then apply the new ones one by
    // one: the state machine decides each state (and refuses what it does not allow).
    let mut p = match Permohonan::replay(id.clone(), kecamatan, penduduk, lama.to_vec()) {
        Ok(p) => p,
        Err(e) => return Ok(Ikuti::Belum(e.to_string())),
    };
    let now = now();
    let mut after = Vec::with_capacity(baru.len());
    for e in baru {
        if let Err(why) = p.apply(e.clone()) {
            let why = format!("event {} refused: {why}", p.peristiwa().len());
            tracing::error!(permohonan = %id, reason = %why, "document events do not replay");
            return Ok(Ikuti::Bercabang(why));
        }
        after.push(p.status().nama());
    }
    rows::upsert_penduduk(conn, p.penduduk(), &now).map_err(|e| err(&id, e.error))?;
    conn.execute(
        "UPDATE permohonan SET nik = ?2, status = ?3, state = ?4, updated_at = ?5 WHERE id = ?1",
        params![
            id,
            p.penduduk().nik.to_string(),
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(|e| err(&id, e))?,
            now
        ],
    )?;
    for (e, status) in baru.iter().zip(after) {
        insert_event(conn, &id, e, status)?;
    }
    kolom_peristiwa(conn, &id, baru, offset)?;
    tracing::info!(
        permohonan = %id,
        peristiwa_baru = baru.len(),
        status = p.status().nama(),
        "rows follow the hub's document"
    );
    Ok(Ikuti::Diperbarui {
        peristiwa_baru: baru.len(),
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// Creates the rows of an application this office does not have.
fn buat(
    conn: &Connection,
    id: &str,
    kecamatan: KodeKecamatan,
    penduduk: Option<Penduduk>,
    events: Vec<Peristiwa>,
    offset: FixedOffset,
) -> Result<Ikuti, SyncError> {
    let Some(penduduk) = penduduk else {
        return Ok(Ikuti::Belum("no resident data yet".into()));
    };
    let Some(first) = events.first() else {
        return Ok(Ikuti::Belum("no events yet".into()));
    };
    let tanggal = first.waktu.with_timezone(&offset).date_naive().to_string();
    let mut p = match Permohonan::replay(id.to_owned(), kecamatan, penduduk, Vec::new()) {
        Ok(p) => p,
        Err(e) => return Ok(Ikuti::Belum(e.to_string())),
    };
    let mut after = Vec::with_capacity(events.len());
    for e in &events {
        if let Err(why) = p.apply(e.clone()) {
            return Ok(Ikuti::Belum(format!(
                "event {} refused: {why}",
                p.peristiwa().len()
            )));
        }
        after.push(p.status().nama());
    }
    let now = now();
    rows::upsert_penduduk(conn, p.penduduk(), &now).map_err(|e| err(id, e.error))?;
    conn.execute(
        "INSERT INTO permohonan(id, nik, kecamatan, tanggal, status, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            p.penduduk().nik.to_string(),
            p.kecamatan().to_string(),
            tanggal,
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(|e| err(id, e))?,
            first.waktu.to_rfc3339(),
            now
        ],
    )?;
    for (e, status) in events.iter().zip(after) {
        insert_event(conn, id, e, status)?;
    }
    kolom_peristiwa(conn, id, &events, offset)?;
    tracing::info!(
        permohonan = %id,
        peristiwa = events.len(),
        status = p.status().nama(),
        "application rebuilt from the hub's document"
    );
    Ok(Ikuti::Dibuat)
}

fn insert_event(
    conn: &Connection,
    id: &str,
    e: &Peristiwa,
    status_after: &str,
) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO peristiwa(permohonan_id, at, operator, kind, status_after, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            e.waktu.to_rfc3339(),
            e.operator,
            e.aksi.jenis().nama(),
            status_after,
            serde_json::to_string(e).map_err(|x| err(id, x))?
        ],
    )?;
    Ok(())
}

/// The desk columns that events carry: the queue number (and its local day) and the proof of
/// recording number. A number another application of this office already holds (issued by a
/// desk after the restore, before the hub's events came back) is not taken over: logged, and
/// the column keeps its value.
fn kolom_peristiwa(
    conn: &Connection,
    id: &str,
    events: &[Peristiwa],
    offset: FixedOffset,
) -> Result<(), SyncError> {
    for e in events {
        match &e.aksi {
            Aksi::NomorAntrianDiberikan { nomor_antrian } => {
                let n = nomor_antrian.0;
                let tanggal = e.waktu.with_timezone(&offset).date_naive().to_string();
                // The day's counter moves past the number, so the desk does not issue it again.
                conn.execute(
                    "INSERT INTO antrian_harian(tanggal, terakhir) VALUES (?1, ?2)
                     ON CONFLICT(tanggal) DO UPDATE SET terakhir = max(terakhir, excluded.terakhir)",
                    params![tanggal, n],
                )?;
                let holder: Option<String> = conn
                    .query_row(
                        "SELECT id FROM permohonan WHERE tanggal_antrian = ?1 AND nomor_antrian = ?2
                         AND id <> ?3",
                        params![tanggal, n, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                match holder {
                    None => {
                        conn.execute(
                            "UPDATE permohonan SET nomor_antrian = ?2, tanggal_antrian = ?3
                             WHERE id = ?1",
                            params![id, n, tanggal],
                        )?;
                    }
                    Some(other) => tracing::error!(
                        permohonan = %id,
                        lain = %other,
                        nomor_antrian = n,
                        "queue number of the hub's document already issued again at this office"
                    ),
                }
            }
            Aksi::PerekamanBerhasil { nomor_bukti } => {
                let holder: Option<String> = conn
                    .query_row(
                        "SELECT id FROM permohonan WHERE nomor_bukti = ?1 AND id <> ?2",
                        params![nomor_bukti, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                match holder {
                    None => {
                        conn.execute(
                            "UPDATE permohonan SET nomor_bukti = ?2 WHERE id = ?1",
                            params![id, nomor_bukti],
                        )?;
                    }
                    Some(other) => tracing::error!(
                        permohonan = %id,
                        lain = %other,
                        "proof number of the hub's document already issued again at this office"
                    ),
                }
            }
            _ => {}
        }
    }
    Ok(())
}
