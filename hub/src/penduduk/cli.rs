//! `rekam-hub penduduk import FILE --data DIR` and `rekam-hub penduduk status`: the command
//! line of the population register (messages in Indonesian; progress on stderr; never a NIK).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Subcommand;

use crate::storage::Storage as _;
use crate::storage::sqlite::SqliteStorage;

/// `rekam-hub penduduk ...`.
#[derive(Debug, Subcommand)]
pub enum PendudukCommand {
    /// Import a register extract (CSV with SIAK's biodata columns, see
    /// docs/population-register.md). Every row is checked first; a file with any rejected row
    /// imports nothing. A re-import applies only what changed.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
        /// Who imports (audit log).
        #[arg(long, env = "USER", default_value = "admin")]
        oleh: String,
    },
    /// The register's version and residents per status, as JSON.
    Status {
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
    },
}

fn open(data: &Path) -> anyhow::Result<SqliteStorage> {
    std::fs::create_dir_all(data)?;
    Ok(SqliteStorage::open(&data.join(crate::cli::DB_FILE))?)
}

/// Prints progress to stderr at most once a second (and always the last figure).
struct Kemajuan {
    mulai: Instant,
    terakhir: Instant,
}

impl Kemajuan {
    fn new() -> Self {
        let now = Instant::now();
        Kemajuan {
            mulai: now,
            terakhir: now,
        }
    }

    fn cetak(&mut self, teks: std::fmt::Arguments<'_>, akhir: bool) {
        if akhir || self.terakhir.elapsed() >= Duration::from_secs(1) {
            self.terakhir = Instant::now();
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "{teks} ({:.1} s)", self.mulai.elapsed().as_secs_f64());
        }
    }
}

/// Runs `rekam-hub penduduk ...`.
pub fn run(cmd: PendudukCommand) -> anyhow::Result<()> {
    match cmd {
        PendudukCommand::Import { file, data, oleh } => import(&file, &data, &oleh),
        PendudukCommand::Status { data } => {
            let storage = open(&data)?;
            let mut out = serde_json::Value::Null;
            storage.transaction(&mut |tx| {
                out = serde_json::json!({
                    "versi": tx.register_head()?,
                    "penduduk": tx.register_jumlah()?,
                });
                Ok(())
            })?;
            println!("{out}");
            Ok(())
        }
    }
}

fn import(file: &Path, data: &Path, oleh: &str) -> anyhow::Result<()> {
    let teks = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("berkas {} tidak dapat dibaca: {e}", file.display()))?;
    let hari_ini = chrono::Utc::now()
        .with_timezone(&crate::statistik::baris::zona())
        .date_naive();
    let mut k = Kemajuan::new();
    let ekstrak = match super::berkas::baca(&teks, hari_ini, &mut |n| {
        k.cetak(format_args!("memeriksa: {n} baris"), false)
    }) {
        Ok(e) => e,
        Err(salah) => {
            let mut baris: Vec<usize> = salah.iter().map(|s| s.baris).collect();
            baris.dedup();
            let daftar: Vec<String> = salah.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "{}: {} baris ditolak ({} masalah). TIDAK ADA yang diimpor: database kependudukan tidak berubah. Perbaiki baris berikut lalu impor ulang seluruh berkas:\n{}",
                file.display(),
                baris.len(),
                salah.len(),
                daftar.join("\n")
            );
        }
    };
    k.cetak(
        format_args!("diperiksa: {} penduduk, semua sah", ekstrak.penduduk.len()),
        true,
    );
    let storage = open(data)?;
    let r = super::terapkan(
        &storage,
        &ekstrak.penduduk,
        oleh,
        &file.display().to_string(),
        &mut |i, n| k.cetak(format_args!("menerapkan: {i} dari {n}"), i == n),
    )?;
    println!(
        "{} penduduk dari {}: {} baru, {} diubah, {} meninggal, {} pindah, {} tidak berubah; versi database kependudukan {}",
        r.baris,
        file.display(),
        r.baru,
        r.diubah,
        r.meninggal,
        r.pindah,
        r.sama,
        r.head
    );
    Ok(())
}
