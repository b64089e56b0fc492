//! Test and benchmark support: the FVC2002 ISO template fixtures in
//! `tests/fixtures/fingerprints/fvc2002-iso/DB{1..4}_B`, copied from `../shared/data`.

use std::path::PathBuf;

/// The template files of one database (`"DB1_B"` ..), sorted by name (`101_1.iso` ..).
pub fn files(db: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fingerprints/fvc2002-iso")
        .join(db);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}
