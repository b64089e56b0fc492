//! Property tests for NIK and No. KK: encode/parse round trips over random valid parts, and
//! random input never panics (anything accepted prints back exactly as given).

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::{Nik, NikError};
use rekam_shared::penduduk::JenisKelamin;
use rekam_shared::region::{KECAMATAN_PESISIR_SELATAN, KodeKecamatan, PROVINSI, RegionDirectory};

/// A region a NIK may carry: a Pesisir Selatan kecamatan, a Sumatera Barat regency with any
/// kecamatan, or any other province with any regency/kecamatan.
fn wilayah() -> impl Strategy<Value = KodeKecamatan> {
    let dir = RegionDirectory::builtin();
    prop_oneof![
        (0..KECAMATAN_PESISIR_SELATAN.len()).prop_map(|i| KECAMATAN_PESISIR_SELATAN[i].kode),
        (
            prop::sample::select(vec![
                2u8, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 71, 72, 73, 74, 75, 76, 77
            ]),
            1u8..=99
        )
            .prop_map(|(k, c)| KodeKecamatan::new(13, k, c).unwrap()),
        (
            prop::sample::select(
                PROVINSI
                    .iter()
                    .map(|p| p.kode)
                    .filter(|&p| p != 13)
                    .collect::<Vec<_>>()
            ),
            1u8..=99,
            1u8..=99
        )
            .prop_map(|(p, k, c)| KodeKecamatan::new(p, k, c).unwrap()),
    ]
    .prop_filter("known to the directory", move |k| dir.check(*k).is_ok())
}

fn tanggal() -> impl Strategy<Value = NaiveDate> {
    // 1927-01-01 ..= 2026-11-25: within 100 years before the reference date used below.
    let lo = NaiveDate::from_ymd_opt(1927, 1, 1)
        .unwrap()
        .num_days_from_ce();
    let hi = acuan().num_days_from_ce();
    (lo..=hi).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap())
}

fn acuan() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn jk() -> impl Strategy<Value = JenisKelamin> {
    prop_oneof![Just(JenisKelamin::LakiLaki), Just(JenisKelamin::Perempuan)]
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
    fn nik_round_trip(w in wilayah(), lahir in tanggal(), sex in jk(), serial in 1u16..=9999) {
        let nik = Nik::from_parts(w, lahir, sex, serial).unwrap();
        let s = nik.to_string();
        prop_assert_eq!(s.len(), 16);
        let back: Nik = s.parse().unwrap();
        prop_assert_eq!(back, nik);
        prop_assert_eq!(back.wilayah(), w);
        prop_assert_eq!(back.jenis_kelamin(), sex);
        prop_assert_eq!(back.nomor_urut(), serial);
        prop_assert_eq!(back.tanggal_lahir(acuan()).unwrap(), lahir);
        // The day field carries +40 for women.
        let day: u32 = s[6..8].parse().unwrap();
        prop_assert_eq!(day, lahir.day() + if sex == JenisKelamin::Perempuan { 40 } else { 0 });
        let json = serde_json::to_string(&nik).unwrap();
        prop_assert_eq!(serde_json::from_str::<Nik>(&json).unwrap(), nik);
    }

    #[test]
    fn nik_century_resolution_never_lands_after_the_reference(
        w in wilayah(), lahir in tanggal(), sex in jk(), serial in 1u16..=9999,
        days_after in 0i64..40_000,
    ) {
        let nik = Nik::from_parts(w, lahir, sex, serial).unwrap();
        let reference = lahir + chrono::TimeDelta::days(days_after);
        let century = chrono::TimeDelta::days(36_524);
        match nik.tanggal_lahir(reference) {
            Ok(d) => {
                prop_assert!(d <= reference);
                prop_assert!(reference - d <= century + chrono::TimeDelta::days(1));
                prop_assert_eq!(d.day(), lahir.day());
                prop_assert_eq!(d.month(), lahir.month());
                prop_assert_eq!(d.year().rem_euclid(100), lahir.year().rem_euclid(100));
                if reference - lahir < century {
                    prop_assert_eq!(d, lahir);
                }
            }
            // Nothing in the window: the real birth date is at least a century back.
            Err(_) => prop_assert!(reference - lahir >= century),
        }
    }

    #[test]
    fn kk_round_trip(w in wilayah(), terbit in tanggal(), serial in 1u16..=9999) {
        let kk = NomorKk::from_parts(w, terbit, serial).unwrap();
        let back: NomorKk = kk.to_string().parse().unwrap();
        prop_assert_eq!(back, kk);
        prop_assert_eq!(back.tanggal_terbit(acuan()), Some(terbit));
    }

    #[test]
    fn garbage_never_panics(s in ".{0,40}") {
        if let Ok(n) = s.parse::<Nik>() { prop_assert_eq!(n.to_string(), s.clone()); }
        if let Ok(k) = s.parse::<NomorKk>() { prop_assert_eq!(k.to_string(), s.clone()); }
        let _ = serde_json::from_str::<Nik>(&s);
    }

    #[test]
    fn sixteen_digit_strings_parse_or_name_a_reason(s in "[0-9]{16}") {
        match s.parse::<Nik>() {
            Ok(n) => prop_assert_eq!(n.to_string(), s.clone()),
            Err(e) => prop_assert!(matches!(
                e,
                NikError::UnknownRegion(_) | NikError::InvalidRegion
                    | NikError::ImpossibleDate { .. } | NikError::ZeroSerial
            ), "{e:?}"),
        }
        let _ = s.parse::<NomorKk>();
    }

    #[test]
    fn one_bad_char_is_reported_at_its_position(
        w in wilayah(), lahir in tanggal(), sex in jk(), serial in 1u16..=9999,
        pos in 0usize..16, c in "[^0-9]",
    ) {
        let s = Nik::from_parts(w, lahir, sex, serial).unwrap().to_string();
        let mut chars: Vec<char> = s.chars().collect();
        chars[pos] = c.chars().next().unwrap();
        let bad: String = chars.into_iter().collect();
        prop_assert_eq!(bad.parse::<Nik>(), Err(NikError::NonDigit { position: pos + 1 }));
    }
}
