//! Protocol tests without the network: an office's documents synced through [`process`]
//! against a real SQLite storage, including refusals, replays and the decision return path.

use super::*;
use crate::storage::sqlite::SqliteStorage;
use rekam_shared::document::HasilDedup;
use serde_json::json;

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

    fn record(&mut self, id: &str, kec: &str) {
        let mut d = PermohonanDoc::new(id, kec).unwrap();
        d.set_penduduk(&json!({"nama": format!("Penduduk {id}")}))
            .unwrap();
        d.append_peristiwa(&[json!({"type": "berkas_diterima"})])
            .unwrap();
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
                cursor: self.cursor,
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
    o.doc("130101-p3")
        .append_peristiwa(&[json!({"type": "berkas_diterima"}), json!({"type": "x"})])
        .unwrap();
    o.sync(&s);
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
        cursor: 0,
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
        cursor: 0,
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
    };
    decide(&s, "130101-p2", &k).unwrap();
    assert!(matches!(
        decide(&s, "nope", &k),
        Err(DecideError::NotFound(_))
    ));
    let (refused, _) = o.sync(&s);
    assert!(refused.is_empty());
    assert_eq!(o.doc("130101-p2").keputusan().unwrap(), Some(k));
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
        cursor: 0,
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
