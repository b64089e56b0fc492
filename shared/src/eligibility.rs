//! Eligibility (kelayakan) for e-KTP recording, as the SOP's "Peringatan" states it: recording
//! is required for residents aged 17 or over, or under 17 but married or ever married (status
//! perkawinan kawin, cerai hidup, cerai mati). Everyone else is not eligible yet, and the answer
//! says when they will be.
//!
//! Age is counted in whole years: a resident turns 17 on the 17th anniversary of the birth date;
//! someone born on 29 February turns 17 on 1 March in a non-leap year.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::penduduk::{Penduduk, StatusPerkawinan};

/// Minimum age for recording.
pub const UMUR_WAJIB_KTP: u32 = 17;

/// Why a resident is eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlasanLayak {
    /// Aged 17 or over.
    Umur,
    /// Under 17 but married or ever married.
    PernahKawin,
}

/// The answer of the eligibility rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hasil", rename_all = "snake_case")]
pub enum Kelayakan {
    /// Eligible for recording.
    Layak {
        /// Age in whole years at the checked date.
        umur: u32,
        /// Why.
        alasan: AlasanLayak,
    },
    /// Not eligible yet: under 17 and never married.
    BelumLayak {
        /// Age in whole years at the checked date.
        umur: u32,
        /// The date the resident turns 17 (eligible from then on).
        layak_pada: NaiveDate,
    },
}

impl Kelayakan {
    /// Whether eligible.
    pub fn layak(&self) -> bool {
        matches!(self, Kelayakan::Layak { .. })
    }
}

/// The rule cannot be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum EligibilityError {
    /// The birth date is after the checked date.
    #[error("tanggal lahir {tanggal_lahir} di masa depan (tanggal periksa {pada})")]
    TanggalLahirDiMasaDepan {
        /// The birth date.
        tanggal_lahir: NaiveDate,
        /// The checked date.
        pada: NaiveDate,
    },
}

/// The date a person born on `lahir` reaches `tahun` whole years (29 Feb -> 1 Mar in non-leap
/// years). `None` only beyond chrono's date range.
pub fn ulang_tahun_ke(lahir: NaiveDate, tahun: u32) -> Option<NaiveDate> {
    let y = lahir.year().checked_add(i32::try_from(tahun).ok()?)?;
    NaiveDate::from_ymd_opt(y, lahir.month(), lahir.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))
}

/// Age in whole years on `pada` of a person born on `lahir` (`lahir <= pada`).
pub fn umur(lahir: NaiveDate, pada: NaiveDate) -> u32 {
    let mut age = (pada.year() - lahir.year()).max(0) as u32;
    while age > 0 && ulang_tahun_ke(lahir, age).is_none_or(|d| d > pada) {
        age -= 1;
    }
    age
}

/// Evaluates the rule for a birth date and marital status at date `pada`.
pub fn periksa(
    tanggal_lahir: NaiveDate,
    status: StatusPerkawinan,
    pada: NaiveDate,
) -> Result<Kelayakan, EligibilityError> {
    if tanggal_lahir > pada {
        return Err(EligibilityError::TanggalLahirDiMasaDepan {
            tanggal_lahir,
            pada,
        });
    }
    let u = umur(tanggal_lahir, pada);
    Ok(if u >= UMUR_WAJIB_KTP {
        Kelayakan::Layak {
            umur: u,
            alasan: AlasanLayak::Umur,
        }
    } else if status.pernah_kawin() {
        Kelayakan::Layak {
            umur: u,
            alasan: AlasanLayak::PernahKawin,
        }
    } else {
        Kelayakan::BelumLayak {
            umur: u,
            // u < 17 and tanggal_lahir is a valid date, so the 17th birthday is representable.
            layak_pada: ulang_tahun_ke(tanggal_lahir, UMUR_WAJIB_KTP).unwrap_or(NaiveDate::MAX),
        }
    })
}

/// Evaluates the rule for a resident record.
pub fn periksa_penduduk(p: &Penduduk, pada: NaiveDate) -> Result<Kelayakan, EligibilityError> {
    periksa(p.tanggal_lahir, p.status_perkawinan, pada)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn seventeen_on_the_birthday_not_the_day_before() {
        let lahir = d(2009, 11, 25);
        assert_eq!(
            periksa(lahir, StatusPerkawinan::BelumKawin, d(2026, 11, 25)),
            Ok(Kelayakan::Layak {
                umur: 17,
                alasan: AlasanLayak::Umur
            })
        );
        assert_eq!(
            periksa(lahir, StatusPerkawinan::BelumKawin, d(2026, 11, 24)),
            Ok(Kelayakan::BelumLayak {
                umur: 16,
                layak_pada: d(2026, 11, 25)
            })
        );
    }

    #[test]
    fn older_residents_are_eligible_whatever_the_status() {
        for s in [
            StatusPerkawinan::BelumKawin,
            StatusPerkawinan::Kawin,
            StatusPerkawinan::CeraiHidup,
            StatusPerkawinan::CeraiMati,
        ] {
            let k = periksa(d(1960, 5, 1), s, d(2026, 11, 25)).unwrap();
            assert_eq!(
                k,
                Kelayakan::Layak {
                    umur: 66,
                    alasan: AlasanLayak::Umur
                }
            );
        }
    }

    #[test]
    fn under_seventeen_married_or_ever_married_is_eligible() {
        let lahir = d(2010, 6, 1);
        let pada = d(2026, 11, 25);
        for s in [
            StatusPerkawinan::Kawin,
            StatusPerkawinan::CeraiHidup,
            StatusPerkawinan::CeraiMati,
        ] {
            assert_eq!(
                periksa(lahir, s, pada),
                Ok(Kelayakan::Layak {
                    umur: 16,
                    alasan: AlasanLayak::PernahKawin
                }),
                "{s:?}"
            );
        }
        let k = periksa(lahir, StatusPerkawinan::BelumKawin, pada).unwrap();
        assert!(!k.layak());
        assert_eq!(
            k,
            Kelayakan::BelumLayak {
                umur: 16,
                layak_pada: d(2027, 6, 1)
            }
        );
    }

    #[test]
    fn leap_day_birthdays() {
        let lahir = d(2008, 2, 29);
        // 2025 is not a leap year: 17 on 1 March 2025.
        assert_eq!(
            periksa(lahir, StatusPerkawinan::BelumKawin, d(2025, 2, 28)),
            Ok(Kelayakan::BelumLayak {
                umur: 16,
                layak_pada: d(2025, 3, 1)
            })
        );
        assert!(
            periksa(lahir, StatusPerkawinan::BelumKawin, d(2025, 3, 1))
                .unwrap()
                .layak()
        );
        assert_eq!(umur(d(2008, 2, 29), d(2028, 2, 29)), 20);
        assert_eq!(umur(d(2008, 2, 29), d(2028, 2, 28)), 19);
    }

    #[test]
    fn newborn_and_future_birth_dates() {
        assert_eq!(
            periksa(
                d(2026, 11, 25),
                StatusPerkawinan::BelumKawin,
                d(2026, 11, 25)
            ),
            Ok(Kelayakan::BelumLayak {
                umur: 0,
                layak_pada: d(2043, 11, 25)
            })
        );
        assert_eq!(
            periksa(d(2026, 11, 26), StatusPerkawinan::Kawin, d(2026, 11, 25)),
            Err(EligibilityError::TanggalLahirDiMasaDepan {
                tanggal_lahir: d(2026, 11, 26),
                pada: d(2026, 11, 25)
            })
        );
    }

    #[test]
    fn serde_shape() {
        let k = Kelayakan::BelumLayak {
            umur: 16,
            layak_pada: d(2027, 6, 1),
        };
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            r#"{"hasil":"belum_layak","umur":16,"layak_pada":"2027-06-01"}"#
        );
    }
}
