//! Tests of the register at the hub on a real SQLite storage: the extract's checks (every kind
//! of bad row reported with its line, nothing applied), the versioned delta of a re-import,
//! the chunks through the real sync [`crate::sync::process`], and the belum-rekam query.

use chrono::NaiveDate;
use rekam_shared::register::{BagianRegister, PermintaanRegister};
use rekam_shared::wire::{EXT_POPULATION_REGISTER, SyncRequest, extension};

use super::berkas::{self, BarisDitolak, KOLOM};
use super::*;
use crate::pki::PeerIdentity;
use crate::storage::sqlite::SqliteStorage;

fn hari_ini() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn hub() -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("hub.db")).unwrap();
    (dir, s)
}

fn baca(teks: &str) -> Result<Vec<PendudukTerdaftar>, Vec<BarisDitolak>> {
    berkas::baca(teks, hari_ini(), &mut |_| {}).map(|e| e.penduduk)
}

fn impor(s: &SqliteStorage, rows: &[PendudukTerdaftar]) -> RingkasanImpor {
    terapkan(s, rows, "uji", "uji.csv", &mut |_, _| {}).unwrap()
}

/// Every stored resident as (NIK, seq, status), by NIK.
fn isi(s: &SqliteStorage) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    s.transaction(&mut |tx| {
        out = tx
            .register_since(0, usize::MAX >> 1)?
            .into_iter()
            .map(|e| {
                (
                    e.data.penduduk.nik.to_string(),
                    e.seq,
                    e.data.status.as_str().to_owned(),
                )
            })
            .collect();
        out.sort();
        Ok(())
    })
    .unwrap();
    out
}

const JUDUL: &str = "NIK,NO_KK,NAMA_LGKP,TMPT_LHR,TGL_LHR,JENIS_KLMIN,STAT_KWN,AGAMA,JENIS_PKRJN,ALAMAT,NO_RT,NO_RW,NAMA_KEL,KODE_KEC,STATUS";
// Siti (female, 12-08-2005, NIK region 13.01.07), Rahmat (male, 01-01-1990).
const SITI: &str = "1301075208050003,1301071504190007,SITI RAHMAH,PAINAN,12-08-2005,PEREMPUAN,BELUM KAWIN,ISLAM,PELAJAR/MAHASISWA,\"JL. ILYAS YAKUB NO. 3, KAMPUNG BARU\",001,002,PAINAN,13.01.05,AKTIF";
const RAHMAT: &str = "1301050101900001,1301051504190008,RAHMAT SUTAN,SALIDO,01-01-1990,LAKI-LAKI,KAWIN,ISLAM,NELAYAN/PERIKANAN,JL. SALIDO NO. 7,003,001,SALIDO,130105,AKTIF";

fn file(rows: &[&str]) -> String {
    let mut s = String::from(JUDUL);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

#[test]
fn a_valid_extract_reads_in_any_column_order_with_other_siak_columns() {
    let rows = baca(&file(&[SITI, RAHMAT])).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].penduduk.nama, "SITI RAHMAH");
    assert_eq!(
        rows[0].penduduk.alamat,
        "JL. ILYAS YAKUB NO. 3, KAMPUNG BARU"
    );
    assert_eq!(rows[0].penduduk.rt, 1);
    assert_eq!(rows[1].status, StatusPenduduk::Aktif);
    // The same two rows with the columns reversed, a SIAK column more, `;` and a BOM.
    let mut cols: Vec<&str> = KOLOM.to_vec();
    cols.reverse();
    let rev = |line: &str| -> String {
        let mut v = berkas::pisah(line, ',').unwrap();
        v.reverse();
        v.insert(3, "A".into());
        v.join(";")
    };
    let mut judul = cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    judul.insert(3, "GOL_DRH".into());
    let teks = format!(
        "\u{feff}{}\r\n{}\r\n\r\n{}\r\n",
        judul.join(";"),
        rev(SITI),
        rev(RAHMAT)
    );
    assert_eq!(baca(&teks).unwrap(), rows);
}

#[test]
fn every_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_applied() {
    let (_d, s) = hub();
    // A register already holds Rahmat: the rejected file must leave it exactly as it is.
    impor(&s, &baca(&file(&[RAHMAT])).unwrap());
    let before = isi(&s);
    let bad: Vec<(String, &str, &str)> = vec![
        // (row, column, words of the reason)
        (
            SITI.replace("1301075208050003", "130107520805000"),
            "NIK",
            "16 angka",
        ),
        (
            SITI.replace("1301075208050003", "1301075208050000"),
            "NIK",
            "0000",
        ),
        (
            SITI.replace("1301075208050003", "2001075208050003"),
            "NIK",
            "provinsi",
        ),
        (
            SITI.replace("1301071504190007", "13010715041900X7"),
            "NO_KK",
            "angka",
        ),
        // A family card issued in Kota Padang: not a family of this district.
        (
            SITI.replace("1301071504190007", "1371011504190007"),
            "NO_KK",
            "Pesisir Selatan",
        ),
        (
            SITI.replace("12-08-2005", "2005/08/12"),
            "TGL_LHR",
            "format",
        ),
        (
            SITI.replace("12-08-2005", "13-08-2005"),
            "TGL_LHR",
            "tidak sesuai dengan NIK",
        ),
        (
            SITI.replace("PEREMPUAN", "LAKI-LAKI"),
            "JENIS_KLMIN",
            "tidak sesuai dengan NIK",
        ),
        (
            SITI.replace("PEREMPUAN", "WANITA"),
            "JENIS_KLMIN",
            "LAKI-LAKI atau PEREMPUAN",
        ),
        (
            SITI.replace("BELUM KAWIN", "JANDA"),
            "STAT_KWN",
            "status kawin",
        ),
        (SITI.replace(",ISLAM,", ",LAINNYA,"), "AGAMA", "agama"),
        (
            SITI.replace("PELAJAR/MAHASISWA", ""),
            "JENIS_PKRJN",
            "wajib",
        ),
        (SITI.replace("SITI RAHMAH", " "), "NAMA_LGKP", "wajib"),
        (SITI.replace(",001,", ",0,"), "NO_RT", "RT"),
        (SITI.replace(",002,", ",RW2,"), "NO_RW", "RW"),
        (
            SITI.replace("13.01.05", "13.71.01"),
            "KODE_KEC",
            "bukan kecamatan",
        ),
        (
            SITI.replace("13.01.05", "13.01.16"),
            "KODE_KEC",
            "tidak dikenal",
        ),
        (SITI.replace(",AKTIF", ",HILANG"), "STATUS", "status"),
        (SITI.replace(",AKTIF", ""), "baris", "kolom"),
        (
            SITI.replace("\"JL. ILYAS", "\"JL. ILYAS\"X"),
            "baris",
            "kutip",
        ),
        // A second Rahmat: the same NIK as line 2.
        (
            RAHMAT.replace("RAHMAT SUTAN", "RAHMAT"),
            "NIK",
            "sama dengan baris 2",
        ),
    ];
    let mut rows: Vec<&str> = vec![RAHMAT];
    rows.extend(bad.iter().map(|(r, _, _)| r.as_str()));
    let salah = baca(&file(&rows)).unwrap_err();
    for (i, (_, kolom, kata)) in bad.iter().enumerate() {
        // Header = line 1, Rahmat = line 2, the bad rows from line 3.
        let baris = i + 3;
        let mine: Vec<&BarisDitolak> = salah.iter().filter(|s| s.baris == baris).collect();
        assert!(
            mine.iter()
                .any(|s| s.kolom == *kolom && s.alasan.contains(kata)),
            "line {baris}: expected {kolom} ~ {kata:?}, got {mine:?}"
        );
        // One reason per problem: the NIK's date/sex checks do not repeat a bad value.
        assert_eq!(mine.len(), 1, "line {baris}: {mine:?}");
    }
    assert!(salah.iter().all(|s| s.baris >= 3), "{salah:?}");
    // The reasons never carry a NIK.
    for s in &salah {
        let text = s.to_string();
        assert!(
            !text.contains("1301075208050003") && !text.contains("1301050101900001"),
            "{text}"
        );
    }
    // Nothing was read, so nothing can be applied; the store is unchanged.
    assert_eq!(isi(&s), before);
    // A file without the needed header, or without rows.
    let e = baca("NIK,NAMA\n1,2\n").unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].alasan.contains("NO_KK"), "{e:?}");
    assert!(
        baca(&file(&[])).unwrap_err()[0]
            .alasan
            .contains("tidak ada baris")
    );
    assert!(baca("").unwrap_err()[0].alasan.contains("kosong"));
}

#[test]
fn a_reimport_bumps_the_version_only_of_new_corrected_deceased_and_moved_residents() {
    let (_d, s) = hub();
    let semua = bench::sintetis(50, 7, hari_ini());
    let mut awal: Vec<PendudukTerdaftar> = semua[..40]
        .iter()
        .filter(|p| p.status == StatusPenduduk::Aktif)
        .cloned()
        .collect();
    awal.truncate(30);
    let r = impor(&s, &awal);
    assert_eq!((r.baru, r.diubah, r.sama, r.head), (30, 0, 0, 30));
    let v1 = isi(&s);
    // The same file again: nothing changes, every version stays.
    let r = impor(&s, &awal);
    assert_eq!((r.baru, r.sama, r.head), (0, 30, 30));
    assert_eq!(isi(&s), v1);
    // The next extract: two corrections, one death, one move, two new residents, and 5 rows
    // fewer (absent from the file: they stay as they are).
    let mut berikut: Vec<PendudukTerdaftar> = awal[..25].to_vec();
    berikut[0].penduduk.alamat = "JL. BARU NO. 1".into();
    berikut[1].penduduk.status_perkawinan = rekam_shared::penduduk::StatusPerkawinan::CeraiMati;
    berikut[2].status = StatusPenduduk::Meninggal;
    berikut[3].status = StatusPenduduk::Pindah;
    let baru: Vec<PendudukTerdaftar> = semua[40..]
        .iter()
        .filter(|p| !awal.iter().any(|a| a.penduduk.nik == p.penduduk.nik))
        .take(2)
        .cloned()
        .collect();
    berikut.extend(baru.iter().cloned());
    let r = impor(&s, &berikut);
    assert_eq!(
        (r.baru, r.diubah, r.meninggal, r.pindah, r.sama, r.head),
        (2, 2, 1, 1, 21, 36)
    );
    let v2 = isi(&s);
    assert_eq!(v2.len(), 32);
    let changed: Vec<String> = berikut[..4]
        .iter()
        .chain(baru.iter())
        .map(|p| p.penduduk.nik.to_string())
        .collect();
    for (nik, seq, status) in &v2 {
        let old = v1.iter().find(|(n, _, _)| n == nik);
        if changed.contains(nik) {
            assert!(*seq > 30, "{seq}");
            if let Some((_, old_seq, _)) = old {
                assert!(seq > old_seq);
            }
        } else {
            assert_eq!(
                Some(seq),
                old.map(|(_, s, _)| s),
                "an unchanged resident moved"
            );
            assert_eq!(status, "aktif");
        }
    }
    let status_of = |p: &PendudukTerdaftar| {
        v2.iter()
            .find(|(n, _, _)| *n == p.penduduk.nik.to_string())
            .map(|(_, _, s)| s.clone())
            .unwrap()
    };
    assert_eq!(status_of(&berikut[2]), "meninggal");
    assert_eq!(status_of(&berikut[3]), "pindah");
    // Every import is recorded and audited, without a NIK.
    let audit = s.audit_entries(10).unwrap();
    let imports: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "penduduk.impor")
        .collect();
    assert_eq!(imports.len(), 3);
    assert!(
        imports[0]
            .detail
            .contains("2 baru, 2 diubah, 1 meninggal, 1 pindah, 21 sama")
    );
    for a in &imports {
        assert!(!changed.iter().any(|n| a.detail.contains(n.as_str())));
    }
}

#[test]
fn a_failed_import_transaction_leaves_the_register_as_it_was() {
    let (d, s) = hub();
    let rows = bench::sintetis(20, 3, hari_ini());
    impor(&s, &rows[..10]);
    let before = isi(&s);
    // The storage refuses the 15th resident: the import fails half-way through its writes.
    rusqlite::Connection::open(d.path().join("hub.db"))
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER uji_penuh BEFORE INSERT ON register_penduduk
             WHEN (SELECT COUNT(*) FROM register_penduduk) >= 14
             BEGIN SELECT RAISE(ABORT, 'uji: penuh'); END;",
        )
        .unwrap();
    let err = terapkan(&s, &rows, "uji", "uji.csv", &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("penuh"), "{err}");
    assert_eq!(isi(&s), before);
    let audit = s.audit_entries(10).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "penduduk.impor")
            .count(),
        1
    );
}

fn peer() -> PeerIdentity {
    PeerIdentity {
        kecamatan: "130101".into(),
        serial: "01".into(),
    }
}

fn ask(s: &SqliteStorage, versi: Option<u64>) -> BagianRegister {
    let req = SyncRequest {
        cursor: u64::MAX,
        docs: Vec::new(),
        listing: None,
        extensions: versi
            .map(|v| {
                vec![(
                    EXT_POPULATION_REGISTER,
                    PermintaanRegister { versi: v }.encode(),
                )]
            })
            .unwrap_or_default(),
    };
    let (resp, _) = crate::sync::process(s, &peer(), &req).unwrap();
    // Through the wire encoding, as an office reads it.
    let resp = rekam_shared::wire::SyncResponse::decode(&resp.encode()).unwrap();
    BagianRegister::decode(extension(&resp.extensions, EXT_POPULATION_REGISTER).unwrap()).unwrap()
}

#[test]
fn the_register_reaches_an_office_through_sync_in_bounded_resumable_chunks() {
    let (_d, s) = hub();
    // An empty register still says it exists (head 0), to an office that did not ask.
    let b = ask(&s, None);
    assert_eq!((b.head, b.versi, b.more, b.entri.len()), (0, 0, false, 0));
    let n = ENTRI_PER_BAGIAN * 2 + 17;
    let rows = bench::sintetis(n, 11, hari_ini());
    impor(&s, &rows);
    let b = ask(&s, None);
    assert_eq!((b.head, b.entri.len()), (n as u64, 0));
    // Walk the chunks from 0; a chunk "lost" (asked again) comes back the same.
    let mut versi = 0;
    let mut got = Vec::new();
    loop {
        let b = ask(&s, Some(versi));
        assert!(b.entri.len() <= ENTRI_PER_BAGIAN);
        assert_eq!(ask(&s, Some(versi)), b);
        assert!(b.entri.windows(2).all(|w| w[0].seq < w[1].seq));
        got.extend(b.entri.iter().map(|e| e.data.clone()));
        versi = b.versi;
        if !b.more {
            break;
        }
    }
    assert_eq!(versi, n as u64);
    assert_eq!(got, rows);
    // A delta: only the changed residents come, after the version the office holds.
    let mut next = rows.clone();
    next[5].status = StatusPenduduk::Meninggal;
    next[n - 1].penduduk.nama = "NAMA DIPERBAIKI".into();
    impor(&s, &next);
    let b = ask(&s, Some(versi));
    assert_eq!(b.entri.len(), 2);
    assert_eq!(b.entri[0].data, next[5]);
    assert_eq!(b.entri[1].data, next[n - 1]);
    assert_eq!((b.versi, b.head, b.more), (versi + 2, versi + 2, false));
    // An office past the head (e.g. restored hub) gets nothing and the head.
    let b = ask(&s, Some(versi + 100));
    assert_eq!((b.entri.len(), b.versi, b.more), (0, versi + 2, false));
}

#[test]
fn residents_who_must_record_and_have_not_are_one_query() {
    let (_d, s) = hub();
    let rows = baca(&file(&[SITI, RAHMAT])).unwrap();
    let mut anak = rows[0].clone();
    // Born 2012: not 17, never married.
    anak.penduduk.nik = "1301055506120002".parse().unwrap();
    anak.penduduk.tanggal_lahir = NaiveDate::from_ymd_opt(2012, 6, 15).unwrap();
    let mut meninggal = rows[1].clone();
    meninggal.penduduk.nik = "1301050101900002".parse().unwrap();
    meninggal.status = StatusPenduduk::Meninggal;
    impor(&s, &[rows[0].clone(), rows[1].clone(), anak, meninggal]);
    let belum = |kec: Option<&str>| {
        let mut out = Vec::new();
        s.transaction(&mut |tx| {
            out = tx.register_belum_rekam(hari_ini(), kec)?;
            Ok(())
        })
        .unwrap();
        out
    };
    // By kecamatan, nagari (PAINAN before SALIDO), NIK.
    assert_eq!(belum(None), ["1301075208050003", "1301050101900001"]);
    assert_eq!(belum(Some("130101")), Vec::<String>::new());
    // Siti recorded somewhere in the district: she leaves the list.
    s.transaction(&mut |tx| {
        tx.index_put(
            "130105-x",
            Some(&rekam_shared::index::IsiIndeks {
                kecamatan: "130105".into(),
                tanggal_rekam: "2026-11-20T01:00:00Z".into(),
                nik: "1301075208050003".into(),
                keputusan: None,
                kunci: vec![1],
            }),
        )
        .map(|_| ())
    })
    .unwrap();
    assert_eq!(belum(Some("130105")), ["1301050101900001"]);
}
