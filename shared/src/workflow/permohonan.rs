//! Permohonan: one resident's application (one visit, step 1 to step 4) as an aggregate: its
//! identity, the resident's data, the list of workflow events and the state derived from them.
//! The state is never stored on its own: it is always the fold of the events through
//! [`super::apply`], so a document received from another peer is re-checked by replaying it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AlasanTerlambat, Keadaan, Langkah, NomorAntrian, Peristiwa, Status, WorkflowError, apply,
    apply_riwayat,
};
use crate::penduduk::Penduduk;
use crate::region::KodeKecamatan;

/// An application. Serializes with its derived state (`keadaan`) for readers; deserializing
/// ignores that and replays the events, so an inconsistent document is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PermohonanData")]
pub struct Permohonan {
    id: String,
    kecamatan: KodeKecamatan,
    penduduk: Penduduk,
    peristiwa: Vec<Peristiwa>,
    keadaan: Keadaan,
}

/// The stored form of a [`Permohonan`]: everything except the derived state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermohonanData {
    /// Caller-provided unique id (e.g. a UUIDv7 string).
    pub id: String,
    /// The kecamatan office handling the application.
    pub kecamatan: KodeKecamatan,
    /// The resident.
    pub penduduk: Penduduk,
    /// Events in order.
    pub peristiwa: Vec<Peristiwa>,
}

impl TryFrom<PermohonanData> for Permohonan {
    type Error = WorkflowError;
    fn try_from(d: PermohonanData) -> Result<Self, Self::Error> {
        Permohonan::replay(d.id, d.kecamatan, d.penduduk, d.peristiwa)
    }
}

/// One run of one step, for the register book and the statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurasiLangkah {
    /// Which step.
    pub langkah: Langkah,
    /// When it started.
    pub mulai: DateTime<Utc>,
    /// When it ended (`None`: still running).
    pub selesai: Option<DateTime<Utc>>,
    /// Duration in seconds, if ended.
    pub detik: Option<i64>,
    /// Whether it exceeded the time standard (only for ended steps).
    pub terlambat: bool,
    /// The late reason given by the event that ended it.
    pub alasan_terlambat: Option<AlasanTerlambat>,
    /// Who ended it.
    pub operator_selesai: Option<String>,
}

impl Permohonan {
    /// A new application with no events yet (status [`Status::Baru`]); the first event must be
    /// `PermohonanDibuat`.
    pub fn new(id: impl Into<String>, kecamatan: KodeKecamatan, penduduk: Penduduk) -> Self {
        Permohonan {
            id: id.into(),
            kecamatan,
            penduduk,
            peristiwa: Vec::new(),
            keadaan: Keadaan::awal(),
        }
    }

    /// Rebuilds an application from its stored events, checking every one ([`apply_riwayat`]).
    pub fn replay(
        id: impl Into<String>,
        kecamatan: KodeKecamatan,
        penduduk: Penduduk,
        peristiwa: Vec<Peristiwa>,
    ) -> Result<Self, WorkflowError> {
        let mut keadaan = Keadaan::awal();
        for e in &peristiwa {
            keadaan = apply_riwayat(&keadaan, e)?;
        }
        Ok(Permohonan {
            id: id.into(),
            kecamatan,
            penduduk,
            peristiwa,
            keadaan,
        })
    }

    /// Applies an event; on error the application is unchanged.
    pub fn apply(&mut self, e: Peristiwa) -> Result<&Status, WorkflowError> {
        self.keadaan = apply(&self.keadaan, &e)?;
        self.peristiwa.push(e);
        Ok(&self.keadaan.status)
    }

    /// [`Permohonan::apply`] for an event of stored history (a synced document's or a stored
    /// row's, see [`apply_riwayat`]): an old "perekaman berhasil" without its completeness
    /// record is accepted. On error the application is unchanged.
    pub fn apply_riwayat(&mut self, e: Peristiwa) -> Result<&Status, WorkflowError> {
        self.keadaan = apply_riwayat(&self.keadaan, &e)?;
        self.peristiwa.push(e);
        Ok(&self.keadaan.status)
    }

    /// The application id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The kecamatan office handling it.
    pub fn kecamatan(&self) -> KodeKecamatan {
        self.kecamatan
    }
    /// The resident's data.
    pub fn penduduk(&self) -> &Penduduk {
        &self.penduduk
    }
    /// The events, in order.
    pub fn peristiwa(&self) -> &[Peristiwa] {
        &self.peristiwa
    }
    /// The derived state.
    pub fn keadaan(&self) -> &Keadaan {
        &self.keadaan
    }
    /// The current status.
    pub fn status(&self) -> &Status {
        &self.keadaan.status
    }
    /// The stored form (without the derived state).
    pub fn data(&self) -> PermohonanData {
        PermohonanData {
            id: self.id.clone(),
            kecamatan: self.kecamatan,
            penduduk: self.penduduk.clone(),
            peristiwa: self.peristiwa.clone(),
        }
    }

    /// Replaces the resident's data (a correction at the desk). Allowed only while the
    /// registration operator holds the documents (steps 1-2, before a queue number).
    pub fn ubah_penduduk(&mut self, penduduk: Penduduk) -> Result<(), WorkflowError> {
        match self.keadaan.status {
            Status::Baru
            | Status::PenyerahanBerkas
            | Status::BerkasDiterima
            | Status::PengecekanBiometrik
            | Status::DikembalikanKeRegistrasi { .. } => {
                self.penduduk = penduduk;
                Ok(())
            }
            ref s => Err(WorkflowError::TransisiTidakSah {
                status: s.nama(),
                aksi: "ubah_penduduk",
            }),
        }
    }

    /// The current SOP step, if running.
    pub fn langkah_sekarang(&self) -> Option<Langkah> {
        self.keadaan.status.langkah()
    }

    /// How long the current step has been running at `sekarang`.
    pub fn lama_langkah_sekarang(&self, sekarang: DateTime<Utc>) -> Option<TimeDelta> {
        self.keadaan.lama_langkah(sekarang)
    }

    /// Whether the current step is over its time standard at `sekarang` (the desk then asks
    /// for a late reason with the next event).
    pub fn perlu_alasan_terlambat(&self, sekarang: DateTime<Utc>) -> bool {
        match (
            self.langkah_sekarang(),
            self.lama_langkah_sekarang(sekarang),
        ) {
            (Some(l), Some(d)) => d > l.batas_waktu(),
            _ => false,
        }
    }

    /// The latest queue number issued, if any.
    pub fn nomor_antrian(&self) -> Option<NomorAntrian> {
        self.peristiwa.iter().rev().find_map(|e| match e.aksi {
            super::Aksi::NomorAntrianDiberikan { nomor_antrian } => Some(nomor_antrian),
            _ => None,
        })
    }

    /// When the application was opened (the `PermohonanDibuat` event).
    pub fn dibuka_pada(&self) -> Option<DateTime<Utc>> {
        self.peristiwa.first().map(|e| e.waktu)
    }

    /// Every run of every step so far, in order (step 2 and 3 appear again after a failed
    /// recording). The last entry is open if the application is not finished.
    pub fn riwayat_langkah(&self) -> Vec<DurasiLangkah> {
        riwayat_langkah(&self.peristiwa)
    }

    /// Whether any run of `langkah` exceeded its time standard.
    pub fn terlambat(&self, langkah: Langkah) -> bool {
        self.riwayat_langkah()
            .iter()
            .any(|d| d.langkah == langkah && d.terlambat)
    }
}

/// Every run of every step of an event list (e.g. read from a document), in order: step 2 and
/// 3 appear again after a failed recording; the last entry is open if the application is not
/// finished. Stops at the first event the state machine refuses.
pub fn riwayat_langkah(peristiwa: &[Peristiwa]) -> Vec<DurasiLangkah> {
    let mut out: Vec<DurasiLangkah> = Vec::new();
    let mut k = Keadaan::awal();
    for e in peristiwa {
        let Ok(next) = apply_riwayat(&k, e) else {
            break; // a refused event ends the history (a stored one was checked on the way in)
        };
        let (before, after) = (k.status.langkah(), next.status.langkah());
        if before != after {
            if let (Some(l), Some(last)) = (before, out.last_mut()) {
                let lama = e.waktu - last.mulai;
                last.selesai = Some(e.waktu);
                last.detik = Some(lama.num_seconds());
                last.terlambat = lama > l.batas_waktu();
                last.alasan_terlambat = e.alasan_terlambat.clone();
                last.operator_selesai = Some(e.operator.clone());
            }
            if let Some(l) = after {
                out.push(DurasiLangkah {
                    langkah: l,
                    mulai: e.waktu,
                    selesai: None,
                    detik: None,
                    terlambat: false,
                    alasan_terlambat: None,
                    operator_selesai: None,
                });
            }
        }
        k = next;
    }
    out
}
