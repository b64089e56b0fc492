//! Rows follow the document: when a document received from the hub carries what the office's
//! rows lack (events recorded after the backup the office was restored from, a resident's
//! newer data, a whole application the backup does not have), the rows are brought up to the
//! document in the same transaction as the document is stored.
//!
//! The document is the truth that syncs; the rows are the desk's view of it. The state is
//! derived by replaying the document's events through the SOP state machine
//! ([`Permohonan::replay`], [`Permohonan::apply_riwayat`]): no rule is decided here. The desk's own
//! columns that events carry (queue number and its day, proof-of-recording number) are taken
//! from the events; the daily queue counter is moved past a queue number that came back, so
//! the desk does not issue it twice.

use chrono::FixedOffset;
use rekam_shared::document::PermohonanDoc;
use rekam_shared::penduduk::Penduduk;
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::{Aksi, Peristiwa, Permohonan};
use rusqlite::{Connection, OptionalExtension, params};

use super::SyncError;
use crate::desk::store as rows;

/// What following a document did to the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ikuti {
    /// The rows already show what the document holds.
    Sama,
    /// The rows of an existing application were brought up to the document.
    Diperbarui {
        /// Events added to the rows.
        peristiwa_baru: usize,
    },
    /// The application was new to this office: its rows were created from the document.
    Dibuat,
    /// The document cannot be shown at the desk (yet): no resident data or no events, or
    /// events the state machine refuses. Nothing was written.
    Belum(String),
    /// The rows hold events the document does not (or in another order): they were left as
    /// they are and the application needs a person (logged).
    Bercabang(String),
}

fn err(id: &str, reason: impl std::fmt::Display) -> SyncError {
    SyncError::Document {
        id: id.to_owned(),
        reason: reason.to_string(),
    }
}

/// Brings the rows of the document's application up to the document. `offset` is the office's
/// UTC offset (the local day of queue numbers and of step 1). The caller stores the document.
pub fn ikuti(
    conn: &Connection,
    doc: &PermohonanDoc,
    offset: FixedOffset,
) -> Result<Ikuti, SyncError> {
    let id = doc.id().map_err(|e| err("?", e))?;
    let kecamatan: KodeKecamatan = match doc.kecamatan().map_err(|e| err(&id, e))?.parse() {
        Ok(k) => k,
        Err(e) => return Ok(Ikuti::Belum(format!("kecamatan: {e}"))),
    };
    let events: Vec<Peristiwa> = doc.peristiwa_as().map_err(|e| err(&id, e))?;
    let penduduk: Option<Penduduk> = doc.penduduk_as().map_err(|e| err(&id, e))?;
    let row = rows::load(conn, &id).map_err(|e| err(&id, e.error))?;
    let Some(row) = row else {
        return buat(conn, &id, kecamatan, penduduk, events, offset);
    };
    let lama = row.permohonan.peristiwa();
    if events.len() < lama.len() || events[..lama.len()] != *lama {
        let why = format!(
            "the office's {} events are not a prefix of the document's {}",
            lama.len(),
            events.len()
        );
        tracing::error!(permohonan = %id, reason = %why, "rows and document diverge");
        return Ok(Ikuti::Bercabang(why));
    }
    let penduduk = penduduk.unwrap_or_else(|| row.permohonan.penduduk().clone());
    let baru = &events[lama.len()..];
    if baru.is_empty() && penduduk == *row.permohonan.penduduk() {
        return Ok(Ikuti::Sama);
    }
    // Replay the rows' events with the document's resident, then apply the new ones one by
    // one: the state machine decides each state (and refuses what it does not allow).
    let mut p = match Permohonan::replay(id.clone(), kecamatan, penduduk, lama.to_vec()) {
        Ok(p) => p,
        Err(e) => return Ok(Ikuti::Belum(e.to_string())),
    };
    let now = now();
    let mut after = Vec::with_capacity(baru.len());
    for e in baru {
        if let Err(why) = p.apply_riwayat(e.clone()) {
            let why = format!("event {} refused: {why}", p.peristiwa().len());
            tracing::error!(permohonan = %id, reason = %why, "document events do not replay");
            return Ok(Ikuti::Bercabang(why));
        }
        after.push(p.status().nama());
    }
    rows::upsert_penduduk(conn, p.penduduk(), &now).map_err(|e| err(&id, e.error))?;
    conn.execute(
        "UPDATE permohonan SET nik = ?2, status = ?3, state = ?4, updated_at = ?5 WHERE id = ?1",
        params![
            id,
            p.penduduk().nik.to_string(),
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(|e| err(&id, e))?,
            now
        ],
    )?;
    for (e, status) in baru.iter().zip(after) {
        insert_event(conn, &id, e, status)?;
    }
    kolom_peristiwa(conn, &id, baru, offset)?;
    tracing::info!(
        permohonan = %id,
        peristiwa_baru = baru.len(),
        status = p.status().nama(),
        "rows follow the hub's document"
    );
    Ok(Ikuti::Diperbarui {
        peristiwa_baru: baru.len(),
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// Creates the rows of an application this office does not have.
fn buat(
    conn: &Connection,
    id: &str,
    kecamatan: KodeKecamatan,
    penduduk: Option<Penduduk>,
    events: Vec<Peristiwa>,
    offset: FixedOffset,
) -> Result<Ikuti, SyncError> {
    let Some(penduduk) = penduduk else {
        return Ok(Ikuti::Belum("no resident data yet".into()));
    };
    let Some(first) = events.first() else {
        return Ok(Ikuti::Belum("no events yet".into()));
    };
    let tanggal = first.waktu.with_timezone(&offset).date_naive().to_string();
    let mut p = match Permohonan::replay(id.to_owned(), kecamatan, penduduk, Vec::new()) {
        Ok(p) => p,
        Err(e) => return Ok(Ikuti::Belum(e.to_string())),
    };
    let mut after = Vec::with_capacity(events.len());
    for e in &events {
        if let Err(why) = p.apply_riwayat(e.clone()) {
            return Ok(Ikuti::Belum(format!(
                "event {} refused: {why}",
                p.peristiwa().len()
            )));
        }
        after.push(p.status().nama());
    }
    let now = now();
    rows::upsert_penduduk(conn, p.penduduk(), &now).map_err(|e| err(id, e.error))?;
    conn.execute(
        "INSERT INTO permohonan(id, nik, kecamatan, tanggal, status, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            p.penduduk().nik.to_string(),
            p.kecamatan().to_string(),
            tanggal,
            p.status().nama(),
            serde_json::to_string(&p.data()).map_err(|e| err(id, e))?,
            first.waktu.to_rfc3339(),
            now
        ],
    )?;
    for (e, status) in events.iter().zip(after) {
        insert_event(conn, id, e, status)?;
    }
    kolom_peristiwa(conn, id, &events, offset)?;
    tracing::info!(
        permohonan = %id,
        peristiwa = events.len(),
        status = p.status().nama(),
        "application rebuilt from the hub's document"
    );
    Ok(Ikuti::Dibuat)
}

fn insert_event(
    conn: &Connection,
    id: &str,
    e: &Peristiwa,
    status_after: &str,
) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO peristiwa(permohonan_id, at, operator, kind, status_after, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id,
            e.waktu.to_rfc3339(),
            e.operator,
            e.aksi.jenis().nama(),
            status_after,
            serde_json::to_string(e).map_err(|x| err(id, x))?
        ],
    )?;
    Ok(())
}

/// The desk columns that events carry: the queue number (and its local day) and the proof of
/// recording number. A number another application of this office already holds (issued by a
/// desk after the restore, before the hub's events came back) is not taken over: logged, and
/// the column keeps its value.
fn kolom_peristiwa(
    conn: &Connection,
    id: &str,
    events: &[Peristiwa],
    offset: FixedOffset,
) -> Result<(), SyncError> {
    for e in events {
        match &e.aksi {
            Aksi::NomorAntrianDiberikan { nomor_antrian } => {
                let n = nomor_antrian.0;
                let tanggal = e.waktu.with_timezone(&offset).date_naive().to_string();
                // The day's counter moves past the number, so the desk does not issue it again.
                conn.execute(
                    "INSERT INTO antrian_harian(tanggal, terakhir) VALUES (?1, ?2)
                     ON CONFLICT(tanggal) DO UPDATE SET terakhir = max(terakhir, excluded.terakhir)",
                    params![tanggal, n],
                )?;
                let holder: Option<String> = conn
                    .query_row(
                        "SELECT id FROM permohonan WHERE tanggal_antrian = ?1 AND nomor_antrian = ?2
                         AND id <> ?3",
                        params![tanggal, n, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                match holder {
                    None => {
                        conn.execute(
                            "UPDATE permohonan SET nomor_antrian = ?2, tanggal_antrian = ?3
                             WHERE id = ?1",
                            params![id, n, tanggal],
                        )?;
                    }
                    Some(other) => tracing::error!(
                        permohonan = %id,
                        lain = %other,
                        nomor_antrian = n,
                        "queue number of the hub's document already issued again at this office"
                    ),
                }
            }
            Aksi::PerekamanBerhasil { nomor_bukti } => {
                let holder: Option<String> = conn
                    .query_row(
                        "SELECT id FROM permohonan WHERE nomor_bukti = ?1 AND id <> ?2",
                        params![nomor_bukti, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                match holder {
                    None => {
                        conn.execute(
                            "UPDATE permohonan SET nomor_bukti = ?2 WHERE id = ?1",
                            params![id, nomor_bukti],
                        )?;
                    }
                    Some(other) => tracing::error!(
                        permohonan = %id,
                        lain = %other,
                        "proof number of the hub's document already issued again at this office"
                    ),
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::AutoCommit;
    use automerge::sync::{Message, State, SyncDoc as _};
    use chrono::{DateTime, TimeZone, Utc};
    use rekam_shared::penduduk::{JenisKelamin, StatusPerkawinan};
    use rekam_shared::workflow::{NomorAntrian, Peran};

    use crate::sync::store;

    const ID: &str = "130107-01JD000000000000000000TEST";

    fn utc7() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn t(menit: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap() + chrono::TimeDelta::minutes(menit)
    }

    fn ev(menit: i64, aksi: Aksi) -> Peristiwa {
        let peran = match aksi {
            Aksi::Dipanggil | Aksi::PerekamanBerhasil { .. } | Aksi::DiterimaPenduduk => {
                Peran::OperatorPerekaman
            }
            _ => Peran::OperatorRegistrasi,
        };
        Peristiwa::new(t(menit), "rina", peran, aksi)
    }

    fn penduduk() -> Penduduk {
        Penduduk {
            nik: "1301075208050003".parse().unwrap(),
            no_kk: "1301071504190007".parse().unwrap(),
            nama: "Siti Rahmah".into(),
            tempat_lahir: "Tarusan".into(),
            tanggal_lahir: chrono::NaiveDate::from_ymd_opt(2005, 8, 12).unwrap(),
            jenis_kelamin: JenisKelamin::Perempuan,
            status_perkawinan: StatusPerkawinan::BelumKawin,
            alamat: "Kampung Baru".into(),
            rt: 1,
            rw: 3,
            nagari: "Nanggalo".into(),
            kecamatan: "130107".parse().unwrap(),
        }
    }

    fn sampai_antrian() -> Vec<Peristiwa> {
        vec![
            ev(0, Aksi::PermohonanDibuat),
            ev(5, Aksi::BerkasDiterima),
            ev(10, Aksi::BerkasBenar),
            ev(
                12,
                Aksi::NomorAntrianDiberikan {
                    nomor_antrian: NomorAntrian(3),
                },
            ),
        ]
    }

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_writer(&dir.path().join("a.db")).unwrap();
        (dir, conn)
    }

    /// An application recorded at the desk with `events` (rows and document).
    fn at_desk(conn: &mut Connection, events: &[Peristiwa]) {
        let tx = conn.transaction().unwrap();
        let mut p = Permohonan::new(ID, "130107".parse().unwrap(), penduduk());
        p.apply(events[0].clone()).unwrap();
        rows::insert(&tx, &p, "2026-11-25", "t").unwrap();
        for e in &events[1..] {
            p.apply(e.clone()).unwrap();
            rows::save_event(&tx, &p, "t").unwrap();
        }
        // The desk's own columns, as `registrasi::set_antrian` writes them.
        kolom_peristiwa(&tx, ID, events, utc7()).unwrap();
        tx.commit().unwrap();
    }

    /// Runs the sync protocol between the office's stored document and `hub` until quiet.
    fn sync_with(conn: &Connection, hub: &mut AutoCommit) {
        let (mut office_state, mut hub_state) = (State::new(), State::new());
        for _ in 0..10 {
            let up = store::generate(conn, ID, &mut office_state).unwrap();
            if let Some(m) = &up {
                hub.sync()
                    .receive_sync_message(&mut hub_state, Message::decode(m).unwrap())
                    .unwrap();
            }
            let down = hub.sync().generate_sync_message(&mut hub_state);
            if let Some(m) = &down {
                store::apply(conn, ID, &m.clone().encode(), &mut office_state, utc7()).unwrap();
            }
            if up.is_none() && down.is_none() {
                return;
            }
        }
        panic!("sync did not go quiet");
    }

    #[test]
    fn rows_follow_the_hubs_newer_events_and_the_desk_continues_from_them() {
        let (_d, mut c) = db();
        at_desk(&mut c, &sampai_antrian());
        // The hub's copy has two events more (recorded after the backup this office came from).
        let mut hub = store::load_doc(&c, ID).unwrap().unwrap();
        let mut newer = sampai_antrian();
        newer.push(ev(14, Aksi::Dipanggil));
        newer.push(ev(
            18,
            Aksi::PerekamanBerhasil {
                nomor_bukti: "130107-20261125-0001".into(),
            },
        ));
        {
            let mut d = PermohonanDoc::from_automerge(hub.clone());
            d.append_peristiwa(&newer).unwrap();
            hub = d.into_automerge();
        }
        sync_with(&c, &mut hub);
        let row = rows::load(&c, ID).unwrap().unwrap();
        assert_eq!(row.permohonan.status().nama(), "terekam");
        assert_eq!(row.permohonan.peristiwa(), &newer[..]);
        assert_eq!(row.nomor_bukti.as_deref(), Some("130107-20261125-0001"));
        assert_eq!(row.nomor_antrian, Some(3));
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM peristiwa WHERE permohonan_id = ?1",
                [ID],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 6, "one event row per event, none twice");
        let terakhir: u32 = c
            .query_row(
                "SELECT terakhir FROM antrian_harian WHERE tanggal = '2026-11-25'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            terakhir >= 3,
            "queue counter moved past the returned number"
        );
        // The desk appends the next event to the document without EventsDiverge.
        let tx = c.transaction().unwrap();
        let mut p = row.permohonan;
        p.apply(ev(20, Aksi::DiterimaPenduduk)).unwrap();
        rows::save_event(&tx, &p, "t").unwrap();
        tx.commit().unwrap();
        let doc = PermohonanDoc::from_automerge(store::load_doc(&c, ID).unwrap().unwrap());
        assert_eq!(doc.peristiwa_as::<Peristiwa>().unwrap().len(), 7);
    }

    #[test]
    fn an_application_only_the_hub_has_is_rebuilt_from_its_document() {
        let (_d, c) = db();
        let mut hub = PermohonanDoc::new(ID, "130107").unwrap();
        hub.set_penduduk(&penduduk()).unwrap();
        hub.append_peristiwa(&sampai_antrian()).unwrap();
        let mut hub = hub.into_automerge();
        sync_with(&c, &mut hub);
        let row = rows::load(&c, ID)
            .unwrap()
            .expect("rows built from the document");
        assert_eq!(row.permohonan.status().nama(), "menunggu_perekaman");
        assert_eq!(row.tanggal, "2026-11-25");
        assert_eq!(row.nomor_antrian, Some(3));
        assert_eq!(row.tanggal_antrian.as_deref(), Some("2026-11-25"));
        let mut office = store::load_doc(&c, ID).unwrap().unwrap();
        assert_eq!(
            office.get_heads(),
            hub.get_heads(),
            "the hub's document, not a copy"
        );
        assert!(rows::penduduk(&c, "1301075208050003").unwrap().is_some());
    }

    #[test]
    fn rows_that_the_document_does_not_extend_are_left_alone() {
        let (_d, mut c) = db();
        let mut mine = sampai_antrian();
        mine.truncate(2);
        mine.push(ev(
            8,
            Aksi::BerkasDitolak {
                alasan: rekam_shared::workflow::AlasanPenolakan::BerkasTidakLengkap,
            },
        ));
        at_desk(&mut c, &mine);
        let mut other = PermohonanDoc::new(ID, "130107").unwrap();
        other.set_penduduk(&penduduk()).unwrap();
        other.append_peristiwa(&sampai_antrian()).unwrap();
        assert!(matches!(
            ikuti(&c, &other, utc7()).unwrap(),
            Ikuti::Bercabang(_)
        ));
        let row = rows::load(&c, ID).unwrap().unwrap();
        assert_eq!(row.permohonan.peristiwa(), &mine[..], "rows unchanged");
    }

    fn newest_change(doc: &mut AutoCommit) -> (automerge::ActorId, u64) {
        let heads = doc.get_heads();
        assert_eq!(heads.len(), 1);
        let ch = doc.get_change_by_hash(&heads[0]).unwrap();
        (ch.actor_id().clone(), ch.seq())
    }

    #[test]
    fn a_write_after_a_restore_never_reuses_a_change_the_hub_holds() {
        let (d, mut c) = db();
        let events = sampai_antrian();
        at_desk(&mut c, &events[..3]);
        let bak = d.path().join("bak.db");
        c.backup(rusqlite::MAIN_DB, &bak, None).unwrap();
        // After the backup: the queue number, synced to the hub.
        let tx = c.transaction().unwrap();
        let mut p = rows::load(&tx, ID).unwrap().unwrap().permohonan;
        p.apply(events[3].clone()).unwrap();
        rows::save_event(&tx, &p, "t").unwrap();
        tx.commit().unwrap();
        let mut hub = store::load_doc(&c, ID).unwrap().unwrap();
        // The disk dies; the backup comes back and the desk issues another number.
        c.restore(
            rusqlite::MAIN_DB,
            &bak,
            None::<fn(rusqlite::backup::Progress)>,
        )
        .unwrap();
        let tx = c.transaction().unwrap();
        let mut p = rows::load(&tx, ID).unwrap().unwrap().permohonan;
        p.apply(ev(
            13,
            Aksi::NomorAntrianDiberikan {
                nomor_antrian: NomorAntrian(7),
            },
        ))
        .unwrap();
        rows::save_event(&tx, &p, "t").unwrap();
        tx.commit().unwrap();
        let mut office = store::load_doc(&c, ID).unwrap().unwrap();
        assert_ne!(
            newest_change(&mut office),
            newest_change(&mut hub),
            "the same (actor, seq) for two different changes"
        );
        // Both changes survive a merge (a conflict for a person, not a lost change).
        office.merge(&mut hub).unwrap();
        assert_eq!(office.get_heads().len(), 2);
    }

    #[test]
    fn the_desk_waits_for_the_hub_on_a_restored_application() {
        let (_d, mut c) = db();
        let events = sampai_antrian();
        at_desk(&mut c, &events[..3]);
        c.execute(
            "INSERT INTO sync_pulih(permohonan_id, restored_at) VALUES (?1, 't')",
            [ID],
        )
        .unwrap();
        let tx = c.transaction().unwrap();
        let mut p = rows::load(&tx, ID).unwrap().unwrap().permohonan;
        p.apply(events[3].clone()).unwrap();
        let e = rows::save_event(&tx, &p, "t").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::CONFLICT, "{}", e.error);
        drop(tx);
        c.execute("DELETE FROM sync_pulih", []).unwrap();
        let tx = c.transaction().unwrap();
        rows::save_event(&tx, &p, "t").unwrap();
        tx.commit().unwrap();
    }
}
