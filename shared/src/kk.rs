//! No. KK (Nomor Kartu Keluarga): the 16-digit number of a family card. Layout: region code
//! where the card was issued (6 digits, `PP.KK.CC`), issue date `DDMMYY` (no +40 offset), serial
//! (4 digits, not 0000). Parsing reuses the NIK's digit and region checks.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::nik::{DigitsError, date_exists_in_some_century, digits16, resolve_century};
use crate::region::{self, KodeKecamatan, RegionDirectory, RegionError};

/// A valid family card number. Serialized as its 16-digit string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NomorKk {
    wilayah: KodeKecamatan,
    hari: u8,
    bulan: u8,
    tahun: u8,
    nomor_urut: u16,
}

/// Why a string is not a valid No. KK.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum KkError {
    /// Not exactly 16 characters.
    #[error("No. KK harus 16 angka, bukan {found}")]
    Length {
        /// Number of characters found.
        found: usize,
    },
    /// A character that is not an ASCII digit.
    #[error("No. KK hanya boleh berisi angka (karakter ke-{position} bukan angka)")]
    NonDigit {
        /// 1-based position of the first offending character.
        position: usize,
    },
    /// The region code is not a known region.
    #[error("kode wilayah No. KK tidak dikenal: {0}")]
    UnknownRegion(RegionError),
    /// The region part has a `00` component.
    #[error("kode wilayah No. KK tidak sah")]
    InvalidRegion,
    /// The issue date is not a date in any century.
    #[error("tanggal terbit pada No. KK tidak mungkin: {hari:02}-{bulan:02}-{tahun:02}")]
    ImpossibleDate {
        /// Day field.
        hari: u8,
        /// Month field.
        bulan: u8,
        /// Two-digit year field.
        tahun: u8,
    },
    /// The serial is 0000.
    #[error("nomor urut No. KK tidak boleh 0000")]
    ZeroSerial,
    /// The serial does not fit 4 digits (encoding only).
    #[error("nomor urut No. KK harus 1..9999")]
    SerialOutOfRange,
}

impl NomorKk {
    /// Encodes a No. KK from its parts.
    pub fn from_parts(
        wilayah: KodeKecamatan,
        tanggal_terbit: NaiveDate,
        nomor_urut: u16,
    ) -> Result<NomorKk, KkError> {
        region::builtin()
            .check(wilayah)
            .map_err(KkError::UnknownRegion)?;
        if nomor_urut == 0 {
            return Err(KkError::ZeroSerial);
        }
        if nomor_urut > 9999 {
            return Err(KkError::SerialOutOfRange);
        }
        Ok(NomorKk {
            wilayah,
            hari: tanggal_terbit.day() as u8,
            bulan: tanggal_terbit.month() as u8,
            tahun: tanggal_terbit.year().rem_euclid(100) as u8,
            nomor_urut,
        })
    }

    /// Parses a No. KK, checking the region against `dir`.
    pub fn parse_in(s: &str, dir: &RegionDirectory) -> Result<NomorKk, KkError> {
        let d = digits16(s).map_err(|e| match e {
            DigitsError::Length(found) => KkError::Length { found },
            DigitsError::NonDigit(position) => KkError::NonDigit { position },
        })?;
        let two = |i: usize| d[i] * 10 + d[i + 1];
        let wilayah =
            KodeKecamatan::new(two(0), two(2), two(4)).map_err(|_| KkError::InvalidRegion)?;
        dir.check(wilayah).map_err(KkError::UnknownRegion)?;
        let (hari, bulan, tahun) = (two(6), two(8), two(10));
        if !date_exists_in_some_century(hari, bulan, tahun) {
            return Err(KkError::ImpossibleDate { hari, bulan, tahun });
        }
        let nomor_urut =
            d[12] as u16 * 1000 + d[13] as u16 * 100 + d[14] as u16 * 10 + d[15] as u16;
        if nomor_urut == 0 {
            return Err(KkError::ZeroSerial);
        }
        Ok(NomorKk {
            wilayah,
            hari,
            bulan,
            tahun,
            nomor_urut,
        })
    }

    /// Region code where the card was issued.
    pub fn wilayah(&self) -> KodeKecamatan {
        self.wilayah
    }
    /// Serial (1..=9999).
    pub fn nomor_urut(&self) -> u16 {
        self.nomor_urut
    }
    /// The issue date, century resolved against `acuan` (no later than it); `None` only for a
    /// 29 February that fits no year in the window.
    pub fn tanggal_terbit(&self, acuan: NaiveDate) -> Option<NaiveDate> {
        resolve_century(self.hari, self.bulan, self.tahun, acuan)
    }
}

impl fmt::Display for NomorKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}{:02}{:02}{:04}",
            self.wilayah, self.hari, self.bulan, self.tahun, self.nomor_urut
        )
    }
}

impl fmt::Debug for NomorKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NomorKk({self})")
    }
}

impl FromStr for NomorKk {
    type Err = KkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NomorKk::parse_in(s, region::builtin())
    }
}

impl Serialize for NomorKk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NomorKk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let kk: NomorKk = "1301071504190007".parse().unwrap();
        assert_eq!(kk.wilayah().dotted(), "13.01.07");
        assert_eq!(kk.nomor_urut(), 7);
        let acuan = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            kk.tanggal_terbit(acuan),
            NaiveDate::from_ymd_opt(2019, 4, 15)
        );
        assert_eq!(kk.to_string(), "1301071504190007");
        let again = NomorKk::from_parts(kk.wilayah(), kk.tanggal_terbit(acuan).unwrap(), 7);
        assert_eq!(again, Ok(kk));
        let json = serde_json::to_string(&kk).unwrap();
        assert_eq!(serde_json::from_str::<NomorKk>(&json).unwrap(), kk);
    }

    #[test]
    fn every_rejection_is_named() {
        assert_eq!("123".parse::<NomorKk>(), Err(KkError::Length { found: 3 }));
        assert_eq!(
            "130107150419000x".parse::<NomorKk>(),
            Err(KkError::NonDigit { position: 16 })
        );
        assert!(matches!(
            "9901071504190007".parse::<NomorKk>(),
            Err(KkError::UnknownRegion(_))
        ));
        assert_eq!(
            "1300071504190007".parse::<NomorKk>(),
            Err(KkError::InvalidRegion)
        );
        // No +40 offset on a KK: day 55 is impossible.
        assert_eq!(
            "1301075504190007".parse::<NomorKk>(),
            Err(KkError::ImpossibleDate {
                hari: 55,
                bulan: 4,
                tahun: 19
            })
        );
        assert_eq!(
            "1301071504190000".parse::<NomorKk>(),
            Err(KkError::ZeroSerial)
        );
        let d = NaiveDate::from_ymd_opt(2019, 4, 15).unwrap();
        assert_eq!(
            NomorKk::from_parts("130107".parse().unwrap(), d, 0),
            Err(KkError::ZeroSerial)
        );
        assert_eq!(
            NomorKk::from_parts("130107".parse().unwrap(), d, 10_000),
            Err(KkError::SerialOutOfRange)
        );
    }
}
