//! The range (rentang) and export choice of a statistics page, from its query string:
//! `?rentang=hari_ini|minggu_ini|bulan_ini` or a chosen range `?dari=YYYY-MM-DD&sampai=YYYY-MM-DD`
//! (local WIB days, both included), plus `format=csv|xlsx` and `tabel=ID` for the exports.
//! Bad input is a 400 whose JSON body names the field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::ekspor::Format;
use super::sesi::json_error;
use super::teks_dasbor::TeksDasbor;
use crate::statistik::kueri::Rentang;

/// Refused input: a 400 whose JSON body names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolak {
    /// What is wrong, in Indonesian.
    pub pesan: &'static str,
    /// The field.
    pub field: &'static str,
}

impl IntoResponse for Tolak {
    fn into_response(self) -> Response {
        json_error(StatusCode::BAD_REQUEST, self.pesan, self.field)
    }
}

fn tolak(pesan: &'static str, field: &'static str) -> Tolak {
    Tolak { pesan, field }
}

/// Longest chosen range, in days (the trend has one point per day).
pub const MAKS_HARI: i64 = 731;

/// The query string of a statistics page (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pilihan {
    /// `hari_ini`, `minggu_ini` or `bulan_ini` (default).
    pub rentang: Option<String>,
    /// First day of a chosen range.
    pub dari: Option<String>,
    /// Last day of a chosen range.
    pub sampai: Option<String>,
    /// `csv` or `xlsx` for an export.
    pub format: Option<String>,
    /// Which table to export as CSV.
    pub tabel: Option<String>,
}

/// Today in WIB.
pub fn hari_ini() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&crate::statistik::baris::zona())
        .date_naive()
}

fn tanggal(field: &'static str, v: &str) -> Result<NaiveDate, Tolak> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .ok()
        .filter(|_| v.trim().len() == 10)
        .ok_or_else(|| tolak("tanggal harus YYYY-MM-DD", field))
}

impl Pilihan {
    /// The range asked for, relative to `hari` (today).
    pub fn rentang(&self, hari: NaiveDate) -> Result<Rentang, Tolak> {
        let dari = self.dari.as_deref().filter(|s| !s.trim().is_empty());
        let sampai = self.sampai.as_deref().filter(|s| !s.trim().is_empty());
        match (dari, sampai) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(tolak("sampai wajib diisi", "sampai"));
            }
            (None, Some(_)) => {
                return Err(tolak("dari wajib diisi", "dari"));
            }
            (Some(a), Some(b)) => {
                let dari = tanggal("dari", a)?;
                let sampai = tanggal("sampai", b)?;
                if sampai < dari {
                    return Err(tolak("sampai tidak boleh sebelum dari", "sampai"));
                }
                if (sampai - dari).num_days() >= MAKS_HARI {
                    return Err(tolak("rentang paling panjang 731 hari", "sampai"));
                }
                return Ok(Rentang { dari, sampai });
            }
        }
        match self.rentang.as_deref().unwrap_or("bulan_ini") {
            "hari_ini" => Ok(Rentang::hari_ini(hari)),
            "minggu_ini" => Ok(Rentang::minggu_ini(hari)),
            "bulan_ini" | "" => Ok(Rentang::bulan_ini(hari)),
            _ => Err(tolak(
                "rentang harus hari_ini, minggu_ini atau bulan_ini",
                "rentang",
            )),
        }
    }

    /// The export format asked for.
    pub fn format(&self) -> Result<Format, Tolak> {
        Format::dari(self.format.as_deref())
    }

    /// What a statistics page's handler reads first: the range (relative to today, WIB) and
    /// the format.
    pub fn baca(&self) -> Result<(Rentang, Format), Tolak> {
        Ok((self.rentang(hari_ini())?, self.format()?))
    }
}

/// The range selector of a page at `aksi`: today, this week, this month, or a chosen range.
pub fn pemilih(d: &TeksDasbor, aksi: &str, r: &Rentang) -> Markup {
    html! {
        nav.rentang {
            span { (d.rentang) ": " strong #rentang-aktif { (r.dari) " – " (r.sampai) } }
            a href={ (aksi) "?rentang=hari_ini" } { (d.hari_ini) }
            a href={ (aksi) "?rentang=minggu_ini" } { (d.minggu_ini) }
            a href={ (aksi) "?rentang=bulan_ini" } { (d.bulan_ini) }
            form.rentang method="get" action=(aksi) {
                label for="dari" { (d.dari) }
                input #dari type="date" name="dari" value=(r.dari);
                label for="sampai" { (d.sampai) }
                input #sampai type="date" name="sampai" value=(r.sampai);
                button type="submit" { (d.tampilkan) }
            }
        }
    }
}

/// The query string that shows range `r` again (for the export links).
pub fn query(r: &Rentang) -> String {
    format!("dari={}&sampai={}", r.dari, r.sampai)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(dari: Option<&str>, sampai: Option<&str>, rentang: Option<&str>) -> Pilihan {
        Pilihan {
            rentang: rentang.map(String::from),
            dari: dari.map(String::from),
            sampai: sampai.map(String::from),
            ..Pilihan::default()
        }
    }

    fn field(r: Tolak) -> String {
        let r = r.into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let b = futures_body(r);
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        v["field"].as_str().unwrap().to_owned()
    }

    fn futures_body(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            axum::body::to_bytes(r.into_body(), 1 << 16)
                .await
                .unwrap()
                .to_vec()
        })
    }

    #[test]
    fn ranges_and_bad_dates() {
        let h = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            p(None, None, None).rentang(h).unwrap(),
            Rentang::bulan_ini(h)
        );
        assert_eq!(
            p(None, None, Some("hari_ini")).rentang(h).unwrap(),
            Rentang::hari_ini(h)
        );
        assert_eq!(
            p(Some("2026-11-01"), Some("2026-11-30"), Some("hari_ini"))
                .rentang(h)
                .unwrap(),
            Rentang {
                dari: d("2026-11-01"),
                sampai: d("2026-11-30")
            }
        );
        assert_eq!(
            field(
                p(Some("2026-13-01"), Some("2026-11-30"), None)
                    .rentang(h)
                    .unwrap_err()
            ),
            "dari"
        );
        assert_eq!(
            field(
                p(Some("2026-11-01"), Some("30/11/2026"), None)
                    .rentang(h)
                    .unwrap_err()
            ),
            "sampai"
        );
        assert_eq!(
            field(p(Some("2026-11-01"), None, None).rentang(h).unwrap_err()),
            "sampai"
        );
        assert_eq!(
            field(
                p(Some("2026-11-02"), Some("2026-11-01"), None)
                    .rentang(h)
                    .unwrap_err()
            ),
            "sampai"
        );
        assert_eq!(
            field(p(None, None, Some("tahun_ini")).rentang(h).unwrap_err()),
            "rentang"
        );
    }
}
