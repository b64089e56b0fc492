//! The SQLite side of [`PenggunaStorage`]: tables `pengguna` and `sesi` (in the schema of
//! [`super::SqliteStorage`]).

use rusqlite::{OptionalExtension, params};

use super::{SqliteStorage, db};
use crate::pengguna::Peran;
use crate::storage::pengguna::{Pengguna, PenggunaStorage, Sesi};
use crate::storage::{AuditEntry, StorageError};

fn audit(tx: &rusqlite::Transaction<'_>, e: &AuditEntry) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, permohonan_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![e.at, e.actor, e.action, e.permohonan_id, e.detail],
    )
    .map_err(db)?;
    Ok(())
}

fn row(
    r: &rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<(String, String, String, bool, String)> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get::<_, i64>(at + 3)? != 0,
        r.get(at + 4)?,
    ))
}

fn pengguna(
    (nama, peran, hash, aktif, dibuat): (String, String, String, bool, String),
) -> Result<Pengguna, StorageError> {
    let peran = Peran::parse(&peran)
        .ok_or_else(|| StorageError::Corrupt(format!("pengguna {nama}: peran {peran:?}")))?;
    Ok(Pengguna {
        nama,
        peran,
        hash,
        aktif,
        dibuat,
    })
}

const KOLOM: &str = "nama, peran, hash, aktif, dibuat";

impl SqliteStorage {
    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committing on `Ok`.
    fn dalam_tx<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let out = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(out)
    }
}

impl PenggunaStorage for SqliteStorage {
    fn pengguna_add(&self, p: &Pengguna, entry: &AuditEntry) -> Result<bool, StorageError> {
        self.dalam_tx(|tx| {
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO pengguna (nama, peran, hash, aktif, dibuat) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![p.nama, p.peran.as_str(), p.hash, p.aktif as i64, p.dibuat],
                )
                .map_err(db)?;
            if n == 1 {
                audit(tx, entry)?;
            }
            Ok(n == 1)
        })
    }

    fn pengguna_get(&self, nama: &str) -> Result<Option<Pengguna>, StorageError> {
        let conn = self.lock()?;
        conn.query_row(
            &format!("SELECT {KOLOM} FROM pengguna WHERE nama = ?1"),
            [nama],
            |r| row(r, 0),
        )
        .optional()
        .map_err(db)?
        .map(pengguna)
        .transpose()
    }

    fn pengguna_list(&self) -> Result<Vec<Pengguna>, StorageError> {
        let conn = self.lock()?;
        let mut st = conn
            .prepare(&format!("SELECT {KOLOM} FROM pengguna ORDER BY nama"))
            .map_err(db)?;
        let rows = st
            .query_map([], |r| row(r, 0))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows.into_iter().map(pengguna).collect()
    }

    fn pengguna_set_hash(
        &self,
        nama: &str,
        hash: &str,
        entry: &AuditEntry,
    ) -> Result<bool, StorageError> {
        self.dalam_tx(|tx| {
            let n = tx
                .execute(
                    "UPDATE pengguna SET hash = ?2 WHERE nama = ?1",
                    params![nama, hash],
                )
                .map_err(db)?;
            if n == 1 {
                tx.execute("DELETE FROM sesi WHERE pengguna = ?1", [nama])
                    .map_err(db)?;
                audit(tx, entry)?;
            }
            Ok(n == 1)
        })
    }

    fn pengguna_disable(&self, nama: &str, entry: &AuditEntry) -> Result<bool, StorageError> {
        self.dalam_tx(|tx| {
            let n = tx
                .execute("UPDATE pengguna SET aktif = 0 WHERE nama = ?1", [nama])
                .map_err(db)?;
            if n == 1 {
                tx.execute("DELETE FROM sesi WHERE pengguna = ?1", [nama])
                    .map_err(db)?;
                audit(tx, entry)?;
            }
            Ok(n == 1)
        })
    }

    fn sesi_create(&self, s: &Sesi) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO sesi (id_hash, pengguna, csrf, dibuat, terakhir) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.id_hash, s.pengguna, s.csrf, s.dibuat, s.terakhir],
        )
        .map_err(db)?;
        Ok(())
    }

    fn sesi_get(&self, id_hash: &str) -> Result<Option<(Sesi, Pengguna)>, StorageError> {
        let conn = self.lock()?;
        let found = conn
            .query_row(
                "SELECT s.id_hash, s.pengguna, s.csrf, s.dibuat, s.terakhir,
                        p.nama, p.peran, p.hash, p.aktif, p.dibuat
                 FROM sesi s JOIN pengguna p ON p.nama = s.pengguna WHERE s.id_hash = ?1",
                [id_hash],
                |r| {
                    Ok((
                        Sesi {
                            id_hash: r.get(0)?,
                            pengguna: r.get(1)?,
                            csrf: r.get(2)?,
                            dibuat: r.get(3)?,
                            terakhir: r.get(4)?,
                        },
                        row(r, 5)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        match found {
            Some((s, p)) => Ok(Some((s, pengguna(p)?))),
            None => Ok(None),
        }
    }

    fn sesi_touch(&self, id_hash: &str, at: i64) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE sesi SET terakhir = ?2 WHERE id_hash = ?1",
            params![id_hash, at],
        )
        .map_err(db)?;
        Ok(())
    }

    fn sesi_delete(&self, id_hash: &str) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.execute("DELETE FROM sesi WHERE id_hash = ?1", [id_hash])
            .map_err(db)?;
        Ok(())
    }
}
