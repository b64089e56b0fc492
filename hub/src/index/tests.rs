//! Tests of the district index on a real SQLite storage: documents arrive through the real
//! sync [`crate::sync::process`], decisions through [`crate::sync::decide`].

use automerge::sync::{Message, State, SyncDoc as _};
use rekam_shared::bio::synth::IrisSynth;
use rekam_shared::document::{Biometrik, HasilDedup, Keputusan, PermohonanDoc};
use rekam_shared::index::{BagianIndeks, PermintaanIndeks};
use rekam_shared::wire::{DocMessage, EXT_DISTRICT_INDEX, SyncRequest, SyncResponse, extension};
use rekam_shared::workflow::contoh::kunjungan_lancar;
use rekam_shared::workflow::{Aksi, Peran, Peristiwa};
use serde_json::json;

use super::*;
use crate::pki::PeerIdentity;
use crate::storage::sqlite::SqliteStorage;

fn hub() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
    (dir, s)
}

fn ev(menit: i64, peran: Peran, aksi: Aksi) -> Peristiwa {
    let waktu = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap()
        + chrono::TimeDelta::minutes(menit);
    Peristiwa::new(waktu, "op", peran, aksi)
}

/// A visit's events, up to a successful recording if `recorded`.
fn events(recorded: bool) -> Vec<Peristiwa> {
    let t0 = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let mut e = kunjungan_lancar(t0, "op", "op", 1, "B-1");
    e.truncate(if recorded { 6 } else { 4 });
    e
}

const NIK: &str = "1301014101900001";

fn doc(id: &str, kec: &str, who: u64, recorded: bool) -> PermohonanDoc {
    let synth = IrisSynth::new(IRIS_SHAPE);
    let mut d = PermohonanDoc::new(id, kec).unwrap();
    d.set_penduduk(&json!({"nama": "Warga", "nik": NIK}))
        .unwrap();
    d.append_peristiwa(&events(recorded)).unwrap();
    d.set_biometrik(&Biometrik {
        sidik_jari: Default::default(),
        iris: synth.capture_dokumen(who, 0),
        foto: None,
        tanda_tangan: None,
    })
    .unwrap();
    d
}

/// Syncs `d` of office `kec` until it has nothing more to say (through the wire encoding).
fn sync(s: &SqliteStorage, kec: &str, id: &str, d: &mut PermohonanDoc) {
    let peer = PeerIdentity {
        kecamatan: kec.into(),
        serial: "01".into(),
    };
    let mut st = State::new();
    for _ in 0..10 {
        let Some(msg) = d.automerge().sync().generate_sync_message(&mut st) else {
            return;
        };
        let req = SyncRequest {
            cursor: u64::MAX,
            docs: vec![DocMessage {
                id: id.into(),
                message: Some(msg.encode()),
            }],
            listing: None,
            extensions: Vec::new(),
        };
        let (resp, _) = crate::sync::process(s, &peer, &req).unwrap();
        assert!(resp.refused.is_empty(), "{:?}", resp.refused);
        for m in resp.docs {
            if let Some(b) = m.message {
                d.automerge()
                    .sync()
                    .receive_sync_message(&mut st, Message::decode(&b).unwrap())
                    .unwrap();
            }
        }
    }
    panic!("sync did not converge");
}

/// One index request of an office at version `versi`, through the wire encoding.
fn ask(s: &SqliteStorage, versi: Option<u64>) -> BagianIndeks {
    let peer = PeerIdentity {
        kecamatan: "130105".into(),
        serial: "02".into(),
    };
    let req = SyncRequest {
        cursor: u64::MAX,
        docs: Vec::new(),
        listing: None,
        extensions: versi
            .map(|v| vec![(EXT_DISTRICT_INDEX, PermintaanIndeks { versi: v }.encode())])
            .unwrap_or_default(),
    };
    let req = SyncRequest::decode(&req.encode()).unwrap();
    let (resp, _) = crate::sync::process(s, &peer, &req).unwrap();
    let resp = SyncResponse::decode(&resp.encode()).unwrap();
    BagianIndeks::decode(extension(&resp.extensions, EXT_DISTRICT_INDEX).unwrap()).unwrap()
}

fn head(s: &SqliteStorage) -> u64 {
    let mut h = 0;
    s.transaction(&mut |tx| {
        h = tx.index_head()?;
        Ok(())
    })
    .unwrap();
    h
}

#[test]
fn a_recorded_application_enters_the_index_once_and_its_decision_follows() {
    let (_d, s) = hub();
    // Not yet recorded: not in the index.
    let mut d = doc("130101-a", "130101", 1, false);
    sync(&s, "130101", "130101-a", &mut d);
    assert_eq!(head(&s), 0);
    // Recorded: one entry with where, when, NIK and the compact key.
    d.append_peristiwa(&events(true)).unwrap();
    sync(&s, "130101", "130101-a", &mut d);
    assert_eq!(head(&s), 1);
    let b = ask(&s, Some(0));
    assert_eq!((b.head, b.versi, b.more, b.entri.len()), (1, 1, false, 1));
    let isi = b.entri[0].isi.clone().unwrap();
    assert_eq!(isi.kecamatan, "130101");
    assert_eq!(isi.nik, NIK);
    assert_eq!(isi.tanggal_rekam, "2026-11-18T11:11:40Z");
    assert_eq!(isi.keputusan, None);
    assert_eq!(isi.kunci.len(), 1 + 2 * (512 + 256));
    // A later change that leaves the entry as it was (the resident takes the documents:
    // `Diserahkan`) does not renumber it, so no office downloads it again.
    let mut all = events(true);
    all.push(ev(6, Peran::OperatorPerekaman, Aksi::DiterimaPenduduk));
    d.append_peristiwa(&all).unwrap();
    sync(&s, "130101", "130101-a", &mut d);
    assert_eq!(head(&s), 1);
    // The decision moves the entry to a new number, with the decision.
    let k = Keputusan {
        hasil: HasilDedup::Unik,
        oleh: "sistem".into(),
        waktu: chrono::Utc::now(),
        catatan: String::new(),
        duplikat_dari: Vec::new(),
        jenis: None,
        dasar: None,
    };
    crate::sync::decide(&s, "130101-a", &k).unwrap();
    let b = ask(&s, Some(1));
    assert_eq!((b.head, b.versi, b.entri.len()), (2, 2, 1));
    assert_eq!(
        b.entri[0].isi.as_ref().unwrap().keputusan.as_deref(),
        Some("unik")
    );
    // Up to date: nothing more.
    let b = ask(&s, Some(2));
    assert_eq!((b.versi, b.more, b.entri.len()), (2, false, 0));
    // An office that did not ask only learns the head.
    let b = ask(&s, None);
    assert_eq!((b.head, b.entri.len()), (2, 0));
}

#[test]
fn an_application_that_stops_qualifying_leaves_a_tombstone() {
    let (_d, s) = hub();
    let mut d = doc("130101-a", "130101", 1, true);
    sync(&s, "130101", "130101-a", &mut d);
    assert_eq!(head(&s), 1);
    // Its irises are corrected away (no iris left): the entry becomes a tombstone.
    let mut bio = d.biometrik().unwrap();
    bio.iris.clear();
    let mut stored = PermohonanDoc::load(&s.load_doc("130101-a").unwrap().unwrap().bytes).unwrap();
    stored.set_biometrik(&bio).unwrap();
    s.transaction(&mut |tx| perbarui(tx, "130101-a", "130101", &stored).map(|_| ()))
        .unwrap();
    let b = ask(&s, Some(1));
    assert_eq!(b.entri.len(), 1);
    assert_eq!(b.entri[0].permohonan_id, "130101-a");
    assert!(b.entri[0].isi.is_none());
}

#[test]
fn a_large_index_comes_in_bounded_chunks_that_resume_from_any_version() {
    let (_d, s) = hub();
    let n = ENTRI_PER_BAGIAN * 2 + 5;
    let template = doc("x", "130102", 3, true);
    s.transaction(&mut |tx| {
        for i in 0..n {
            let id = format!("130102-p{i}");
            perbarui(tx, &id, "130102", &template)?;
        }
        Ok(())
    })
    .unwrap();
    let mut versi = 0;
    let mut chunks = 0;
    let mut seen = 0;
    loop {
        let b = ask(&s, Some(versi));
        assert!(b.entri.len() <= ENTRI_PER_BAGIAN);
        assert!(b.entri.iter().all(|e| e.seq > versi && e.seq <= b.versi));
        seen += b.entri.len();
        versi = b.versi;
        chunks += 1;
        if !b.more {
            break;
        }
    }
    assert_eq!((seen, versi, chunks), (n, n as u64, 3));
    // A version from the middle (a response lost to a cut) resumes exactly there.
    let b = ask(&s, Some(ENTRI_PER_BAGIAN as u64 + 1));
    assert_eq!(b.entri[0].seq, ENTRI_PER_BAGIAN as u64 + 2);
}

#[test]
fn an_upgraded_hub_fills_its_index_from_stored_documents() {
    let (_d, s) = hub();
    let mut d = doc("130101-a", "130101", 1, true);
    let bytes = d.save();
    s.transaction(&mut |tx| tx.save_doc("130101-a", "130101", &bytes, false))
        .unwrap();
    assert_eq!(head(&s), 0);
    assert_eq!(isi_awal(&s).unwrap(), 1);
    assert_eq!(head(&s), 1);
    // Not again once filled.
    assert_eq!(isi_awal(&s).unwrap(), 0);
}
