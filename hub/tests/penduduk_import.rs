//! `rekam-hub penduduk import` as an operator runs it (the real binary, a real data folder):
//! the sample extract imports; a file with bad rows is refused with every line and reason on
//! stderr, a non-zero exit and the register unchanged; a re-import applies only the delta;
//! progress goes to stderr; no NIK is ever printed.

use std::path::Path;
use std::process::{Command, Output};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/penduduk-contoh.csv"
);

fn hub(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekam-hub"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The NIKs of a file (first column of every line after the header).
fn niks(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(str::to_owned)
        .collect()
}

/// Every stored resident as (NIK, seq, status, name), by NIK.
fn register(data: &Path) -> Vec<(String, i64, String, String)> {
    let c = rusqlite::Connection::open(data.join("rekam-hub.db")).unwrap();
    let mut st = c
        .prepare("SELECT nik, seq, status, nama FROM register_penduduk ORDER BY nik")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn assert_no_nik(out: &str, niks: &[String]) {
    for n in niks {
        assert!(!out.contains(n.as_str()), "a NIK was printed:\n{out}");
    }
}

#[test]
fn the_sample_imports_a_bad_file_changes_nothing_and_a_reimport_applies_the_delta() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let all_niks = niks(&sample);

    // The sample extract: 8 residents, one deceased, one moved out.
    let o = hub(&["penduduk", "import", SAMPLE], &data);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("8 penduduk"), "{out}");
    assert!(out.contains("8 baru"), "{out}");
    assert!(out.contains("versi database kependudukan 8"), "{out}");
    assert!(err.contains("diperiksa: 8 penduduk"), "{err}");
    assert!(err.contains("menerapkan: 8 dari 8"), "{err}");
    assert_no_nik(&(out + &err), &all_niks);
    let before = register(&data);
    assert_eq!(before.len(), 8);
    let o = hub(&["penduduk", "status"], &data);
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(status["versi"], 8);
    assert_eq!(status["penduduk"]["aktif"], 6);
    assert_eq!(status["penduduk"]["meninggal"], 1);
    assert_eq!(status["penduduk"]["pindah"], 1);

    // The same file with bad rows: lines 3, 5 and 9 broken, every reason printed with its
    // line, nothing applied.
    let mut lines: Vec<String> = sample.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replace("03-02-1978", "04-02-1978"); // line 3: date vs NIK
    lines[4] = lines[4].replace(",13.01.01,", ",13.71.01,"); // line 5: not this district
    lines[4] = lines[4].replace("MENINGGAL", "WAFAT"); //           and an unknown status
    lines[8] = lines[8].replace("1301112512880001", "1301112512880000"); // line 9: serial 0000
    // A correction that would be valid (line 2): must not be applied either.
    lines[1] = lines[1].replace("SITI RAHMAH", "SITI RAHMA");
    let bad = dir.path().join("buruk.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let o = hub(&["penduduk", "import", bad.to_str().unwrap()], &data);
    let (out, err) = text(&o);
    assert!(
        !o.status.success(),
        "a bad file was accepted:\n{out}\n{err}"
    );
    assert!(err.contains("3 baris ditolak (4 masalah)"), "{err}");
    assert!(err.contains("TIDAK ADA yang diimpor"), "{err}");
    assert!(
        err.contains("baris 3, kolom TGL_LHR: tanggal lahir tidak sesuai dengan NIK"),
        "{err}"
    );
    assert!(err.contains("baris 5, kolom KODE_KEC:"), "{err}");
    assert!(err.contains("baris 5, kolom STATUS:"), "{err}");
    assert!(
        err.contains("baris 9, kolom NIK: nomor urut NIK tidak boleh 0000"),
        "{err}"
    );
    assert!(!err.contains("baris 2,"), "{err}");
    assert_no_nik(&(out + &err), &all_niks);
    assert_eq!(
        register(&data),
        before,
        "a refused file changed the register"
    );

    // A re-import: Siti's name corrected, Rizki deceased, the rest as before.
    let mut lines: Vec<String> = sample.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replace("SITI RAHMAH", "SITI RAHMA");
    lines[5] = lines[5].replace(",AKTIF", ",MENINGGAL");
    let next = dir.path().join("berikut.csv");
    std::fs::write(&next, lines.join("\n")).unwrap();
    let o = hub(&["penduduk", "import", next.to_str().unwrap()], &data);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("0 baru, 1 diubah, 1 meninggal, 0 pindah, 6 tidak berubah; versi database kependudukan 10"),
        "{out}"
    );
    let after = register(&data);
    for (b, a) in before.iter().zip(&after) {
        let changed = b.0 == all_niks[0] || b.0 == all_niks[4];
        assert_eq!(changed, a.1 != b.1, "{b:?} -> {a:?}");
    }
    assert!(
        after
            .iter()
            .any(|r| r.0 == all_niks[4] && r.2 == "meninggal")
    );
}

#[test]
fn a_large_extract_reports_progress_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let hari_ini = chrono::Utc::now().date_naive() - chrono::Days::new(2);
    let rows = rekam_hub::penduduk::bench::sintetis(60_000, 5, hari_ini);
    let csv = rekam_hub::penduduk::bench::csv(&rows);
    let file = dir.path().join("besar.csv");
    std::fs::write(&file, &csv).unwrap();
    let o = hub(&["penduduk", "import", file.to_str().unwrap()], &data);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("60000 penduduk"), "{out}");
    assert!(err.contains("diperiksa: 60000 penduduk"), "{err}");
    assert!(err.contains("menerapkan: 60000 dari 60000"), "{err}");
    assert_eq!(register(&data).len(), 60_000);
    let sample: Vec<String> = rows
        .iter()
        .step_by(997)
        .map(|p| p.penduduk.nik.to_string())
        .collect();
    assert_no_nik(&(out + &err), &sample);
}
