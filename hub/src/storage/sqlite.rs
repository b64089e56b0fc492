//! The embedded SQLite backend of [`Storage`]: one database file, WAL, `synchronous=FULL`.
//!
//! One connection behind a mutex serves the hub process; every transaction is
//! `BEGIN IMMEDIATE`, so other processes on the same file (e.g. `rekam-hub decide`) serialize
//! with it through SQLite's own lock (busy timeout 10 s).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use rekam_shared::index::{EntriIndeks, IsiIndeks};

use super::{
    AuditEntry, BlobStatus, Office, Rescan, RescanStatus, Storage, StorageError, StoredDoc, Tx,
};

mod penduduk;
mod pengguna;
mod statistik;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS doc (
    id        TEXT PRIMARY KEY,
    kecamatan TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    hub_seq   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_feed ON doc(kecamatan, hub_seq);
CREATE INDEX IF NOT EXISTS doc_listing ON doc(kecamatan, id);
CREATE TABLE IF NOT EXISTS sync_state (
    peer  TEXT NOT NULL,
    id    TEXT NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (peer, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob (
    sha256   TEXT PRIMARY KEY,
    total    INTEGER NOT NULL,
    data     BLOB NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS office (
    kecamatan   TEXT PRIMARY KEY,
    last_seen   TEXT NOT NULL,
    cert_serial TEXT NOT NULL,
    requests    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    permohonan_id TEXT,
    detail        TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS dedup_queue (
    permohonan_id TEXT PRIMARY KEY,
    enqueued_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dedup_queue_age ON dedup_queue(enqueued_at);
CREATE TABLE IF NOT EXISTS dedup_rescan (
    generasi   INTEGER PRIMARY KEY,
    mulai      TEXT NOT NULL,
    ambang     TEXT NOT NULL,
    kursor     TEXT,
    diproses   INTEGER NOT NULL DEFAULT 0,
    berubah    INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL DEFAULT 'berjalan',
    selesai    TEXT
);
CREATE TABLE IF NOT EXISTS district_index (
    seq           INTEGER PRIMARY KEY,
    permohonan_id TEXT NOT NULL UNIQUE,
    kecamatan     TEXT,
    tanggal_rekam TEXT,
    nik           TEXT,
    keputusan     TEXT,
    kunci         BLOB
);
CREATE TABLE IF NOT EXISTS pengguna (
    nama   TEXT PRIMARY KEY,
    peran  TEXT NOT NULL,
    hash   TEXT NOT NULL,
    aktif  INTEGER NOT NULL DEFAULT 1,
    dibuat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sesi (
    id_hash  TEXT PRIMARY KEY,
    pengguna TEXT NOT NULL REFERENCES pengguna(nama),
    csrf     TEXT NOT NULL,
    dibuat   INTEGER NOT NULL,
    terakhir INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sesi_pengguna ON sesi(pengguna);
";

fn db(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// The SQLite storage.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStorage")
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        conn.execute_batch(statistik::SCHEMA).map_err(db)?;
        conn.execute_batch(penduduk::SCHEMA).map_err(db)?;
        statistik::isi_ringkasan_bila_kosong(&conn)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StorageError> {
        self.conn
            .lock()
            .map_err(|_| StorageError::Backend("connection mutex poisoned".into()))
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Tx for SqliteTx<'_> {
    fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError> {
        self.0
            .query_row(
                "SELECT kecamatan, bytes, hub_seq FROM doc WHERE id = ?1",
                [id],
                |r| {
                    Ok(StoredDoc {
                        kecamatan: r.get(0)?,
                        bytes: r.get(1)?,
                        hub_seq: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(db)
    }

    fn save_doc(
        &self,
        id: &str,
        kecamatan: &str,
        bytes: &[u8],
        by_hub: bool,
    ) -> Result<(), StorageError> {
        let seq: i64 = if by_hub {
            self.0
                .query_row("SELECT COALESCE(MAX(hub_seq), 0) + 1 FROM doc", [], |r| {
                    r.get(0)
                })
                .map_err(db)?
        } else {
            self.0
                .query_row("SELECT hub_seq FROM doc WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(db)?
                .unwrap_or(0)
        };
        self.0
            .execute(
                "INSERT INTO doc(id, kecamatan, bytes, hub_seq, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET bytes = excluded.bytes, hub_seq = excluded.hub_seq,
                   updated_at = excluded.updated_at",
                params![id, kecamatan, bytes, seq, now()],
            )
            .map_err(db)?;
        Ok(())
    }

    fn load_sync_state(&self, peer: &str, id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.0
            .query_row(
                "SELECT state FROM sync_state WHERE peer = ?1 AND id = ?2",
                [peer, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    fn save_sync_state(&self, peer: &str, id: &str, state: &[u8]) -> Result<(), StorageError> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO sync_state(peer, id, state) VALUES (?1, ?2, ?3)",
                params![peer, id, state],
            )
            .map_err(db)?;
        Ok(())
    }

    fn hub_changes_since(
        &self,
        kecamatan: &str,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StorageError> {
        let mut st = self
            .0
            .prepare_cached(
                "SELECT id, hub_seq FROM doc WHERE kecamatan = ?1 AND hub_seq > ?2
                 ORDER BY hub_seq LIMIT ?3",
            )
            .map_err(db)?;
        st.query_map(params![kecamatan, cursor as i64, limit as i64], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)
    }

    fn doc_ids_after(
        &self,
        kecamatan: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>, StorageError> {
        let mut st = self
            .0
            .prepare_cached(
                "SELECT id FROM doc WHERE kecamatan = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )
            .map_err(db)?;
        st.query_map(params![kecamatan, after, limit as i64], |r| r.get(0))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
    }

    fn audit(&self, e: &AuditEntry) -> Result<(), StorageError> {
        self.0
            .execute(
                "INSERT INTO audit_log(at, actor, action, permohonan_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![e.at, e.actor, e.action, e.permohonan_id, e.detail],
            )
            .map_err(db)?;
        Ok(())
    }

    fn touch_office(&self, kecamatan: &str, cert_serial: &str) -> Result<(), StorageError> {
        self.0
            .execute(
                "INSERT INTO office(kecamatan, last_seen, cert_serial, requests) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT(kecamatan) DO UPDATE SET last_seen = excluded.last_seen,
                   cert_serial = excluded.cert_serial, requests = requests + 1",
                params![kecamatan, now(), cert_serial],
            )
            .map_err(db)?;
        Ok(())
    }

    fn enqueue_dedup(&self, id: &str, at: &str) -> Result<(), StorageError> {
        self.0
            .execute(
                "INSERT OR IGNORE INTO dedup_queue(permohonan_id, enqueued_at) VALUES (?1, ?2)",
                params![id, at],
            )
            .map_err(db)?;
        Ok(())
    }

    // The district index: one row per application ever indexed; a row with a NULL key is a
    // tombstone. Rewriting a row gives it the next sequence number, so the head only grows.

    fn index_entry(&self, id: &str) -> Result<Option<EntriIndeks>, StorageError> {
        let mut st = self
            .0
            .prepare_cached(&format!("{INDEX_SELECT} WHERE permohonan_id = ?1"))
            .map_err(db)?;
        st.query_row([id], index_row).optional().map_err(db)
    }

    fn index_put(&self, id: &str, isi: Option<&IsiIndeks>) -> Result<u64, StorageError> {
        let seq: i64 = self
            .0
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM district_index",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        self.0
            .execute(
                "INSERT INTO district_index(seq, permohonan_id, kecamatan, tanggal_rekam, nik,
                   keputusan, kunci) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(permohonan_id) DO UPDATE SET seq = excluded.seq,
                   kecamatan = excluded.kecamatan, tanggal_rekam = excluded.tanggal_rekam,
                   nik = excluded.nik, keputusan = excluded.keputusan, kunci = excluded.kunci",
                params![
                    seq,
                    id,
                    isi.map(|i| &i.kecamatan),
                    isi.map(|i| &i.tanggal_rekam),
                    isi.map(|i| &i.nik),
                    isi.and_then(|i| i.keputusan.as_ref()),
                    isi.map(|i| &i.kunci),
                ],
            )
            .map_err(db)?;
        Ok(seq as u64)
    }

    fn index_since(&self, versi: u64, limit: usize) -> Result<Vec<EntriIndeks>, StorageError> {
        let mut st = self
            .0
            .prepare_cached(&format!(
                "{INDEX_SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))
            .map_err(db)?;
        st.query_map(params![versi as i64, limit as i64], index_row)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
    }

    fn index_head(&self) -> Result<u64, StorageError> {
        self.0
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM district_index",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db)
    }

    fn register_get(
        &self,
        nik: &str,
    ) -> Result<Option<rekam_shared::register::EntriRegister>, StorageError> {
        penduduk::get(self.0, nik)
    }

    fn register_put(
        &self,
        data: &rekam_shared::register::PendudukTerdaftar,
        impor: u64,
    ) -> Result<u64, StorageError> {
        penduduk::put(self.0, data, impor)
    }

    fn register_since(
        &self,
        versi: u64,
        limit: usize,
    ) -> Result<Vec<rekam_shared::register::EntriRegister>, StorageError> {
        penduduk::since(self.0, versi, limit)
    }

    fn register_head(&self) -> Result<u64, StorageError> {
        penduduk::head(self.0)
    }

    fn register_jumlah(&self) -> Result<std::collections::BTreeMap<String, u64>, StorageError> {
        penduduk::jumlah(self.0)
    }

    fn register_impor_mulai(
        &self,
        at: &str,
        oleh: &str,
        berkas: &str,
    ) -> Result<u64, StorageError> {
        penduduk::impor_mulai(self.0, at, oleh, berkas)
    }

    fn register_impor_selesai(
        &self,
        id: u64,
        ringkasan: &crate::penduduk::RingkasanImpor,
    ) -> Result<(), StorageError> {
        penduduk::impor_selesai(self.0, id, ringkasan)
    }

    fn register_belum_rekam(
        &self,
        pada: chrono::NaiveDate,
        kecamatan: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        penduduk::belum_rekam(self.0, pada, kecamatan)
    }

    fn statistik_tulis(
        &self,
        baris: &crate::statistik::baris::BarisStatistik,
    ) -> Result<(), StorageError> {
        statistik::tulis(self.0, baris)
    }

    fn statistik_kosongkan(&self) -> Result<(), StorageError> {
        statistik::kosongkan(self.0)
    }
}

const INDEX_SELECT: &str = "SELECT seq, permohonan_id, kecamatan, tanggal_rekam, nik, keputusan,
    kunci FROM district_index";

fn index_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntriIndeks> {
    let kunci: Option<Vec<u8>> = r.get(6)?;
    let isi = match kunci {
        None => None,
        Some(kunci) => Some(IsiIndeks {
            kecamatan: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            tanggal_rekam: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            nik: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            keputusan: r.get(5)?,
            kunci,
        }),
    };
    Ok(EntriIndeks {
        seq: r.get::<_, i64>(0)? as u64,
        permohonan_id: r.get(1)?,
        isi,
    })
}

impl Storage for SqliteStorage {
    fn transaction(
        &self,
        f: &mut dyn FnMut(&dyn Tx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        f(&SqliteTx(&tx))?;
        tx.commit().map_err(db)
    }

    fn doc_ids(&self, kecamatan: Option<&str>) -> Result<Vec<String>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn
            .prepare("SELECT id FROM doc WHERE ?1 IS NULL OR kecamatan = ?1 ORDER BY id")
            .map_err(db)?;
        st.query_map([kecamatan], |r| r.get(0))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
    }

    fn doc_count(&self) -> Result<u64, StorageError> {
        let conn = self.lock()?;
        conn.query_row("SELECT COUNT(*) FROM doc", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(db)
    }

    fn blob_status(&self, sha256: &str) -> Result<BlobStatus, StorageError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT length(data), complete FROM blob WHERE sha256 = ?1",
                [sha256],
                |r| {
                    Ok(BlobStatus {
                        received: r.get::<_, i64>(0)? as u64,
                        complete: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(db)?
            .unwrap_or(BlobStatus {
                received: 0,
                complete: false,
            }))
    }

    fn put_blob_chunk(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<BlobStatus, StorageError> {
        if total > rekam_shared::wire::MAX_BLOB_BYTES {
            return Err(StorageError::BlobTooLarge(
                rekam_shared::wire::MAX_BLOB_BYTES,
            ));
        }
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let existing: Option<(u64, u64, bool)> = tx
            .query_row(
                "SELECT length(data), total, complete FROM blob WHERE sha256 = ?1",
                [sha256],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, i64>(1)? as u64,
                        r.get(2)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        let received = match existing {
            Some((len, _, true)) => {
                return Ok(BlobStatus {
                    received: len,
                    complete: true,
                });
            }
            Some((len, t, false)) if t == total => len,
            Some(_) => {
                // A different declared size restarts the upload.
                tx.execute("DELETE FROM blob WHERE sha256 = ?1", [sha256])
                    .map_err(db)?;
                0
            }
            None => 0,
        };
        if offset != received {
            return Err(StorageError::BlobOffset { offset, received });
        }
        let new_len = received + chunk.len() as u64;
        if new_len > total {
            return Err(StorageError::BlobTooLarge(total));
        }
        tx.execute(
            "INSERT INTO blob(sha256, total, data, complete) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT(sha256) DO UPDATE SET data = CAST(data || excluded.data AS BLOB)",
            params![sha256, total as i64, chunk],
        )
        .map_err(db)?;
        let mut complete = false;
        if new_len == total {
            let data: Vec<u8> = tx
                .query_row("SELECT data FROM blob WHERE sha256 = ?1", [sha256], |r| {
                    r.get(0)
                })
                .map_err(db)?;
            if hex::encode(Sha256::digest(&data)) != sha256 {
                tx.execute("DELETE FROM blob WHERE sha256 = ?1", [sha256])
                    .map_err(db)?;
                tx.commit().map_err(db)?;
                return Err(StorageError::BlobHash);
            }
            tx.execute("UPDATE blob SET complete = 1 WHERE sha256 = ?1", [sha256])
                .map_err(db)?;
            complete = true;
        }
        tx.commit().map_err(db)?;
        Ok(BlobStatus {
            received: new_len,
            complete,
        })
    }

    fn get_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT data FROM blob WHERE sha256 = ?1 AND complete = 1",
            [sha256],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)
    }

    fn offices(&self) -> Result<Vec<Office>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn
            .prepare(
                "SELECT kecamatan, last_seen, cert_serial, requests FROM office ORDER BY kecamatan",
            )
            .map_err(db)?;
        st.query_map([], |r| {
            Ok(Office {
                kecamatan: r.get(0)?,
                last_seen: r.get(1)?,
                cert_serial: r.get(2)?,
                requests: r.get::<_, i64>(3)? as u64,
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)
    }

    fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn
            .prepare(
                "SELECT at, actor, action, permohonan_id, detail FROM audit_log
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(db)?;
        st.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                permohonan_id: r.get(3)?,
                detail: r.get(4)?,
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)
    }

    fn dedup_queue(&self, limit: usize) -> Result<Vec<(String, String)>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn
            .prepare(
                "SELECT permohonan_id, enqueued_at FROM dedup_queue
                 ORDER BY enqueued_at, permohonan_id LIMIT ?1",
            )
            .map_err(db)?;
        st.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)
    }

    fn dequeue_dedup(&self, id: &str) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute("DELETE FROM dedup_queue WHERE permohonan_id = ?1", [id])
            .map_err(db)?;
        Ok(())
    }

    fn dedup_backlog(&self) -> Result<(u64, Option<String>), StorageError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT COUNT(*), MIN(enqueued_at) FROM dedup_queue",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )
        .map_err(db)
    }

    // --- Dedup rescan cursor. ---

    fn dedup_rescan_latest(&self) -> Result<Option<Rescan>, StorageError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT generasi, mulai, ambang, kursor, diproses, berubah, status, selesai
             FROM dedup_rescan ORDER BY generasi DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    Rescan {
                        generasi: r.get::<_, i64>(0)? as u64,
                        mulai: r.get(1)?,
                        ambang: r.get(2)?,
                        kursor: r.get(3)?,
                        diproses: r.get::<_, i64>(4)? as u64,
                        berubah: r.get::<_, i64>(5)? as u64,
                        status: RescanStatus::Berjalan,
                        selesai: r.get(7)?,
                    },
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()
        .map_err(db)?
        .map(|(mut rescan, status)| {
            rescan.status = RescanStatus::parse(&status)
                .ok_or_else(|| StorageError::Corrupt(format!("dedup_rescan status {status}")))?;
            Ok(rescan)
        })
        .transpose()
    }

    fn dedup_rescan_start(&self, mulai: &str, ambang: &str) -> Result<Rescan, StorageError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO dedup_rescan (mulai, ambang) VALUES (?1, ?2)",
            params![mulai, ambang],
        )
        .map_err(db)?;
        Ok(Rescan {
            generasi: conn.last_insert_rowid() as u64,
            mulai: mulai.to_owned(),
            ambang: ambang.to_owned(),
            kursor: None,
            diproses: 0,
            berubah: 0,
            status: RescanStatus::Berjalan,
            selesai: None,
        })
    }

    fn dedup_rescan_advance(
        &self,
        generasi: u64,
        kursor: &str,
        diproses: u64,
        berubah: u64,
    ) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE dedup_rescan SET kursor = ?2, diproses = ?3, berubah = ?4 WHERE generasi = ?1",
            params![generasi as i64, kursor, diproses as i64, berubah as i64],
        )
        .map_err(db)?;
        Ok(())
    }

    fn dedup_rescan_end(
        &self,
        generasi: u64,
        at: &str,
        status: RescanStatus,
    ) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE dedup_rescan SET status = ?2, selesai = ?3 WHERE generasi = ?1",
            params![generasi as i64, status.as_str(), at],
        )
        .map_err(db)?;
        Ok(())
    }

    fn statistik(&self) -> &dyn crate::statistik::StatistikStorage {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn documents_and_the_hub_feed() {
        let (_d, s) = open();
        s.transaction(&mut |tx| {
            tx.save_doc("a", "130101", b"1", false)?;
            tx.save_doc("b", "130101", b"2", true)?;
            tx.save_doc("c", "130102", b"3", true)?;
            tx.save_doc("a", "130101", b"4", true)?;
            Ok(())
        })
        .unwrap();
        let a = s.load_doc("a").unwrap().unwrap();
        assert_eq!(a.bytes, b"4");
        let mut feed = Vec::new();
        s.transaction(&mut |tx| {
            feed = tx.hub_changes_since("130101", 0, 10)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(feed, vec![("b".to_string(), 1), ("a".to_string(), 3)]);
        s.transaction(&mut |tx| {
            feed = tx.hub_changes_since("130101", 1, 10)?;
            // An office save keeps the document's feed position.
            tx.save_doc("a", "130101", b"5", false)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(feed, vec![("a".to_string(), 3)]);
        assert_eq!(s.load_doc("a").unwrap().unwrap().hub_seq, 3);
        assert_eq!(s.doc_ids(Some("130101")).unwrap(), vec!["a", "b"]);
        assert_eq!(s.doc_count().unwrap(), 3);
    }

    #[test]
    fn the_listing_pages_one_kecamatan_in_id_order() {
        let (_d, s) = open();
        s.transaction(&mut |tx| {
            for (id, k) in [
                ("d", "130101"),
                ("a", "130101"),
                ("b", "130102"),
                ("c", "130101"),
            ] {
                tx.save_doc(id, k, b"x", false)?;
            }
            Ok(())
        })
        .unwrap();
        let mut pages = Vec::new();
        s.transaction(&mut |tx| {
            pages.push(tx.doc_ids_after("130101", "", 2)?);
            pages.push(tx.doc_ids_after("130101", "c", 2)?);
            pages.push(tx.doc_ids_after("130101", "d", 2)?);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            pages,
            vec![vec!["a", "c"], vec!["d"], Vec::<&str>::new()],
            "only 130101's documents, resumable after any id"
        );
    }

    #[test]
    fn failed_transaction_rolls_back() {
        let (_d, s) = open();
        let r = s.transaction(&mut |tx| {
            tx.save_doc("a", "130101", b"1", false)?;
            Err(StorageError::Corrupt("test".into()))
        });
        assert!(r.is_err());
        assert!(s.load_doc("a").unwrap().is_none());
    }

    #[test]
    fn blobs_resume_and_verify() {
        let (_d, s) = open();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let sha = hex::encode(Sha256::digest(&data));
        let total = data.len() as u64;
        let st = s.put_blob_chunk(&sha, 0, total, &data[..60_000]).unwrap();
        assert_eq!(st.received, 60_000);
        assert!(!st.complete);
        assert_eq!(s.blob_status(&sha).unwrap().received, 60_000);
        // A chunk at the wrong offset is refused with the offset to resume from.
        assert!(matches!(
            s.put_blob_chunk(&sha, 0, total, &data[..10]),
            Err(StorageError::BlobOffset {
                received: 60_000,
                ..
            })
        ));
        assert!(s.get_blob(&sha).unwrap().is_none());
        let st = s
            .put_blob_chunk(&sha, 60_000, total, &data[60_000..])
            .unwrap();
        assert!(st.complete);
        assert_eq!(s.get_blob(&sha).unwrap().unwrap(), data);
        // Re-sending a complete blob is a no-op.
        assert!(s.put_blob_chunk(&sha, 0, total, &data).unwrap().complete);
        // Wrong content is refused and discarded.
        let bad = "0".repeat(64);
        assert!(matches!(
            s.put_blob_chunk(&bad, 0, 3, b"abc"),
            Err(StorageError::BlobHash)
        ));
        assert_eq!(s.blob_status(&bad).unwrap().received, 0);
    }

    #[test]
    fn audit_log_is_append_only_and_offices_are_counted() {
        let (_d, s) = open();
        s.transaction(&mut |tx| {
            tx.audit(&AuditEntry {
                at: now(),
                actor: "kecamatan 130101".into(),
                action: "sync.refused".into(),
                permohonan_id: Some("p1".into()),
                detail: "keputusan".into(),
            })?;
            tx.touch_office("130101", "ab")?;
            tx.touch_office("130101", "ab")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.audit_entries(10).unwrap()[0].action, "sync.refused");
        assert_eq!(s.offices().unwrap()[0].requests, 2);
        let conn = s.lock().unwrap();
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }

    #[test]
    fn dedup_queue_keeps_the_oldest_time_and_drains_oldest_first() {
        let (_d, s) = open();
        assert_eq!(s.dedup_backlog().unwrap(), (0, None));
        s.transaction(&mut |tx| {
            tx.enqueue_dedup("b", "2026-01-02T00:00:00.000Z")?;
            tx.enqueue_dedup("a", "2026-01-03T00:00:00.000Z")?;
            // Queued again later: keeps its older time.
            tx.enqueue_dedup("b", "2026-01-05T00:00:00.000Z")?;
            tx.enqueue_dedup("c", "2026-01-01T00:00:00.000Z")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(
            s.dedup_queue(10).unwrap(),
            vec![
                ("c".to_string(), "2026-01-01T00:00:00.000Z".to_string()),
                ("b".to_string(), "2026-01-02T00:00:00.000Z".to_string()),
                ("a".to_string(), "2026-01-03T00:00:00.000Z".to_string()),
            ]
        );
        assert_eq!(s.dedup_queue(1).unwrap().len(), 1);
        assert_eq!(
            s.dedup_backlog().unwrap(),
            (3, Some("2026-01-01T00:00:00.000Z".to_string()))
        );
        s.dequeue_dedup("c").unwrap();
        s.dequeue_dedup("nope").unwrap();
        assert_eq!(
            s.dedup_backlog().unwrap(),
            (2, Some("2026-01-02T00:00:00.000Z".to_string()))
        );
    }

    #[test]
    fn an_enqueue_rolls_back_with_its_transaction() {
        let (_d, s) = open();
        let r = s.transaction(&mut |tx| {
            tx.enqueue_dedup("a", "2026-01-01T00:00:00.000Z")?;
            Err(StorageError::Corrupt("test".into()))
        });
        assert!(r.is_err());
        assert_eq!(s.dedup_backlog().unwrap(), (0, None));
        assert!(s.dedup_queue(10).unwrap().is_empty());
    }

    #[test]
    fn the_dedup_rescan_cursor_survives_a_reopen_and_generations_count_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let s = SqliteStorage::open(&path).unwrap();
        assert_eq!(s.dedup_rescan_latest().unwrap(), None);
        let r = s
            .dedup_rescan_start("2026-12-02T01:00:00Z", "cocok 12")
            .unwrap();
        assert_eq!((r.generasi, r.status), (1, RescanStatus::Berjalan));
        s.dedup_rescan_advance(1, "130101-b", 2, 1).unwrap();
        drop(s);
        let s = SqliteStorage::open(&path).unwrap();
        let r = s.dedup_rescan_latest().unwrap().unwrap();
        assert_eq!(
            (
                r.kursor.as_deref(),
                r.diproses,
                r.berubah,
                r.status,
                r.ambang.as_str()
            ),
            (Some("130101-b"), 2, 1, RescanStatus::Berjalan, "cocok 12")
        );
        s.dedup_rescan_end(1, "2026-12-02T01:05:00Z", RescanStatus::Selesai)
            .unwrap();
        let r = s.dedup_rescan_latest().unwrap().unwrap();
        assert_eq!(
            (r.status, r.selesai.as_deref()),
            (RescanStatus::Selesai, Some("2026-12-02T01:05:00Z"))
        );
        let r2 = s
            .dedup_rescan_start("2026-12-02T02:00:00Z", "cocok 13")
            .unwrap();
        assert_eq!(r2.generasi, 2);
        assert_eq!(s.dedup_rescan_latest().unwrap().unwrap(), r2);
    }
}
