//! Statistics read-model figures (docs/dashboard-data.md): the overview and time-standards
//! queries and the overview and time-standards pages (query + render) over a year of synthetic
//! applications, and the `reindex` rate over real documents.
//!
//! `cargo run --release -p rekam-hub --bin rekam-statistik-bench -- --permohonan 400000`

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Synthetic applications in the read model (over 365 days).
    #[arg(long, default_value_t = 400_000)]
    permohonan: u64,
    /// Real documents for the rebuild timing.
    #[arg(long, default_value_t = 5_000)]
    dokumen: u64,
    /// Runs per query (best and median printed).
    #[arg(long, default_value_t = 5)]
    ulang: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("rekam-statistik-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let akhir = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let t = std::time::Instant::now();
    let s = rekam_hub::statistik::bench::isi_sintetis(&dir.join("hub.db"), args.permohonan, akhir)?;
    println!(
        "isi: {} permohonan sintetis dalam {:.1} s",
        args.permohonan,
        t.elapsed().as_secs_f64()
    );
    for w in rekam_hub::statistik::bench::ukur_kueri(&s, akhir, args.ulang)? {
        println!(
            "{:<26} terbaik {:>8.1} ms  median {:>8.1} ms",
            w.kueri,
            w.terbaik.as_secs_f64() * 1e3,
            w.median.as_secs_f64() * 1e3
        );
    }
    for w in rekam_hub::web::ukur::ukur_halaman(&s, akhir, args.ulang)? {
        println!(
            "{:<26} terbaik {:>8.1} ms  median {:>8.1} ms",
            w.kueri,
            w.terbaik.as_secs_f64() * 1e3,
            w.median.as_secs_f64() * 1e3
        );
    }
    let (n, detik) =
        rekam_hub::statistik::bench::ukur_reindex(&dir.join("reindex.db"), args.dokumen)?;
    println!(
        "reindex: {n} dokumen dalam {detik:.2} s = {:.0} dokumen/s",
        n as f64 / detik
    );
    drop(s);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
