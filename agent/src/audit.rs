//! The append-only audit log: who did what, when, to which application.
//!
//! Every action that changes something (and every login) writes one row, inside the same
//! transaction as the change itself, so the log and the data never disagree. The table has
//! triggers that refuse UPDATE and DELETE. Details never hold biometric data or secrets.

use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

/// One audit entry as shown to a kepala UKL.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub operator: String,
    pub action: String,
    pub permohonan_id: Option<String>,
    pub detail: String,
}

/// Appends an entry in the caller's transaction.
pub fn record(
    tx: &Transaction<'_>,
    operator: &str,
    action: &str,
    permohonan_id: Option<&str>,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit_log(at, operator, action, permohonan_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            operator,
            action,
            permohonan_id,
            detail
        ],
    )?;
    Ok(())
}

/// The latest `limit` entries, newest first.
pub fn latest(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut st = conn.prepare(
        "SELECT id, at, operator, action, permohonan_id, detail FROM audit_log
         ORDER BY id DESC LIMIT ?1",
    )?;
    st.query_map([limit], |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            operator: r.get(2)?,
            action: r.get(3)?,
            permohonan_id: r.get(4)?,
            detail: r.get(5)?,
        })
    })?
    .collect()
}
