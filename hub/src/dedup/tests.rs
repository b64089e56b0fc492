//! Tests of the dedup engine on real stored documents (SQLite storage in a temp folder),
//! with real FVC2002 fingerprint templates and synthetic iris codes.

use std::path::PathBuf;

use rekam_shared::bio::iris::{Eye, IrisShape};
use rekam_shared::bio::synth::IrisSynth;
use rekam_shared::document::{Biometrik, HasilDedup, JenisTemuan, PermohonanDoc};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::JenisKelamin;
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::contoh::kunjungan_lancar;
use rekam_shared::workflow::{Aksi, Peran, Peristiwa};
use serde_json::json;

use super::*;
use crate::storage::sqlite::SqliteStorage;

const SHAPE: IrisShape = IrisShape::OPEN_IRIS;

fn hub() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
    (dir, s)
}

/// Resident `n` registered in kecamatan 130101 (NIK from `n`).
fn penduduk(n: u16) -> serde_json::Value {
    let kode = KodeKecamatan::new(13, 1, 1).unwrap();
    let lahir = chrono::NaiveDate::from_ymd_opt(1990, 1 + u32::from(n % 12), 10).unwrap();
    let nik = Nik::from_parts(kode, lahir, JenisKelamin::Perempuan, n + 1).unwrap();
    json!({
        "nik": nik.to_string(), "no_kk": format!("130101011020{:04}", n + 1),
        "nama": format!("Warga {n}"), "tempat_lahir": "Painan",
        "tanggal_lahir": lahir.to_string(), "jenis_kelamin": "perempuan",
        "status_perkawinan": "kawin", "alamat": "Jl. Samudera 1", "rt": 1, "rw": 2,
        "nagari": "Painan", "kecamatan": "130101"
    })
}

/// Biometrics of person `who` at capture `capture`: both irises, and one real fingerprint
/// (FVC2002 DB1_B finger `101 + who % 10`, impression `capture + 1`).
fn biometrik(who: u64, capture: u64) -> Biometrik {
    let synth = IrisSynth::new(SHAPE);
    let finger = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../shared/tests/fixtures/fingerprints/fvc2002-iso/DB1_B/{}_{}.iso",
        101 + who % 10,
        capture + 1
    ));
    Biometrik {
        sidik_jari: [("right-index".to_owned(), std::fs::read(finger).unwrap())].into(),
        iris: synth.capture_dokumen(who, capture),
        foto: None,
        tanda_tangan: None,
    }
}

/// An event at minute `menit` of a fixed morning, by the usual operator of `peran`.
fn ev(menit: i64, peran: Peran, aksi: Aksi) -> Peristiwa {
    let waktu = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap()
        + chrono::TimeDelta::minutes(menit);
    let operator = if peran == Peran::OperatorRegistrasi {
        "reg"
    } else {
        "rek"
    };
    Peristiwa::new(waktu, operator, peran, aksi)
}

/// The events of a visit up to a successful recording of application `id` (each step by the
/// role the SOP gives it), or only up to the queue number if not `recorded`.
pub(crate) fn perjalanan(id: &str, recorded: bool) -> Vec<Peristiwa> {
    let t0 = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let mut e = kunjungan_lancar(t0, "reg", "rek", 1, &format!("B-{id}"));
    e.truncate(if recorded { 6 } else { 4 });
    e
}

/// Stores application `id` of resident `n` as its office would after recording (or not).
fn store(s: &SqliteStorage, id: &str, n: u16, bio: &Biometrik, recorded: bool) {
    store_events(s, id, n, bio, &perjalanan(id, recorded));
}

/// Stores application `id` with these events, straight into storage (not through sync, which
/// would refuse events that break the SOP).
fn store_events(s: &SqliteStorage, id: &str, n: u16, bio: &Biometrik, events: &[Peristiwa]) {
    let mut d = PermohonanDoc::new(id, "130101").unwrap();
    d.set_penduduk(&penduduk(n)).unwrap();
    d.append_peristiwa(events).unwrap();
    d.set_biometrik(bio).unwrap();
    let bytes = d.save();
    s.transaction(&mut |tx| tx.save_doc(id, "130101", &bytes, false))
        .unwrap();
}

fn engine() -> Dedup {
    Dedup::new(SHAPE, GalleryConfig::default())
}

fn decided(o: Outcome) -> Keputusan {
    match o {
        Outcome::Decided(k) => k,
        other => panic!("not decided: {other:?}"),
    }
}

#[test]
fn unique_then_duplicate_by_nik_and_by_biometrics() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    let k = decided(e.process(&s, "130101-a").unwrap());
    assert_eq!((k.hasil, k.oleh.as_str()), (HasilDedup::Unik, SISTEM));
    assert!(k.duplikat_dari.is_empty());

    // The same NIK again, with person 1's biometrics (another capture): re-recording.
    store(&s, "130101-b", 1, &biometrik(1, 1), true);
    let k = decided(e.process(&s, "130101-b").unwrap());
    assert_eq!(k.hasil, HasilDedup::Duplikat);
    assert_eq!(k.jenis, Some(JenisTemuan::PerekamanUlang), "{}", k.catatan);
    assert_eq!(k.duplikat_dari, vec!["130101-a".to_owned()]);
    assert!(k.catatan.contains("NIK"), "{}", k.catatan);

    // Another NIK, but person 1's irises and finger (another capture): a second identity.
    store(&s, "130101-c", 2, &biometrik(1, 2), true);
    let k = decided(e.process(&s, "130101-c").unwrap());
    assert_eq!(k.hasil, HasilDedup::Duplikat, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::IdentitasGanda), "{}", k.catatan);
    assert!(k.duplikat_dari.contains(&"130101-a".to_owned()), "{k:?}");

    // Someone else entirely: unique.
    store(&s, "130101-d", 3, &biometrik(3, 0), true);
    assert_eq!(
        decided(e.process(&s, "130101-d").unwrap()).hasil,
        HasilDedup::Unik
    );

    // The decisions are in the stored documents, written by the hub (so they flow back).
    let doc = PermohonanDoc::load(&s.load_doc("130101-c").unwrap().unwrap().bytes).unwrap();
    assert_eq!(
        doc.keputusan().unwrap().unwrap().hasil,
        HasilDedup::Duplikat
    );
    let mut feed = 0;
    s.transaction(&mut |tx| {
        feed = tx.hub_changes_since("130101", 0, 10)?.len();
        Ok(())
    })
    .unwrap();
    assert_eq!(feed, 4, "every decision is queued for the office");
}

#[test]
fn not_recorded_or_already_decided_is_left_alone() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), false);
    assert_eq!(e.process(&s, "130101-a").unwrap(), Outcome::NotReady);
    assert_eq!(e.process(&s, "130101-nope").unwrap(), Outcome::NotReady);
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    decided(e.process(&s, "130101-a").unwrap());
    // A later change of a decided application (e.g. the hand-over) is not decided again.
    assert_eq!(e.process(&s, "130101-a").unwrap(), Outcome::AlreadyDecided);
    assert_eq!(e.len(), 1);
}

#[test]
fn a_restarted_hub_rebuilds_the_index_and_decides_what_was_pending() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    decided(e.process(&s, "130101-a").unwrap());
    // Stored while the engine was not running.
    store(&s, "130101-b", 7, &biometrik(1, 1), true);
    store(&s, "130101-c", 8, &biometrik(8, 0), false);
    drop(e);

    let e = engine();
    assert_eq!(e.rebuild(&s).unwrap(), 2);
    let doc = PermohonanDoc::load(&s.load_doc("130101-b").unwrap().unwrap().bytes).unwrap();
    let k = doc.keputusan().unwrap().unwrap();
    assert_eq!(k.hasil, HasilDedup::Duplikat);
    assert_eq!(k.duplikat_dari, vec!["130101-a".to_owned()]);
    // The unrecorded one waits.
    let doc = PermohonanDoc::load(&s.load_doc("130101-c").unwrap().unwrap().bytes).unwrap();
    assert_eq!(doc.keputusan().unwrap(), None);
}

#[test]
fn unreadable_samples_are_skipped_not_fatal() {
    let mut bio = biometrik(4, 0);
    bio.sidik_jari
        .insert("left-thumb".into(), b"FMR\0 20\0 garbage".to_vec());
    bio.sidik_jari.insert("sixth-finger".into(), Vec::new());
    bio.iris.insert("ketiga".into(), "x".into());
    let (p, unreadable) = person_of(&bio, SHAPE);
    assert_eq!(
        unreadable,
        vec![
            "sidik jari left-thumb".to_owned(),
            "sidik jari 'sixth-finger' (posisi tidak dikenal)".to_owned(),
            "iris 'ketiga' (mata tidak dikenal)".to_owned(),
        ]
    );
    assert!(p.iris(Eye::Left).is_some() && p.iris(Eye::Right).is_some());
    assert!(
        p.finger(rekam_shared::bio::iso::FingerPosition::RightIndex)
            .is_some()
    );
    assert!(
        p.finger(rekam_shared::bio::iso::FingerPosition::LeftThumb)
            .is_none()
    );
}

#[test]
fn two_offices_recording_one_person_at_once_do_not_miss_each_other() {
    // Repeated, because the interesting interleavings are timing-dependent.
    for round in 0..10u16 {
        let (_d, s) = hub();
        let e = engine();
        let (a, b) = (format!("130101-a{round}"), format!("130101-b{round}"));
        store(&s, &a, 2 * round + 1, &biometrik(6, 0), true);
        store(&s, &b, 2 * round + 2, &biometrik(6, 1), true);
        let (ra, rb) = std::thread::scope(|t| {
            let ha = t.spawn(|| decided(e.process(&s, &a).unwrap()));
            let hb = t.spawn(|| decided(e.process(&s, &b).unwrap()));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let mut hasil = [ra.hasil, rb.hasil];
        hasil.sort_by_key(|h| format!("{h:?}"));
        assert_eq!(
            hasil,
            [HasilDedup::Duplikat, HasilDedup::Unik],
            "round {round}"
        );
    }
}

#[test]
fn recorded_means_the_replayed_state_not_any_perekaman_berhasil() {
    let (_d, s) = hub();
    let e = engine();
    let berhasil = |b: &str| Aksi::PerekamanBerhasil {
        nomor_bukti: b.into(),
    };
    let rek = Peran::OperatorPerekaman;
    // A "recording" with none of the steps before it.
    store_events(
        &s,
        "130101-alone",
        1,
        &biometrik(1, 0),
        &[ev(0, rek, berhasil("B-1"))],
    );
    // Opened, then "recorded" without documents, check, queue number or call.
    store_events(
        &s,
        "130101-skipped",
        2,
        &biometrik(2, 0),
        &[
            ev(0, Peran::OperatorRegistrasi, Aksi::PermohonanDibuat),
            ev(1, rek, berhasil("B-2")),
        ],
    );
    // Every step, but the recording fired by the registration desk.
    let mut wrong_role = perjalanan("130101-role", false);
    wrong_role.push(ev(4, rek, Aksi::Dipanggil));
    wrong_role.push(ev(5, Peran::OperatorRegistrasi, berhasil("B-3")));
    store_events(&s, "130101-role", 3, &biometrik(3, 0), &wrong_role);
    for id in ["130101-alone", "130101-skipped", "130101-role"] {
        assert_eq!(e.process(&s, id).unwrap(), Outcome::NotReady, "{id}");
    }
    // Nor does a restarted hub take them for recordings.
    let e = engine();
    assert_eq!(e.rebuild(&s).unwrap(), 0);
    for id in ["130101-alone", "130101-skipped", "130101-role"] {
        let doc = PermohonanDoc::load(&s.load_doc(id).unwrap().unwrap().bytes).unwrap();
        assert_eq!(doc.keputusan().unwrap(), None, "{id}");
    }
    // A real recording, and one already handed over, are.
    store(&s, "130101-ok", 4, &biometrik(4, 0), true);
    decided(e.process(&s, "130101-ok").unwrap());
    let mut handed = perjalanan("130101-handed", true);
    handed.push(ev(6, rek, Aksi::DiterimaPenduduk));
    store_events(&s, "130101-handed", 5, &biometrik(5, 0), &handed);
    decided(e.process(&s, "130101-handed").unwrap());
    assert_eq!(e.len(), 2);
}

/// The decision stored in application `id`.
fn keputusan_of(s: &SqliteStorage, id: &str) -> Option<Keputusan> {
    PermohonanDoc::load(&s.load_doc(id).unwrap().unwrap().bytes)
        .unwrap()
        .keputusan()
        .unwrap()
}

#[test]
fn no_usable_biometrics_is_a_case_for_a_person_never_unik() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    decided(e.process(&s, "130101-a").unwrap());
    // Nothing captured at all.
    store(&s, "130101-kosong", 2, &Biometrik::default(), true);
    let k = decided(e.process(&s, "130101-kosong").unwrap());
    assert_eq!(k.hasil, HasilDedup::PerluAdjudikasi, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::BiometrikTidakCukup));
    assert!(
        k.catatan.contains("0 iris dan 0 sidik jari"),
        "{}",
        k.catatan
    );
    // Only garbage: a record that does not parse, an iris code of another shape.
    let mut sampah = Biometrik::default();
    sampah
        .sidik_jari
        .insert("right-index".into(), b"FMR\0 20\0 garbage".to_vec());
    sampah.iris.insert(
        "kanan".into(),
        IrisSynth::new(IrisShape::DAUGMAN_2048)
            .capture(1, Eye::Right, 0)
            .to_text(),
    );
    store(&s, "130101-sampah", 3, &sampah, true);
    let k = decided(e.process(&s, "130101-sampah").unwrap());
    assert_eq!(k.hasil, HasilDedup::PerluAdjudikasi, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::BiometrikTidakCukup));
    assert!(
        k.catatan.contains("sidik jari right-index") && k.catatan.contains("iris kanan"),
        "{}",
        k.catatan
    );
    // One finger and no iris is too little too; audited each time.
    let mut satu = biometrik(5, 0);
    satu.iris.clear();
    store(&s, "130101-satu", 4, &satu, true);
    let k = decided(e.process(&s, "130101-satu").unwrap());
    assert_eq!(
        k.jenis,
        Some(JenisTemuan::BiometrikTidakCukup),
        "{}",
        k.catatan
    );
    let audited = s
        .audit_entries(50)
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "dedup.tidak_dapat_diputuskan")
        .count();
    assert_eq!(audited, 3);
}

#[test]
fn a_document_of_an_unknown_schema_is_a_case_not_skipped() {
    let (_d, s) = hub();
    let e = engine();
    let mut d = PermohonanDoc::new("130101-baru", "130101").unwrap();
    d.set_penduduk(&penduduk(1)).unwrap();
    d.append_peristiwa(&perjalanan("130101-baru", true))
        .unwrap();
    d.set_biometrik(&biometrik(1, 0)).unwrap();
    let mut am = d.into_automerge();
    automerge::transaction::Transactable::put(&mut am, automerge::ROOT, "schema", 99u64).unwrap();
    let bytes = am.save();
    s.transaction(&mut |tx| tx.save_doc("130101-baru", "130101", &bytes, false))
        .unwrap();
    let k = decided(e.process(&s, "130101-baru").unwrap());
    assert_eq!(k.hasil, HasilDedup::PerluAdjudikasi, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::DokumenTidakTerbaca));
    assert!(k.catatan.contains("99"), "{}", k.catatan);
    // The decision is in the stored document, for the district to see.
    let stored = crate::sync::load_for_hub(&s.load_doc("130101-baru").unwrap().unwrap().bytes)
        .unwrap()
        .keputusan()
        .unwrap()
        .unwrap();
    assert_eq!(stored.jenis, Some(JenisTemuan::DokumenTidakTerbaca));
}

#[test]
fn same_nik_with_other_biometrics_is_a_case_of_possible_misuse() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    decided(e.process(&s, "130101-a").unwrap());
    store(&s, "130101-b", 1, &biometrik(5, 0), true);
    let k = decided(e.process(&s, "130101-b").unwrap());
    assert_eq!(k.hasil, HasilDedup::PerluAdjudikasi, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::NikGanda));
    assert_eq!(k.duplikat_dari, vec!["130101-a".to_owned()]);
}

/// Re-stores application `id` with other biometrics, keeping its document (and decision).
fn change_biometrics(s: &SqliteStorage, id: &str, bio: &Biometrik) {
    let mut d = crate::sync::load_for_hub(&s.load_doc(id).unwrap().unwrap().bytes).unwrap();
    d.set_biometrik(bio).unwrap();
    let bytes = d.save();
    s.transaction(&mut |tx| tx.save_doc(id, "130101", &bytes, false))
        .unwrap();
}

#[test]
fn biometrics_changed_after_a_decision_reopen_it() {
    let (_d, s) = hub();
    let e = engine();
    store(&s, "130101-a", 1, &biometrik(1, 0), true);
    store(&s, "130101-b", 2, &biometrik(2, 0), true);
    store(&s, "130101-c", 3, &biometrik(3, 0), true);
    for id in ["130101-a", "130101-b", "130101-c"] {
        assert_eq!(decided(e.process(&s, id).unwrap()).hasil, HasilDedup::Unik);
    }
    assert!(keputusan_of(&s, "130101-b").unwrap().dasar.is_some());
    // The engine's own decision: decided again on the new biometrics (now person 1's).
    change_biometrics(&s, "130101-b", &biometrik(1, 1));
    let k = decided(e.process(&s, "130101-b").unwrap());
    assert_eq!(k.hasil, HasilDedup::Duplikat, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::IdentitasGanda));
    // Unchanged afterwards: left alone.
    assert_eq!(e.process(&s, "130101-b").unwrap(), Outcome::AlreadyDecided);
    // A person's decision is never replaced: a change opens a case.
    crate::sync::decide(
        &s,
        "130101-c",
        &Keputusan {
            hasil: HasilDedup::Unik,
            oleh: "adjudikator".into(),
            waktu: chrono::Utc::now(),
            catatan: "diperiksa".into(),
            duplikat_dari: vec![],
            jenis: None,
            dasar: None,
        },
    )
    .unwrap();
    assert_eq!(e.process(&s, "130101-c").unwrap(), Outcome::AlreadyDecided);
    change_biometrics(&s, "130101-c", &biometrik(4, 0));
    let k = decided(e.process(&s, "130101-c").unwrap());
    assert_eq!(k.hasil, HasilDedup::PerluAdjudikasi, "{}", k.catatan);
    assert_eq!(k.jenis, Some(JenisTemuan::DataBerubah));
    assert!(k.catatan.contains("adjudikator"), "{}", k.catatan);
    // A restarted hub re-opens changes made while it was down.
    change_biometrics(&s, "130101-a", &biometrik(4, 1));
    let e = engine();
    e.rebuild(&s).unwrap();
    let k = keputusan_of(&s, "130101-a").unwrap();
    assert_eq!(k.hasil, HasilDedup::Duplikat, "{}", k.catatan);
}
