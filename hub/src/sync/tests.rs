//! Protocol tests without the network: an office's documents synced through [`process`]
//! against a real SQLite storage, including refusals, replays and the decision return path.

use super::*;
use crate::storage::sqlite::SqliteStorage;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rekam_shared::document::HasilDedup;
use rekam_shared::workflow::contoh::kunjungan_lancar;
use rekam_shared::workflow::{
    Aksi, AlasanGagal, AlasanTerlambat, Kelengkapan, NomorAntrian, Peran, Peristiwa, Status,
};
use serde_json::json;

const REG: Peran = Peran::OperatorRegistrasi;
const REK: Peran = Peran::OperatorPerekaman;

/// `menit` minutes into a fixed morning at the office.
fn t(menit: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap() + TimeDelta::minutes(menit)
}

/// An event at minute `menit` by the usual operator of `peran`.
fn ev(menit: i64, peran: Peran, aksi: Aksi) -> Peristiwa {
    let operator = if peran == REG { "rina" } else { "budi" };
    Peristiwa::new(t(menit), operator, peran, aksi)
}

/// The first `n` events of a visit that goes well, one minute apart, each by the role the SOP
/// gives it: opened, documents received and correct, queued, called, recorded, handed over.
fn perjalanan(n: usize) -> Vec<Peristiwa> {
    let mut e = kunjungan_lancar(t(0), "rina", "budi", 7, "TBP-001");
    e.truncate(n);
    e
}

/// A NIK that must never appear in a refusal reason (reasons are logged and audited).
const NIK: &str = "1301075208050003";

fn peer(k: &str) -> PeerIdentity {
    PeerIdentity {
        kecamatan: k.into(),
        serial: "01".into(),
    }
}

/// A minimal office: documents and sync states in memory.
struct Office {
    peer: PeerIdentity,
    docs: Vec<(String, PermohonanDoc, State)>,
    cursor: u64,
}

impl Office {
    fn new(k: &str) -> Self {
        Office {
            peer: peer(k),
            docs: Vec::new(),
            cursor: 0,
        }
    }

    /// A new application whose documents were just received (steps 1 done, step 2 running).
    fn record(&mut self, id: &str, kec: &str) {
        self.record_with(id, kec, &perjalanan(2));
    }

    /// A new application with these events (any JSON: the office may be faulty).
    fn record_with<T: serde::Serialize>(&mut self, id: &str, kec: &str, events: &[T]) {
        let mut d = PermohonanDoc::new(id, kec).unwrap();
        d.set_penduduk(&json!({"nama": format!("Penduduk {id}"), "nik": NIK}))
            .unwrap();
        d.append_peristiwa(events).unwrap();
        self.docs.push((id.into(), d, State::new()));
    }

    fn doc(&mut self, id: &str) -> &mut PermohonanDoc {
        &mut self.docs.iter_mut().find(|d| d.0 == id).unwrap().1
    }

    /// Runs exchanges until the office has nothing more to say; returns the refusals and the
    /// number of requests.
    fn sync(&mut self, hub: &dyn Storage) -> (Vec<Refused>, usize) {
        let mut refused = Vec::new();
        for round in 1..=10 {
            let mut req = SyncRequest {
                extensions: Vec::new(),
                cursor: self.cursor,
                listing: None,
                docs: Vec::new(),
            };
            for (id, d, st) in &mut self.docs {
                if let Some(msg) = d.automerge().sync().generate_sync_message(st) {
                    req.docs.push(DocMessage {
                        id: id.clone(),
                        message: Some(msg.encode()),
                    });
                }
            }
            if req.docs.is_empty() && round > 1 {
                return (refused, round - 1);
            }
            // Through the wire encoding, as over HTTP.
            let req = SyncRequest::decode(&req.encode()).unwrap();
            let (resp, _) = process(hub, &self.peer, &req).unwrap();
            let resp = SyncResponse::decode(&resp.encode()).unwrap();
            refused.extend(resp.refused.clone());
            self.cursor = resp.cursor;
            for m in resp.docs {
                let entry = self.docs.iter_mut().find(|d| d.0 == m.id).unwrap();
                if let Some(b) = m.message {
                    entry
                        .1
                        .automerge()
                        .sync()
                        .receive_sync_message(&mut entry.2, Message::decode(&b).unwrap())
                        .unwrap();
                }
            }
            // A refused document stops being offered (the real agent parks it too).
            self.docs
                .retain(|d| !resp.refused.iter().any(|r| r.id == d.0));
        }
        panic!("sync did not converge in 10 requests");
    }
}

fn hub() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
    (dir, s)
}

fn hub_heads(s: &SqliteStorage, id: &str) -> Vec<automerge::ChangeHash> {
    let b = s.load_doc(id).unwrap().unwrap().bytes;
    AutoCommit::load(&b).unwrap().get_heads()
}

#[test]
fn office_documents_reach_the_hub_with_identical_heads() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    for i in 0..20 {
        o.record(&format!("130101-p{i}"), "130101");
    }
    let (refused, _) = o.sync(&s);
    assert!(refused.is_empty());
    assert_eq!(s.doc_count().unwrap(), 20);
    for i in 0..20 {
        let id = format!("130101-p{i}");
        assert_eq!(hub_heads(&s, &id), o.doc(&id).heads());
    }
    // Later edits travel too.
    o.doc("130101-p3").append_peristiwa(&perjalanan(4)).unwrap();
    assert!(o.sync(&s).0.is_empty());
    assert_eq!(hub_heads(&s, "130101-p3"), o.doc("130101-p3").heads());
}

#[test]
fn replaying_a_request_changes_nothing() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record("130101-p1", "130101");
    // Build a request that carries changes: first exchange, then the second.
    let (id, d, st) = &mut o.docs[0];
    let m1 = d.automerge().sync().generate_sync_message(st).unwrap();
    let req1 = SyncRequest {
        extensions: Vec::new(),
        cursor: 0,
        listing: None,
        docs: vec![DocMessage {
            id: id.clone(),
            message: Some(m1.encode()),
        }],
    };
    let (r1, _) = process(&s, &peer("130101"), &req1).unwrap();
    let reply = Message::decode(r1.docs[0].message.as_ref().unwrap()).unwrap();
    d.automerge()
        .sync()
        .receive_sync_message(st, reply)
        .unwrap();
    let m2 = d.automerge().sync().generate_sync_message(st).unwrap();
    let req2 = SyncRequest {
        extensions: Vec::new(),
        cursor: 0,
        listing: None,
        docs: vec![DocMessage {
            id: id.clone(),
            message: Some(m2.encode()),
        }],
    };
    let (_, out) = process(&s, &peer("130101"), &req2).unwrap();
    assert_eq!(out.docs_updated, 1);
    let stored = s.load_doc("130101-p1").unwrap().unwrap().bytes;
    for _ in 0..3 {
        let (resp, out) = process(&s, &peer("130101"), &req2).unwrap();
        assert_eq!(out.docs_updated, 0);
        assert!(resp.refused.is_empty());
        let (_, out) = process(&s, &peer("130101"), &req1).unwrap();
        assert_eq!(out.docs_updated, 0);
    }
    assert_eq!(s.load_doc("130101-p1").unwrap().unwrap().bytes, stored);
    assert_eq!(s.doc_count().unwrap(), 1);
}

#[test]
fn another_kecamatans_application_is_refused_and_audited() {
    let (_d, s) = hub();
    let mut intruder = Office::new("130101");
    intruder.record("130102-p1", "130102");
    let (refused, _) = intruder.sync(&s);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].reason.contains("130102"),
        "{}",
        refused[0].reason
    );
    assert_eq!(s.doc_count().unwrap(), 0);
    let audit = s.audit_entries(10).unwrap();
    assert_eq!(audit[0].action, "sync.refused");
    assert_eq!(audit[0].permohonan_id.as_deref(), Some("130102-p1"));

    // The real owner syncs it; the intruder cannot then edit it.
    let mut owner = Office::new("130102");
    owner.record("130102-p1", "130102");
    assert!(owner.sync(&s).0.is_empty());
    let mut copy = Office::new("130101");
    let b = owner.doc("130102-p1").save();
    copy.docs.push((
        "130102-p1".into(),
        PermohonanDoc::load(&b).unwrap(),
        State::new(),
    ));
    copy.doc("130102-p1")
        .set_penduduk(&json!({"nama": "X"}))
        .unwrap();
    let (refused, _) = copy.sync(&s);
    assert!(!refused.is_empty());
    assert_eq!(hub_heads(&s, "130102-p1"), owner.doc("130102-p1").heads());
}

#[test]
fn an_office_cannot_squat_another_offices_id() {
    let (_d, s) = hub();
    // Office 130101 creates, as its own application, an id of 130102's form.
    let mut squatter = Office::new("130101");
    squatter.record("130102-0195c1d2", "130101");
    let (refused, _) = squatter.sync(&s);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .reason
            .contains("does not start with its kecamatan"),
        "{}",
        refused[0].reason
    );
    assert_eq!(s.doc_count().unwrap(), 0);
    // So the rightful office still gets its id.
    let mut owner = Office::new("130102");
    owner.record("130102-0195c1d2", "130102");
    assert!(owner.sync(&s).0.is_empty());
    assert_eq!(s.doc_count().unwrap(), 1);
}

#[test]
fn forged_decision_is_refused_and_not_stored() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record("130101-p1", "130101");
    o.sync(&s);
    let good = hub_heads(&s, "130101-p1");
    o.doc("130101-p1")
        .set_keputusan(&Keputusan {
            hasil: HasilDedup::Unik,
            oleh: "palsu".into(),
            waktu: chrono::Utc::now(),
            catatan: String::new(),
            duplikat_dari: vec![],
            jenis: None,
            dasar: None,
        })
        .unwrap();
    let (refused, _) = o.sync(&s);
    assert!(refused.iter().any(|r| r.reason.contains("keputusan")));
    assert_eq!(hub_heads(&s, "130101-p1"), good);
    let stored = PermohonanDoc::load(&s.load_doc("130101-p1").unwrap().unwrap().bytes).unwrap();
    assert_eq!(stored.keputusan().unwrap(), None);
}

#[test]
fn hub_decision_returns_to_the_office() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record("130101-p1", "130101");
    o.record("130101-p2", "130101");
    o.sync(&s);
    let k = Keputusan {
        hasil: HasilDedup::Duplikat,
        oleh: "adjudikator".into(),
        waktu: chrono::DateTime::from_timestamp_millis(1_790_000_000_000).unwrap(),
        catatan: "NIK sama".into(),
        duplikat_dari: vec!["130101-p9".into()],
        jenis: None,
        dasar: None,
    };
    decide(&s, "130101-p2", &k).unwrap();
    assert!(matches!(
        decide(&s, "nope", &k),
        Err(DecideError::NotFound(_))
    ));
    let (refused, _) = o.sync(&s);
    assert!(refused.is_empty());
    // It arrives as written, with the basis the hub recorded it on (the document's NIK and
    // biometrics).
    let got = o.doc("130101-p2").keputusan().unwrap().unwrap();
    let stored = PermohonanDoc::load(&s.load_doc("130101-p2").unwrap().unwrap().bytes).unwrap();
    assert_eq!(got.dasar, dasar_of(&stored));
    assert!(got.dasar.is_some());
    assert_eq!(Keputusan { dasar: None, ..got }, k);
    assert_eq!(o.doc("130101-p2").heads(), hub_heads(&s, "130101-p2"));
    assert!(o.cursor > 0);
    // Another office's feed does not contain it.
    let mut other = Office::new("130102");
    other.sync(&s);
    assert_eq!(other.cursor, 0);
}

#[test]
fn garbage_messages_are_refused_not_fatal() {
    let (_d, s) = hub();
    let req = SyncRequest {
        extensions: Vec::new(),
        cursor: 0,
        listing: None,
        docs: vec![
            DocMessage {
                id: "p1".into(),
                message: Some(vec![1, 2, 3]),
            },
            DocMessage {
                id: "../etc".into(),
                message: None,
            },
        ],
    };
    let (resp, out) = process(&s, &peer("130101"), &req).unwrap();
    assert_eq!(out.refused, 2);
    assert_eq!(resp.refused.len(), 2);
}

/// Events as the JSON the document holds (to mix valid events with malformed ones).
fn as_json(events: &[Peristiwa]) -> Vec<serde_json::Value> {
    events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

#[test]
fn documents_whose_events_break_the_sop_are_refused_audited_and_not_stored() {
    let (_d, s) = hub();
    let berhasil = || Aksi::PerekamanBerhasil {
        nomor_bukti: "TBP-009".into(),
    };
    // (id, events, what the reason must say)
    let cases: Vec<(&str, Vec<serde_json::Value>, &[&str])> = vec![
        (
            "130101-recorded-alone",
            as_json(&[ev(0, REK, berhasil())]),
            &[
                "peristiwa #0 (perekaman_berhasil)",
                "tidak boleh pada status 'baru'",
            ],
        ),
        (
            "130101-recorded-without-steps",
            as_json(&[ev(0, REG, Aksi::PermohonanDibuat), ev(1, REK, berhasil())]),
            &[
                "peristiwa #1 (perekaman_berhasil)",
                "tidak boleh pada status 'penyerahan_berkas'",
            ],
        ),
        (
            "130101-wrong-role",
            as_json(&[ev(0, REK, Aksi::PermohonanDibuat)]),
            &[
                "peristiwa #0 (permohonan_dibuat)",
                "peran operator-perekaman tidak berwenang",
            ],
        ),
        (
            "130101-recorded-by-registration",
            as_json(&[&perjalanan(5)[..], &[ev(5, REG, berhasil())]].concat()),
            &["peristiwa #5", "peran operator-registrasi tidak berwenang"],
        ),
        (
            "130101-time-backwards",
            as_json(&[
                ev(10, REG, Aksi::PermohonanDibuat),
                ev(9, REG, Aksi::BerkasDiterima),
            ]),
            &[
                "peristiwa #1 (berkas_diterima)",
                "sebelum peristiwa terakhir",
            ],
        ),
        (
            "130101-late-without-reason",
            as_json(&[
                ev(0, REG, Aksi::PermohonanDibuat),
                ev(6, REG, Aksi::BerkasDiterima),
            ]),
            &[
                "peristiwa #1 (berkas_diterima)",
                "langkah 1 melebihi standar waktu",
                "alasan keterlambatan wajib",
            ],
        ),
        (
            "130101-not-an-event",
            vec![json!({"type": "berkas_diterima"})],
            &["peristiwa #0 (jenis tidak dikenal) tidak dapat dibaca"],
        ),
        (
            "130101-event-without-time",
            [
                as_json(&perjalanan(1)),
                vec![json!({"operator": "rina", "peran": "operator_registrasi",
                    "aksi": {"type": "berkas_diterima"}})],
            ]
            .concat(),
            &["peristiwa #1 (berkas_diterima) tidak dapat dibaca"],
        ),
        (
            "130101-unknown-kind",
            [
                as_json(&perjalanan(1)),
                vec![
                    json!({"waktu": t(1), "operator": "rina", "peran": "operator_registrasi",
                    "aksi": {"type": NIK}}),
                ],
            ]
            .concat(),
            &["peristiwa #1 (jenis tidak dikenal) tidak dapat dibaca"],
        ),
        (
            "130101-nik-in-a-bad-field",
            [
                as_json(&perjalanan(3)),
                vec![
                    json!({"waktu": t(3), "operator": "rina", "peran": "operator_registrasi",
                    "aksi": {"type": "nomor_antrian_diberikan", "nomor_antrian": NIK}}),
                ],
            ]
            .concat(),
            &["peristiwa #3 (nomor_antrian_diberikan) tidak dapat dibaca"],
        ),
        (
            "130101-nik-in-a-refused-event",
            as_json(
                &[
                    &perjalanan(2)[..],
                    &[ev(
                        2,
                        REG,
                        Aksi::SudahPernahRekam {
                            keterangan: format!("NIK {NIK} sudah direkam"),
                        },
                    )],
                ]
                .concat(),
            ),
            &[
                "peristiwa #2 (sudah_pernah_rekam)",
                "tidak boleh pada status 'berkas_diterima'",
            ],
        ),
    ];
    for (id, events, expected) in &cases {
        let mut o = Office::new("130101");
        o.record_with(id, "130101", events);
        let (refused, _) = o.sync(&s);
        assert_eq!(refused.len(), 1, "{id}: {refused:?}");
        let reason = &refused[0].reason;
        assert_eq!(refused[0].id, *id);
        for e in *expected {
            assert!(reason.contains(e), "{id}: {reason:?} lacks {e:?}");
        }
        assert!(!reason.contains(NIK), "{id}: NIK in the reason {reason:?}");
        // Nothing stored: neither the document nor a sync state for it.
        assert!(s.load_doc(id).unwrap().is_none(), "{id} was stored");
        let mut state = None;
        s.transaction(&mut |tx| {
            state = tx.load_sync_state("130101", id)?;
            Ok(())
        })
        .unwrap();
        assert!(state.is_none(), "{id}: sync state stored");
        // Audited with the same reason.
        let audit = s.audit_entries(1).unwrap();
        assert_eq!(audit[0].action, "sync.refused");
        assert_eq!(audit[0].permohonan_id.as_deref(), Some(*id));
        assert_eq!(&audit[0].detail, reason);
    }
    assert_eq!(s.doc_count().unwrap(), 0);
    assert_eq!(s.audit_entries(100).unwrap().len(), cases.len());
}

#[test]
fn a_new_recording_without_its_completeness_is_refused_but_stored_history_replays() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    // A recording new to the hub, sent without its completeness: refused, nothing stored.
    let mut events = perjalanan(6);
    events[5].kelengkapan = None;
    o.record_with("130101-baru", "130101", &events);
    let bytes = o.doc("130101-baru").save();
    let (refused, _) = o.sync(&s);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].reason.contains("kelengkapan"),
        "{:?}",
        refused[0].reason
    );
    assert!(s.load_doc("130101-baru").unwrap().is_none());
    // The same history held by the hub already (accepted before the rule): the office's next
    // step on it is accepted, and the hub replays the old recording as history.
    s.transaction(&mut |tx| tx.save_doc("130101-baru", "130101", &bytes, false))
        .unwrap();
    let mut o = Office::new("130101");
    o.docs.push((
        "130101-baru".into(),
        PermohonanDoc::load(&bytes).unwrap(),
        State::new(),
    ));
    let selesai = perjalanan(7).pop().unwrap();
    events.push(selesai);
    o.doc("130101-baru").append_peristiwa(&events).unwrap();
    let (refused, _) = o.sync(&s);
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(hub_heads(&s, "130101-baru"), o.doc("130101-baru").heads());
    let stored = PermohonanDoc::load(&s.load_doc("130101-baru").unwrap().unwrap().bytes).unwrap();
    assert_eq!(stored.keadaan().unwrap().status.nama(), "diserahkan");
}

#[test]
fn applications_in_progress_and_finished_are_accepted_step_by_step() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record_with("130101-jalan", "130101", &perjalanan(1));
    // A visit with a failed recording, a re-queue, a late step with its reason, the head of
    // the unit covering for the recording operator, and the hand-over.
    let mut events = perjalanan(5);
    events.push(ev(
        5,
        REK,
        Aksi::PerekamanGagal {
            alasan: AlasanGagal::GangguanTeknis,
        },
    ));
    events.push(ev(
        6,
        REG,
        Aksi::NomorAntrianDiberikan {
            nomor_antrian: NomorAntrian(8),
        },
    ));
    events.push(ev(7, Peran::KepalaUkl, Aksi::Dipanggil));
    events.push(
        ev(
            19,
            Peran::KepalaUkl,
            Aksi::PerekamanBerhasil {
                nomor_bukti: "TBP-002".into(),
            },
        )
        .terlambat(AlasanTerlambat::AntrianPanjang)
        .dengan_kelengkapan(Kelengkapan::semua_terekam(80)),
    );
    events.push(ev(20, REK, Aksi::DiterimaPenduduk));
    for n in 1..=events.len() {
        o.doc("130101-jalan")
            .append_peristiwa(&events[..n])
            .unwrap();
        let (refused, _) = o.sync(&s);
        assert!(refused.is_empty(), "after {n} events: {refused:?}");
        assert_eq!(hub_heads(&s, "130101-jalan"), o.doc("130101-jalan").heads());
    }
    let stored = PermohonanDoc::load(&s.load_doc("130101-jalan").unwrap().unwrap().bytes).unwrap();
    assert_eq!(
        stored.keadaan().unwrap().status,
        Status::Diserahkan {
            nomor_bukti: "TBP-002".into()
        }
    );
    assert!(s.audit_entries(10).unwrap().is_empty());
}

#[test]
fn an_accepted_application_extended_against_the_sop_keeps_its_valid_copy() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record_with("130101-p1", "130101", &perjalanan(3));
    assert!(o.sync(&s).0.is_empty());
    let good = hub_heads(&s, "130101-p1");
    let good_bytes = s.load_doc("130101-p1").unwrap().unwrap().bytes;
    // Recorded straight after the biometric check, without a queue number or a call.
    let mut events = perjalanan(3);
    events.push(ev(
        4,
        REK,
        Aksi::PerekamanBerhasil {
            nomor_bukti: "TBP-003".into(),
        },
    ));
    o.doc("130101-p1").append_peristiwa(&events).unwrap();
    let (refused, _) = o.sync(&s);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0]
            .reason
            .contains("peristiwa #3 (perekaman_berhasil) ditolak"),
        "{}",
        refused[0].reason
    );
    assert_eq!(hub_heads(&s, "130101-p1"), good);
    assert_eq!(s.load_doc("130101-p1").unwrap().unwrap().bytes, good_bytes);
    let stored = PermohonanDoc::load(&good_bytes).unwrap();
    assert_eq!(
        stored.keadaan().unwrap().status,
        Status::PengecekanBiometrik
    );
    let audit = s.audit_entries(10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].permohonan_id.as_deref()),
        ("sync.refused", Some("130101-p1"))
    );
}

#[test]
fn documents_the_hub_cannot_read_are_refused_not_stored() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    // Written by a newer office version than this hub understands.
    o.record("130101-baru", "130101");
    automerge::transaction::Transactable::put(
        o.doc("130101-baru").automerge(),
        automerge::ROOT,
        "schema",
        99u64,
    )
    .unwrap();
    // A biometric section of the wrong form (a fingerprint that is text, not record bytes).
    o.record("130101-rusak", "130101");
    {
        let am = o.doc("130101-rusak").automerge();
        let bio = automerge::transaction::Transactable::put_object(
            am,
            automerge::ROOT,
            "biometrik",
            automerge::ObjType::Map,
        )
        .unwrap();
        let jari = automerge::transaction::Transactable::put_object(
            am,
            &bio,
            "sidik_jari",
            automerge::ObjType::Map,
        )
        .unwrap();
        automerge::transaction::Transactable::put(am, &jari, "right-thumb", "bukan rekaman")
            .unwrap();
    }
    o.record("130101-baik", "130101");
    let (refused, _) = o.sync(&s);
    let reason = |id: &str| {
        refused
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.reason.clone())
            .unwrap_or_default()
    };
    assert!(reason("130101-baru").contains("schema"), "{refused:?}");
    assert!(reason("130101-baru").contains("99"), "{refused:?}");
    assert!(reason("130101-rusak").contains("biometrik"), "{refused:?}");
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(s.load_doc("130101-baru").unwrap().is_none());
    assert!(s.load_doc("130101-rusak").unwrap().is_none());
    assert!(s.load_doc("130101-baik").unwrap().is_some());
}

#[test]
fn a_changed_document_is_queued_for_dedup_and_a_refused_one_is_not() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record("130101-p1", "130101");
    // Another kecamatan's application: refused, so never dedup work.
    o.record("130102-p9", "130102");
    let (refused, _) = o.sync(&s);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].id, "130102-p9");
    let queue = s.dedup_queue(10).unwrap();
    let ids: Vec<&str> = queue.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["130101-p1"]);
    let first_at = queue[0].1.clone();

    // A later change keeps the application queued once, with its first time.
    o.doc("130101-p1")
        .set_penduduk(&json!({"nama": "Penduduk baru", "nik": NIK}))
        .unwrap();
    assert!(o.sync(&s).0.is_empty());
    assert_eq!(s.dedup_backlog().unwrap(), (1, Some(first_at)));
}

/// Walks the full listing as `peer`, page by page, through the wire encoding.
fn walk_listing(s: &dyn Storage, peer: &PeerIdentity) -> (Vec<String>, usize) {
    let mut after = String::new();
    let mut ids = Vec::new();
    for page in 1..=10 {
        let req = SyncRequest {
            listing: Some(after.clone()),
            ..SyncRequest::default()
        };
        let req = SyncRequest::decode(&req.encode()).unwrap();
        let (resp, _) = process(s, peer, &req).unwrap();
        let resp = SyncResponse::decode(&resp.encode()).unwrap();
        let (_, bytes) = resp
            .extensions
            .iter()
            .find(|(tag, _)| *tag == wire::EXT_LISTING)
            .expect("a listing page");
        let listing = Listing::decode(bytes).unwrap();
        ids.extend(listing.ids.iter().cloned());
        if !listing.more {
            return (ids, page);
        }
        after = listing.ids.last().unwrap().clone();
    }
    panic!("listing did not end in 10 pages");
}

#[test]
fn the_full_listing_gives_a_restored_office_its_own_documents_only_in_pages() {
    let (_d, s) = hub();
    // More than one page of this office's documents (the listing reads ids only), and
    // another office's.
    s.transaction(&mut |tx| {
        for n in 0..LISTING_LIMIT + 3 {
            tx.save_doc(&format!("130101-{n:04}"), "130101", b"x", false)?;
        }
        tx.save_doc("130102-0000", "130102", b"x", false)?;
        tx.save_doc("130100-9999", "130102", b"x", false)?;
        Ok(())
    })
    .unwrap();
    let (ids, pages) = walk_listing(&s, &peer("130101"));
    assert_eq!(pages, 2);
    let want: Vec<String> = (0..LISTING_LIMIT + 3)
        .map(|n| format!("130101-{n:04}"))
        .collect();
    assert_eq!(ids, want, "every document of 130101 once, none of 130102");
    let (other, _) = walk_listing(&s, &peer("130102"));
    assert_eq!(other, vec!["130100-9999", "130102-0000"]);
    // An ordinary request pays nothing: no listing in its answer.
    // (Every answer carries the district index's head, tag 1; none carries a listing.)
    let (resp, _) = process(&s, &peer("130101"), &SyncRequest::default()).unwrap();
    assert!(
        resp.extensions
            .iter()
            .all(|(tag, _)| *tag != wire::EXT_LISTING),
        "{:?}",
        resp.extensions.iter().map(|(t, _)| t).collect::<Vec<_>>()
    );
}

#[test]
fn a_restored_office_fetches_a_listed_document_it_lacks_from_nothing() {
    let (_d, s) = hub();
    let mut o = Office::new("130101");
    o.record("130101-p1", "130101");
    o.sync(&s);
    // The office's disk dies; the restored office has nothing of p1 but learns it from the
    // listing and asks for it from an empty document.
    let (ids, _) = walk_listing(&s, &peer("130101"));
    assert_eq!(ids, vec!["130101-p1"]);
    let mut restored = Office::new("130101");
    restored.docs.push((
        "130101-p1".into(),
        PermohonanDoc::from_automerge(AutoCommit::new()),
        State::new(),
    ));
    let (refused, _) = restored.sync(&s);
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(
        restored.doc("130101-p1").heads(),
        hub_heads(&s, "130101-p1")
    );
    assert_eq!(restored.doc("130101-p1").id().unwrap(), "130101-p1");
}
