//! District-wide deduplication: the hub's answer to "does this resident already hold an
//! identity anywhere in the district?".
//!
//! An application becomes a dedup subject when its office has recorded it (its events, replayed
//! through the SOP state machine by [`PermohonanDoc::keadaan`], reach `Terekam` or
//! `Diserahkan`) and its document carries biometrics. The engine keeps an
//! in-memory district index of every recorded application (NIK -> applications, and a
//! [`Gallery`] of the persons' irises and fingerprints), rebuilt from storage when the hub
//! starts. Each new subject is checked, under one lock so that two offices recording the same
//! person at the same moment cannot miss each other:
//!
//! 1. the same NIK already recorded in another application: **duplikat**;
//! 2. else a 1:N biometric search (irises first, fingerprints confirm, fused; thresholds in
//!    [`GalleryConfig`], documented in docs/biometrics.md): a match is **duplikat**, a
//!    possible match **perlu adjudikasi** (a case for a person), nothing is **unik**;
//!
//! then added to the index and the decision written into the document by
//! [`crate::sync::decide`] (`oleh: sistem`), which the office receives at its next sync.
//! Applications that already carry a decision (for instance from an adjudicator) are indexed
//! but never re-decided. The engine itself is synchronous (call it off the async threads).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::fusion::Verdict;
use rekam_shared::bio::gallery::{Gallery, GalleryConfig, Person};
use rekam_shared::bio::iris::{Eye, IrisShape, IrisTemplate};
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::document::{Biometrik, HasilDedup, Keputusan, PermohonanDoc};
use rekam_shared::nik::Nik;
use rekam_shared::workflow::Status;

use crate::storage::{Storage, StorageError};

/// Who the engine's decisions are from.
pub const SISTEM: &str = "sistem";

/// What dedup reads of one application.
struct Subject {
    id: String,
    nik: Option<String>,
    person: Person,
    /// The office recorded it (step 3 succeeded).
    recorded: bool,
    /// A decision is already there.
    decided: bool,
}

/// The district index.
struct Index {
    gallery: Gallery<String>,
    by_nik: HashMap<String, Vec<String>>,
    indexed: HashSet<String>,
    /// False while a rebuild has not completed: deciding against part of the district would
    /// call a duplicate unique.
    complete: bool,
}

/// The dedup engine (see the module documentation).
pub struct Dedup {
    iris_shape: IrisShape,
    index: Mutex<Index>,
}

/// Why an application could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing the decision failed.
    #[error("decision: {0}")]
    Decide(#[from] crate::sync::DecideError),
}

/// What happened to one application.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not (yet) a subject: not recorded, or no biometrics.
    NotReady,
    /// Already decided (and indexed).
    AlreadyDecided,
    /// Decided now.
    Decided(Keputusan),
}

impl Dedup {
    /// An empty engine for iris codes of `iris_shape` (what the offices capture).
    pub fn new(iris_shape: IrisShape, config: GalleryConfig) -> Self {
        Dedup {
            iris_shape,
            index: Mutex::new(Index {
                gallery: Gallery::new(config),
                by_nik: HashMap::new(),
                indexed: HashSet::new(),
                complete: true,
            }),
        }
    }

    /// Builds the index from every stored application, then decides those recorded but not
    /// yet decided (the hub may have stopped between storing and deciding). Holds the index
    /// for the whole time, so applications arriving meanwhile wait and are checked against
    /// the complete index: the hub can serve while this runs. Returns how many applications
    /// are indexed.
    pub fn rebuild(&self, storage: &dyn Storage) -> Result<usize, DedupError> {
        let mut index = self.lock();
        index.complete = false;
        let mut pending = Vec::new();
        for id in storage.doc_ids(None)? {
            let Some(subject) = self.subject(storage, &id)? else {
                continue;
            };
            if subject.decided {
                index.add(subject);
            } else if subject.recorded {
                pending.push(subject);
            }
        }
        index.complete = true;
        for subject in pending {
            self.decide_and_add(&mut index, storage, subject)?;
        }
        Ok(index.indexed.len())
    }

    /// Takes in application `id` after its document changed: decides it if it is a new
    /// subject (see the module documentation).
    pub fn process(&self, storage: &dyn Storage, id: &str) -> Result<Outcome, DedupError> {
        if self.lock().indexed.contains(id) {
            // Decided and indexed already (a later change, e.g. the hand-over): nothing to
            // read again.
            return Ok(Outcome::AlreadyDecided);
        }
        let Some(subject) = self.subject(storage, id)? else {
            return Ok(Outcome::NotReady);
        };
        let mut index = self.lock();
        if subject.decided {
            index.add(subject);
            return Ok(Outcome::AlreadyDecided);
        }
        if !subject.recorded || index.indexed.contains(id) {
            return Ok(Outcome::NotReady);
        }
        if !index.complete {
            // The rebuild failed: decided at the next start instead.
            tracing::error!(permohonan = %id, "dedup index incomplete; decision deferred");
            return Ok(Outcome::NotReady);
        }
        self.decide_and_add(&mut index, storage, subject)
            .map(Outcome::Decided)
    }

    fn decide_and_add(
        &self,
        index: &mut Index,
        storage: &dyn Storage,
        subject: Subject,
    ) -> Result<Keputusan, DedupError> {
        let keputusan = index.decide(&subject);
        // Decision first, index second: if the write fails, the application stays pending
        // and is decided again at its next change or at the next start.
        crate::sync::decide(storage, &subject.id, &keputusan)?;
        tracing::info!(
            permohonan = %subject.id,
            hasil = ?keputusan.hasil,
            duplikat = keputusan.duplikat_dari.len(),
            "dedup decision"
        );
        index.add(subject);
        Ok(keputusan)
    }

    /// Applications in the index.
    pub fn len(&self) -> usize {
        self.lock().indexed.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads what dedup needs of a stored application; `None` if it is not there or has no
    /// readable biometrics. A malformed document is logged and skipped, not fatal.
    fn subject(&self, storage: &dyn Storage, id: &str) -> Result<Option<Subject>, DedupError> {
        let Some(stored) = storage.load_doc(id)? else {
            return Ok(None);
        };
        let read = || -> Result<Subject, String> {
            let doc = PermohonanDoc::load(&stored.bytes).map_err(|e| e.to_string())?;
            // Only the NIK is needed: read that field, checked, rather than the whole record
            // (so an older record layout does not hide a duplicate NIK).
            let nik = doc
                .penduduk_as::<serde_json::Value>()
                .ok()
                .flatten()
                .and_then(|p| p.get("nik")?.as_str()?.parse::<Nik>().ok())
                .map(|n| n.to_string());
            // Recorded only if the events, replayed through the SOP state machine, reach a
            // successful recording; events that do not replay (another schema, or a run that
            // breaks the SOP) do not make a recording.
            let recorded = doc.keadaan().is_ok_and(|k| {
                matches!(k.status, Status::Terekam { .. } | Status::Diserahkan { .. })
            });
            let decided = doc.keputusan().map_err(|e| e.to_string())?.is_some();
            // Templates are prepared only for what will be searched or indexed.
            let person = if recorded || decided {
                person_of(
                    &doc.biometrik().map_err(|e| e.to_string())?,
                    self.iris_shape,
                )
            } else {
                Person::new()
            };
            Ok(Subject {
                id: id.to_owned(),
                nik,
                person,
                recorded,
                decided,
            })
        };
        match read() {
            Ok(s) if !s.recorded && !s.decided => Ok(None),
            Ok(s) if s.person.is_empty() && s.nik.is_none() => Ok(None),
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                tracing::warn!(permohonan = %id, error = %e, "dedup: document not readable");
                Ok(None)
            }
        }
    }
}

impl Index {
    fn add(&mut self, s: Subject) {
        if !self.indexed.insert(s.id.clone()) {
            return;
        }
        if let Some(nik) = s.nik {
            self.by_nik.entry(nik).or_default().push(s.id.clone());
        }
        if !s.person.is_empty() {
            self.gallery.insert(s.id, s.person);
        }
    }

    fn decide(&self, s: &Subject) -> Keputusan {
        let (hasil, duplikat_dari, catatan) = self.compare(s);
        Keputusan {
            hasil,
            oleh: SISTEM.into(),
            waktu: chrono::Utc::now(),
            catatan,
            duplikat_dari,
        }
    }

    fn compare(&self, s: &Subject) -> (HasilDedup, Vec<String>, String) {
        if let Some(nik) = &s.nik {
            let same: Vec<String> = self
                .by_nik
                .get(nik)
                .into_iter()
                .flatten()
                .filter(|other| **other != s.id)
                .cloned()
                .collect();
            if !same.is_empty() {
                return (
                    HasilDedup::Duplikat,
                    same,
                    format!("NIK {nik} sudah direkam di kabupaten"),
                );
            }
        }
        if s.person.is_empty() {
            return (
                HasilDedup::Unik,
                Vec::new(),
                "Tidak ada data biometrik untuk dicari".into(),
            );
        }
        let found = self.gallery.search(&s.person, 5);
        let of = |v: Verdict| -> Vec<String> {
            found
                .iter()
                .filter(|c| c.verdict == v && c.id != s.id)
                .map(|c| c.id.clone())
                .collect()
        };
        let (matches, possible) = (of(Verdict::Match), of(Verdict::PossibleMatch));
        let searched = self.gallery.len();
        if !matches.is_empty() {
            (
                HasilDedup::Duplikat,
                matches,
                format!("Biometrik cocok (dicari di {searched} perekaman kabupaten)"),
            )
        } else if !possible.is_empty() {
            (
                HasilDedup::PerluAdjudikasi,
                possible,
                format!("Biometrik mungkin cocok (dicari di {searched} perekaman kabupaten)"),
            )
        } else {
            (
                HasilDedup::Unik,
                Vec::new(),
                format!("Tidak ada yang cocok di {searched} perekaman kabupaten"),
            )
        }
    }
}

/// The gallery person of a document's biometric section; unreadable samples are skipped
/// (the office validated them when they were captured).
pub fn person_of(bio: &Biometrik, iris_shape: IrisShape) -> Person {
    let mut p = Person::new();
    for (name, data) in &bio.sidik_jari {
        let Some(position) = FingerPosition::from_name(name) else {
            continue;
        };
        let Ok(record) = FingerprintRecord::parse(data) else {
            continue;
        };
        if let Some(view) = record.views.first() {
            let t = FingerprintTemplate::new(view, (record.resolution_x, record.resolution_y));
            p.set_finger(position, t);
        }
    }
    for (eye, text) in &bio.iris {
        let eye = match eye.as_str() {
            "kiri" => Eye::Left,
            "kanan" => Eye::Right,
            _ => continue,
        };
        if let Ok(t) = IrisTemplate::from_text(iris_shape, text) {
            p = p.with_iris(eye, t);
        }
    }
    p
}

#[cfg(test)]
mod tests;
