//! Population register figures (docs/population-register.md): a synthetic extract of N
//! residents (deterministic seed) read and checked, imported into an empty hub storage in one
//! transaction, re-imported unchanged and with 1 % changed; then the bytes of the whole register
//! as the offices receive it (response sections of `hub::penduduk::ENTRI_PER_BAGIAN`, raw and
//! gzip as the hub sends them) and the initial download time through a 256 kbit/s link,
//! computed from those bytes.
//!
//! `cargo run -p rekam-hub --bin rekam-penduduk-bench -- --penduduk 500000`

use std::io::Write as _;
use std::time::Instant;

use clap::Parser;
use rekam_hub::penduduk::{self, bench, berkas};
use rekam_hub::storage::Storage as _;
use rekam_hub::storage::sqlite::SqliteStorage;
use rekam_shared::register::{BagianRegister, StatusPenduduk};

#[derive(Parser)]
struct Args {
    /// Residents in the synthetic extract.
    #[arg(long, default_value_t = 500_000)]
    penduduk: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Link speed for the computed download time, kbit/s.
    #[arg(long, default_value_t = 256)]
    kbit: u64,
}

fn gzip(b: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b).expect("write to Vec");
    enc.finish().expect("write to Vec").len()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let hari_ini = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let dir = std::env::temp_dir().join(format!("rekam-penduduk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "build: {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );

    let t = Instant::now();
    let rows = bench::sintetis(args.penduduk, args.seed, hari_ini);
    let teks = bench::csv(&rows);
    println!(
        "ekstrak sintetis: {} penduduk, {:.1} MB CSV, dibuat dalam {:.1} s",
        rows.len(),
        teks.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let ekstrak = berkas::baca(&teks, hari_ini, &mut |_| {})
        .map_err(|e| anyhow::anyhow!("synthetic extract rejected: {}", e[0]))?;
    let baca = t.elapsed().as_secs_f64();
    println!(
        "baca + periksa: {:.1} s ({:.0} baris/s)",
        baca,
        rows.len() as f64 / baca
    );

    let storage = SqliteStorage::open(&dir.join("hub.db"))?;
    let t = Instant::now();
    let r = penduduk::terapkan(
        &storage,
        &ekstrak.penduduk,
        "bench",
        "bench.csv",
        &mut |_, _| {},
    )?;
    let impor = t.elapsed().as_secs_f64();
    println!(
        "impor pertama (satu transaksi): {:.1} s ({:.0} baris/s), {} baru, versi {}",
        impor,
        rows.len() as f64 / impor,
        r.baru,
        r.head
    );
    println!(
        "impor total (baca + periksa + terapkan): {:.1} s",
        baca + impor
    );

    let t = Instant::now();
    let r = penduduk::terapkan(
        &storage,
        &ekstrak.penduduk,
        "bench",
        "bench.csv",
        &mut |_, _| {},
    )?;
    println!(
        "impor ulang tanpa perubahan: {:.1} s, {} sama, versi {}",
        t.elapsed().as_secs_f64(),
        r.sama,
        r.head
    );

    let mut next = ekstrak.penduduk.clone();
    for (i, p) in next.iter_mut().enumerate() {
        if i % 100 == 7 {
            p.status = StatusPenduduk::Meninggal;
        }
    }
    let t = Instant::now();
    let r = penduduk::terapkan(&storage, &next, "bench", "bench.csv", &mut |_, _| {})?;
    println!(
        "impor ulang, 1 % berubah: {:.1} s, {} berubah, versi {}",
        t.elapsed().as_secs_f64(),
        r.meninggal + r.diubah,
        r.head
    );

    // What the offices download: every resident once, in response sections.
    let (mut raw, mut gz, mut bagian) = (0usize, 0usize, 0usize);
    let mut versi = 0;
    loop {
        let mut b = BagianRegister::default();
        storage.transaction(&mut |tx| {
            b = penduduk::bagian(
                tx,
                Some(rekam_shared::register::PermintaanRegister { versi }),
            )?;
            Ok(())
        })?;
        let bytes = b.encode();
        raw += bytes.len();
        gz += gzip(&bytes);
        bagian += 1;
        versi = b.versi;
        if !b.more {
            break;
        }
    }
    let n = rows.len() as f64;
    let detik = |b: usize| b as f64 * 8.0 / (args.kbit as f64 * 1000.0);
    println!(
        "register di kantor: {bagian} bagian, {:.1} MB mentah ({:.0} B/penduduk), {:.1} MB gzip ({:.0} B/penduduk)",
        raw as f64 / 1e6,
        raw as f64 / n,
        gz as f64 / 1e6,
        gz as f64 / n
    );
    println!(
        "unduhan awal lewat {} kbit/s (dihitung dari byte): {:.1} menit gzip, {:.1} menit mentah; satu kecamatan (1/15): {:.1} menit gzip",
        args.kbit,
        detik(gz) / 60.0,
        detik(raw) / 60.0,
        detik(gz) / 60.0 / 15.0
    );
    let db_bytes = std::fs::metadata(dir.join("hub.db"))?.len();
    println!(
        "berkas SQLite hub: {:.1} MB ({:.0} B/penduduk, termasuk indeks)",
        db_bytes as f64 / 1e6,
        db_bytes as f64 / n
    );
    drop(storage);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
