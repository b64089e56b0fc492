//! Kelengkapan perekaman (completeness of a recording): what step 3 must end with before
//! "perekaman berhasil" may happen. Every modality ([`Modalitas`]: ten fingers, two irises, the
//! face photo, the signature) is either captured (with its quality score, flagged
//! `kualitas_rendah` when the best of the capped attempts stayed below the minimum) or excepted
//! (pengecualian: a finger or an eye that cannot be captured, or a signature, with a reason).
//! The face photo is never excepted. [`Kelengkapan::periksa`] is the rule; the state machine
//! calls it when it applies the event, handlers only build the value.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bio::iris::Eye;
use crate::bio::iso::{FINGER_NAMES, FingerPosition};

/// Modalitas: one thing the recording desk captures, by the names the documents and the device
/// protocol use (fingers: [`FINGER_NAMES`]; eyes: `right-iris`, `left-iris`; `face`,
/// `signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Modalitas {
    /// A fingerprint at this position (never [`FingerPosition::Unknown`]).
    Jari(FingerPosition),
    /// An iris.
    Iris(Eye),
    /// The face photo (never excepted).
    Wajah,
    /// The signature.
    TandaTangan,
}

impl Modalitas {
    /// Every modality a complete recording has, in capture order.
    pub fn semua() -> Vec<Modalitas> {
        let mut v: Vec<Modalitas> = FINGER_NAMES
            .iter()
            .filter_map(|n| FingerPosition::from_name(n))
            .map(Modalitas::Jari)
            .collect();
        v.extend([
            Modalitas::Iris(Eye::Right),
            Modalitas::Iris(Eye::Left),
            Modalitas::Wajah,
            Modalitas::TandaTangan,
        ]);
        v
    }

    /// The position name (`right-thumb`, `left-iris`, `face`, `signature`).
    pub fn nama(self) -> &'static str {
        match self {
            Modalitas::Jari(p) => p.name().unwrap_or("unknown-finger"),
            Modalitas::Iris(Eye::Right) => "right-iris",
            Modalitas::Iris(Eye::Left) => "left-iris",
            Modalitas::Wajah => "face",
            Modalitas::TandaTangan => "signature",
        }
    }

    /// From a position name; `None` for an unknown name.
    pub fn dari_nama(nama: &str) -> Option<Modalitas> {
        Some(match nama {
            "right-iris" => Modalitas::Iris(Eye::Right),
            "left-iris" => Modalitas::Iris(Eye::Left),
            "face" => Modalitas::Wajah,
            "signature" => Modalitas::TandaTangan,
            finger => Modalitas::Jari(FingerPosition::from_name(finger)?),
        })
    }

    /// Whether this modality may be excepted (everything but the face photo).
    pub fn boleh_dikecualikan(self) -> bool {
        self != Modalitas::Wajah
    }
}

impl fmt::Display for Modalitas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.nama())
    }
}

impl From<Modalitas> for String {
    fn from(m: Modalitas) -> String {
        m.nama().to_owned()
    }
}

impl TryFrom<String> for Modalitas {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Modalitas::dari_nama(&s).ok_or_else(|| format!("modalitas tidak dikenal: {s}"))
    }
}

/// Why a modality cannot be captured (alasan pengecualian).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "keterangan", rename_all = "snake_case")]
pub enum AlasanPengecualian {
    /// Amputated (finger missing).
    Amputasi,
    /// Disabled or injured (cacat/luka).
    CacatLuka,
    /// Bandaged.
    Diperban,
    /// Blind or artificial eye (buta/mata palsu).
    ButaMataPalsu,
    /// Anything else, described (the note is required).
    Lainnya(String),
}

impl AlasanPengecualian {
    /// The stored name (`amputasi`, `cacat_luka`, `diperban`, `buta_mata_palsu`, `lainnya`).
    pub fn nama(&self) -> &'static str {
        match self {
            AlasanPengecualian::Amputasi => "amputasi",
            AlasanPengecualian::CacatLuka => "cacat_luka",
            AlasanPengecualian::Diperban => "diperban",
            AlasanPengecualian::ButaMataPalsu => "buta_mata_palsu",
            AlasanPengecualian::Lainnya(_) => "lainnya",
        }
    }

    /// Indonesian label for the desk.
    pub fn label(&self) -> &'static str {
        match self {
            AlasanPengecualian::Amputasi => "Amputasi",
            AlasanPengecualian::CacatLuka => "Cacat/luka",
            AlasanPengecualian::Diperban => "Diperban",
            AlasanPengecualian::ButaMataPalsu => "Buta/mata palsu",
            AlasanPengecualian::Lainnya(_) => "Lainnya",
        }
    }

    /// THE rule of a reason: `lainnya` needs a note of at most [`super::MAX_TEKS`]
    /// characters; the others need none. The error says what is wrong (for the `keterangan`
    /// field).
    pub fn periksa(&self) -> Result<(), &'static str> {
        match self {
            AlasanPengecualian::Lainnya(s) if s.trim().is_empty() => {
                Err("keterangan wajib diisi untuk alasan lainnya")
            }
            AlasanPengecualian::Lainnya(s) if s.chars().count() > super::MAX_TEKS => {
                Err("teks terlalu panjang")
            }
            _ => Ok(()),
        }
    }

    /// The note kept with the reason (empty but for `lainnya`).
    pub fn keterangan(&self) -> &str {
        match self {
            AlasanPengecualian::Lainnya(s) => s,
            _ => "",
        }
    }

    /// From the stored name and a note (the note is kept only for `lainnya`).
    pub fn dari_nama(nama: &str, keterangan: &str) -> Option<AlasanPengecualian> {
        Some(match nama {
            "amputasi" => AlasanPengecualian::Amputasi,
            "cacat_luka" => AlasanPengecualian::CacatLuka,
            "diperban" => AlasanPengecualian::Diperban,
            "buta_mata_palsu" => AlasanPengecualian::ButaMataPalsu,
            "lainnya" => AlasanPengecualian::Lainnya(keterangan.trim().to_owned()),
            _ => return None,
        })
    }
}

/// Perolehan: how one modality ended in step 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hasil", rename_all = "snake_case")]
pub enum Perolehan {
    /// Captured, with the kept capture's quality score (1-100).
    Terekam {
        /// Quality score of the kept capture.
        kualitas: u8,
        /// The best of the capped attempts stayed below the configured minimum.
        #[serde(default)]
        kualitas_rendah: bool,
    },
    /// Excepted (pengecualian): cannot be captured, for this reason.
    Dikecualikan {
        /// Why.
        alasan: AlasanPengecualian,
    },
}

/// Kelengkapan: what a recording captured or excepted, per modality. Carried by the
/// "perekaman berhasil" event ([`super::Peristiwa::kelengkapan`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kelengkapan(pub BTreeMap<Modalitas, Perolehan>);

/// Why a [`Kelengkapan`] does not allow step 3 to succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KelengkapanTidakSah {
    /// These modalities are neither captured nor excepted (position names).
    Kurang(Vec<&'static str>),
    /// A value is out of range or a rule is broken: the position name and what is wrong.
    TidakSah(&'static str, &'static str),
}

impl Kelengkapan {
    /// Records a capture of `m`.
    pub fn terekam(&mut self, m: Modalitas, kualitas: u8, kualitas_rendah: bool) {
        self.0.insert(
            m,
            Perolehan::Terekam {
                kualitas,
                kualitas_rendah,
            },
        );
    }

    /// Records an exception of `m`.
    pub fn dikecualikan(&mut self, m: Modalitas, alasan: AlasanPengecualian) {
        self.0.insert(m, Perolehan::Dikecualikan { alasan });
    }

    /// Every modality captured at quality `kualitas` (tests, benchmarks, demos).
    pub fn semua_terekam(kualitas: u8) -> Kelengkapan {
        let mut k = Kelengkapan::default();
        for m in Modalitas::semua() {
            k.terekam(m, kualitas, false);
        }
        k
    }

    /// The modalities still neither captured nor excepted, by name.
    pub fn kurang(&self) -> Vec<&'static str> {
        Modalitas::semua()
            .into_iter()
            .filter(|m| !self.0.contains_key(m))
            .map(Modalitas::nama)
            .collect()
    }

    /// THE rule of step 3's success: every modality captured (quality 1-100) or excepted
    /// (never the face; `lainnya` with a note of at most [`super::MAX_TEKS`] characters), and
    /// nothing else.
    pub fn periksa(&self) -> Result<(), KelengkapanTidakSah> {
        let kurang = self.kurang();
        if !kurang.is_empty() {
            return Err(KelengkapanTidakSah::Kurang(kurang));
        }
        for (m, p) in &self.0 {
            let nama = m.nama();
            if matches!(m, Modalitas::Jari(FingerPosition::Unknown)) {
                return Err(KelengkapanTidakSah::TidakSah(
                    nama,
                    "posisi jari tidak dikenal",
                ));
            }
            match p {
                Perolehan::Terekam { kualitas, .. } => {
                    if !(1..=100).contains(kualitas) {
                        return Err(KelengkapanTidakSah::TidakSah(
                            nama,
                            "skor kualitas harus 1-100",
                        ));
                    }
                }
                Perolehan::Dikecualikan { alasan } => {
                    if !m.boleh_dikecualikan() {
                        return Err(KelengkapanTidakSah::TidakSah(
                            nama,
                            "foto wajah tidak boleh dikecualikan",
                        ));
                    }
                    alasan
                        .periksa()
                        .map_err(|e| KelengkapanTidakSah::TidakSah(nama, e))?;
                }
            }
        }
        Ok(())
    }
}
