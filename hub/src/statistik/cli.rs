//! `rekam-hub reindex` and `rekam-hub target import | list`: the command-line side of the
//! statistics read model and the targets (messages in Indonesian).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::storage::sqlite::SqliteStorage;
use crate::storage::{AuditEntry, Storage};

use super::kueri::{self, Rentang};
use super::target::{self, Peringkat};

/// `rekam-hub reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// Data folder of the hub.
    #[arg(long, env = "REKAM_HUB_DATA")]
    pub data: PathBuf,
}

/// `rekam-hub target ...`.
#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Import wajib KTP-el targets from a CSV file (columns: tahun,kecamatan,nagari,wajib_ktp_el;
    /// see docs/dashboard-data.md). A file with any bad row imports nothing.
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
    /// List the targets with each kecamatan's coverage over the year so far.
    List {
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
        /// Only this year.
        #[arg(long)]
        tahun: Option<i32>,
        /// Rating bands, e.g. `0:kurang,60:cukup,80:baik` (default: `REKAM_HUB_PERINGKAT`,
        /// else the built-in bands).
        #[arg(long)]
        peringkat: Option<String>,
    },
}

fn open(data: &Path) -> anyhow::Result<SqliteStorage> {
    std::fs::create_dir_all(data)?;
    Ok(SqliteStorage::open(&data.join(crate::cli::DB_FILE))?)
}

/// Runs `rekam-hub reindex`: takes the data folder's lock, rebuilds, prints the rate.
pub fn reindex(args: ReindexArgs) -> anyhow::Result<()> {
    let _kunci = crate::cli::lock_data(&args.data)?;
    let storage = open(&args.data)?;
    let mulai = std::time::Instant::now();
    let r = super::reindex(&storage)?;
    let detik = mulai.elapsed().as_secs_f64();
    println!(
        "read model dibangun ulang: {} dokumen ({} tidak terbaca), {} langkah, {:.1} s ({:.0} dokumen/s)",
        r.dokumen,
        r.tidak_terbaca,
        r.langkah,
        detik,
        r.dokumen as f64 / detik.max(1e-9)
    );
    Ok(())
}

/// Runs `rekam-hub target ...`.
pub fn target(cmd: TargetCommand) -> anyhow::Result<()> {
    match cmd {
        TargetCommand::Import { file, data, oleh } => {
            let teks = std::fs::read_to_string(&file).map_err(|e| {
                anyhow::anyhow!("berkas {} tidak dapat dibaca: {e}", file.display())
            })?;
            let rows = match target::baca_csv(&teks) {
                Ok(rows) => rows,
                Err(salah) => {
                    let daftar: Vec<String> = salah.iter().map(ToString::to_string).collect();
                    anyhow::bail!(
                        "{}: tidak ada yang diimpor, perbaiki dulu:\n{}",
                        file.display(),
                        daftar.join("\n")
                    );
                }
            };
            let storage = open(&data)?;
            storage.statistik().target_simpan(&rows)?;
            storage.transaction(&mut |tx| {
                tx.audit(&AuditEntry {
                    at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    actor: oleh.clone(),
                    action: "target.import".into(),
                    permohonan_id: None,
                    detail: format!("{} baris dari {}", rows.len(), file.display()),
                })
            })?;
            println!("{} target diimpor dari {}", rows.len(), file.display());
        }
        TargetCommand::List {
            data,
            tahun,
            peringkat,
        } => {
            let peringkat = match peringkat {
                Some(p) => Peringkat::parse(&p).map_err(|e| anyhow::anyhow!("--peringkat: {e}"))?,
                None => Peringkat::dari_env().map_err(anyhow::Error::msg)?,
            };
            let storage = open(&data)?;
            print!("{}", daftar_target(&storage, tahun, &peringkat)?);
        }
    }
    Ok(())
}

/// The text of `rekam-hub target list`: every target row, then per year and kecamatan the
/// coverage over that whole year.
pub fn daftar_target(
    storage: &dyn Storage,
    tahun: Option<i32>,
    peringkat: &Peringkat,
) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let semua: Vec<target::Target> = storage
        .statistik()
        .target_semua()?
        .into_iter()
        .filter(|t| tahun.is_none_or(|y| t.tahun == y))
        .collect();
    let mut out = String::new();
    if semua.is_empty() {
        out.push_str("belum ada target\n");
        return Ok(out);
    }
    writeln!(
        out,
        "tahun  kecamatan  nagari                  wajib_ktp_el"
    )?;
    for t in &semua {
        let nagari = if t.nagari.is_empty() {
            "(seluruh)"
        } else {
            &t.nagari
        };
        writeln!(
            out,
            "{:<6} {:<10} {:<23} {}",
            t.tahun, t.kecamatan, nagari, t.wajib_ktp_el
        )?;
    }
    let mut years: Vec<i32> = semua.iter().map(|t| t.tahun).collect();
    years.dedup();
    for y in years {
        let Some(r) = chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .zip(chrono::NaiveDate::from_ymd_opt(y, 12, 31))
            .map(|(dari, sampai)| Rentang { dari, sampai })
        else {
            continue;
        };
        writeln!(out, "\ncakupan {y} (terekam bukan duplikat / target):")?;
        for e in kueri::ikhtisar(storage, &r, peringkat)?.kecamatan {
            if let (Some(t), Some(p)) = (e.target, e.cakupan_persen) {
                writeln!(
                    out,
                    "{} {:<20} {:>8} / {:<8} {:>6.1} %  {}",
                    e.kecamatan,
                    e.nama.as_deref().unwrap_or(""),
                    e.terekam.jumlah - e.terekam.duplikat,
                    t,
                    p,
                    e.peringkat.as_deref().unwrap_or("")
                )?;
            }
        }
    }
    Ok(out)
}
