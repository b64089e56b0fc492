//! The SQLite tables of the statistics read model and the targets (see
//! `docs/dashboard-data.md`), their writes inside a document's transaction, and the grouped
//! reads behind [`crate::statistik::kueri`]. Every read is one query over a covering index.

use rusqlite::{Transaction, params};

use crate::statistik::baris::{BarisLangkah, BarisPermohonan, BarisStatistik};
use crate::statistik::kueri::{
    AntrianKantor, EMBER_DETIK, HitunganDedup, HitunganHarian, HitunganKembali, HitunganPermohonan,
    HitunganRekam, HitunganWaktu, Rentang, ember,
};
use crate::statistik::target::Target;
use crate::statistik::{IsiStatistik, StatistikStorage};
use crate::storage::StorageError;

use super::{SqliteStorage, db};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS stat_permohonan (
    permohonan_id   TEXT PRIMARY KEY,
    kecamatan       TEXT NOT NULL,
    nagari          TEXT,
    status          TEXT NOT NULL,
    dibuka          TEXT,
    tanggal_buka    TEXT,
    direkam         TEXT,
    tanggal_rekam   TEXT,
    alasan_kembali  TEXT,
    gagal           INTEGER NOT NULL,
    alasan_gagal    TEXT,
    kualitas_min    INTEGER,
    kualitas_rata   INTEGER,
    kualitas_rendah INTEGER NOT NULL,
    pengecualian    INTEGER NOT NULL,
    dedup           TEXT,
    dedup_jenis     TEXT
);
CREATE INDEX IF NOT EXISTS stat_permohonan_buka
    ON stat_permohonan(tanggal_buka, kecamatan, gagal, alasan_kembali);
CREATE INDEX IF NOT EXISTS stat_permohonan_rekam
    ON stat_permohonan(tanggal_rekam, kecamatan, dedup, kualitas_rata, kualitas_rendah,
                       pengecualian);
CREATE TABLE IF NOT EXISTS stat_langkah (
    permohonan_id    TEXT NOT NULL,
    urutan           INTEGER NOT NULL,
    langkah          INTEGER NOT NULL,
    kecamatan        TEXT NOT NULL,
    operator         TEXT,
    mulai            TEXT NOT NULL,
    selesai          TEXT,
    tanggal          TEXT NOT NULL,
    detik            INTEGER,
    terlambat        INTEGER NOT NULL,
    alasan_terlambat TEXT,
    PRIMARY KEY (permohonan_id, urutan)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stat_langkah_tanggal
    ON stat_langkah(tanggal, langkah, kecamatan, operator, detik, terlambat, alasan_terlambat);
CREATE TABLE IF NOT EXISTS stat_hari_buka (
    tanggal        TEXT NOT NULL,
    kecamatan      TEXT NOT NULL,
    alasan_kembali TEXT NOT NULL,
    permohonan     INTEGER NOT NULL,
    gagal          INTEGER NOT NULL,
    PRIMARY KEY (tanggal, kecamatan, alasan_kembali)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stat_hari_rekam (
    tanggal             TEXT NOT NULL,
    kecamatan           TEXT NOT NULL,
    dedup               TEXT NOT NULL,
    jumlah              INTEGER NOT NULL,
    jumlah_kualitas     INTEGER NOT NULL,
    berkualitas         INTEGER NOT NULL,
    kualitas_rendah     INTEGER NOT NULL,
    pengecualian        INTEGER NOT NULL,
    dengan_pengecualian INTEGER NOT NULL,
    PRIMARY KEY (tanggal, kecamatan, dedup)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stat_hari_waktu (
    tanggal          TEXT NOT NULL,
    langkah          INTEGER NOT NULL,
    kecamatan        TEXT NOT NULL,
    operator         TEXT NOT NULL,
    ember            INTEGER NOT NULL,
    terlambat        INTEGER NOT NULL,
    alasan_terlambat TEXT NOT NULL,
    jumlah           INTEGER NOT NULL,
    PRIMARY KEY (tanggal, langkah, kecamatan, operator, ember, terlambat, alasan_terlambat)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS target_wajib (
    tahun        INTEGER NOT NULL,
    kecamatan    TEXT NOT NULL,
    nagari       TEXT NOT NULL DEFAULT '',
    wajib_ktp_el INTEGER NOT NULL,
    PRIMARY KEY (tahun, kecamatan, nagari)
) WITHOUT ROWID;
";

/// The rows table `tabel` holds now for one application (read before they are replaced, so
/// their contribution to the per-day summaries can be taken out).
fn baris_lama<T>(
    tx: &Transaction<'_>,
    kolom: &str,
    tabel: &str,
    permohonan_id: &str,
    baca: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StorageError> {
    tx.prepare_cached(&format!(
        "SELECT {kolom} FROM {tabel} WHERE permohonan_id = ?1"
    ))
    .map_err(db)?
    .query_map([permohonan_id], baca)
    .map_err(db)?
    .collect::<Result<Vec<_>, _>>()
    .map_err(db)
}

/// Replaces the rows of one application (inside the caller's transaction), and moves the
/// per-day summaries from the application's old rows to its new ones.
pub(super) fn tulis(tx: &Transaction<'_>, b: &BarisStatistik) -> Result<(), StorageError> {
    let p = &b.permohonan;
    let lama_p = baris_lama(
        tx,
        KOLOM_PERMOHONAN,
        "stat_permohonan",
        &p.permohonan_id,
        baris_permohonan,
    )?;
    let lama_l = baris_lama(
        tx,
        KOLOM_LANGKAH,
        "stat_langkah",
        &p.permohonan_id,
        baris_langkah,
    )?;
    for l in &lama_p {
        harian_permohonan(tx, l, -1)?;
    }
    for l in &lama_l {
        harian_langkah(tx, l, -1)?;
    }
    harian_permohonan(tx, p, 1)?;
    for l in &b.langkah {
        harian_langkah(tx, l, 1)?;
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO stat_permohonan(permohonan_id, kecamatan, nagari, status, dibuka,
           tanggal_buka, direkam, tanggal_rekam, alasan_kembali, gagal, alasan_gagal,
           kualitas_min, kualitas_rata, kualitas_rendah, pengecualian, dedup, dedup_jenis)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )
    .map_err(db)?
    .execute(params![
        p.permohonan_id,
        p.kecamatan,
        p.nagari,
        p.status,
        p.dibuka,
        p.tanggal_buka,
        p.direkam,
        p.tanggal_rekam,
        p.alasan_kembali,
        p.gagal,
        p.alasan_gagal,
        p.kualitas_min,
        p.kualitas_rata,
        p.kualitas_rendah,
        p.pengecualian,
        p.dedup,
        p.dedup_jenis,
    ])
    .map_err(db)?;
    tx.prepare_cached("DELETE FROM stat_langkah WHERE permohonan_id = ?1")
        .map_err(db)?
        .execute([&p.permohonan_id])
        .map_err(db)?;
    let mut ins = tx
        .prepare_cached(
            "INSERT INTO stat_langkah(permohonan_id, urutan, langkah, kecamatan, operator, mulai,
               selesai, tanggal, detik, terlambat, alasan_terlambat)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(db)?;
    for l in &b.langkah {
        ins.execute(params![
            l.permohonan_id,
            l.urutan,
            l.langkah,
            l.kecamatan,
            l.operator,
            l.mulai,
            l.selesai,
            l.tanggal,
            l.detik,
            l.terlambat,
            l.alasan_terlambat,
        ])
        .map_err(db)?;
    }
    Ok(())
}

/// Empties the read-model tables and their per-day summaries (the targets stay).
pub(super) fn kosongkan(tx: &Transaction<'_>) -> Result<(), StorageError> {
    tx.execute_batch(
        "DELETE FROM stat_permohonan; DELETE FROM stat_langkah; DELETE FROM stat_hari_buka;
         DELETE FROM stat_hari_rekam; DELETE FROM stat_hari_waktu;",
    )
    .map_err(db)
}

/// The columns of `stat_permohonan`, in the order [`baris_permohonan`] reads them.
const KOLOM_PERMOHONAN: &str = "permohonan_id, kecamatan, nagari, status, dibuka, tanggal_buka,
    direkam, tanggal_rekam, alasan_kembali, gagal, alasan_gagal, kualitas_min, kualitas_rata,
    kualitas_rendah, pengecualian, dedup, dedup_jenis";

/// The columns of `stat_langkah`, in the order [`baris_langkah`] reads them.
const KOLOM_LANGKAH: &str = "permohonan_id, urutan, langkah, kecamatan, operator, mulai, selesai,
    tanggal, detik, terlambat, alasan_terlambat";

fn baris_permohonan(r: &rusqlite::Row<'_>) -> rusqlite::Result<BarisPermohonan> {
    Ok(BarisPermohonan {
        permohonan_id: r.get(0)?,
        kecamatan: r.get(1)?,
        nagari: r.get(2)?,
        status: r.get(3)?,
        dibuka: r.get(4)?,
        tanggal_buka: r.get(5)?,
        direkam: r.get(6)?,
        tanggal_rekam: r.get(7)?,
        alasan_kembali: r.get(8)?,
        gagal: r.get(9)?,
        alasan_gagal: r.get(10)?,
        kualitas_min: r.get(11)?,
        kualitas_rata: r.get(12)?,
        kualitas_rendah: r.get(13)?,
        pengecualian: r.get(14)?,
        dedup: r.get(15)?,
        dedup_jenis: r.get(16)?,
    })
}

fn baris_langkah(r: &rusqlite::Row<'_>) -> rusqlite::Result<BarisLangkah> {
    Ok(BarisLangkah {
        permohonan_id: r.get(0)?,
        urutan: r.get(1)?,
        langkah: r.get(2)?,
        kecamatan: r.get(3)?,
        operator: r.get(4)?,
        mulai: r.get(5)?,
        selesai: r.get(6)?,
        tanggal: r.get(7)?,
        detik: r.get(8)?,
        terlambat: r.get(9)?,
        alasan_terlambat: r.get(10)?,
    })
}

// --- Per-day summaries: what the range queries read, so a year costs days, not rows. ---
//
// Each application adds to the summary rows of its opening day and its recording day, each
// ended step run to the row of its day; `tanda` is +1 for the application's new rows and -1
// for the old ones they replace. NULL keys are stored as '' (a primary key needs values).
// Rows that drop to zero are deleted, so the summaries equal a fresh GROUP BY of the
// application rows ([`SqliteStorage::statistik_ringkasan_ulang`] rebuilds them that way).

fn harian_permohonan(
    tx: &Transaction<'_>,
    p: &BarisPermohonan,
    tanda: i64,
) -> Result<(), StorageError> {
    if let Some(hari) = &p.tanggal_buka {
        let kunci = params![hari, p.kecamatan, p.alasan_kembali.as_deref().unwrap_or("")];
        tx.prepare_cached(
            "INSERT INTO stat_hari_buka(tanggal, kecamatan, alasan_kembali, permohonan, gagal)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET permohonan = permohonan + excluded.permohonan,
               gagal = gagal + excluded.gagal",
        )
        .map_err(db)?
        .execute(params![
            hari,
            p.kecamatan,
            p.alasan_kembali.as_deref().unwrap_or(""),
            tanda,
            tanda * i64::from(p.gagal)
        ])
        .map_err(db)?;
        tx.prepare_cached(
            "DELETE FROM stat_hari_buka WHERE tanggal = ?1 AND kecamatan = ?2
               AND alasan_kembali = ?3 AND permohonan = 0 AND gagal = 0",
        )
        .map_err(db)?
        .execute(kunci)
        .map_err(db)?;
    }
    if let Some(hari) = &p.tanggal_rekam {
        let dedup = p.dedup.as_deref().unwrap_or("");
        let berkualitas = i64::from(p.kualitas_rata.is_some());
        tx.prepare_cached(
            "INSERT INTO stat_hari_rekam(tanggal, kecamatan, dedup, jumlah, jumlah_kualitas,
               berkualitas, kualitas_rendah, pengecualian, dengan_pengecualian)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT DO UPDATE SET jumlah = jumlah + excluded.jumlah,
               jumlah_kualitas = jumlah_kualitas + excluded.jumlah_kualitas,
               berkualitas = berkualitas + excluded.berkualitas,
               kualitas_rendah = kualitas_rendah + excluded.kualitas_rendah,
               pengecualian = pengecualian + excluded.pengecualian,
               dengan_pengecualian = dengan_pengecualian + excluded.dengan_pengecualian",
        )
        .map_err(db)?
        .execute(params![
            hari,
            p.kecamatan,
            dedup,
            tanda,
            tanda * i64::from(p.kualitas_rata.unwrap_or(0)),
            tanda * berkualitas,
            tanda * i64::from(p.kualitas_rendah),
            tanda * i64::from(p.pengecualian),
            tanda * i64::from(p.pengecualian > 0),
        ])
        .map_err(db)?;
        tx.prepare_cached(
            "DELETE FROM stat_hari_rekam WHERE tanggal = ?1 AND kecamatan = ?2 AND dedup = ?3
               AND jumlah = 0",
        )
        .map_err(db)?
        .execute(params![hari, p.kecamatan, dedup])
        .map_err(db)?;
    }
    Ok(())
}

fn harian_langkah(tx: &Transaction<'_>, l: &BarisLangkah, tanda: i64) -> Result<(), StorageError> {
    let Some(detik) = l.detik else {
        return Ok(());
    };
    let kunci = params![
        l.tanggal,
        l.langkah,
        l.kecamatan,
        l.operator.as_deref().unwrap_or(""),
        ember(detik) as i64,
        l.terlambat,
        l.alasan_terlambat.as_deref().unwrap_or(""),
    ];
    tx.prepare_cached(
        "INSERT INTO stat_hari_waktu(tanggal, langkah, kecamatan, operator, ember, terlambat,
           alasan_terlambat, jumlah)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO UPDATE SET jumlah = jumlah + excluded.jumlah",
    )
    .map_err(db)?
    .execute(params![
        l.tanggal,
        l.langkah,
        l.kecamatan,
        l.operator.as_deref().unwrap_or(""),
        ember(detik) as i64,
        l.terlambat,
        l.alasan_terlambat.as_deref().unwrap_or(""),
        tanda
    ])
    .map_err(db)?;
    tx.prepare_cached(
        "DELETE FROM stat_hari_waktu WHERE tanggal = ?1 AND langkah = ?2 AND kecamatan = ?3
           AND operator = ?4 AND ember = ?5 AND terlambat = ?6 AND alasan_terlambat = ?7
           AND jumlah = 0",
    )
    .map_err(db)?
    .execute(kunci)
    .map_err(db)?;
    Ok(())
}

/// The SQL that rebuilds the per-day summaries from the application rows (a GROUP BY each).
fn ringkasan_ulang_sql() -> String {
    format!(
        "DELETE FROM stat_hari_buka; DELETE FROM stat_hari_rekam; DELETE FROM stat_hari_waktu;
         INSERT INTO stat_hari_buka
           SELECT tanggal_buka, kecamatan, COALESCE(alasan_kembali, ''), COUNT(*), SUM(gagal)
           FROM stat_permohonan WHERE tanggal_buka IS NOT NULL GROUP BY 1, 2, 3;
         INSERT INTO stat_hari_rekam
           SELECT tanggal_rekam, kecamatan, COALESCE(dedup, ''), COUNT(*),
             COALESCE(SUM(kualitas_rata), 0), COUNT(kualitas_rata), SUM(kualitas_rendah),
             SUM(pengecualian), SUM(pengecualian > 0)
           FROM stat_permohonan WHERE tanggal_rekam IS NOT NULL GROUP BY 1, 2, 3;
         INSERT INTO stat_hari_waktu
           SELECT tanggal, langkah, kecamatan, COALESCE(operator, ''), {} AS ember, terlambat,
             COALESCE(alasan_terlambat, ''), COUNT(*)
           FROM stat_langkah WHERE detik IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;",
        ember_sql()
    )
}

/// Fills the per-day summaries of a store written before they existed (at open; nothing to do
/// when they hold rows or the read model is empty).
pub(super) fn isi_ringkasan_bila_kosong(conn: &rusqlite::Connection) -> Result<(), StorageError> {
    let perlu: bool = conn
        .query_row(
            "SELECT EXISTS(SELECT 1 FROM stat_permohonan)
               AND NOT EXISTS(SELECT 1 FROM stat_hari_buka)
               AND NOT EXISTS(SELECT 1 FROM stat_hari_rekam)
               AND NOT EXISTS(SELECT 1 FROM stat_hari_waktu)",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    if perlu {
        let tx = conn.unchecked_transaction().map_err(db)?;
        tx.execute_batch(&ringkasan_ulang_sql()).map_err(db)?;
        tx.commit().map_err(db)?;
    }
    Ok(())
}

fn n(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64)
}

impl SqliteStorage {
    fn kumpul<T>(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn.prepare_cached(sql).map_err(db)?;
        st.query_map(p, f)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
    }
}

/// The SQL expression of a duration's bucket index (see [`EMBER_DETIK`]).
fn ember_sql() -> String {
    let mut s = String::from("CASE");
    for (i, b) in EMBER_DETIK.iter().enumerate() {
        s.push_str(&format!(" WHEN detik < {b} THEN {i}"));
    }
    s.push_str(&format!(" ELSE {} END", EMBER_DETIK.len()));
    s
}

impl StatistikStorage for SqliteStorage {
    fn statistik_isi(&self) -> Result<IsiStatistik, StorageError> {
        let permohonan = self.kumpul(
            &format!("SELECT {KOLOM_PERMOHONAN} FROM stat_permohonan ORDER BY permohonan_id"),
            [],
            baris_permohonan,
        )?;
        let langkah = self.kumpul(
            &format!("SELECT {KOLOM_LANGKAH} FROM stat_langkah ORDER BY permohonan_id, urutan"),
            [],
            baris_langkah,
        )?;
        let ringkasan = self.kumpul(
            "SELECT 'buka|' || tanggal || '|' || kecamatan || '|' || alasan_kembali || '|'
               || permohonan || '|' || gagal FROM stat_hari_buka
             UNION ALL
             SELECT 'rekam|' || tanggal || '|' || kecamatan || '|' || dedup || '|' || jumlah
               || '|' || jumlah_kualitas || '|' || berkualitas || '|' || kualitas_rendah || '|'
               || pengecualian || '|' || dengan_pengecualian FROM stat_hari_rekam
             UNION ALL
             SELECT 'waktu|' || tanggal || '|' || langkah || '|' || kecamatan || '|' || operator
               || '|' || ember || '|' || terlambat || '|' || alasan_terlambat || '|' || jumlah
               FROM stat_hari_waktu
             ORDER BY 1",
            [],
            |r| r.get(0),
        )?;
        Ok(IsiStatistik {
            permohonan,
            langkah,
            ringkasan,
        })
    }

    fn statistik_ringkasan_ulang(&self) -> Result<(), StorageError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute_batch(&ringkasan_ulang_sql()).map_err(db)?;
        tx.commit().map_err(db)
    }

    fn statistik_permohonan(&self, r: &Rentang) -> Result<Vec<HitunganPermohonan>, StorageError> {
        let (dari, sampai) = r.teks();
        self.kumpul(
            "SELECT kecamatan, SUM(permohonan), SUM(gagal) FROM stat_hari_buka
             WHERE tanggal BETWEEN ?1 AND ?2 GROUP BY kecamatan",
            [dari, sampai],
            |r| {
                Ok(HitunganPermohonan {
                    kecamatan: r.get(0)?,
                    permohonan: n(r, 1)?,
                    gagal: n(r, 2)?,
                })
            },
        )
    }

    fn statistik_kembali(&self, r: &Rentang) -> Result<Vec<HitunganKembali>, StorageError> {
        let (dari, sampai) = r.teks();
        self.kumpul(
            "SELECT kecamatan, alasan_kembali, SUM(permohonan) FROM stat_hari_buka
             WHERE tanggal BETWEEN ?1 AND ?2 AND alasan_kembali <> ''
             GROUP BY kecamatan, alasan_kembali",
            [dari, sampai],
            |r| {
                Ok(HitunganKembali {
                    kecamatan: r.get(0)?,
                    alasan: r.get(1)?,
                    jumlah: n(r, 2)?,
                })
            },
        )
    }

    fn statistik_rekam(&self, r: &Rentang) -> Result<Vec<HitunganRekam>, StorageError> {
        let (dari, sampai) = r.teks();
        self.kumpul(
            "SELECT kecamatan, NULLIF(dedup, ''), SUM(jumlah) FROM stat_hari_rekam
             WHERE tanggal BETWEEN ?1 AND ?2 GROUP BY kecamatan, dedup",
            [dari, sampai],
            |r| {
                Ok(HitunganRekam {
                    kecamatan: r.get(0)?,
                    dedup: r.get(1)?,
                    jumlah: n(r, 2)?,
                })
            },
        )
    }

    fn statistik_harian(&self, r: &Rentang) -> Result<Vec<HitunganHarian>, StorageError> {
        let (dari, sampai) = r.teks();
        self.kumpul(
            "SELECT tanggal, kecamatan, SUM(buka), SUM(rekam) FROM (
               SELECT tanggal, kecamatan, permohonan AS buka, 0 AS rekam
                 FROM stat_hari_buka WHERE tanggal BETWEEN ?1 AND ?2
               UNION ALL
               SELECT tanggal, kecamatan, 0, jumlah
                 FROM stat_hari_rekam WHERE tanggal BETWEEN ?1 AND ?2)
             GROUP BY tanggal, kecamatan ORDER BY tanggal, kecamatan",
            [dari, sampai],
            |r| {
                Ok(HitunganHarian {
                    tanggal: r.get(0)?,
                    kecamatan: r.get(1)?,
                    permohonan: n(r, 2)?,
                    terekam: n(r, 3)?,
                })
            },
        )
    }

    fn statistik_waktu(&self, r: &Rentang) -> Result<Vec<HitunganWaktu>, StorageError> {
        let (dari, sampai) = r.teks();
        let sql = "SELECT langkah, kecamatan, operator, ember, terlambat,
               NULLIF(alasan_terlambat, ''), SUM(jumlah)
             FROM stat_hari_waktu WHERE tanggal BETWEEN ?1 AND ?2
             GROUP BY langkah, kecamatan, operator, ember, terlambat, alasan_terlambat";
        self.kumpul(sql, [dari, sampai], |r| {
            Ok(HitunganWaktu {
                langkah: r.get(0)?,
                kecamatan: r.get(1)?,
                operator: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ember: r.get::<_, i64>(3)? as usize,
                terlambat: r.get(4)?,
                alasan_terlambat: r.get(5)?,
                jumlah: n(r, 6)?,
            })
        })
    }

    fn statistik_dedup(&self, r: &Rentang) -> Result<Vec<HitunganDedup>, StorageError> {
        let (dari, sampai) = r.teks();
        self.kumpul(
            "SELECT kecamatan, NULLIF(dedup, ''), SUM(jumlah), SUM(jumlah_kualitas),
               SUM(berkualitas), SUM(kualitas_rendah), SUM(pengecualian),
               SUM(dengan_pengecualian)
             FROM stat_hari_rekam WHERE tanggal BETWEEN ?1 AND ?2
             GROUP BY kecamatan, dedup",
            [dari, sampai],
            |r| {
                Ok(HitunganDedup {
                    kecamatan: r.get(0)?,
                    dedup: r.get(1)?,
                    jumlah: n(r, 2)?,
                    jumlah_kualitas: n(r, 3)?,
                    berkualitas: n(r, 4)?,
                    kualitas_rendah: n(r, 5)?,
                    pengecualian: n(r, 6)?,
                    dengan_pengecualian: n(r, 7)?,
                })
            },
        )
    }

    fn statistik_kantor(&self) -> Result<Vec<AntrianKantor>, StorageError> {
        self.kumpul(
            "SELECT d.kecamatan, COUNT(*), COUNT(q.permohonan_id), MIN(q.enqueued_at)
             FROM doc d LEFT JOIN dedup_queue q ON q.permohonan_id = d.id
             GROUP BY d.kecamatan ORDER BY d.kecamatan",
            [],
            |r| {
                Ok(AntrianKantor {
                    kecamatan: r.get(0)?,
                    dokumen: n(r, 1)?,
                    menunggu_dedup: n(r, 2)?,
                    tertua: r.get(3)?,
                })
            },
        )
    }

    fn target_simpan(&self, rows: &[Target]) -> Result<(), StorageError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO target_wajib(tahun, kecamatan, nagari, wajib_ktp_el)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db)?;
            for t in rows {
                st.execute(params![
                    t.tahun,
                    t.kecamatan,
                    t.nagari,
                    t.wajib_ktp_el as i64
                ])
                .map_err(db)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn target_semua(&self) -> Result<Vec<Target>, StorageError> {
        self.kumpul(
            "SELECT tahun, kecamatan, nagari, wajib_ktp_el FROM target_wajib
             ORDER BY tahun, kecamatan, nagari",
            [],
            |r| {
                Ok(Target {
                    tahun: r.get(0)?,
                    kecamatan: r.get(1)?,
                    nagari: r.get(2)?,
                    wajib_ktp_el: n(r, 3)?,
                })
            },
        )
    }
}
