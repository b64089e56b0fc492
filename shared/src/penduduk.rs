//! Penduduk (resident) data as captured at the registration desk (step 2 of the SOP), and its
//! consistency check. [`Penduduk::validate`] returns every problem at once, each naming the
//! field, so the agent can answer `400 {"error": ..., "field": ...}` and the desk can highlight
//! the input. Biographic data only: biometrics live in [`crate::bio`].

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kk::NomorKk;
use crate::nik::Nik;
use crate::region::{self, KodeKecamatan};

/// Jenis kelamin (sex), as encoded in the NIK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JenisKelamin {
    /// Laki-laki (male).
    LakiLaki,
    /// Perempuan (female): the NIK's day of birth has 40 added.
    Perempuan,
}

/// Status perkawinan (marital status) as on the KK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusPerkawinan {
    /// Belum kawin (never married).
    BelumKawin,
    /// Kawin (married).
    Kawin,
    /// Cerai hidup (divorced).
    CeraiHidup,
    /// Cerai mati (widowed).
    CeraiMati,
}

impl StatusPerkawinan {
    /// Every value, in SIAK code order (code = index + 1).
    pub const SEMUA: [StatusPerkawinan; 4] = [
        Self::BelumKawin,
        Self::Kawin,
        Self::CeraiHidup,
        Self::CeraiMati,
    ];

    /// Married now or ever married (kawin, cerai hidup, cerai mati).
    pub fn pernah_kawin(self) -> bool {
        !matches!(self, StatusPerkawinan::BelumKawin)
    }

    /// The serde word (`belum_kawin`, `kawin`, `cerai_hidup`, `cerai_mati`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BelumKawin => "belum_kawin",
            Self::Kawin => "kawin",
            Self::CeraiHidup => "cerai_hidup",
            Self::CeraiMati => "cerai_mati",
        }
    }

    /// The value written as `s`: the serde word, the SIAK word in any case (`BELUM KAWIN`), or
    /// the SIAK code 1-4.
    pub fn parse(s: &str) -> Option<Self> {
        let t = kata(s);
        if let Ok(code) = t.parse::<usize>() {
            return (1..=4).contains(&code).then(|| Self::SEMUA[code - 1]);
        }
        Self::SEMUA.into_iter().find(|v| v.as_str() == t)
    }
}

impl JenisKelamin {
    /// The serde word (`laki_laki`, `perempuan`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LakiLaki => "laki_laki",
            Self::Perempuan => "perempuan",
        }
    }

    /// The value written as `s`: the serde word, the SIAK word in any case (`LAKI-LAKI`), or
    /// the SIAK code 1 (laki-laki) / 2 (perempuan).
    pub fn parse(s: &str) -> Option<Self> {
        match kata(s).as_str() {
            "laki_laki" | "1" | "l" => Some(Self::LakiLaki),
            "perempuan" | "2" | "p" => Some(Self::Perempuan),
            _ => None,
        }
    }
}

/// A written word in the serde form: trimmed, lower case, spaces and dashes as `_`.
fn kata(s: &str) -> String {
    s.trim()
        .to_ascii_lowercase()
        .split([' ', '-', '_'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Maximum length (in characters) of `nama`.
pub const MAX_NAMA: usize = 100;
/// Maximum length of `tempat_lahir`.
pub const MAX_TEMPAT_LAHIR: usize = 60;
/// Maximum length of `alamat`.
pub const MAX_ALAMAT: usize = 200;
/// Maximum length of `nagari`.
pub const MAX_NAGARI: usize = 100;
/// Earliest accepted birth date.
pub const TANGGAL_LAHIR_MINIMUM: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!(),
};

/// The resident's data captured at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penduduk {
    /// Nomor Induk Kependudukan.
    pub nik: Nik,
    /// Nomor Kartu Keluarga (family card number).
    pub no_kk: NomorKk,
    /// Nama lengkap (full name).
    pub nama: String,
    /// Tempat lahir (place of birth).
    pub tempat_lahir: String,
    /// Tanggal lahir (date of birth).
    pub tanggal_lahir: NaiveDate,
    /// Jenis kelamin (sex).
    pub jenis_kelamin: JenisKelamin,
    /// Status perkawinan (marital status).
    pub status_perkawinan: StatusPerkawinan,
    /// Alamat (street address).
    pub alamat: String,
    /// Rukun Tetangga number (1..=999).
    pub rt: u16,
    /// Rukun Warga number (1..=999).
    pub rw: u16,
    /// Nagari (or kelurahan/desa) name.
    pub nagari: String,
    /// Kecamatan of the address.
    pub kecamatan: KodeKecamatan,
}

/// One problem with one field of a record: the agent's 4xx body `{"error", "field"}`.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{field}: {error}")]
pub struct FieldError {
    /// Name of the offending field, as in the JSON of [`Penduduk`].
    pub field: &'static str,
    /// What is wrong, in Indonesian, for the desk.
    pub error: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: &'static str, error: impl Into<String>) -> Self {
        FieldError {
            field,
            error: error.into(),
        }
    }
}

fn check_text(
    out: &mut Vec<FieldError>,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) {
    let t = value.trim();
    if t.is_empty() {
        out.push(FieldError::new(field, format!("{label} wajib diisi")));
    } else if value.chars().count() > max {
        out.push(FieldError::new(
            field,
            format!("{label} paling panjang {max} karakter"),
        ));
    } else if value.chars().any(char::is_control) {
        out.push(FieldError::new(
            field,
            format!("{label} berisi karakter tidak sah"),
        ));
    }
}

impl Penduduk {
    /// Checks the record's consistency at date `hari_ini` (today): names and address present and
    /// bounded, birth date not in the future and not before 1900, the NIK's encoded birth date
    /// and sex equal to the fields, RT/RW in 1..=999, the kecamatan a known region. Returns every
    /// problem found.
    pub fn validate(&self, hari_ini: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        check_text(&mut e, "nama", "Nama", &self.nama, MAX_NAMA);
        check_text(
            &mut e,
            "tempat_lahir",
            "Tempat lahir",
            &self.tempat_lahir,
            MAX_TEMPAT_LAHIR,
        );
        check_text(&mut e, "alamat", "Alamat", &self.alamat, MAX_ALAMAT);
        check_text(
            &mut e,
            "nagari",
            "Nagari/kelurahan",
            &self.nagari,
            MAX_NAGARI,
        );
        if self.tanggal_lahir > hari_ini {
            e.push(FieldError::new(
                "tanggal_lahir",
                "tanggal lahir tidak boleh di masa depan",
            ));
        } else if self.tanggal_lahir < TANGGAL_LAHIR_MINIMUM {
            e.push(FieldError::new(
                "tanggal_lahir",
                "tanggal lahir sebelum 1900 tidak diterima",
            ));
        }
        let n = &self.nik;
        if n.hari_lahir() as u32 != self.tanggal_lahir.day()
            || n.bulan_lahir() as u32 != self.tanggal_lahir.month()
            || n.tahun_lahir_dua_digit() as i32 != self.tanggal_lahir.year().rem_euclid(100)
        {
            e.push(FieldError::new(
                "tanggal_lahir",
                "tanggal lahir tidak sesuai dengan NIK",
            ));
        }
        if n.jenis_kelamin() != self.jenis_kelamin {
            e.push(FieldError::new(
                "jenis_kelamin",
                "jenis kelamin tidak sesuai dengan NIK",
            ));
        }
        if !(1..=999).contains(&self.rt) {
            e.push(FieldError::new("rt", "RT harus 1 sampai 999"));
        }
        if !(1..=999).contains(&self.rw) {
            e.push(FieldError::new("rw", "RW harus 1 sampai 999"));
        }
        if let Err(r) = region::builtin().check(self.kecamatan) {
            e.push(FieldError::new("kecamatan", r.to_string()));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn sample() -> Penduduk {
        Penduduk {
            nik: "1301075208050003".parse().unwrap(),
            no_kk: "1301071504190007".parse().unwrap(),
            nama: "Siti Rahmah".into(),
            tempat_lahir: "Painan".into(),
            tanggal_lahir: NaiveDate::from_ymd_opt(2005, 8, 12).unwrap(),
            jenis_kelamin: JenisKelamin::Perempuan,
            status_perkawinan: StatusPerkawinan::BelumKawin,
            alamat: "Jl. Ilyas Yakub No. 3".into(),
            rt: 1,
            rw: 2,
            nagari: "Painan".into(),
            kecamatan: "130105".parse().unwrap(),
        }
    }

    fn fields(p: &Penduduk) -> Vec<&'static str> {
        match p.validate(today()) {
            Ok(()) => vec![],
            Err(v) => v.iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn sex_and_marital_status_read_their_serde_and_siak_forms() {
        for j in [JenisKelamin::LakiLaki, JenisKelamin::Perempuan] {
            assert_eq!(JenisKelamin::parse(j.as_str()), Some(j));
            let json = serde_json::to_string(&j).unwrap();
            assert_eq!(json, format!("\"{}\"", j.as_str()));
        }
        assert_eq!(
            JenisKelamin::parse("LAKI-LAKI"),
            Some(JenisKelamin::LakiLaki)
        );
        assert_eq!(
            JenisKelamin::parse(" Perempuan"),
            Some(JenisKelamin::Perempuan)
        );
        assert_eq!(JenisKelamin::parse("2"), Some(JenisKelamin::Perempuan));
        assert_eq!(JenisKelamin::parse("wanita"), None);
        for (i, s) in StatusPerkawinan::SEMUA.into_iter().enumerate() {
            assert_eq!(StatusPerkawinan::parse(s.as_str()), Some(s));
            assert_eq!(StatusPerkawinan::parse(&(i + 1).to_string()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(
            StatusPerkawinan::parse("BELUM KAWIN"),
            Some(StatusPerkawinan::BelumKawin)
        );
        assert_eq!(
            StatusPerkawinan::parse("cerai  mati"),
            Some(StatusPerkawinan::CeraiMati)
        );
        assert_eq!(StatusPerkawinan::parse("5"), None);
        assert_eq!(StatusPerkawinan::parse("janda"), None);
    }

    #[test]
    fn valid_record_passes_and_round_trips() {
        let p = sample();
        assert_eq!(p.validate(today()), Ok(()));
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"jenis_kelamin\":\"perempuan\""));
        assert!(json.contains("\"status_perkawinan\":\"belum_kawin\""));
        assert_eq!(serde_json::from_str::<Penduduk>(&json).unwrap(), p);
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut p = sample();
        p.nama = "  ".into();
        assert_eq!(fields(&p), ["nama"]);
        let mut p = sample();
        p.nama = "x".repeat(MAX_NAMA + 1);
        assert_eq!(fields(&p), ["nama"]);
        let mut p = sample();
        p.tempat_lahir = String::new();
        assert_eq!(fields(&p), ["tempat_lahir"]);
        let mut p = sample();
        p.alamat = "a\u{0}b".into();
        assert_eq!(fields(&p), ["alamat"]);
        let mut p = sample();
        p.nagari = String::new();
        assert_eq!(fields(&p), ["nagari"]);
        let mut p = sample();
        p.jenis_kelamin = JenisKelamin::LakiLaki;
        assert_eq!(fields(&p), ["jenis_kelamin"]);
        let mut p = sample();
        p.tanggal_lahir = NaiveDate::from_ymd_opt(2005, 8, 13).unwrap();
        assert_eq!(fields(&p), ["tanggal_lahir"]);
        let mut p = sample();
        p.rt = 0;
        p.rw = 1000;
        assert_eq!(fields(&p), ["rt", "rw"]);
        let mut p = sample();
        p.kecamatan = "131301".parse().unwrap();
        assert_eq!(fields(&p), ["kecamatan"]);
    }

    #[test]
    fn future_and_ancient_birth_dates_rejected() {
        let mut p = sample();
        p.nik = "1301071212270003".parse().unwrap();
        p.jenis_kelamin = JenisKelamin::LakiLaki;
        p.tanggal_lahir = NaiveDate::from_ymd_opt(2027, 12, 12).unwrap();
        assert_eq!(fields(&p), ["tanggal_lahir"]);
        p.tanggal_lahir = NaiveDate::from_ymd_opt(1827, 12, 12).unwrap();
        assert_eq!(fields(&p), ["tanggal_lahir"]);
        p.tanggal_lahir = NaiveDate::from_ymd_opt(1927, 12, 12).unwrap();
        assert_eq!(fields(&p), Vec::<&str>::new());
    }

    #[test]
    fn pernah_kawin() {
        assert!(!StatusPerkawinan::BelumKawin.pernah_kawin());
        assert!(StatusPerkawinan::Kawin.pernah_kawin());
        assert!(StatusPerkawinan::CeraiHidup.pernah_kawin());
        assert!(StatusPerkawinan::CeraiMati.pernah_kawin());
    }
}
