//! Downloads (unduhan) from the hub for an office restored from a backup: the biometric rows
//! follow the document's biometric section, and the photos and signatures it references come
//! back as blobs (migration `0110_unduh.sql`).
//!
//! When a document from the hub carries captures the office's `biometrik` rows lack
//! ([`ikuti_biometrik`]), the templates (inline in the document) become rows at once, and each
//! photo or signature (a [`BlobRef`] by SHA-256) is queued in `sync_unduh_blob`. The daemon
//! downloads the queue (`GET /v1/blobs/{sha256}/data?permohonan=ID&offset=N`), keeping the bytes
//! received so far, so a cut download resumes where it stopped ([`simpan`]); only bytes that
//! hash to the reference become the `biometrik` row. The document carries neither the capture
//! quality nor its time: rows rebuilt here have quality 0 and the time they were rebuilt.

use rekam_shared::document::{BlobRef, PermohonanDoc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::SyncError;

/// One queued download: which capture position, which blob, how much has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unduhan {
    /// The application the capture belongs to (the hub checks it is this office's).
    pub permohonan_id: String,
    /// `face` or `signature`.
    pub modality: String,
    /// Capture position (`face`, `signature`).
    pub position: String,
    /// Lowercase hex SHA-256 of the blob.
    pub sha256: String,
    /// Size the document declares, bytes.
    pub size: u64,
    /// Bytes received so far (resume from here).
    pub received: u64,
}

/// What [`simpan`] did with the bytes received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disimpan {
    /// Stored; more bytes to come.
    Sebagian,
    /// Complete and verified: now the application's `biometrik` row.
    Selesai,
    /// The bytes did not hash to the reference (or were too many): discarded, start again.
    Rusak,
    /// The queue row changed meanwhile (another reference, or gone): nothing stored.
    Usang,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn sha_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 of each capture row of an application, by (modality, position).
fn stored_shas(
    conn: &Connection,
    id: &str,
) -> Result<std::collections::BTreeMap<(String, String), String>, SyncError> {
    let mut st = conn.prepare_cached(
        "SELECT modality, position, sha256 FROM biometrik WHERE permohonan_id = ?1",
    )?;
    let rows = st.query_map([id], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn put_row(
    conn: &Connection,
    id: &str,
    (modality, position, format): (&str, &str, &str),
    sha256: &str,
    data: &[u8],
) -> Result<(), SyncError> {
    // Delete + insert, as the desk does (the sync triggers use OR IGNORE).
    conn.execute(
        "DELETE FROM biometrik WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
        params![id, modality, position],
    )?;
    conn.execute(
        "INSERT INTO biometrik(permohonan_id, modality, position, format, quality, sha256, data,
            captured_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)",
        params![id, modality, position, format, sha256, data, now()],
    )?;
    Ok(())
}

/// Brings the `biometrik` rows of the document's application up to its biometric section:
/// templates are written now, photos and signatures queued for download. Rows that already
/// hold the same bytes are left alone. Returns how many downloads were queued. The
/// application's rows must exist.
pub fn ikuti_biometrik(conn: &Connection, doc: &PermohonanDoc) -> Result<usize, SyncError> {
    let id = doc.id().map_err(|e| SyncError::Document {
        id: "?".into(),
        reason: e.to_string(),
    })?;
    let bio = match doc.biometrik() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(permohonan = %id, reason = %e, "biometric section not readable");
            return Ok(0);
        }
    };
    let stored = stored_shas(conn, &id)?;
    let same = |m: &str, p: &str, sha: &str| {
        stored
            .get(&(m.to_owned(), p.to_owned()))
            .map(String::as_str)
            == Some(sha)
    };
    for (position, data) in &bio.sidik_jari {
        let sha = sha_hex(data);
        if !same("finger", position, &sha) {
            put_row(conn, &id, ("finger", position, "iso-19794-2"), &sha, data)?;
        }
    }
    for (eye, text) in &bio.iris {
        let position = if eye == "kiri" {
            "left-iris"
        } else {
            "right-iris"
        };
        let sha = sha_hex(text.as_bytes());
        if !same("iris", position, &sha) {
            put_row(
                conn,
                &id,
                ("iris", position, "rekam-iris"),
                &sha,
                text.as_bytes(),
            )?;
        }
    }
    let mut queued = 0;
    let blobs: [(&str, &str, Option<&BlobRef>); 2] = [
        ("face", "jpeg", bio.foto.as_ref()),
        ("signature", "png", bio.tanda_tangan.as_ref()),
    ];
    for (modality, format, blob) in blobs {
        let Some(b) = blob else { continue };
        if !rekam_shared::wire::is_sha256_hex(&b.sha256) || same(modality, modality, &b.sha256) {
            continue;
        }
        // A new reference replaces a queued older one (and its partial bytes).
        let n = conn.execute(
            "INSERT INTO sync_unduh_blob(permohonan_id, modality, position, format, sha256, size,
                queued_at) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(permohonan_id, modality, position) DO UPDATE SET
                sha256 = excluded.sha256, size = excluded.size, data = x'',
                queued_at = excluded.queued_at
             WHERE sync_unduh_blob.sha256 <> excluded.sha256",
            params![id, modality, format, b.sha256, b.size as i64, now()],
        )?;
        queued += n;
    }
    Ok(queued)
}

/// The next queued downloads, oldest first.
pub fn antrian(conn: &Connection, limit: usize) -> Result<Vec<Unduhan>, SyncError> {
    let mut st = conn.prepare_cached(
        "SELECT permohonan_id, modality, position, sha256, size, length(data)
         FROM sync_unduh_blob ORDER BY queued_at, permohonan_id, modality LIMIT ?1",
    )?;
    let rows = st.query_map([limit as i64], |r| {
        Ok(Unduhan {
            permohonan_id: r.get(0)?,
            modality: r.get(1)?,
            position: r.get(2)?,
            sha256: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            received: r.get::<_, i64>(5)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Appends `bytes` (received from `u.received` on) to the queued download; once the declared
/// size is reached, checks the SHA-256 and turns the bytes into the application's `biometrik`
/// row (the hub has this blob: it is not queued for upload again). Runs in the writer.
pub fn simpan(conn: &Connection, u: &Unduhan, bytes: &[u8]) -> Result<Disimpan, SyncError> {
    let key = params![
        u.permohonan_id,
        u.modality,
        u.position,
        u.sha256,
        u.received as i64
    ];
    let row: Option<(String, i64)> = conn
        .query_row(
            "SELECT format, size FROM sync_unduh_blob WHERE permohonan_id = ?1 AND modality = ?2
             AND position = ?3 AND sha256 = ?4 AND length(data) = ?5",
            key,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((format, size)) = row else {
        return Ok(Disimpan::Usang);
    };
    let total = u.received + bytes.len() as u64;
    let reset = |why: &str| -> Result<Disimpan, SyncError> {
        tracing::error!(
            permohonan = %u.permohonan_id,
            blob = %u.sha256,
            reason = why,
            "downloaded blob discarded"
        );
        conn.execute(
            "UPDATE sync_unduh_blob SET data = x'' WHERE permohonan_id = ?1 AND modality = ?2
             AND position = ?3",
            params![u.permohonan_id, u.modality, u.position],
        )?;
        Ok(Disimpan::Rusak)
    };
    if total > size as u64 {
        return reset("more bytes than the document declares");
    }
    conn.execute(
        "UPDATE sync_unduh_blob SET data = CAST(data || ?4 AS BLOB)
         WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
        params![u.permohonan_id, u.modality, u.position, bytes],
    )?;
    if total < size as u64 {
        return Ok(Disimpan::Sebagian);
    }
    let data: Vec<u8> = conn.query_row(
        "SELECT data FROM sync_unduh_blob WHERE permohonan_id = ?1 AND modality = ?2
         AND position = ?3",
        params![u.permohonan_id, u.modality, u.position],
        |r| r.get(0),
    )?;
    if sha_hex(&data) != u.sha256 {
        return reset("content does not match its SHA-256");
    }
    put_row(
        conn,
        &u.permohonan_id,
        (&u.modality, &u.position, &format),
        &u.sha256,
        &data,
    )?;
    conn.execute(
        "DELETE FROM sync_blob_outbox WHERE sha256 = ?1",
        [&u.sha256],
    )?;
    conn.execute(
        "DELETE FROM sync_unduh_blob WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
        params![u.permohonan_id, u.modality, u.position],
    )?;
    Ok(Disimpan::Selesai)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_shared::document::Biometrik;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_writer(&dir.path().join("a.db")).unwrap();
        // Only the capture and download tables matter: no permohonan rows behind them.
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        (dir, conn)
    }

    fn captures(c: &Connection) -> Vec<(String, String, String, Vec<u8>)> {
        let mut st = c
            .prepare("SELECT modality, position, sha256, data FROM biometrik ORDER BY modality, position")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn rows_follow_the_biometric_section_and_a_cut_download_resumes_verified() {
        let (_d, c) = db();
        let photo: Vec<u8> = (0..3000u32).map(|i| (i % 253) as u8).collect();
        let mut doc = PermohonanDoc::new("130101-p1", "130101").unwrap();
        doc.set_biometrik(&Biometrik {
            sidik_jari: [("right-thumb".to_owned(), vec![1, 2, 3])].into(),
            iris: [("kiri".to_owned(), "iris-code".to_owned())].into(),
            foto: Some(BlobRef {
                sha256: sha_hex(&photo),
                size: photo.len() as u64,
                media_type: "image/jpeg".into(),
            }),
            tanda_tangan: None,
        })
        .unwrap();
        assert_eq!(ikuti_biometrik(&c, &doc).unwrap(), 1, "the photo is queued");
        assert_eq!(ikuti_biometrik(&c, &doc).unwrap(), 0, "queued once");
        let rows = captures(&c);
        assert_eq!(rows.len(), 2, "templates at once: {rows:?}");
        assert_eq!(rows[0].3, vec![1, 2, 3]);
        assert_eq!(rows[1].1, "left-iris");
        // A first download is cut after 1000 bytes: kept, and the next one resumes there.
        let u = antrian(&c, 10).unwrap().remove(0);
        assert_eq!((u.received, u.size), (0, 3000));
        assert_eq!(simpan(&c, &u, &photo[..1000]).unwrap(), Disimpan::Sebagian);
        let u = antrian(&c, 10).unwrap().remove(0);
        assert_eq!(u.received, 1000);
        // A stale resume (from the old offset) stores nothing.
        let stale = Unduhan {
            received: 0,
            ..u.clone()
        };
        assert_eq!(simpan(&c, &stale, &photo).unwrap(), Disimpan::Usang);
        // Bytes that do not hash to the reference are discarded, not stored.
        let mut bad = photo[1000..].to_vec();
        bad[5] ^= 1;
        assert_eq!(simpan(&c, &u, &bad).unwrap(), Disimpan::Rusak);
        assert_eq!(captures(&c).len(), 2);
        let u = antrian(&c, 10).unwrap().remove(0);
        assert_eq!(u.received, 0, "start again");
        assert_eq!(simpan(&c, &u, &photo[..2000]).unwrap(), Disimpan::Sebagian);
        let u = antrian(&c, 10).unwrap().remove(0);
        assert_eq!(simpan(&c, &u, &photo[2000..]).unwrap(), Disimpan::Selesai);
        assert!(antrian(&c, 10).unwrap().is_empty());
        let rows = captures(&c);
        assert_eq!(rows[0].0, "face");
        assert_eq!(rows[0].3, photo, "byte-equal");
        assert_eq!(
            ikuti_biometrik(&c, &doc).unwrap(),
            0,
            "nothing more to fetch"
        );
        let queued: i64 = c
            .query_row("SELECT count(*) FROM sync_blob_outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(queued, 0, "a blob from the hub is not uploaded back");
    }
}
