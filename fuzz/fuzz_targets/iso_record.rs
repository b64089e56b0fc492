//! Fuzzes `FingerprintRecord::parse` (ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004 minutiae
//! records) on arbitrary bytes. It must never panic; every record it accepts must write back
//! as ISO (`to_iso_bytes`, the only writer) and re-parse to the same record (same header
//! fields and views; ANSI records come back tagged ISO, with their angles already converted),
//! the rewritten bytes must be a fixed point, and `FingerprintTemplate::new` must not panic on
//! the first view. Same round-trip check as the ignored `fuzz` test in shared/tests/bio_iso.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::iso::{FingerprintRecord, RecordFormat};

fuzz_target!(|data: &[u8]| {
    let Ok(record) = FingerprintRecord::parse(data) else {
        return;
    };
    let iso = record
        .to_iso_bytes()
        .expect("an accepted record must be writable as ISO");
    let again = FingerprintRecord::parse(&iso).expect("a written record must re-parse");
    assert_eq!(again.format, RecordFormat::Iso2005);
    let mut expected = record.clone();
    expected.format = RecordFormat::Iso2005;
    assert_eq!(
        again, expected,
        "record changed by an ISO write and re-parse"
    );
    assert_eq!(
        again.to_iso_bytes().expect("re-parsed record must write"),
        iso,
        "ISO writing is not a fixed point"
    );
    if let Some(view) = record.views.first() {
        let _ = FingerprintTemplate::new(view, (record.resolution_x, record.resolution_y));
    }
});
