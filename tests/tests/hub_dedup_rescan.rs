//! End-to-end tests of `rekam-hub dedup rescan` and `rekam-hub dedup explain` with the real
//! binary on a real hub storage: a district of applications with synthetic irises (some
//! persons recorded twice under another NIK) is decided by a real hub; the rescan is refused
//! while that hub runs; a person's decision is written; a rescan with other thresholds is
//! killed with `kill -9` midway and continues when run again, every changed decision written
//! exactly once and the person's decision untouched; the default thresholds bring the
//! duplicates back; `explain` shows the decision, candidates with per-eye scores, the
//! thresholds and the unusable samples, and is audited.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rekam_hub::storage::Storage;
use rekam_hub::storage::sqlite::SqliteStorage;
use rekam_shared::bio::iris::{Eye, IrisShape};
use rekam_shared::bio::synth::IrisSynth;
use rekam_shared::document::{Biometrik, PermohonanDoc};
use rekam_shared::workflow::Peristiwa;
use rekam_shared::workflow::contoh::kunjungan_lancar;
use rekam_tests::harness::{Pki, free_port, hub_exe, resident, run, start_hub};

/// Persons recorded once each; every [`DUP_EVERY`]th is recorded a second time under another
/// NIK (a suspected double identity).
const PERSONS: u16 = 60;
const DUP_EVERY: u16 = 4;
/// The person recorded with an unreadable left iris.
const GARBLED: u16 = PERSONS;

fn id(person: u16, capture: u16) -> String {
    format!("130101-p{person:03}-{capture}")
}

/// The events of a visit up to a successful recording.
fn perjalanan(id: &str) -> Vec<Peristiwa> {
    let t0 = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let mut e = kunjungan_lancar(t0, "reg", "rek", 1, &format!("B-{id}"));
    e.truncate(6);
    e
}

/// Stores the district straight into the hub's storage file, undecided and unqueued (the hub
/// decides what is recorded and undecided when it starts).
fn store_district(hub_data: &Path) -> Vec<String> {
    std::fs::create_dir_all(hub_data).unwrap();
    let s = SqliteStorage::open(&hub_data.join(rekam_hub::cli::DB_FILE)).unwrap();
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS);
    let mut ids = Vec::new();
    let mut put = |person: u16, capture: u16, nik_n: u16, kiri: Option<String>| {
        let id = id(person, capture);
        let bio = Biometrik {
            iris: [
                (
                    "kanan".to_owned(),
                    synth
                        .capture(u64::from(person), Eye::Right, u64::from(capture))
                        .to_text(),
                ),
                (
                    "kiri".to_owned(),
                    kiri.unwrap_or_else(|| {
                        synth
                            .capture(u64::from(person), Eye::Left, u64::from(capture))
                            .to_text()
                    }),
                ),
            ]
            .into(),
            ..Biometrik::default()
        };
        let mut d = PermohonanDoc::new(&id, "130101").unwrap();
        d.set_penduduk(&resident("130101", nik_n)).unwrap();
        d.append_peristiwa(&perjalanan(&id)).unwrap();
        d.set_biometrik(&bio).unwrap();
        let bytes = d.save();
        s.transaction(&mut |tx| tx.save_doc(&id, "130101", &bytes, false))
            .unwrap();
        ids.push(id);
    };
    for p in 0..PERSONS {
        put(p, 1, p, None);
        if p % DUP_EVERY == 0 {
            put(p, 2, 1000 + p, None);
        }
    }
    put(GARBLED, 1, GARBLED, Some("bukan kode iris".into()));
    ids.sort();
    ids
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn db(hub_data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        hub_data.join(rekam_hub::cli::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

/// `keputusan.set` audit entries per application.
fn keputusan_set_per_id(hub_data: &Path) -> BTreeMap<String, u64> {
    let c = db(hub_data);
    let mut st = c
        .prepare(
            "SELECT permohonan_id, COUNT(*) FROM audit_log WHERE action = 'keputusan.set'
             GROUP BY permohonan_id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The stored decision of every application: `(hasil, oleh)`.
fn decisions(hub_data: &Path) -> BTreeMap<String, (String, String)> {
    rekam_tests::harness::hub_docs(hub_data)
        .unwrap()
        .into_iter()
        .filter_map(|d| {
            let k = d.keputusan?;
            Some((
                d.id,
                (
                    k["hasil"].as_str()?.to_owned(),
                    k["oleh"].as_str()?.to_owned(),
                ),
            ))
        })
        .collect()
}

/// The latest rescan row: `(generasi, diproses, status)`.
fn rescan_row(hub_data: &Path) -> Option<(i64, i64, String)> {
    db(hub_data)
        .query_row(
            "SELECT generasi, diproses, status FROM dedup_rescan ORDER BY generasi DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok()
}

fn rescan(hub_data: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(hub_exe());
    cmd.args(["dedup", "rescan", "--data"])
        .arg(hub_data)
        .args(["--oleh", "operator-hub"])
        .args(extra)
        .env("RUST_LOG", "warn");
    cmd
}

/// Runs `cmd` expecting failure; returns its stderr.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const NO_MATCH: [&str; 4] = ["--ambang-cocok", "1000", "--ambang-mungkin", "1000"];

#[test]
fn rescan_resumes_after_kill9_and_keeps_a_persons_decision_and_explain_says_why() {
    let root = tempfile::tempdir().unwrap();
    let hub_data = root.path().join("hub");
    let ids = store_district(&hub_data);
    let dups: Vec<String> = (0..PERSONS)
        .filter(|p| p % DUP_EVERY == 0)
        .map(|p| id(p, 2))
        .collect();

    // A real hub decides the district at start; a rescan is refused while it runs.
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub = start_hub(&hub_data, &pki, localhost(free_port())).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while decisions(&hub_data).len() < ids.len() {
        assert!(Instant::now() < deadline, "not decided: {}", hub.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    let refused = fails(&mut rescan(&hub_data, &[]));
    assert!(refused.contains("sedang dipakai"), "{refused}");
    assert!(rescan_row(&hub_data).is_none(), "a refused rescan started");
    hub.kill9();
    let before = decisions(&hub_data);
    for d in &dups {
        assert_eq!(before[d], ("duplikat".into(), "sistem".into()), "{d}");
    }
    assert_eq!(before[&id(1, 1)].0, "unik");

    // A person decides one of the duplicates.
    let person_decided = id(DUP_EVERY, 2);
    run(
        Command::new(hub_exe())
            .args(["decide", "--data"])
            .arg(&hub_data)
            .args(["--permohonan", &person_decided, "--hasil", "unik"])
            .args(["--oleh", "adjudikator"]),
        None,
    )
    .unwrap();
    let audits0 = keputusan_set_per_id(&hub_data);

    // Thresholds no pair reaches: every engine duplicate becomes unik. Killed midway.
    let mut slow = rescan(&hub_data, &NO_MATCH);
    slow.args(["--jeda-ms", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = slow.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some((_, diproses, _)) = rescan_row(&hub_data)
            && diproses >= 20
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "rescan ended before it was killed"
        );
        assert!(Instant::now() < deadline, "rescan made no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (generasi, diproses, status) = rescan_row(&hub_data).unwrap();
    assert_eq!(status, "berjalan");
    assert!((diproses as usize) < ids.len(), "{diproses}");
    let midway = decisions(&hub_data);
    assert!(
        dups.iter()
            .any(|d| midway[d].0 == "unik" && *d != person_decided),
        "nothing changed before the kill"
    );
    assert!(
        dups.iter().any(|d| midway[d].0 == "duplikat"),
        "everything changed before the kill"
    );

    // Resuming with other thresholds is refused; with the same ones it continues.
    let other = fails(&mut rescan(&hub_data, &[]));
    assert!(other.contains("ambang lain"), "{other}");
    let out = rescan(&hub_data, &NO_MATCH).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains(&format!("pindai ulang ke-{generasi} (dilanjutkan) selesai")),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("{}/{} permohonan", ids.len(), ids.len()))
            && stderr.contains("per detik")
            && stderr.contains("sisa"),
        "{stderr}"
    );
    assert_eq!(rescan_row(&hub_data).unwrap().2, "selesai");

    // Exactly one new decision for each engine duplicate; none for the person's or the rest.
    let audits1 = keputusan_set_per_id(&hub_data);
    for i in &ids {
        let changed = dups.contains(i) && *i != person_decided;
        let expected = audits0.get(i).copied().unwrap_or(0) + u64::from(changed);
        assert_eq!(audits1.get(i).copied().unwrap_or(0), expected, "{i}");
    }
    let after = decisions(&hub_data);
    assert_eq!(
        after[&person_decided],
        ("unik".into(), "adjudikator".into())
    );
    for d in &dups {
        assert_eq!(after[d].0, "unik", "{d}");
    }

    // The default thresholds bring the engine's duplicates back, a new generation.
    let out = run(&mut rescan(&hub_data, &[]), None).unwrap();
    assert!(
        out.contains(&format!("pindai ulang ke-{} selesai", generasi + 1)),
        "{out}"
    );
    let back = decisions(&hub_data);
    for d in &dups {
        let expected = if *d == person_decided {
            ("unik".to_owned(), "adjudikator".to_owned())
        } else {
            ("duplikat".to_owned(), "sistem".to_owned())
        };
        assert_eq!(back[d], expected, "{d}");
    }
    let audits2 = keputusan_set_per_id(&hub_data);
    assert_eq!(audits2[&person_decided], audits0[&person_decided]);
    let audit_actions: Vec<String> = {
        let c = db(&hub_data);
        let mut st = c
            .prepare("SELECT action FROM audit_log WHERE actor = 'operator-hub' ORDER BY id")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        audit_actions,
        [
            "dedup.rescan.mulai",
            "dedup.rescan.lanjut",
            "dedup.rescan.selesai",
            "dedup.rescan.mulai",
            "dedup.rescan.selesai"
        ]
    );

    // Explain: the duplicate, its original with both eyes' scores, the thresholds.
    let dup = id(2 * DUP_EVERY, 2);
    let json = run(
        Command::new(hub_exe())
            .args([
                "dedup", "explain", &dup, "--json", "--oleh", "petugas", "--data",
            ])
            .arg(&hub_data),
        None,
    )
    .unwrap();
    let e: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(e["keputusan"]["hasil"], "duplikat", "{e}");
    assert_eq!(e["keputusan"]["jenis"], "identitas_ganda", "{e}");
    assert_eq!(e["ambang"]["cocok"], 12.0, "{e}");
    assert_eq!(e["sekarang"]["hasil"], "duplikat", "{e}");
    assert_eq!(e["dicari_di"], ids.len() - 1, "{e}");
    let best = &e["kandidat"][0];
    assert_eq!(best["permohonan"], id(2 * DUP_EVERY, 1), "{e}");
    assert_eq!(best["putusan"], "cocok", "{e}");
    assert_eq!(best["nik_sama"], false, "{e}");
    assert_eq!(best["disebut_keputusan"], true, "{e}");
    let eyes = best["iris"].as_array().unwrap();
    assert_eq!(eyes.len(), 2, "{e}");
    assert!(
        eyes.iter().all(|i| i["jarak"].as_f64().unwrap() < 0.3),
        "{e}"
    );
    assert!(
        e["kandidat"][1]["skor"].as_f64().unwrap() < best["skor"].as_f64().unwrap(),
        "{e}"
    );

    // ... what could not be used, in words.
    let text = run(
        Command::new(hub_exe())
            .args([
                "dedup",
                "explain",
                &id(GARBLED, 1),
                "--oleh",
                "petugas",
                "--data",
            ])
            .arg(&hub_data),
        None,
    )
    .unwrap();
    assert!(text.contains("Tidak dapat dipakai: iris kiri"), "{text}");
    assert!(text.contains("Sampel dibandingkan: iris kanan"), "{text}");
    assert!(text.contains("Kandidat (dicari di"), "{text}");

    // ... audited (who looked at whom), nothing decided; an unknown id is named.
    let looked: Vec<(String, String)> = {
        let c = db(&hub_data);
        let mut st = c
            .prepare(
                "SELECT actor, permohonan_id FROM audit_log WHERE action = 'dedup.explain'
                 ORDER BY id",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        looked,
        [
            ("petugas".to_owned(), dup.clone()),
            ("petugas".to_owned(), id(GARBLED, 1))
        ]
    );
    assert_eq!(keputusan_set_per_id(&hub_data), audits2);
    let unknown = fails(
        Command::new(hub_exe())
            .args(["dedup", "explain", "130101-tidak-ada", "--data"])
            .arg(&hub_data),
    );
    assert!(unknown.contains("130101-tidak-ada"), "{unknown}");
}
