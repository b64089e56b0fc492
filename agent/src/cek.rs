//! The local "already recorded?" check of step 2 (pengecekan iris mata/sidik jari).
//!
//! [`CekRekam`] holds an in-memory gallery of every person this office has recorded (built from
//! SQLite at start, extended on each successful recording) and, when the sync daemon has one,
//! a [`IndeksDistrik`]: the district-wide index the hub sends. A check searches both and its
//! answer says what it searched ("12.345 lokal + 402.117 distrik, indeks 2026-11-20") so the
//! operator knows how complete it is.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
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
        })
    }
}

/// Size and date of the district index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoIndeks {
    pub jumlah: usize,
    pub tanggal: NaiveDate,
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
    /// What was searched, in Indonesian, e.g. "12.345 lokal + 402.117 distrik, indeks 2026-11-20".
    pub cakupan: String,
    /// How long the search took.
    pub milidetik: u64,
}

/// The district index the hub sends (filled by the sync daemon).
pub trait IndeksDistrik: Send + Sync {
    /// Its size and date.
    fn info(&self) -> InfoIndeks;
    /// Persons in the index that match (or possibly match) the probe.
    fn cari(&self, probe: &Probe) -> Vec<Cocok>;
}

/// A district index of iris templates (what the hub sends: every person recorded
/// district-wide), searched with the shared gallery. The sync daemon builds one from the hub's
/// data and installs it with [`CekRekam::set_distrik`].
pub struct IndeksIris {
    gallery: rekam_shared::bio::gallery::Gallery<String>,
    nik: std::collections::HashMap<String, String>,
    tanggal: NaiveDate,
}

/// One person of the district index: application id, NIK, right and left iris templates
/// (shared text form; either may be missing).
#[derive(Clone)]
pub struct EntriIris {
    pub permohonan_id: String,
    pub nik: String,
    pub kanan: Option<Vec<u8>>,
    pub kiri: Option<Vec<u8>>,
}

impl std::fmt::Debug for EntriIris {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntriIris")
            .field("permohonan_id", &self.permohonan_id)
            .finish_non_exhaustive()
    }
}

impl IndeksIris {
    /// Builds the index of `tanggal` (the hub's date of it); unparseable templates are skipped.
    pub fn new(entries: impl IntoIterator<Item = EntriIris>, tanggal: NaiveDate) -> Self {
        let mut gallery = rekam_shared::bio::gallery::Gallery::default();
        let mut nik = std::collections::HashMap::new();
        for e in entries {
            let probe = Probe {
                jari: Vec::new(),
                iris: [("right-iris", e.kanan), ("left-iris", e.kiri)]
                    .into_iter()
                    .filter_map(|(p, t)| t.map(|t| (p.to_owned(), t)))
                    .collect(),
            };
            let person = crate::bio::person_of(&probe);
            if person.is_empty() {
                continue;
            }
            nik.insert(e.permohonan_id.clone(), e.nik);
            gallery.insert(e.permohonan_id, person);
        }
        IndeksIris {
            gallery,
            nik,
            tanggal,
        }
    }
}

impl IndeksDistrik for IndeksIris {
    fn info(&self) -> InfoIndeks {
        InfoIndeks {
            jumlah: self.gallery.len(),
            tanggal: self.tanggal,
        }
    }

    fn cari(&self, probe: &Probe) -> Vec<Cocok> {
        // Irises only: the district index carries no fingerprints.
        let iris_only = Probe {
            jari: Vec::new(),
            iris: probe.iris.clone(),
        };
        let person = crate::bio::person_of(&iris_only);
        if person.is_empty() {
            return Vec::new();
        }
        self.gallery
            .search(&person, 5)
            .into_iter()
            .filter_map(|c| Cocok::dari_kandidat(Sumber::Distrik, c, &self.nik))
            .collect()
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
        let info = distrik.as_ref().map(|d| d.info());
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
                "{} lokal + {} distrik, indeks {}",
                ribuan(lokal),
                ribuan(i.jumlah),
                i.tanggal
            ),
            None => format!("{} lokal, tanpa indeks distrik", ribuan(lokal)),
        };
        HasilCek {
            sudah_rekam: cocok.iter().any(|c| c.kepastian == Kepastian::Cocok),
            cocok,
            lokal,
            distrik: info,
            cakupan,
            milidetik: started.elapsed().as_millis() as u64,
        }
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
