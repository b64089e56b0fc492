//! Population register figures at the office (docs/population-register.md): 350,000 synthetic
//! residents stored in a real agent database through the sync daemon's own function
//! (`sync::register::simpan`, chunks of 1,000 as the hub sends them), the database bytes per
//! resident, then the NIK look-up at the desk: `GET /api/penduduk/{nik}` on a real in-process
//! agent over HTTP (session, look-up, audit row with its commit), p50/p99/max, for registered
//! and not-registered NIKs.
//!
//! `cargo run -p rekam-tests --bin rekam-register-bench -- --penduduk 350000`

use std::time::{Duration, Instant};

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rekam_agent::auth::{self, Password};
use rekam_agent::db::Db;
use rekam_agent::peran::Peran;
use rekam_shared::register::{BagianRegister, EntriRegister};

#[derive(Parser)]
struct Args {
    /// Residents in the office's copy of the register.
    #[arg(long, default_value_t = 350_000)]
    penduduk: usize,
    /// Look-ups timed.
    #[arg(long, default_value_t = 2_000)]
    cari: usize,
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    println!(
        "build: {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let db_path = data.join("rekam-agent.db");
    let hari_ini = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let rows = rekam_hub::penduduk::bench::sintetis(args.penduduk, 1, hari_ini);
    {
        let db = Db::open(&db_path, 1)?;
        let hash = auth::hash_password(&Password("kata-sandi-uji".into()))?;
        db.write(move |tx| {
            auth::add_operator(tx, "reg", Peran::OperatorRegistrasi, &hash, "bench")
        })
        .await?;
        let t = Instant::now();
        let n = rows.len() as u64;
        for (i, chunk) in rows.chunks(1_000).enumerate() {
            let base = (i * 1_000) as u64;
            let b = BagianRegister {
                head: n,
                versi: base + chunk.len() as u64,
                more: base + (chunk.len() as u64) < n,
                entri: chunk
                    .iter()
                    .enumerate()
                    .map(|(j, d)| EntriRegister {
                        seq: base + j as u64 + 1,
                        data: d.clone(),
                    })
                    .collect(),
            };
            db.write(move |tx| rekam_agent::sync::register::simpan(tx, &b, chrono::Utc::now()))
                .await?;
        }
        println!(
            "simpan: {} penduduk dalam {:.1} s ({:.0}/s, potongan 1.000 per transaksi)",
            n,
            t.elapsed().as_secs_f64(),
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
    {
        let c = rusqlite::Connection::open(&db_path)?;
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        let total = std::fs::metadata(&db_path)?.len();
        println!(
            "database kantor (register + tabel kantor yang kosong, setelah VACUUM): {:.1} MB = {:.0} B/penduduk",
            total as f64 / 1e6,
            total as f64 / rows.len() as f64
        );
    }

    let config = rekam_agent::Config {
        data,
        listen: "127.0.0.1:0".parse()?,
        kecamatan: "130105".into(),
        ..rekam_agent::Config::default()
    };
    let running = rekam_agent::start(config).await?;
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::builder().no_proxy().build()?;
    let login: serde_json::Value = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "reg", "password": "kata-sandi-uji"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().expect("token").to_owned();
    let mut rng = StdRng::seed_from_u64(9);
    let (mut ada, mut tidak) = (Vec::new(), Vec::new());
    for i in 0..args.cari {
        let registered = i % 10 != 0;
        let nik = if registered {
            rows[rng.gen_range(0..rows.len())].penduduk.nik.to_string()
        } else {
            // A valid NIK with a serial the generator never reaches.
            rekam_shared::nik::Nik::from_parts(
                "130105".parse()?,
                rows[rng.gen_range(0..rows.len())].penduduk.tanggal_lahir,
                rekam_shared::penduduk::JenisKelamin::LakiLaki,
                9_000 + (i % 999) as u16,
            )?
            .to_string()
        };
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/penduduk/{nik}"))
            .bearer_auth(&token)
            .send()
            .await?;
        let status = r.status().as_u16();
        let _ = r.bytes().await?;
        let d = t.elapsed();
        match status {
            200 | 409 => ada.push(d),
            404 => tidak.push(d),
            s => anyhow::bail!("unexpected status {s}"),
        }
    }
    for (what, v) in [("terdaftar", &mut ada), ("tidak terdaftar", &mut tidak)] {
        println!(
            "GET /api/penduduk/{{nik}} {what} ({} kali): p50 {:.2} ms, p99 {:.2} ms, maks {:.2} ms",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.99),
            pct(v, 1.0)
        );
    }
    // The table read alone (no HTTP, no audit write), on a connection of its own.
    let c = rusqlite::Connection::open(dir.path().join("data").join("rekam-agent.db"))?;
    let mut v = Vec::with_capacity(args.cari);
    for _ in 0..args.cari {
        let nik = rows[rng.gen_range(0..rows.len())].penduduk.nik.to_string();
        let t = Instant::now();
        let found = rekam_agent::sync::register::cari(&c, &nik)?;
        v.push(t.elapsed());
        assert!(found.is_some());
    }
    println!(
        "sync::register::cari saja ({} kali): p50 {:.3} ms, p99 {:.3} ms",
        v.len(),
        pct(&mut v, 0.5),
        pct(&mut v, 0.99)
    );
    drop(running);
    Ok(())
}
