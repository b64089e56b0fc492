//! The SQLite tables of the population register (see `docs/population-register.md`): one row
//! per resident (`register_penduduk`, the NIK as key, `seq` the register version of its last
//! change) and one row per import (`register_impor`). A resident is never deleted: a death or
//! a move out rewrites the row with that status and the next sequence number.
//!
//! The columns are plain values (dates ISO, the domain's stored words). The residents
//! come with whether the district holds a recording under their NIK in one query
//! ([`AKTIF_DENGAN_REKAM`]); who must hold a KTP-el is decided in Rust by the one rule
//! (`crate::penduduk::belum_rekam`).

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

/// Every resident (of kecamatan `?1` and nagari `?2`, each NULL for all; whatever the status:
/// who is active and must hold a KTP-el is the Rust rule's to say), by kecamatan,
/// nagari and NIK, with whether the district holds a successful recording under the NIK: an
/// application whose SOP status is `terekam` or `diserahkan` in the statistics read model
/// (`stat_permohonan.nik`, any kecamatan), or an entry in the district index (the same
/// recordings, with an iris; it also covers a read model not yet rebuilt after the NIK column
/// came). Who must hold a KTP-el is NOT decided here: the caller asks
/// `PendudukTerdaftar::wajib_ktp_el`, the one rule.
pub(super) const AKTIF_DENGAN_REKAM: &str = "
SELECT seq, nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
    status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan, status,
    (EXISTS (SELECT 1 FROM stat_permohonan s
             WHERE s.nik = r.nik AND s.status IN ('terekam', 'diserahkan'))
     OR EXISTS (SELECT 1 FROM district_index d WHERE d.nik = r.nik AND d.kunci IS NOT NULL))
FROM register_penduduk r";

/// The filter of [`AKTIF_DENGAN_REKAM`] and [`AKTIF`] for kecamatan `?1` and nagari `?2`: a
/// given one is compared (so the `register_penduduk_wilayah` index serves it), an absent one
/// is `IS NULL` (always true).
fn saring(kecamatan: bool, nagari: bool) -> &'static str {
    match (kecamatan, nagari) {
        (false, false) => " WHERE ?1 IS NULL AND ?2 IS NULL",
        (true, false) => " WHERE r.kecamatan = ?1 AND ?2 IS NULL",
        (false, true) => " WHERE ?1 IS NULL AND r.nagari = ?2",
        (true, true) => " WHERE r.kecamatan = ?1 AND r.nagari = ?2",
    }
}

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

/// [`AKTIF_DENGAN_REKAM`] without looking for recordings (the column is 0): the coverage
/// target needs only who must hold a KTP-el.
pub(super) const AKTIF: &str = "
SELECT seq, nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
    status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan, status, 0
FROM register_penduduk r";

pub(super) fn telusuri(
    tx: &Transaction<'_>,
    kecamatan: Option<&str>,
    nagari: Option<&str>,
    rekam: bool,
    f: &mut dyn FnMut(PendudukTerdaftar, bool),
) -> Result<(), StorageError> {
    let sql = if rekam {
        format!(
            "{AKTIF_DENGAN_REKAM}{} ORDER BY r.kecamatan, r.nagari, r.nik",
            saring(kecamatan.is_some(), nagari.is_some())
        )
    } else {
        format!("{AKTIF}{}", saring(kecamatan.is_some(), nagari.is_some()))
    };
    let mut st = tx.prepare_cached(&sql).map_err(db)?;
    let mut rows = st.query(params![kecamatan, nagari]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        let e = baris(r).map_err(db)?;
        let terekam: bool = r.get(16).map_err(db)?;
        f(e.data, terekam);
    }
    Ok(())
}

pub(super) fn kelayakan(
    tx: &Transaction<'_>,
    f: &mut dyn FnMut(&str, &str, NaiveDate, StatusPerkawinan, StatusPenduduk),
) -> Result<(), StorageError> {
    let mut st = tx
        .prepare_cached(
            "SELECT kecamatan, nagari, tanggal_lahir, status_perkawinan, status
             FROM register_penduduk",
        )
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    while let Some(r) = rows.next().map_err(db)? {
        let teks = |i: usize| r.get_ref(i).and_then(|v| Ok(v.as_str()?.to_owned()));
        let (kec, nagari) = (teks(0).map_err(db)?, teks(1).map_err(db)?);
        let lahir = NaiveDate::parse_from_str(&teks(2).map_err(db)?, "%Y-%m-%d")
            .map_err(|_| db(corrupt("tanggal_lahir")))?;
        let kawin = StatusPerkawinan::parse(&teks(3).map_err(db)?)
            .ok_or_else(|| db(corrupt("status_perkawinan")))?;
        let status =
            StatusPenduduk::parse(&teks(4).map_err(db)?).ok_or_else(|| db(corrupt("status")))?;
        f(&kec, &nagari, lahir, kawin, status);
    }
    Ok(())
}

pub(super) fn nagari(tx: &Transaction<'_>) -> Result<Vec<(String, String)>, StorageError> {
    tx.prepare_cached(
        "SELECT DISTINCT kecamatan, nagari FROM register_penduduk ORDER BY kecamatan, nagari",
    )
    .map_err(db)?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
    .map_err(db)?
    .collect::<Result<Vec<_>, _>>()
    .map_err(db)
}
