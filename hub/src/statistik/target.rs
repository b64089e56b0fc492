//! Targets: how many residents must hold a KTP-el (wajib KTP-el) per kecamatan, and per nagari
//! where known, per year; imported from a CSV file (`rekam-hub target import FILE.csv`, format
//! in `docs/dashboard-data.md`), and the rating bands coverage is shown with ([`Peringkat`]).
//!
//! [`baca_csv`] checks the whole file before anything is stored: one bad row and nothing is
//! imported, with a message naming every bad line and field.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// One target row (table `target_wajib`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Year.
    pub tahun: i32,
    /// Kecamatan code (6 digits).
    pub kecamatan: String,
    /// Nagari (kelurahan/desa) name; empty: the whole kecamatan.
    pub nagari: String,
    /// Residents who must hold a KTP-el.
    pub wajib_ktp_el: u64,
}

/// The header a targets file starts with.
pub const HEADER: [&str; 4] = ["tahun", "kecamatan", "nagari", "wajib_ktp_el"];

/// Largest accepted target (the whole province has about 4 million wajib KTP-el).
pub const MAX_WAJIB: u64 = 10_000_000;

/// One problem in a targets file: the 1-based line, the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalahBaris {
    /// Line number (1-based).
    pub baris: usize,
    /// Column name (or `baris` for the line as a whole).
    pub kolom: &'static str,
    /// What is wrong, in Indonesian.
    pub masalah: String,
}

impl std::fmt::Display for SalahBaris {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "baris {}, kolom {}: {}",
            self.baris, self.kolom, self.masalah
        )
    }
}

/// Reads a targets file: a header line [`HEADER`], then one row per line, comma-separated;
/// blank lines and lines starting with `#` are skipped. Every problem is reported.
pub fn baca_csv(teks: &str) -> Result<Vec<Target>, Vec<SalahBaris>> {
    let mut salah = Vec::new();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut header = false;
    for (i, line) in teks.lines().enumerate() {
        let no = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header {
            header = true;
            if cols != HEADER {
                salah.push(SalahBaris {
                    baris: no,
                    kolom: "baris",
                    masalah: format!("judul kolom harus {}", HEADER.join(",")),
                });
            }
            continue;
        }
        if cols.len() != HEADER.len() {
            salah.push(SalahBaris {
                baris: no,
                kolom: "baris",
                masalah: format!("{} kolom, harus {}", cols.len(), HEADER.len()),
            });
            continue;
        }
        let mut bad = |kolom, masalah: String| {
            salah.push(SalahBaris {
                baris: no,
                kolom,
                masalah,
            })
        };
        let tahun = match cols[0].parse::<i32>() {
            Ok(t) if (2000..=2100).contains(&t) => Some(t),
            _ => {
                bad("tahun", format!("'{}' bukan tahun 2000-2100", cols[0]));
                None
            }
        };
        let kecamatan = match cols[1].parse::<rekam_shared::region::KodeKecamatan>() {
            Ok(_) if rekam_shared::document::validate_kecamatan(cols[1]).is_ok() => {
                Some(cols[1].to_owned())
            }
            _ => {
                bad(
                    "kecamatan",
                    format!("'{}' bukan kode kecamatan 6 angka", cols[1]),
                );
                None
            }
        };
        let nagari = cols[2].to_owned();
        if nagari.chars().count() > 100 {
            bad("nagari", "nama nagari lebih dari 100 huruf".into());
        }
        let wajib = match cols[3].parse::<u64>() {
            Ok(n) if n <= MAX_WAJIB => Some(n),
            Ok(_) => {
                bad("wajib_ktp_el", format!("lebih dari {MAX_WAJIB}"));
                None
            }
            Err(_) => {
                bad(
                    "wajib_ktp_el",
                    format!("'{}' bukan bilangan bulat tidak negatif", cols[3]),
                );
                None
            }
        };
        if let (Some(tahun), Some(kecamatan), Some(wajib_ktp_el)) = (tahun, kecamatan, wajib) {
            if !seen.insert((tahun, kecamatan.clone(), nagari.to_lowercase())) {
                bad(
                    "baris",
                    format!(
                        "tahun {tahun}, kecamatan {kecamatan}, nagari '{nagari}' sudah ada di baris sebelumnya"
                    ),
                );
                continue;
            }
            out.push(Target {
                tahun,
                kecamatan,
                nagari,
                wajib_ktp_el,
            });
        }
    }
    if !header {
        salah.push(SalahBaris {
            baris: 1,
            kolom: "baris",
            masalah: format!("berkas kosong: judul kolom harus {}", HEADER.join(",")),
        });
    }
    if salah.is_empty() {
        Ok(out)
    } else {
        Err(salah)
    }
}

/// The target of each kecamatan in `tahun`: its whole-kecamatan row if there is one, else the
/// sum of its nagari rows.
pub fn per_kecamatan(targets: &[Target], tahun: i32) -> BTreeMap<String, u64> {
    let mut utuh = BTreeMap::new();
    let mut nagari: BTreeMap<String, u64> = BTreeMap::new();
    for t in targets.iter().filter(|t| t.tahun == tahun) {
        if t.nagari.is_empty() {
            utuh.insert(t.kecamatan.clone(), t.wajib_ktp_el);
        } else {
            *nagari.entry(t.kecamatan.clone()).or_insert(0) += t.wajib_ktp_el;
        }
    }
    for (k, n) in nagari {
        utuh.entry(k).or_insert(n);
    }
    utuh
}

/// Rating bands for coverage: each band starts at a percentage (included) and has a name;
/// the default is [`Peringkat::BAWAAN`]; `REKAM_HUB_PERINGKAT` (same text form) or a
/// command's `--peringkat` replaces it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peringkat(Vec<(f64, String)>);

impl Peringkat {
    /// The default bands.
    pub const BAWAAN: &'static str = "0:kurang,60:cukup,80:baik,100:tercapai";

    /// Reads `"0:kurang,60:cukup,80:baik"`: ascending starts, the first at 0.
    pub fn parse(teks: &str) -> Result<Self, String> {
        let mut bands = Vec::new();
        for part in teks.split(',') {
            let (mulai, nama) = part
                .split_once(':')
                .ok_or_else(|| format!("peringkat '{part}': harus MULAI:NAMA"))?;
            let mulai: f64 = mulai
                .trim()
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m >= 0.0)
                .ok_or_else(|| format!("peringkat '{part}': batas bukan angka >= 0"))?;
            let nama = nama.trim();
            if nama.is_empty() {
                return Err(format!("peringkat '{part}': nama kosong"));
            }
            if bands.last().is_some_and(|(m, _)| *m >= mulai) {
                return Err(format!("peringkat '{part}': batas harus naik"));
            }
            bands.push((mulai, nama.to_owned()));
        }
        if bands.first().is_none_or(|(m, _)| *m != 0.0) {
            return Err("peringkat pertama harus mulai dari 0".into());
        }
        Ok(Peringkat(bands))
    }

    /// The bands from `REKAM_HUB_PERINGKAT`, or the default.
    pub fn dari_env() -> Result<Self, String> {
        match std::env::var("REKAM_HUB_PERINGKAT") {
            Ok(v) => Self::parse(&v).map_err(|e| format!("REKAM_HUB_PERINGKAT: {e}")),
            Err(_) => Self::parse(Self::BAWAAN),
        }
    }

    /// The name of the band `persen` falls in.
    pub fn nilai(&self, persen: f64) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(m, _)| persen >= *m)
            .map_or("", |(_, n)| n.as_str())
    }
}

impl Default for Peringkat {
    fn default() -> Self {
        Self::parse(Self::BAWAAN).expect("the default bands parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_reads_and_kecamatan_targets_come_from_nagari_when_needed() {
        let t = baca_csv(
            "tahun,kecamatan,nagari,wajib_ktp_el\n# komentar\n2026,130101,,1000\n\
             2026,130102,Painan,300\n2026,130102,Salido,200\n2025,130101,,900\n",
        )
        .unwrap();
        assert_eq!(t.len(), 4);
        let k = per_kecamatan(&t, 2026);
        assert_eq!(k.get("130101"), Some(&1000));
        assert_eq!(k.get("130102"), Some(&500));
        assert_eq!(per_kecamatan(&t, 2025).len(), 1);
    }

    #[test]
    fn bad_rows_are_all_named_by_line_and_field() {
        let e = baca_csv(
            "tahun,kecamatan,nagari,wajib_ktp_el\n2026,13010,,1\n2026,130101,,-5\n\
             1990,130101,,1\n2026,130101\n2026,130102,,1\n2026,130102,,2\n",
        )
        .unwrap_err();
        let s: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            s,
            [
                "baris 2, kolom kecamatan: '13010' bukan kode kecamatan 6 angka",
                "baris 3, kolom wajib_ktp_el: '-5' bukan bilangan bulat tidak negatif",
                "baris 4, kolom tahun: '1990' bukan tahun 2000-2100",
                "baris 5, kolom baris: 2 kolom, harus 4",
                "baris 7, kolom baris: tahun 2026, kecamatan 130102, nagari '' sudah ada di baris sebelumnya",
            ]
        );
        assert_eq!(baca_csv("").unwrap_err()[0].kolom, "baris");
        assert_eq!(baca_csv("a,b\n").unwrap_err()[0].baris, 1);
    }

    #[test]
    fn rating_bands() {
        let p = Peringkat::default();
        assert_eq!(p.nilai(0.0), "kurang");
        assert_eq!(p.nilai(59.9), "kurang");
        assert_eq!(p.nilai(60.0), "cukup");
        assert_eq!(p.nilai(130.0), "tercapai");
        let q = Peringkat::parse("0:merah, 50:kuning, 75:hijau").unwrap();
        assert_eq!(q.nilai(76.0), "hijau");
        assert!(Peringkat::parse("10:a").is_err());
        assert!(Peringkat::parse("0:a,0:b").is_err());
        assert!(Peringkat::parse("0:a,x:b").is_err());
        assert!(Peringkat::parse("0:").is_err());
    }
}
