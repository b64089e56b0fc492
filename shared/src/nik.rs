//! NIK (Nomor Induk Kependudukan): the 16-digit population identity number every resident has,
//! printed on the KK and the KTP-el. Layout:
//!
//! ```text
//!  13 01 07  52 08 05  0003
//!  PP KK CC  DD MM YY  SSSS
//!  │  │  │   │  │  │   └ serial (nomor urut), 0001..9999
//!  │  │  │   │  │  └ year of birth, two digits
//!  │  │  │   │  └ month of birth
//!  │  │  │   └ day of birth, plus 40 for women (52 = the 12th, female)
//!  └──┴──┴ region code (kode wilayah) where the NIK was issued
//! ```
//!
//! [`Nik::from_str`] checks the structure, the region (against the built-in
//! [`RegionDirectory`]), that the day/month is a real date in at
//! least one century and that the serial is not 0000. The century is not in the NIK: resolve it
//! with [`Nik::tanggal_lahir`] against a reference date (born no later than the reference date).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::penduduk::JenisKelamin;
use crate::region::{self, KodeKecamatan, RegionDirectory, RegionError};

/// A valid NIK. Serialized as its 16-digit string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nik {
    wilayah: KodeKecamatan,
    /// Day of birth without the +40 offset (1..=31).
    hari: u8,
    bulan: u8,
    tahun: u8,
    jenis_kelamin: JenisKelamin,
    nomor_urut: u16,
}

/// Why a string is not a valid NIK (or a date/serial cannot be encoded into one).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NikError {
    /// Not exactly 16 characters.
    #[error("NIK harus 16 angka, bukan {found}")]
    Length {
        /// Number of characters found.
        found: usize,
    },
    /// A character that is not an ASCII digit.
    #[error("NIK hanya boleh berisi angka (karakter ke-{position} bukan angka)")]
    NonDigit {
        /// 1-based position of the first offending character.
        position: usize,
    },
    /// The region code (first 6 digits) is not a known region.
    #[error("kode wilayah NIK tidak dikenal: {0}")]
    UnknownRegion(RegionError),
    /// The region part has a `00` component.
    #[error("kode wilayah NIK tidak sah")]
    InvalidRegion,
    /// Day/month (after removing the +40 for women) is not a date in any century.
    #[error(
        "tanggal lahir pada NIK tidak mungkin: hari {hari:02}, bulan {bulan:02}, tahun {tahun:02}"
    )]
    ImpossibleDate {
        /// Day field as written (with +40 for women).
        hari: u8,
        /// Month field.
        bulan: u8,
        /// Two-digit year field.
        tahun: u8,
    },
    /// The serial (last 4 digits) is 0000.
    #[error("nomor urut NIK tidak boleh 0000")]
    ZeroSerial,
    /// The serial does not fit 4 digits (encoding only).
    #[error("nomor urut NIK harus 1..9999")]
    SerialOutOfRange,
    /// The birth date cannot be placed no later than the reference date within 100 years
    /// (only 29 February of a non-leap century can do that).
    #[error("tanggal lahir pada NIK tidak dapat ditentukan terhadap tanggal acuan {acuan}")]
    UnresolvableBirthDate {
        /// The reference date.
        acuan: NaiveDate,
    },
}

impl Nik {
    /// Encodes a NIK from its parts (for demo data and round trips). The region is checked
    /// against the built-in directory.
    pub fn from_parts(
        wilayah: KodeKecamatan,
        tanggal_lahir: NaiveDate,
        jenis_kelamin: JenisKelamin,
        nomor_urut: u16,
    ) -> Result<Nik, NikError> {
        Self::from_parts_in(
            region::builtin(),
            wilayah,
            tanggal_lahir,
            jenis_kelamin,
            nomor_urut,
        )
    }

    /// Like [`Nik::from_parts`] with a caller-supplied region directory.
    pub fn from_parts_in(
        dir: &RegionDirectory,
        wilayah: KodeKecamatan,
        tanggal_lahir: NaiveDate,
        jenis_kelamin: JenisKelamin,
        nomor_urut: u16,
    ) -> Result<Nik, NikError> {
        dir.check(wilayah).map_err(NikError::UnknownRegion)?;
        if nomor_urut == 0 {
            return Err(NikError::ZeroSerial);
        }
        if nomor_urut > 9999 {
            return Err(NikError::SerialOutOfRange);
        }
        Ok(Nik {
            wilayah,
            hari: tanggal_lahir.day() as u8,
            bulan: tanggal_lahir.month() as u8,
            tahun: tanggal_lahir.year().rem_euclid(100) as u8,
            jenis_kelamin,
            nomor_urut,
        })
    }

    /// Parses a NIK, checking the region against `dir` instead of the built-in directory.
    pub fn parse_in(s: &str, dir: &RegionDirectory) -> Result<Nik, NikError> {
        let d = digits16(s).map_err(|e| match e {
            DigitsError::Length(found) => NikError::Length { found },
            DigitsError::NonDigit(position) => NikError::NonDigit { position },
        })?;
        let two = |i: usize| d[i] * 10 + d[i + 1];
        let wilayah =
            KodeKecamatan::new(two(0), two(2), two(4)).map_err(|_| NikError::InvalidRegion)?;
        dir.check(wilayah).map_err(NikError::UnknownRegion)?;
        let (hari_raw, bulan, tahun) = (two(6), two(8), two(10));
        let (hari, jenis_kelamin) = if hari_raw > 40 {
            (hari_raw - 40, JenisKelamin::Perempuan)
        } else {
            (hari_raw, JenisKelamin::LakiLaki)
        };
        if !date_exists_in_some_century(hari, bulan, tahun) {
            return Err(NikError::ImpossibleDate {
                hari: hari_raw,
                bulan,
                tahun,
            });
        }
        let nomor_urut =
            d[12] as u16 * 1000 + d[13] as u16 * 100 + d[14] as u16 * 10 + d[15] as u16;
        if nomor_urut == 0 {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik {
            wilayah,
            hari,
            bulan,
            tahun,
            jenis_kelamin,
            nomor_urut,
        })
    }

    /// Region code where the NIK was issued (first 6 digits).
    pub fn wilayah(&self) -> KodeKecamatan {
        self.wilayah
    }
    /// Sex encoded in the day field.
    pub fn jenis_kelamin(&self) -> JenisKelamin {
        self.jenis_kelamin
    }
    /// Day of birth (1..=31, without the +40).
    pub fn hari_lahir(&self) -> u8 {
        self.hari
    }
    /// Month of birth (1..=12).
    pub fn bulan_lahir(&self) -> u8 {
        self.bulan
    }
    /// Two-digit year of birth (0..=99).
    pub fn tahun_lahir_dua_digit(&self) -> u8 {
        self.tahun
    }
    /// Serial (1..=9999).
    pub fn nomor_urut(&self) -> u16 {
        self.nomor_urut
    }

    /// The birth date, with the century resolved against `acuan` (the reference date, usually
    /// today): the latest date with these day/month/two-digit-year that is no later than
    /// `acuan` and less than 100 years before it.
    pub fn tanggal_lahir(&self, acuan: NaiveDate) -> Result<NaiveDate, NikError> {
        resolve_century(self.hari, self.bulan, self.tahun, acuan)
            .ok_or(NikError::UnresolvableBirthDate { acuan })
    }

    /// Whether this NIK's encoded birth day/month/two-digit year and sex match a full date and
    /// sex (as written in the other fields of a record).
    pub fn cocok_dengan(&self, tanggal_lahir: NaiveDate, jenis_kelamin: JenisKelamin) -> bool {
        self.hari as u32 == tanggal_lahir.day()
            && self.bulan as u32 == tanggal_lahir.month()
            && self.tahun as i32 == tanggal_lahir.year().rem_euclid(100)
            && self.jenis_kelamin == jenis_kelamin
    }
}

/// The latest date with this day, month and two-digit year in the window
/// `(acuan - 100 years, acuan]`, if any (only a 29 February can have none).
pub(crate) fn resolve_century(hari: u8, bulan: u8, yy: u8, acuan: NaiveDate) -> Option<NaiveDate> {
    let y = acuan.year();
    let lo = acuan
        .with_year(y - 100)
        .or_else(|| NaiveDate::from_ymd_opt(y - 100, 2, 28))?;
    // Largest year <= acuan.year with year % 100 == yy, then the century before.
    let latest = y - (y - yy as i32).rem_euclid(100);
    [latest, latest - 100].into_iter().find_map(|year| {
        NaiveDate::from_ymd_opt(year, bulan as u32, hari as u32).filter(|d| *d <= acuan && *d > lo)
    })
}

/// Whether day/month exists for two-digit year `yy` in the 1900s or the 2000s.
pub(crate) fn date_exists_in_some_century(hari: u8, bulan: u8, yy: u8) -> bool {
    [1900, 2000]
        .iter()
        .any(|c| NaiveDate::from_ymd_opt(c + yy as i32, bulan as u32, hari as u32).is_some())
}

pub(crate) enum DigitsError {
    Length(usize),
    NonDigit(usize),
}

/// Splits a 16-digit string into its digit values.
pub(crate) fn digits16(s: &str) -> Result<[u8; 16], DigitsError> {
    let n = s.chars().count();
    if n != 16 {
        return Err(DigitsError::Length(n));
    }
    let mut out = [0u8; 16];
    for (i, c) in s.chars().enumerate() {
        match c.to_digit(10) {
            Some(v) if c.is_ascii_digit() => out[i] = v as u8,
            _ => return Err(DigitsError::NonDigit(i + 1)),
        }
    }
    Ok(out)
}

impl fmt::Display for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hari = match self.jenis_kelamin {
            JenisKelamin::LakiLaki => self.hari,
            JenisKelamin::Perempuan => self.hari + 40,
        };
        write!(
            f,
            "{}{:02}{:02}{:02}{:04}",
            self.wilayah, hari, self.bulan, self.tahun, self.nomor_urut
        )
    }
}

impl fmt::Debug for Nik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({self})")
    }
}

impl FromStr for Nik {
    type Err = NikError;
    /// Parses and validates against the built-in region directory.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nik::parse_in(s, region::builtin())
    }
}

impl Serialize for Nik {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Nik {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_a_woman_born_in_pesisir_selatan() {
        let nik: Nik = "1301075208050003".parse().unwrap();
        assert_eq!(nik.wilayah().to_string(), "130107");
        assert_eq!(nik.jenis_kelamin(), JenisKelamin::Perempuan);
        assert_eq!(nik.hari_lahir(), 12);
        assert_eq!(nik.bulan_lahir(), 8);
        assert_eq!(nik.nomor_urut(), 3);
        assert_eq!(
            nik.tanggal_lahir(date(2026, 11, 25)).unwrap(),
            date(2005, 8, 12)
        );
        assert_eq!(nik.to_string(), "1301075208050003");
    }

    #[test]
    fn parses_a_man_and_resolves_century() {
        let nik: Nik = "1301011203480001".parse().unwrap();
        assert_eq!(nik.jenis_kelamin(), JenisKelamin::LakiLaki);
        assert_eq!(
            nik.tanggal_lahir(date(2026, 11, 25)).unwrap(),
            date(1948, 3, 12)
        );
        // Born "26", reference in 2026 before the birthday: must be 1926.
        let nik: Nik = "1301012612260001".parse().unwrap();
        assert_eq!(
            nik.tanggal_lahir(date(2026, 11, 25)).unwrap(),
            date(1926, 12, 26)
        );
        assert_eq!(
            nik.tanggal_lahir(date(2026, 12, 26)).unwrap(),
            date(2026, 12, 26)
        );
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!("".parse::<Nik>(), Err(NikError::Length { found: 0 }));
        assert_eq!(
            "130107520805000".parse::<Nik>(),
            Err(NikError::Length { found: 15 })
        );
        assert_eq!(
            "13010752080500031".parse::<Nik>(),
            Err(NikError::Length { found: 17 })
        );
    }

    #[test]
    fn rejects_non_digits() {
        assert_eq!(
            "13010752080500O3".parse::<Nik>(),
            Err(NikError::NonDigit { position: 15 })
        );
        assert_eq!(
            " 301075208050003".parse::<Nik>(),
            Err(NikError::NonDigit { position: 1 })
        );
        // Non-ASCII digits are not digits.
        assert_eq!(
            "١301075208050003".parse::<Nik>(),
            Err(NikError::NonDigit { position: 1 })
        );
    }

    #[test]
    fn rejects_unknown_region() {
        assert!(matches!(
            "2001015208050003".parse::<Nik>(),
            Err(NikError::UnknownRegion(RegionError::UnknownProvinsi {
                provinsi: 20
            }))
        ));
        assert!(matches!(
            "1330015208050003".parse::<Nik>(),
            Err(NikError::UnknownRegion(
                RegionError::UnknownKabupaten { .. }
            ))
        ));
        assert!(matches!(
            "1301165208050003".parse::<Nik>(),
            Err(NikError::UnknownRegion(RegionError::UnknownKecamatan(_)))
        ));
        assert_eq!(
            "0001015208050003".parse::<Nik>(),
            Err(NikError::InvalidRegion)
        );
        // A resident who moved in from Jawa Barat is fine.
        assert!("3201015208050003".parse::<Nik>().is_ok());
    }

    #[test]
    fn rejects_impossible_dates() {
        for (s, hari, bulan) in [
            ("1301013208050003", 32, 8),  // day 32
            ("1301010008050003", 0, 8),   // day 0
            ("1301014008050003", 40, 8),  // female day 0
            ("1301017208050003", 72, 8),  // female day 32
            ("1301011513050003", 15, 13), // month 13
            ("1301011500050003", 15, 0),  // month 0
            ("1301013104050003", 31, 4),  // 31 April
            ("1301013002050003", 30, 2),  // 30 February
            ("1301012902010003", 29, 2),  // 29 Feb in 1901 and 2001
        ] {
            assert_eq!(
                s.parse::<Nik>(),
                Err(NikError::ImpossibleDate {
                    hari,
                    bulan,
                    tahun: s[10..12].parse().unwrap()
                }),
                "{s}"
            );
        }
        // 29 February 2000 / 1900: exists in 2000.
        let nik: Nik = "1301016902000003".parse().unwrap();
        assert_eq!(
            nik.tanggal_lahir(date(2026, 1, 1)).unwrap(),
            date(2000, 2, 29)
        );
        // ... but not before 2000 and not in 1900 either.
        assert_eq!(
            nik.tanggal_lahir(date(1999, 1, 1)),
            Err(NikError::UnresolvableBirthDate {
                acuan: date(1999, 1, 1)
            })
        );
    }

    #[test]
    fn rejects_zero_serial() {
        assert_eq!("1301075208050000".parse::<Nik>(), Err(NikError::ZeroSerial));
        assert_eq!(
            Nik::from_parts(
                "130101".parse().unwrap(),
                date(2000, 1, 1),
                JenisKelamin::LakiLaki,
                0
            ),
            Err(NikError::ZeroSerial)
        );
        assert_eq!(
            Nik::from_parts(
                "130101".parse().unwrap(),
                date(2000, 1, 1),
                JenisKelamin::LakiLaki,
                10_000
            ),
            Err(NikError::SerialOutOfRange)
        );
    }

    #[test]
    fn encode_round_trip_and_serde() {
        let nik = Nik::from_parts(
            "130115".parse().unwrap(),
            date(1987, 2, 3),
            JenisKelamin::Perempuan,
            42,
        )
        .unwrap();
        assert_eq!(nik.to_string(), "1301154302870042");
        assert!(nik.cocok_dengan(date(1987, 2, 3), JenisKelamin::Perempuan));
        assert!(!nik.cocok_dengan(date(1987, 2, 3), JenisKelamin::LakiLaki));
        let json = serde_json::to_string(&nik).unwrap();
        assert_eq!(json, "\"1301154302870042\"");
        assert_eq!(serde_json::from_str::<Nik>(&json).unwrap(), nik);
        assert!(serde_json::from_str::<Nik>("\"1301154302870000\"").is_err());
    }
}
