//! `rekam-hub` subcommands other than `bio`: `serve`, `pki ...`, `decide`, `inspect`,
//! `dedup stats`, `dedup rescan`, `dedup explain`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use rekam_shared::document::{HasilDedup, Keputusan, PermohonanDoc};

use crate::pki::{self, Pki};
use crate::storage::Storage;
use crate::storage::sqlite::SqliteStorage;

/// Name of the hub's database file inside its data folder.
pub const DB_FILE: &str = "rekam-hub.db";

/// `rekam-hub serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data folder (holds `rekam-hub.db`).
    #[arg(long, env = "REKAM_HUB_DATA")]
    pub data: PathBuf,
    /// Address of the mutual-TLS sync listener (port 0 picks a free port; the chosen address
    /// is printed as `listening on ADDR`).
    #[arg(long, env = "REKAM_HUB_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// PKI folder (`ca.crt`, `hub.crt`, `hub.key`, `revoked.txt`).
    #[arg(long, env = "REKAM_HUB_PKI")]
    pub pki: PathBuf,
    /// Dedup thresholds.
    #[command(flatten)]
    pub ambang: AmbangArgs,
    /// The dashboard's web listener (see docs/dashboard.md).
    #[command(flatten)]
    pub web: WebArgs,
}

/// The human-facing HTTPS listener of `rekam-hub serve` (off unless `--web-listen` is given).
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Address of the dashboard's HTTPS listener (port 0 picks a free port; the chosen
    /// address is printed as `web listening on ADDR`). Off when absent.
    #[arg(long, env = "REKAM_HUB_WEB_LISTEN")]
    pub web_listen: Option<SocketAddr>,
    /// Its certificate (PEM); default `dashboard.crt` in the PKI folder.
    #[arg(long, env = "REKAM_HUB_WEB_CERT")]
    pub web_cert: Option<PathBuf>,
    /// Its key (PEM); default `dashboard.key` in the PKI folder.
    #[arg(long, env = "REKAM_HUB_WEB_KEY")]
    pub web_key: Option<PathBuf>,
    /// Absolute lifetime of a login session, in seconds.
    #[arg(long, env = "REKAM_HUB_WEB_SESI_MAKS", default_value_t = 8 * 3600)]
    pub web_sesi_maks: u64,
    /// A session unused this many seconds ends.
    #[arg(long, env = "REKAM_HUB_WEB_SESI_DIAM", default_value_t = 30 * 60)]
    pub web_sesi_diam: u64,
    /// An office silent for more than this many minutes is highlighted on the offices page.
    #[arg(long, env = "REKAM_HUB_KANTOR_DIAM_MENIT", default_value_t = 120)]
    pub kantor_diam_menit: u64,
}

/// The dedup engine's thresholds (defaults: docs/biometrics.md). The hub, `dedup rescan` and
/// `dedup explain` read the same variables, so that they decide alike.
#[derive(Debug, Clone, Args)]
pub struct AmbangArgs {
    /// Fused score (-log10 false match rate) at or above which two recordings are the same
    /// person (duplikat).
    #[arg(long, env = "REKAM_HUB_AMBANG_COCOK", default_value_t = rekam_shared::bio::fusion::FusionConfig::default().match_threshold)]
    pub ambang_cocok: f64,
    /// Fused score at or above which it is a possible match (a case for a person).
    #[arg(long, env = "REKAM_HUB_AMBANG_MUNGKIN", default_value_t = rekam_shared::bio::fusion::FusionConfig::default().possible_threshold)]
    pub ambang_mungkin: f64,
}

impl AmbangArgs {
    /// The search settings with these thresholds; refused if they are not numbers or the
    /// possible-match threshold is above the match threshold.
    pub fn config(&self) -> anyhow::Result<rekam_shared::bio::gallery::GalleryConfig> {
        let (cocok, mungkin) = (self.ambang_cocok, self.ambang_mungkin);
        if !cocok.is_finite() || !mungkin.is_finite() {
            anyhow::bail!("--ambang-cocok dan --ambang-mungkin harus berupa angka");
        }
        if mungkin > cocok {
            anyhow::bail!(
                "--ambang-mungkin ({mungkin}) tidak boleh lebih besar dari --ambang-cocok ({cocok})"
            );
        }
        let mut c = rekam_shared::bio::gallery::GalleryConfig::default();
        c.fusion.match_threshold = cocok;
        c.fusion.possible_threshold = mungkin;
        // The hub's search uses every core (the engine decides one application at a time).
        c.search_threads = 0;
        Ok(c)
    }
}

/// Name of the lock file in the hub's data folder: held by `rekam-hub serve` and
/// `rekam-hub dedup rescan` for as long as they run (released by the system when the process
/// ends, also on `kill -9`).
pub const LOCK_FILE: &str = "rekam-hub.lock";

/// Takes the data folder's lock, or says who may hold it.
pub fn lock_data(data: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(data)?;
    let path = data.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "folder data {} sedang dipakai proses rekam-hub lain (hub yang berjalan, atau pindai ulang): hentikan dulu proses itu",
            data.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow::anyhow!(
            "kunci {} tidak dapat diambil: {e}",
            path.display()
        )),
    }
}

/// `rekam-hub pki ...`.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Create the district CA and the hub's server certificate.
    Init {
        /// PKI folder to create.
        #[arg(long)]
        dir: PathBuf,
        /// District name in the CA's subject.
        #[arg(long, default_value = "Kabupaten Pesisir Selatan")]
        district: String,
        /// Extra DNS names / IP addresses for the hub certificate (besides 127.0.0.1, localhost).
        #[arg(long = "name")]
        names: Vec<String>,
    },
    /// Issue an office (agent) client certificate naming its kecamatan.
    IssueAgent {
        /// PKI folder.
        #[arg(long)]
        dir: PathBuf,
        /// Six-digit kecamatan code, e.g. 130101.
        #[arg(long)]
        kecamatan: String,
        /// Output folder (office.crt, office.key, ca.crt).
        #[arg(long)]
        out: PathBuf,
    },
    /// (Re-)issue the hub's server certificate.
    IssueHub {
        /// PKI folder.
        #[arg(long)]
        dir: PathBuf,
        /// Output folder (hub.crt, hub.key).
        #[arg(long)]
        out: PathBuf,
        /// DNS names / IP addresses.
        #[arg(long = "name", default_values = ["127.0.0.1", "localhost"])]
        names: Vec<String>,
    },
    /// Revoke a certificate by serial (adds it to revoked.txt; effective at the next handshake).
    Revoke {
        /// PKI folder.
        #[arg(long)]
        dir: PathBuf,
        /// Serial number, hex.
        #[arg(long)]
        serial: String,
    },
    /// Issue the dashboard's server certificate (`dashboard.crt`, `dashboard.key` in the PKI
    /// folder) for the web listener (`serve --web-listen`).
    IssueDashboard {
        /// PKI folder (the certificate is written there too).
        #[arg(long)]
        dir: PathBuf,
        /// DNS names / IP addresses the browsers use (besides 127.0.0.1, localhost).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
}

/// Decision outcome on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Hasil {
    /// Unique.
    Unik,
    /// Duplicate.
    Duplikat,
    /// Needs a human adjudicator.
    PerluAdjudikasi,
}

/// `rekam-hub decide`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Data folder of the hub.
    #[arg(long, env = "REKAM_HUB_DATA")]
    pub data: PathBuf,
    /// Application (permohonan) id.
    #[arg(long)]
    pub permohonan: String,
    /// Outcome.
    #[arg(long, value_enum)]
    pub hasil: Hasil,
    /// Who decides.
    #[arg(long, default_value = "admin")]
    pub oleh: String,
    /// Note.
    #[arg(long, default_value = "")]
    pub catatan: String,
    /// Ids of applications this one duplicates.
    #[arg(long = "duplikat-dari")]
    pub duplikat_dari: Vec<String>,
}

/// `rekam-hub inspect`: prints every document (id, kecamatan, heads, blob references,
/// decision) and every blob as JSON lines, for operators and the end-to-end tests.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Data folder of the hub.
    #[arg(long, env = "REKAM_HUB_DATA")]
    pub data: PathBuf,
}

/// `rekam-hub dedup ...`.
#[derive(Debug, Subcommand)]
pub enum DedupCommand {
    /// Prints the dedup queue's backlog and the decisions taken, as one JSON object:
    /// `backlog`, `oldest` (when the oldest waiting application was queued), counts of
    /// decisions by `hasil`, by `jenis`, and by `oleh` (`sistem` = the engine, `orang` = a
    /// person).
    Stats {
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
    },
    /// Re-decides every application the engine decided (never a person's decision), with the
    /// given thresholds; shows progress on stderr; resumable: run it again after an
    /// interruption and it continues where it stopped. Refused while a hub serves DATA.
    Rescan {
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
        /// Thresholds to decide with.
        #[command(flatten)]
        ambang: AmbangArgs,
        /// Who runs it (audit log).
        #[arg(long, env = "USER", default_value = "admin")]
        oleh: String,
        /// Leave an unfinished rescan and start a new one from the beginning.
        #[arg(long)]
        baru: bool,
        /// Pause after each application, in milliseconds (to spare a busy machine).
        #[arg(long, default_value_t = 0)]
        jeda_ms: u64,
    },
    /// Why application ID got its decision: the decision, the candidates with fused and
    /// per-finger and per-eye scores, the thresholds, and what was unusable. Audited.
    Explain {
        /// Application (permohonan) id.
        id: String,
        /// Data folder of the hub.
        #[arg(long, env = "REKAM_HUB_DATA")]
        data: PathBuf,
        /// Thresholds to compare with.
        #[command(flatten)]
        ambang: AmbangArgs,
        /// Who looks (audit log).
        #[arg(long, env = "USER", default_value = "admin")]
        oleh: String,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn open_storage(data: &std::path::Path) -> anyhow::Result<SqliteStorage> {
    std::fs::create_dir_all(data)?;
    Ok(SqliteStorage::open(&data.join(DB_FILE))?)
}

/// Runs `rekam-hub serve` until Ctrl-C / SIGTERM.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let _kunci = lock_data(&args.data)?;
    let config = args.ambang.config()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let storage: Arc<dyn Storage> = Arc::new(open_storage(&args.data)?);
        let started = std::time::Instant::now();
        let docs = storage.doc_count()?;
        let diindeks = crate::index::isi_awal(storage.as_ref())?;
        if diindeks > 0 {
            tracing::info!(entries = diindeks, "district index filled from stored documents");
        }
        // The district dedup index, from every stored application, built while the hub
        // already serves (new applications wait for it); applications recorded but not yet
        // decided (the hub stopped in between) are decided then.
        let dedup = Arc::new(crate::dedup::Dedup::new(
            rekam_shared::bio::iris::IrisShape::OPEN_IRIS,
            config,
        ));
        // Then the durable dedup queue's worker (see `crate::dedup::queue`), woken by syncs.
        let pemicu = crate::dedup::queue::Pemicu::new();
        let siap = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (d2, s2, p2, siap2) = (dedup.clone(), storage.clone(), pemicu.clone(), siap.clone());
        tokio::task::spawn_blocking(move || {
            let t = std::time::Instant::now();
            match d2.rebuild(s2.as_ref()) {
                Ok(indexed) => {
                    siap2.store(true, std::sync::atomic::Ordering::Release);
                    tracing::info!(
                        indexed,
                        ms = t.elapsed().as_millis() as u64,
                        "dedup index built"
                    );
                    let paused = crate::dedup::queue::paused_by_env();
                    if let Err(e) = crate::dedup::queue::start(d2, s2, p2, paused) {
                        tracing::error!(error = %e, "dedup queue worker not started");
                    }
                }
                // Fail closed: nothing is decided against part of the district; the queue
                // keeps the work (visible in `rekam-hub dedup stats`) for the next start.
                Err(e) => {
                    tracing::error!(error = %e, "dedup index not built; dedup queue not drained");
                    crate::dedup::queue::log_backlog(s2.as_ref(), "at start");
                }
            }
        });
        let tls = crate::tls::server_config(&args.pki)?;
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, docs, ready_ms = started.elapsed().as_millis() as u64, "rekam-hub ready");
        println!("listening on {addr}");
        if let Some(web) = &args.web.web_listen {
            let cert = args.web.web_cert.clone().unwrap_or_else(|| args.pki.join(pki::DASHBOARD_CERT));
            let key = args.web.web_key.clone().unwrap_or_else(|| args.pki.join(pki::DASHBOARD_KEY));
            let tls = crate::web::tls_config(&cert, &key).map_err(|e| {
                anyhow::anyhow!(
                    "sertifikat dasbor {} tidak dapat dibaca ({e}): buat dengan `rekam-hub pki issue-dashboard --dir {}`",
                    cert.display(),
                    args.pki.display()
                )
            })?;
            let listener = tokio::net::TcpListener::bind(web).await?;
            println!("web listening on {}", listener.local_addr()?);
            let config = crate::web::WebConfig {
                sesi_maks: std::time::Duration::from_secs(args.web.web_sesi_maks),
                sesi_diam: std::time::Duration::from_secs(args.web.web_sesi_diam),
                kantor_diam_menit: args.web.kantor_diam_menit,
            };
            let state = crate::web::WebState::new(storage.clone(), dedup.clone(), siap, config);
            tokio::spawn(crate::web::serve(
                listener,
                tls,
                crate::web::router(state),
                std::future::pending(),
            ));
        }
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let router = crate::server::router(storage.clone(), pemicu);
        crate::tls::serve(
            listener,
            tls,
            args.pki.join(pki::REVOKED),
            storage,
            router,
            shutdown_signal(),
        )
        .await;
        tracing::info!("rekam-hub stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs `rekam-hub pki ...`.
pub fn pki(cmd: PkiCommand) -> anyhow::Result<()> {
    match cmd {
        PkiCommand::Init {
            dir,
            district,
            names,
        } => {
            Pki::init(&dir, &district, &names)?;
            println!("CA and hub certificate created in {}", dir.display());
        }
        PkiCommand::IssueAgent {
            dir,
            kecamatan,
            out,
        } => {
            let serial = Pki::open(&dir)?.issue_agent(&kecamatan, &out)?;
            println!(
                "office certificate for kecamatan {kecamatan} in {} (serial {serial})",
                out.display()
            );
        }
        PkiCommand::IssueHub { dir, out, names } => {
            let serial = Pki::open(&dir)?.issue_hub(&out, &names)?;
            println!("hub certificate in {} (serial {serial})", out.display());
        }
        PkiCommand::Revoke { dir, serial } => {
            Pki::open(&dir)?.revoke(&serial)?;
            println!("serial {serial} revoked");
        }
        PkiCommand::IssueDashboard { dir, hosts } => {
            let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
            for h in hosts {
                if !names.contains(&h) {
                    names.push(h);
                }
            }
            let serial = Pki::open(&dir)?.issue_dashboard(&dir, &names)?;
            println!(
                "dashboard certificate in {} (serial {serial})",
                dir.display()
            );
        }
    }
    Ok(())
}

/// A person's decision, as `rekam-hub decide` and the dashboard write it (then through
/// [`crate::sync::decide`]): now, no kind, the basis filled in by `decide`.
pub fn keputusan_orang(
    hasil: HasilDedup,
    oleh: String,
    catatan: String,
    duplikat_dari: Vec<String>,
) -> Keputusan {
    Keputusan {
        hasil,
        oleh,
        waktu: chrono::Utc::now(),
        catatan,
        duplikat_dari,
        jenis: None,
        dasar: None,
    }
}

/// Runs `rekam-hub decide`.
pub fn decide(args: DecideArgs) -> anyhow::Result<()> {
    let storage = open_storage(&args.data)?;
    let hasil = match args.hasil {
        Hasil::Unik => HasilDedup::Unik,
        Hasil::Duplikat => HasilDedup::Duplikat,
        Hasil::PerluAdjudikasi => HasilDedup::PerluAdjudikasi,
    };
    let k = keputusan_orang(hasil, args.oleh, args.catatan, args.duplikat_dari);
    crate::sync::decide(&storage, &args.permohonan, &k)?;
    println!("decision written to {}", args.permohonan);
    Ok(())
}

/// Runs `rekam-hub inspect`.
pub fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let storage = open_storage(&args.data)?;
    for id in storage.doc_ids(None)? {
        let Some(stored) = storage.load_doc(&id)? else {
            continue;
        };
        let mut doc = PermohonanDoc::load(&stored.bytes)?;
        let heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
        let bio = doc.biometrik()?;
        let blobs: Vec<serde_json::Value> = bio
            .blobs()
            .map(|b| {
                let st = storage.blob_status(&b.sha256).ok();
                serde_json::json!({
                    "sha256": b.sha256,
                    "size": b.size,
                    "complete": st.as_ref().is_some_and(|s| s.complete),
                })
            })
            .collect();
        let line = serde_json::json!({
            "id": id,
            "kecamatan": stored.kecamatan,
            "heads": heads,
            "peristiwa": doc.view()?.peristiwa.len(),
            "keputusan": doc.keputusan()?.map(|k| serde_json::to_value(k).unwrap_or_default()),
            "blobs": blobs,
        });
        println!("{line}");
    }
    Ok(())
}

/// Runs `rekam-hub dedup ...`.
pub fn dedup(cmd: DedupCommand) -> anyhow::Result<()> {
    match cmd {
        DedupCommand::Stats { data } => {
            let storage = open_storage(&data)?;
            println!("{}", dedup_stats(&storage)?);
        }
        DedupCommand::Rescan {
            data,
            ambang,
            oleh,
            baru,
            jeda_ms,
        } => {
            let config = ambang.config()?;
            let _kunci = lock_data(&data)?;
            let storage = open_storage(&data)?;
            let dedup =
                crate::dedup::Dedup::new(rekam_shared::bio::iris::IrisShape::OPEN_IRIS, config);
            let mut bilah = crate::dedup::rescan::Bilah::new(std::io::IsTerminal::is_terminal(
                &std::io::stderr(),
            ));
            let o = crate::dedup::rescan::RescanOptions {
                oleh,
                baru,
                jeda: std::time::Duration::from_millis(jeda_ms),
            };
            let r = crate::dedup::rescan::run(&dedup, &storage, &o, &mut |k| bilah.tampilkan(k))?;
            println!(
                "pindai ulang ke-{}{} selesai: {} permohonan, {} keputusan berubah; kali ini {} tetap, {} keputusan orang dibiarkan",
                r.generasi,
                if r.dilanjutkan { " (dilanjutkan)" } else { "" },
                r.total,
                r.berubah,
                r.tetap,
                r.keputusan_orang
            );
        }
        DedupCommand::Explain {
            id,
            data,
            ambang,
            oleh,
            json,
        } => {
            let config = ambang.config()?;
            let storage = open_storage(&data)?;
            let dedup =
                crate::dedup::Dedup::new(rekam_shared::bio::iris::IrisShape::OPEN_IRIS, config);
            let Some(p) = dedup.explain(&storage, &id, &oleh)? else {
                anyhow::bail!(
                    "permohonan {id} tidak ada di hub, atau belum direkam dan belum diputuskan"
                );
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                print!("{}", p.teks());
            }
        }
    }
    Ok(())
}

/// The numbers of `rekam-hub dedup stats` (see [`DedupCommand::Stats`]).
pub fn dedup_stats(storage: &dyn Storage) -> anyhow::Result<serde_json::Value> {
    use std::collections::BTreeMap;
    let (backlog, oldest) = storage.dedup_backlog()?;
    let mut hasil: BTreeMap<&str, u64> = BTreeMap::new();
    let mut jenis: BTreeMap<&str, u64> = BTreeMap::new();
    let mut oleh: BTreeMap<&str, u64> = BTreeMap::new();
    let mut decided = 0u64;
    for id in storage.doc_ids(None)? {
        let Some(stored) = storage.load_doc(&id)? else {
            continue;
        };
        let Some(k) = crate::sync::load_for_hub(&stored.bytes)?.keputusan()? else {
            continue;
        };
        decided += 1;
        *hasil.entry(k.hasil.as_str()).or_default() += 1;
        *jenis
            .entry(
                k.jenis
                    .map_or("-", rekam_shared::document::JenisTemuan::as_str),
            )
            .or_default() += 1;
        let who = if k.oleh == "sistem" {
            "sistem"
        } else {
            "orang"
        };
        *oleh.entry(who).or_default() += 1;
    }
    Ok(serde_json::json!({
        "backlog": backlog,
        "oldest": oldest,
        "decided": decided,
        "hasil": hasil,
        "jenis": jenis,
        "oleh": oleh,
    }))
}
