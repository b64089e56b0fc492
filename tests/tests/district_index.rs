//! End-to-end tests of the district index (issue 12, see docs/district-index.md) with the
//! real binaries on 127.0.0.1: a resident recorded at one office is found at another office's
//! step 2 while that office is cut off from the hub (documents returned, the reason saying
//! where and when, no second recording); and an office that missed many index updates catches
//! up through the fault proxy (30 % of connections cut) and ends with exactly the hub's index.
//!
//! Every randomized test prints its seed; `REKAM_TEST_SEED=<seed>` replays it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use rekam_hub::storage::Storage as _;
use rekam_hub::storage::sqlite::SqliteStorage;
use rekam_shared::bio::synth::IrisSynth;
use rekam_shared::document::{Biometrik, PermohonanDoc};
use rekam_shared::workflow::contoh::kunjungan_lancar;
use rekam_tests::harness::{self, Office, Pki, start_hub, start_hub_with_env};
use rekam_tests::proxy::{FaultProxy, Faults};
use rusqlite::OpenFlags;
use serde_json::{Value, json};

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn hub_db(data: &Path) -> std::path::PathBuf {
    data.join(rekam_hub::cli::DB_FILE)
}

/// The hub's index: head version and the ids of the persons in it (tombstones left out).
fn hub_index(data: &Path) -> (u64, BTreeSet<String>) {
    let c = rusqlite::Connection::open_with_flags(hub_db(data), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let head: i64 = c
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM district_index",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let ids = ids_of(
        &c,
        "SELECT permohonan_id FROM district_index WHERE kunci IS NOT NULL",
    );
    (head as u64, ids)
}

/// An office's stored index: the version it holds and the ids of the persons.
fn office_index(o: &Office) -> (Option<u64>, BTreeSet<String>) {
    let c =
        rusqlite::Connection::open_with_flags(o.db(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let versi: Option<String> = c
        .query_row(
            "SELECT value FROM sync_meta WHERE key = 'indeks_versi'",
            [],
            |r| r.get(0),
        )
        .ok();
    let ids = ids_of(&c, "SELECT permohonan_id FROM indeks_kabupaten");
    (versi.and_then(|v| v.parse().ok()), ids)
}

/// The application ids a one-column query gives.
fn ids_of(c: &rusqlite::Connection, sql: &str) -> BTreeSet<String> {
    let mut st = c.prepare(sql).unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<BTreeSet<String>, _>>()
        .unwrap()
}

async fn sim_subjek(o: &Office, subjek: u64) {
    let r = o
        .http
        .post(format!("http://{}/sim/subjek", o.sim.addr))
        .json(&json!({ "subjek": subjek }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

/// Waits until `f` holds for the desk's `/api/cek` answer.
async fn wait_cek(o: &Office, token: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = o.get(token, "/api/cek").await.unwrap();
        if f(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_recorded_elsewhere_is_found_at_step_2_while_cut_off_from_the_hub() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub = start_hub(&hub_data, &pki, localhost(0)).unwrap();
    let proxy_b = FaultProxy::builder(hub.addr).start().await.unwrap();
    let url_a = format!("https://127.0.0.1:{}", hub.addr.port());
    let url_b = format!("https://127.0.0.1:{}", proxy_b.addr().port());
    // Pancung Soal records Rahmat; IV Jurai will see him.
    let a = Office::create(root.path(), &pki, "130101", &url_a)
        .await
        .unwrap();
    let b = Office::create(root.path(), &pki, "130105", &url_b)
        .await
        .unwrap();
    let (reg_a, rek_a) = (a.login("reg").await.unwrap(), a.login("rek").await.unwrap());
    let recorded = a.record(&reg_a, &rek_a, 1).await.unwrap();
    // The simulator's subject of office A's resident 1 (see `Office::record_confirmed`).
    let subjek = 1000 + 1;

    // Office B receives the index entry, then loses the hub.
    let reg_b = b.login("reg").await.unwrap();
    let cek = wait_cek(&b, &reg_b, "office B never received the index", |v| {
        v["distrik"]["jumlah"] == 1 && v["distrik"]["per"].is_string()
    })
    .await;
    assert!(cek["peringatan"].is_null(), "{cek}");
    proxy_b.partition();

    // The same person (by iris) comes to office B's registration desk.
    let p = harness::resident("130105", 1);
    let v = b
        .post(&reg_b, "/api/permohonan", json!({ "penduduk": p }))
        .await
        .unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    let berkas = json!({"berkas": ["hadir_sendiri", "kk"]});
    for step in ["terima-berkas", "periksa-berkas"] {
        b.post(
            &reg_b,
            &format!("/api/permohonan/{id}/{step}"),
            berkas.clone(),
        )
        .await
        .unwrap();
    }
    sim_subjek(&b, subjek).await;
    let v = b
        .post(
            &reg_b,
            &format!("/api/permohonan/{id}/cek-biometrik"),
            json!({}),
        )
        .await
        .unwrap();
    // The SOP's "sudah rekam" branch: the documents go back, with where and when.
    assert_eq!(v["status"], "sudah_rekam", "{v}");
    let c = &v["cek_biometrik"]["cocok"][0];
    assert_eq!(c["sumber"], "distrik", "{v}");
    assert_eq!(c["permohonan_id"], recorded.as_str(), "{v}");
    assert_eq!(c["asal"]["kecamatan"], "130101", "{v}");
    let cakupan = v["cek_biometrik"]["cakupan"].as_str().unwrap();
    assert!(
        cakupan.starts_with("0 lokal + 1 kabupaten, indeks per "),
        "{cakupan}"
    );
    let k = v["keadaan"]["keterangan"].as_str().unwrap();
    assert!(
        k.starts_with("Sudah direkam di Kecamatan Pancung Soal pada "),
        "{k}"
    );
    assert!(k.contains(&recorded), "{k}");
    // No second recording: the recording desk cannot call this application.
    let rek_b = b.login("rek").await.unwrap();
    let call = b
        .post(
            &rek_b,
            &format!("/api/permohonan/{id}/panggil"),
            json!({"loket": "1"}),
        )
        .await;
    assert!(call.is_err(), "{call:?}");
    // The application page shows the reason.
    let page = b
        .http
        .get(format!("{}/permohonan/{id}", b.base()))
        .bearer_auth(&reg_b)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Sudah direkam di Kecamatan Pancung Soal"),
        "{page}"
    );

    // Back online: the hub still indexes this person once.
    proxy_b.heal();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !harness::hub_docs(&hub_data)
        .unwrap()
        .iter()
        .any(|d| d.id == id)
    {
        assert!(
            Instant::now() < deadline,
            "office B's application never reached the hub"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, ids) = hub_index(&hub_data);
    assert_eq!(ids, BTreeSet::from([recorded]));
    drop(hub);
}

/// A recorded application of kecamatan 130104 for synthetic person `who`.
fn recorded_doc(id: &str, who: u64) -> PermohonanDoc {
    let synth = IrisSynth::new(rekam_hub::index::IRIS_SHAPE);
    let mut d = PermohonanDoc::new(id, "130104").unwrap();
    d.set_penduduk(&harness::resident("130104", (who % 5_000) as u16 + 1))
        .unwrap();
    let mulai = chrono::Utc::now() - chrono::TimeDelta::days(30);
    let mut visit = kunjungan_lancar(mulai, "op", "op", 1, &format!("B-{id}"));
    visit.truncate(6);
    d.append_peristiwa(&visit).unwrap();
    d.set_biometrik(&Biometrik {
        sidik_jari: Default::default(),
        iris: synth.capture_dokumen(who, 0),
        foto: None,
        tanda_tangan: None,
    })
    .unwrap();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_that_missed_many_index_updates_catches_up_through_a_faulty_link() {
    /// Entries the office misses, and the hub's chunk size (many requests).
    const MISSED: usize = 600;
    const CHUNK: &str = "16";
    let seed = harness::test_seed(
        "an_office_that_missed_many_index_updates_catches_up_through_a_faulty_link",
    );
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub = start_hub_with_env(
        &hub_data,
        &pki,
        localhost(0),
        &[("REKAM_HUB_INDEX_CHUNK", CHUNK)],
    )
    .unwrap();
    let proxy = FaultProxy::builder(hub.addr)
        .seed(seed)
        .start()
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let mut o = Office::create(root.path(), &pki, "130103", &url)
        .await
        .unwrap();
    let reg = o.login("reg").await.unwrap();
    wait_cek(&o, &reg, "the office never saw the hub's index", |v| {
        v["distrik"]["per"].is_string()
    })
    .await;
    // The office is closed for a month; meanwhile the district records, and corrects some.
    o.agent.take().unwrap().stop().unwrap();
    let storage = SqliteStorage::open(&hub_db(&hub_data)).unwrap();
    storage
        .transaction(&mut |tx| {
            for i in 0..MISSED {
                let id = format!("130104-m{i:04}");
                let mut d = recorded_doc(&id, 50_000 + i as u64);
                tx.save_doc(&id, "130104", &d.save(), false)?;
                rekam_hub::index::perbarui(tx, &id, "130104", &d)?;
            }
            // Ten recordings corrected away (their irises removed): tombstones.
            for i in 0..10 {
                let id = format!("130104-m{i:04}");
                let mut d = recorded_doc(&id, 50_000 + i as u64);
                let mut bio = d.biometrik().unwrap();
                bio.iris.clear();
                d.set_biometrik(&bio).unwrap();
                tx.save_doc(&id, "130104", &d.save(), false)?;
                rekam_hub::index::perbarui(tx, &id, "130104", &d)?;
            }
            Ok(())
        })
        .unwrap();
    drop(storage);
    let (head, hub_ids) = hub_index(&hub_data);
    assert_eq!(hub_ids.len(), MISSED - 10);

    // Back, through a slow line that cuts 30 % of its connections; the line also drops for a
    // moment now and then, so that the agent opens new connections (each drawing its chance).
    proxy.set_faults(Faults {
        cut: 0.3,
        cut_within_bytes: 60_000,
        ..Faults::none().kbit_per_sec(256)
    });
    o.start().unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut drops = 0;
    loop {
        let (versi, ids) = office_index(&o);
        if versi == Some(head) {
            assert_eq!(ids, hub_ids, "the office's index differs from the hub's");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "office at version {versi:?} of {head} after {drops} drops (seed {seed}): {:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        proxy.partition();
        tokio::time::sleep(Duration::from_millis(200)).await;
        proxy.heal();
        drops += 1;
    }
    let st = proxy.stats();
    eprintln!("caught up to {head} after {drops} drops: {st:?}");
    assert!(
        st.cut_fault >= 1,
        "the 30 % cut fault never struck (seed {seed}): {st:?}"
    );
    // The desk searches exactly what is stored: every person, once.
    let v = o.get(&reg, "/api/cek").await.unwrap();
    assert_eq!(v["distrik"]["jumlah"], MISSED - 10, "{v}");
    drop(hub);
}
