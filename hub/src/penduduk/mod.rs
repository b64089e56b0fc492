//! The population register (Database Kependudukan) at the hub (see
//! `docs/population-register.md`): imported from a SIAK extract, versioned per resident, and
//! handed to the offices through sync in bounded chunks.
//!
//! - [`berkas`]: the extract file (CSV, SIAK column names), every row checked with the domain
//!   rules, every problem reported with its line.
//! - [`terapkan`]: applies a checked extract as a versioned delta in ONE storage transaction:
//!   a new resident, a correction, a death or a move out gets the register's next sequence
//!   number; an unchanged resident keeps its number (a re-import of the same file costs the
//!   offices nothing).
//! - [`bagian`]: the answer to one office's register request in the sync response (the
//!   [`rekam_shared::wire::EXT_POPULATION_REGISTER`] section): at most [`entri_per_bagian`]
//!   residents past the office's version. Every office receives the whole district (residents
//!   may record at any kecamatan office of the district; the figures behind this choice are
//!   in the docs).
//! - [`cli`]: `rekam-hub penduduk import FILE`.

pub mod bench;
pub mod berkas;
pub mod cli;

use rekam_shared::register::{
    BagianRegister, MAX_ENTRI_PER_BAGIAN, PendudukTerdaftar, PermintaanRegister, StatusPenduduk,
};
use serde::Serialize;

use crate::storage::{AuditEntry, Storage, StorageError, Tx};

/// Residents per response section (see [`MAX_ENTRI_PER_BAGIAN`] for the wire bound): about
/// 150 KB raw, 6 s on a 256 kbit/s link (figures in the docs), well inside the agent's timeout.
pub const ENTRI_PER_BAGIAN: usize = 1_000;

const _: () = assert!(ENTRI_PER_BAGIAN <= MAX_ENTRI_PER_BAGIAN);

/// Residents per section actually used: [`ENTRI_PER_BAGIAN`], or `REKAM_HUB_REGISTER_CHUNK`
/// from the environment (clamped to `1..=MAX_ENTRI_PER_BAGIAN`; tests use small chunks to
/// cross many requests).
pub fn entri_per_bagian() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("REKAM_HUB_REGISTER_CHUNK")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(ENTRI_PER_BAGIAN, |n| n.clamp(1, MAX_ENTRI_PER_BAGIAN))
    })
}

/// The answer to one office's register request: at most [`entri_per_bagian`] residents past
/// its version. Without a request (an office that has not asked yet, or an older one), only
/// the head: it tells the office this hub has a register.
pub fn bagian(
    tx: &dyn Tx,
    req: Option<PermintaanRegister>,
) -> Result<BagianRegister, StorageError> {
    let head = tx.register_head()?;
    let Some(req) = req else {
        return Ok(BagianRegister {
            head,
            ..Default::default()
        });
    };
    let entri = tx.register_since(req.versi, entri_per_bagian())?;
    let versi = entri.last().map_or(req.versi.min(head), |e| e.seq);
    Ok(BagianRegister {
        head,
        versi,
        more: versi < head,
        entri,
    })
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RingkasanImpor {
    /// The import's number (`register_impor.id`).
    pub impor: u64,
    /// Residents in the file.
    pub baris: usize,
    /// New residents.
    pub baru: usize,
    /// Corrections (data changed, or a status back to aktif).
    pub diubah: usize,
    /// Residents now recorded as deceased.
    pub meninggal: usize,
    /// Residents now recorded as moved out.
    pub pindah: usize,
    /// Unchanged residents (they keep their version).
    pub sama: usize,
    /// The register's version after the import.
    pub head: u64,
}

/// Residents between two progress calls of [`terapkan`].
pub const LANGKAH_KEMAJUAN: usize = 10_000;

/// Applies a checked extract as a versioned delta, in ONE storage transaction (a failure
/// leaves the register as it was): every resident whose data differ from the stored ones
/// (or who is new) is written under the next sequence number; the others are not touched.
/// Residents absent from the file stay as they are (a death or a move out comes as a row with
/// that status). The import is recorded (`register_impor`) and audited (`penduduk.impor`,
/// counts and file name, no NIK). `kemajuan(done, total)` is called every
/// [`LANGKAH_KEMAJUAN`] residents.
pub fn terapkan(
    storage: &dyn Storage,
    penduduk: &[PendudukTerdaftar],
    oleh: &str,
    berkas: &str,
    kemajuan: &mut dyn FnMut(usize, usize),
) -> Result<RingkasanImpor, StorageError> {
    let mut hasil = RingkasanImpor::default();
    storage.transaction(&mut |tx| {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut r = RingkasanImpor {
            impor: tx.register_impor_mulai(&at, oleh, berkas)?,
            baris: penduduk.len(),
            ..Default::default()
        };
        for (i, p) in penduduk.iter().enumerate() {
            if i > 0 && i.is_multiple_of(LANGKAH_KEMAJUAN) {
                kemajuan(i, penduduk.len());
            }
            let nik = p.penduduk.nik.to_string();
            let lama = tx.register_get(&nik)?;
            match &lama {
                None => r.baru += 1,
                Some(l) if l.data == *p => {
                    r.sama += 1;
                    continue;
                }
                Some(l) if l.data.status != p.status => match p.status {
                    StatusPenduduk::Meninggal => r.meninggal += 1,
                    StatusPenduduk::Pindah => r.pindah += 1,
                    StatusPenduduk::Aktif => r.diubah += 1,
                },
                Some(_) => r.diubah += 1,
            }
            tx.register_put(p, r.impor)?;
        }
        kemajuan(penduduk.len(), penduduk.len());
        r.head = tx.register_head()?;
        tx.register_impor_selesai(r.impor, &r)?;
        tx.audit(&AuditEntry {
            at,
            actor: oleh.to_owned(),
            action: "penduduk.impor".into(),
            permohonan_id: None,
            detail: format!(
                "{berkas}: {} baris, {} baru, {} diubah, {} meninggal, {} pindah, {} sama; versi {}",
                r.baris, r.baru, r.diubah, r.meninggal, r.pindah, r.sama, r.head
            ),
        })?;
        hasil = r;
        Ok(())
    })?;
    Ok(hasil)
}

#[cfg(test)]
mod tests;
