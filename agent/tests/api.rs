//! API tests: every SOP branch through the JSON API of a real agent (in-process server on
//! 127.0.0.1, real SQLite file, device simulator over HTTP), plus roles, sessions, late steps
//! and bad input that must change nothing stored.

mod common;

use common::*;
use rekam_shared::penduduk::JenisKelamin;
use serde_json::{Value, json};

#[tokio::test]
async fn success_path_steps_1_to_4() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(1).await;
    let (id, v) = sampai_antrian(&o, &reg, dewasa(1)).await;
    assert_eq!(v["status"], "menunggu_perekaman");
    assert_eq!(v["nomor_antrian"], 1);
    assert_eq!(v["cek_biometrik"]["sudah_rekam"], false);
    assert!(
        v["cek_biometrik"]["cakupan"]
            .as_str()
            .unwrap()
            .contains("0 lokal")
    );

    // The waiting room sees number 001 waiting.
    let a = o.get(None, "/api/antrian").await;
    assert_eq!(a.body["menunggu"], json!([1]));

    // Recording desk: call the next number, capture everything, success.
    let r = o
        .post(&rek, "/api/antrian/panggil", json!({"loket": "2"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["id"], id.as_str());
    let a = o.get(None, "/api/antrian").await;
    assert_eq!(a.body["dipanggil"][0]["nomor_teks"], "001");
    assert_eq!(a.body["dipanggil"][0]["loket"], "2");

    // Success is refused until every sample is captured.
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({}))
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.body["field"], "biometrik");
    for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
        let r = o
            .post(&rek, &format!("/api/permohonan/{id}/rekam/{m}"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{m}: {r:?}");
    }
    let r = o.get(Some(&rek), &format!("/api/permohonan/{id}")).await;
    assert_eq!(r.body["biometrik"].as_array().unwrap().len(), 14);
    assert!(
        r.body["biometrik"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["quality"].as_u64().unwrap() > 0)
    );
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "terekam");
    let bukti = r.body["nomor_bukti"].as_str().unwrap().to_owned();
    assert!(bukti.starts_with("130101-"), "{bukti}");

    // Step 4.
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/serahkan"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "diserahkan");
    assert_eq!(r.body["riwayat_langkah"].as_array().unwrap().len(), 4);

    // Register book and audit log.
    let b = o.get(Some(&reg), "/api/buku").await;
    assert_eq!(b.body.as_array().unwrap().len(), 1);
    assert_eq!(b.body[0]["nomor_bukti"], bukti.as_str());
    assert_eq!(b.body[0]["operator_registrasi"], "reg");
    assert_eq!(b.body[0]["operator_perekaman"], "rek");
    let st = o.get(Some(&reg), "/api/statistik").await;
    assert_eq!(st.body["kantor"]["jumlah_permohonan"], 1, "{st:?}");
    assert_eq!(st.body["kantor"]["langkah"][2]["jumlah"], 1);
    assert_eq!(st.body["per_operator"]["rek"][3]["jumlah"], 1);
    // No hub configured: the office works alone and says so.
    let sync = o.get(Some(&reg), "/api/sync").await;
    assert_eq!(sync.body, serde_json::json!({"hub": false}), "{sync:?}");
    let csv = o.get(Some(&reg), "/buku.csv").await;
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("No,Jam datang,NIK"));
    assert!(text.contains(&bukti));
    assert_eq!(o.count("SELECT count(*) FROM peristiwa"), 7);
    assert!(o.count("SELECT count(*) FROM audit_log WHERE permohonan_id IS NOT NULL") >= 11);
    // The automerge document mirrors the rows.
    let doc: Vec<u8> = {
        let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
        c.query_row(
            "SELECT doc FROM permohonan_doc WHERE permohonan_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let doc = rekam_shared::document::PermohonanDoc::load(&doc).unwrap();
    let v = doc.view().unwrap();
    assert_eq!(v.peristiwa.len(), 7);
    assert_eq!(v.biometrik.sidik_jari.len(), 10);
    assert!(v.biometrik.foto.is_some());
    let kepala = o.login("kepala").await;
    let audit = o.get(Some(&kepala), "/api/audit").await;
    assert!(
        audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "perekaman.berhasil")
    );
    assert_eq!(o.get(Some(&reg), "/api/audit").await.status, 403);
    o.running.stop().await.unwrap();
}

#[tokio::test]
async fn documents_incorrect_and_not_eligible_are_returned_with_reason() {
    let o = office().await;
    let reg = o.login("reg").await;
    // Missing family card.
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(2)}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Ids carry the office's kecamatan, which the hub checks (no squatting of ids).
    assert!(id.starts_with("130101-") && id.len() > 20, "{id}");
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": ["hadir_sendiri"]}),
    )
    .await;
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/periksa-berkas"),
            json!({"berkas": ["hadir_sendiri"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "berkas_dikembalikan");
    assert_eq!(r.body["keadaan"]["alasan"]["type"], "berkas_tidak_lengkap");

    // Under 17, never married: not eligible, with the date of eligibility shown.
    let muda = penduduk(3, date(2012, 3, 4), JenisKelamin::Perempuan, "belum_kawin");
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": muda}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["kelayakan"]["hasil"], "belum_layak");
    assert_eq!(r.body["kelayakan"]["layak_pada"], "2029-03-04");
    let id = r.body["id"].as_str().unwrap().to_owned();
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/periksa-berkas"),
            json!({"berkas": BERKAS_LENGKAP}),
        )
        .await;
    assert_eq!(r.body["status"], "berkas_dikembalikan");
    assert_eq!(r.body["keadaan"]["alasan"]["type"], "belum_memenuhi_syarat");

    // Under 17 but married: eligible, needs the marriage book.
    let kawin = penduduk(4, date(2010, 1, 2), JenisKelamin::Perempuan, "kawin");
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": kawin}))
        .await;
    assert_eq!(r.body["kelayakan"]["alasan"], "pernah_kawin");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let all = ["hadir_sendiri", "kk", "buku_nikah"];
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": all}),
    )
    .await;
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/periksa-berkas"),
            json!({"berkas": all}),
        )
        .await;
    assert_eq!(r.body["status"], "pengecekan_biometrik", "{r:?}");

    // Explicit return by the operator (not the resident's documents).
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(5)}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/tolak"),
            json!({"alasan": "lainnya", "keterangan": ""}),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body["field"], "alasan");
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/tolak"),
            json!({"alasan": "berkas_tidak_benar"}),
        )
        .await;
    assert_eq!(r.body["status"], "berkas_dikembalikan", "{r:?}");
    // Terminal: nothing more is accepted.
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/terima-berkas"),
            json!({"berkas": []}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["field"], "status");
}

#[tokio::test]
async fn already_recorded_by_nik_and_by_biometrics() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(3).await;
    let (id, _) = sampai_antrian(&o, &reg, dewasa(10)).await;
    panggil_dan_rekam(&o, &rek, &id).await;
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = o.get(Some(&reg), "/api/cek").await;
    assert_eq!(r.body["lokal"], 1);
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/serahkan"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // The same NIK comes back: already recorded.
    let (_, v) = sampai_antrian(&o, &reg, dewasa(10)).await;
    assert_eq!(v["status"], "sudah_rekam", "{v}");
    assert!(
        v["keadaan"]["keterangan"]
            .as_str()
            .unwrap()
            .contains("1 lokal")
    );

    // The same person under another NIK: found by fingerprints and irises.
    o.subjek(3).await;
    let (_, v) = sampai_antrian(&o, &reg, dewasa(11)).await;
    assert_eq!(v["status"], "sudah_rekam", "{v}");
    assert_eq!(v["cek_biometrik"]["cocok"][0]["permohonan_id"], id.as_str());

    // A different person is not.
    o.subjek(4).await;
    let (_, v) = sampai_antrian(&o, &reg, dewasa(12)).await;
    assert_eq!(v["status"], "menunggu_perekaman", "{v}");
}

#[tokio::test]
async fn recording_failed_then_retried() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(5).await;
    let (id, v) = sampai_antrian(&o, &reg, dewasa(20)).await;
    assert_eq!(v["nomor_antrian"], 1);
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/panggil"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let r = o
        .post(
            &rek,
            &format!("/api/permohonan/{id}/gagal"),
            json!({"alasan": "gangguan_teknis"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "dikembalikan_ke_registrasi");
    // The recording operator may not re-queue; registration does.
    let r = o
        .post(
            &rek,
            &format!("/api/permohonan/{id}/antrian-ulang"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/antrian-ulang"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["nomor_antrian"], 2);
    panggil_dan_rekam(&o, &rek, &id).await;
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({}))
        .await;
    assert_eq!(r.body["status"], "terekam", "{r:?}");
    let b = o.get(Some(&reg), "/api/buku").await;
    assert!(b.body[0]["hasil"].as_str().unwrap().starts_with("Terekam"));
}

#[tokio::test]
async fn sessions_and_roles_are_enforced() {
    let o = office().await;
    assert_eq!(o.get(None, "/api/permohonan").await.status, 401);
    let bad = o
        .post_json(
            None,
            "/api/login",
            json!({"username": "reg", "password": "salah-sekali"}),
            None,
        )
        .await;
    assert_eq!(bad.status, 401);
    let rek = o.login("rek").await;
    let r = o
        .post(&rek, "/api/permohonan", json!({"penduduk": dewasa(30)}))
        .await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(o.count("SELECT count(*) FROM permohonan"), 0);
    let r = o.post(&rek, "/api/logout", json!({})).await;
    assert_eq!(r.status, 200);
    assert_eq!(o.get(Some(&rek), "/api/me").await.status, 401);
    // Expired session.
    let reg = o.login("reg").await;
    assert_eq!(o.get(Some(&reg), "/api/me").await.status, 200);
    o.clock.advance(10 * 60 * 60 + 60);
    assert_eq!(o.get(Some(&reg), "/api/me").await.status, 401);
    let reg = o.login("reg").await;
    assert_eq!(o.get(Some(&reg), "/api/me").await.status, 200);
    // A disabled operator's sessions end at once.
    let db = rekam_agent::db::Db::open(&o.dir.path().join("data/rekam-agent.db"), 1).unwrap();
    db.write(|tx| rekam_agent::auth::disable_operator(tx, "reg", "test"))
        .await
        .unwrap();
    assert_eq!(o.get(Some(&reg), "/api/me").await.status, 401);
    let again = o
        .post_json(
            None,
            "/api/login",
            json!({"username": "reg", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(again.status, 401);
    assert!(o.count("SELECT count(*) FROM audit_log WHERE action = 'login'") >= 2);
}

#[tokio::test]
async fn late_step_needs_a_reason_and_is_in_the_register_book() {
    let o = office().await;
    let reg = o.login("reg").await;
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(40)}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    o.clock.advance(6 * 60);
    let r = o.get(Some(&reg), &format!("/api/permohonan/{id}")).await;
    assert_eq!(r.body["langkah"]["terlambat"], true);
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/terima-berkas"),
            json!({"berkas": BERKAS_LENGKAP}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["field"], "alasan_terlambat");
    assert_eq!(o.count("SELECT count(*) FROM peristiwa"), 1);
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/terima-berkas"),
            json!({"berkas": BERKAS_LENGKAP, "alasan_terlambat": "antrian_panjang"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let b = o.get(Some(&reg), "/api/buku").await;
    assert_eq!(b.body[0]["terlambat"][0], "Langkah 1: Antrian panjang");
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let o = office_with(|c| c.max_body_bytes = 64 * 1024).await;
    let reg = o.login("reg").await;

    // Each bad input is refused with the field named, and the whole stored state (every row
    // of every table, every automerge document) is the same after it as before.
    let refused = |r: &Resp, status: u16, field: Option<&str>| {
        assert_eq!(r.status, status, "{r:?}");
        if let Some(f) = field {
            assert_eq!(r.body["field"], f, "{r:?}");
        }
    };
    let mut bad_nik = dewasa(50);
    bad_nik["nik"] = json!("13010117059012");
    let mut future = dewasa(51);
    future["tanggal_lahir"] = json!("2099-01-01");
    let mut huge = dewasa(52);
    huge["alamat"] = json!("x".repeat(100 * 1024));
    let cases: [(&str, Value, u16, Option<&str>); 4] = [
        (
            "malformed NIK",
            json!({"penduduk": bad_nik}),
            400,
            Some("nik"),
        ),
        (
            "future birth date",
            json!({"penduduk": future}),
            400,
            Some("tanggal_lahir"),
        ),
        (
            "wrong type in JSON",
            json!({"penduduk": {"rt": 5}}),
            400,
            Some("penduduk.rt"),
        ),
        (
            "oversized upload",
            json!({"penduduk": huge}),
            413,
            Some("body"),
        ),
    ];
    for (what, body, status, field) in cases {
        let before = o.snapshot();
        let r = o.post(&reg, "/api/permohonan", body).await;
        refused(&r, status, field);
        before.assert_unchanged(&o.snapshot(), what);
    }
    assert_eq!(o.count("SELECT count(*) FROM permohonan"), 0);

    // Double submit with the same idempotency key: one application, same answer, and the
    // second submit writes nothing.
    let a = o
        .post_json(
            Some(&reg),
            "/api/permohonan",
            json!({"penduduk": dewasa(53)}),
            Some("form-1"),
        )
        .await;
    let before = o.snapshot();
    let b = o
        .post_json(
            Some(&reg),
            "/api/permohonan",
            json!({"penduduk": dewasa(53)}),
            Some("form-1"),
        )
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(b.status, 200);
    assert!(b.replayed);
    assert_eq!(a.body["id"], b.body["id"]);
    before.assert_unchanged(&o.snapshot(), "replayed submit");
    assert_eq!(o.count("SELECT count(*) FROM permohonan"), 1);
    // Without a key, the second submit is refused: the NIK has an open application.
    let c = o
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(53)}))
        .await;
    refused(&c, 409, Some("nik"));
    before.assert_unchanged(&o.snapshot(), "second application for an open NIK");

    // Garbage from the device: clear message, nothing stored, state unchanged.
    let id = a.body["id"].as_str().unwrap().to_owned();
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/periksa-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    for mode in ["sampah", "rusak", "tidak-siap"] {
        o.sim_mode(mode).await;
        let before = o.snapshot();
        let r = o
            .post(
                &reg,
                &format!("/api/permohonan/{id}/cek-biometrik"),
                json!({}),
            )
            .await;
        refused(&r, 502, Some("perangkat"));
        assert!(
            r.body["error"]
                .as_str()
                .unwrap()
                .contains("Perangkat biometrik"),
            "{r:?}"
        );
        before.assert_unchanged(&o.snapshot(), mode);
    }
    let v = o.get(Some(&reg), &format!("/api/permohonan/{id}")).await;
    assert_eq!(v.body["status"], "pengecekan_biometrik");
    o.sim_mode("normal").await;
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/cek-biometrik"),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "menunggu_perekaman", "{r:?}");
}

#[tokio::test]
async fn absent_and_slow_devices_give_clear_messages() {
    // A device URL where nothing listens.
    let o = office_with(|c| {
        c.device_url = Some("http://127.0.0.1:9".into());
        c.device_timeout_ms = 500;
    })
    .await;
    let reg = o.login("reg").await;
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(60)}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    o.post(
        &reg,
        &format!("/api/permohonan/{id}/periksa-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    let r = o
        .post(
            &reg,
            &format!("/api/permohonan/{id}/cek-biometrik"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("tidak terhubung")
    );

    // A slow device: the simulator in "lambat" mode, agent timeout 500 ms.
    let slow = office_with(|c| c.device_timeout_ms = 500).await;
    let reg = slow.login("reg").await;
    let r = slow
        .post(&reg, "/api/permohonan", json!({"penduduk": dewasa(61)}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    slow.post(
        &reg,
        &format!("/api/permohonan/{id}/terima-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    slow.post(
        &reg,
        &format!("/api/permohonan/{id}/periksa-berkas"),
        json!({"berkas": BERKAS_LENGKAP}),
    )
    .await;
    slow.sim_mode("lambat").await;
    let r = slow
        .post(
            &reg,
            &format!("/api/permohonan/{id}/cek-biometrik"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 504, "{r:?}");
    assert!(r.body["error"].as_str().unwrap().contains("tidak menjawab"));
}

/// A district index as the sync daemon builds it from the hub's entries: subjects `subjek`
/// recorded at kecamatan 130102 (Ranah Pesisir) on 2026-11-20 (compact keys).
fn indeks_kabupaten(
    subjek: &[u64],
    maks_umur: chrono::TimeDelta,
) -> std::sync::Arc<rekam_agent::cek::IndeksKabupaten> {
    use rekam_shared::index::{EntriIndeks, IsiIndeks, kunci_dari};
    let iris = |s: u64, eye: u8| {
        rekam_agent::bio::parse_iris(&rekam_agent::bio::synth_iris(s, eye, 99).unwrap().0).unwrap()
    };
    let entri: Vec<EntriIndeks> = subjek
        .iter()
        .enumerate()
        .map(|(i, &s)| EntriIndeks {
            seq: i as u64 + 1,
            permohonan_id: format!("kantor-lain-{s}"),
            isi: Some(IsiIndeks {
                kecamatan: "130102".into(),
                tanggal_rekam: "2026-11-20T03:00:00Z".into(),
                nik: format!("13010{s:011}"),
                keputusan: Some("unik".into()),
                kunci: kunci_dari(Some(&iris(s, 0)), Some(&iris(s, 1))),
            }),
        })
        .collect();
    let offset = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let indeks = std::sync::Arc::new(rekam_agent::cek::IndeksKabupaten::new(offset, maks_umur));
    let per = chrono::DateTime::parse_from_rfc3339("2026-11-30T09:05:00Z")
        .unwrap()
        .to_utc();
    indeks.terapkan(&entri, entri.len() as u64, Some(per));
    indeks
}

#[tokio::test]
async fn district_index_is_searched_and_reported() {
    let o = office().await;
    let reg = o.login("reg").await;
    // The hub's index holds subject 8 (recorded at another office) and two others; a very
    // large age limit keeps it fresh for this test.
    let indeks = indeks_kabupaten(&[8, 101, 102], chrono::TimeDelta::days(100_000));
    o.running.cek.set_distrik(Some(indeks));

    o.subjek(9).await;
    let (_, v) = sampai_antrian(&o, &reg, dewasa(80)).await;
    assert_eq!(v["status"], "menunggu_perekaman", "{v}");
    assert_eq!(
        v["cek_biometrik"]["cakupan"],
        "0 lokal + 3 kabupaten, indeks per 2026-11-30 16:05"
    );
    assert!(v["cek_biometrik"].get("peringatan").is_none(), "{v}");

    o.subjek(8).await;
    let (_, v) = sampai_antrian(&o, &reg, dewasa(81)).await;
    assert_eq!(v["status"], "sudah_rekam", "{v}");
    let c = &v["cek_biometrik"]["cocok"][0];
    assert_eq!(c["sumber"], "distrik");
    assert_eq!(c["permohonan_id"], "kantor-lain-8");
    assert_eq!(c["asal"]["kecamatan"], "130102");
    assert_eq!(c["asal"]["tanggal"], "2026-11-20");
    assert_eq!(c["asal"]["keputusan"], "unik");
    let k = v["keadaan"]["keterangan"].as_str().unwrap();
    assert!(
        k.starts_with("Sudah direkam di Kecamatan Ranah Pesisir pada 20 November 2026 (permohonan kantor-lain-8"),
        "{k}"
    );
}

#[tokio::test]
async fn a_stale_district_index_warns_in_the_answer() {
    let o = office().await;
    let reg = o.login("reg").await;
    // Age limit zero: the index is already too old.
    let indeks = indeks_kabupaten(&[101], chrono::TimeDelta::zero());
    o.running.cek.set_distrik(Some(indeks));
    o.subjek(9).await;
    let (_, v) = sampai_antrian(&o, &reg, dewasa(82)).await;
    assert_eq!(v["status"], "menunggu_perekaman", "{v}");
    let w = v["cek_biometrik"]["peringatan"].as_str().unwrap();
    assert!(w.contains("sudah lama tidak diperbarui"), "{w}");
    assert!(w.contains("2026-11-30 16:05"), "{w}");
}

#[tokio::test]
async fn two_desks_calling_next_at_once_get_different_residents() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(1).await;
    let (a, _) = sampai_antrian(&o, &reg, dewasa(90)).await;
    o.subjek(2).await;
    let (b, _) = sampai_antrian(&o, &reg, dewasa(91)).await;
    let (x, y) = tokio::join!(
        o.post(&rek, "/api/antrian/panggil", json!({"loket": "1"})),
        o.post(&rek, "/api/antrian/panggil", json!({"loket": "2"}))
    );
    assert_eq!((x.status, y.status), (200, 200), "{x:?} {y:?}");
    let mut got = vec![
        x.body["id"].as_str().unwrap(),
        y.body["id"].as_str().unwrap(),
    ];
    got.sort();
    let mut want = vec![a.as_str(), b.as_str()];
    want.sort();
    assert_eq!(got, want);
    // Nobody left: a third call says so.
    let z = o.post(&rek, "/api/antrian/panggil", json!({})).await;
    assert_eq!(z.status, 404, "{z:?}");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_username_for_a_while() {
    let o = office().await;
    let wrong = json!({"username": "reg", "password": "bukan-kata-sandinya"});
    for _ in 0..5 {
        let r = o.post_json(None, "/api/login", wrong.clone(), None).await;
        assert_eq!(r.status, 401, "{r:?}");
    }
    // The sixth wrong password locks "reg"; then even the right one waits.
    assert_eq!(
        o.post_json(None, "/api/login", wrong.clone(), None)
            .await
            .status,
        401
    );
    let right = json!({"username": "reg", "password": common::PASSWORD});
    let r = o.post_json(None, "/api/login", right.clone(), None).await;
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.body["field"], "username");
    assert!(r.body["error"].as_str().unwrap().contains("detik"), "{r:?}");
    // Other operators are not affected.
    o.login("rek").await;
    // After the lock, the right password works and the count starts again.
    o.clock.advance(31);
    assert_eq!(
        o.post_json(None, "/api/login", right, None).await.status,
        200
    );
    assert_eq!(
        o.count("SELECT count(*) FROM audit_log WHERE action = 'login.gagal' AND operator = 'reg'"),
        6
    );
}
