//! Belum rekam at the office (`GET /api/belum-rekam`, `GET /belum-rekam.xlsx`) on a real
//! in-process agent with its real SQLite file: the office's copy of the register stored by the
//! sync daemon's own function, a resident recorded at this office through the desks, one
//! recorded elsewhere (a district index row), deceased, another kecamatan, turning 17 today and
//! tomorrow; filtered by nagari, paged, audited; the XLSX has the NIK as a text cell.

mod common;

use std::io::Read as _;

use chrono::{Datelike, NaiveDate, TimeDelta};
use common::*;
use rekam_shared::penduduk::{JenisKelamin, Penduduk};
use rekam_shared::register::{
    Agama, BagianRegister, EntriRegister, PendudukTerdaftar, StatusPenduduk,
};
use serde_json::json;

fn warga(
    urut: u16,
    lahir: NaiveDate,
    nagari: &str,
    status: StatusPenduduk,
) -> (PendudukTerdaftar, serde_json::Value) {
    let mut v = penduduk(urut, lahir, JenisKelamin::LakiLaki, "belum_kawin");
    v["nagari"] = json!(nagari);
    let mut v2 = v.clone();
    v2["rt"] = json!(2);
    v2["rw"] = json!(1);
    let p: Penduduk = serde_json::from_value(v2).unwrap();
    (
        PendudukTerdaftar {
            penduduk: p,
            agama: Agama::Islam,
            pekerjaan: "PETANI/PEKEBUN".into(),
            status,
        },
        v,
    )
}

fn db(o: &Office) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(o.dir.path().join("data").join("rekam-agent.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

fn niks(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["nik"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_office_lists_its_residents_who_must_still_record() {
    let o = office().await;
    let reg = o.login("reg").await;
    let rek = o.login("rek").await;
    let hari = (chrono::Utc::now() + TimeDelta::hours(7)).date_naive();
    let lalu = |y: i32| {
        NaiveDate::from_ymd_opt(hari.year() - y, hari.month(), hari.day())
            .unwrap_or(hari - TimeDelta::days(365 * i64::from(y)))
    };
    let (direkam, direkam_json) =
        warga(1, date(1985, 3, 4), "PAINAN SELATAN", StatusPenduduk::Aktif);
    let (di_lain, _) = warga(2, date(1986, 3, 4), "PAINAN SELATAN", StatusPenduduk::Aktif);
    let (belum, _) = warga(3, date(1987, 3, 4), "PAINAN SELATAN", StatusPenduduk::Aktif);
    let (meninggal, _) = warga(
        4,
        date(1950, 3, 4),
        "PAINAN SELATAN",
        StatusPenduduk::Meninggal,
    );
    let (tujuh_belas, _) = warga(5, lalu(17), "LUMPO", StatusPenduduk::Aktif);
    let (besok, _) = warga(
        6,
        lalu(17) + TimeDelta::days(1),
        "LUMPO",
        StatusPenduduk::Aktif,
    );
    let (anak, _) = warga(7, date(2015, 3, 4), "LUMPO", StatusPenduduk::Aktif);
    let (mut lain_kec, _) = warga(8, date(1980, 3, 4), "SALIDO", StatusPenduduk::Aktif);
    lain_kec.penduduk.kecamatan = "130105".parse().unwrap();
    let rows = [
        direkam.clone(),
        di_lain.clone(),
        belum.clone(),
        meninggal,
        tujuh_belas.clone(),
        besok.clone(),
        anak,
        lain_kec,
    ];
    let b = BagianRegister {
        head: rows.len() as u64,
        versi: rows.len() as u64,
        more: false,
        entri: rows
            .iter()
            .enumerate()
            .map(|(i, d)| EntriRegister {
                seq: i as u64 + 1,
                data: d.clone(),
            })
            .collect(),
    };
    rekam_agent::sync::register::simpan(&db(&o), &b, chrono::Utc::now()).unwrap();
    // Recorded elsewhere in the district: the district index holds the NIK.
    db(&o)
        .execute(
            "INSERT INTO indeks_kabupaten(permohonan_id, seq, kecamatan, tanggal_rekam, nik, keputusan, kunci)
             VALUES ('130105-x', 1, '130105', '2026-11-20T01:00:00Z', ?1, 'unik', x'01')",
            [di_lain.penduduk.nik.to_string()],
        )
        .unwrap();
    // Recorded here, through the desks.
    let (id, _) = sampai_antrian(&o, &reg, direkam_json).await;
    panggil_dan_rekam(&o, &rek, &id).await;
    let r = o
        .post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({}))
        .await;
    assert_eq!(r.body["status"], "terekam", "{r:?}");

    let r = o.get(Some(&reg), "/api/belum-rekam").await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut expect = vec![
        belum.penduduk.nik.to_string(),
        tujuh_belas.penduduk.nik.to_string(),
    ];
    expect.sort();
    let mut got = niks(&r.body["daftar"]);
    got.sort();
    assert_eq!(got, expect, "{r:?}");
    let segera: Vec<String> = r.body["segera_17"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["penduduk"]["nik"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(segera, [besok.penduduk.nik.to_string()]);
    assert_eq!(
        r.body["segera_17"][0]["tanggal_17"],
        (hari + TimeDelta::days(1)).to_string()
    );
    assert_eq!(r.body["total"]["wajib"], 4, "{r:?}");
    assert_eq!(r.body["total"]["terekam"], 2);
    assert_eq!(r.body["total"]["belum"], 2);
    assert_eq!(r.body["total"]["segera_17"], 1);
    assert_eq!(r.body["per_nagari"][0]["nagari"], "LUMPO");
    assert_eq!(r.body["per_nagari"][1]["wajib"], 3);
    // One nagari; a page past the end; bad input names the field.
    let r = o.get(Some(&reg), "/api/belum-rekam?nagari=LUMPO").await;
    assert_eq!(
        niks(&r.body["daftar"]),
        [tujuh_belas.penduduk.nik.to_string()]
    );
    let r = o.get(Some(&reg), "/api/belum-rekam?halaman=2").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["daftar"], json!([]));
    assert_eq!(
        (
            r.body["halaman"].as_u64(),
            r.body["jumlah_halaman"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let r = o.get(Some(&reg), "/api/belum-rekam?halaman=nol").await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (400, Some("halaman")),
        "{r:?}"
    );
    let r = o.get(None, "/api/belum-rekam").await;
    assert_eq!(r.status, 401);

    // The XLSX: the NIK is a text cell (a shared string), never a number.
    let resp = o
        .http
        .get(format!("{}/belum-rekam.xlsx", o.base))
        .bearer_auth(&reg)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    z.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    let at = sheet
        .find("<c r=\"A2\"")
        .unwrap_or_else(|| panic!("{sheet}"));
    let el = &sheet[at..at + sheet[at..].find('>').unwrap()];
    assert!(el.contains("t=\"s\""), "NIK is not a text cell: {el}");
    let mut shared = String::new();
    z.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut shared)
        .unwrap();
    for n in &expect {
        assert!(shared.contains(n.as_str()), "{n} not in the workbook");
    }

    // Audited: who looked, never a NIK.
    let c = db(&o);
    let mut st = c
        .prepare("SELECT operator, detail FROM audit_log WHERE action = 'penduduk.belum_rekam'")
        .unwrap();
    let au: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(au.len(), 4, "{au:?}");
    assert!(
        au.iter()
            .all(|(who, d)| who == "reg" && !d.contains(&expect[0])),
        "{au:?}"
    );
}
