//! End-to-end test of the population register (issue 14 items 1-3, see
//! docs/population-register.md) with the real binaries on 127.0.0.1: the district imports a
//! SIAK extract into a running hub (`rekam-hub penduduk import`), an office downloads it
//! through a 256 kbit/s line that cuts every connection within 20 kB, a re-import reaches the office
//! as a delta of exactly the changed residents, and with the hub DOWN the registration desk
//! looks NIKs up: registered, not registered (the KK procedure), deceased, moved out, invalid.
//! No NIK appears in the hub's or the agent's log.
//!
//! Every randomized test prints its seed; `REKAM_TEST_SEED=<seed>` replays it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rekam_tests::harness::{self, Office, Pki, start_hub_with_env};
use rekam_tests::proxy::{FaultProxy, Faults};
use rusqlite::OpenFlags;
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/penduduk-contoh.csv");

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// (NIK → seq) of a register table in a SQLite file.
fn rows(db: &Path) -> BTreeMap<String, i64> {
    let c = rusqlite::Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut st = c.prepare("SELECT nik, seq FROM register_penduduk").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn hub_head(data: &Path) -> i64 {
    rows(&data.join(rekam_hub::cli::DB_FILE))
        .values()
        .copied()
        .max()
        .unwrap_or(0)
}

fn office_versi(o: &Office) -> Option<i64> {
    let c =
        rusqlite::Connection::open_with_flags(o.db(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.query_row(
        "SELECT value FROM sync_meta WHERE key = 'register_versi'",
        [],
        |r| r.get::<_, String>(0),
    )
    .ok()
    .and_then(|v| v.parse().ok())
}

fn import(hub_data: &Path, file: &Path) -> String {
    harness::run(
        Command::new(harness::hub_exe())
            .args(["penduduk", "import"])
            .arg(file)
            .arg("--data")
            .arg(hub_data),
        None,
    )
    .unwrap()
}

/// Waits until the office holds the hub's register version (the line's own cuts make the
/// agent open new connections).
async fn wait_caught_up(o: &Office, hub_data: &Path, proxy: &FaultProxy, seed: u64) {
    let head = hub_head(hub_data);
    let deadline = Instant::now() + Duration::from_secs(240);
    while office_versi(o) != Some(head) {
        assert!(
            Instant::now() < deadline,
            "office at register version {:?} of {head} (seed {seed}): {:?}",
            office_versi(o),
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!("office at register version {head}: {:?}", proxy.stats());
}

/// `GET /api/penduduk/{nik}` as `token`: (status, body).
async fn lookup(o: &Office, token: &str, nik: &str) -> (u16, Value) {
    let r = o
        .http
        .get(format!("{}/api/penduduk/{nik}", o.base()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_downloads_the_register_through_a_faulty_link_and_looks_niks_up_with_the_hub_down()
 {
    let seed = harness::test_seed(
        "an_office_downloads_the_register_through_a_faulty_link_and_looks_niks_up_with_the_hub_down",
    );
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    // Chunks of 40 residents: the download crosses many requests.
    let hub = start_hub_with_env(
        &hub_data,
        &pki,
        localhost(0),
        &[("REKAM_HUB_REGISTER_CHUNK", "40")],
    )
    .unwrap();
    let proxy = FaultProxy::builder(hub.addr)
        .seed(seed)
        .start()
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let o = Office::create(root.path(), &pki, "130105", &url)
        .await
        .unwrap();
    let reg = o.login("reg").await.unwrap();

    // The district's extract: the sample (Siti active, Zulkifli deceased, Yulia moved out) and
    // 1,500 synthetic residents, imported into the running hub.
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let sample_lines: Vec<&str> = sample.lines().collect();
    let nik_of = |line: &str| line.split(',').next().unwrap().to_owned();
    let (siti, zulkifli, yulia) = (
        nik_of(sample_lines[1]),
        nik_of(sample_lines[4]),
        nik_of(sample_lines[6]),
    );
    let hari_ini = chrono::Utc::now().date_naive() - chrono::Days::new(2);
    let synth: Vec<_> = rekam_hub::penduduk::bench::sintetis(1_500, seed, hari_ini)
        .into_iter()
        .filter(|p| !sample.contains(&p.penduduk.nik.to_string()))
        .collect();
    let mut csv = sample.clone();
    for p in &synth {
        csv.push_str(&rekam_hub::penduduk::bench::baris_csv(p));
        csv.push('\n');
    }
    let file = root.path().join("ekstrak.csv");
    std::fs::write(&file, &csv).unwrap();
    let out = import(&hub_data, &file);
    let total = 8 + synth.len();
    assert!(out.contains(&format!("{total} baru")), "{out}");

    // The office downloads it through a slow line that cuts 30 % of its connections at a
    // random point, and every connection after 20 kB at the latest: the download (about 80 kB)
    // crosses several cuts mid-response.
    proxy.set_faults(Faults {
        cut: 0.3,
        cut_within_bytes: 60_000,
        cut_after_bytes: Some(20_000),
        ..Faults::none().kbit_per_sec(256)
    });
    // The connection opened before the faults: new ones draw them.
    proxy.cut_all();
    wait_caught_up(&o, &hub_data, &proxy, seed).await;
    let hub_rows = rows(&hub_data.join(rekam_hub::cli::DB_FILE));
    assert_eq!(hub_rows.len(), total);
    assert_eq!(
        rows(&o.db()),
        hub_rows,
        "the office's register differs from the hub's"
    );
    let st = proxy.stats();
    assert!(
        st.cut_fault >= 2,
        "the line's cuts never struck (seed {seed}): {st:?}"
    );

    // A re-import: Siti deceased, a synthetic resident's address corrected. The office
    // receives exactly those two, each under a new version; nobody else's version moves.
    let before = hub_head(&hub_data);
    let fixed = &synth[17];
    let mut next = sample.replace(
        &sample_lines[1].to_owned(),
        &sample_lines[1].replace(",AKTIF", ",MENINGGAL"),
    );
    for p in &synth {
        let mut p = p.clone();
        if p.penduduk.nik == fixed.penduduk.nik {
            p.penduduk.alamat = "JL. DIPERBAIKI NO. 9".into();
        }
        next.push_str(&rekam_hub::penduduk::bench::baris_csv(&p));
        next.push('\n');
    }
    std::fs::write(&file, &next).unwrap();
    let out = import(&hub_data, &file);
    assert!(out.contains("1 diubah, 1 meninggal"), "{out}");
    wait_caught_up(&o, &hub_data, &proxy, seed).await;
    let office_rows = rows(&o.db());
    assert_eq!(office_rows, rows(&hub_data.join(rekam_hub::cli::DB_FILE)));
    let moved: Vec<&String> = office_rows
        .iter()
        .filter(|(n, seq)| hub_rows.get(*n) != Some(seq))
        .map(|(n, _)| n)
        .collect();
    let fixed_nik = fixed.penduduk.nik.to_string();
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert!(moved.contains(&&siti) && moved.contains(&&fixed_nik));
    assert_eq!(hub_head(&hub_data), before + 2);

    // The hub goes down; the desk answers from the office's copy.
    proxy.partition();
    hub.stop().unwrap();
    let active = &synth
        .iter()
        .find(|p| {
            p.status == rekam_shared::register::StatusPenduduk::Aktif
                && p.penduduk.nik != fixed.penduduk.nik
        })
        .unwrap();
    let (status, body) = lookup(&o, &reg, &active.penduduk.nik.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sumber"], "database_kependudukan");
    let p: rekam_shared::penduduk::Penduduk =
        serde_json::from_value(body["penduduk"].clone()).unwrap();
    assert_eq!(
        p, active.penduduk,
        "the desk's data differ from the extract's"
    );
    assert_eq!(body["register"]["lengkap"], true, "{body}");
    let (status, body) = lookup(&o, &reg, &fixed_nik).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["penduduk"]["alamat"], "JL. DIPERBAIKI NO. 9");
    // Siti died after the first import; Zulkifli was deceased and Yulia moved out from the start.
    for (nik, why) in [
        (&siti, "meninggal"),
        (&zulkifli, "meninggal"),
        (&yulia, "pindah"),
    ] {
        let (status, body) = lookup(&o, &reg, nik).await;
        assert_eq!(status, 409, "{why}: {body}");
        assert_eq!(body["status"], why, "{body}");
        assert_eq!(body["field"], "nik");
    }
    // Not in the register: the KK procedure first.
    let unknown = rekam_shared::nik::Nik::from_parts(
        "130105".parse().unwrap(),
        chrono::NaiveDate::from_ymd_opt(1969, 7, 20).unwrap(),
        rekam_shared::penduduk::JenisKelamin::LakiLaki,
        9_999,
    )
    .unwrap()
    .to_string();
    assert!(!csv.contains(&unknown));
    let (status, body) = lookup(&o, &reg, &unknown).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["error"],
        "NIK tidak terdaftar di database kependudukan"
    );
    assert_eq!(body["field"], "nik");
    assert!(
        body["sop"].as_str().unwrap().contains("prosedur KK"),
        "{body}"
    );
    let (status, body) = lookup(&o, &reg, "13010512345").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "nik");

    // Who looked at whom: the office's audit log, for the kepala UKL.
    let kepala = o.login("kepala").await.unwrap();
    let audit = o.get(&kepala, "/api/audit").await.unwrap();
    let looked: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "penduduk.lihat")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(looked.len(), 6, "{looked:?}");
    assert!(looked.contains(&format!("NIK {siti}: meninggal").as_str()));
    assert!(looked.contains(&format!("NIK {unknown}: tidak_terdaftar").as_str()));

    // NIKs never in the logs.
    let logs = format!(
        "{}\n{}",
        std::fs::read_to_string(hub_data.join("hub.log")).unwrap(),
        std::fs::read_to_string(o.dir.join("agent.log")).unwrap()
    );
    for nik in [&siti, &zulkifli, &yulia, &fixed_nik, &unknown] {
        assert!(!logs.contains(nik.as_str()), "a NIK in the logs");
    }
    for p in synth.iter().step_by(50) {
        assert!(
            !logs.contains(&p.penduduk.nik.to_string()),
            "a NIK in the logs"
        );
    }
}
