//! Statistik: the district's statistics read model (see `docs/dashboard-data.md`).
//!
//! Every application document the hub stores is summarised into plain rows
//! ([`baris::turunkan`], a pure function) in the SAME transaction that stores the document
//! ([`perbarui`], called next to [`crate::index::perbarui`] by every save path). The dashboard's
//! questions ([`kueri`]) read only these rows, never the automerge documents.
//! [`reindex`] (`rekam-hub reindex`) rebuilds the rows from the stored documents.
//! Targets of wajib KTP-el per kecamatan and year, and coverage against them: [`target`].

pub mod baris;
pub mod bench;
pub mod cli;
pub mod kueri;
pub mod target;

use rekam_shared::document::PermohonanDoc;

use crate::storage::{Storage, StorageError, Tx};
use baris::{BarisLangkah, BarisPermohonan, BarisStatistik};
use kueri::{
    HitunganDedup, HitunganHarian, HitunganKembali, HitunganPermohonan, HitunganRekam,
    HitunganWaktu, Rentang,
};
use target::Target;

/// Brings the read model of application `id` in line with its just-stored document (call in
/// the transaction that stored it).
pub fn perbarui(
    tx: &dyn Tx,
    id: &str,
    kecamatan: &str,
    doc: &PermohonanDoc,
) -> Result<(), StorageError> {
    tx.statistik_tulis(&baris::turunkan(id, kecamatan, doc))
}

/// The read model's tables, in full, in key order (for `reindex` checks and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsiStatistik {
    /// `stat_permohonan`, by id.
    pub permohonan: Vec<BarisPermohonan>,
    /// `stat_langkah`, by id and run.
    pub langkah: Vec<BarisLangkah>,
    /// The per-day summaries the range queries read, one line per row, sorted.
    pub ringkasan: Vec<String>,
}

/// The statistics side of the storage: grouped reads of the read model and the targets.
/// Every method is one indexed, grouped query; the typed answers are assembled in [`kueri`].
pub trait StatistikStorage {
    /// Both tables and the per-day summaries in full.
    fn statistik_isi(&self) -> Result<IsiStatistik, StorageError>;
    /// Rebuilds the per-day summaries from the application rows in one transaction (they are
    /// kept incrementally by every write; this is the reference they must equal).
    fn statistik_ringkasan_ulang(&self) -> Result<(), StorageError>;
    /// Applications opened in `r`, per kecamatan.
    fn statistik_permohonan(&self, r: &Rentang) -> Result<Vec<HitunganPermohonan>, StorageError>;
    /// Returned applications opened in `r`, per kecamatan and reason.
    fn statistik_kembali(&self, r: &Rentang) -> Result<Vec<HitunganKembali>, StorageError>;
    /// Recordings made in `r`, per kecamatan and dedup outcome.
    fn statistik_rekam(&self, r: &Rentang) -> Result<Vec<HitunganRekam>, StorageError>;
    /// Applications opened and recordings made per local day in `r`, per kecamatan.
    fn statistik_harian(&self, r: &Rentang) -> Result<Vec<HitunganHarian>, StorageError>;
    /// Ended step runs started in `r`, per step, kecamatan, operator, duration bucket
    /// ([`kueri::EMBER_DETIK`]), lateness and late reason.
    fn statistik_waktu(&self, r: &Rentang) -> Result<Vec<HitunganWaktu>, StorageError>;
    /// Recordings made in `r`, per kecamatan and dedup outcome, with capture quality and
    /// exceptions.
    fn statistik_dedup(&self, r: &Rentang) -> Result<Vec<HitunganDedup>, StorageError>;
    /// Per kecamatan: stored documents, and applications waiting for dedup with the oldest
    /// waiting time.
    fn statistik_kantor(&self) -> Result<Vec<kueri::AntrianKantor>, StorageError>;
    /// Replaces, in one transaction, the targets of every (year, kecamatan, nagari) in `rows`.
    fn target_simpan(&self, rows: &[Target]) -> Result<(), StorageError>;
    /// Every stored target, by year, kecamatan, nagari.
    fn target_semua(&self) -> Result<Vec<Target>, StorageError>;
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LaporanReindex {
    /// Documents read.
    pub dokumen: u64,
    /// Of which unreadable (kept with status `tidak_terbaca`).
    pub tidak_terbaca: u64,
    /// Step runs written.
    pub langkah: u64,
}

/// Rebuilds the whole read model from the stored documents, in one transaction (all or
/// nothing): empties both tables, then derives every document again.
pub fn reindex(storage: &dyn Storage) -> Result<LaporanReindex, StorageError> {
    let ids = storage.doc_ids(None)?;
    let mut laporan = LaporanReindex {
        dokumen: 0,
        tidak_terbaca: 0,
        langkah: 0,
    };
    storage.transaction(&mut |tx| {
        laporan = LaporanReindex {
            dokumen: 0,
            tidak_terbaca: 0,
            langkah: 0,
        };
        tx.statistik_kosongkan()?;
        for id in &ids {
            let Some(stored) = tx.load_doc(id)? else {
                continue;
            };
            laporan.dokumen += 1;
            let b = match crate::sync::load_for_hub(&stored.bytes) {
                Ok(doc) => baris::turunkan(id, &stored.kecamatan, &doc),
                Err(_) => tidak_terbaca(id, &stored.kecamatan),
            };
            if b.permohonan.status == baris::STATUS_TIDAK_TERBACA {
                laporan.tidak_terbaca += 1;
            }
            laporan.langkah += b.langkah.len() as u64;
            tx.statistik_tulis(&b)?;
        }
        Ok(())
    })?;
    Ok(laporan)
}

/// The row of a document that does not even load.
fn tidak_terbaca(id: &str, kecamatan: &str) -> BarisStatistik {
    let kosong = PermohonanDoc::from_automerge(automerge::AutoCommit::new());
    let mut b = baris::turunkan(id, kecamatan, &kosong);
    b.permohonan.status = baris::STATUS_TIDAK_TERBACA.to_owned();
    b
}

#[cfg(test)]
mod tests;
