//! Agent benchmarks (a bench binary printing figures; recorded in docs/agent.md):
//!
//! 1. Step transition latency, p50/p99, with 8 concurrent desks working through the JSON API
//!    of a real agent (in-process server on 127.0.0.1, real SQLite file) whose database already
//!    holds 100,000 residents with finished applications.
//! 2. The local "already recorded?" 1:N check against 50,000 recorded persons (2 synthetic
//!    irises and the fingers given by `--fingers`, synthetic minutiae, per person).
//!
//! `cargo bench -p rekam-agent --bench desk -- [--residents N] [--gallery N] [--fingers N]
//!  [--flows N]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use rekam_agent::auth::{self, Password};
use rekam_agent::bio::LocalGallery;
use rekam_agent::cek::{CekRekam, Probe};
use rekam_agent::clock::Clock;
use rekam_agent::config::Config;
use rekam_agent::db::Db;
use rekam_agent::device::protocol::FINGERS;
use rekam_agent::device::sim;
use rekam_agent::peran::Peran;
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::{Aksi, NomorAntrian, Peristiwa, Permohonan};
use serde_json::{Value, json};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kode() -> KodeKecamatan {
    KodeKecamatan::new(13, 1, 1).expect("kode")
}

fn penduduk(i: u32) -> Penduduk {
    let lahir = NaiveDate::from_ymd_opt(
        1950 + (i % 50) as i32,
        1 + (i / 50 % 12),
        1 + (i / 600 % 28),
    )
    .expect("date");
    let jk = if i.is_multiple_of(2) {
        JenisKelamin::LakiLaki
    } else {
        JenisKelamin::Perempuan
    };
    let urut = 1 + (i % 9999) as u16;
    let nik = Nik::from_parts(kode(), lahir, jk, urut).expect("nik");
    let kk: NomorKk = format!("130101011020{:04}", 1 + i % 9999)
        .parse()
        .expect("kk");
    Penduduk {
        nik,
        no_kk: kk,
        nama: format!("Penduduk {i}"),
        tempat_lahir: "Painan".into(),
        tanggal_lahir: lahir,
        jenis_kelamin: jk,
        status_perkawinan: StatusPerkawinan::Kawin,
        alamat: "Jl. Pantai Carocok".into(),
        rt: 1,
        rw: 1,
        nagari: "Painan".into(),
        kecamatan: kode(),
    }
}

/// Fills the database with `n` residents, each with a finished application.
fn seed(db_path: &std::path::Path, n: u32) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(db_path)?;
    let tx = conn.transaction()?;
    let start = Utc::now() - TimeDelta::days(30);
    let mut seen = std::collections::HashSet::new();
    let mut made = 0u32;
    let mut i = 0u32;
    while made < n {
        i += 1;
        let p = penduduk(i);
        if !seen.insert(p.nik.to_string()) {
            continue;
        }
        made += 1;
        let t = start + TimeDelta::seconds(i64::from(made) * 20);
        let id = uuid::Uuid::now_v7().to_string();
        let mut pm = Permohonan::new(id.clone(), kode(), p.clone());
        let ev = |k: i64, a: Aksi, peran: Peran| {
            let e = Peristiwa::new(t + TimeDelta::seconds(k), "seed", peran, a);
            if matches!(e.aksi, Aksi::PerekamanBerhasil { .. }) {
                e.dengan_kelengkapan(rekam_shared::workflow::Kelengkapan::semua_terekam(80))
            } else {
                e
            }
        };
        for (k, a, peran) in [
            (0, Aksi::PermohonanDibuat, Peran::OperatorRegistrasi),
            (60, Aksi::BerkasDiterima, Peran::OperatorRegistrasi),
            (120, Aksi::BerkasBenar, Peran::OperatorRegistrasi),
            (
                180,
                Aksi::NomorAntrianDiberikan {
                    nomor_antrian: NomorAntrian(made),
                },
                Peran::OperatorRegistrasi,
            ),
            (240, Aksi::Dipanggil, Peran::OperatorPerekaman),
            (
                300,
                Aksi::PerekamanBerhasil {
                    nomor_bukti: format!("130101-seed-{made}"),
                },
                Peran::OperatorPerekaman,
            ),
            (360, Aksi::DiterimaPenduduk, Peran::OperatorPerekaman),
        ] {
            pm.apply(ev(k, a, peran))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let tanggal = t.date_naive().to_string();
        tx.execute(
            "INSERT INTO penduduk(nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
                status_perkawinan, alamat, rt, rw, kelurahan, kecamatan, data, updated_at)
             VALUES (?1, ?2, ?3, 'Painan', ?4, 'x', 'kawin', 'Jl', '1', '1', 'Painan', '130101', ?5, ?6)",
            rusqlite::params![p.nik.to_string(), p.no_kk.to_string(), p.nama, p.tanggal_lahir.to_string(), serde_json::to_string(&p)?, t.to_rfc3339()],
        )?;
        tx.execute(
            "INSERT INTO permohonan(id, nik, kecamatan, tanggal, status, nomor_antrian, tanggal_antrian,
                nomor_bukti, state, created_at, updated_at)
             VALUES (?1, ?2, '130101', ?3, 'diserahkan', ?4, ?3, ?5, ?6, ?7, ?7)",
            rusqlite::params![id, p.nik.to_string(), tanggal, made, format!("130101-seed-{made}"), serde_json::to_string(&pm.data())?, t.to_rfc3339()],
        )?;
        for e in pm.peristiwa() {
            tx.execute(
                "INSERT INTO peristiwa(permohonan_id, at, operator, kind, status_after, detail) VALUES (?1, ?2, 'seed', ?3, 'x', '{}')",
                rusqlite::params![id, e.waktu.to_rfc3339(), e.aksi.jenis().nama()],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn post(&self, token: &str, path: &str, body: Value) -> (Duration, Value) {
        let t = Instant::now();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("send");
        let ok = r.status().is_success();
        let v: Value = r.json().await.expect("json");
        assert!(ok, "{path}: {v}");
        (t.elapsed(), v)
    }
}

async fn transitions(residents: u32, flows: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let db_path = data.join("rekam-agent.db");
    {
        let db = Db::open(&db_path, 1)?;
        let hash = auth::hash_password(&Password("kata-sandi-uji".into()))?;
        for (u, p) in [
            ("reg", Peran::OperatorRegistrasi),
            ("rek", Peran::OperatorPerekaman),
        ] {
            let h = hash.clone();
            db.write(move |tx| auth::add_operator(tx, u, p, &h, "bench"))
                .await?;
        }
    }
    let t = Instant::now();
    seed(&db_path, residents)?;
    println!(
        "seeded {residents} residents with finished applications in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (sim_addr, _sim) = sim::spawn("127.0.0.1:0".parse()?).await?;
    let config = Config {
        data,
        listen: "127.0.0.1:0".parse()?,
        kecamatan: "130101".into(),
        device_url: Some(format!("http://{sim_addr}")),
        ..Config::default()
    };
    let running = rekam_agent::start_with_clock(config, Clock::default()).await?;
    // Automatic subjects: every application is a different person at the scanners.
    reqwest::Client::new()
        .post(format!("http://{sim_addr}/sim/subjek"))
        .json(&json!({"subjek": 0}))
        .send()
        .await?;
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(32)
            .build()?,
        base: format!("http://{}", running.addr),
    });
    let login = |u: &str| {
        let api = api.clone();
        let u = u.to_owned();
        async move {
            let r = api
                .http
                .post(format!("{}/api/login", api.base))
                .json(&json!({"username": u, "password": "kata-sandi-uji"}))
                .send()
                .await
                .expect("login");
            let v: Value = r.json().await.expect("json");
            v["token"].as_str().expect("token").to_owned()
        }
    };
    let reg = login("reg").await;
    let rek = login("rek").await;
    // 8 desks, each takes residents through steps 1-4 (new NIKs beyond the seeded ones).
    let started = Instant::now();
    let mut tasks = Vec::new();
    for d in 0..8u32 {
        let api = api.clone();
        let (reg, rek) = (reg.clone(), rek.clone());
        tasks.push(tokio::spawn(async move {
            let mut pure = Vec::new();
            let mut cek = Vec::new();
            let mut rekam = Vec::new();
            for f in 0..flows as u32 {
                let i = 900_000 + d * 10_000 + f;
                let p = penduduk(i);
                let pj = json!({
                    "nik": p.nik.to_string(), "no_kk": p.no_kk.to_string(), "nama": p.nama,
                    "tempat_lahir": "Painan", "tanggal_lahir": p.tanggal_lahir.to_string(),
                    "jenis_kelamin": if p.jenis_kelamin == JenisKelamin::LakiLaki { "laki_laki" } else { "perempuan" },
                    "status_perkawinan": "kawin", "alamat": "Jl", "rt": "1", "rw": "1",
                    "nagari": "Painan", "kecamatan": "130101"
                });
                let (dt, v) = api.post(&reg, "/api/permohonan", json!({"penduduk": pj})).await;
                pure.push(dt);
                let id = v["id"].as_str().expect("id").to_owned();
                let berkas = json!({"berkas": ["hadir_sendiri", "kk", "buku_nikah"]});
                pure.push(api.post(&reg, &format!("/api/permohonan/{id}/terima-berkas"), berkas.clone()).await.0);
                pure.push(api.post(&reg, &format!("/api/permohonan/{id}/periksa-berkas"), berkas).await.0);
                let (dt, v) = api.post(&reg, &format!("/api/permohonan/{id}/cek-biometrik"), json!({})).await;
                cek.push(dt);
                assert_eq!(v["status"], "menunggu_perekaman", "{v}");
                pure.push(api.post(&rek, &format!("/api/permohonan/{id}/panggil"), json!({})).await.0);
                for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
                    rekam.push(api.post(&rek, &format!("/api/permohonan/{id}/rekam/{m}"), json!({})).await.0);
                }
                pure.push(api.post(&rek, &format!("/api/permohonan/{id}/berhasil"), json!({})).await.0);
                pure.push(api.post(&rek, &format!("/api/permohonan/{id}/serahkan"), json!({})).await.0);
            }
            (pure, cek, rekam)
        }));
    }
    let (mut pure, mut cek, mut rekam) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let (a, b, c) = t.await?;
        pure.extend(a);
        cek.extend(b);
        rekam.extend(c);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "8 desks, {residents} residents in the database: {} step transitions in {secs:.1} s ({:.0}/s)",
        pure.len(),
        pure.len() as f64 / secs
    );
    println!(
        "  step transition latency: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut pure, 0.5),
        pct(&mut pure, 0.99)
    );
    println!(
        "  biometric check (2 device captures + 1:N): p50 {:.2} ms, p99 {:.2} ms ({} calls)",
        pct(&mut cek, 0.5),
        pct(&mut cek, 0.99),
        cek.len()
    );
    println!(
        "  capture + store one modality: p50 {:.2} ms, p99 {:.2} ms ({} calls)",
        pct(&mut rekam, 0.5),
        pct(&mut rekam, 0.99),
        rekam.len()
    );
    running.stop().await?;
    Ok(())
}

fn probe_of(subjek: u64, fingers: usize, capture: u64) -> Probe {
    let mut p = Probe::default();
    for (k, pos) in FINGERS.iter().enumerate().take(fingers) {
        p.jari.push((
            pos.to_string(),
            sim::finger_template(subjek, k, capture as usize).to_vec(),
        ));
    }
    for (eye, pos) in [(0u8, "right-iris"), (1u8, "left-iris")] {
        let (t, _) = rekam_agent::bio::synth_iris(subjek, eye, capture).expect("iris");
        p.iris.push((pos.to_string(), t));
    }
    p
}

fn one_to_n(n: usize, fingers: usize) {
    let t = Instant::now();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let persons: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| {
                            let probe = probe_of(i as u64 + 1000, fingers, 0);
                            (i, rekam_agent::bio::person_of(&probe))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("build"))
            .collect()
    });
    let mut g = LocalGallery::default();
    for (i, p) in persons {
        g.tambah_person(&format!("p{i}"), "nik", p);
    }
    println!(
        "built a local gallery of {n} persons (2 irises + {fingers} fingers each) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cek = CekRekam::new(g);
    let mut times = Vec::new();
    let mut found = 0;
    // Half the probes are persons in the gallery (another capture), half are new.
    for k in 0..20u64 {
        let subjek = if k % 2 == 0 {
            1000 + k * 37 % n as u64
        } else {
            10_000_000 + k
        };
        let probe = probe_of(subjek, fingers, 1);
        let t = Instant::now();
        let h = cek.cek(&probe);
        times.push(t.elapsed());
        if h.sudah_rekam {
            found += 1;
        }
    }
    println!(
        "local 1:N against {n} persons ({threads} threads): p50 {:.1} ms, p99 {:.1} ms per check (20 checks, {found} found, 10 enrolled)",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if std::env::args().any(|a| a == "--bench" || a == "--test")
        && std::env::args().any(|a| a == "--test")
    {
        return Ok(()); // `cargo test --benches` smoke run: nothing to do.
    }
    let residents = arg("--residents", 100_000) as u32;
    let gallery = arg("--gallery", 50_000);
    let fingers = arg("--fingers", 2).min(10);
    let flows = arg("--flows", 25);
    one_to_n(gallery, fingers);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(transitions(residents, flows))
}
