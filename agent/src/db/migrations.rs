//! Versioned schema migrations: SQL files in `agent/migrations/`, embedded at build time and
//! applied in order, each recorded in `schema_migrations`.
//!
//! Numbers 0001-0099 belong to the office rows, 0100-0199 to the sync daemon (documents, blobs,
//! sync state). A migration runs inside one transaction with its record, so a crash never
//! leaves it half applied.

use rusqlite::{Connection, params};

/// One migration: its version number, its name, and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Append only; never edit a released file.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../migrations/0001_init.sql"),
    },
    Migration {
        version: 100,
        name: "sync",
        sql: include_str!("../../migrations/0100_sync.sql"),
    },
    Migration {
        version: 101,
        name: "pulih",
        sql: include_str!("../../migrations/0101_pulih.sql"),
    },
    Migration {
        version: 110,
        name: "unduh",
        sql: include_str!("../../migrations/0110_unduh.sql"),
    },
    Migration {
        version: 120,
        name: "pengecualian",
        sql: include_str!("../../migrations/0120_pengecualian.sql"),
    },
    Migration {
        version: 130,
        name: "indeks",
        sql: include_str!("../../migrations/0130_indeks.sql"),
    },
    Migration {
        version: 140,
        name: "register",
        sql: include_str!("../../migrations/0140_register.sql"),
    },
];

/// Applies every migration not yet recorded; returns how many ran.
pub fn apply(conn: &mut Connection) -> rusqlite::Result<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    let mut ran = 0;
    for m in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [m.version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(m.sql)?;
            tx.execute(
                "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![m.version, m.name, chrono::Utc::now().to_rfc3339()],
            )?;
            ran += 1;
        }
        tx.commit()?;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase() {
        for w in MIGRATIONS.windows(2) {
            assert!(
                w[0].version < w[1].version,
                "{} !< {}",
                w[0].version,
                w[1].version
            );
        }
    }

    #[test]
    fn applies_once() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut c).unwrap(), MIGRATIONS.len());
        assert_eq!(apply(&mut c).unwrap(), 0);
        let n: i64 = c
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n as usize, MIGRATIONS.len());
    }
}
