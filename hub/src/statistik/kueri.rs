//! The dashboard's questions, answered from the statistics read model only (typed, serde
//! answers; see `docs/dashboard-data.md`): the overview per kecamatan ([`ikhtisar`]), the SOP
//! time standards per step, office and operator ([`standar_waktu`]), the offices
//! ([`kantor`]) and deduplication per office ([`dedup_per_kantor`]).
//!
//! Days are local (WIB) calendar days, `YYYY-MM-DD`, both ends included. Applications,
//! returns and failed recordings count on the day the application was opened; recordings on
//! the day the recording succeeded; step runs on the day they started.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use rekam_shared::workflow::Langkah;

use crate::storage::{Storage, StorageError};

use super::target::{self, Peringkat};

/// A range of local calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rentang {
    /// First day.
    pub dari: NaiveDate,
    /// Last day.
    pub sampai: NaiveDate,
}

impl Rentang {
    /// Only `hari`.
    pub fn hari_ini(hari: NaiveDate) -> Self {
        Rentang {
            dari: hari,
            sampai: hari,
        }
    }

    /// The week (Monday to Sunday) holding `hari`.
    pub fn minggu_ini(hari: NaiveDate) -> Self {
        let dari = hari - Days::new(u64::from(hari.weekday().num_days_from_monday()));
        Rentang {
            dari,
            sampai: dari + Days::new(6),
        }
    }

    /// The calendar month holding `hari`.
    pub fn bulan_ini(hari: NaiveDate) -> Self {
        let dari = hari.with_day(1).expect("day 1 exists");
        let berikut = dari
            .checked_add_months(chrono::Months::new(1))
            .expect("next month exists");
        Rentang {
            dari,
            sampai: berikut - Days::new(1),
        }
    }

    /// `dari` and `sampai` as stored (`YYYY-MM-DD`).
    pub fn teks(&self) -> (String, String) {
        (self.dari.to_string(), self.sampai.to_string())
    }
}

// --- What the storage answers (one grouped query each). ---

/// Applications opened, for one kecamatan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganPermohonan {
    /// Kecamatan.
    pub kecamatan: String,
    /// Applications opened.
    pub permohonan: u64,
    /// Failed recordings ("perekaman gagal" events) of those applications.
    pub gagal: u64,
}

/// Returned applications for one kecamatan and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganKembali {
    /// Kecamatan.
    pub kecamatan: String,
    /// Reason (see [`super::baris::BarisPermohonan::alasan_kembali`]).
    pub alasan: String,
    /// How many.
    pub jumlah: u64,
}

/// Recordings for one kecamatan and dedup outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganRekam {
    /// Kecamatan.
    pub kecamatan: String,
    /// Dedup outcome (`None`: not decided yet).
    pub dedup: Option<String>,
    /// How many.
    pub jumlah: u64,
}

/// One day of one kecamatan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganHarian {
    /// Local day.
    pub tanggal: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// Applications opened that day.
    pub permohonan: u64,
    /// Recordings made that day.
    pub terekam: u64,
}

/// Ended step runs sharing step, office, operator, bucket, lateness and late reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganWaktu {
    /// Step number (1..=4).
    pub langkah: u8,
    /// Kecamatan.
    pub kecamatan: String,
    /// Operator who ended the runs.
    pub operator: String,
    /// Duration bucket: index into [`EMBER_DETIK`] of the first bound above the duration
    /// (`EMBER_DETIK.len()`: above all of them).
    pub ember: usize,
    /// Whether the runs exceeded the step's time standard.
    pub terlambat: bool,
    /// Late reason given, if any.
    pub alasan_terlambat: Option<String>,
    /// How many runs.
    pub jumlah: u64,
}

/// Recordings of one kecamatan with one dedup outcome, with quality and exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitunganDedup {
    /// Kecamatan.
    pub kecamatan: String,
    /// Dedup outcome (`None`: not decided yet).
    pub dedup: Option<String>,
    /// Recordings.
    pub jumlah: u64,
    /// Sum of their mean capture qualities (for a mean over recordings).
    pub jumlah_kualitas: u64,
    /// Recordings with a capture quality at all.
    pub berkualitas: u64,
    /// Modalities kept below the minimum quality.
    pub kualitas_rendah: u64,
    /// Modalities excepted.
    pub pengecualian: u64,
    /// Recordings with at least one exception.
    pub dengan_pengecualian: u64,
}

/// What the hub holds and owes for one office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AntrianKantor {
    /// Kecamatan.
    pub kecamatan: String,
    /// Documents stored.
    pub dokumen: u64,
    /// Applications waiting for dedup.
    pub menunggu_dedup: u64,
    /// Since when the oldest waits (RFC 3339).
    pub tertua: Option<String>,
}

/// Upper bounds (seconds, exclusive) of the duration histogram's buckets; one more bucket
/// holds everything above the last bound.
pub const EMBER_DETIK: [i64; 7] = [60, 120, 300, 600, 900, 1800, 3600];

/// The histogram bucket of a duration: the index into [`EMBER_DETIK`] of the first bound
/// above `detik`, or `EMBER_DETIK.len()` above all of them.
pub fn ember(detik: i64) -> usize {
    EMBER_DETIK
        .iter()
        .position(|&b| detik < b)
        .unwrap_or(EMBER_DETIK.len())
}

// --- The answers. ---

/// Recorded applications split by dedup outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Terekam {
    /// All recordings.
    pub jumlah: u64,
    /// Decided unique.
    pub unik: u64,
    /// Not decided yet, or waiting for an adjudicator.
    pub menunggu_dedup: u64,
    /// Decided duplicate.
    pub duplikat: u64,
}

/// One kecamatan in the overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IkhtisarKecamatan {
    /// Kecamatan code.
    pub kecamatan: String,
    /// Kecamatan name, if known.
    pub nama: Option<String>,
    /// Applications opened.
    pub permohonan: u64,
    /// Recordings.
    pub terekam: Terekam,
    /// Returned applications by reason (`berkas_tidak_lengkap`, `belum_memenuhi_syarat`,
    /// `sudah_rekam`, ...).
    pub dikembalikan: BTreeMap<String, u64>,
    /// Failed recordings.
    pub gagal: u64,
    /// Wajib KTP-el target, if known: the population register's count of residents who must
    /// hold a KTP-el on the range's last day where the register holds this kecamatan's
    /// residents, else the targets table's figure for the range's year.
    pub target: Option<u64>,
    /// Where `target` comes from.
    pub sumber_target: Option<SumberTarget>,
    /// Coverage in percent: recordings not found duplicate / target (may exceed 100).
    pub cakupan_persen: Option<f64>,
    /// Rating of the coverage.
    pub peringkat: Option<String>,
}

/// The source of a coverage target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SumberTarget {
    /// The population register (`crate::penduduk::belum_rekam::wajib_per_wilayah`).
    Register,
    /// The targets table (`rekam-hub target import`, the `/target` editor).
    Csv,
}

impl SumberTarget {
    /// The stored word (`register`, `csv`).
    pub fn as_str(self) -> &'static str {
        match self {
            SumberTarget::Register => "register",
            SumberTarget::Csv => "csv",
        }
    }
}

/// Per kecamatan, the register's count of residents who must hold a KTP-el on `pada` (empty
/// without a register).
pub fn target_register(
    storage: &dyn Storage,
    pada: chrono::NaiveDate,
) -> Result<BTreeMap<String, u64>, StorageError> {
    let mut per = BTreeMap::new();
    storage.transaction(&mut |tx| {
        per = BTreeMap::new();
        for ((k, _), n) in crate::penduduk::belum_rekam::wajib_per_wilayah(tx, pada)? {
            *per.entry(k).or_insert(0) += n;
        }
        Ok(())
    })?;
    Ok(per)
}

/// The register's targets of the last day asked, kept until the register changes (its head
/// version) or another day is asked: counting who must hold a KTP-el reads the whole register
/// (seconds at a district's 350,000 residents), the overview is asked on every page view.
#[derive(Debug, Default)]
pub struct CacheTarget {
    isi: std::sync::Mutex<Option<IsiCache>>,
}

/// The cached answer: for which (register head, day), and the targets per kecamatan.
type IsiCache = ((u64, chrono::NaiveDate), BTreeMap<String, u64>);

impl CacheTarget {
    /// [`target_register`] on `pada`, from the cache while the register's head is unchanged.
    pub fn ambil(
        &self,
        storage: &dyn Storage,
        pada: chrono::NaiveDate,
    ) -> Result<BTreeMap<String, u64>, StorageError> {
        let mut head = 0;
        storage.transaction(&mut |tx| {
            head = tx.register_head()?;
            Ok(())
        })?;
        let kunci = (head, pada);
        if let Ok(g) = self.isi.lock()
            && let Some((k, per)) = g.as_ref()
            && *k == kunci
        {
            return Ok(per.clone());
        }
        let per = target_register(storage, pada)?;
        if let Ok(mut g) = self.isi.lock() {
            *g = Some((kunci, per.clone()));
        }
        Ok(per)
    }
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TitikTren {
    /// Local day.
    pub tanggal: String,
    /// Applications opened per kecamatan.
    pub permohonan: BTreeMap<String, u64>,
    /// Recordings per kecamatan.
    pub terekam: BTreeMap<String, u64>,
}

/// The overview: every kecamatan side by side, and a per-day trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ikhtisar {
    /// The range.
    pub rentang: Rentang,
    /// One entry per kecamatan with data, an office or a target, by code.
    pub kecamatan: Vec<IkhtisarKecamatan>,
    /// Every day of the range, in order (days without data are zero).
    pub tren: Vec<TitikTren>,
}

/// The overview for `r`, coverage rated with `peringkat`.
pub fn ikhtisar(
    storage: &dyn Storage,
    r: &Rentang,
    peringkat: &Peringkat,
) -> Result<Ikhtisar, StorageError> {
    ikhtisar_dengan(storage, r, peringkat, &CacheTarget::default())
}

/// [`ikhtisar`] with the register's targets taken through `cache` (the dashboard keeps one).
pub fn ikhtisar_dengan(
    storage: &dyn Storage,
    r: &Rentang,
    peringkat: &Peringkat,
    cache: &CacheTarget,
) -> Result<Ikhtisar, StorageError> {
    let st = storage.statistik();
    let mut by: BTreeMap<String, IkhtisarKecamatan> = BTreeMap::new();
    let kosong = |k: &str| IkhtisarKecamatan {
        kecamatan: k.to_owned(),
        nama: nama_kecamatan(k),
        permohonan: 0,
        terekam: Terekam::default(),
        dikembalikan: BTreeMap::new(),
        gagal: 0,
        target: None,
        sumber_target: None,
        cakupan_persen: None,
        peringkat: None,
    };
    for o in storage.offices()? {
        by.entry(o.kecamatan.clone())
            .or_insert_with(|| kosong(&o.kecamatan));
    }
    for h in st.statistik_permohonan(r)? {
        let e = by
            .entry(h.kecamatan.clone())
            .or_insert_with(|| kosong(&h.kecamatan));
        e.permohonan += h.permohonan;
        e.gagal += h.gagal;
    }
    for h in st.statistik_kembali(r)? {
        let e = by
            .entry(h.kecamatan.clone())
            .or_insert_with(|| kosong(&h.kecamatan));
        *e.dikembalikan.entry(h.alasan).or_insert(0) += h.jumlah;
    }
    for h in st.statistik_rekam(r)? {
        let e = by
            .entry(h.kecamatan.clone())
            .or_insert_with(|| kosong(&h.kecamatan));
        e.terekam.jumlah += h.jumlah;
        match h.dedup.as_deref() {
            Some("unik") => e.terekam.unik += h.jumlah,
            Some("duplikat") => e.terekam.duplikat += h.jumlah,
            _ => e.terekam.menunggu_dedup += h.jumlah,
        }
    }
    let targets = target::per_kecamatan(&st.target_semua()?, r.dari.year());
    let register = cache.ambil(storage, r.sampai)?;
    for k in targets.keys().chain(register.keys()) {
        by.entry(k.clone()).or_insert_with(|| kosong(k));
    }
    for e in by.values_mut() {
        (e.target, e.sumber_target) = match register.get(&e.kecamatan) {
            Some(&n) => (Some(n), Some(SumberTarget::Register)),
            None => match targets.get(&e.kecamatan) {
                Some(&n) => (Some(n), Some(SumberTarget::Csv)),
                None => (None, None),
            },
        };
        if let Some(t) = e.target.filter(|&t| t > 0) {
            let persen = 100.0 * (e.terekam.jumlah - e.terekam.duplikat) as f64 / t as f64;
            e.cakupan_persen = Some(persen);
            e.peringkat = Some(peringkat.nilai(persen).to_owned());
        }
    }
    let mut hari: BTreeMap<String, TitikTren> = BTreeMap::new();
    let mut d = r.dari;
    while d <= r.sampai {
        hari.insert(
            d.to_string(),
            TitikTren {
                tanggal: d.to_string(),
                permohonan: BTreeMap::new(),
                terekam: BTreeMap::new(),
            },
        );
        d = d + Days::new(1);
    }
    for h in st.statistik_harian(r)? {
        if let Some(t) = hari.get_mut(&h.tanggal) {
            if h.permohonan > 0 {
                *t.permohonan.entry(h.kecamatan.clone()).or_insert(0) += h.permohonan;
            }
            if h.terekam > 0 {
                *t.terekam.entry(h.kecamatan).or_insert(0) += h.terekam;
            }
        }
    }
    Ok(Ikhtisar {
        rentang: *r,
        kecamatan: by.into_values().collect(),
        tren: hari.into_values().collect(),
    })
}

fn nama_kecamatan(kode: &str) -> Option<String> {
    let k: rekam_shared::region::KodeKecamatan = kode.parse().ok()?;
    rekam_shared::region::builtin()
        .kecamatan(k)
        .map(|k| k.nama.to_string())
}

/// Figures for the ended runs of one step in one group (district, office or operator).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KelompokWaktu {
    /// Step number (1..=4).
    pub langkah: u8,
    /// The step's time standard in minutes ([`Langkah::batas_menit`]).
    pub batas_menit: i64,
    /// Kecamatan (`None`: the whole district).
    pub kecamatan: Option<String>,
    /// Operator (`None`: every operator of the group).
    pub operator: Option<String>,
    /// Ended runs.
    pub jumlah: u64,
    /// Of which within the standard.
    pub sesuai_standar: u64,
    /// Share within the standard, percent (`None`: no run).
    pub persen_sesuai: Option<f64>,
    /// Runs per duration bucket ([`EMBER_DETIK`], one more for the rest).
    pub histogram: Vec<u64>,
    /// Late runs per late reason (`tanpa_alasan` when none was given).
    pub alasan_terlambat: BTreeMap<String, u64>,
}

/// The SOP time standards page's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandarWaktu {
    /// The range.
    pub rentang: Rentang,
    /// Bucket upper bounds in seconds.
    pub ember_detik: Vec<i64>,
    /// Per step, the whole district (always four entries, in SOP order).
    pub langkah: Vec<KelompokWaktu>,
    /// Per step and office.
    pub per_kantor: Vec<KelompokWaktu>,
    /// Per step, office and operator.
    pub per_operator: Vec<KelompokWaktu>,
}

fn langkah_dari(nomor: u8) -> Option<Langkah> {
    Langkah::SEMUA.into_iter().find(|l| l.nomor() == nomor)
}

/// The time standards for step runs started in `r`.
pub fn standar_waktu(storage: &dyn Storage, r: &Rentang) -> Result<StandarWaktu, StorageError> {
    type Kunci = (u8, Option<String>, Option<String>);
    let baru = |(langkah, kecamatan, operator): &Kunci| KelompokWaktu {
        langkah: *langkah,
        batas_menit: langkah_dari(*langkah).map_or(0, Langkah::batas_menit),
        kecamatan: kecamatan.clone(),
        operator: operator.clone(),
        jumlah: 0,
        sesuai_standar: 0,
        persen_sesuai: None,
        histogram: vec![0; EMBER_DETIK.len() + 1],
        alasan_terlambat: BTreeMap::new(),
    };
    let mut groups: [BTreeMap<Kunci, KelompokWaktu>; 3] = Default::default();
    for l in Langkah::SEMUA {
        let k = (l.nomor(), None, None);
        groups[0].insert(k.clone(), baru(&k));
    }
    for h in storage.statistik().statistik_waktu(r)? {
        let keys: [Kunci; 3] = [
            (h.langkah, None, None),
            (h.langkah, Some(h.kecamatan.clone()), None),
            (
                h.langkah,
                Some(h.kecamatan.clone()),
                Some(h.operator.clone()),
            ),
        ];
        for (g, k) in groups.iter_mut().zip(keys) {
            let e = g.entry(k.clone()).or_insert_with(|| baru(&k));
            e.jumlah += h.jumlah;
            if !h.terlambat {
                e.sesuai_standar += h.jumlah;
            } else {
                let alasan = h.alasan_terlambat.as_deref().unwrap_or("tanpa_alasan");
                *e.alasan_terlambat.entry(alasan.to_owned()).or_insert(0) += h.jumlah;
            }
            if let Some(b) = e.histogram.get_mut(h.ember) {
                *b += h.jumlah;
            }
        }
    }
    let [a, b, c] = groups.map(|g| {
        g.into_values()
            .map(|mut e| {
                e.persen_sesuai =
                    (e.jumlah > 0).then(|| 100.0 * e.sesuai_standar as f64 / e.jumlah as f64);
                e
            })
            .collect::<Vec<_>>()
    });
    Ok(StandarWaktu {
        rentang: *r,
        ember_detik: EMBER_DETIK.to_vec(),
        langkah: a,
        per_kantor: b,
        per_operator: c,
    })
}

/// One office on the offices page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kantor {
    /// Kecamatan code.
    pub kecamatan: String,
    /// Kecamatan name, if known.
    pub nama: Option<String>,
    /// Last successful sync (RFC 3339), if the office ever synced.
    pub terakhir_kontak: Option<String>,
    /// Serial of the certificate last used.
    pub serial_sertifikat: Option<String>,
    /// Sync requests served.
    pub permintaan: u64,
    /// Documents stored at the hub.
    pub dokumen: u64,
    /// Applications waiting for dedup.
    pub menunggu_dedup: u64,
    /// Since when the oldest of them waits.
    pub menunggu_sejak: Option<String>,
}

/// Every office the hub knows (from syncs or stored documents), by code.
pub fn kantor(storage: &dyn Storage) -> Result<Vec<Kantor>, StorageError> {
    let mut by: BTreeMap<String, Kantor> = BTreeMap::new();
    let kosong = |k: &str| Kantor {
        kecamatan: k.to_owned(),
        nama: nama_kecamatan(k),
        terakhir_kontak: None,
        serial_sertifikat: None,
        permintaan: 0,
        dokumen: 0,
        menunggu_dedup: 0,
        menunggu_sejak: None,
    };
    for o in storage.offices()? {
        let e = by
            .entry(o.kecamatan.clone())
            .or_insert_with(|| kosong(&o.kecamatan));
        e.terakhir_kontak = Some(o.last_seen);
        e.serial_sertifikat = Some(o.cert_serial);
        e.permintaan = o.requests;
    }
    for a in storage.statistik().statistik_kantor()? {
        let e = by
            .entry(a.kecamatan.clone())
            .or_insert_with(|| kosong(&a.kecamatan));
        e.dokumen = a.dokumen;
        e.menunggu_dedup = a.menunggu_dedup;
        e.menunggu_sejak = a.tertua;
    }
    Ok(by.into_values().collect())
}

/// Deduplication figures of one office.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupKantor {
    /// Kecamatan code.
    pub kecamatan: String,
    /// Recordings.
    pub terekam: Terekam,
    /// Waiting for an adjudicator (part of `terekam.menunggu_dedup`).
    pub perlu_adjudikasi: u64,
    /// Duplicates among decided recordings, percent (`None`: none decided).
    pub persen_duplikat: Option<f64>,
    /// Mean capture quality over recordings that carry one.
    pub kualitas_rata: Option<f64>,
    /// Modalities kept below the minimum quality.
    pub kualitas_rendah: u64,
    /// Modalities excepted.
    pub pengecualian: u64,
    /// Recordings with at least one exception.
    pub dengan_pengecualian: u64,
}

/// Deduplication per office for recordings made in `r`.
pub fn dedup_per_kantor(
    storage: &dyn Storage,
    r: &Rentang,
) -> Result<Vec<DedupKantor>, StorageError> {
    let mut by: BTreeMap<String, (DedupKantor, u64, u64)> = BTreeMap::new();
    for h in storage.statistik().statistik_dedup(r)? {
        let (e, sum, n) = by.entry(h.kecamatan.clone()).or_insert_with(|| {
            (
                DedupKantor {
                    kecamatan: h.kecamatan.clone(),
                    terekam: Terekam::default(),
                    perlu_adjudikasi: 0,
                    persen_duplikat: None,
                    kualitas_rata: None,
                    kualitas_rendah: 0,
                    pengecualian: 0,
                    dengan_pengecualian: 0,
                },
                0,
                0,
            )
        });
        e.terekam.jumlah += h.jumlah;
        match h.dedup.as_deref() {
            Some("unik") => e.terekam.unik += h.jumlah,
            Some("duplikat") => e.terekam.duplikat += h.jumlah,
            Some("perlu_adjudikasi") => {
                e.terekam.menunggu_dedup += h.jumlah;
                e.perlu_adjudikasi += h.jumlah;
            }
            _ => e.terekam.menunggu_dedup += h.jumlah,
        }
        *sum += h.jumlah_kualitas;
        *n += h.berkualitas;
        e.kualitas_rendah += h.kualitas_rendah;
        e.pengecualian += h.pengecualian;
        e.dengan_pengecualian += h.dengan_pengecualian;
    }
    Ok(by
        .into_values()
        .map(|(mut e, sum, n)| {
            let decided = e.terekam.unik + e.terekam.duplikat;
            e.persen_duplikat =
                (decided > 0).then(|| 100.0 * e.terekam.duplikat as f64 / decided as f64);
            e.kualitas_rata = (n > 0).then(|| sum as f64 / n as f64);
            e
        })
        .collect())
}
