//! The NIK look-up at the registration desk (`GET /api/penduduk/{nik}`) against the office's
//! copy of the population register, stored by the sync daemon's own function
//! (`sync::register::simpan`) into the real SQLite file of a real in-process agent: a
//! registered resident, not registered (with the SOP's KK procedure), deceased, moved out, an
//! invalid NIK, an incomplete copy, no register at all; every look-up audited.

mod common;

use common::*;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::register::{
    Agama, BagianRegister, EntriRegister, PendudukTerdaftar, StatusPenduduk,
};
use serde_json::json;

fn warga(urut: u16, status: StatusPenduduk) -> PendudukTerdaftar {
    let lahir = date(1990, 5, 17);
    let mut v = penduduk(urut, lahir, JenisKelamin::LakiLaki, "kawin");
    v["rt"] = json!(2);
    v["rw"] = json!(1);
    let p: Penduduk = serde_json::from_value(v).unwrap();
    PendudukTerdaftar {
        penduduk: p,
        agama: Agama::Islam,
        pekerjaan: "NELAYAN/PERIKANAN".into(),
        status,
    }
}

/// Stores residents as the sync daemon does: one chunk up to version `versi` of `head`.
fn simpan(o: &Office, rows: &[PendudukTerdaftar], versi: u64, head: u64) {
    let c = rusqlite::Connection::open(o.dir.path().join("data").join("rekam-agent.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let b = BagianRegister {
        head,
        versi,
        more: versi < head,
        entri: rows
            .iter()
            .enumerate()
            .map(|(i, d)| EntriRegister {
                seq: i as u64 + 1,
                data: d.clone(),
            })
            .collect(),
    };
    rekam_agent::sync::register::simpan(&c, &b, chrono::Utc::now()).unwrap();
}

/// The audit log's look-ups, newest first: (operator, detail).
fn lookups(o: &Office) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(o.dir.path().join("data").join("rekam-agent.db")).unwrap();
    let mut st = c
        .prepare(
            "SELECT operator, detail FROM audit_log WHERE action = 'penduduk.lihat'
             ORDER BY id DESC",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn the_desk_reads_the_register_and_answers_not_registered_deceased_moved_and_invalid() {
    let o = office().await;
    let reg = o.login("reg").await;
    let aktif = warga(1, StatusPenduduk::Aktif);
    let meninggal = warga(2, StatusPenduduk::Meninggal);
    let pindah = warga(3, StatusPenduduk::Pindah);
    simpan(
        &o,
        &[aktif.clone(), meninggal.clone(), pindah.clone()],
        3,
        3,
    );

    // Registered and active: the data to fill the form, eligibility from the register.
    let nik = aktif.penduduk.nik.to_string();
    let r = o.get(Some(&reg), &format!("/api/penduduk/{nik}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["sumber"], "database_kependudukan");
    assert_eq!(r.body["penduduk"]["nik"], nik.as_str());
    assert_eq!(r.body["penduduk"]["nama"], "Penduduk Uji 1");
    assert_eq!(r.body["penduduk"]["status_perkawinan"], "kawin");
    assert_eq!(r.body["pekerjaan"], "NELAYAN/PERIKANAN");
    assert_eq!(r.body["status"], "aktif");
    assert_eq!(r.body["versi"], 1);
    assert_eq!(r.body["kelayakan"]["hasil"], "layak", "{r:?}");
    assert_eq!(r.body["register"]["lengkap"], true);
    // The desk's Penduduk reads the answer's `penduduk` as it is (the form fill).
    let p: Penduduk = serde_json::from_value(r.body["penduduk"].clone()).unwrap();
    assert_eq!(p, aktif.penduduk);
    // Typed with spaces around it, as a desk may.
    let r = o
        .get(Some(&reg), &format!("/api/penduduk/%20{nik}%20"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // Not in the register: 404 naming the field and what the SOP says (KK first).
    let lain = nik_lain();
    let r = o.get(Some(&reg), &format!("/api/penduduk/{lain}")).await;
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(
        r.body["error"],
        "NIK tidak terdaftar di database kependudukan"
    );
    assert_eq!(r.body["field"], "nik");
    assert!(
        r.body["sop"].as_str().unwrap().contains("prosedur KK"),
        "{r:?}"
    );
    assert!(r.body.get("peringatan").is_none(), "{r:?}");

    // Deceased and moved out: refused with the reason.
    let r = o
        .get(
            Some(&reg),
            &format!("/api/penduduk/{}", meninggal.penduduk.nik),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.body["status"], "meninggal");
    assert_eq!(r.body["field"], "nik");
    assert!(
        r.body["error"].as_str().unwrap().contains("meninggal"),
        "{r:?}"
    );
    let r = o
        .get(
            Some(&reg),
            &format!("/api/penduduk/{}", pindah.penduduk.nik),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.body["status"], "pindah");
    assert!(
        r.body["error"].as_str().unwrap().contains("pindah"),
        "{r:?}"
    );

    // An invalid NIK: 400 naming the field, and not a look-up of anyone.
    let audited = lookups(&o).len();
    for bad in ["130101", "13010117059000x1", "1301011705900000"] {
        let r = o.get(Some(&reg), &format!("/api/penduduk/{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert_eq!(r.body["field"], "nik");
    }
    assert_eq!(lookups(&o).len(), audited);

    // Who looked at whom: every answered look-up, with the NIK and what the register said.
    let log = lookups(&o);
    assert_eq!(log.len(), 5, "{log:?}");
    assert!(log.iter().all(|(op, _)| op == "reg"));
    assert_eq!(log[0].1, format!("NIK {}: pindah", pindah.penduduk.nik));
    assert_eq!(
        log[1].1,
        format!("NIK {}: meninggal", meninggal.penduduk.nik)
    );
    assert_eq!(log[2].1, format!("NIK {lain}: tidak_terdaftar"));
    assert_eq!(log[3].1, format!("NIK {nik}: terdaftar"));

    // Logged-in operators only.
    let r = o.get(None, &format!("/api/penduduk/{nik}")).await;
    assert_eq!(r.status, 401, "{r:?}");
}

/// A valid NIK no test resident has.
fn nik_lain() -> String {
    nik(date(2001, 2, 3), JenisKelamin::Perempuan, 77)
}

#[tokio::test]
async fn an_incomplete_copy_warns_and_no_copy_answers_from_the_residents_the_office_knows() {
    let o = office().await;
    let reg = o.login("reg").await;
    // No register at all: a resident this office typed in before is still found.
    let known = dewasa(5);
    let r = o
        .post(&reg, "/api/permohonan", json!({"penduduk": known}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let known_nik = known["nik"].as_str().unwrap();
    let r = o
        .get(Some(&reg), &format!("/api/penduduk/{known_nik}"))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["sumber"], "kantor");
    assert_eq!(r.body["penduduk"]["nama"], "Penduduk Uji 5");
    let r = o
        .get(Some(&reg), &format!("/api/penduduk/{}", nik_lain()))
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    assert!(
        r.body["error"].as_str().unwrap().contains("belum tersedia"),
        "{r:?}"
    );

    // Half a register: not found comes with a warning; the office's typed residents no longer
    // count (the register decides).
    let mut w = warga(9, StatusPenduduk::Aktif);
    w.penduduk.status_perkawinan = StatusPerkawinan::BelumKawin;
    simpan(&o, &[w], 1, 2);
    let r = o
        .get(Some(&reg), &format!("/api/penduduk/{known_nik}"))
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(
        r.body["error"],
        "NIK tidak terdaftar di database kependudukan"
    );
    assert_eq!(r.body["register"]["lengkap"], false);
    assert!(
        r.body["peringatan"]
            .as_str()
            .unwrap()
            .contains("belum lengkap"),
        "{r:?}"
    );
}
