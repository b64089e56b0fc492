//! Tests of the register row, its validation and its wire section.

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn sample() -> PendudukTerdaftar {
    PendudukTerdaftar {
        penduduk: Penduduk {
            nik: "1301075208050003".parse().unwrap(),
            no_kk: "1301071504190007".parse().unwrap(),
            nama: "SITI RAHMAH".into(),
            tempat_lahir: "PAINAN".into(),
            tanggal_lahir: NaiveDate::from_ymd_opt(2005, 8, 12).unwrap(),
            jenis_kelamin: JenisKelamin::Perempuan,
            status_perkawinan: StatusPerkawinan::BelumKawin,
            alamat: "JL. ILYAS YAKUB NO. 3, KAMPUNG BARU".into(),
            rt: 1,
            rw: 2,
            nagari: "PAINAN".into(),
            kecamatan: "130105".parse().unwrap(),
        },
        agama: Agama::Islam,
        pekerjaan: "PELAJAR/MAHASISWA".into(),
        status: StatusPenduduk::Aktif,
    }
}

fn fields(p: &PendudukTerdaftar) -> Vec<&'static str> {
    match p.validate(today()) {
        Ok(()) => vec![],
        Err(v) => v.iter().map(|e| e.field).collect(),
    }
}

#[test]
fn a_valid_resident_passes_and_each_district_rule_names_its_field() {
    assert_eq!(fields(&sample()), Vec::<&str>::new());
    // The desk's rules apply: the NIK says female, born 12 August 2005.
    let mut p = sample();
    p.penduduk.jenis_kelamin = JenisKelamin::LakiLaki;
    assert_eq!(fields(&p), ["jenis_kelamin"]);
    let mut p = sample();
    p.penduduk.tanggal_lahir = NaiveDate::from_ymd_opt(2005, 8, 13).unwrap();
    assert_eq!(fields(&p), ["tanggal_lahir"]);
    // A kecamatan of another regency (Kota Padang 13.71.01) is a known region, not this district.
    let mut p = sample();
    p.penduduk.kecamatan = "137101".parse().unwrap();
    assert_eq!(fields(&p), ["kecamatan"]);
    // An unknown kecamatan of the district is named once.
    let mut p = sample();
    p.penduduk.kecamatan = "130116".parse().unwrap();
    assert_eq!(fields(&p), ["kecamatan"]);
    // A family card issued outside the district.
    let mut p = sample();
    p.penduduk.no_kk = "1371011504190007".parse().unwrap();
    assert_eq!(fields(&p), ["no_kk"]);
    let mut p = sample();
    p.pekerjaan = " ".into();
    assert_eq!(fields(&p), ["pekerjaan"]);
    let mut p = sample();
    p.pekerjaan = "x".repeat(MAX_PEKERJAAN + 1);
    assert_eq!(fields(&p), ["pekerjaan"]);
    let mut p = sample();
    p.pekerjaan = "A\tB".into();
    assert_eq!(fields(&p), ["pekerjaan"]);
}

#[test]
fn must_hold_a_ktp_el_when_active_and_17_or_ever_married() {
    let mut p = sample();
    // 17 since 12 August 2022.
    assert!(p.wajib_ktp_el(today()));
    assert!(!p.wajib_ktp_el(NaiveDate::from_ymd_opt(2022, 8, 11).unwrap()));
    assert!(p.wajib_ktp_el(NaiveDate::from_ymd_opt(2022, 8, 12).unwrap()));
    // Married at 16: already.
    p.penduduk.status_perkawinan = StatusPerkawinan::Kawin;
    assert!(p.wajib_ktp_el(NaiveDate::from_ymd_opt(2021, 8, 12).unwrap()));
    for s in [StatusPenduduk::Meninggal, StatusPenduduk::Pindah] {
        p.status = s;
        assert!(!p.wajib_ktp_el(today()), "{s:?}");
    }
}

#[test]
fn statuses_and_religions_parse_as_siak_writes_them() {
    assert_eq!(StatusPenduduk::parse("AKTIF"), Some(StatusPenduduk::Aktif));
    assert_eq!(
        StatusPenduduk::parse(" Meninggal "),
        Some(StatusPenduduk::Meninggal)
    );
    assert_eq!(
        StatusPenduduk::parse("PINDAH KELUAR"),
        Some(StatusPenduduk::Pindah)
    );
    assert_eq!(StatusPenduduk::parse("hilang"), None);
    for s in StatusPenduduk::SEMUA {
        assert_eq!(StatusPenduduk::parse(s.as_str()), Some(s));
    }
    for (i, a) in Agama::SEMUA.iter().enumerate() {
        assert_eq!(Agama::parse(a.as_str()), Some(*a));
        assert_eq!(Agama::parse(&(i + 1).to_string()), Some(*a));
    }
    assert_eq!(Agama::parse("KATOLIK"), Some(Agama::Katholik));
    assert_eq!(
        Agama::parse("KEPERCAYAAN TERHADAP TUHAN YME"),
        Some(Agama::Kepercayaan)
    );
    assert_eq!(Agama::parse("8"), None);
    assert_eq!(Agama::parse("0"), None);
    assert_eq!(Agama::parse("lainnya"), None);
}

#[test]
fn debug_never_shows_the_nik_the_family_card_or_the_name() {
    let p = sample();
    let d = format!("{p:?}");
    assert!(!d.contains("1301075208050003"), "{d}");
    assert!(!d.contains("1301071504190007"), "{d}");
    assert!(!d.contains("SITI"), "{d}");
    let e = format!(
        "{:?}",
        BagianRegister {
            entri: vec![EntriRegister { seq: 1, data: p }],
            ..Default::default()
        }
    );
    assert!(!e.contains("1301075208050003"), "{e}");
}

fn bagian() -> BagianRegister {
    let a = sample();
    let mut b = sample();
    b.penduduk.nik = "1301050101900001".parse().unwrap();
    b.penduduk.tanggal_lahir = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    b.penduduk.jenis_kelamin = JenisKelamin::LakiLaki;
    b.penduduk.status_perkawinan = StatusPerkawinan::CeraiMati;
    b.penduduk.nama = "Ë".repeat(crate::penduduk::MAX_NAMA);
    b.agama = Agama::Kepercayaan;
    b.status = StatusPenduduk::Pindah;
    b.penduduk.rt = 999;
    b.penduduk.kecamatan = "130115".parse().unwrap();
    BagianRegister {
        head: 9,
        versi: 7,
        more: true,
        entri: vec![
            EntriRegister { seq: 6, data: a },
            EntriRegister { seq: 7, data: b },
        ],
    }
}

#[test]
fn sections_round_trip() {
    let b = bagian();
    assert_eq!(BagianRegister::decode(&b.encode()).unwrap(), b);
    let empty = BagianRegister::default();
    assert_eq!(BagianRegister::decode(&empty.encode()).unwrap(), empty);
    let req = PermintaanRegister { versi: 1 << 40 };
    assert_eq!(PermintaanRegister::decode(&req.encode()).unwrap(), req);
    assert!(PermintaanRegister::decode(&[]).is_err());
    assert!(matches!(
        PermintaanRegister::decode(&[1, 0]),
        Err(WireError::Trailing(1))
    ));
}

#[test]
fn every_truncation_and_trailing_byte_is_refused() {
    let bytes = bagian().encode();
    for n in 0..bytes.len() {
        assert!(
            BagianRegister::decode(&bytes[..n]).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
    let mut more = bytes.clone();
    more.push(0);
    assert!(matches!(
        BagianRegister::decode(&more),
        Err(WireError::Trailing(1))
    ));
}

#[test]
fn a_section_with_a_bad_value_or_too_many_entries_is_refused() {
    // An invalid NIK in an otherwise well-formed entry.
    let mut bytes = bagian().encode();
    let pos = bytes
        .windows(16)
        .position(|w| w == b"1301075208050003")
        .unwrap();
    bytes[pos + 15] = b'0';
    bytes[pos + 14] = b'0';
    bytes[pos + 13] = b'0';
    bytes[pos + 12] = b'0';
    assert_eq!(
        BagianRegister::decode(&bytes),
        Err(WireError::Invalid("register nik"))
    );
    // A count past the bound, before anything is allocated.
    let mut out = Vec::new();
    put_u64(&mut out, 1);
    put_u64(&mut out, 1);
    out.push(0);
    put_u64(&mut out, MAX_ENTRI_PER_BAGIAN as u64 + 1);
    assert!(matches!(
        BagianRegister::decode(&out),
        Err(WireError::TooLarge { .. })
    ));
    // An unknown status code.
    let mut bytes = bagian().encode();
    let last = bytes.len() - 1;
    bytes[last] = 9;
    assert!(matches!(
        BagianRegister::decode(&bytes),
        Err(WireError::Tag {
            field: "register status",
            tag: 9
        })
    ));
}

#[test]
fn the_serde_form_is_the_desk_penduduk_plus_register_fields() {
    let v = serde_json::to_value(sample()).unwrap();
    assert_eq!(v["nik"], "1301075208050003");
    assert_eq!(v["jenis_kelamin"], "perempuan");
    assert_eq!(v["agama"], "islam");
    assert_eq!(v["status"], "aktif");
    let back: PendudukTerdaftar = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, sample());
    // The desk's Penduduk reads the same object.
    let p: Penduduk = serde_json::from_value(v).unwrap();
    assert_eq!(p, sample().penduduk);
}

#[test]
fn belum_rekam_groups_by_obligation_recording_and_the_coming_17th_birthday() {
    let p = sample(); // 17 on 12 August 2022
    let hari = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(p.golongan(today(), false), Golongan::Belum);
    assert_eq!(p.golongan(today(), true), Golongan::Terekam);
    // 17 today: obliged, not "coming".
    assert_eq!(p.golongan(hari(2022, 8, 12), false), Golongan::Belum);
    // 17 within 30 days: listed with the birthday; 31 days ahead: not yet.
    let ulang = hari(2022, 8, 12);
    assert_eq!(
        p.golongan(ulang - chrono::TimeDelta::days(HARI_SEGERA_17), false),
        Golongan::Segera17(ulang)
    );
    assert_eq!(
        p.golongan(ulang - chrono::TimeDelta::days(HARI_SEGERA_17 + 1), false),
        Golongan::Bukan
    );
    // Recorded early (possible when married): not in the coming list.
    assert_eq!(p.golongan(hari(2022, 8, 1), true), Golongan::Bukan);
    let mut mati = sample();
    mati.status = StatusPenduduk::Meninggal;
    assert_eq!(mati.golongan(today(), false), Golongan::Bukan);
}
