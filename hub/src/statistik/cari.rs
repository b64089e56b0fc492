//! The resident search of the district dashboard (`/cari`): what was asked, parsed once, and
//! what the read model answers. By NIK (exactly 16 digits: every application of that NIK) or
//! by name (at least [`MIN_NAMA`] characters of letters or digits: applications whose name
//! contains the words in that order, ignoring case and punctuation).

use serde::Serialize;

use super::baris::kunci_nama;

/// Shortest name fragment searched (shorter ones would list half the district).
pub const MIN_NAMA: usize = 3;

/// Most applications one search lists.
pub const BATAS: usize = 100;

/// A search, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cari {
    /// Every application of this NIK.
    Nik(String),
    /// Applications whose name key contains this key ([`kunci_nama`]).
    Nama(String),
}

/// Why a search was refused (the page says it; the field is `q`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CariTolak {
    /// Nothing to search for.
    #[error("isi NIK (16 angka) atau nama (paling sedikit 3 huruf)")]
    Kosong,
    /// Digits, but not a 16-digit NIK.
    #[error("NIK harus 16 angka")]
    NikTidakSah,
    /// A name fragment too short.
    #[error("nama paling sedikit 3 huruf")]
    NamaPendek,
}

impl Cari {
    /// Parses the search box: only digits (spaces and dots allowed between them) is a NIK,
    /// anything else a name.
    pub fn baca(q: &str) -> Result<Cari, CariTolak> {
        let q = q.trim();
        if q.is_empty() {
            return Err(CariTolak::Kosong);
        }
        let angka: String = q.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
        if angka.chars().all(|c| c.is_ascii_digit()) {
            return if angka.len() == 16 {
                Ok(Cari::Nik(angka))
            } else {
                Err(CariTolak::NikTidakSah)
            };
        }
        let kunci = kunci_nama(q);
        if kunci.chars().filter(|c| *c != ' ').count() < MIN_NAMA {
            return Err(CariTolak::NamaPendek);
        }
        Ok(Cari::Nama(kunci))
    }

    /// The kind, for the audit trail (never the NIK or name itself in logs).
    pub fn jenis(&self) -> &'static str {
        match self {
            Cari::Nik(_) => "nik",
            Cari::Nama(_) => "nama",
        }
    }
}

/// One application found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HasilCari {
    /// Permohonan id.
    pub permohonan_id: String,
    /// NIK as the office recorded it.
    pub nik: String,
    /// Name as the office recorded it.
    pub nama: String,
    /// Kecamatan of the office.
    pub kecamatan: String,
    /// Nagari as recorded.
    pub nagari: Option<String>,
    /// SOP status ([`rekam_shared::workflow::Status::nama`]).
    pub status: String,
    /// When it was opened (RFC 3339).
    pub dibuka: Option<String>,
    /// When it was recorded (RFC 3339).
    pub direkam: Option<String>,
    /// The district's dedup outcome, if decided.
    pub dedup: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_a_nik_or_a_name() {
        assert_eq!(
            Cari::baca(" 1301 0111 0590 0001 ").unwrap(),
            Cari::Nik("1301011105900001".into())
        );
        assert_eq!(
            Cari::baca("1301.0111.0590.0001").unwrap(),
            Cari::Nik("1301011105900001".into())
        );
        assert_eq!(Cari::baca("13010111").unwrap_err(), CariTolak::NikTidakSah);
        assert_eq!(Cari::baca("  ").unwrap_err(), CariTolak::Kosong);
        assert_eq!(Cari::baca("Si").unwrap_err(), CariTolak::NamaPendek);
        assert_eq!(Cari::baca("a.b").unwrap_err(), CariTolak::NamaPendek);
        assert_eq!(
            Cari::baca("  SITI,  Rahma").unwrap(),
            Cari::Nama("siti rahma".into())
        );
        assert_eq!(Cari::baca("Siti").unwrap().jenis(), "nama");
    }

    #[test]
    fn name_keys_ignore_case_and_punctuation() {
        assert_eq!(kunci_nama("  SITI  Rahmawati,"), "siti rahmawati");
        assert_eq!(
            kunci_nama("Nur'aini binti H. Yusuf"),
            "nur aini binti h yusuf"
        );
        assert_eq!(kunci_nama(""), "");
    }
}
