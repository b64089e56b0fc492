//! `rekam-sync-bench`: sync throughput of the real binaries over loopback (figures for
//! docs/sync.md).
//!
//! Modes:
//! - `offices --apps 1000 --agents 1 [--kbit 256]`: pre-fills each office's SQLite with `apps`
//!   complete applications (10 ISO fingerprint templates, 2 iris codes, a photo of
//!   `--photo-bytes` and a signature as blobs), starts the hub and the agents, and measures the
//!   time until every office has nothing waiting, and the bytes on the wire (both directions,
//!   counted by the TCP proxy in front of the hub, TLS included) divided by the payload bytes
//!   (saved documents + blobs). `--kbit` throttles the proxy to that shared bandwidth.
//! - `hub-restart --docs 400000`: fills a hub database with that many documents, then measures
//!   the time from `rekam-hub serve` to ready (listening), twice (cold and warm page cache).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use automerge::transaction::Transactable as _;
use rekam_shared::document::{Biometrik, BlobRef, PermohonanDoc};
use rekam_shared::workflow::{Aksi, NomorAntrian, Peran, Peristiwa};
use rekam_tests::harness::{self, Pki, free_port, start_hub};
use rekam_tests::proxy::{Faults, Proxy};
use rusqlite::{Connection, params};
use sha2::{Digest as _, Sha256};

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../agent/fixtures/fingerprints")
}

/// Deterministic incompressible bytes (a JPEG does not compress either).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct App {
    id: String,
    doc: Vec<u8>,
    blobs: Vec<(String, &'static str, Vec<u8>)>,
}

fn make_app(
    kecamatan: &str,
    n: u32,
    templates: &[Vec<u8>],
    photo_bytes: usize,
) -> anyhow::Result<App> {
    use rekam_shared::bio::iris::{Eye, IrisShape};
    use rekam_shared::bio::synth::IrisSynth;
    let id = format!("{kecamatan}-{n:07}");
    let mut doc = PermohonanDoc::new(&id, kecamatan)?;
    doc.set_penduduk(&harness::resident(kecamatan, (n % 9000) as u16 + 1))?;
    // Five events as the desks write them (the hub replays them through the SOP), up to the
    // call to the recording desk: no recording yet, so the dedup engine decides nothing
    // (the figures in docs/sync.md measure sync alone).
    let t0 = chrono::Utc::now();
    let at = |i: i64| t0 + chrono::Duration::minutes(i * 4);
    let (reg, rek) = (Peran::OperatorRegistrasi, Peran::OperatorPerekaman);
    let events = [
        Peristiwa::new(at(0), "reg", reg, Aksi::PermohonanDibuat),
        Peristiwa::new(at(1), "reg", reg, Aksi::BerkasDiterima),
        Peristiwa::new(at(2), "reg", reg, Aksi::BerkasBenar),
        Peristiwa::new(
            at(3),
            "reg",
            reg,
            Aksi::NomorAntrianDiberikan {
                nomor_antrian: NomorAntrian(n % 999 + 1),
            },
        ),
        Peristiwa::new(at(4), "rek", rek, Aksi::Dipanggil),
    ];
    doc.append_peristiwa(&events)?;
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS);
    let mut bio = Biometrik::default();
    for (p, t) in templates.iter().take(10).enumerate() {
        bio.sidik_jari.insert(format!("jari-{p}"), t.clone());
    }
    for (name, eye) in [("kanan", Eye::Right), ("kiri", Eye::Left)] {
        bio.iris
            .insert(name.into(), synth.capture(u64::from(n), eye, 0).to_text());
    }
    let photo = noise(
        u64::from(n) * 2 + kecamatan.parse::<u64>()? * 1_000_000,
        photo_bytes,
    );
    let sign = noise(
        u64::from(n) * 2 + 1 + kecamatan.parse::<u64>()? * 1_000_000,
        3_000,
    );
    let mut blobs = Vec::new();
    for (data, media, slot) in [(photo, "image/jpeg", 0), (sign, "image/png", 1)] {
        let sha = hex::encode(Sha256::digest(&data));
        let r = BlobRef {
            sha256: sha.clone(),
            size: data.len() as u64,
            media_type: media.into(),
        };
        if slot == 0 {
            bio.foto = Some(r);
        } else {
            bio.tanda_tangan = Some(r);
        }
        blobs.push((sha, if slot == 0 { "face" } else { "signature" }, data));
    }
    doc.set_biometrik(&bio)?;
    Ok(App {
        id,
        doc: doc.save(),
        blobs,
    })
}

/// Creates an agent database (migrations via the agent's own code) and fills it.
fn fill_office(data: &Path, kecamatan: &str, apps: u32, photo_bytes: usize) -> anyhow::Result<u64> {
    std::fs::create_dir_all(data)?;
    let db = data.join("rekam-agent.db");
    drop(rekam_agent::db::open_writer(&db)?);
    let mut templates = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(fixtures_dir())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files.iter().take(10) {
        templates.push(std::fs::read(f)?);
    }
    // The bench writes the sync-relevant tables only (documents and captures), with foreign
    // keys off on this connection: what is measured is the sync, not the desks.
    let mut conn = Connection::open(&db)?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let tx = conn.transaction()?;
    let mut payload = 0u64;
    for n in 0..apps {
        let app = make_app(kecamatan, n, &templates, photo_bytes)?;
        payload += app.doc.len() as u64;
        tx.execute(
            "INSERT INTO permohonan_doc(permohonan_id, doc) VALUES (?1, ?2)",
            params![app.id, app.doc],
        )?;
        for (sha, modality, data) in &app.blobs {
            payload += data.len() as u64;
            tx.execute(
                "INSERT INTO biometrik(permohonan_id, modality, position, format, quality, sha256, data, captured_at)
                 VALUES (?1, ?2, ?2, 'bench', 90, ?3, ?4, '2026-11-25T00:00:00Z')",
                params![app.id, modality, sha, data],
            )?;
        }
    }
    tx.commit()?;
    Ok(payload)
}

fn waiting(data: &Path) -> anyhow::Result<(i64, i64)> {
    let c = Connection::open_with_flags(
        data.join("rekam-agent.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    c.busy_timeout(Duration::from_secs(5))?;
    let d = c.query_row(
        "SELECT COUNT(*) FROM sync_outbox WHERE refused IS NULL",
        [],
        |r| r.get(0),
    )?;
    let b = c.query_row("SELECT COUNT(*) FROM sync_blob_outbox", [], |r| r.get(0))?;
    Ok((d, b))
}

async fn offices(args: &[String]) -> anyhow::Result<()> {
    let apps = arg(args, "--apps", 1000) as u32;
    let agents = arg(args, "--agents", 1) as usize;
    let kbit = arg(args, "--kbit", 0);
    let photo = arg(args, "--photo-bytes", 20_000) as usize;
    if agents == 0 || agents > 15 {
        bail!("--agents must be 1..=15 (the kecamatan of Pesisir Selatan)");
    }
    let root = tempfile::tempdir()?;
    let pki = Pki::init(&root.path().join("pki"))?;
    let hub_data = root.path().join("hub");
    let hub = start_hub(&hub_data, &pki, "127.0.0.1:0".parse()?)?;
    let proxy = Proxy::start(hub.addr).await?;
    if kbit > 0 {
        proxy.set_faults(Faults {
            bytes_per_sec: Some(kbit * 1000 / 8),
            ..Faults::default()
        });
    }
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let mut payload = 0;
    let mut dirs = Vec::new();
    let t_fill = Instant::now();
    for i in 0..agents {
        let k = format!("1301{:02}", i + 1);
        let dir = root.path().join(format!("kantor-{k}"));
        payload += fill_office(&dir.join("data"), &k, apps, photo)?;
        pki.issue_agent(&k, &dir.join("tls"))?;
        let cfg = format!(
            "data = {:?}\nlisten = \"127.0.0.1:{}\"\nkecamatan = \"{k}\"\n\n[hub]\nurl = \"{url}\"\ntls_dir = {:?}\ninterval_ms = 200\nbackoff_ms = 200\nmax_backoff_ms = 2000\ntimeout_ms = 120000\n",
            dir.join("data").display().to_string(),
            free_port(),
            dir.join("tls").display().to_string()
        );
        std::fs::write(dir.join("agent.toml"), cfg)?;
        dirs.push((k, dir));
    }
    eprintln!(
        "filled {agents} office(s) x {apps} applications in {:.1} s; payload {} bytes",
        t_fill.elapsed().as_secs_f64(),
        payload
    );
    let start = Instant::now();
    let mut procs = Vec::new();
    for (_, dir) in &dirs {
        let mut cmd = Command::new(harness::agent_exe());
        cmd.args(["serve", "--config"])
            .arg(dir.join("agent.toml"))
            .env("RUST_LOG", "warn");
        procs.push(harness::Proc::spawn(
            cmd,
            dir.join("agent.log"),
            "listening on ",
        )?);
    }
    loop {
        let mut left = (0, 0);
        for (_, dir) in &dirs {
            let (d, b) = waiting(&dir.join("data"))?;
            left.0 += d;
            left.1 += b;
        }
        if left == (0, 0) {
            break;
        }
        if start.elapsed() > Duration::from_secs(3600) {
            bail!("not done within an hour: {left:?} waiting");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let st = proxy.stats();
    let wire = st.bytes_up + st.bytes_down;
    let docs = harness::hub_docs(&hub_data).context("inspect")?;
    let total = agents * apps as usize;
    if docs.len() != total {
        bail!("hub has {} documents, expected {total}", docs.len());
    }
    println!(
        "agents={agents} apps/agent={apps} photo={photo}B kbit={} | time {secs:.2} s | {:.0} apps/s | wire {} B (up {}, down {}) | payload {} B | wire/payload {:.3}",
        if kbit == 0 {
            "unlimited".to_string()
        } else {
            kbit.to_string()
        },
        total as f64 / secs,
        wire,
        st.bytes_up,
        st.bytes_down,
        payload,
        wire as f64 / payload as f64
    );
    drop(procs);
    drop(hub);
    Ok(())
}

fn hub_restart(args: &[String]) -> anyhow::Result<()> {
    use rekam_hub::storage::Storage as _;
    use rekam_hub::storage::sqlite::SqliteStorage;
    let n = arg(args, "--docs", 400_000);
    let root = tempfile::tempdir()?;
    let pki = Pki::init(&root.path().join("pki"))?;
    let hub_data = root.path().join("hub");
    std::fs::create_dir_all(&hub_data)?;
    let storage = SqliteStorage::open(&hub_data.join(rekam_hub::cli::DB_FILE))?;
    let mut templates = Vec::new();
    for f in std::fs::read_dir(fixtures_dir())?.take(10) {
        templates.push(std::fs::read(f?.path())?);
    }
    // One realistic application per kecamatan as a template (templates, iris codes, blob
    // references, events); each stored document is that template with its own id written as
    // one more change, so sizes and structure are those of real documents.
    let t_fill = Instant::now();
    let mut bases = Vec::new();
    for k in 1..=15u32 {
        let kec = format!("1301{k:02}");
        bases.push((kec.clone(), make_app(&kec, k, &templates, 0)?.doc));
    }
    let per_tx = 5_000;
    let mut done = 0u64;
    let mut bytes = 0u64;
    while done < n {
        let batch = per_tx.min(n - done);
        storage.transaction(&mut |tx| {
            for i in done..done + batch {
                let (k, base) = &bases[(i % 15) as usize];
                let mut doc = automerge::AutoCommit::load(base)
                    .map_err(|e| rekam_hub::storage::StorageError::Backend(e.to_string()))?;
                let id = format!("{k}-{i:07}");
                doc.put(automerge::ROOT, "id", id.as_str())
                    .map_err(|e| rekam_hub::storage::StorageError::Backend(e.to_string()))?;
                let saved = doc.save();
                bytes += saved.len() as u64;
                tx.save_doc(&id, k, &saved, false)?;
            }
            Ok(())
        })?;
        done += batch;
        if done.is_multiple_of(50_000) {
            eprintln!("{done} documents stored");
        }
    }
    drop(storage);
    let db_size = std::fs::metadata(hub_data.join(rekam_hub::cli::DB_FILE))?.len();
    eprintln!(
        "filled {n} documents ({bytes} bytes of documents, database {db_size} bytes) in {:.1} s",
        t_fill.elapsed().as_secs_f64()
    );
    for run in ["first", "second"] {
        let t = Instant::now();
        let hub = start_hub(&hub_data, &pki, "127.0.0.1:0".parse()?)?;
        let ready = t.elapsed().as_secs_f64();
        println!("hub restart with {n} documents ({run} start): ready in {ready:.3} s");
        hub.stop()?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("offices") => offices(&args).await,
        Some("hub-restart") => hub_restart(&args),
        _ => bail!(
            "usage: rekam-sync-bench offices [--apps N] [--agents N] [--kbit K] [--photo-bytes B] | hub-restart [--docs N]"
        ),
    }
}
