//! The "already recorded?" check of step 2 (pengecekan iris mata/sidik jari).
//!
//! [`CekRekam`] holds an in-memory gallery of every person this office has recorded (built from
//! SQLite at start, extended on each successful recording) and an [`IndeksDistrik`]: the
//! district-wide index the hub sends ([`IndeksKabupaten`], kept in SQLite by the sync daemon,
//! see `docs/district-index.md`). A check searches both and its answer says what it searched
//! ("12.345 lokal + 341.870 kabupaten, indeks per 2026-11-30 16:05") so the operator knows how
//! complete it is; an index older than the configured age adds a warning.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, Utc};
use rekam_shared::bio::gallery::{Candidate, Gallery, Person};
use rekam_shared::bio::iris::Eye;
use rekam_shared::index::{EntriIndeks, IsiIndeks};
use serde::{Deserialize, Serialize};

/// The samples a check compares: fingerprint templates (ISO 19794-2 bytes) and iris
/// templates, by position. Debug omits the data.
#[derive(Clone, Default)]
pub struct Probe {
    pub jari: Vec<(String, Vec<u8>)>,
    pub iris: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("jari", &self.jari.len())
            .field("iris", &self.iris.len())
            .finish()
    }
}

/// Where a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sumber {
    Lokal,
    Distrik,
}

/// How sure a match is (the shared fusion verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kepastian {
    /// Above the match threshold: the same person.
    #[default]
    Cocok,
    /// Between the thresholds: possibly the same person (a case for the district's adjudicator).
    Mungkin,
}

/// One person found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cocok {
    pub sumber: Sumber,
    #[serde(default)]
    pub kepastian: Kepastian,
    /// The application that recorded this person.
    pub permohonan_id: String,
    pub nik: String,
    /// Fused score (0-1, higher = more similar).
    pub skor: f64,
    /// Where and when the person was recorded, for a district match (the "sudah rekam"
    /// branch tells the resident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asal: Option<AsalRekam>,
}

/// Where and when a person of the district index was recorded, and the district's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsalRekam {
    /// Kecamatan code of the recording office.
    pub kecamatan: String,
    /// Its name, when the kecamatan is one of the district's.
    pub nama_kecamatan: Option<String>,
    /// Date of the recording in the office's calendar (YYYY-MM-DD).
    pub tanggal: String,
    /// The dedup decision's stored name (`unik`, `duplikat`, `perlu_adjudikasi`), if any.
    pub keputusan: Option<String>,
}

impl Cocok {
    /// A gallery candidate as the desk reports it: `None` for a non-match, else a certain
    /// (`Match`) or possible (`PossibleMatch`) match with the NIK it was recorded under.
    pub fn dari_kandidat(
        sumber: Sumber,
        c: rekam_shared::bio::gallery::Candidate<String>,
        nik: &std::collections::HashMap<String, String>,
    ) -> Option<Cocok> {
        use rekam_shared::bio::fusion::Verdict;
        let kepastian = match c.verdict {
            Verdict::NoMatch => return None,
            Verdict::Match => Kepastian::Cocok,
            Verdict::PossibleMatch => Kepastian::Mungkin,
        };
        Some(Cocok {
            sumber,
            kepastian,
            nik: nik.get(&c.id).cloned().unwrap_or_default(),
            permohonan_id: c.id,
            skor: c.score,
            asal: None,
        })
    }
}

/// Size and age of the district index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoIndeks {
    /// Persons in it.
    pub jumlah: usize,
    /// When it was last complete (the office had every entry the hub had), if ever.
    pub per: Option<DateTime<Utc>>,
    /// `per` as the desk shows it (office time, `YYYY-MM-DD HH:MM`).
    pub per_teks: Option<String>,
    /// Older than the configured age (or never complete): a warning goes with every answer.
    pub usang: bool,
}

/// The answer of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HasilCek {
    /// Whether a certain match was found (the application ends: already recorded).
    pub sudah_rekam: bool,
    /// Certain and possible matches, best first. Possible matches alone do not stop the
    /// recording; the hub's deduplication decides them.
    pub cocok: Vec<Cocok>,
    /// Persons searched in the local gallery.
    pub lokal: usize,
    /// The district index searched, if any.
    pub distrik: Option<InfoIndeks>,
    /// What was searched, in Indonesian, e.g. "12.345 lokal + 341.870 kabupaten, indeks per
    /// 2026-11-30 16:05".
    pub cakupan: String,
    /// A warning about the search's completeness (a stale or incomplete district index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peringatan: Option<String>,
    /// How long the search took.
    pub milidetik: u64,
}

/// The district index the hub sends (filled by the sync daemon).
pub trait IndeksDistrik: Send + Sync {
    /// Its size and date.
    fn info(&self) -> InfoIndeks;
    /// Persons in the index that match (or possibly match) the probe.
    fn cari(&self, probe: &Probe) -> Vec<Cocok>;
    /// Whether application `id` is in the index (so it is not counted twice with the local
    /// gallery).
    fn berisi(&self, _id: &str) -> bool {
        false
    }
}

/// Formats a count the Indonesian way (12.345).
pub fn ribuan(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The check: local gallery plus optional district index.
pub struct CekRekam {
    lokal: RwLock<crate::bio::LocalGallery>,
    distrik: RwLock<Option<Arc<dyn IndeksDistrik>>>,
}

impl std::fmt::Debug for CekRekam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CekRekam")
            .field("lokal", &self.jumlah_lokal())
            .finish_non_exhaustive()
    }
}

impl CekRekam {
    /// A check over an already built local gallery.
    pub fn new(lokal: crate::bio::LocalGallery) -> Self {
        CekRekam {
            lokal: RwLock::new(lokal),
            distrik: RwLock::new(None),
        }
    }

    /// Number of persons in the local gallery.
    pub fn jumlah_lokal(&self) -> usize {
        self.lokal.read().map(|g| g.len()).unwrap_or(0)
    }

    /// Installs (or replaces) the district index: called by the sync daemon.
    pub fn set_distrik(&self, indeks: Option<Arc<dyn IndeksDistrik>>) {
        if let Ok(mut d) = self.distrik.write() {
            *d = indeks;
        }
    }

    /// Size and age of the installed district index, if any (for the desk's banner).
    pub fn info_distrik(&self) -> Option<InfoIndeks> {
        let d = self.distrik.read().ok().and_then(|d| d.clone())?;
        Some(d.info())
    }

    /// Adds a newly recorded person to the local gallery.
    pub fn tambah(&self, permohonan_id: &str, nik: &str, probe: &Probe) {
        if let Ok(mut g) = self.lokal.write() {
            g.tambah(permohonan_id, nik, probe);
        }
    }

    /// Searches the local gallery and the district index (CPU-bound: call on a blocking
    /// thread). A person recorded both locally and in the district is reported once.
    pub fn cek(&self, probe: &Probe) -> HasilCek {
        let started = std::time::Instant::now();
        let (mut cocok, lokal) = match self.lokal.read() {
            Ok(g) => (g.cari(probe), g.len()),
            Err(_) => (Vec::new(), 0),
        };
        let distrik = self.distrik.read().ok().and_then(|d| d.clone());
        // The office's own recordings come back in the district index: counted once.
        let info = distrik.as_ref().map(|d| {
            let mut i = d.info();
            let both = match self.lokal.read() {
                Ok(g) => g.ids().filter(|id| d.berisi(id)).count(),
                Err(_) => 0,
            };
            i.jumlah = i.jumlah.saturating_sub(both);
            i
        });
        if let Some(d) = &distrik {
            for c in d.cari(probe) {
                if !cocok.iter().any(|l| l.permohonan_id == c.permohonan_id) {
                    cocok.push(c);
                }
            }
        }
        cocok.sort_by(|a, b| b.skor.total_cmp(&a.skor));
        let cakupan = match &info {
            Some(i) => format!(
                "{} lokal + {} kabupaten, {}",
                ribuan(lokal),
                ribuan(i.jumlah),
                match &i.per_teks {
                    Some(p) => format!("indeks per {p}"),
                    None => "indeks belum lengkap".to_owned(),
                }
            ),
            None => format!("{} lokal, tanpa indeks kabupaten", ribuan(lokal)),
        };
        HasilCek {
            sudah_rekam: cocok.iter().any(|c| c.kepastian == Kepastian::Cocok),
            cocok,
            lokal,
            peringatan: info.as_ref().and_then(peringatan_indeks),
            distrik: info,
            cakupan,
            milidetik: started.elapsed().as_millis() as u64,
        }
    }
}

/// The desk's warning about a district index that is stale or was never complete.
pub fn peringatan_indeks(i: &InfoIndeks) -> Option<String> {
    if !i.usang {
        return None;
    }
    Some(match &i.per_teks {
        Some(p) => format!(
            "Indeks kabupaten sudah lama tidak diperbarui (terakhir lengkap {p}): penduduk yang \
             direkam di kecamatan lain sesudahnya tidak ikut dicari. Periksa sinkronisasi."
        ),
        None => "Indeks kabupaten belum lengkap diunduh: penduduk yang direkam di kecamatan lain \
                 mungkin tidak ikut dicari."
            .to_owned(),
    })
}

/// Shards of the district gallery: one per core, searched in parallel.
/// Searches every shard of a gallery (in parallel, one scoped thread per shard, when there are
/// several) and merges the candidates, best first (at most `top_k` per shard).
pub(crate) fn cari_shards(
    shards: &[Gallery<String>],
    person: &Person,
    top_k: usize,
) -> Vec<Candidate<String>> {
    let mut found: Vec<_> = if let [satu] = shards {
        satu.search(person, top_k)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = shards
                .iter()
                .map(|g| s.spawn(|| g.search(person, top_k)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found
}

fn shard_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
}

/// What the index knows of one person besides the biometric key.
#[derive(Clone)]
struct Keterangan {
    nik: String,
    asal: AsalRekam,
}

struct IsiKabupaten {
    shards: Vec<Gallery<String>>,
    keterangan: HashMap<String, Keterangan>,
    /// The index version held (highest sequence number stored).
    versi: u64,
    /// When the office last held everything the hub had.
    per: Option<DateTime<Utc>>,
}

/// The district index the sync daemon keeps (SQLite table of migration `0130_indeks.sql`),
/// searched in memory: compact keys of every person recorded district-wide, sharded by
/// application id, updated live as chunks arrive.
pub struct IndeksKabupaten {
    isi: RwLock<IsiKabupaten>,
    offset: FixedOffset,
    maks_umur: chrono::TimeDelta,
}

impl std::fmt::Debug for IndeksKabupaten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndeksKabupaten").finish_non_exhaustive()
    }
}

fn shard_of(id: &str, n: usize) -> usize {
    // FNV-1a: stable, so a removal finds the shard the insert chose.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % n as u64) as usize
}

impl IndeksKabupaten {
    /// An empty index; dates shown at `offset`; older than `maks_umur` counts as stale.
    pub fn new(offset: FixedOffset, maks_umur: chrono::TimeDelta) -> Self {
        IndeksKabupaten {
            isi: RwLock::new(IsiKabupaten {
                shards: (0..shard_count()).map(|_| Gallery::default()).collect(),
                keterangan: HashMap::new(),
                versi: 0,
                per: None,
            }),
            offset,
            maks_umur,
        }
    }

    /// Applies stored entries (additions, replacements, tombstones), then records the version
    /// now held and when it was last complete.
    pub fn terapkan(&self, entri: &[EntriIndeks], versi: u64, per: Option<DateTime<Utc>>) {
        let Ok(mut isi) = self.isi.write() else {
            return;
        };
        let n = isi.shards.len();
        for e in entri {
            let shard = shard_of(&e.permohonan_id, n);
            let person = e.isi.as_ref().and_then(person_of_isi);
            match (person, &e.isi) {
                (Some(p), Some(i)) => {
                    isi.shards[shard].insert(e.permohonan_id.clone(), p);
                    let k = self.keterangan_of(i);
                    isi.keterangan.insert(e.permohonan_id.clone(), k);
                }
                _ => {
                    isi.shards[shard].remove(&e.permohonan_id);
                    isi.keterangan.remove(&e.permohonan_id);
                }
            }
        }
        isi.versi = versi;
        if per.is_some() {
            isi.per = per;
        }
    }

    /// The version held.
    pub fn versi(&self) -> u64 {
        self.isi.read().map(|i| i.versi).unwrap_or(0)
    }

    fn keterangan_of(&self, i: &IsiIndeks) -> Keterangan {
        let nama_kecamatan = i
            .kecamatan
            .parse::<rekam_shared::region::KodeKecamatan>()
            .ok()
            .and_then(rekam_shared::region::kecamatan_pesisir_selatan)
            .map(|k| k.nama.to_string());
        let tanggal = DateTime::parse_from_rfc3339(&i.tanggal_rekam)
            .map(|t| t.with_timezone(&self.offset).date_naive().to_string())
            .unwrap_or_else(|_| i.tanggal_rekam.clone());
        Keterangan {
            nik: i.nik.clone(),
            asal: AsalRekam {
                kecamatan: i.kecamatan.clone(),
                nama_kecamatan,
                tanggal,
                keputusan: i.keputusan.clone(),
            },
        }
    }
}

/// The gallery person of an index entry (its reduced irises); `None` if the key does not read.
fn person_of_isi(i: &IsiIndeks) -> Option<Person> {
    let (kanan, kiri) =
        rekam_shared::index::kunci_ke_iris(crate::bio::IRIS_SHAPE, &i.kunci).ok()?;
    let mut p = Person::new();
    if let Some(t) = kanan {
        p = p.with_iris(Eye::Right, t);
    }
    if let Some(t) = kiri {
        p = p.with_iris(Eye::Left, t);
    }
    (!p.is_empty()).then_some(p)
}

impl IndeksDistrik for IndeksKabupaten {
    fn info(&self) -> InfoIndeks {
        let (jumlah, per) = match self.isi.read() {
            Ok(i) => (i.keterangan.len(), i.per),
            Err(_) => (0, None),
        };
        InfoIndeks {
            jumlah,
            per,
            per_teks: per.map(|p| {
                p.with_timezone(&self.offset)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            }),
            usang: per.is_none_or(|p| Utc::now() - p > self.maks_umur),
        }
    }

    fn cari(&self, probe: &Probe) -> Vec<Cocok> {
        // The index carries reduced irises only: the probe's irises are reduced the same way.
        let full = crate::bio::person_of(&Probe {
            jari: Vec::new(),
            iris: probe.iris.clone(),
        });
        let mut person = Person::new();
        for eye in [Eye::Right, Eye::Left] {
            if let Some(t) = full.iris(eye) {
                person = person.with_iris(eye, rekam_shared::index::ringkas(t));
            }
        }
        if person.is_empty() {
            return Vec::new();
        }
        let Ok(isi) = self.isi.read() else {
            return Vec::new();
        };
        let found = cari_shards(&isi.shards, &person, 5);
        let nik: HashMap<String, String> = found
            .iter()
            .filter_map(|c| Some((c.id.clone(), isi.keterangan.get(&c.id)?.nik.clone())))
            .collect();
        found
            .into_iter()
            .take(5)
            .filter_map(|c| {
                let asal = isi.keterangan.get(&c.id).map(|k| k.asal.clone());
                let mut m = Cocok::dari_kandidat(Sumber::Distrik, c, &nik)?;
                m.asal = asal;
                Some(m)
            })
            .collect()
    }

    fn berisi(&self, id: &str) -> bool {
        self.isi.read().is_ok_and(|i| i.keterangan.contains_key(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ribuan_groups_by_three() {
        assert_eq!(ribuan(0), "0");
        assert_eq!(ribuan(999), "999");
        assert_eq!(ribuan(12345), "12.345");
        assert_eq!(ribuan(402117), "402.117");
        assert_eq!(ribuan(1000000), "1.000.000");
    }
}
