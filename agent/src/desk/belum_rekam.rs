//! Belum rekam (who still has to record) at the office, for outreach: the residents of THIS
//! office's kecamatan whom the office's copy of the population register says must hold a
//! KTP-el today (active, and 17 or older or ever married: the one rule,
//! [`PendudukTerdaftar::wajib_ktp_el`]) and who have no successful recording: none of the
//! office's own applications under their NIK is recorded or handed over (`terekam`,
//! `diserahkan`), and the district index (recordings anywhere in the district, downloaded by
//! [`crate::sync::indeks`]) holds no entry under their NIK. Counted per nagari, listed a page
//! at a time, plus the residents who turn 17 within [`HARI_SEGERA_17`] days.
//!
//! Every answer is audited (`penduduk.belum_rekam`: who, which nagari, how many; no NIK).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rekam_shared::register::Golongan;
use rekam_shared::register::PendudukTerdaftar;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::register::RegisterView;
use crate::web::error::ApiError;

/// Days ahead in which residents turning 17 are listed (the shared constant).
pub use rekam_shared::register::HARI_SEGERA_17;

/// Residents per page.
pub const PER_HALAMAN: usize = 100;

/// Longest nagari name accepted in the filter.
pub const MAKS_NAGARI: usize = 100;

/// Every resident (whatever the status: the rule decides) of kecamatan `?1` (and nagari `?2`, NULL for all) with whether a recording
/// is known under the NIK: an own application recorded or handed over, or a district index
/// entry.
const SQL: &str = "
SELECT r.seq, r.nik, r.no_kk, r.nama, r.tempat_lahir, r.tanggal_lahir, r.jenis_kelamin,
    r.status_perkawinan, r.agama, r.pekerjaan, r.alamat, r.rt, r.rw, r.nagari, r.kecamatan,
    r.status,
    (EXISTS (SELECT 1 FROM permohonan p
             WHERE p.nik = r.nik AND p.status IN ('terekam', 'diserahkan'))
     OR EXISTS (SELECT 1 FROM indeks_kabupaten d WHERE d.nik = r.nik))
FROM register_penduduk r
WHERE r.kecamatan = ?1 AND (?2 IS NULL OR r.nagari = ?2)
ORDER BY r.nagari, r.nik";

/// What is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saring {
    /// The date judged on (the office's today).
    pub pada: NaiveDate,
    /// One nagari, or all of the kecamatan.
    pub nagari: Option<String>,
    /// Page (1-based); `None`: the whole list (the XLSX download).
    pub halaman: Option<usize>,
}

/// Checks the query's `nagari` and `halaman` (400 naming the field).
pub fn saring(
    pada: NaiveDate,
    nagari: Option<&str>,
    halaman: Option<&str>,
) -> Result<Saring, ApiError> {
    let nagari = nagari.map(str::trim).filter(|s| !s.is_empty());
    if nagari.is_some_and(|n| n.chars().count() > MAKS_NAGARI || n.chars().any(char::is_control)) {
        return Err(ApiError::field(
            "nagari",
            "nagari paling panjang 100 karakter",
        ));
    }
    let halaman = match halaman.map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(h) => h
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                ApiError::field("halaman", "halaman harus bilangan bulat 1 atau lebih")
            })?,
    };
    Ok(Saring {
        pada,
        nagari: nagari.map(str::to_owned),
        halaman: Some(halaman),
    })
}

/// The counts of one nagari (or the total: `nagari` empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hitungan {
    /// Nagari name.
    pub nagari: String,
    /// Residents who must hold a KTP-el.
    pub wajib: u64,
    /// Of them, recorded (here or anywhere in the district).
    pub terekam: u64,
    /// Of them, not recorded.
    pub belum: u64,
    /// Residents turning 17 within [`HARI_SEGERA_17`] days, not recorded.
    pub segera_17: u64,
}

/// One resident of the "turns 17 soon" list.
#[derive(Debug, Clone, Serialize)]
pub struct Segera17 {
    /// The resident.
    pub penduduk: PendudukTerdaftar,
    /// The day the resident turns 17.
    pub tanggal_17: NaiveDate,
}

/// The answer (`GET /api/belum-rekam`).
#[derive(Debug, Clone, Serialize)]
pub struct BelumRekam {
    /// This office's kecamatan.
    pub kecamatan: String,
    /// The date judged on.
    pub pada: NaiveDate,
    /// The nagari filter, if any.
    pub nagari: Option<String>,
    /// Per nagari, by name.
    pub per_nagari: Vec<Hitungan>,
    /// The sum of `per_nagari`.
    pub total: Hitungan,
    /// The residents not recorded (this page), by nagari and NIK.
    pub daftar: Vec<PendudukTerdaftar>,
    /// The page.
    pub halaman: usize,
    /// Pages in all (at least 1).
    pub jumlah_halaman: usize,
    /// Residents per page.
    pub per_halaman: usize,
    /// Residents turning 17 soon, by date.
    pub segera_17: Vec<Segera17>,
    /// The office's copy of the register (a list from an incomplete copy is incomplete too).
    pub register: RegisterView,
}

/// Counts and lists, for `kecamatan`, in one pass over the office's register.
pub fn hitung(conn: &Connection, kecamatan: &str, s: &Saring) -> Result<BelumRekam, ApiError> {
    let halaman = s.halaman.unwrap_or(1);
    let (awal, akhir) = match s.halaman {
        Some(h) => ((h - 1) * PER_HALAMAN, h * PER_HALAMAN),
        None => (0, usize::MAX),
    };
    let mut per: BTreeMap<String, Hitungan> = BTreeMap::new();
    let mut daftar = Vec::new();
    let mut segera = Vec::new();
    let mut belum = 0usize;
    let mut st = conn.prepare_cached(SQL)?;
    let mut rows = st.query(params![kecamatan, s.nagari])?;
    while let Some(r) = rows.next()? {
        let p = crate::sync::register::baris(r)?.data;
        let terekam: bool = r.get(16)?;
        let g = p.golongan(s.pada, terekam);
        if g == Golongan::Bukan {
            continue;
        }
        let h = per.entry(p.penduduk.nagari.clone()).or_default();
        if let Golongan::Segera17(tanggal_17) = g {
            h.segera_17 += 1;
            segera.push(Segera17 {
                penduduk: p,
                tanggal_17,
            });
            continue;
        }
        h.wajib += 1;
        if g == Golongan::Terekam {
            h.terekam += 1;
            continue;
        }
        h.belum += 1;
        if (awal..akhir).contains(&belum) {
            daftar.push(p);
        }
        belum += 1;
    }
    segera.sort_by(|a, b| {
        (a.tanggal_17, &a.penduduk.penduduk.nagari)
            .cmp(&(b.tanggal_17, &b.penduduk.penduduk.nagari))
    });
    let mut total = Hitungan::default();
    let per_nagari = per
        .into_iter()
        .map(|(nagari, mut h)| {
            h.nagari = nagari;
            total.wajib += h.wajib;
            total.terekam += h.terekam;
            total.belum += h.belum;
            total.segera_17 += h.segera_17;
            h
        })
        .collect();
    let register = crate::sync::register::status(conn)
        .map_err(ApiError::internal)?
        .into();
    Ok(BelumRekam {
        kecamatan: kecamatan.to_owned(),
        pada: s.pada,
        nagari: s.nagari.clone(),
        per_nagari,
        total,
        daftar,
        halaman,
        jumlah_halaman: belum.div_ceil(PER_HALAMAN).max(1),
        per_halaman: PER_HALAMAN,
        segera_17: segera,
        register,
    })
}

/// [`hitung`] in a write transaction, audited as `operator`'s look at the list.
pub fn hitung_diaudit(
    tx: &rusqlite::Transaction<'_>,
    operator: &str,
    kecamatan: &str,
    s: &Saring,
    bentuk: &str,
) -> Result<BelumRekam, ApiError> {
    let b = hitung(tx, kecamatan, s)?;
    crate::audit::record(
        tx,
        operator,
        "penduduk.belum_rekam",
        None,
        &format!(
            "nagari '{}' pada {} {bentuk}: {} belum rekam, {} segera 17",
            s.nagari.as_deref().unwrap_or(""),
            s.pada,
            b.total.belum,
            b.total.segera_17
        ),
    )?;
    Ok(b)
}

/// The whole list as an XLSX workbook: sheet `belum_rekam` (NIK and No. KK as TEXT cells,
/// `write_string`, never numbers), sheet `segera_17`, sheet `per_nagari` (counts as numbers).
pub fn xlsx(b: &BelumRekam) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let kolom = [
        "NIK",
        "No. KK",
        "Nama",
        "Jenis kelamin",
        "Tanggal lahir",
        "Status perkawinan",
        "Alamat",
        "RT",
        "RW",
        "Nagari",
    ];
    let tulis = |ws: &mut rust_xlsxwriter::Worksheet,
                 r: u32,
                 p: &PendudukTerdaftar|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        let d = &p.penduduk;
        ws.write_string(r, 0, d.nik.to_string())?;
        ws.write_string(r, 1, d.no_kk.to_string())?;
        ws.write_string(r, 2, &d.nama)?;
        ws.write_string(r, 3, d.jenis_kelamin.as_str())?;
        ws.write_string(r, 4, d.tanggal_lahir.to_string())?;
        ws.write_string(r, 5, d.status_perkawinan.as_str())?;
        ws.write_string(r, 6, &d.alamat)?;
        ws.write_number(r, 7, f64::from(d.rt))?;
        ws.write_number(r, 8, f64::from(d.rw))?;
        ws.write_string(r, 9, &d.nagari)?;
        Ok(())
    };
    let ws = wb.add_worksheet();
    ws.set_name("belum_rekam")?;
    for (c, k) in kolom.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *k, &bold)?;
    }
    for (i, p) in b.daftar.iter().enumerate() {
        tulis(ws, i as u32 + 1, p)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("segera_17")?;
    for (c, k) in kolom.iter().chain(["Berumur 17 pada"].iter()).enumerate() {
        ws.write_string_with_format(0, c as u16, *k, &bold)?;
    }
    for (i, x) in b.segera_17.iter().enumerate() {
        tulis(ws, i as u32 + 1, &x.penduduk)?;
        ws.write_string(i as u32 + 1, 10, x.tanggal_17.to_string())?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("per_nagari")?;
    for (c, k) in [
        "Nagari",
        "Wajib KTP-el",
        "Sudah rekam",
        "Belum rekam",
        "17 tahun dalam 30 hari",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *k, &bold)?;
    }
    for (i, h) in b.per_nagari.iter().chain([&b.total]).enumerate() {
        let r = i as u32 + 1;
        ws.write_string(
            r,
            0,
            if h.nagari.is_empty() {
                "JUMLAH"
            } else {
                &h.nagari
            },
        )?;
        for (c, n) in [h.wajib, h.terekam, h.belum, h.segera_17]
            .iter()
            .enumerate()
        {
            ws.write_number(r, c as u16 + 1, *n as f64)?;
        }
    }
    wb.save_to_buffer()
}
