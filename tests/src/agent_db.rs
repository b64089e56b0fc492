//! Reads an agent's SQLite file directly (read-only), to compare what an office holds with
//! what the hub holds.

use std::path::Path;

use automerge::AutoCommit;
use rusqlite::{Connection, OpenFlags};

fn open(db: &Path) -> anyhow::Result<Connection> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(c)
}

/// Every document's id and sorted hex heads.
pub fn doc_heads(db: &Path) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let c = open(db)?;
    let mut st =
        c.prepare("SELECT permohonan_id, doc FROM permohonan_doc ORDER BY permohonan_id")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (id, bytes) = r?;
        let mut doc = AutoCommit::load(&bytes)?;
        let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
        heads.sort();
        out.push((id, heads));
    }
    Ok(out)
}

/// SHA-256 of every photo and signature the office captured.
pub fn blob_hashes(db: &Path) -> anyhow::Result<Vec<String>> {
    let c = open(db)?;
    let mut st = c.prepare(
        "SELECT DISTINCT sha256 FROM biometrik WHERE modality IN ('face', 'signature') ORDER BY 1",
    )?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The decision (keputusan) of a document at the office, if any, as JSON.
pub fn keputusan(db: &Path, id: &str) -> anyhow::Result<Option<serde_json::Value>> {
    let c = open(db)?;
    let bytes: Vec<u8> = c.query_row(
        "SELECT doc FROM permohonan_doc WHERE permohonan_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let doc = rekam_shared::document::PermohonanDoc::load(&bytes)?;
    Ok(doc
        .keputusan()?
        .map(|k| serde_json::to_value(k).unwrap_or_default()))
}
