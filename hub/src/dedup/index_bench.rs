//! The "hub start to a complete dedup index" benchmark behind `rekam-hub bio index-load`: fills
//! a real hub storage (SQLite file) with decided applications of synthetic residents (both
//! irises and up to 10 synthetic fingers each, as ISO records in the documents), then times
//! what a hub start does before dedup can decide: [`Dedup::rebuild`] over every stored
//! application (load, replay, parse, prepare templates, index).

use std::path::Path;
use std::time::Instant;

use rekam_shared::bio::iris::IrisShape;
use rekam_shared::bio::iso::FingerPosition;
use rekam_shared::bio::synth::IrisSynth;
use rekam_shared::bio::synth_finger::FingerSynth;
use rekam_shared::document::{Biometrik, HasilDedup, Keputusan, PermohonanDoc};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::JenisKelamin;
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::Peristiwa;
use rekam_shared::workflow::contoh::kunjungan_lancar;

use super::{Dedup, SISTEM};
use crate::storage::Storage;
use crate::storage::sqlite::SqliteStorage;

/// Applications stored per transaction while filling.
const FILL_BATCH: u64 = 500;

/// What `index-load` measured.
#[derive(Debug, Clone)]
pub struct IndexLoad {
    /// Applications stored (and indexed).
    pub applications: usize,
    /// Seconds spent filling the storage by this run (0 if it was full already).
    pub fill_seconds: f64,
    /// Seconds of the rebuild.
    pub rebuild_seconds: f64,
    /// Resident memory the index added, bytes per application (`None` without /proc).
    pub bytes_per_application: Option<f64>,
}

impl IndexLoad {
    /// The lines the command prints.
    pub fn report(&self) -> String {
        format!(
            "storage          {} applications (filled in {:.1} s by this run)\n\
             index rebuild    {:.2} s, {:.0} applications/s, {}\n",
            self.applications,
            self.fill_seconds,
            self.rebuild_seconds,
            self.applications as f64 / self.rebuild_seconds.max(1e-9),
            self.bytes_per_application
                .map_or("memory not measured".into(), |b| format!(
                    "{:.1} KiB per application in memory",
                    b / 1024.0
                )),
        )
    }
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The events of a visit up to a successful recording.
fn perjalanan(id: &str) -> Vec<Peristiwa> {
    let t0 = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let mut e = kunjungan_lancar(t0, "reg", "rek", 1, &format!("B-{id}"));
    e.truncate(6);
    e
}

/// The saved document of synthetic application `n`, decided `unik` by the engine.
fn application(
    n: u64,
    fingers: usize,
    irises: &IrisSynth,
    synth: &FingerSynth,
) -> anyhow::Result<(String, Vec<u8>)> {
    let id = format!("130101-bench-{n:07}");
    let kode = KodeKecamatan::new(13, 1, 1).map_err(|e| anyhow::anyhow!("kecamatan: {e:?}"))?;
    let lahir = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + chrono::TimeDelta::days((n / 9_000) as i64);
    let nik = Nik::from_parts(kode, lahir, JenisKelamin::Perempuan, (n % 9_000) as u16 + 1)?;
    let mut sidik_jari = std::collections::BTreeMap::new();
    for f in FingerPosition::TEN.into_iter().take(fingers) {
        if let Some(name) = f.name() {
            sidik_jari.insert(name.to_owned(), synth.record(n, f, 0).to_iso_bytes()?);
        }
    }
    let bio = Biometrik {
        sidik_jari,
        iris: irises.capture_dokumen(n, 0),
        ..Biometrik::default()
    };
    let mut d = PermohonanDoc::new(&id, "130101")?;
    d.set_penduduk(&serde_json::json!({
        "nik": nik.to_string(), "nama": format!("Warga {n}"), "kecamatan": "130101"
    }))?;
    d.append_peristiwa(&perjalanan(&id))?;
    d.set_biometrik(&bio)?;
    d.set_keputusan(&Keputusan {
        hasil: HasilDedup::Unik,
        oleh: SISTEM.into(),
        waktu: chrono::Utc::now(),
        catatan: "bench".into(),
        duplikat_dari: Vec::new(),
        jenis: None,
        dasar: crate::sync::dasar_of(&d),
    })?;
    Ok((id, d.save()))
}

/// Fills `data` (a hub data folder) up to `applications` applications with `fingers` fingers
/// each, then rebuilds the dedup index from it as a hub start does.
pub fn index_load(data: &Path, applications: u64, fingers: usize) -> anyhow::Result<IndexLoad> {
    std::fs::create_dir_all(data)?;
    let storage = SqliteStorage::open(&data.join(crate::cli::DB_FILE))?;
    let have = storage.doc_count()?;
    let started = Instant::now();
    let (irises, synth) = (IrisSynth::new(IrisShape::OPEN_IRIS), FingerSynth::new());
    let mut n = have;
    while n < applications {
        let end = (n + FILL_BATCH).min(applications);
        let docs = (n..end)
            .map(|i| application(i, fingers, &irises, &synth))
            .collect::<anyhow::Result<Vec<_>>>()?;
        storage.transaction(&mut |tx| {
            for (id, bytes) in &docs {
                tx.save_doc(id, "130101", bytes, false)?;
            }
            Ok(())
        })?;
        n = end;
    }
    let fill_seconds = if have < applications {
        started.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let config = rekam_shared::bio::gallery::GalleryConfig {
        search_threads: 0,
        ..Default::default()
    };
    let dedup = Dedup::new(IrisShape::OPEN_IRIS, config);
    let before = resident_bytes();
    let t = Instant::now();
    let indexed = dedup.rebuild(&storage)?;
    let rebuild_seconds = t.elapsed().as_secs_f64();
    let bytes_per_application = match (before, resident_bytes()) {
        (Some(a), Some(b)) if indexed > 0 => Some(b.saturating_sub(a) as f64 / indexed as f64),
        _ => None,
    };
    Ok(IndexLoad {
        applications: indexed,
        fill_seconds,
        rebuild_seconds,
        bytes_per_application,
    })
}
