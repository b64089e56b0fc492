//! The hub's district index (see `docs/district-index.md`): one entry per recorded
//! application, with what the offices' step-2 check needs, versioned by a sequence number so an
//! office downloads only what changed since its version.
//!
//! [`perbarui`] is called inside the very transaction that stores a document change (an office's
//! sync, or the hub's own decision), so the index never disagrees with the documents: an
//! application whose events replay to `Terekam`/`Diserahkan` and that carries at least one iris
//! is indexed; one that stops qualifying gets a tombstone. An unchanged entry keeps its number,
//! so re-syncing a document does not make every office download it again.
//! [`bagian`] answers one office's request with a bounded chunk.

use rekam_shared::bio::iris::{IrisShape, IrisTemplate};
use rekam_shared::document::PermohonanDoc;
use rekam_shared::index::{BagianIndeks, IsiIndeks, MAX_ENTRI_PER_BAGIAN, PermintaanIndeks};
use rekam_shared::workflow::{Aksi, Peristiwa, Status};

use crate::storage::{Storage, StorageError, Tx};

/// The iris code shape the offices capture (as dedup reads them).
pub const IRIS_SHAPE: IrisShape = IrisShape::OPEN_IRIS;

/// Entries per response section (see [`MAX_ENTRI_PER_BAGIAN`] for the wire bound): about
/// 200 KiB, so one response stays well inside the agent's timeout on a 256 kbit/s link.
pub const ENTRI_PER_BAGIAN: usize = 128;

const _: () = assert!(ENTRI_PER_BAGIAN <= MAX_ENTRI_PER_BAGIAN);

/// Entries per section actually used: [`ENTRI_PER_BAGIAN`], or `REKAM_HUB_INDEX_CHUNK` from
/// the environment (clamped to `1..=MAX_ENTRI_PER_BAGIAN`; tests use small chunks to cross
/// many requests).
pub fn entri_per_bagian() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("REKAM_HUB_INDEX_CHUNK")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(ENTRI_PER_BAGIAN, |n| n.clamp(1, MAX_ENTRI_PER_BAGIAN))
    })
}

/// The index content of a document of `kecamatan`: `None` if it is not (or no longer) a
/// recorded application with an iris.
pub fn isi_of(kecamatan: &str, doc: &PermohonanDoc) -> Option<IsiIndeks> {
    let keadaan = doc.keadaan().ok()?;
    if !matches!(
        keadaan.status,
        Status::Terekam { .. } | Status::Diserahkan { .. }
    ) {
        return None;
    }
    let nik = crate::sync::nik_of(doc)?;
    let tanggal_rekam = doc
        .peristiwa_as::<Peristiwa>()
        .ok()?
        .iter()
        .rev()
        .find(|p| matches!(p.aksi, Aksi::PerekamanBerhasil { .. }))
        .map(|p| p.waktu.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))?;
    let bio = doc.biometrik().ok()?;
    // The eyes as the documents name them (see `dedup::person_of`).
    let iris = |eye: &str| {
        bio.iris
            .get(eye)
            .and_then(|t| IrisTemplate::from_text(IRIS_SHAPE, t).ok())
    };
    let (kanan, kiri) = (iris("kanan"), iris("kiri"));
    if kanan.is_none() && kiri.is_none() {
        return None;
    }
    let keputusan = doc
        .keputusan()
        .ok()
        .flatten()
        .map(|k| k.hasil.as_str().to_owned());
    Some(IsiIndeks {
        kecamatan: kecamatan.to_owned(),
        tanggal_rekam,
        nik,
        keputusan,
        kunci: rekam_shared::index::kunci_dari(kanan.as_ref(), kiri.as_ref()),
    })
}

/// Brings the index entry of application `id` in line with its just-stored document (call in
/// the transaction that stored it). Returns the new sequence number if the entry changed.
pub fn perbarui(
    tx: &dyn Tx,
    id: &str,
    kecamatan: &str,
    doc: &PermohonanDoc,
) -> Result<Option<u64>, StorageError> {
    let isi = isi_of(kecamatan, doc);
    let current = tx.index_entry(id)?;
    let unchanged = match (&current, &isi) {
        // Never indexed and still not: nothing to tell anyone.
        (None, None) => true,
        (Some(c), new) => c.isi == *new,
        (None, Some(_)) => false,
    };
    if unchanged {
        return Ok(None);
    }
    tx.index_put(id, isi.as_ref()).map(Some)
}

/// The answer to one office's index request: at most [`entri_per_bagian`] entries past
/// its version. Every office gets the whole district (see the module documentation).
pub fn bagian(tx: &dyn Tx, req: Option<PermintaanIndeks>) -> Result<BagianIndeks, StorageError> {
    let head = tx.index_head()?;
    let Some(req) = req else {
        // The office did not ask: only say that this hub has an index, and how far it goes.
        return Ok(BagianIndeks {
            head,
            versi: 0,
            more: false,
            entri: Vec::new(),
        });
    };
    let entri = tx.index_since(req.versi, entri_per_bagian())?;
    let versi = entri.last().map_or(req.versi.min(head), |e| e.seq);
    Ok(BagianIndeks {
        head,
        versi,
        more: versi < head,
        entri,
    })
}

/// Fills the index from the stored documents when it is empty but documents exist (a hub
/// upgraded from a version without the index). Returns how many entries were written.
pub fn isi_awal(storage: &dyn Storage) -> Result<usize, StorageError> {
    let mut empty = false;
    storage.transaction(&mut |tx| {
        empty = tx.index_head()? == 0;
        Ok(())
    })?;
    if !empty {
        return Ok(0);
    }
    let mut n = 0;
    for id in storage.doc_ids(None)? {
        storage.transaction(&mut |tx| {
            let Some(stored) = tx.load_doc(&id)? else {
                return Ok(());
            };
            let Ok(doc) = crate::sync::load_for_hub(&stored.bytes) else {
                return Ok(());
            };
            if perbarui(tx, &id, &stored.kecamatan, &doc)?.is_some() {
                n += 1;
            }
            Ok(())
        })?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
