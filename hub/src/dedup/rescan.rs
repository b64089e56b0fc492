//! `rekam-hub dedup rescan`: re-decides every application the engine decided (e.g. after the
//! thresholds changed), never a decision a person made.
//!
//! A rescan is a *generation* stored in the hub's storage ([`crate::storage::Rescan`]): it goes
//! through the applications in id order and persists its cursor, so that a rescan killed at
//! any moment continues where it stopped when run again. Each application is re-decided
//! exactly once per generation: the cursor is moved right after every decision that changed
//! (and was written), and an application whose engine decision is dated at or after the
//! generation's start is already done (this covers a kill between the write and the cursor).
//! A decision that comes out the same is not written again (offices receive only real
//! changes).
//!
//! Left alone: decisions by a person, and the engine's *data berubah* cases (they stand for a
//! person's decision whose data changed, and wait for a person). The index is first rebuilt
//! exactly as at hub start ([`Dedup::rebuild`]), which also decides what was still pending.
//! The caller must make sure no hub serves the same storage meanwhile (`rekam-hub` holds a lock
//! on its data folder). Start, resume and end are audited; each changed decision is audited by
//! [`crate::sync::decide`].

use std::time::{Duration, Instant};

use rekam_shared::bio::gallery::GalleryConfig;
use rekam_shared::document::{JenisTemuan, Keputusan};

use super::{Dedup, DedupError, SISTEM, Subject};
use crate::storage::{AuditEntry, Rescan, RescanStatus, Storage, StorageError};

/// Applications gone through between two cursor writes when nothing changed.
const KURSOR_SETIAP: u64 = 64;

/// What a rescan did to one application.
#[derive(Debug, Clone, PartialEq)]
pub enum Direscan {
    /// Decided again, with another outcome (written).
    Berubah(Keputusan),
    /// Decided again, same outcome (nothing written).
    Tetap,
    /// A person decided it: left alone.
    KeputusanOrang,
    /// An engine *data berubah* case, waiting for a person: left alone.
    MenungguOrang,
    /// Already re-decided in this generation (before an interruption).
    SudahDiputuskan,
    /// Not an engine decision to redo (not recorded, or not decided).
    BukanSubjek,
}

/// Why a rescan stopped.
#[derive(Debug, thiserror::Error)]
pub enum RescanError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The engine failed.
    #[error(transparent)]
    Dedup(#[from] DedupError),
    /// An unfinished rescan used other thresholds.
    #[error(
        "pindai ulang ke-{generasi} belum selesai dan memakai ambang lain ({lama}); jalankan dengan ambang yang sama untuk melanjutkannya, atau dengan --baru untuk meninggalkannya dan mulai dari awal"
    )]
    AmbangBerbeda {
        /// The unfinished generation.
        generasi: u64,
        /// Its thresholds.
        lama: String,
    },
}

/// How a rescan is run.
#[derive(Debug, Clone)]
pub struct RescanOptions {
    /// Who runs it (audit).
    pub oleh: String,
    /// Leave an unfinished rescan and start a new one.
    pub baru: bool,
    /// Pause after each application (to spare a busy machine).
    pub jeda: Duration,
}

/// Where a rescan stands, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kemajuan {
    /// Applications gone through (including before an interruption).
    pub diproses: u64,
    /// All stored applications.
    pub total: u64,
    /// Gone through by this run (for the rate).
    pub diproses_kali_ini: u64,
}

/// What a finished rescan did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RescanReport {
    /// Its generation.
    pub generasi: u64,
    /// Whether it continued an interrupted one.
    pub dilanjutkan: bool,
    /// Stored applications.
    pub total: u64,
    /// Decisions that changed (over the whole generation).
    pub berubah: u64,
    /// By this run: decided again, same outcome.
    pub tetap: u64,
    /// By this run: left alone because a person decided (or must decide).
    pub keputusan_orang: u64,
}

/// The thresholds of `c` as operators see them (stored with each generation).
pub fn ambang_text(c: &GalleryConfig) -> String {
    format!(
        "cocok {}, mungkin cocok {}, prafilter iris {}, rotasi iris {}",
        c.fusion.match_threshold,
        c.fusion.possible_threshold,
        c.iris_prefilter_hd,
        c.iris_rotations
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn audit(
    storage: &dyn Storage,
    oleh: &str,
    action: &str,
    detail: String,
) -> Result<(), StorageError> {
    storage.transaction(&mut |tx| {
        tx.audit(&AuditEntry {
            at: now(),
            actor: oleh.to_owned(),
            action: action.into(),
            permohonan_id: None,
            detail: detail.clone(),
        })
    })
}

/// Runs (or continues) a rescan with `dedup`'s thresholds; `kemajuan` is called after every
/// application.
pub fn run(
    dedup: &Dedup,
    storage: &dyn Storage,
    o: &RescanOptions,
    kemajuan: &mut dyn FnMut(Kemajuan),
) -> Result<RescanReport, RescanError> {
    let ambang = ambang_text(&dedup.config());
    let (rescan, dilanjutkan) = match storage.dedup_rescan_latest()? {
        Some(r) if r.status == RescanStatus::Berjalan && o.baru => {
            storage.dedup_rescan_end(r.generasi, &now(), RescanStatus::Ditinggalkan)?;
            audit(
                storage,
                &o.oleh,
                "dedup.rescan.ditinggalkan",
                format!("generasi {}, {} diproses", r.generasi, r.diproses),
            )?;
            (start(storage, o, &ambang)?, false)
        }
        Some(r) if r.status == RescanStatus::Berjalan => {
            if r.ambang != ambang {
                return Err(RescanError::AmbangBerbeda {
                    generasi: r.generasi,
                    lama: r.ambang,
                });
            }
            audit(
                storage,
                &o.oleh,
                "dedup.rescan.lanjut",
                format!(
                    "generasi {}, dari {} diproses; ambang: {ambang}",
                    r.generasi, r.diproses
                ),
            )?;
            (r, true)
        }
        _ => (start(storage, o, &ambang)?, false),
    };
    let mulai = chrono::DateTime::parse_from_rfc3339(&rescan.mulai)
        .map_err(|e| StorageError::Corrupt(format!("dedup_rescan mulai: {e}")))?
        .with_timezone(&chrono::Utc);
    tracing::info!(
        generasi = rescan.generasi,
        dilanjutkan,
        diproses = rescan.diproses,
        "dedup rescan: building the index"
    );
    dedup.rebuild(storage)?;

    let ids = storage.doc_ids(None)?;
    let total = ids.len() as u64;
    let from = match &rescan.kursor {
        Some(k) => ids.partition_point(|id| id <= k),
        None => 0,
    };
    let mut report = RescanReport {
        generasi: rescan.generasi,
        dilanjutkan,
        total,
        berubah: rescan.berubah,
        ..RescanReport::default()
    };
    // The cursor and the count are written together; counted from the ids, in case.
    let mut diproses = from as u64;
    let mut belum_dicatat = 0;
    for (i, id) in ids[from..].iter().enumerate() {
        let kali_ini = i as u64 + 1;
        let hasil = dedup.rescan_one(storage, id, mulai, rescan.generasi)?;
        diproses += 1;
        belum_dicatat += 1;
        match hasil {
            Direscan::Berubah(_) => report.berubah += 1,
            Direscan::Tetap => report.tetap += 1,
            Direscan::KeputusanOrang | Direscan::MenungguOrang => report.keputusan_orang += 1,
            Direscan::SudahDiputuskan | Direscan::BukanSubjek => {}
        }
        if matches!(hasil, Direscan::Berubah(_)) || belum_dicatat >= KURSOR_SETIAP {
            storage.dedup_rescan_advance(rescan.generasi, id, diproses, report.berubah)?;
            belum_dicatat = 0;
        }
        kemajuan(Kemajuan {
            diproses,
            total,
            diproses_kali_ini: kali_ini,
        });
        if !o.jeda.is_zero() {
            std::thread::sleep(o.jeda);
        }
    }
    if let Some(last) = ids.last() {
        storage.dedup_rescan_advance(rescan.generasi, last, diproses, report.berubah)?;
    }
    storage.dedup_rescan_end(rescan.generasi, &now(), RescanStatus::Selesai)?;
    audit(
        storage,
        &o.oleh,
        "dedup.rescan.selesai",
        format!(
            "generasi {}: {total} permohonan, {} keputusan berubah; kali ini {} tetap, {} keputusan orang dibiarkan",
            rescan.generasi, report.berubah, report.tetap, report.keputusan_orang
        ),
    )?;
    tracing::info!(
        generasi = rescan.generasi,
        total,
        berubah = report.berubah,
        "dedup rescan finished"
    );
    Ok(report)
}

fn start(storage: &dyn Storage, o: &RescanOptions, ambang: &str) -> Result<Rescan, StorageError> {
    let r = storage.dedup_rescan_start(&now(), ambang)?;
    audit(
        storage,
        &o.oleh,
        "dedup.rescan.mulai",
        format!("generasi {}; ambang: {ambang}", r.generasi),
    )?;
    Ok(r)
}

impl Dedup {
    /// Re-decides application `id` for rescan `generasi` started at `mulai` (see the module
    /// documentation); the index must be complete ([`Dedup::rebuild`]).
    pub fn rescan_one(
        &self,
        storage: &dyn Storage,
        id: &str,
        mulai: chrono::DateTime<chrono::Utc>,
        generasi: u64,
    ) -> Result<Direscan, DedupError> {
        let Some(subject) = self.subject(storage, id, None)? else {
            return Ok(Direscan::BukanSubjek);
        };
        let Some(lama) = subject.keputusan.clone() else {
            return Ok(Direscan::BukanSubjek);
        };
        if lama.oleh != SISTEM {
            return Ok(Direscan::KeputusanOrang);
        }
        if lama.jenis == Some(JenisTemuan::DataBerubah) {
            return Ok(Direscan::MenungguOrang);
        }
        if lama.waktu >= mulai {
            return Ok(Direscan::SudahDiputuskan);
        }
        let mut index = self.lock();
        index.remove(id);
        let mut baru = index.decide(&subject);
        let sorted = |k: &Keputusan| {
            let mut d = k.duplikat_dari.clone();
            d.sort();
            d
        };
        if baru.hasil == lama.hasil && baru.jenis == lama.jenis && sorted(&baru) == sorted(&lama) {
            index.add(subject);
            return Ok(Direscan::Tetap);
        }
        baru.catatan
            .push_str(&format!(" (pindai ulang ke-{generasi})"));
        let written = crate::sync::decide(storage, id, &baru);
        let keputusan = if written.is_ok() { baru } else { lama.clone() };
        index.add(Subject {
            keputusan: Some(keputusan.clone()),
            ..subject
        });
        written?;
        tracing::info!(
            permohonan = %id,
            dari = lama.hasil.as_str(),
            menjadi = keputusan.hasil.as_str(),
            jenis = keputusan.jenis.map_or("-", JenisTemuan::as_str),
            "dedup rescan: decision changed"
        );
        Ok(Direscan::Berubah(keputusan))
    }
}

/// A progress line on stderr: `\r`-refreshed when stderr is a terminal, a line every
/// [`Bilah::SELANG_BARIS`] otherwise.
#[derive(Debug)]
pub struct Bilah {
    tty: bool,
    mulai: Instant,
    terakhir: Option<Instant>,
}

impl Bilah {
    /// Lines are this far apart when stderr is not a terminal.
    pub const SELANG_BARIS: Duration = Duration::from_secs(2);
    const SELANG_TTY: Duration = Duration::from_millis(100);

    /// A bar starting now; `tty`: whether stderr is a terminal.
    pub fn new(tty: bool) -> Self {
        Bilah {
            tty,
            mulai: Instant::now(),
            terakhir: None,
        }
    }

    /// Shows `k` if it is time to (always at the end).
    pub fn tampilkan(&mut self, k: Kemajuan) {
        let now = Instant::now();
        let selesai = k.diproses >= k.total;
        let selang = if self.tty {
            Self::SELANG_TTY
        } else {
            Self::SELANG_BARIS
        };
        if !selesai && self.terakhir.is_some_and(|t| now - t < selang) {
            return;
        }
        self.terakhir = Some(now);
        let line = baris(k, now - self.mulai);
        if self.tty {
            eprint!("\r{line}\x1b[K");
            if selesai {
                eprintln!();
            }
        } else {
            eprintln!("{line}");
        }
    }
}

/// One progress line: bar, share, counts, rate and time left.
pub fn baris(k: Kemajuan, elapsed: Duration) -> String {
    const LEBAR: u64 = 30;
    let persen = (k.diproses * 100).checked_div(k.total).unwrap_or(100);
    let isi = (k.diproses * LEBAR).checked_div(k.total).unwrap_or(LEBAR);
    let rate = k.diproses_kali_ini as f64 / elapsed.as_secs_f64().max(1e-3);
    let sisa = if rate > 0.0 {
        let s = (k.total.saturating_sub(k.diproses) as f64 / rate).round() as u64;
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        "?".into()
    };
    format!(
        "pindai ulang [{}{}] {persen:>3} % {}/{} permohonan, {rate:.1} per detik, sisa {sisa}",
        "#".repeat(isi as usize),
        ".".repeat((LEBAR - isi.min(LEBAR)) as usize),
        k.diproses,
        k.total
    )
}
