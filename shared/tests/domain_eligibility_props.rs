//! Property tests for the eligibility rule and the Penduduk check: the rule matches its
//! definition on random dates, `layak_pada` is exactly the first eligible day, and validating
//! random records never panics and accepts every consistent record.

use chrono::{Datelike, NaiveDate, TimeDelta};
use proptest::prelude::*;
use rekam_shared::eligibility::{AlasanLayak, Kelayakan, periksa, umur};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::KECAMATAN_PESISIR_SELATAN;

fn date(lo: (i32, u32, u32), hi: (i32, u32, u32)) -> impl Strategy<Value = NaiveDate> {
    let a = NaiveDate::from_ymd_opt(lo.0, lo.1, lo.2)
        .unwrap()
        .num_days_from_ce();
    let b = NaiveDate::from_ymd_opt(hi.0, hi.1, hi.2)
        .unwrap()
        .num_days_from_ce();
    (a..=b).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap())
}

fn status() -> impl Strategy<Value = StatusPerkawinan> {
    prop::sample::select(vec![
        StatusPerkawinan::BelumKawin,
        StatusPerkawinan::Kawin,
        StatusPerkawinan::CeraiHidup,
        StatusPerkawinan::CeraiMati,
    ])
}

/// Case count: the default keeps `cargo test` fast; `REKAM_PROPTEST_CASES=N` runs longer.
fn cases(default: u32) -> u32 {
    std::env::var("REKAM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn rule_matches_its_definition(
        lahir in date((1920, 1, 1), (2026, 11, 25)),
        s in status(),
        extra in 0i64..40_000,
    ) {
        let pada = lahir + TimeDelta::days(extra);
        let k = periksa(lahir, s, pada).unwrap();
        let u = umur(lahir, pada);
        // Whole years: the anniversary of `u` years is on or before `pada`, `u + 1` after.
        let same_day_passed = (pada.month(), pada.day()) >= (lahir.month(), lahir.day());
        let naive = pada.year() - lahir.year() - i32::from(!same_day_passed);
        // Only a 29 February birthday in a non-leap year differs from the naive count, and
        // only on 28 February/1 March.
        if !(lahir.month() == 2 && lahir.day() == 29) {
            prop_assert_eq!(u as i32, naive);
        }
        match k {
            Kelayakan::Layak { umur: ku, alasan: AlasanLayak::Umur } => {
                prop_assert_eq!(ku, u);
                prop_assert!(u >= 17);
            }
            Kelayakan::Layak { umur: ku, alasan: AlasanLayak::PernahKawin } => {
                prop_assert_eq!(ku, u);
                prop_assert!(u < 17 && s.pernah_kawin());
            }
            Kelayakan::BelumLayak { umur: ku, layak_pada } => {
                prop_assert_eq!(ku, u);
                prop_assert!(u < 17 && !s.pernah_kawin());
                prop_assert!(layak_pada > pada);
                // layak_pada is exactly the first eligible day.
                prop_assert!(periksa(lahir, s, layak_pada).unwrap().layak());
                prop_assert!(!periksa(lahir, s, layak_pada - TimeDelta::days(1)).unwrap().layak());
            }
        }
    }

    #[test]
    fn future_birth_dates_are_errors(pada in date((1950, 1, 1), (2030, 1, 1)), ahead in 1i64..10_000, s in status()) {
        prop_assert!(periksa(pada + TimeDelta::days(ahead), s, pada).is_err());
    }

    #[test]
    fn consistent_records_validate_and_random_text_never_panics(
        lahir in date((1927, 1, 1), (2026, 11, 25)),
        perempuan in any::<bool>(),
        serial in 1u16..=9999,
        kec in 0usize..15,
        nama in ".{0,120}",
        alamat in ".{0,220}",
        rt in 0u16..1200,
        rw in 0u16..1200,
    ) {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let jk = if perempuan { JenisKelamin::Perempuan } else { JenisKelamin::LakiLaki };
        let wilayah = KECAMATAN_PESISIR_SELATAN[kec].kode;
        let nik = Nik::from_parts(wilayah, lahir, jk, serial).unwrap();
        let mut p = Penduduk {
            nik,
            no_kk: "1301071504190007".parse().unwrap(),
            nama: "Nurhayati".into(),
            tempat_lahir: "Painan".into(),
            tanggal_lahir: lahir,
            jenis_kelamin: jk,
            status_perkawinan: StatusPerkawinan::BelumKawin,
            alamat: "Jl. Pasar".into(),
            rt: 1,
            rw: 1,
            nagari: "Salido".into(),
            kecamatan: wilayah,
        };
        prop_assert_eq!(p.validate(today), Ok(()));
        p.nama = nama.clone();
        p.alamat = alamat.clone();
        p.rt = rt;
        p.rw = rw;
        let expect_ok = !nama.trim().is_empty()
            && nama.chars().count() <= 100
            && !nama.chars().any(char::is_control)
            && !alamat.trim().is_empty()
            && alamat.chars().count() <= 200
            && !alamat.chars().any(char::is_control)
            && (1..=999).contains(&rt)
            && (1..=999).contains(&rw);
        match p.validate(today) {
            Ok(()) => prop_assert!(expect_ok),
            Err(errors) => {
                prop_assert!(!expect_ok);
                for e in errors {
                    prop_assert!(["nama", "alamat", "rt", "rw"].contains(&e.field), "{}", e);
                }
            }
        }
    }
}
