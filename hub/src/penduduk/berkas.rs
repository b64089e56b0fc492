//! The register extract file (berkas ekstrak): CSV with SIAK's biodata column names
//! ([`KOLOM`], format in `docs/population-register.md`), read and checked row by row.
//!
//! [`baca`] checks the whole file before anything is stored and reports every problem of every
//! row with its line number and column ([`BarisDitolak`]); the reasons never contain the NIK
//! (a duplicate names the line of the first occurrence). Fields may be quoted (`"..."`, `""`
//! for a quote inside); the separator is the one of `,`, `;` or `|` the header line uses most.
//! Columns may come in any order and other SIAK columns are ignored.

use std::collections::HashMap;

use chrono::NaiveDate;
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::KodeKecamatan;
use rekam_shared::register::{Agama, PendudukTerdaftar, StatusPenduduk};

/// The columns an extract must have (header line, any order, names as SIAK exports them).
pub const KOLOM: [&str; 15] = [
    "NIK",
    "NO_KK",
    "NAMA_LGKP",
    "TMPT_LHR",
    "TGL_LHR",
    "JENIS_KLMIN",
    "STAT_KWN",
    "AGAMA",
    "JENIS_PKRJN",
    "ALAMAT",
    "NO_RT",
    "NO_RW",
    "NAMA_KEL",
    "KODE_KEC",
    "STATUS",
];

/// The column that holds each field of [`PendudukTerdaftar`] (as [`FieldError`] names them).
///
/// [`FieldError`]: rekam_shared::penduduk::FieldError
fn kolom_of(field: &str) -> &'static str {
    match field {
        "nik" => "NIK",
        "no_kk" => "NO_KK",
        "nama" => "NAMA_LGKP",
        "tempat_lahir" => "TMPT_LHR",
        "tanggal_lahir" => "TGL_LHR",
        "jenis_kelamin" => "JENIS_KLMIN",
        "status_perkawinan" => "STAT_KWN",
        "agama" => "AGAMA",
        "pekerjaan" => "JENIS_PKRJN",
        "alamat" => "ALAMAT",
        "rt" => "NO_RT",
        "rw" => "NO_RW",
        "nagari" => "NAMA_KEL",
        "kecamatan" => "KODE_KEC",
        "status" => "STATUS",
        _ => "baris",
    }
}

/// One problem of one row: the 1-based line, the column (or `baris` for the line as a
/// whole), and what is wrong, in Indonesian. Never the NIK itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarisDitolak {
    /// Line number in the file (1-based; the header is a line too).
    pub baris: usize,
    /// Column name ([`KOLOM`]) or `baris`.
    pub kolom: &'static str,
    /// What is wrong.
    pub alasan: String,
}

impl std::fmt::Display for BarisDitolak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "baris {}, kolom {}: {}",
            self.baris, self.kolom, self.alasan
        )
    }
}

/// A checked extract: its residents, in file order.
#[derive(Debug, Clone, Default)]
pub struct Ekstrak {
    /// The residents.
    pub penduduk: Vec<PendudukTerdaftar>,
}

/// Rows between two progress calls of [`baca`].
pub const LANGKAH_KEMAJUAN: usize = 10_000;

/// Reads an extract: a header line naming at least [`KOLOM`], then one resident per line;
/// blank lines are skipped. Checks every row at date `hari_ini` (the district's day) with
/// [`PendudukTerdaftar::validate`], and the NIKs for duplicates inside the file. Returns the
/// residents, or every problem found (then nothing may be applied). `kemajuan` is called with
/// the number of rows read every [`LANGKAH_KEMAJUAN`] rows.
pub fn baca(
    teks: &str,
    hari_ini: NaiveDate,
    kemajuan: &mut dyn FnMut(usize),
) -> Result<Ekstrak, Vec<BarisDitolak>> {
    let mut salah = Vec::new();
    let mut out = Vec::new();
    let mut lines = teks
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((no_judul, judul)) = lines.next() else {
        return Err(vec![BarisDitolak {
            baris: 1,
            kolom: "baris",
            alasan: "berkas kosong: tidak ada baris judul kolom".into(),
        }]);
    };
    let pemisah = [',', ';', '|']
        .into_iter()
        .max_by_key(|c| judul.matches(*c).count())
        .unwrap_or(',');
    let nama_kolom = match pisah(judul, pemisah) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![BarisDitolak {
                baris: no_judul,
                kolom: "baris",
                alasan: e.into(),
            }]);
        }
    };
    let mut posisi = [0usize; KOLOM.len()];
    let mut kurang = Vec::new();
    for (i, k) in KOLOM.iter().enumerate() {
        match nama_kolom
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(k))
        {
            Some(p) => posisi[i] = p,
            None => kurang.push(*k),
        }
    }
    if !kurang.is_empty() {
        return Err(vec![BarisDitolak {
            baris: no_judul,
            kolom: "baris",
            alasan: format!(
                "judul kolom tidak lengkap, tidak ada: {} (harus ada {})",
                kurang.join(", "),
                KOLOM.join(",")
            ),
        }]);
    }
    let mut nik_baris: HashMap<Nik, usize> = HashMap::new();
    let mut n = 0usize;
    for (no, line) in lines {
        n += 1;
        if n.is_multiple_of(LANGKAH_KEMAJUAN) {
            kemajuan(n);
        }
        let cols = match pisah(line, pemisah) {
            Ok(c) => c,
            Err(e) => {
                salah.push(BarisDitolak {
                    baris: no,
                    kolom: "baris",
                    alasan: e.into(),
                });
                continue;
            }
        };
        if cols.len() != nama_kolom.len() {
            salah.push(BarisDitolak {
                baris: no,
                kolom: "baris",
                alasan: format!(
                    "{} kolom, judul punya {} kolom",
                    cols.len(),
                    nama_kolom.len()
                ),
            });
            continue;
        }
        let nilai: [&str; KOLOM.len()] = std::array::from_fn(|i| cols[posisi[i]].as_str());
        match baris(&nilai, hari_ini) {
            Ok(p) => {
                if let Some(pertama) = nik_baris.insert(p.penduduk.nik, no) {
                    nik_baris.insert(p.penduduk.nik, pertama);
                    salah.push(BarisDitolak {
                        baris: no,
                        kolom: "NIK",
                        alasan: format!("NIK sama dengan baris {pertama}"),
                    });
                } else {
                    out.push(p);
                }
            }
            Err(masalah) => {
                salah.extend(masalah.into_iter().map(|(kolom, alasan)| BarisDitolak {
                    baris: no,
                    kolom,
                    alasan,
                }));
            }
        }
    }
    kemajuan(n);
    if n == 0 {
        salah.push(BarisDitolak {
            baris: no_judul,
            kolom: "baris",
            alasan: "tidak ada baris penduduk setelah judul kolom".into(),
        });
    }
    if salah.is_empty() {
        Ok(Ekstrak { penduduk: out })
    } else {
        Err(salah)
    }
}

/// Reads one row's values (in [`KOLOM`] order) into a resident, or every problem of the row.
/// A value that does not parse is replaced by a stand-in consistent with the rest of the row
/// (e.g. the NIK's own birth date), so that the other rules still run and report, without a
/// second message about the value already named.
fn baris(
    v: &[&str; KOLOM.len()],
    hari_ini: NaiveDate,
) -> Result<PendudukTerdaftar, Vec<(&'static str, String)>> {
    let mut salah: Vec<(&'static str, String)> = Vec::new();
    let mut gagal = |kolom: &'static str, alasan: String| salah.push((kolom, alasan));
    let nik = v[0]
        .parse::<Nik>()
        .map_err(|e| gagal("NIK", e.to_string()))
        .ok();
    let no_kk = v[1]
        .parse::<NomorKk>()
        .map_err(|e| gagal("NO_KK", e.to_string()))
        .ok();
    let tanggal = tanggal(v[4])
        .ok_or_else(|| {
            gagal(
                "TGL_LHR",
                "tanggal lahir harus berformat HH-BB-TTTT atau TTTT-BB-HH".into(),
            )
        })
        .ok();
    let jk = JenisKelamin::parse(v[5])
        .ok_or_else(|| {
            gagal(
                "JENIS_KLMIN",
                "jenis kelamin harus LAKI-LAKI atau PEREMPUAN".into(),
            )
        })
        .ok();
    let kawin = StatusPerkawinan::parse(v[6])
        .ok_or_else(|| {
            gagal(
                "STAT_KWN",
                "status kawin harus BELUM KAWIN, KAWIN, CERAI HIDUP atau CERAI MATI".into(),
            )
        })
        .ok();
    let agama = Agama::parse(v[7])
        .ok_or_else(|| {
            gagal(
                "AGAMA",
                "agama tidak dikenal (ISLAM, KRISTEN, KATHOLIK, HINDU, BUDHA, KHONGHUCU, KEPERCAYAAN)"
                    .into(),
            )
        })
        .ok();
    let nomor = |s: &str| s.trim().parse::<u16>().ok();
    let rt = nomor(v[10])
        .ok_or_else(|| gagal("NO_RT", "RT harus angka 1 sampai 999".into()))
        .ok();
    let rw = nomor(v[11])
        .ok_or_else(|| gagal("NO_RW", "RW harus angka 1 sampai 999".into()))
        .ok();
    let kecamatan = v[13]
        .trim()
        .parse::<KodeKecamatan>()
        .map_err(|e| gagal("KODE_KEC", e.to_string()))
        .ok();
    let status = StatusPenduduk::parse(v[14])
        .ok_or_else(|| gagal("STATUS", "status harus AKTIF, MENINGGAL atau PINDAH".into()))
        .ok();
    let gagal_kolom: Vec<&'static str> = salah.iter().map(|(k, _)| *k).collect();
    // Stand-ins for what did not parse, consistent with the rest of the row.
    let kec_kk = KodeKecamatan::new(13, 1, 1).expect("13.01.01");
    let tanggal_lahir = tanggal
        .or_else(|| nik.and_then(|n| n.tanggal_lahir(hari_ini).ok()))
        .unwrap_or(NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"));
    let jenis_kelamin = jk
        .or(nik.map(|n| n.jenis_kelamin()))
        .unwrap_or(JenisKelamin::LakiLaki);
    let nik = nik.unwrap_or_else(|| {
        Nik::from_parts(kec_kk, tanggal_lahir, jenis_kelamin, 1).expect("stand-in NIK")
    });
    let no_kk = no_kk.unwrap_or_else(|| {
        NomorKk::from_parts(
            kec_kk,
            NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            1,
        )
        .expect("stand-in No. KK")
    });
    let p = PendudukTerdaftar {
        penduduk: Penduduk {
            nik,
            no_kk,
            nama: v[2].trim().to_owned(),
            tempat_lahir: v[3].trim().to_owned(),
            tanggal_lahir,
            jenis_kelamin,
            status_perkawinan: kawin.unwrap_or(StatusPerkawinan::BelumKawin),
            alamat: v[9].trim().to_owned(),
            rt: rt.unwrap_or(1),
            rw: rw.unwrap_or(1),
            nagari: v[12].trim().to_owned(),
            kecamatan: kecamatan.unwrap_or(kec_kk),
        },
        agama: agama.unwrap_or(Agama::Islam),
        pekerjaan: v[8].trim().to_owned(),
        status: status.unwrap_or(StatusPenduduk::Aktif),
    };
    if let Err(es) = p.validate(hari_ini) {
        for e in es {
            let kolom = kolom_of(e.field);
            if !gagal_kolom.contains(&kolom) {
                salah.push((kolom, e.error));
            }
        }
    }
    if salah.is_empty() { Ok(p) } else { Err(salah) }
}

/// A date as SIAK extracts write it: `DD-MM-YYYY`, `DD/MM/YYYY` or ISO `YYYY-MM-DD`.
fn tanggal(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        // A two-digit year would parse as year 0-99: not a birth date of a living resident.
        .filter(|d| d.format("%Y").to_string().len() == 4 && s.len() == 10)
}

/// Splits one line at `pemisah`, honouring `"..."` quoting (`""` is a quote inside).
/// Unquoted values are trimmed.
pub(crate) fn pisah(line: &str, pemisah: char) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    loop {
        // At the start of a value.
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("tanda kutip tidak ditutup"),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cur.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cur.push(c),
                }
            }
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            match chars.next() {
                None => {
                    out.push(std::mem::take(&mut cur));
                    return Ok(out);
                }
                Some(c) if c == pemisah => out.push(std::mem::take(&mut cur)),
                Some(_) => return Err("teks setelah tanda kutip penutup"),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(std::mem::take(&mut cur).trim().to_owned());
                        return Ok(out);
                    }
                    Some(c) if c == pemisah => {
                        out.push(std::mem::take(&mut cur).trim().to_owned());
                        break;
                    }
                    Some('"') => return Err("tanda kutip di tengah nilai tanpa kutip"),
                    Some(c) => cur.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_and_separators_split() {
        assert_eq!(pisah("a, b ,c", ',').unwrap(), ["a", "b", "c"]);
        assert_eq!(
            pisah(r#""JL. A, NO. 5","say ""hai""",x"#, ',').unwrap(),
            ["JL. A, NO. 5", r#"say "hai""#, "x"]
        );
        assert_eq!(pisah("a;;b;", ';').unwrap(), ["a", "", "b", ""]);
        assert_eq!(pisah(r#""a"  ;b"#, ';').unwrap(), ["a", "b"]);
        assert!(pisah(r#""abc"#, ',').is_err());
        assert!(pisah(r#""a"b,c"#, ',').is_err());
        assert!(pisah(r#"a"b,c"#, ',').is_err());
    }

    #[test]
    fn dates_in_the_written_forms() {
        let d = NaiveDate::from_ymd_opt(2005, 8, 12).unwrap();
        assert_eq!(tanggal("12-08-2005"), Some(d));
        assert_eq!(tanggal("12/08/2005"), Some(d));
        assert_eq!(tanggal("2005-08-12"), Some(d));
        assert_eq!(tanggal("12-08-05"), None);
        assert_eq!(tanggal("31-04-2005"), None);
        assert_eq!(tanggal("2005-8-12"), None);
        assert_eq!(tanggal(""), None);
    }
}
