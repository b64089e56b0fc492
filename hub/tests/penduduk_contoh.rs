//! `rekam-hub penduduk contoh` as the demo runs it (the real binary): 5,000 synthetic residents
//! of two kecamatan written to a file import with zero rejected rows, the same seed writes the
//! same file, and a bad kecamatan is refused naming it.

use std::path::Path;
use std::process::{Command, Output};

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam-hub"))
        .args(args)
        .output()
        .unwrap()
}

fn contoh(seed: &str) -> Vec<u8> {
    let o = hub(&[
        "penduduk",
        "contoh",
        "--kecamatan",
        "130101,13.01.05",
        "--jumlah",
        "5000",
        "--seed",
        seed,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

#[test]
fn a_generated_register_of_5000_imports_with_zero_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contoh.csv");
    let a = contoh("3");
    assert_eq!(a, contoh("3"), "same seed, same file");
    assert_ne!(a, contoh("4"));
    std::fs::write(&file, &a).unwrap();
    let teks = String::from_utf8(a).unwrap();
    assert_eq!(teks.lines().count(), 5001);
    let data = dir.path().join("hub");
    let o = hub(&[
        "penduduk",
        "import",
        file.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("5000 penduduk"), "{out}");
    assert!(out.contains("5000 baru"), "{out}");
    assert!(!err.contains("ditolak"), "{err}");
    let o = hub(&["penduduk", "status", "--data", data.to_str().unwrap()]);
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["versi"], 5000);
    let aktif = s["penduduk"]["aktif"].as_u64().unwrap();
    assert!((4850..5000).contains(&aktif), "{s}");
    // Both kecamatan, and nothing else.
    let kec: std::collections::BTreeSet<&str> = teks
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(13).unwrap())
        .collect();
    assert_eq!(
        kec.into_iter().collect::<Vec<_>>(),
        ["13.01.01", "13.01.05"]
    );
    assert!(Path::new(&data).join("rekam-hub.db").exists());
    let o = hub(&["penduduk", "contoh", "--kecamatan", "137101"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("kecamatan 137101 bukan kecamatan"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
