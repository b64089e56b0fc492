//! Unit tests of the application document: round trips, incremental writes, the
//! append-only event list and the ownership rule of `check_incoming`.

use super::*;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Orang {
    nik: String,
    nama: String,
    rt: u32,
    alamat: Alamat,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Alamat {
    jalan: String,
    nagari: String,
}

fn orang() -> Orang {
    Orang {
        nik: "1301014107900001".into(),
        nama: "Siti Rahmah".into(),
        rt: 3,
        alamat: Alamat {
            jalan: "Jl. Pantai".into(),
            nagari: "Air Haji".into(),
        },
    }
}

fn bio() -> Biometrik {
    let mut b = Biometrik::default();
    b.sidik_jari
        .insert("1".into(), vec![0x46, 0x4d, 0x52, 0, 1, 2, 3]);
    b.sidik_jari.insert("6".into(), vec![9; 300]);
    b.iris.insert("kiri".into(), "AAEC".into());
    b.foto = Some(BlobRef {
        sha256: "ab".repeat(32),
        size: 20_000,
        media_type: "image/jpeg".into(),
    });
    b
}

fn keputusan() -> Keputusan {
    Keputusan {
        hasil: HasilDedup::Duplikat,
        oleh: "adjudikator1".into(),
        waktu: DateTime::<Utc>::from_timestamp_millis(1_790_000_000_000).unwrap(),
        catatan: "sama dengan permohonan lain".into(),
        duplikat_dari: vec!["p-0001".into()],
        jenis: None,
        dasar: None,
    }
}

/// A hub copy of `office`, as if synced earlier.
fn hub_copy(office: &mut PermohonanDoc) -> AutoCommit {
    AutoCommit::load(&office.save()).unwrap()
}

/// Applies the office's changes made since `hub` was copied and returns hub heads before.
fn receive(hub: &mut AutoCommit, office: &mut PermohonanDoc) -> Vec<ChangeHash> {
    let before = hub.get_heads();
    let changes = office.automerge().get_changes(&before);
    hub.apply_changes(changes).unwrap();
    before
}

#[test]
fn round_trip_all_sections() {
    let mut d = PermohonanDoc::new("p-0001", "130101").unwrap();
    assert!(d.set_penduduk(&orang()).unwrap());
    d.append_peristiwa(&[json!({"type": "berkas_diterima", "oleh": "reg1"})])
        .unwrap();
    d.set_biometrik(&bio()).unwrap();
    d.set_keputusan(&keputusan()).unwrap();
    let loaded = PermohonanDoc::load(&d.save()).unwrap();
    let v = loaded.view().unwrap();
    assert_eq!(v.id, "p-0001");
    assert_eq!(v.kecamatan, "130101");
    assert_eq!(v.schema, SCHEMA_VERSION);
    assert_eq!(loaded.penduduk_as::<Orang>().unwrap(), Some(orang()));
    assert_eq!(
        v.peristiwa,
        vec![json!({"type": "berkas_diterima", "oleh": "reg1"})]
    );
    assert_eq!(v.biometrik, bio());
    assert_eq!(v.keputusan, Some(keputusan()));
}

#[test]
fn unchanged_writes_make_no_change() {
    let mut d = PermohonanDoc::new("p-0001", "130101").unwrap();
    d.set_penduduk(&orang()).unwrap();
    d.set_biometrik(&bio()).unwrap();
    let heads = d.heads();
    assert!(!d.set_penduduk(&orang()).unwrap());
    assert!(!d.set_biometrik(&bio()).unwrap());
    assert_eq!(d.append_peristiwa::<Json>(&[]).unwrap(), 0);
    assert_eq!(d.heads(), heads);
}

#[test]
fn a_small_edit_is_a_small_change() {
    let mut d = PermohonanDoc::new("p-0001", "130101").unwrap();
    d.set_penduduk(&orang()).unwrap();
    d.set_biometrik(&bio()).unwrap();
    d.save();
    let mut o = orang();
    o.alamat.nagari = "Sungai Tunu".into();
    assert!(d.set_penduduk(&o).unwrap());
    let change = d.automerge().get_last_local_change().unwrap();
    assert_eq!(change.len(), 1, "only the changed field is written");
    assert!(d.save_incremental().len() < 200);
    assert_eq!(d.penduduk_as::<Orang>().unwrap(), Some(o));
}

#[test]
fn removed_fields_are_deleted() {
    let mut d = PermohonanDoc::new("p-0001", "130101").unwrap();
    d.set_penduduk(&json!({"nama": "A", "gelar": "Dr"}))
        .unwrap();
    d.set_penduduk(&json!({"nama": "A"})).unwrap();
    assert_eq!(d.view().unwrap().penduduk, Some(json!({"nama": "A"})));
    let mut b = bio();
    d.set_biometrik(&b).unwrap();
    b.sidik_jari.remove("6");
    b.foto = None;
    d.set_biometrik(&b).unwrap();
    assert_eq!(d.biometrik().unwrap(), b);
}

#[test]
fn events_are_append_only() {
    let mut d = PermohonanDoc::new("p-0001", "130101").unwrap();
    let e1 = json!({"type": "a", "n": 1});
    let e2 = json!({"type": "b", "n": 2, "x": [1, 2, {"y": null}]});
    assert_eq!(d.append_peristiwa(std::slice::from_ref(&e1)).unwrap(), 1);
    assert_eq!(d.append_peristiwa(&[e1.clone(), e2.clone()]).unwrap(), 1);
    assert_eq!(d.append_peristiwa(&[e1.clone(), e2.clone()]).unwrap(), 0);
    let heads = d.heads();
    let err = d.append_peristiwa(&[e2.clone(), e1.clone()]).unwrap_err();
    assert!(matches!(err, DocumentError::EventsDiverge { index: 0 }));
    let err = d.append_peristiwa(std::slice::from_ref(&e1)).unwrap_err();
    assert!(matches!(err, DocumentError::EventsDiverge { index: 1 }));
    assert_eq!(
        d.heads(),
        heads,
        "a refused write leaves the document as it was"
    );
    assert_eq!(d.peristiwa_as::<Json>().unwrap(), vec![e1, e2]);
}

#[test]
fn invalid_headers_and_bytes_are_rejected() {
    assert!(matches!(
        PermohonanDoc::new("", "130101"),
        Err(DocumentError::Invalid { field: "id", .. })
    ));
    assert!(matches!(
        PermohonanDoc::new("a/b", "130101"),
        Err(DocumentError::Invalid { field: "id", .. })
    ));
    assert!(matches!(
        PermohonanDoc::new("p1", "13010"),
        Err(DocumentError::Invalid {
            field: "kecamatan",
            ..
        })
    ));
    assert!(matches!(
        PermohonanDoc::load(b"not automerge"),
        Err(DocumentError::Load(_))
    ));
    let mut empty = AutoCommit::new();
    assert!(matches!(
        PermohonanDoc::load(&empty.save()),
        Err(DocumentError::Field { .. })
    ));
}

#[test]
fn newer_schema_is_refused_older_is_read() {
    let mut d = PermohonanDoc::new("130101-p1", "130101").unwrap();
    d.automerge()
        .put(ROOT, "schema", SCHEMA_VERSION + 1)
        .unwrap();
    assert!(matches!(
        PermohonanDoc::load(&d.save()),
        Err(DocumentError::SchemaTooNew { .. })
    ));
    // An older document without the optional sections still reads.
    let mut old = AutoCommit::new();
    old.put(ROOT, "schema", 0_u64).unwrap();
    old.put(ROOT, "id", "p2").unwrap();
    old.put(ROOT, "kecamatan", "130102").unwrap();
    let v = PermohonanDoc::load(&old.save()).unwrap().view().unwrap();
    assert_eq!(v.peristiwa.len(), 0);
    assert_eq!(v.keputusan, None);
}

#[test]
fn debug_never_prints_templates() {
    let b = bio();
    let s = format!("{b:?}");
    assert!(s.contains("2 templates"));
    assert!(!s.contains("AAEC"));
    assert!(!s.contains("70, 77"));
}

fn kantor(k: &str) -> Penulis {
    Penulis::Kantor(k.into())
}

#[test]
fn office_may_create_and_edit_its_own_application() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    office.set_penduduk(&orang()).unwrap();
    let mut hub = AutoCommit::new();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Ok(())
    );
    office.append_peristiwa(&[json!({"type": "x"})]).unwrap();
    office.set_biometrik(&bio()).unwrap();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Ok(())
    );
}

#[test]
fn office_creating_another_kecamatans_application_is_refused() {
    let mut office = PermohonanDoc::new("130102-p1", "130102").unwrap();
    let mut hub = AutoCommit::new();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130102-p1"),
        Err(Refusal::OtherKecamatan {
            doc: "130102".into(),
            sender: "130101".into()
        })
    );
}

#[test]
fn office_editing_another_kecamatans_application_is_refused() {
    let mut owner = PermohonanDoc::new("130102-p1", "130102").unwrap();
    let mut hub = hub_copy(&mut owner);
    // Another office got a copy somehow and edits the resident's data.
    let mut intruder = PermohonanDoc::from_automerge(hub.fork());
    intruder.set_penduduk(&orang()).unwrap();
    let before = receive(&mut hub, &mut intruder);
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130102-p1"),
        Err(Refusal::OtherKecamatan { .. })
    ));
}

#[test]
fn office_rewriting_its_kecamatan_is_refused() {
    let mut office = PermohonanDoc::new("130102-p1", "130102").unwrap();
    let mut hub = hub_copy(&mut office);
    office.automerge().put(ROOT, "kecamatan", "130101").unwrap();
    office.automerge().commit();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130102"), "130102-p1"),
        Err(Refusal::Immutable {
            field: "kecamatan".into()
        })
    );
}

#[test]
fn office_forging_the_decision_is_refused() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = hub_copy(&mut office);
    office.set_keputusan(&keputusan()).unwrap();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Err(Refusal::NotOwner {
            field: "keputusan".into(),
            sender: "kecamatan 130101".into()
        })
    );
    // Even on a brand-new document.
    let mut office = PermohonanDoc::new("130101-p2", "130101").unwrap();
    office.set_keputusan(&keputusan()).unwrap();
    let mut hub = AutoCommit::new();
    let before = receive(&mut hub, &mut office);
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p2"),
        Err(Refusal::NotOwner { .. })
    ));
}

#[test]
fn new_ids_must_carry_the_offices_kecamatan() {
    // The squat: office 130101 creates, under its own kecamatan, an id of 130102's form.
    for id in ["130102-0195c1d2", "p1", "130101", "130101-", "1301011-x"] {
        let mut office = PermohonanDoc::new(id, "130101").unwrap();
        let mut hub = AutoCommit::new();
        let before = receive(&mut hub, &mut office);
        assert!(
            matches!(
                check_incoming(&mut hub, &before, &kantor("130101"), id),
                Err(Refusal::ForeignId { .. })
            ),
            "{id}"
        );
    }
    let id = permohonan_id("130101", "0195c1d2-7f00-7000-8000-000000000000");
    assert!(id_belongs_to(&id, "130101") && !id_belongs_to(&id, "130102"));
    let mut office = PermohonanDoc::new(&id, "130101").unwrap();
    let mut hub = AutoCommit::new();
    let before = receive(&mut hub, &mut office);
    assert_eq!(
        check_incoming(&mut hub, &before, &kantor("130101"), &id),
        Ok(())
    );
}

#[test]
fn unknown_root_keys_and_wrong_ids_are_refused() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = hub_copy(&mut office);
    office.automerge().put(ROOT, "extra", 1).unwrap();
    office.automerge().commit();
    let before = receive(&mut hub, &mut office);
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Err(Refusal::NotOwner { field, .. }) if field == "extra"
    ));
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = AutoCommit::new();
    let before = receive(&mut hub, &mut office);
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p9"),
        Err(Refusal::Malformed(_))
    ));
}

#[test]
fn hub_may_write_only_the_decision() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    office.set_penduduk(&orang()).unwrap();
    let mut hubdoc = PermohonanDoc::from_automerge(hub_copy(&mut office));
    let before = hubdoc.heads();
    hubdoc.set_keputusan(&keputusan()).unwrap();
    assert_eq!(
        check_incoming(hubdoc.automerge(), &before, &Penulis::Hub, "130101-p1"),
        Ok(())
    );
    let before = hubdoc.heads();
    hubdoc.set_penduduk(&json!({"nama": "X"})).unwrap();
    assert!(matches!(
        check_incoming(hubdoc.automerge(), &before, &Penulis::Hub, "130101-p1"),
        Err(Refusal::NotOwner { .. })
    ));
}

#[test]
fn concurrent_office_and_hub_edits_merge() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = PermohonanDoc::from_automerge(hub_copy(&mut office));
    hub.set_keputusan(&keputusan()).unwrap();
    office.set_penduduk(&orang()).unwrap();
    let before = receive(hub.automerge(), &mut office);
    assert_eq!(
        check_incoming(hub.automerge(), &before, &kantor("130101"), "130101-p1"),
        Ok(())
    );
    let changes = hub.automerge().get_changes(&[]);
    office.automerge().apply_changes(changes).unwrap();
    assert_eq!(office.heads(), hub.heads());
    assert_eq!(office.view().unwrap(), hub.view().unwrap());
}

#[test]
fn invisible_operations_on_the_decision_are_refused() {
    // Written and deleted in one change: no visible patch, but the operations are there.
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = hub_copy(&mut office);
    let am = office.automerge();
    let k = am.put_object(ROOT, "keputusan", ObjType::Map).unwrap();
    am.put(&k, "hasil", "unik").unwrap();
    am.delete(ROOT, "keputusan").unwrap();
    am.commit();
    let before = receive(&mut hub, &mut office);
    let after = hub.get_heads();
    assert!(hub.diff(&before, &after).is_empty(), "no visible patch");
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Err(Refusal::NotOwner { field, .. }) if field == "keputusan"
    ));
}

#[test]
fn a_hidden_write_of_the_kecamatan_is_refused() {
    let mut office = PermohonanDoc::new("130101-p1", "130101").unwrap();
    let mut hub = hub_copy(&mut office);
    let am = office.automerge();
    am.put(ROOT, "kecamatan", "130102").unwrap();
    am.put(ROOT, "kecamatan", "130101").unwrap();
    am.commit();
    let before = receive(&mut hub, &mut office);
    assert!(matches!(
        check_incoming(&mut hub, &before, &kantor("130101"), "130101-p1"),
        Err(Refusal::Immutable { .. })
    ));
}
