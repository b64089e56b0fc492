//! The office database: one SQLite file, WAL, `synchronous=FULL`.
//!
//! One writer thread owns the only write connection; callers send it closures over a channel
//! and get the result back on a oneshot, so writes are serialized without lock contention
//! (SQLite allows one writer anyway). Each closure runs in one `BEGIN IMMEDIATE` transaction
//! that commits when it returns `Ok`. Reads go to a small pool of read-only connections on
//! tokio's blocking threads and run in parallel with the writer (WAL).

pub mod backup;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::{Semaphore, oneshot};

/// Database failures.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("a database task failed: {0}")]
    Task(String),
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle to the office database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: std::sync::mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Opens the write connection: WAL, full sync, migrations applied.
pub fn open_writer(path: &Path) -> Result<Connection, DbError> {
    let open_err = |source| DbError::Open {
        path: path.to_owned(),
        source,
    };
    let mut conn = Connection::open(path).map_err(open_err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(DbError::Task(format!("journal_mode is {mode}, not wal")));
    }
    configure(&conn)?;
    migrations::apply(&mut conn)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| DbError::Open {
        path: path.to_owned(),
        source,
    })?;
    configure(&conn)?;
    Ok(conn)
}

impl Db {
    /// Opens (creating and migrating if needed) the database at `path` with `readers` read
    /// connections. Must be called inside a tokio runtime only for the async methods.
    pub fn open(path: &Path, readers: usize) -> Result<Db, DbError> {
        let mut conn = open_writer(path)?;
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("rekam-db-writer".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| DbError::Task(e.to_string()))?;
        let n = readers.max(1);
        let mut pool = Vec::with_capacity(n);
        for _ in 0..n {
            pool.push(open_reader(path)?);
        }
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: tx,
                readers: Mutex::new(pool),
                permits: Semaphore::new(n),
            }),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one write transaction on the writer thread; commits if it returns `Ok`,
    /// rolls back otherwise. When this returns `Ok` the data is on disk (`synchronous=FULL`).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn: &mut Connection| {
            let result = (|| {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| E::from(DbError::from(e)))?;
                let value = f(&tx)?;
                tx.commit().map_err(|e| E::from(DbError::from(e)))?;
                Ok(value)
            })();
            let _ = reply.send(result);
        });
        self.inner
            .writer
            .send(job)
            .map_err(|_| E::from(DbError::WriterGone))?;
        answer.await.map_err(|_| E::from(DbError::WriterGone))?
    }

    /// Runs `f` on a read connection on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| E::from(DbError::WriterGone))?;
        let conn = self
            .inner
            .readers
            .lock()
            .map_err(|_| E::from(DbError::Task("reader pool poisoned".into())))?
            .pop()
            .ok_or_else(|| E::from(DbError::Task("no reader available".into())))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let out = f(&conn);
            if let Ok(mut pool) = inner.readers.lock() {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn write_commits_on_ok_and_rolls_back_on_err() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2).unwrap();
        db.write(|tx| {
            tx.execute(
                "INSERT INTO audit_log(at, operator, action) VALUES ('t', 'a', 'x')",
                [],
            )?;
            Ok::<_, DbError>(())
        })
        .await
        .unwrap();
        let r: Result<(), DbError> = db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO audit_log(at, operator, action) VALUES ('t', 'b', 'y')",
                    [],
                )?;
                Err(DbError::Task("refused".into()))
            })
            .await;
        assert!(r.is_err());
        let n: i64 = db
            .read(|c| {
                Ok::<_, DbError>(c.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(n, 1);
        let mode: String = db
            .read(|c| Ok::<_, DbError>(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn audit_log_is_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 1).unwrap();
        let r: Result<(), DbError> = db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO audit_log(at, operator, action) VALUES ('t', 'a', 'x')",
                    [],
                )?;
                tx.execute("UPDATE audit_log SET operator = 'z'", [])?;
                Ok(())
            })
            .await;
        assert!(r.is_err());
    }
}
