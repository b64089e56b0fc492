//! ISO 19794-2 / ANSI 378 records: the real FVC2002 fixtures parse and round-trip, every malformed
//! input is rejected with its named reason, and no input (random or mutated) makes the parser
//! panic or allocate without bound.

use std::path::PathBuf;

use proptest::prelude::*;
use rekam_shared::bio::iso::{
    FingerPosition, FingerprintRecord, MinutiaKind, RecordFormat, TemplateError,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fingerprints")
}

fn all_fixture_records() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for db in ["DB1_B", "DB2_B", "DB3_B", "DB4_B"] {
        let dir = fixtures().join("fvc2002-iso").join(db);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 80, "{db}");
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            out.push((f, bytes));
        }
    }
    out
}

#[test]
fn every_fvc2002_record_parses_and_round_trips_byte_for_byte() {
    for (path, bytes) in all_fixture_records() {
        let r =
            FingerprintRecord::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(r.format, RecordFormat::Iso2005);
        assert_eq!(r.views.len(), 1);
        assert_eq!(
            (r.resolution_x, r.resolution_y),
            (197, 197),
            "{}",
            path.display()
        );
        let v = &r.views[0];
        assert!(v.minutiae.len() >= 5, "{}", path.display());
        assert!(v.minutiae.iter().all(|m| m.x < r.width && m.y < r.height));
        assert_eq!(r.to_iso_bytes().unwrap(), bytes, "{}", path.display());
    }
}

#[test]
fn first_record_has_the_values_in_its_bytes() {
    let bytes = std::fs::read(fixtures().join("fvc2002-iso/DB1_B/101_1.iso")).unwrap();
    let r = FingerprintRecord::parse(&bytes).unwrap();
    assert_eq!((r.width, r.height), (300, 400));
    let v = &r.views[0];
    assert_eq!(v.position, FingerPosition::Unknown);
    assert_eq!(v.minutiae.len(), 25);
    // Bytes 80 a5 00 30 6b 00: bifurcation at (165, 48), angle 107.
    let m = v.minutiae[0];
    assert_eq!(
        (m.kind, m.x, m.y, m.angle, m.quality),
        (MinutiaKind::Bifurcation, 165, 48, 107, 0)
    );
    // Debug never shows minutiae coordinates.
    let dbg = format!("{r:?}");
    assert!(!dbg.contains("165"), "{dbg}");
}

#[test]
fn truncated_fixtures_are_rejected_with_the_length_named() {
    for (name, actual) in [
        ("101_1_truncate_1_byte.iso", 29),
        ("101_1_truncate_2_bytes.iso", 28),
        ("101_1_truncate_3_bytes.iso", 27),
    ] {
        let bytes = std::fs::read(fixtures().join("invalid-iso").join(name)).unwrap();
        let err = FingerprintRecord::parse(&bytes).unwrap_err();
        assert_eq!(
            err,
            TemplateError::LengthMismatch {
                declared: 30,
                actual
            },
            "{name}"
        );
        assert!(err.to_string().contains("30"), "{err}");
    }
}

fn sample() -> Vec<u8> {
    std::fs::read(fixtures().join("fvc2002-iso/DB1_B/101_1.iso")).unwrap()
}

fn with_len(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len() as u32;
    b[8..12].copy_from_slice(&n.to_be_bytes());
    b
}

#[test]
fn each_malformation_has_its_reason() {
    let ok = sample();
    assert!(matches!(
        FingerprintRecord::parse(&ok[..10]),
        Err(TemplateError::TooShort { len: 10, .. })
    ));
    let mut b = ok.clone();
    b[0] = b'X';
    assert_eq!(FingerprintRecord::parse(&b), Err(TemplateError::BadMagic));
    let mut b = ok.clone();
    b[5] = b'3';
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::UnsupportedVersion(_))
    ));
    let mut b = ok.clone();
    b[22] = 0;
    assert_eq!(FingerprintRecord::parse(&b), Err(TemplateError::NoViews));
    let mut b = ok.clone();
    b[22] = 2;
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::Truncated {
            view: 1,
            what: "view header",
            ..
        })
    ));
    let mut b = ok.clone();
    b[27] = 200; // minutiae count
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::Truncated {
            view: 0,
            what: "minutiae",
            ..
        })
    ));
    let mut b = ok.clone();
    b[24] = 11;
    assert_eq!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::BadFingerPosition {
            view: 0,
            position: 11
        })
    );
    let mut b = ok.clone();
    b[28] |= 0xC0;
    assert_eq!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::BadMinutiaType { view: 0, index: 0 })
    );
    let mut b = ok.clone();
    b[28] = 0x41;
    b[29] = 0x2c; // x = 300 in a 300-wide image
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::MinutiaOutsideImage {
            index: 0,
            x: 300,
            ..
        })
    ));
    let mut b = ok.clone();
    b[33] = 101;
    assert_eq!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::BadQuality {
            view: 0,
            index: 0,
            quality: 101
        })
    );
    let mut b = ok.clone();
    let n = b.len();
    b[n - 1] = 5; // extended data length 5, no bytes
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::Truncated {
            what: "extended data",
            ..
        })
    ));
    let mut b = ok.clone();
    b.push(0);
    let b = with_len(b);
    assert_eq!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::TrailingBytes(1))
    );
    let mut b = ok.clone();
    b[18] = 0;
    b[19] = 0;
    assert_eq!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::ZeroResolution)
    );
    let mut b = ok.clone();
    b.truncate(b.len() - 2);
    let b = with_len(b);
    assert!(matches!(
        FingerprintRecord::parse(&b),
        Err(TemplateError::Truncated {
            what: "extended data length",
            ..
        })
    ));
}

/// Builds an ANSI 378-2004 record from the ISO one: 26-byte header, 2-degree angles.
fn to_ansi(iso: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"FMR\0 20\0");
    out.extend_from_slice(&[0, 0]); // length, patched
    out.extend_from_slice(&[0x01, 0x02, 0x03, 0x04]); // CBEFF product id
    out.extend_from_slice(&iso[12..24]); // equipment, sizes, resolutions, views, reserved
    let body = &iso[24..];
    out.extend_from_slice(&body[..4]);
    let n = body[3] as usize;
    for k in 0..n {
        let m = &body[4 + 6 * k..4 + 6 * k + 6];
        out.extend_from_slice(&m[..4]);
        out.push(((m[4] as u32 * 360 / 256) / 2) as u8);
        out.push(m[5]);
    }
    out.extend_from_slice(&body[4 + 6 * n..]);
    let len = out.len() as u16;
    out[8..10].copy_from_slice(&len.to_be_bytes());
    out
}

#[test]
fn ansi_378_is_detected_and_converted() {
    let iso = sample();
    let ansi = to_ansi(&iso);
    let a = FingerprintRecord::parse(&ansi).unwrap();
    let i = FingerprintRecord::parse(&iso).unwrap();
    assert_eq!(a.format, RecordFormat::Ansi2004);
    assert_eq!(a.views[0].minutiae.len(), i.views[0].minutiae.len());
    for (ma, mi) in a.views[0].minutiae.iter().zip(&i.views[0].minutiae) {
        assert_eq!((ma.x, ma.y, ma.kind), (mi.x, mi.y, mi.kind));
        // 2-degree units lose at most 2 degrees = 1.43 ISO units.
        let d = (ma.angle as i16 - mi.angle as i16).rem_euclid(256);
        assert!(d.min(256 - d) <= 2, "{} vs {}", ma.angle, mi.angle);
    }
    // Written back as ISO, it parses as ISO.
    let back = FingerprintRecord::parse(&a.to_iso_bytes().unwrap()).unwrap();
    assert_eq!(back.format, RecordFormat::Iso2005);
    let mut bad = ansi.clone();
    bad[26 + 4 + 4] = 180;
    assert!(matches!(
        FingerprintRecord::parse(&bad),
        Err(TemplateError::BadAngle { angle: 180, .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = FingerprintRecord::parse(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400), views in any::<u8>()) {
        let mut b = sample()[..24].to_vec();
        b[22] = views;
        b.extend_from_slice(&tail);
        let b = with_len(b);
        if let Ok(r) = FingerprintRecord::parse(&b) {
            // Whatever parses, writes back to the same bytes.
            prop_assert_eq!(r.to_iso_bytes().unwrap(), b);
        }
    }

    #[test]
    fn mutated_valid_records_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let mut b = sample();
        for (i, v) in edits {
            let k = i.index(b.len());
            b[k] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        let _ = FingerprintRecord::parse(&b);
    }
}

/// Long random fuzzing of the record parser (no nightly toolchain here, so no cargo-fuzz):
/// random bytes, random headers with random bodies, and mutations (byte edits, insertions,
/// deletions, truncations, splices) of all 320 real records and their ANSI forms. Every parsed
/// record must write back and re-parse to itself. Runs `BIO_FUZZ_SECS` seconds (default 600):
/// `BIO_FUZZ_SECS=600 cargo test --release -p rekam-shared --test bio_iso -- --ignored --nocapture fuzz`
#[test]
#[ignore]
fn fuzz_parser_for_a_duration() {
    use rekam_shared::bio::synth::SplitMix64;
    let secs: u64 = std::env::var("BIO_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let mut seeds: Vec<Vec<u8>> = all_fixture_records().into_iter().map(|(_, b)| b).collect();
    let ansi: Vec<Vec<u8>> = seeds.iter().map(|b| to_ansi(b)).collect();
    seeds.extend(ansi);
    let mut rng = SplitMix64::new(
        std::env::var("BIO_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1),
    );
    let start = std::time::Instant::now();
    let (mut cases, mut accepted) = (0u64, 0u64);
    while start.elapsed().as_secs() < secs {
        for _ in 0..10_000 {
            let mut b: Vec<u8> = match rng.below(4) {
                0 => (0..rng.below(300)).map(|_| rng.next_u64() as u8).collect(),
                1 => {
                    let mut b = seeds[rng.below(seeds.len() as u64) as usize][..24].to_vec();
                    b.extend((0..rng.below(300)).map(|_| rng.next_u64() as u8));
                    b
                }
                _ => seeds[rng.below(seeds.len() as u64) as usize].clone(),
            };
            for _ in 0..=rng.below(4) {
                if b.is_empty() {
                    break;
                }
                let at = rng.below(b.len() as u64) as usize;
                match rng.below(6) {
                    0 | 1 => b[at] = rng.next_u64() as u8,
                    2 => b.insert(at, rng.next_u64() as u8),
                    3 => {
                        b.remove(at);
                    }
                    4 => b.truncate(at),
                    _ => {
                        let other = &seeds[rng.below(seeds.len() as u64) as usize];
                        let from = rng.below(other.len() as u64) as usize;
                        let n = (rng.below(16) as usize)
                            .min(other.len() - from)
                            .min(b.len() - at);
                        b[at..at + n].copy_from_slice(&other[from..from + n]);
                    }
                }
            }
            if rng.below(2) == 0 && b.len() >= 12 {
                // Keep the length field consistent half the time, to reach the deeper checks.
                let n = b.len() as u32;
                if b[8] == 0 && b[9] == 0 {
                    b[8..12].copy_from_slice(&n.to_be_bytes());
                }
            }
            cases += 1;
            if let Ok(r) = FingerprintRecord::parse(&b) {
                accepted += 1;
                let iso = r.to_iso_bytes().unwrap();
                let again = FingerprintRecord::parse(&iso).unwrap();
                assert_eq!(again.views, r.views);
            }
        }
    }
    println!(
        "fuzz: {cases} cases in {:.0} s, {accepted} accepted, no panic",
        start.elapsed().as_secs_f64()
    );
}

/// Records over 64 KiB: ISO's 4-byte length, and ANSI's long form (0x0000 then 4 bytes).
#[test]
fn records_over_64_kib_in_both_standards() {
    let iso = sample();
    // ISO: the sample with a 70,000-byte extended data block.
    let n = iso.len();
    let mut big = iso[..n - 2].to_vec();
    big.extend_from_slice(&[0xFF, 0xFF]);
    big.extend(std::iter::repeat_n(7u8, 0xFFFF));
    let big = with_len(big);
    let r = FingerprintRecord::parse(&big).unwrap();
    assert_eq!(
        (r.format, r.views[0].extended_data.len()),
        (RecordFormat::Iso2005, 0xFFFF)
    );
    assert_eq!(r.to_iso_bytes().unwrap(), big);
    // ANSI long form of the same.
    let short = to_ansi(&iso);
    let mut ansi = short[..8].to_vec();
    ansi.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    ansi.extend_from_slice(&short[10..short.len() - 2]);
    ansi.extend_from_slice(&[0xFF, 0xFF]);
    ansi.extend(std::iter::repeat_n(7u8, 0xFFFF));
    let len = ansi.len() as u32;
    ansi[10..14].copy_from_slice(&len.to_be_bytes());
    let a = FingerprintRecord::parse(&ansi).unwrap();
    assert_eq!(a.format, RecordFormat::Ansi2004);
    assert_eq!(a.views[0].minutiae.len(), r.views[0].minutiae.len());
    assert_eq!(a.views[0].extended_data.len(), 0xFFFF);
    // One byte short: rejected with the length named.
    assert!(matches!(
        FingerprintRecord::parse(&ansi[..ansi.len() - 1]),
        Err(TemplateError::LengthMismatch { .. })
    ));
}

#[test]
fn finger_names_round_trip_in_iso_order() {
    use rekam_shared::bio::iso::{FINGER_NAMES, FingerPosition};
    for (i, name) in FINGER_NAMES.iter().enumerate() {
        let p = FingerPosition::from_name(name).unwrap();
        assert_eq!((p.code(), p.name()), (i as u8 + 1, Some(*name)));
    }
    assert_eq!(
        FingerPosition::from_name("right-index"),
        Some(FingerPosition::RightIndex)
    );
    assert_eq!(FingerPosition::from_name("sixth-finger"), None);
    assert_eq!(FingerPosition::Unknown.name(), None);
}

/// Found by cargo-fuzz (`fuzz/fuzz_targets/iso_record.rs`, 2026-11-25): this record declares
/// 36 px/cm vertically, so preparing it scales y by 5.5 and the squared distances between its
/// minutiae overflowed i32 in `FingerprintTemplate::new` (a panic with overflow checks, wrong
/// nearest neighbours without). The input is the fuzzer's crash, byte for byte.
#[test]
fn template_of_a_low_resolution_record_does_not_overflow() {
    use rekam_shared::bio::fingerprint::FingerprintTemplate;
    const CRASH: [u8; 240] = [
        0x46, 0x4d, 0x52, 0x00, 0x20, 0x32, 0x30, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x00, 0x00, 0x01,
        0xdd, 0xfe, 0x90, 0x00, 0xc5, 0x00, 0x24, 0x01, 0x00, 0x00, 0x00, 0x00, 0x23, 0x80, 0xce,
        0x00, 0xcd, 0xf5, 0x00, 0x40, 0x7f, 0x00, 0xce, 0x0a, 0x00, 0x40, 0xf5, 0x00, 0xd1, 0x6e,
        0x00, 0x40, 0xac, 0x00, 0xe9, 0xf1, 0x00, 0x81, 0x0d, 0x00, 0xed, 0xea, 0x00, 0x40, 0x85,
        0x00, 0xef, 0x7d, 0x00, 0x40, 0x6a, 0x00, 0xf6, 0x07, 0x00, 0x40, 0xbe, 0xf6, 0x00, 0x71,
        0x00, 0x40, 0x26, 0x00, 0xfe, 0x9e, 0x00, 0x40, 0xa0, 0x01, 0x00, 0xf1, 0x00, 0x40, 0x5d,
        0x01, 0x01, 0x8d, 0x00, 0x40, 0xc0, 0x01, 0x02, 0xec, 0x00, 0x40, 0x36, 0x01, 0x0c, 0x15,
        0x00, 0x41, 0x06, 0x01, 0x0f, 0xe3, 0x00, 0x40, 0x27, 0x01, 0x31, 0xa7, 0x00, 0x40, 0xb5,
        0x01, 0x33, 0xd9, 0x00, 0x40, 0x75, 0x01, 0x34, 0x9d, 0x00, 0x40, 0xc9, 0x01, 0x39, 0xd6,
        0x00, 0x40, 0x55, 0x01, 0x3e, 0xa8, 0x00, 0x40, 0x5f, 0x01, 0x42, 0xae, 0x00, 0x40, 0x7e,
        0x01, 0x45, 0xd4, 0x00, 0x80, 0x3c, 0x01, 0x47, 0xae, 0x00, 0x40, 0x7b, 0x01, 0x48, 0xc6,
        0x00, 0x80, 0x6b, 0x01, 0x4c, 0xbb, 0x00, 0x40, 0xf8, 0x01, 0x4d, 0xd9, 0x00, 0x80, 0xe1,
        0x01, 0x51, 0xcd, 0x00, 0x81, 0x0e, 0x01, 0x53, 0x50, 0x00, 0x40, 0xc4, 0x01, 0x5a, 0x55,
        0x00, 0x40, 0x8d, 0x01, 0x5e, 0xd1, 0x00, 0x40, 0xe5, 0x01, 0x62, 0x4d, 0x00, 0x40, 0x7c,
        0x01, 0x6d, 0xc7, 0x00, 0x40, 0x4f, 0x01, 0x6e, 0xc0, 0x00, 0x40, 0xf1, 0x01, 0x71, 0x50,
        0x00, 0x40, 0x8c, 0x01, 0x77, 0xd6, 0x00, 0x80, 0x35, 0x01, 0x7d, 0xbb, 0x00, 0x00, 0x00,
    ];
    let r = FingerprintRecord::parse(&CRASH).unwrap();
    assert_eq!((r.resolution_x, r.resolution_y), (197, 36));
    let t = FingerprintTemplate::new(&r.views[0], (r.resolution_x, r.resolution_y));
    assert_eq!(t.minutiae_count(), r.views[0].minutiae.len());
    let all = FingerprintTemplate::from_record(&CRASH).unwrap();
    assert_eq!(all.len(), 1);
}
