//! Online backup and restore with SQLite's backup API, and the data-folder lock that keeps a
//! restore from running under a live agent.
//!
//! `backup` copies a consistent snapshot while the agent keeps serving (it reads through a
//! read connection, page by page). `restore` first checks that the file is a Rekam agent
//! database that passes `PRAGMA integrity_check`, then copies it over the office database,
//! holding the data-folder lock so that no agent is running on it.
//!
//! A restored office is behind the hub: the hub may hold changes of this office's documents
//! made after the backup was taken (synced before the disk died). So `restore` also prepares
//! the sync daemon to catch up without losing either side ([`prepare_resync`]): the per-document
//! sync states and the hub feed cursor from the backup are dropped (both sides start their
//! exchanges afresh and the hub resends every decision), every document is queued, and every
//! application is marked `sync_pulih` so that the desk appends no event to it until its
//! exchange with the hub is over (then the rows follow the hub's newer events first, see
//! `crate::sync::rows`). The office also walks the hub's full listing of its kecamatan's
//! documents once (`listing_after` in `sync_meta`): applications made after the backup that the
//! hub never changed are on no feed, so the office asks for every listed one it lacks, and the
//! photos and signatures of the documents that come back are downloaded
//! (`crate::sync::unduh`). Automerge actor ids are not stored: every write of a document loads
//! it with a fresh random actor, so a restored office never reuses an (actor, sequence number)
//! the hub already holds.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use super::{Db, DbError};

/// Why a backup or restore was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("backup target {0} already exists; choose a new file")]
    TargetExists(PathBuf),
    #[error("{path} is not a usable Rekam agent backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("the data folder {0} is in use by a running agent; stop it first")]
    Locked(PathBuf),
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Db(DbError::Sqlite(e))
    }
}

/// An exclusive lock on a data folder (`rekam-agent.lock`), held for the life of the value.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes the lock, creating the folder if needed; fails at once if someone holds it.
    pub fn acquire(dir: &Path) -> Result<DataLock, BackupError> {
        std::fs::create_dir_all(dir).map_err(|source| BackupError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("rekam-agent.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| BackupError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(DataLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::Locked(dir.to_owned())),
            Err(std::fs::TryLockError::Error(source)) => Err(BackupError::Io { path, source }),
        }
    }
}

/// Copies a consistent snapshot of the live database to `target` (which must not exist).
pub async fn backup(db: &Db, target: &Path) -> Result<(), BackupError> {
    if target.exists() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    let target = target.to_owned();
    db.read(move |conn| {
        conn.backup(MAIN_DB, &target, None)?;
        Ok::<_, BackupError>(())
    })
    .await
}

/// Backs up the database file at `db_path` (agent running or not) to `target`.
pub fn backup_file(db_path: &Path, target: &Path) -> Result<(), BackupError> {
    if target.exists() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    verify(db_path)?;
    let conn = Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.backup(MAIN_DB, target, None)?;
    Ok(())
}

/// Checks that `path` is an intact agent database (integrity check + migrations table).
pub fn verify(path: &Path) -> Result<(), BackupError> {
    let bad = |reason: String| BackupError::NotABackup {
        path: path.to_owned(),
        reason,
    };
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if ok != "ok" {
        return Err(bad(format!("integrity check: {ok}")));
    }
    let versions: i64 = conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|_| bad("no schema_migrations table".into()))?;
    if versions == 0 {
        return Err(bad("no migrations recorded".into()));
    }
    Ok(())
}

/// Replaces the database in `data_dir` with the backup at `source`. The agent must be stopped.
pub fn restore(data_dir: &Path, source: &Path) -> Result<(), BackupError> {
    verify(source)?;
    let _lock = DataLock::acquire(data_dir)?;
    let db_path = data_dir.join(crate::config::DB_FILE);
    let mut conn = Connection::open(&db_path)?;
    conn.restore(MAIN_DB, source, None::<fn(rusqlite::backup::Progress)>)?;
    // Bring a backup taken by an older agent up to this version's schema.
    super::migrations::apply(&mut conn)?;
    prepare_resync(&mut conn)?;
    Ok(())
}

/// After a restore: forgets what the backup believed the hub had, so the next sync rounds
/// exchange every document from scratch, and holds the desk back on the restored applications
/// until their exchange is over. One transaction.
pub fn prepare_resync(conn: &mut Connection) -> Result<(), BackupError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // Shared heads of the backup's time: harmless for the office's own message, but a fresh
    // state makes both sides start with a full have/need exchange.
    tx.execute("DELETE FROM sync_doc_state", [])?;
    // The hub's feed from the start: every decision the hub wrote for this office comes back.
    // Not needed for correctness (the backup's cursor is never past a decision the backup
    // lacks: it moves only once the decision is applied, and the hub's sequence only grows),
    // but one pass over the feed re-checks every decided application against the hub.
    tx.execute(
        "DELETE FROM sync_meta WHERE key = ?1",
        [crate::sync::store::meta::CURSOR],
    )?;
    tx.execute(
        "INSERT INTO sync_meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        rusqlite::params![crate::sync::store::meta::RESTORED_AT, now],
    )?;
    // The hub's full listing from the start: documents made after the backup that the hub
    // never changed are on no feed.
    tx.execute(
        "INSERT INTO sync_meta(key, value) VALUES (?1, '')
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [crate::sync::store::meta::LISTING],
    )?;
    // Every document is exchanged again (the hub may have newer changes of any of them).
    tx.execute(
        "INSERT INTO sync_outbox(permohonan_id, queued_at)
         SELECT permohonan_id, ?1 FROM permohonan_doc WHERE true
         ON CONFLICT(permohonan_id) DO UPDATE SET refused = NULL",
        [&now],
    )?;
    tx.execute(
        "INSERT INTO sync_pulih(permohonan_id, restored_at)
         SELECT permohonan_id, ?1 FROM permohonan_doc WHERE true
         ON CONFLICT(permohonan_id) DO UPDATE SET restored_at = excluded.restored_at",
        [&now],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn backup_then_restore_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let db = Db::open(&data.join(crate::config::DB_FILE), 1).unwrap();
        db.write(|tx| {
            tx.execute(
                "INSERT INTO audit_log(at, operator, action) VALUES ('t', 'a', 'before')",
                [],
            )?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
        let bak = dir.path().join("bak.db");
        backup(&db, &bak).await.unwrap();
        assert!(matches!(
            backup(&db, &bak).await,
            Err(BackupError::TargetExists(_))
        ));
        db.write(|tx| {
            tx.execute(
                "INSERT INTO audit_log(at, operator, action) VALUES ('t', 'a', 'after')",
                [],
            )?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
        drop(db);
        restore(&data, &bak).unwrap();
        let conn = Connection::open(data.join(crate::config::DB_FILE)).unwrap();
        let actions: Vec<String> = conn
            .prepare("SELECT action FROM audit_log")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(actions, vec!["before".to_string()]);
    }

    #[test]
    fn restore_prepares_a_full_resync_and_holds_the_desk_back() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let db_path = data.join(crate::config::DB_FILE);
        {
            let c = super::super::open_writer(&db_path).unwrap();
            // Only the sync tables matter here: no application rows behind the document.
            c.pragma_update(None, "foreign_keys", "OFF").unwrap();
            let mut d = rekam_shared::document::PermohonanDoc::new("130101-p1", "130101").unwrap();
            c.execute(
                "INSERT INTO permohonan_doc(permohonan_id, doc) VALUES ('130101-p1', ?1)",
                [d.save()],
            )
            .unwrap();
            // In step with the hub when the backup was taken.
            let mut st = automerge::sync::State::new();
            st.shared_heads = d.heads();
            assert!(crate::sync::store::finish(&c, "130101-p1", &st).unwrap());
            crate::sync::store::set_meta(&c, crate::sync::store::meta::CURSOR, "42").unwrap();
        }
        let bak = dir.path().join("bak.db");
        backup_file(&db_path, &bak).unwrap();
        restore(&data, &bak).unwrap();
        let c = Connection::open(&db_path).unwrap();
        let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM sync_doc_state"),
            0,
            "fresh sync states"
        );
        assert_eq!(
            crate::sync::store::get_meta(&c, crate::sync::store::meta::CURSOR).unwrap(),
            None,
            "the hub's feed from the start"
        );
        assert_eq!(
            crate::sync::store::outbox_batch(&c, 10, &[]).unwrap(),
            vec!["130101-p1"],
            "every document exchanged again"
        );
        assert_eq!(
            crate::sync::store::get_meta(&c, crate::sync::store::meta::LISTING).unwrap(),
            Some(String::new()),
            "the hub's full listing walked from the start"
        );
        assert!(crate::sync::store::menunggu_pulih(&c, "130101-p1").unwrap());
        // Once the exchange is over, the desk may continue.
        let mut d = crate::sync::store::load_doc(&c, "130101-p1")
            .unwrap()
            .unwrap();
        let mut st = automerge::sync::State::new();
        st.shared_heads = d.get_heads();
        assert!(crate::sync::store::finish(&c, "130101-p1", &st).unwrap());
        assert!(!crate::sync::store::menunggu_pulih(&c, "130101-p1").unwrap());
    }

    #[test]
    fn restore_refuses_garbage_and_locked_folder() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"this is not sqlite").unwrap();
        assert!(matches!(
            restore(dir.path(), &junk),
            Err(BackupError::NotABackup { .. })
        ));
        let _held = DataLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            DataLock::acquire(dir.path()),
            Err(BackupError::Locked(_))
        ));
    }
}
