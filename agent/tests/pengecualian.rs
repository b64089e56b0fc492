//! Step 3 with biometric exceptions (pengecualian) and capture quality, through the JSON API of
//! a real agent (in-process server, real SQLite file, device simulator over HTTP): a finger, an
//! eye and the signature excepted let step 3 succeed and reach the application document; a
//! `lainnya` reason without a note is refused naming the field; captures below the minimum are
//! asked again and, after the cap of attempts, the best one is kept and flagged.

mod common;

use base64::Engine as _;
use common::*;
use rekam_shared::document::PermohonanDoc;
use rekam_shared::workflow::{Modalitas, Status};
use serde_json::{Value, json};

/// A small valid JPEG (the simulator's photo) as the exception photo.
fn foto() -> String {
    base64::engine::general_purpose::STANDARD.encode(rekam_agent::device::sim::PHOTO_JPEG)
}

async fn kualitas(o: &Office, q: u32) {
    let r = o
        .http
        .post(format!("{}/sim/kualitas", o.sim))
        .json(&json!({"kualitas": q}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

async fn dipanggil(o: &Office, reg: &str, rek: &str, urut: u16) -> String {
    let (id, _) = sampai_antrian(o, reg, dewasa(urut)).await;
    let r = o
        .post(rek, &format!("/api/permohonan/{id}/panggil"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    id
}

fn entry<'a>(v: &'a Value, modality: &str, position: &str) -> &'a Value {
    v["biometrik"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["modality"] == modality && c["position"] == position)
        .unwrap_or_else(|| panic!("no {modality} {position} in {v}"))
}

#[tokio::test]
async fn finger_eye_and_signature_exceptions_let_step_three_succeed() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(1).await;
    let id = dipanggil(&o, &reg, &rek, 1).await;
    let url = |p: &str| format!("/api/permohonan/{id}/{p}");
    for m in ["iris", "foto"] {
        let r = o.post(&rek, &url(&format!("rekam/{m}")), json!({})).await;
        assert_eq!(r.status, 200, "{m}: {r:?}");
    }
    // Bad exceptions: 4xx naming the field, nothing stored.
    let before = o.snapshot();
    for (body, field) in [
        (
            json!({"posisi": "signature", "alasan": "lainnya", "foto": foto()}),
            "keterangan",
        ),
        (
            json!({"posisi": "face", "alasan": "diperban", "foto": foto()}),
            "posisi",
        ),
        (
            json!({"posisi": "sixth-finger", "alasan": "amputasi", "foto": foto()}),
            "posisi",
        ),
        (
            json!({"posisi": "left-thumb", "alasan": "hilang", "foto": foto()}),
            "alasan",
        ),
        (
            json!({"posisi": "left-thumb", "alasan": "amputasi", "foto": "bukan foto"}),
            "foto",
        ),
    ] {
        let r = o.post(&rek, &url("pengecualian"), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body["field"], field, "{body}: {r:?}");
    }
    before.assert_unchanged(&o.snapshot(), "refused exceptions");
    // A finger, an eye (replacing its capture) and the signature.
    for body in [
        json!({"posisi": "right-thumb", "alasan": "amputasi", "foto": foto()}),
        json!({"posisi": "left-iris", "alasan": "buta_mata_palsu", "foto": foto()}),
        json!({"posisi": "signature", "alasan": "lainnya", "keterangan": "tidak dapat menulis",
               "foto": foto()}),
    ] {
        let r = o.post(&rek, &url("pengecualian"), body.clone()).await;
        assert_eq!(r.status, 200, "{body}: {r:?}");
    }
    // The fingers not excepted are still missing: step 3 is refused, naming them.
    let r = o.post(&rek, &url("berhasil"), json!({})).await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.body["field"], "biometrik");
    assert!(
        r.body["error"].as_str().unwrap().contains("right-index"),
        "{r:?}"
    );
    assert!(
        !r.body["error"].as_str().unwrap().contains("right-thumb"),
        "{r:?}"
    );
    let r = o.post(&rek, &url("rekam/sidik-jari"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        entry(&r.body, "pengecualian", "right-thumb")["alasan"],
        "amputasi"
    );
    assert!(
        !r.body["biometrik"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["modality"] == "finger" && c["position"] == "right-thumb"),
        "an excepted finger is not captured"
    );
    let r = o.post(&rek, &url("berhasil"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "terekam");
    let kel = &r.body["peristiwa"].as_array().unwrap().last().unwrap()["kelengkapan"];
    assert_eq!(kel["left-iris"]["hasil"], "dikecualikan", "{kel}");
    assert_eq!(kel["right-iris"]["hasil"], "terekam", "{kel}");
    assert_eq!(
        o.count("SELECT count(*) FROM audit_log WHERE action = 'perekaman.pengecualian'"),
        3
    );
    // The exception photos are queued for upload like the face photo.
    assert_eq!(
        o.count(
            "SELECT count(*) FROM sync_blob_outbox
             WHERE sha256 IN (SELECT sha256 FROM biometrik WHERE modality = 'pengecualian')"
        ),
        1,
        "the three exceptions share one photo (same bytes)"
    );
    // The document carries the exceptions and its events replay through the state machine.
    let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
    let bytes: Vec<u8> = c
        .query_row(
            "SELECT doc FROM permohonan_doc WHERE permohonan_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    let doc = PermohonanDoc::load(&bytes).unwrap();
    let p = doc.pengecualian().unwrap();
    let names: Vec<&str> = p.keys().map(|m| m.nama()).collect();
    assert_eq!(names, ["right-thumb", "left-iris", "signature"]);
    assert!(matches!(
        doc.keadaan().unwrap().status,
        Status::Terekam { .. }
    ));
    let bio = doc.biometrik().unwrap();
    assert!(!bio.sidik_jari.contains_key("right-thumb"));
    assert_eq!(bio.sidik_jari.len(), 9);
    assert!(bio.iris.contains_key("kanan") && !bio.iris.contains_key("kiri"));
    assert!(bio.tanda_tangan.is_none());
    assert!(p.contains_key(&Modalitas::TandaTangan));
}

#[tokio::test]
async fn low_quality_is_captured_again_then_the_best_is_kept_and_flagged() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    o.subjek(1).await;
    let id = dipanggil(&o, &reg, &rek, 2).await;
    let url = |p: &str| format!("/api/permohonan/{id}/{p}");
    for m in ["iris", "foto", "tanda-tangan"] {
        let r = o.post(&rek, &url(&format!("rekam/{m}")), json!({})).await;
        assert_eq!(r.status, 200, "{m}: {r:?}");
    }
    // Fingers below the minimum of 40: attempts 1 and 2 are asked again.
    for (attempt, q) in [(1, 30), (2, 25)] {
        kualitas(&o, q).await;
        let r = o.post(&rek, &url("rekam/sidik-jari"), json!({})).await;
        assert_eq!(r.status, 200, "{r:?}");
        let e = entry(&r.body, "finger", "left-little");
        assert_eq!(e["diterima"], false, "attempt {attempt}: {e}");
        assert_eq!(e["percobaan"], attempt);
        assert_eq!(e["quality"], 30, "the best so far stays stored");
        let r = o.post(&rek, &url("berhasil"), json!({})).await;
        assert_eq!(r.status, 409, "{r:?}");
        assert_eq!(r.body["field"], "biometrik");
    }
    // Attempt 3 (the cap): the best (30) is kept, flagged.
    kualitas(&o, 20).await;
    let r = o.post(&rek, &url("rekam/sidik-jari"), json!({})).await;
    let e = entry(&r.body, "finger", "left-little");
    assert_eq!(e["diterima"], true, "{e}");
    assert_eq!(e["kualitas_rendah"], true, "{e}");
    assert_eq!(e["quality"], 30, "{e}");
    assert_eq!(e["percobaan"], 3);
    kualitas(&o, 0).await;
    let r = o.post(&rek, &url("berhasil"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let kel = &r.body["peristiwa"].as_array().unwrap().last().unwrap()["kelengkapan"];
    assert_eq!(kel["left-little"]["kualitas_rendah"], true, "{kel}");
    assert_eq!(kel["left-little"]["kualitas"], 30, "{kel}");
    assert_eq!(kel["right-iris"]["kualitas_rendah"], false, "{kel}");
}
