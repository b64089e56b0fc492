//! The district index part of the sync daemon (see `docs/district-index.md`): downloads the
//! hub's index in bounded chunks after each round's documents and keeps it in the
//! `indeks_kabupaten` table (migration `0130_indeks.sql`).
//!
//! Each chunk is stored together with the new version in one write transaction, then applied
//! to the in-memory [`IndeksKabupaten`] the desks search: a connection cut mid-download loses
//! at most the chunk in flight, and the next request resumes from the stored version. The
//! agent asks with its version only once the hub has shown it has an index (an older hub
//! never sees the request section, so it never refuses the request for it).

use chrono::{DateTime, Utc};
use rekam_shared::index::{BagianIndeks, EntriIndeks, IsiIndeks, PermintaanIndeks};
use rekam_shared::wire::{EXT_DISTRICT_INDEX, SyncRequest, extension};
use rusqlite::{Connection, params};

use super::SyncError;
use super::client::{HubClient, WireBytes};
use super::store::{get_meta, set_meta};
use crate::cek::IndeksKabupaten;
use crate::db::Db;

/// Keys of `sync_meta` for the index.
pub mod meta {
    /// Highest sequence number stored; absent until the hub has shown it has an index.
    pub const VERSI: &str = "indeks_versi";
    /// The hub's head version at the last chunk.
    pub const HEAD: &str = "indeks_head";
    /// When the office last held the whole index (RFC 3339).
    pub const PER: &str = "indeks_per";
}

/// Most chunks fetched in one round (the rest follows in the next round, so documents are
/// never held back for long behind a first download).
const MAX_BAGIAN_PER_RONDE: usize = 400;

/// What the office holds of the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusIndeks {
    /// Persons stored.
    pub jumlah: u64,
    /// Version held (`None`: the hub has not shown an index yet).
    pub versi: Option<u64>,
    /// The hub's head at the last chunk.
    pub head: u64,
    /// When the office last held the whole index.
    pub per: Option<String>,
}

/// Reads the index status.
pub fn status(conn: &Connection) -> Result<StatusIndeks, SyncError> {
    let jumlah: i64 = conn.query_row("SELECT COUNT(*) FROM indeks_kabupaten", [], |r| r.get(0))?;
    let num = |k| -> Result<Option<u64>, SyncError> {
        Ok(get_meta(conn, k)?.and_then(|v| v.parse().ok()))
    };
    Ok(StatusIndeks {
        jumlah: jumlah as u64,
        versi: num(meta::VERSI)?,
        head: num(meta::HEAD)?.unwrap_or(0),
        per: get_meta(conn, meta::PER)?.filter(|v| !v.is_empty()),
    })
}

/// Stores one chunk and the version it brings, in the caller's transaction. Returns when the
/// office is complete now (`None` if more entries remain).
pub fn simpan(
    tx: &Connection,
    b: &BagianIndeks,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, SyncError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO indeks_kabupaten(permohonan_id, seq, kecamatan, tanggal_rekam, nik,
           keputusan, kunci) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(permohonan_id) DO UPDATE SET seq = excluded.seq,
           kecamatan = excluded.kecamatan, tanggal_rekam = excluded.tanggal_rekam,
           nik = excluded.nik, keputusan = excluded.keputusan, kunci = excluded.kunci",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM indeks_kabupaten WHERE permohonan_id = ?1")?;
    for e in &b.entri {
        match &e.isi {
            Some(i) => {
                put.execute(params![
                    e.permohonan_id,
                    e.seq as i64,
                    i.kecamatan,
                    i.tanggal_rekam,
                    i.nik,
                    i.keputusan,
                    i.kunci
                ])?;
            }
            None => {
                del.execute([&e.permohonan_id])?;
            }
        }
    }
    set_meta(tx, meta::VERSI, &b.versi.to_string())?;
    set_meta(tx, meta::HEAD, &b.head.to_string())?;
    if b.more {
        return Ok(None);
    }
    set_meta(tx, meta::PER, &now.to_rfc3339())?;
    Ok(Some(now))
}

/// Loads the stored index into `indeks` (at agent start). Returns the persons loaded.
pub fn muat(conn: &Connection, indeks: &IndeksKabupaten) -> Result<usize, SyncError> {
    let st = status(conn)?;
    let mut q = conn.prepare(
        "SELECT permohonan_id, seq, kecamatan, tanggal_rekam, nik, keputusan, kunci
         FROM indeks_kabupaten",
    )?;
    let mut rows = q.query([])?;
    let mut batch = Vec::with_capacity(4096);
    let mut n = 0;
    let per = st
        .per
        .as_deref()
        .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.with_timezone(&Utc));
    let versi = st.versi.unwrap_or(0);
    while let Some(r) = rows.next()? {
        batch.push(EntriIndeks {
            permohonan_id: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
            isi: Some(IsiIndeks {
                kecamatan: r.get(2)?,
                tanggal_rekam: r.get(3)?,
                nik: r.get(4)?,
                keputusan: r.get(5)?,
                kunci: r.get(6)?,
            }),
        });
        if batch.len() == batch.capacity() {
            n += batch.len();
            indeks.terapkan(&batch, versi, per);
            batch.clear();
        }
    }
    n += batch.len();
    indeks.terapkan(&batch, versi, per);
    Ok(n)
}

/// Downloads what the hub has past the stored version, chunk by chunk. Returns the entries
/// received.
pub async fn unduh(
    db: &Db,
    client: &HubClient,
    indeks: &IndeksKabupaten,
    bytes: &mut WireBytes,
) -> Result<usize, SyncError> {
    let mut received = 0;
    for _ in 0..MAX_BAGIAN_PER_RONDE {
        let versi = db.read(|c| Ok::<_, SyncError>(status(c)?.versi)).await?;
        // The cursor past every feed entry: this request asks only for the index.
        let req = SyncRequest {
            cursor: u64::MAX,
            docs: Vec::new(),
            listing: None,
            extensions: versi
                .map(|v| vec![(EXT_DISTRICT_INDEX, PermintaanIndeks { versi: v }.encode())])
                .unwrap_or_default(),
        };
        let resp = client.sync(&req, bytes).await?;
        let Some(section) = extension(&resp.extensions, EXT_DISTRICT_INDEX) else {
            // A hub without an index.
            return Ok(received);
        };
        let b = BagianIndeks::decode(section)
            .map_err(|e| SyncError::Hub(format!("district index section: {e}")))?;
        if versi.is_none() {
            // The hub has an index: from now on ask with a version.
            db.write(|tx| set_meta(tx, meta::VERSI, "0")).await?;
            continue;
        }
        if b.entri.is_empty() && b.versi == versi.unwrap_or(0) && b.more {
            return Err(SyncError::Hub(
                "district index: the hub says more but sends nothing".into(),
            ));
        }
        let b = std::sync::Arc::new(b);
        let b2 = b.clone();
        let per = db.write(move |tx| simpan(tx, &b2, Utc::now())).await?;
        indeks.terapkan(&b.entri, b.versi, per);
        received += b.entri.len();
        if !b.more {
            return Ok(received);
        }
    }
    Ok(received)
}
