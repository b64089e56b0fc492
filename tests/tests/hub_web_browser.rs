//! End-to-end test of the district dashboard in headless Chromium (WebDriver, as
//! `agent_browser.rs`): two real offices record the same person (same biometrics from the
//! device simulator) under two NIKs while the hub is not yet running; the hub, set so that a
//! person decides every biometric match (`REKAM_HUB_AMBANG_COCOK=1000`), makes it a case.
//! An adjudicator logs in, opens the cases list and the case (both applications side by side,
//! photos from the authenticated blob route, the scores), decides "duplikat" with a reason, and
//! the decision arrives at the office (its desk API shows it after a sync). Screenshots go to
//! `target/test-artifacts/` (or `$REKAM_SCREENSHOTS`).
//!
//! Fails when `chromium` or `chromedriver` is not installed, unless `REKAM_SKIP_MISSING=1`
//! asks to skip it ([`rekam_tests::external`]).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rekam_tests::dashboard::{self, PASSWORD};
use rekam_tests::external::{self, Needed};
use rekam_tests::harness::{Office, Pki, free_port, hub_dedup_stats, hub_docs};
use rekam_tests::webdriver::{CHROMEDRIVER, CHROMIUM, Sertifikat, new_session, start_driver};
use serde_json::{Value, json};

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adjudicator_decides_a_case_from_two_offices_and_the_office_receives_it() {
    if let Needed::Skip(_) = external::require(
        &[CHROMIUM, CHROMEDRIVER],
        "apt-get install chromium chromium-driver",
    )
    .unwrap()
    {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    dashboard::issue_dashboard(&pki).unwrap();
    let hub_data = root.path().join("hub");
    dashboard::add_user(&hub_data, "adjudikator", "pengadjudikasi", PASSWORD).unwrap();

    // Two offices record the same person (simulator subject 7777) under two NIKs while the
    // hub is not running yet, so that neither desk can know of the other recording.
    let sync = localhost(free_port());
    let sync_url = format!("https://127.0.0.1:{}", sync.port());
    let a = Office::create(root.path(), &pki, "130101", &sync_url)
        .await
        .unwrap();
    let b = Office::create(root.path(), &pki, "130102", &sync_url)
        .await
        .unwrap();
    let (reg_a, rek_a) = (a.login("reg").await.unwrap(), a.login("rek").await.unwrap());
    let (reg_b, rek_b) = (b.login("reg").await.unwrap(), b.login("rek").await.unwrap());
    let id_a = a.record_subjek(&reg_a, &rek_a, 1, 7777).await.unwrap().id;
    let id_b = b.record_subjek(&reg_b, &rek_b, 1, 7777).await.unwrap().id;

    let hub = dashboard::start(
        &hub_data,
        &pki,
        sync,
        &[
            ("REKAM_HUB_AMBANG_COCOK", "1000"),
            ("REKAM_HUB_AMBANG_MUNGKIN", "3"),
        ],
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let s = hub_dedup_stats(&hub_data).unwrap();
        if s["decided"] == 2 && s["hasil"]["perlu_adjudikasi"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no case: {s}\n{}",
            hub.proc.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Photos and signatures are uploaded after the documents: wait for all four.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let docs = hub_docs(&hub_data).unwrap();
        let blobs: Vec<bool> = docs
            .iter()
            .flat_map(|d| d.blobs.iter().map(|b| b.1))
            .collect();
        if blobs.len() == 4 && blobs.iter().all(|c| *c) {
            break;
        }
        assert!(Instant::now() < deadline, "blobs not at the hub: {blobs:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let driver = start_driver().await.unwrap();
    let s = new_session(
        &driver,
        &root.path().join("profil"),
        Sertifikat::TerimaCaDistrik,
    )
    .await
    .unwrap();
    s.goto(&format!("{}/kasus", hub.url())).await.unwrap();
    s.find("form.login").await.unwrap();
    s.shot("dasbor-masuk").await.unwrap();
    s.type_into("#nama", "adjudikator").await.unwrap();
    s.type_into("#password", PASSWORD).await.unwrap();
    s.submit("#masuk").await.unwrap();
    // Login lands on the overview; the cases are one menu entry away.
    s.find("#ikhtisar").await.unwrap();
    s.click("nav a[href='/kasus']").await.unwrap();
    let open = s.text("#kasus-terbuka").await.unwrap();
    let (case, other, office, token) = if open.contains(&id_a) {
        (id_a.clone(), id_b.clone(), &a, reg_a.clone())
    } else {
        assert!(open.contains(&id_b), "{open}");
        (id_b.clone(), id_a.clone(), &b, reg_b.clone())
    };
    s.shot("dasbor-kasus").await.unwrap();
    s.submit(&format!("#kasus-terbuka a[href='/kasus/{case}']"))
        .await
        .unwrap();
    // Side by side: both applications, their NIKs and who recorded them, the photos loaded
    // through the authenticated blob route, the scores.
    let kiri = s
        .text(&format!("section.kartu[data-permohonan='{case}']"))
        .await
        .unwrap();
    let kanan = s
        .text(&format!("section.kartu[data-permohonan='{other}']"))
        .await
        .unwrap();
    for (k, t) in [(&kiri, "case"), (&kanan, "other")] {
        assert!(k.contains("rek, "), "{t}: recorded by: {k}");
        assert!(k.contains("NIK"), "{t}: {k}");
        assert!(k.contains(" WIB"), "{t}: times in the district's zone: {k}");
    }
    // Each office by the name district staff know it by.
    let kantor = |id: &str| {
        let kode: rekam_shared::region::KodeKecamatan = id[..6].parse().unwrap();
        rekam_shared::region::kecamatan_pesisir_selatan(kode)
            .unwrap()
            .nama
            .to_string()
    };
    assert!(kiri.contains(&kantor(&case)), "{kiri}");
    assert!(kanan.contains(&kantor(&other)), "{kanan}");
    let niks: Value = s
        .script("return Array.from(document.querySelectorAll('dd.nik')).map(e => e.textContent)")
        .await
        .unwrap();
    let niks: Vec<&str> = niks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(niks.len(), 2, "{niks:?}");
    assert_ne!(niks[0], niks[1], "two NIKs expected: {niks:?}");
    let loaded = s
        .script("return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        .await
        .unwrap();
    let loaded = loaded.as_array().unwrap();
    assert!(
        loaded.len() >= 2 && loaded.iter().all(|v| v == true),
        "images: {loaded:?}"
    );
    let skor = s.text("#skor").await.unwrap();
    assert!(
        skor.contains(&other) && skor.contains("mungkin_cocok"),
        "{skor}"
    );
    s.shot("dasbor-kasus-berdampingan").await.unwrap();

    // The decision, with its reason.
    s.click("input[name=hasil][value=duplikat]").await.unwrap();
    s.type_into(
        "#alasan",
        "Foto, sidik jari dan iris sama; orang yang sama dengan dua NIK.",
    )
    .await
    .unwrap();
    s.submit("#simpan").await.unwrap();
    let sudah = s.text("#sudah").await.unwrap();
    assert!(sudah.contains("sudah diputuskan"), "{sudah}");
    s.shot("dasbor-diputuskan").await.unwrap();

    // It arrives at the office by sync: its desk API shows the person's decision.
    let deadline = Instant::now() + Duration::from_secs(120);
    let k = loop {
        let v = office
            .get(&token, &format!("/api/permohonan/{case}"))
            .await
            .unwrap();
        if v["keputusan"]["hasil"] == "duplikat" {
            break v["keputusan"].clone();
        }
        assert!(Instant::now() < deadline, "decision never arrived: {v}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(k["oleh"], "adjudikator", "{k}");
    assert_eq!(k["duplikat_dari"], json!([other]), "{k}");
    assert!(k["catatan"].as_str().unwrap().contains("dua NIK"), "{k}");

    // Audited: the views of both residents, the photos, the decision, all with the user name.
    let c = rusqlite::Connection::open_with_flags(
        hub_data.join(rekam_hub::cli::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = c
        .prepare("SELECT action FROM audit_log WHERE actor = 'adjudikator' AND permohonan_id = ?1")
        .unwrap();
    let actions: Vec<String> = st
        .query_map([&case], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for a in ["web.lihat", "dedup.explain", "web.berkas", "keputusan.set"] {
        assert!(actions.contains(&a.to_owned()), "{a} not in {actions:?}");
    }
    let _ = s.call("DELETE", "", None).await;
}
