//! Belum rekam (who still has to record) at the district: the residents the population register
//! says must hold a KTP-el on a chosen date (active, and 17 or older or ever married: the one
//! rule, [`PendudukTerdaftar::wajib_ktp_el`]) and for whom the district holds no successful
//! recording under their NIK (an application recorded or handed over, in ANY kecamatan; see
//! `Tx::register_telusuri`). Counted per kecamatan and nagari, listed a page at a time, and the
//! residents who turn 17 within the next [`HARI_SEGERA_17`] days in a separate list.
//!
//! The same pass gives the register's count of residents who must hold a KTP-el per kecamatan
//! and nagari ([`wajib_per_wilayah`]), the coverage target of the dashboard where a register is
//! loaded.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rekam_shared::register::Golongan;
use rekam_shared::register::PendudukTerdaftar;

use crate::storage::{StorageError, Tx};

/// Days ahead in which residents turning 17 are listed (the shared constant).
pub use rekam_shared::register::HARI_SEGERA_17;

/// Residents per page of the list.
pub const PER_HALAMAN: usize = 100;

/// What is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saring {
    /// The date eligibility is judged on.
    pub pada: NaiveDate,
    /// One kecamatan (6-digit code), or the whole district.
    pub kecamatan: Option<String>,
    /// One nagari (name as the register writes it), or every nagari.
    pub nagari: Option<String>,
    /// Page of the list (1-based); `None`: the whole list (exports).
    pub halaman: Option<usize>,
}

/// The counts of one nagari (or a total).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Hitungan {
    /// Kecamatan code (empty for the total).
    pub kecamatan: String,
    /// Nagari name (empty for the total).
    pub nagari: String,
    /// Residents who must hold a KTP-el on the date.
    pub wajib: u64,
    /// Of them, recorded somewhere in the district.
    pub terekam: u64,
    /// Of them, not recorded: `wajib - terekam`.
    pub belum: u64,
    /// Residents turning 17 within [`HARI_SEGERA_17`] days, not recorded.
    pub segera_17: u64,
}

impl Hitungan {
    fn tambah(&mut self, o: &Hitungan) {
        self.wajib += o.wajib;
        self.terekam += o.terekam;
        self.belum += o.belum;
        self.segera_17 += o.segera_17;
    }
}

/// One resident of the "turns 17 soon" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segera17 {
    /// The resident.
    pub penduduk: PendudukTerdaftar,
    /// The day the resident turns 17.
    pub tanggal: NaiveDate,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BelumRekam {
    /// The date judged on.
    pub pada: NaiveDate,
    /// Per (kecamatan, nagari), sorted.
    pub per_nagari: Vec<Hitungan>,
    /// The sum of `per_nagari`.
    pub total: Hitungan,
    /// The residents not recorded (the page asked for, or all), by kecamatan, nagari, NIK.
    pub daftar: Vec<PendudukTerdaftar>,
    /// The page shown (1-based; 1 for the whole list).
    pub halaman: usize,
    /// Pages in all (at least 1).
    pub jumlah_halaman: usize,
    /// Residents turning 17 within [`HARI_SEGERA_17`] days, by date then kecamatan, nagari.
    pub segera_17: Vec<Segera17>,
}

/// Counts and lists the residents who still have to record, in one pass over the register.
pub fn hitung(tx: &dyn Tx, s: &Saring) -> Result<BelumRekam, StorageError> {
    let mut per: BTreeMap<(String, String), Hitungan> = BTreeMap::new();
    let halaman = s.halaman.unwrap_or(1).max(1);
    let (awal, akhir) = match s.halaman {
        Some(_) => ((halaman - 1) * PER_HALAMAN, halaman * PER_HALAMAN),
        None => (0, usize::MAX),
    };
    let mut daftar = Vec::new();
    let mut belum = 0usize;
    let mut segera = Vec::new();
    tx.register_telusuri(
        s.kecamatan.as_deref(),
        s.nagari.as_deref(),
        true,
        &mut |p, terekam| {
            let g = p.golongan(s.pada, terekam);
            if g == Golongan::Bukan {
                return;
            }
            let h = per
                .entry((p.penduduk.kecamatan.to_string(), p.penduduk.nagari.clone()))
                .or_default();
            if let Golongan::Segera17(tanggal) = g {
                h.segera_17 += 1;
                segera.push(Segera17 {
                    penduduk: p,
                    tanggal,
                });
                return;
            }
            h.wajib += 1;
            if g == Golongan::Terekam {
                h.terekam += 1;
                return;
            }
            h.belum += 1;
            if (awal..akhir).contains(&belum) {
                daftar.push(p);
            }
            belum += 1;
        },
    )?;
    segera.sort_by(|a, b| {
        (
            a.tanggal,
            a.penduduk.penduduk.kecamatan,
            &a.penduduk.penduduk.nagari,
        )
            .cmp(&(
                b.tanggal,
                b.penduduk.penduduk.kecamatan,
                &b.penduduk.penduduk.nagari,
            ))
    });
    let mut total = Hitungan::default();
    let per_nagari: Vec<Hitungan> = per
        .into_iter()
        .map(|((kecamatan, nagari), mut h)| {
            h.kecamatan = kecamatan;
            h.nagari = nagari;
            total.tambah(&h);
            h
        })
        .collect();
    Ok(BelumRekam {
        pada: s.pada,
        per_nagari,
        total,
        daftar,
        halaman: if s.halaman.is_some() { halaman } else { 1 },
        jumlah_halaman: belum.div_ceil(PER_HALAMAN).max(1),
        segera_17: segera,
    })
}

/// The register's residents who must hold a KTP-el on `pada`, per (kecamatan, nagari), whether
/// recorded or not: the coverage target where a register is loaded. Empty without a register.
pub fn wajib_per_wilayah(
    tx: &dyn Tx,
    pada: NaiveDate,
) -> Result<BTreeMap<(String, String), u64>, StorageError> {
    let mut out = BTreeMap::new();
    tx.register_kelayakan(&mut |kec, nagari, lahir, kawin, status| {
        if rekam_shared::register::wajib_ktp_el(status, lahir, kawin, pada) {
            *out.entry((kec.to_owned(), nagari.to_owned())).or_insert(0) += 1;
        }
    })?;
    Ok(out)
}
