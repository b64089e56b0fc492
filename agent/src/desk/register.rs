//! The NIK look-up at the registration desk (SOP steps 1-2): the resident's data come from the
//! office's copy of the population register (Database Kependudukan, downloaded by
//! [`crate::sync::register`]), offline. Every look-up is audited as the operator's look-up of
//! that resident (`penduduk.lihat`: who looked at whom, and what the register said).
//!
//! Answers ([`Jawaban`]):
//! - [`Terdaftar`]: an active resident: the data to fill the form with, the register's version
//!   of the resident, and the eligibility from the register's birth date and marital status;
//! - [`TidakTerdaftar`]: the NIK is not in the register: what the SOP says to do (the family
//!   card procedure first); with a warning when the office's copy is not complete;
//! - [`Ditolak`]: the register records the resident as deceased or moved out: no recording,
//!   with the reason.
//!
//! An office that holds no register at all (no hub, or before the first download) answers from
//! the residents its desks typed in before (`sumber: "kantor"`), as the desk did without one.

use chrono::NaiveDate;
use rekam_shared::eligibility::{self, Kelayakan};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::Penduduk;
use rekam_shared::register::{Agama, StatusPenduduk};
use rusqlite::Transaction;
use serde::Serialize;

use crate::auth::Operator;
use crate::sync::register::{self as reg, StatusRegister};
use crate::web::AppState;
use crate::web::error::ApiError;

/// The error text of a NIK the register does not hold.
pub const TIDAK_TERDAFTAR: &str = "NIK tidak terdaftar di database kependudukan";

/// What the SOP says to do with a NIK the register does not hold.
pub const SOP_TIDAK_TERDAFTAR: &str = "Lakukan prosedur KK terlebih dahulu (SOP Pelayanan Penerbitan Dokumen KK dan SKPWNI): penduduk mengurus Kartu Keluarga di Disdukcapil agar NIK-nya tercatat di database kependudukan; kembalikan berkas persyaratan dan minta penduduk datang lagi setelah NIK terdaftar.";

/// The office's copy of the register, as an answer shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterView {
    /// Residents held.
    pub jumlah: u64,
    /// Version held.
    pub versi: Option<u64>,
    /// The hub's version at the last download.
    pub head: u64,
    /// When a download last reached the hub's head.
    pub per: Option<String>,
    /// Whether the office held everything the hub had at the last download.
    pub lengkap: bool,
}

impl From<StatusRegister> for RegisterView {
    fn from(s: StatusRegister) -> Self {
        RegisterView {
            lengkap: s.lengkap(),
            jumlah: s.jumlah,
            versi: s.versi,
            head: s.head,
            per: s.per,
        }
    }
}

/// An active resident found (HTTP 200).
#[derive(Debug, Clone, Serialize)]
pub struct Terdaftar {
    /// `database_kependudukan`, or `kantor` (no register at this office: the residents its
    /// desks typed in before).
    pub sumber: &'static str,
    /// The data to fill the registration form with.
    pub penduduk: Penduduk,
    /// Religion, occupation, status and the resident's register version (register only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agama: Option<Agama>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pekerjaan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusPenduduk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versi: Option<u64>,
    /// Eligibility today from the birth date and marital status.
    pub kelayakan: Option<Kelayakan>,
    /// The office's copy of the register.
    pub register: RegisterView,
}

/// A NIK the register does not hold (HTTP 404).
#[derive(Debug, Clone, Serialize)]
pub struct TidakTerdaftar {
    /// [`TIDAK_TERDAFTAR`], or that the office has no register yet.
    pub error: String,
    /// Always `nik`.
    pub field: &'static str,
    /// What to do ([`SOP_TIDAK_TERDAFTAR`]).
    pub sop: &'static str,
    /// The office's copy is incomplete: the NIK may not have arrived yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peringatan: Option<String>,
    /// The office's copy of the register.
    pub register: RegisterView,
}

/// A resident the register records as deceased or moved out (HTTP 409): no recording.
#[derive(Debug, Clone, Serialize)]
pub struct Ditolak {
    /// Why, in Indonesian.
    pub error: String,
    /// Always `nik`.
    pub field: &'static str,
    /// The register's status (`meninggal`, `pindah`).
    pub status: StatusPenduduk,
    /// What to do.
    pub sop: &'static str,
    /// Who the register says it is (to explain to the person at the desk).
    pub penduduk: Penduduk,
    /// The resident's register version.
    pub versi: u64,
    /// The office's copy of the register.
    pub register: RegisterView,
}

/// The answer of a look-up.
#[derive(Debug, Clone)]
pub enum Jawaban {
    /// Found and active.
    Terdaftar(Box<Terdaftar>),
    /// Not in the register.
    TidakTerdaftar(Box<TidakTerdaftar>),
    /// Deceased or moved out.
    Ditolak(Box<Ditolak>),
}

impl Jawaban {
    /// The word the audit log records.
    fn hasil(&self) -> &'static str {
        match self {
            Jawaban::Terdaftar(t) if t.sumber == "kantor" => "dikenal_kantor",
            Jawaban::Terdaftar(_) => "terdaftar",
            Jawaban::TidakTerdaftar(t) if t.register.versi.is_none() => "register_belum_ada",
            Jawaban::TidakTerdaftar(_) => "tidak_terdaftar",
            Jawaban::Ditolak(d) => d.status.as_str(),
        }
    }
}

/// Parses the NIK typed at the desk (400 naming `nik` when it is not a valid NIK).
pub fn parse_nik(nik: &str) -> Result<Nik, ApiError> {
    nik.trim()
        .parse::<Nik>()
        .map_err(|e| ApiError::field("nik", format!("NIK tidak sah: {e}")))
}

/// Looks `nik` up in the office's register inside the caller's write transaction, and audits
/// the look-up as `operator`'s in the same transaction.
pub fn cari_di(
    tx: &Transaction<'_>,
    operator: &str,
    nik: Nik,
    hari_ini: NaiveDate,
) -> Result<Jawaban, ApiError> {
    let err = |e: crate::sync::SyncError| ApiError::internal(e);
    let register: RegisterView = reg::status(tx).map_err(err)?.into();
    let nik_s = nik.to_string();
    let jawaban = match reg::cari(tx, &nik_s).map_err(err)? {
        Some(e) if e.data.status == StatusPenduduk::Aktif => {
            let kelayakan = eligibility::periksa_penduduk(&e.data.penduduk, hari_ini).ok();
            Jawaban::Terdaftar(Box::new(Terdaftar {
                sumber: "database_kependudukan",
                penduduk: e.data.penduduk,
                agama: Some(e.data.agama),
                pekerjaan: Some(e.data.pekerjaan),
                status: Some(e.data.status),
                versi: Some(e.seq),
                kelayakan,
                register,
            }))
        }
        Some(e) => {
            let (error, sop) = match e.data.status {
                StatusPenduduk::Meninggal => (
                    "Penduduk tercatat meninggal dunia di database kependudukan: perekaman KTP-el tidak dapat dilakukan",
                    "Kembalikan berkas persyaratan. Bila data ini keliru, pihak keluarga atau penduduk mengurus perbaikan data kematian di Disdukcapil terlebih dahulu.",
                ),
                _ => (
                    "Penduduk tercatat pindah keluar dari Kabupaten Pesisir Selatan di database kependudukan: perekaman KTP-el tidak dapat dilakukan di sini",
                    "Kembalikan berkas persyaratan: perekaman dilakukan di daerah tujuan pindah, atau penduduk membatalkan kepindahan lewat SOP Pelayanan Penerbitan Dokumen KK dan SKPWNI terlebih dahulu.",
                ),
            };
            Jawaban::Ditolak(Box::new(Ditolak {
                error: error.into(),
                field: "nik",
                status: e.data.status,
                sop,
                penduduk: e.data.penduduk,
                versi: e.seq,
                register,
            }))
        }
        None if register.versi.is_none() && register.jumlah == 0 => {
            // No register at this office: the residents its desks typed in before.
            match super::store::penduduk(tx, &nik_s)? {
                Some(p) => Jawaban::Terdaftar(Box::new(Terdaftar {
                    sumber: "kantor",
                    kelayakan: eligibility::periksa_penduduk(&p, hari_ini).ok(),
                    penduduk: p,
                    agama: None,
                    pekerjaan: None,
                    status: None,
                    versi: None,
                    register,
                })),
                None => Jawaban::TidakTerdaftar(Box::new(TidakTerdaftar {
                    error: "NIK belum dikenal di kantor ini dan database kependudukan belum tersedia di kantor ini: isi data dari berkas persyaratan".into(),
                    field: "nik",
                    sop: SOP_TIDAK_TERDAFTAR,
                    peringatan: Some("database kependudukan belum diunduh dari hub".into()),
                    register,
                })),
            }
        }
        None => {
            let peringatan = (!register.lengkap).then(|| {
                format!(
                    "database kependudukan di kantor ini belum lengkap ({} penduduk, versi {} dari {}): NIK ini mungkin belum terunduh",
                    register.jumlah,
                    register.versi.unwrap_or(0),
                    register.head
                )
            });
            Jawaban::TidakTerdaftar(Box::new(TidakTerdaftar {
                error: TIDAK_TERDAFTAR.into(),
                field: "nik",
                sop: SOP_TIDAK_TERDAFTAR,
                peringatan,
                register,
            }))
        }
    };
    crate::audit::record(
        tx,
        operator,
        "penduduk.lihat",
        None,
        &format!("NIK {nik_s}: {}", jawaban.hasil()),
    )?;
    Ok(jawaban)
}

/// Looks a NIK up for `op` at the desk (offline: the office's copy of the register), audited.
pub async fn cari(state: &AppState, op: &Operator, nik: &str) -> Result<Jawaban, ApiError> {
    let nik = parse_nik(nik)?;
    let hari_ini = state.today();
    let operator = op.username.clone();
    state
        .db
        .write(move |tx| cari_di(tx, &operator, nik, hari_ini))
        .await
}
