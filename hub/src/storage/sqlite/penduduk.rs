//! The SQLite tables of the population register (see `docs/population-register.md`): one row
//! per resident (`register_penduduk`, the NIK as key, `seq` the register version of its last
//! change) and one row per import (`register_impor`). A resident is never deleted: a death or
//! a move out rewrites the row with that status and the next sequence number.
//!
//! The columns are plain values (dates ISO, the domain's stored words), so "residents who must
//! hold a KTP-el and have no successful recording" is one query ([`BELUM_REKAM`]) over this
//! table and the district index.

use chrono::NaiveDate;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::register::{Agama, EntriRegister, PendudukTerdaftar, StatusPenduduk};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::penduduk::RingkasanImpor;
use crate::storage::StorageError;

use super::db;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS register_penduduk (
    nik               TEXT PRIMARY KEY,
    seq               INTEGER NOT NULL UNIQUE,
    no_kk             TEXT NOT NULL,
    nama              TEXT NOT NULL,
    tempat_lahir      TEXT NOT NULL,
    tanggal_lahir     TEXT NOT NULL,
    jenis_kelamin     TEXT NOT NULL,
    status_perkawinan TEXT NOT NULL,
    agama             TEXT NOT NULL,
    pekerjaan         TEXT NOT NULL,
    alamat            TEXT NOT NULL,
    rt                INTEGER NOT NULL,
    rw                INTEGER NOT NULL,
    nagari            TEXT NOT NULL,
    kecamatan         TEXT NOT NULL,
    status            TEXT NOT NULL,
    impor             INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS register_penduduk_wilayah
    ON register_penduduk(kecamatan, nagari, status, tanggal_lahir, status_perkawinan);
CREATE TABLE IF NOT EXISTS register_impor (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    oleh      TEXT NOT NULL,
    berkas    TEXT NOT NULL,
    baris     INTEGER NOT NULL DEFAULT 0,
    baru      INTEGER NOT NULL DEFAULT 0,
    diubah    INTEGER NOT NULL DEFAULT 0,
    meninggal INTEGER NOT NULL DEFAULT 0,
    pindah    INTEGER NOT NULL DEFAULT 0,
    sama      INTEGER NOT NULL DEFAULT 0,
    head      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS district_index_nik ON district_index(nik);
";

/// Residents of one kecamatan (`?2`, or every kecamatan when NULL) who must hold a KTP-el on
/// date `?1` (active; born on or before `?1` minus 17 years, or ever married) and have no
/// successful recording in the district (no entry in the district index under their NIK).
/// Recordings without any iris are not in the index (see docs/district-index.md).
pub(super) const BELUM_REKAM: &str = "
SELECT r.nik FROM register_penduduk r
WHERE (?2 IS NULL OR r.kecamatan = ?2)
  AND r.status = 'aktif'
  AND (r.tanggal_lahir <= date(?1, '-17 years') OR r.status_perkawinan <> 'belum_kawin')
  AND NOT EXISTS (SELECT 1 FROM district_index d WHERE d.nik = r.nik AND d.kunci IS NOT NULL)
ORDER BY r.kecamatan, r.nagari, r.nik";

const KOLOM: &str = "seq, nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
    status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan, status";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("register_penduduk: {what}").into(),
    )
}

fn baris(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntriRegister> {
    let text = |i: usize| r.get::<_, String>(i);
    let parse =
        |i: usize, what: &str| -> rusqlite::Result<String> { text(i).map_err(|_| corrupt(what)) };
    let penduduk = Penduduk {
        nik: parse(1, "nik")?.parse().map_err(|_| corrupt("nik"))?,
        no_kk: parse(2, "no_kk")?.parse().map_err(|_| corrupt("no_kk"))?,
        nama: text(3)?,
        tempat_lahir: text(4)?,
        tanggal_lahir: NaiveDate::parse_from_str(&text(5)?, "%Y-%m-%d")
            .map_err(|_| corrupt("tanggal_lahir"))?,
        jenis_kelamin: JenisKelamin::parse(&text(6)?).ok_or_else(|| corrupt("jenis_kelamin"))?,
        status_perkawinan: StatusPerkawinan::parse(&text(7)?)
            .ok_or_else(|| corrupt("status_perkawinan"))?,
        alamat: text(10)?,
        rt: r.get(11)?,
        rw: r.get(12)?,
        nagari: text(13)?,
        kecamatan: text(14)?.parse().map_err(|_| corrupt("kecamatan"))?,
    };
    Ok(EntriRegister {
        seq: r.get::<_, i64>(0)? as u64,
        data: PendudukTerdaftar {
            penduduk,
            agama: Agama::parse(&text(8)?).ok_or_else(|| corrupt("agama"))?,
            pekerjaan: text(9)?,
            status: StatusPenduduk::parse(&text(15)?).ok_or_else(|| corrupt("status"))?,
        },
    })
}

pub(super) fn get(tx: &Transaction<'_>, nik: &str) -> Result<Option<EntriRegister>, StorageError> {
    tx.prepare_cached(&format!(
        "SELECT {KOLOM} FROM register_penduduk WHERE nik = ?1"
    ))
    .map_err(db)?
    .query_row([nik], baris)
    .optional()
    .map_err(db)
}

pub(super) fn head(tx: &Transaction<'_>) -> Result<u64, StorageError> {
    tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM register_penduduk")
        .map_err(db)?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(db)
}

pub(super) fn put(
    tx: &Transaction<'_>,
    d: &PendudukTerdaftar,
    impor: u64,
) -> Result<u64, StorageError> {
    let seq = head(tx)? + 1;
    let p = &d.penduduk;
    tx.prepare_cached(
        "INSERT INTO register_penduduk(seq, nik, no_kk, nama, tempat_lahir, tanggal_lahir,
           jenis_kelamin, status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan,
           status, impor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT(nik) DO UPDATE SET seq = excluded.seq, no_kk = excluded.no_kk,
           nama = excluded.nama, tempat_lahir = excluded.tempat_lahir,
           tanggal_lahir = excluded.tanggal_lahir, jenis_kelamin = excluded.jenis_kelamin,
           status_perkawinan = excluded.status_perkawinan, agama = excluded.agama,
           pekerjaan = excluded.pekerjaan, alamat = excluded.alamat, rt = excluded.rt,
           rw = excluded.rw, nagari = excluded.nagari, kecamatan = excluded.kecamatan,
           status = excluded.status, impor = excluded.impor",
    )
    .map_err(db)?
    .execute(params![
        seq as i64,
        p.nik.to_string(),
        p.no_kk.to_string(),
        p.nama,
        p.tempat_lahir,
        p.tanggal_lahir.to_string(),
        p.jenis_kelamin.as_str(),
        p.status_perkawinan.as_str(),
        d.agama.as_str(),
        d.pekerjaan,
        p.alamat,
        p.rt,
        p.rw,
        p.nagari,
        p.kecamatan.to_string(),
        d.status.as_str(),
        impor as i64,
    ])
    .map_err(db)?;
    Ok(seq)
}

pub(super) fn since(
    tx: &Transaction<'_>,
    versi: u64,
    limit: usize,
) -> Result<Vec<EntriRegister>, StorageError> {
    tx.prepare_cached(&format!(
        "SELECT {KOLOM} FROM register_penduduk WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))
    .map_err(db)?
    .query_map(params![versi as i64, limit as i64], baris)
    .map_err(db)?
    .collect::<Result<Vec<_>, _>>()
    .map_err(db)
}

pub(super) fn jumlah(
    tx: &Transaction<'_>,
) -> Result<std::collections::BTreeMap<String, u64>, StorageError> {
    tx.prepare_cached("SELECT status, COUNT(*) FROM register_penduduk GROUP BY status")
        .map_err(db)?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)
}

pub(super) fn impor_mulai(
    tx: &Transaction<'_>,
    at: &str,
    oleh: &str,
    berkas: &str,
) -> Result<u64, StorageError> {
    tx.execute(
        "INSERT INTO register_impor(at, oleh, berkas) VALUES (?1, ?2, ?3)",
        params![at, oleh, berkas],
    )
    .map_err(db)?;
    Ok(tx.last_insert_rowid() as u64)
}

pub(super) fn impor_selesai(
    tx: &Transaction<'_>,
    id: u64,
    r: &RingkasanImpor,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE register_impor SET baris = ?2, baru = ?3, diubah = ?4, meninggal = ?5,
           pindah = ?6, sama = ?7, head = ?8 WHERE id = ?1",
        params![
            id as i64,
            r.baris as i64,
            r.baru as i64,
            r.diubah as i64,
            r.meninggal as i64,
            r.pindah as i64,
            r.sama as i64,
            r.head as i64
        ],
    )
    .map_err(db)?;
    Ok(())
}

pub(super) fn belum_rekam(
    tx: &Transaction<'_>,
    pada: NaiveDate,
    kecamatan: Option<&str>,
) -> Result<Vec<String>, StorageError> {
    tx.prepare_cached(BELUM_REKAM)
        .map_err(db)?
        .query_map(params![pada.to_string(), kecamatan], |r| r.get(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)
}
