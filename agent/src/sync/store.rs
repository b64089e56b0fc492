//! The sync daemon's tables in the office database (migration `0100_sync.sql`) and the
//! document operations it performs on them.
//!
//! Every function takes a plain connection or transaction; the daemon calls them through the
//! agent's single writer ([`crate::db::Db::write`]) or its read pool, so desks are never blocked
//! for longer than one batch.

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc as _};
use rekam_shared::document::PermohonanDoc;
use rusqlite::{Connection, OptionalExtension, params};

use super::SyncError;

/// Keys of `sync_meta`.
pub mod meta {
    /// Cursor in the hub's change feed.
    pub const CURSOR: &str = "cursor";
    /// Last successful round (RFC 3339).
    pub const LAST_SUCCESS: &str = "last_success";
    /// Last error message (empty after a success).
    pub const LAST_ERROR: &str = "last_error";
    /// Last round attempt (RFC 3339).
    pub const LAST_ATTEMPT: &str = "last_attempt";
    /// `1` when the last round reached the hub.
    pub const ONLINE: &str = "online";
    /// Set by `rekam-agent sync now` (RFC 3339 of the request).
    pub const FORCE: &str = "force_requested";
    /// Bytes sent to the hub, total.
    pub const BYTES_SENT: &str = "bytes_sent";
    /// Bytes received from the hub, total.
    pub const BYTES_RECEIVED: &str = "bytes_received";
    /// When the database was last restored from a backup (RFC 3339), set by `restore`.
    pub const RESTORED_AT: &str = "restored_at";
    /// Present while a restored office walks the hub's full listing of its documents: the last
    /// id listed (empty: from the start). Set by `restore`, removed after the last page.
    pub const LISTING: &str = "listing_after";
}

/// Reads a `sync_meta` value.
pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, SyncError> {
    Ok(conn
        .query_row("SELECT value FROM sync_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Writes a `sync_meta` value.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO sync_meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Adds `n` to a numeric `sync_meta` counter.
pub fn add_meta(conn: &Connection, key: &str, n: u64) -> Result<(), SyncError> {
    let cur: u64 = get_meta(conn, key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    set_meta(conn, key, &(cur + n).to_string())
}

/// The next documents waiting to be synced (not parked as refused), oldest first.
pub fn outbox_batch(
    conn: &Connection,
    limit: usize,
    skip: &[String],
) -> Result<Vec<String>, SyncError> {
    let mut st = conn.prepare_cached(
        "SELECT permohonan_id FROM sync_outbox WHERE refused IS NULL ORDER BY queued_at, permohonan_id",
    )?;
    let mut out = Vec::new();
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    for id in rows {
        let id = id?;
        if !skip.contains(&id) {
            out.push(id);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// What is waiting for the hub.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Documents queued.
    pub docs: u64,
    /// Their saved size, bytes.
    pub doc_bytes: u64,
    /// Blobs queued.
    pub blobs: u64,
    /// Their size, bytes.
    pub blob_bytes: u64,
}

/// Counts what is waiting: documents and blobs, with their bytes.
pub fn waiting(conn: &Connection) -> Result<Waiting, SyncError> {
    let (docs, doc_bytes): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM((SELECT length(doc) FROM permohonan_doc d
             WHERE d.permohonan_id = o.permohonan_id)), 0)
         FROM sync_outbox o WHERE refused IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (blobs, blob_bytes): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM((SELECT length(data) FROM biometrik b
             WHERE b.sha256 = o.sha256 LIMIT 1)), 0) FROM sync_blob_outbox o",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Waiting {
        docs: docs as u64,
        doc_bytes: doc_bytes as u64,
        blobs: blobs as u64,
        blob_bytes: blob_bytes as u64,
    })
}

/// Documents the hub refused, with the reason.
pub fn refused(conn: &Connection) -> Result<Vec<(String, String)>, SyncError> {
    let mut st = conn.prepare(
        "SELECT permohonan_id, refused FROM sync_outbox WHERE refused IS NOT NULL ORDER BY permohonan_id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Loads a document's bytes.
pub fn load_doc(conn: &Connection, id: &str) -> Result<Option<AutoCommit>, SyncError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT doc FROM permohonan_doc WHERE permohonan_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    bytes
        .map(|b| {
            AutoCommit::load(&b).map_err(|e| SyncError::Document {
                id: id.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Loads the persisted sync state of a document (fresh if none).
pub fn load_state(conn: &Connection, id: &str) -> Result<State, SyncError> {
    let b: Option<Vec<u8>> = conn
        .query_row(
            "SELECT state FROM sync_doc_state WHERE permohonan_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(b.and_then(|b| State::decode(&b).ok()).unwrap_or_default())
}

fn save_state(conn: &Connection, id: &str, state: &State) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO sync_doc_state(permohonan_id, state) VALUES (?1, ?2)
         ON CONFLICT(permohonan_id) DO UPDATE SET state = excluded.state",
        params![id, state.encode()],
    )?;
    Ok(())
}

/// Generates the next message for a document (None: nothing to say, or unknown document).
pub fn generate(
    conn: &Connection,
    id: &str,
    state: &mut State,
) -> Result<Option<Vec<u8>>, SyncError> {
    // A document the hub told this office about but that the office does not have (an
    // application made after the backup it was restored from): ask for it from nothing.
    let mut doc = load_doc(conn, id)?.unwrap_or_default();
    Ok(doc.sync().generate_sync_message(state).map(Message::encode))
}

/// Applies the hub's message to a document inside the writer's transaction, saving the
/// document if it changed and the sync state, and bringing the application's rows up to the
/// document ([`super::rows::ikuti`]; `offset` is the office's UTC offset). A document this
/// office does not have is received into an empty one and stored, with rows built from it,
/// as soon as it holds a whole application. Returns whether the document changed.
pub fn apply(
    conn: &Connection,
    id: &str,
    message: &[u8],
    state: &mut State,
    offset: chrono::FixedOffset,
) -> Result<bool, SyncError> {
    let stored = load_doc(conn, id)?;
    let known = stored.is_some();
    let mut doc = stored.unwrap_or_default();
    let msg = Message::decode(message).map_err(|e| SyncError::Hub(format!("message: {e}")))?;
    let before = doc.get_heads();
    doc.sync()
        .receive_sync_message(state, msg)
        .map_err(|e| SyncError::Document {
            id: id.to_owned(),
            reason: e.to_string(),
        })?;
    let changed = doc.get_heads() != before;
    if changed {
        let bytes = doc.save();
        let view = PermohonanDoc::from_automerge(doc);
        if !known && view.id().ok().as_deref() != Some(id) {
            // Not yet a whole application (or not the one asked for): nothing is stored,
            // and the exchange starts again from nothing.
            *state = State::new();
            return Ok(false);
        }
        match super::rows::ikuti(conn, &view, offset)? {
            super::rows::Ikuti::Belum(why) if !known => {
                tracing::warn!(permohonan = %id, reason = %why, "hub's document not yet usable");
                *state = State::new();
                return Ok(false);
            }
            super::rows::Ikuti::Belum(why) | super::rows::Ikuti::Bercabang(why) => {
                tracing::error!(permohonan = %id, reason = %why, "rows not brought up to the document");
            }
            _ => {
                // The captures follow too (photos and signatures queued for download).
                super::unduh::ikuti_biometrik(conn, &view)?;
            }
        }
        conn.execute(
            "INSERT INTO permohonan_doc(permohonan_id, doc) VALUES (?1, ?2)
             ON CONFLICT(permohonan_id) DO UPDATE SET doc = excluded.doc",
            params![id, bytes],
        )?;
    }
    save_state(conn, id, state)?;
    // The exchange this message opened is not over until the document goes quiet (`finish`).
    // Queue it, in this transaction, so that a restart in between resumes it: the hub's feed
    // cursor moves past it now, and a first message often carries only the hub's heads, not
    // yet its changes (a decision from district dedup would otherwise never arrive).
    conn.execute(
        "INSERT INTO sync_outbox(permohonan_id, queued_at)
         VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT(permohonan_id) DO NOTHING",
        [id],
    )?;
    Ok(changed)
}

/// Records one page of the hub's full listing (restored office): every listed document this
/// office lacks is queued, so the daemon asks the hub for it from nothing, and the listing
/// moves past the page (or ends), in the caller's transaction, so a cut resumes at the page.
/// `None`: the hub sent no page (the walk ends). Returns where the walk goes on, if it does.
pub fn record_listing(
    conn: &Connection,
    page: Option<&rekam_shared::wire::Listing>,
) -> Result<Option<String>, SyncError> {
    let Some(page) = page else {
        tracing::warn!("the hub sent no listing page; the listing walk ends");
        conn.execute("DELETE FROM sync_meta WHERE key = ?1", [meta::LISTING])?;
        return Ok(None);
    };
    let mut queued = 0;
    for id in &page.ids {
        queued += conn.execute(
            "INSERT INTO sync_outbox(permohonan_id, queued_at)
             SELECT ?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE NOT EXISTS (SELECT 1 FROM permohonan_doc WHERE permohonan_id = ?1)
             ON CONFLICT(permohonan_id) DO NOTHING",
            [id],
        )?;
    }
    tracing::info!(
        listed = page.ids.len(),
        queued,
        more = page.more,
        "hub's listing page: documents this office lacks queued"
    );
    match (page.more, page.ids.last()) {
        (true, Some(last)) => {
            set_meta(conn, meta::LISTING, last)?;
            Ok(Some(last.clone()))
        }
        _ => {
            conn.execute("DELETE FROM sync_meta WHERE key = ?1", [meta::LISTING])?;
            Ok(None)
        }
    }
}

/// Marks a document done if the hub has everything it has (its heads are the shared heads);
/// otherwise it stays queued. Runs in the writer, so no desk write can slip in between.
pub fn finish(conn: &Connection, id: &str, state: &State) -> Result<bool, SyncError> {
    save_state(conn, id, state)?;
    let Some(mut doc) = load_doc(conn, id)? else {
        conn.execute("DELETE FROM sync_outbox WHERE permohonan_id = ?1", [id])?;
        return Ok(true);
    };
    let mut heads = doc.get_heads();
    let mut shared = state.shared_heads.clone();
    heads.sort();
    shared.sort();
    if heads == shared {
        conn.execute("DELETE FROM sync_outbox WHERE permohonan_id = ?1", [id])?;
        // Caught up with the hub after a restore: the desk may continue this application.
        conn.execute("DELETE FROM sync_pulih WHERE permohonan_id = ?1", [id])?;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Whether an application restored from a backup still waits for its exchange with the hub
/// (see `crate::db::backup::prepare_resync`).
pub fn menunggu_pulih(conn: &Connection, id: &str) -> Result<bool, SyncError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sync_pulih WHERE permohonan_id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

/// Parks a refused document until it changes again.
pub fn mark_refused(conn: &Connection, id: &str, reason: &str) -> Result<(), SyncError> {
    conn.execute(
        "UPDATE sync_outbox SET refused = ?2 WHERE permohonan_id = ?1",
        params![id, reason],
    )?;
    // The hub will not take it: holding the desk back would hold it back for good.
    conn.execute("DELETE FROM sync_pulih WHERE permohonan_id = ?1", [id])?;
    Ok(())
}

/// The next blobs waiting for upload.
pub fn blob_batch(conn: &Connection, limit: usize) -> Result<Vec<String>, SyncError> {
    let mut st =
        conn.prepare_cached("SELECT sha256 FROM sync_blob_outbox ORDER BY queued_at LIMIT ?1")?;
    let rows = st.query_map([limit as i64], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// A blob's bytes (from the biometric captures).
pub fn blob_data(conn: &Connection, sha256: &str) -> Result<Option<Vec<u8>>, SyncError> {
    Ok(conn
        .query_row(
            "SELECT data FROM biometrik WHERE sha256 = ?1 LIMIT 1",
            [sha256],
            |r| r.get(0),
        )
        .optional()?)
}

/// Marks a blob as complete at the hub.
pub fn blob_done(conn: &Connection, sha256: &str) -> Result<(), SyncError> {
    conn.execute("DELETE FROM sync_blob_outbox WHERE sha256 = ?1", [sha256])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc7() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_writer(&dir.path().join("a.db")).unwrap();
        // Only the sync tables matter here: no permohonan rows behind the documents.
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        (dir, conn)
    }

    fn put_doc(c: &Connection, doc: &mut PermohonanDoc) {
        c.execute(
            "INSERT INTO permohonan_doc(permohonan_id, doc) VALUES (?1, ?2)
             ON CONFLICT(permohonan_id) DO UPDATE SET doc = excluded.doc",
            params![doc.id().unwrap(), doc.save()],
        )
        .unwrap();
    }

    #[test]
    fn triggers_queue_documents_and_blobs() {
        let (_d, c) = db();
        let mut d = PermohonanDoc::new("p1", "130101").unwrap();
        put_doc(&c, &mut d);
        assert_eq!(outbox_batch(&c, 10, &[]).unwrap(), vec!["p1"]);
        c.execute(
            "INSERT INTO biometrik(permohonan_id, modality, position, format, quality, sha256, data, captured_at)
             VALUES ('p1', 'face', 'face', 'jpeg', 90, 'ab', x'0102', 't'),
                    ('p1', 'finger', 'x', 'iso', 90, 'cd', x'03', 't')",
            [],
        )
        .unwrap();
        assert_eq!(
            blob_batch(&c, 10).unwrap(),
            vec!["ab"],
            "templates are not blobs"
        );
        assert_eq!(blob_data(&c, "ab").unwrap(), Some(vec![1, 2]));
        let w = waiting(&c).unwrap();
        assert_eq!((w.docs, w.blobs, w.blob_bytes), (1, 1, 2));
        assert!(w.doc_bytes > 0);
        blob_done(&c, "ab").unwrap();
        let w = waiting(&c).unwrap();
        assert_eq!((w.docs, w.blobs, w.blob_bytes), (1, 0, 0));
    }

    #[test]
    fn a_document_leaves_the_outbox_only_when_the_hub_has_its_heads() {
        let (_d, c) = db();
        let mut d = PermohonanDoc::new("p1", "130101").unwrap();
        put_doc(&c, &mut d);
        let mut st = State::new();
        assert!(!finish(&c, "p1", &st).unwrap(), "nothing shared yet");
        st.shared_heads = d.heads();
        assert!(finish(&c, "p1", &st).unwrap());
        assert!(outbox_batch(&c, 10, &[]).unwrap().is_empty());
        // A desk edit queues it again, and the old shared heads no longer suffice.
        d.set_penduduk(&serde_json::json!({"nama": "A"})).unwrap();
        put_doc(&c, &mut d);
        assert_eq!(outbox_batch(&c, 10, &[]).unwrap(), vec!["p1"]);
        assert!(!finish(&c, "p1", &st).unwrap());
    }

    #[test]
    fn a_hub_message_keeps_the_document_queued_until_the_exchange_is_over() {
        let (_d, c) = db();
        // The office's copy, in sync with the hub (not queued).
        let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
        put_doc(&c, &mut office);
        let mut hub = PermohonanDoc::load(&office.save()).unwrap();
        let mut st = State::new();
        st.shared_heads = office.heads();
        assert!(finish(&c, "130101-p1", &st).unwrap());
        assert!(outbox_batch(&c, 10, &[]).unwrap().is_empty());
        // The hub writes a decision; its first message carries its heads, not the change.
        hub.set_keputusan(&rekam_shared::document::Keputusan {
            hasil: rekam_shared::document::HasilDedup::Unik,
            oleh: "sistem".into(),
            waktu: chrono::Utc::now(),
            catatan: String::new(),
            duplikat_dari: vec![],
            jenis: None,
            dasar: None,
        })
        .unwrap();
        let mut hub_state = State::new();
        let first = hub
            .automerge()
            .sync()
            .generate_sync_message(&mut hub_state)
            .unwrap();
        let changed = apply(&c, "130101-p1", &first.encode(), &mut st, utc7()).unwrap();
        assert!(!changed, "no change yet");
        // Killed here, the office still knows it has an exchange to finish.
        assert_eq!(outbox_batch(&c, 10, &[]).unwrap(), vec!["130101-p1"]);
    }

    #[test]
    fn refused_documents_are_parked_until_they_change() {
        let (_d, c) = db();
        let mut d = PermohonanDoc::new("p1", "130101").unwrap();
        put_doc(&c, &mut d);
        mark_refused(&c, "p1", "field `keputusan` is not writable").unwrap();
        assert!(outbox_batch(&c, 10, &[]).unwrap().is_empty());
        assert_eq!(refused(&c).unwrap().len(), 1);
        d.set_penduduk(&serde_json::json!({"nama": "B"})).unwrap();
        put_doc(&c, &mut d);
        assert_eq!(outbox_batch(&c, 10, &[]).unwrap(), vec!["p1"]);
        assert!(refused(&c).unwrap().is_empty());
    }

    #[test]
    fn meta_values_and_counters() {
        let (_d, c) = db();
        assert_eq!(get_meta(&c, meta::CURSOR).unwrap(), None);
        set_meta(&c, meta::CURSOR, "7").unwrap();
        add_meta(&c, meta::CURSOR, 3).unwrap();
        assert_eq!(get_meta(&c, meta::CURSOR).unwrap().as_deref(), Some("10"));
    }
}
