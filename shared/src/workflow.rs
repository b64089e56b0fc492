//! The SOP workflow (SOP 800/039/DKPS-PS/2019, e-KTP recording at a kecamatan service unit) as
//! ONE state machine. Every rule about what may happen next lives here: the agent's handlers
//! build a [`Peristiwa`] (event) and call [`apply`] (or [`Permohonan::apply`]); they never
//! decide transitions themselves.
//!
//! ```text
//!  Baru ─PermohonanDibuat─► PenyerahanBerkas (step 1)
//!    PenyerahanBerkas ─BerkasDiterima─► BerkasDiterima (step 2)
//!    PenyerahanBerkas ─BerkasDitolak─► BerkasDikembalikan ■
//!    BerkasDiterima ─BerkasDitolak─► BerkasDikembalikan ■      (documents not correct / not eligible)
//!    BerkasDiterima ─BerkasBenar─► PengecekanBiometrik (step 2)
//!    PengecekanBiometrik ─SudahPernahRekam─► SudahRekam ■      (already recorded: explained, returned)
//!    PengecekanBiometrik ─NomorAntrianDiberikan─► MenungguPerekaman (step 3)
//!    MenungguPerekaman ─Dipanggil─► Dipanggil (step 3)
//!    MenungguPerekaman | Dipanggil ─PerekamanGagal─► DikembalikanKeRegistrasi (step 2 again)
//!    DikembalikanKeRegistrasi ─NomorAntrianDiberikan─► MenungguPerekaman (step 3 again)
//!    DikembalikanKeRegistrasi ─BerkasDitolak─► BerkasDikembalikan ■
//!    Dipanggil ─PerekamanBerhasil─► Terekam (step 4: proof of recording issued; only with a
//!                                            complete [`Kelengkapan`]: every modality captured or excepted)
//!    Terekam ─DiterimaPenduduk─► Diserahkan ■
//! ```
//!
//! Each step has a time standard ([`Langkah::batas_waktu`]); an event that closes a step after
//! its limit must carry an [`AlasanTerlambat`] or it is rejected. Roles: see [`Peran::boleh`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod contoh;
pub mod kelengkapan;
mod permohonan;
pub mod statistik;

pub use kelengkapan::{AlasanPengecualian, Kelengkapan, Modalitas, Perolehan};
pub use permohonan::{DurasiLangkah, Permohonan, PermohonanData, riwayat_langkah};

/// Peran (role) of the user firing an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peran {
    /// Operator registrasi: front desk, steps 1-2 (receives and checks documents, biometric
    /// "already recorded?" check, issues queue numbers).
    OperatorRegistrasi,
    /// Operator perekaman: recording desk, steps 3-4 (calls by queue number, records, issues
    /// the proof of recording and returns the documents).
    OperatorPerekaman,
    /// Kepala UKL (head of the service unit, supervisor): may fire every transition, to cover an
    /// absent operator; the event still names who did it.
    KepalaUkl,
}

impl Peran {
    /// All roles.
    pub const SEMUA: [Peran; 3] = [
        Peran::OperatorRegistrasi,
        Peran::OperatorPerekaman,
        Peran::KepalaUkl,
    ];

    /// Whether this role may fire an event of this kind.
    pub fn boleh(self, jenis: JenisAksi) -> bool {
        use JenisAksi::*;
        match self {
            Peran::KepalaUkl => true,
            Peran::OperatorRegistrasi => matches!(
                jenis,
                PermohonanDibuat
                    | BerkasDiterima
                    | BerkasDitolak
                    | BerkasBenar
                    | SudahPernahRekam
                    | NomorAntrianDiberikan
            ),
            Peran::OperatorPerekaman => matches!(
                jenis,
                Dipanggil | PerekamanBerhasil | PerekamanGagal | DiterimaPenduduk
            ),
        }
    }

    /// The kebab-case name used on command lines (`operator-registrasi`).
    pub fn as_str(self) -> &'static str {
        match self {
            Peran::OperatorRegistrasi => "operator-registrasi",
            Peran::OperatorPerekaman => "operator-perekaman",
            Peran::KepalaUkl => "kepala-ukl",
        }
    }
}

impl fmt::Display for Peran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("peran tidak dikenal: {0} (operator-registrasi, operator-perekaman, kepala-ukl)")]
pub struct PeranTidakDikenal(pub String);

impl FromStr for Peran {
    type Err = PeranTidakDikenal;
    /// Accepts `operator-registrasi` or `operator_registrasi` (etc.).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.replace('_', "-").as_str() {
            "operator-registrasi" => Ok(Peran::OperatorRegistrasi),
            "operator-perekaman" => Ok(Peran::OperatorPerekaman),
            "kepala-ukl" => Ok(Peran::KepalaUkl),
            _ => Err(PeranTidakDikenal(s.to_string())),
        }
    }
}

/// Nomor antrian: the recording queue number given at the end of step 2. Shown as 3 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NomorAntrian(pub u32);

impl fmt::Display for NomorAntrian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// Why the documents were returned to the resident (step 1/2 "tidak benar").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "keterangan", rename_all = "snake_case")]
pub enum AlasanPenolakan {
    /// Requirement documents incomplete.
    BerkasTidakLengkap,
    /// Documents not correct (data do not match, not the resident's).
    BerkasTidakBenar,
    /// Not eligible: under 17 and never married (see [`crate::eligibility`]).
    BelumMemenuhiSyarat,
    /// The resident did not come in person (the SOP forbids proxies: "tidak diwakili").
    TidakHadirSendiri,
    /// After a failed recording: cannot be recorded today (come back another day).
    TidakDapatDirekam,
    /// Anything else, described.
    Lainnya(String),
}

/// Why a recording failed (step 3 "tidak berhasil").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "keterangan", rename_all = "snake_case")]
pub enum AlasanGagal {
    /// Device or application failure.
    GangguanTeknis,
    /// Biometric quality too low (worn fingerprints, iris not captured).
    KualitasBiometrikBuruk,
    /// The resident did not answer the call.
    PendudukTidakHadir,
    /// Anything else, described.
    Lainnya(String),
}

/// Why a step exceeded its time standard (the SOP allows technical failures).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "keterangan", rename_all = "snake_case")]
pub enum AlasanTerlambat {
    /// Technical failure (kerusakan teknis): the SOP's own exception.
    GangguanTeknis,
    /// The resident was not present when needed.
    PendudukTidakHadir,
    /// Long queue.
    AntrianPanjang,
    /// Anything else, described.
    Lainnya(String),
}

/// What happened: the payload of an event, one variant per transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Aksi {
    /// The resident came in person to the registration desk with the requirement documents:
    /// the application is opened and step 1 starts.
    PermohonanDibuat,
    /// The registration operator has received the documents: step 1 ends, step 2 starts.
    BerkasDiterima,
    /// The documents are not correct (or the resident is not eligible): returned. Terminal.
    BerkasDitolak {
        /// Why.
        alasan: AlasanPenolakan,
    },
    /// The documents are correct: the biometric "already recorded?" check starts.
    BerkasBenar,
    /// The biometric check found the resident already recorded: explained, documents returned.
    /// Terminal.
    SudahPernahRekam {
        /// What was found (e.g. matching NIK / where), for the register book.
        keterangan: String,
    },
    /// Not yet recorded: a recording queue number is issued and the documents go to the
    /// recording operator. Step 2 ends, step 3 starts. Also used to re-queue after a failure.
    NomorAntrianDiberikan {
        /// The queue number.
        nomor_antrian: NomorAntrian,
    },
    /// The recording operator calls the resident by queue number; recording starts.
    Dipanggil,
    /// Recording succeeded: proof of recording issued. Step 3 ends, step 4 starts.
    PerekamanBerhasil {
        /// Number of the proof of recording (tanda bukti perekaman).
        nomor_bukti: String,
    },
    /// Recording failed (or the resident did not answer the call): documents back to the
    /// registration operator. Step 3 ends, step 2 starts again.
    PerekamanGagal {
        /// Why.
        alasan: AlasanGagal,
    },
    /// The resident received the recorded documents with the proof. Step 4 ends. Terminal.
    DiterimaPenduduk,
}

/// The kind of an [`Aksi`], without payload (for role tables, UI buttons, statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JenisAksi {
    /// See [`Aksi::PermohonanDibuat`].
    PermohonanDibuat,
    /// See [`Aksi::BerkasDiterima`].
    BerkasDiterima,
    /// See [`Aksi::BerkasDitolak`].
    BerkasDitolak,
    /// See [`Aksi::BerkasBenar`].
    BerkasBenar,
    /// See [`Aksi::SudahPernahRekam`].
    SudahPernahRekam,
    /// See [`Aksi::NomorAntrianDiberikan`].
    NomorAntrianDiberikan,
    /// See [`Aksi::Dipanggil`].
    Dipanggil,
    /// See [`Aksi::PerekamanBerhasil`].
    PerekamanBerhasil,
    /// See [`Aksi::PerekamanGagal`].
    PerekamanGagal,
    /// See [`Aksi::DiterimaPenduduk`].
    DiterimaPenduduk,
}

impl JenisAksi {
    /// All kinds.
    pub const SEMUA: [JenisAksi; 10] = [
        JenisAksi::PermohonanDibuat,
        JenisAksi::BerkasDiterima,
        JenisAksi::BerkasDitolak,
        JenisAksi::BerkasBenar,
        JenisAksi::SudahPernahRekam,
        JenisAksi::NomorAntrianDiberikan,
        JenisAksi::Dipanggil,
        JenisAksi::PerekamanBerhasil,
        JenisAksi::PerekamanGagal,
        JenisAksi::DiterimaPenduduk,
    ];

    /// snake_case name (as in JSON).
    pub fn nama(self) -> &'static str {
        match self {
            JenisAksi::PermohonanDibuat => "permohonan_dibuat",
            JenisAksi::BerkasDiterima => "berkas_diterima",
            JenisAksi::BerkasDitolak => "berkas_ditolak",
            JenisAksi::BerkasBenar => "berkas_benar",
            JenisAksi::SudahPernahRekam => "sudah_pernah_rekam",
            JenisAksi::NomorAntrianDiberikan => "nomor_antrian_diberikan",
            JenisAksi::Dipanggil => "dipanggil",
            JenisAksi::PerekamanBerhasil => "perekaman_berhasil",
            JenisAksi::PerekamanGagal => "perekaman_gagal",
            JenisAksi::DiterimaPenduduk => "diterima_penduduk",
        }
    }

    /// Indonesian label for the desk's event history ("Berkas diterima").
    pub fn label(self) -> &'static str {
        match self {
            JenisAksi::PermohonanDibuat => "Permohonan dibuat",
            JenisAksi::BerkasDiterima => "Berkas diterima",
            JenisAksi::BerkasDitolak => "Berkas dikembalikan",
            JenisAksi::BerkasBenar => "Berkas benar",
            JenisAksi::SudahPernahRekam => "Sudah pernah rekam",
            JenisAksi::NomorAntrianDiberikan => "Nomor antrian diberikan",
            JenisAksi::Dipanggil => "Dipanggil",
            JenisAksi::PerekamanBerhasil => "Perekaman berhasil",
            JenisAksi::PerekamanGagal => "Perekaman gagal",
            JenisAksi::DiterimaPenduduk => "Diterima penduduk",
        }
    }
}

impl Aksi {
    /// The kind of this action.
    pub fn jenis(&self) -> JenisAksi {
        match self {
            Aksi::PermohonanDibuat => JenisAksi::PermohonanDibuat,
            Aksi::BerkasDiterima => JenisAksi::BerkasDiterima,
            Aksi::BerkasDitolak { .. } => JenisAksi::BerkasDitolak,
            Aksi::BerkasBenar => JenisAksi::BerkasBenar,
            Aksi::SudahPernahRekam { .. } => JenisAksi::SudahPernahRekam,
            Aksi::NomorAntrianDiberikan { .. } => JenisAksi::NomorAntrianDiberikan,
            Aksi::Dipanggil => JenisAksi::Dipanggil,
            Aksi::PerekamanBerhasil { .. } => JenisAksi::PerekamanBerhasil,
            Aksi::PerekamanGagal { .. } => JenisAksi::PerekamanGagal,
            Aksi::DiterimaPenduduk => JenisAksi::DiterimaPenduduk,
        }
    }
}

/// Peristiwa: one event of an application's life: what happened, when, who did it and in which
/// role, and why the step ran late if it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peristiwa {
    /// When it happened (server clock of the office agent).
    pub waktu: DateTime<Utc>,
    /// Username of the operator who fired it.
    pub operator: String,
    /// The operator's role at that moment.
    pub peran: Peran,
    /// What happened.
    pub aksi: Aksi,
    /// Why the step this event closes ran over its time standard; required exactly when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alasan_terlambat: Option<AlasanTerlambat>,
    /// What the recording captured or excepted: carried by exactly the "perekaman berhasil"
    /// event, which [`apply`] refuses unless it is complete ([`Kelengkapan::periksa`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kelengkapan: Option<Kelengkapan>,
}

impl Peristiwa {
    /// An event without a late reason.
    pub fn new(
        waktu: DateTime<Utc>,
        operator: impl Into<String>,
        peran: Peran,
        aksi: Aksi,
    ) -> Self {
        Peristiwa {
            waktu,
            operator: operator.into(),
            peran,
            aksi,
            alasan_terlambat: None,
            kelengkapan: None,
        }
    }

    /// The same event with what the recording captured or excepted.
    pub fn dengan_kelengkapan(mut self, k: Kelengkapan) -> Self {
        self.kelengkapan = Some(k);
        self
    }

    /// The same event with a late reason.
    pub fn terlambat(mut self, alasan: AlasanTerlambat) -> Self {
        self.alasan_terlambat = Some(alasan);
        self
    }
}

/// Langkah: the four steps of the SOP, each with its time standard (Mutu Baku: Waktu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Langkah {
    /// Step 1: the resident hands the requirement documents to the registration operator, in
    /// person. From `PermohonanDibuat` to `BerkasDiterima` (or `BerkasDitolak`). At most 5 min.
    PenyerahanBerkas,
    /// Step 2: the registration operator checks the documents and the biometrics. From
    /// `BerkasDiterima` (or `PerekamanGagal`, when the documents come back) to `BerkasDitolak`,
    /// `SudahPernahRekam` or `NomorAntrianDiberikan`. 5-10 min: late after 10.
    PemeriksaanBerkas,
    /// Step 3: the recording operator takes the documents, calls the resident by queue number and
    /// records. From `NomorAntrianDiberikan` to `PerekamanBerhasil` or `PerekamanGagal` (the
    /// waiting time in the queue counts). 5-10 min: late after 10.
    Perekaman,
    /// Step 4: the resident receives the recorded documents with the proof of recording. From
    /// `PerekamanBerhasil` to `DiterimaPenduduk`. At most 5 min.
    PenerimaanBerkas,
}

impl Langkah {
    /// All steps in order.
    pub const SEMUA: [Langkah; 4] = [
        Langkah::PenyerahanBerkas,
        Langkah::PemeriksaanBerkas,
        Langkah::Perekaman,
        Langkah::PenerimaanBerkas,
    ];

    /// The step's number in the SOP (1..=4).
    pub fn nomor(self) -> u8 {
        match self {
            Langkah::PenyerahanBerkas => 1,
            Langkah::PemeriksaanBerkas => 2,
            Langkah::Perekaman => 3,
            Langkah::PenerimaanBerkas => 4,
        }
    }

    /// Maximum duration (paling lama): 5, 10, 10, 5 minutes. A step that takes longer is late.
    pub fn batas_waktu(self) -> TimeDelta {
        TimeDelta::minutes(self.batas_menit())
    }

    /// [`Langkah::batas_waktu`] in minutes.
    pub fn batas_menit(self) -> i64 {
        match self {
            Langkah::PenyerahanBerkas | Langkah::PenerimaanBerkas => 5,
            Langkah::PemeriksaanBerkas | Langkah::Perekaman => 10,
        }
    }

    /// The time standard as the SOP writes it.
    pub fn standar(self) -> &'static str {
        match self {
            Langkah::PenyerahanBerkas | Langkah::PenerimaanBerkas => "paling lama 5 menit",
            Langkah::PemeriksaanBerkas | Langkah::Perekaman => "paling lama 5-10 menit",
        }
    }

    /// Indonesian label for the desk and reports.
    pub fn label(self) -> &'static str {
        match self {
            Langkah::PenyerahanBerkas => "Penyerahan berkas persyaratan",
            Langkah::PemeriksaanBerkas => "Pemeriksaan berkas dan pengecekan biometrik",
            Langkah::Perekaman => "Perekaman data",
            Langkah::PenerimaanBerkas => "Penerimaan berkas sudah rekam",
        }
    }
}

/// The state of an application in the SOP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Nothing has happened yet (before `PermohonanDibuat`).
    Baru,
    /// Step 1: the resident is handing over the documents.
    PenyerahanBerkas,
    /// Step 2: documents received, being checked.
    BerkasDiterima,
    /// Terminal: documents returned to the resident (not correct / not eligible / cannot be
    /// recorded).
    BerkasDikembalikan {
        /// Why.
        alasan: AlasanPenolakan,
    },
    /// Step 2: documents correct, checking iris/fingerprints for an earlier recording.
    PengecekanBiometrik,
    /// Terminal: already recorded; explained and documents returned.
    SudahRekam {
        /// What was found.
        keterangan: String,
    },
    /// Step 3: queue number issued, documents with the recording operator, waiting to be called.
    MenungguPerekaman {
        /// The queue number.
        nomor_antrian: NomorAntrian,
    },
    /// Step 3: called by queue number, recording in progress.
    Dipanggil {
        /// The queue number.
        nomor_antrian: NomorAntrian,
    },
    /// Step 2 again: recording failed, documents back with the registration operator, who
    /// re-queues the resident or returns the documents.
    DikembalikanKeRegistrasi {
        /// Why the recording failed.
        alasan: AlasanGagal,
    },
    /// Step 4: recorded, proof of recording issued, documents being handed back.
    Terekam {
        /// Proof of recording number.
        nomor_bukti: String,
    },
    /// Terminal: the resident received the recorded documents.
    Diserahkan {
        /// Proof of recording number.
        nomor_bukti: String,
    },
}

impl Status {
    /// Whether the resident is at the recording desk now (called, step 3): the only status in
    /// which captures and exceptions (pengecualian) may be taken.
    pub fn sedang_direkam(&self) -> bool {
        matches!(self, Status::Dipanggil { .. })
    }

    /// snake_case name (as in JSON).
    pub fn nama(&self) -> &'static str {
        match self {
            Status::Baru => "baru",
            Status::PenyerahanBerkas => "penyerahan_berkas",
            Status::BerkasDiterima => "berkas_diterima",
            Status::BerkasDikembalikan { .. } => "berkas_dikembalikan",
            Status::PengecekanBiometrik => "pengecekan_biometrik",
            Status::SudahRekam { .. } => "sudah_rekam",
            Status::MenungguPerekaman { .. } => "menunggu_perekaman",
            Status::Dipanggil { .. } => "dipanggil",
            Status::DikembalikanKeRegistrasi { .. } => "dikembalikan_ke_registrasi",
            Status::Terekam { .. } => "terekam",
            Status::Diserahkan { .. } => "diserahkan",
        }
    }

    /// Indonesian label of a status by its [`Status::nama`] (for lists that hold only the
    /// name, such as the hub's read model); `None` for an unknown name.
    pub fn label_nama(nama: &str) -> Option<&'static str> {
        Some(match nama {
            "baru" => "Baru",
            "penyerahan_berkas" => "Penyerahan berkas",
            "berkas_diterima" => "Berkas diterima",
            "berkas_dikembalikan" => "Berkas dikembalikan",
            "pengecekan_biometrik" => "Pengecekan biometrik",
            "sudah_rekam" => "Sudah pernah rekam",
            "menunggu_perekaman" => "Menunggu perekaman",
            "dipanggil" => "Dipanggil ke loket perekaman",
            "dikembalikan_ke_registrasi" => "Dikembalikan ke registrasi (perekaman gagal)",
            "terekam" => "Terekam",
            "diserahkan" => "Diserahkan (bukti rekam diterima)",
            _ => return None,
        })
    }

    /// The SOP step this state belongs to; `None` before the start and in terminal states.
    pub fn langkah(&self) -> Option<Langkah> {
        match self {
            Status::Baru
            | Status::BerkasDikembalikan { .. }
            | Status::SudahRekam { .. }
            | Status::Diserahkan { .. } => None,
            Status::PenyerahanBerkas => Some(Langkah::PenyerahanBerkas),
            Status::BerkasDiterima
            | Status::PengecekanBiometrik
            | Status::DikembalikanKeRegistrasi { .. } => Some(Langkah::PemeriksaanBerkas),
            Status::MenungguPerekaman { .. } | Status::Dipanggil { .. } => Some(Langkah::Perekaman),
            Status::Terekam { .. } => Some(Langkah::PenerimaanBerkas),
        }
    }

    /// Whether the application is finished (no event is accepted any more).
    pub fn selesai(&self) -> bool {
        matches!(
            self,
            Status::BerkasDikembalikan { .. }
                | Status::SudahRekam { .. }
                | Status::Diserahkan { .. }
        )
    }

    /// THE transition table: which kinds of event this state accepts.
    pub fn aksi_berikut(&self) -> &'static [JenisAksi] {
        use JenisAksi::*;
        match self {
            Status::Baru => &[PermohonanDibuat],
            Status::PenyerahanBerkas => &[BerkasDiterima, BerkasDitolak],
            Status::BerkasDiterima => &[BerkasBenar, BerkasDitolak],
            Status::PengecekanBiometrik => &[NomorAntrianDiberikan, SudahPernahRekam],
            Status::MenungguPerekaman { .. } => &[Dipanggil, PerekamanGagal],
            Status::Dipanggil { .. } => &[PerekamanBerhasil, PerekamanGagal],
            Status::DikembalikanKeRegistrasi { .. } => &[NomorAntrianDiberikan, BerkasDitolak],
            Status::Terekam { .. } => &[DiterimaPenduduk],
            Status::BerkasDikembalikan { .. }
            | Status::SudahRekam { .. }
            | Status::Diserahkan { .. } => &[],
        }
    }
}

/// Keadaan: the state the machine folds events into: the status plus the clock facts needed
/// to enforce time standards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keadaan {
    /// Current status.
    #[serde(flatten)]
    pub status: Status,
    /// When the current step started (`None` before the start and when finished).
    pub langkah_mulai: Option<DateTime<Utc>>,
    /// Time of the last accepted event.
    pub waktu_terakhir: Option<DateTime<Utc>>,
}

impl Keadaan {
    /// The state before any event.
    pub fn awal() -> Self {
        Keadaan {
            status: Status::Baru,
            langkah_mulai: None,
            waktu_terakhir: None,
        }
    }

    /// How long the current step has been running at `sekarang`.
    pub fn lama_langkah(&self, sekarang: DateTime<Utc>) -> Option<TimeDelta> {
        self.langkah_mulai.map(|m| sekarang - m)
    }
}

impl Default for Keadaan {
    fn default() -> Self {
        Self::awal()
    }
}

/// Why an event was refused. Nothing changes when an event is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum WorkflowError {
    /// This event is not allowed in this state.
    #[error("aksi '{aksi}' tidak boleh pada status '{status}'")]
    TransisiTidakSah {
        /// Current status name.
        status: &'static str,
        /// Refused event kind.
        aksi: &'static str,
    },
    /// This role may not fire this event.
    #[error("peran {peran} tidak berwenang melakukan '{aksi}'")]
    PeranTidakBerwenang {
        /// The role.
        peran: Peran,
        /// Refused event kind.
        aksi: &'static str,
    },
    /// The step closed by this event exceeded its time standard and no late reason was given.
    #[error(
        "langkah {langkah} melebihi standar waktu ({menit} menit, batas {batas_menit} menit): alasan keterlambatan wajib diisi"
    )]
    AlasanTerlambatWajib {
        /// Step number (1..=4).
        langkah: u8,
        /// Its time limit in minutes.
        batas_menit: i64,
        /// Minutes it took (rounded down).
        menit: i64,
    },
    /// The event is dated before the previous one.
    #[error("waktu peristiwa {waktu} sebelum peristiwa terakhir {terakhir}")]
    WaktuMundur {
        /// Time of the previous event.
        terakhir: DateTime<Utc>,
        /// Time of the refused event.
        waktu: DateTime<Utc>,
    },
    /// Step 3 cannot succeed: these modalities are neither captured nor excepted.
    #[error("perekaman belum lengkap, belum direkam atau dikecualikan: {}", kurang.join(", "))]
    PerekamanBelumLengkap {
        /// Position names of what is missing.
        kurang: Vec<&'static str>,
    },
    /// A field of the event is empty or out of range.
    #[error("{field}: {error}")]
    DataTidakSah {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        error: &'static str,
    },
}

/// Longest accepted operator username (characters).
pub const MAX_OPERATOR: usize = 64;
/// Longest accepted free text in an event (reasons, remarks, proof number).
pub const MAX_TEKS: usize = 500;

fn check_payload(e: &Peristiwa, aturan: Aturan) -> Result<(), WorkflowError> {
    let bad = |field, error| Err(WorkflowError::DataTidakSah { field, error });
    if e.operator.trim().is_empty() {
        return bad("operator", "operator wajib diisi");
    }
    if e.operator.chars().count() > MAX_OPERATOR {
        return bad("operator", "nama operator terlalu panjang");
    }
    let (field, teks) = match &e.aksi {
        Aksi::BerkasDitolak {
            alasan: AlasanPenolakan::Lainnya(s),
        }
        | Aksi::PerekamanGagal {
            alasan: AlasanGagal::Lainnya(s),
        } => {
            if s.trim().is_empty() {
                return bad("alasan", "keterangan alasan wajib diisi");
            }
            ("alasan", Some(s))
        }
        Aksi::NomorAntrianDiberikan {
            nomor_antrian: NomorAntrian(0),
        } => return bad("nomor_antrian", "nomor antrian harus lebih dari 0"),
        Aksi::PerekamanBerhasil { nomor_bukti } => {
            if nomor_bukti.trim().is_empty() {
                return bad("nomor_bukti", "nomor bukti perekaman wajib diisi");
            }
            ("nomor_bukti", Some(nomor_bukti))
        }
        Aksi::SudahPernahRekam { keterangan } => ("keterangan", Some(keterangan)),
        _ => ("", None),
    };
    if teks.is_some_and(|t| t.chars().count() > MAX_TEKS) {
        return bad(field, "teks terlalu panjang");
    }
    check_kelengkapan(e, aturan)?;
    if let Some(AlasanTerlambat::Lainnya(s)) = &e.alasan_terlambat {
        if s.trim().is_empty() {
            return bad(
                "alasan_terlambat",
                "keterangan alasan terlambat wajib diisi",
            );
        }
        if s.chars().count() > MAX_TEKS {
            return bad("alasan_terlambat", "teks terlalu panjang");
        }
    }
    Ok(())
}

/// How strictly [`Peristiwa::kelengkapan`] is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aturan {
    /// A new event: "perekaman berhasil" must carry a complete kelengkapan.
    Ketat,
    /// Replaying stored history: a "perekaman berhasil" without kelengkapan was recorded before
    /// the rule existed (the desk checked completeness itself then) and is accepted; one that
    /// carries a kelengkapan is checked as strictly as a new event.
    Riwayat,
}

fn check_kelengkapan(e: &Peristiwa, aturan: Aturan) -> Result<(), WorkflowError> {
    use kelengkapan::KelengkapanTidakSah as K;
    let berhasil = matches!(e.aksi, Aksi::PerekamanBerhasil { .. });
    match (&e.kelengkapan, berhasil) {
        (None, true) if aturan == Aturan::Riwayat => Ok(()),
        (None, true) => Err(WorkflowError::DataTidakSah {
            field: "kelengkapan",
            error: "perekaman berhasil wajib menyebut apa yang direkam atau dikecualikan",
        }),
        (None, false) => Ok(()),
        (Some(_), false) => Err(WorkflowError::DataTidakSah {
            field: "kelengkapan",
            error: "kelengkapan hanya pada peristiwa perekaman berhasil",
        }),
        (Some(k), true) => match k.periksa() {
            Ok(()) => Ok(()),
            Err(K::Kurang(kurang)) => Err(WorkflowError::PerekamanBelumLengkap { kurang }),
            Err(K::TidakSah(field, error)) => Err(WorkflowError::DataTidakSah { field, error }),
        },
    }
}

/// The state after `aksi` from `status`, assuming the table allows it.
fn target(status: &Status, aksi: &Aksi) -> Status {
    match aksi {
        Aksi::PermohonanDibuat => Status::PenyerahanBerkas,
        Aksi::BerkasDiterima => Status::BerkasDiterima,
        Aksi::BerkasDitolak { alasan } => Status::BerkasDikembalikan {
            alasan: alasan.clone(),
        },
        Aksi::BerkasBenar => Status::PengecekanBiometrik,
        Aksi::SudahPernahRekam { keterangan } => Status::SudahRekam {
            keterangan: keterangan.clone(),
        },
        Aksi::NomorAntrianDiberikan { nomor_antrian } => Status::MenungguPerekaman {
            nomor_antrian: *nomor_antrian,
        },
        Aksi::Dipanggil => match status {
            Status::MenungguPerekaman { nomor_antrian } => Status::Dipanggil {
                nomor_antrian: *nomor_antrian,
            },
            _ => unreachable_state(status),
        },
        Aksi::PerekamanBerhasil { nomor_bukti } => Status::Terekam {
            nomor_bukti: nomor_bukti.clone(),
        },
        Aksi::PerekamanGagal { alasan } => Status::DikembalikanKeRegistrasi {
            alasan: alasan.clone(),
        },
        Aksi::DiterimaPenduduk => match status {
            Status::Terekam { nomor_bukti } => Status::Diserahkan {
                nomor_bukti: nomor_bukti.clone(),
            },
            _ => unreachable_state(status),
        },
    }
}

/// Only reachable if the transition table and `target` disagree; keeps the state unchanged
/// rather than panicking (a unit test checks the two agree).
fn unreachable_state(status: &Status) -> Status {
    status.clone()
}

/// Applies one event to a state: checks the transition table, the role, the payload, the clock
/// and the time standard, and returns the new state. Never panics; on error nothing changes.
pub fn apply(state: &Keadaan, e: &Peristiwa) -> Result<Keadaan, WorkflowError> {
    apply_dengan(state, e, Aturan::Ketat)
}

/// [`apply`] for an event of stored history (a document or a stored row being replayed): the
/// same checks, except that a "perekaman berhasil" recorded before events carried their
/// [`Kelengkapan`] is accepted without one.
pub fn apply_riwayat(state: &Keadaan, e: &Peristiwa) -> Result<Keadaan, WorkflowError> {
    apply_dengan(state, e, Aturan::Riwayat)
}

fn apply_dengan(state: &Keadaan, e: &Peristiwa, aturan: Aturan) -> Result<Keadaan, WorkflowError> {
    let jenis = e.aksi.jenis();
    if !state.status.aksi_berikut().contains(&jenis) {
        return Err(WorkflowError::TransisiTidakSah {
            status: state.status.nama(),
            aksi: jenis.nama(),
        });
    }
    if !e.peran.boleh(jenis) {
        return Err(WorkflowError::PeranTidakBerwenang {
            peran: e.peran,
            aksi: jenis.nama(),
        });
    }
    check_payload(e, aturan)?;
    if let Some(t) = state.waktu_terakhir
        && e.waktu < t
    {
        return Err(WorkflowError::WaktuMundur {
            terakhir: t,
            waktu: e.waktu,
        });
    }
    let next = target(&state.status, &e.aksi);
    let before = state.status.langkah();
    let after = next.langkah();
    let closes = before.is_some() && before != after;
    if closes && let (Some(langkah), Some(mulai)) = (before, state.langkah_mulai) {
        let lama = e.waktu - mulai;
        if lama > langkah.batas_waktu() && e.alasan_terlambat.is_none() {
            return Err(WorkflowError::AlasanTerlambatWajib {
                langkah: langkah.nomor(),
                batas_menit: langkah.batas_menit(),
                menit: lama.num_minutes(),
            });
        }
    }
    let langkah_mulai = match after {
        None => None,
        Some(_) if before != after => Some(e.waktu),
        Some(_) => state.langkah_mulai,
    };
    Ok(Keadaan {
        status: next,
        langkah_mulai,
        waktu_terakhir: Some(e.waktu),
    })
}

/// An event list that breaks the SOP: the first refused event, by its 0-based index in the
/// list, and why [`apply`] refused it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("peristiwa #{index} ({aksi}) ditolak: {error}")]
pub struct PelanggaranSop {
    /// Index of the refused event in the list.
    pub index: usize,
    /// Its kind.
    pub aksi: &'static str,
    /// Why the state machine refused it.
    pub error: WorkflowError,
}

/// Replays a whole event list from [`Keadaan::awal`] through [`apply`], the way a peer that
/// received a document re-checks it: the state the events lead to, or the first event that
/// breaks the SOP. Uses only the events' own timestamps, so the answer is the same on every
/// machine. A valid prefix (an application still in progress) replays fine. Stored history:
/// [`apply_riwayat`].
pub fn replay<'a>(
    peristiwa: impl IntoIterator<Item = &'a Peristiwa>,
) -> Result<Keadaan, PelanggaranSop> {
    peristiwa
        .into_iter()
        .enumerate()
        .try_fold(Keadaan::awal(), |state, (index, e)| {
            apply_riwayat(&state, e).map_err(|error| PelanggaranSop {
                index,
                aksi: e.aksi.jenis().nama(),
                error,
            })
        })
}

/// [`replay`] for an event list that a peer has just extended: the events already in
/// `tersimpan` (what the receiver held before) are stored history ([`apply_riwayat`]); every
/// other event is new and must pass today's rules in full ([`apply`]), so that no office can
/// send a new "perekaman berhasil" without its [`Kelengkapan`] by passing it off as history.
pub fn replay_kiriman(
    peristiwa: &[Peristiwa],
    tersimpan: &[Peristiwa],
) -> Result<Keadaan, PelanggaranSop> {
    peristiwa
        .iter()
        .enumerate()
        .try_fold(Keadaan::awal(), |state, (index, e)| {
            let aturan = if tersimpan.contains(e) {
                Aturan::Riwayat
            } else {
                Aturan::Ketat
            };
            apply_dengan(&state, e, aturan).map_err(|error| PelanggaranSop {
                index,
                aksi: e.aksi.jenis().nama(),
                error,
            })
        })
}

#[cfg(test)]
mod tests;
