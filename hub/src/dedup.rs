//! District-wide deduplication: the hub's answer to "does this resident already hold an
//! identity anywhere in the district?".
//!
//! An application becomes a dedup subject when its office has recorded it (its events, replayed
//! through the SOP state machine by [`rekam_shared::document::PermohonanDoc::keadaan`], reach `Terekam` or
//! `Diserahkan`) and its document carries biometrics. The engine keeps an
//! in-memory district index of every recorded application (NIK -> applications, and a
//! [`Gallery`] of the persons' irises and fingerprints), rebuilt from storage when the hub
//! starts. Each new subject is checked, under one lock so that two offices recording the same
//! person at the same moment cannot miss each other:
//!
//! 1. the document must be judgeable: readable by this hub and with enough usable biometrics
//!    (an iris, or at least [`MIN_JARI_TANPA_IRIS`] fingerprints). Otherwise it is never `unik`:
//!    it becomes **perlu adjudikasi** (a case for a person) with the reason in the note, logged
//!    and audited (the engine fails closed);
//! 2. the NIK and a 1:N biometric search (irises first, fingerprints confirm, fused; thresholds
//!    in [`GalleryConfig`], documented in docs/biometrics.md) are compared together:
//!    biometrics matching another NIK's recording is **duplikat**, kind *identitas ganda* (a
//!    suspected double identity, the most serious); matching a recording of the same NIK is
//!    **duplikat**, kind *perekaman ulang*; the same NIK with biometrics that do not match is
//!    **perlu adjudikasi**, kind *NIK ganda* (possible misuse); a possible biometric match is
//!    **perlu adjudikasi**; nothing is **unik**;
//!
//! then added to the index and the decision written into the document by
//! [`crate::sync::decide`] (`oleh: sistem`), which the office receives at its next sync.
//! Every decision records its basis (a hash of the NIK and the templates). Applications that
//! carry a decision are indexed; when their NIK or biometrics change later, the engine decides
//! again if the decision was its own, and opens a case (*data berubah*) if a person had decided:
//! a person's decision is never replaced by the engine.
//! The engine itself is synchronous (call it off the async threads).

use std::collections::HashMap;
use std::sync::Mutex;

use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::fusion::Verdict;
use rekam_shared::bio::gallery::{Gallery, GalleryConfig, Person};
use rekam_shared::bio::iris::{Eye, IrisShape, IrisTemplate};
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::document::{Biometrik, HasilDedup, JenisTemuan, Keputusan};
use rekam_shared::workflow::Status;

use crate::storage::{AuditEntry, Storage, StorageError};

/// Who the engine's decisions are from.
pub const SISTEM: &str = "sistem";

/// What dedup reads of one application.
struct Subject {
    id: String,
    nik: Option<String>,
    person: Person,
    /// The office recorded it (its events replay to a successful step 3).
    recorded: bool,
    /// The decision already in the document, if any.
    keputusan: Option<Keputusan>,
    /// What a decision would be based on ([`crate::sync::dasar_of`]).
    dasar: Option<String>,
    /// Why the engine cannot decide this one by itself, if it cannot.
    masalah: Option<(JenisTemuan, String)>,
    /// Samples that were present but could not be read (named, never their contents).
    tidak_terbaca: Vec<String>,
}

/// The district index.
struct Index {
    gallery: Gallery<String>,
    by_nik: HashMap<String, Vec<String>>,
    /// Indexed applications and the basis (NIK and templates) they were indexed with.
    indexed: HashMap<String, Option<String>>,
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
    /// Not (yet) a subject: not recorded.
    NotReady,
    /// Already decided (and indexed), on the same NIK and biometrics.
    AlreadyDecided,
    /// Decided now (for the first time, or again after its NIK or biometrics changed).
    Decided(Keputusan),
}

/// Fewest usable fingerprints that decide without an iris.
pub const MIN_JARI_TANPA_IRIS: usize = 2;

impl Dedup {
    /// An empty engine for iris codes of `iris_shape` (what the offices capture).
    pub fn new(iris_shape: IrisShape, config: GalleryConfig) -> Self {
        Dedup {
            iris_shape,
            index: Mutex::new(Index {
                gallery: Gallery::new(config),
                by_nik: HashMap::new(),
                indexed: HashMap::new(),
                complete: true,
            }),
        }
    }

    /// Builds the index from every stored application, then decides those recorded but not
    /// yet decided, and re-opens those whose NIK or biometrics changed after their decision
    /// (the hub may have stopped in between). Holds the index for the whole time, so
    /// applications arriving meanwhile wait and are checked against the complete index: the
    /// hub can serve while this runs. Returns how many applications are indexed.
    pub fn rebuild(&self, storage: &dyn Storage) -> Result<usize, DedupError> {
        let mut index = self.lock();
        index.complete = false;
        let pending = self.fill(&mut index, storage)?;
        index.complete = true;
        for subject in pending {
            self.decide_and_add(&mut index, storage, subject)?;
        }
        Ok(index.indexed.len())
    }

    /// Adds to `index` every stored application decided on its present NIK and biometrics;
    /// returns the others that need a decision (recorded but undecided, or changed since).
    fn fill(&self, index: &mut Index, storage: &dyn Storage) -> Result<Vec<Subject>, DedupError> {
        let mut pending = Vec::new();
        for id in storage.doc_ids(None)? {
            let Some(subject) = self.subject(storage, &id, None)? else {
                continue;
            };
            match &subject.keputusan {
                Some(k) if !changed_since(k, &subject) => index.add(subject),
                Some(_) => pending.push(subject),
                None if subject.recorded => pending.push(subject),
                None => {}
            }
        }
        Ok(pending)
    }

    /// The search settings and thresholds the engine decides with.
    pub fn config(&self) -> GalleryConfig {
        self.lock().gallery.config().clone()
    }

    /// Takes in application `id` after its document changed: decides it if it is a new
    /// subject, decides it again (or opens a case, if a person had decided) if its NIK or
    /// biometrics changed since its decision (see the module documentation).
    pub fn process(&self, storage: &dyn Storage, id: &str) -> Result<Outcome, DedupError> {
        let known = self.lock().indexed.get(id).cloned();
        let Some(subject) = self.subject(storage, id, known.as_ref())? else {
            return Ok(Outcome::NotReady);
        };
        let mut index = self.lock();
        if let Some(k) = &subject.keputusan
            && !changed_since(k, &subject)
        {
            index.add(subject);
            return Ok(Outcome::AlreadyDecided);
        }
        if subject.keputusan.is_none() && !subject.recorded {
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
        // A changed application leaves the index before it is compared again.
        index.remove(&subject.id);
        let keputusan = match &subject.keputusan {
            // A person's decision is never replaced by the engine: a change opens a case.
            Some(k) if k.oleh != SISTEM => Keputusan {
                hasil: HasilDedup::PerluAdjudikasi,
                oleh: SISTEM.into(),
                waktu: chrono::Utc::now(),
                catatan: format!(
                    "NIK atau biometrik berubah setelah keputusan '{}' oleh {}",
                    k.hasil.label(),
                    k.oleh
                ),
                duplikat_dari: k.duplikat_dari.clone(),
                jenis: Some(JenisTemuan::DataBerubah),
                dasar: subject.dasar.clone(),
            },
            _ => index.decide(&subject),
        };
        // Decision first, index second: if the write fails, the application stays pending
        // and is decided again at its next change or at the next start.
        crate::sync::decide(storage, &subject.id, &keputusan)?;
        let level_case = keputusan.hasil == HasilDedup::PerluAdjudikasi;
        if level_case {
            tracing::warn!(
                permohonan = %subject.id,
                jenis = keputusan.jenis.map_or("-", JenisTemuan::as_str),
                duplikat = keputusan.duplikat_dari.len(),
                "dedup: case for a person"
            );
        } else {
            tracing::info!(
                permohonan = %subject.id,
                hasil = ?keputusan.hasil,
                jenis = keputusan.jenis.map_or("-", JenisTemuan::as_str),
                duplikat = keputusan.duplikat_dari.len(),
                "dedup decision"
            );
        }
        if let Some((jenis, _)) = &subject.masalah {
            let _ = storage.transaction(&mut |tx| {
                tx.audit(&AuditEntry {
                    at: chrono::Utc::now().to_rfc3339(),
                    actor: SISTEM.into(),
                    action: "dedup.tidak_dapat_diputuskan".into(),
                    permohonan_id: Some(subject.id.clone()),
                    detail: jenis.as_str().into(),
                })
            });
        }
        index.add(Subject {
            keputusan: Some(keputusan.clone()),
            ..subject
        });
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

    /// Reads what dedup needs of a stored application; `None` if it is not there, or neither
    /// recorded nor decided. `known`: the basis it is indexed with, if it is (then templates
    /// are prepared only if the basis changed). A document that cannot be read at all is
    /// logged and audited, never silently skipped.
    fn subject(
        &self,
        storage: &dyn Storage,
        id: &str,
        known: Option<&Option<String>>,
    ) -> Result<Option<Subject>, DedupError> {
        let Some(stored) = storage.load_doc(id)? else {
            return Ok(None);
        };
        let doc = match crate::sync::load_for_hub(&stored.bytes) {
            Ok(d) => d,
            Err(e) => {
                // Nothing can be written into it either: someone must look.
                tracing::error!(permohonan = %id, error = %e, "dedup: stored document does not load");
                storage.transaction(&mut |tx| {
                    tx.audit(&AuditEntry {
                        at: chrono::Utc::now().to_rfc3339(),
                        actor: SISTEM.into(),
                        action: "dedup.dokumen_rusak".into(),
                        permohonan_id: Some(id.to_owned()),
                        detail: "stored document does not load".into(),
                    })
                })?;
                return Ok(None);
            }
        };
        let nik = crate::sync::nik_of(&doc);
        let keadaan = doc.keadaan();
        let recorded = keadaan
            .as_ref()
            .is_ok_and(|k| matches!(k.status, Status::Terekam { .. } | Status::Diserahkan { .. }));
        let mut subject = Subject {
            id: id.to_owned(),
            nik,
            person: Person::new(),
            recorded,
            keputusan: None,
            dasar: crate::sync::dasar_of(&doc),
            masalah: None,
            tidak_terbaca: Vec::new(),
        };
        let tidak_terbaca = |what: String| Some((JenisTemuan::DokumenTidakTerbaca, what));
        match doc.keputusan() {
            Ok(k) => subject.keputusan = k,
            Err(e) => subject.masalah = tidak_terbaca(format!("Keputusan tidak terbaca: {e}")),
        }
        if let Err(e) = doc.schema() {
            // Written by a newer office than this hub: recorded or not, it cannot be judged.
            subject.recorded = true;
            subject.masalah = tidak_terbaca(format!("Dokumen tidak terbaca oleh hub ini: {e}"));
        }
        if !subject.recorded && subject.keputusan.is_none() {
            return Ok(None);
        }
        if known.is_some_and(|k| *k == subject.dasar) && subject.masalah.is_none() {
            // Indexed with this very basis: nothing to prepare.
            return Ok(Some(subject));
        }
        match doc.biometrik() {
            Ok(bio) => {
                let (person, unreadable) = person_of(&bio, self.iris_shape);
                subject.person = person;
                subject.tidak_terbaca = unreadable;
            }
            Err(e) => {
                subject.masalah = tidak_terbaca(format!("Bagian biometrik tidak terbaca: {e}"));
            }
        }
        if subject.masalah.is_none() {
            let (irises, fingers) = usable(&subject.person);
            if irises == 0 && fingers < MIN_JARI_TANPA_IRIS {
                let mut why = format!(
                    "Biometrik tidak cukup untuk diputuskan: {irises} iris dan {fingers} sidik jari terbaca"
                );
                if !subject.tidak_terbaca.is_empty() {
                    why.push_str(&format!(
                        " (tidak terbaca: {})",
                        subject.tidak_terbaca.join(", ")
                    ));
                }
                subject.masalah = Some((JenisTemuan::BiometrikTidakCukup, why));
            }
        }
        Ok(Some(subject))
    }
}

/// Whether the NIK or biometrics of `s` changed since decision `k` was made on them. A
/// decision that recorded no basis (written before bases existed) counts as unchanged.
fn changed_since(k: &Keputusan, s: &Subject) -> bool {
    k.dasar.is_some() && k.dasar != s.dasar
}

/// Usable irises and fingerprints of a person.
fn usable(p: &Person) -> (usize, usize) {
    let irises = [Eye::Right, Eye::Left]
        .into_iter()
        .filter(|e| p.iris(*e).is_some())
        .count();
    let fingers = FingerPosition::TEN
        .into_iter()
        .filter(|f| p.finger(*f).is_some())
        .count();
    (irises, fingers)
}

impl Index {
    fn add(&mut self, s: Subject) {
        if self.indexed.contains_key(&s.id) {
            return;
        }
        self.indexed.insert(s.id.clone(), s.dasar.clone());
        if let Some(nik) = s.nik {
            self.by_nik.entry(nik).or_default().push(s.id.clone());
        }
        if !s.person.is_empty() {
            self.gallery.insert(s.id, s.person);
        }
    }

    fn remove(&mut self, id: &str) {
        if self.indexed.remove(id).is_none() {
            return;
        }
        for ids in self.by_nik.values_mut() {
            ids.retain(|x| x != id);
        }
        self.by_nik.retain(|_, ids| !ids.is_empty());
        self.gallery.remove(&id.to_owned());
    }

    fn decide(&self, s: &Subject) -> Keputusan {
        let (hasil, duplikat_dari, mut catatan, jenis) = self.compare(s);
        if !s.tidak_terbaca.is_empty() && s.masalah.is_none() {
            catatan.push_str(&format!(
                "; tidak terbaca, tidak dibandingkan: {}",
                s.tidak_terbaca.join(", ")
            ));
        }
        Keputusan {
            hasil,
            oleh: SISTEM.into(),
            waktu: chrono::Utc::now(),
            catatan,
            duplikat_dari,
            jenis,
            dasar: s.dasar.clone(),
        }
    }

    /// The engine's finding: NIK and biometrics compared together, so that each kind of
    /// duplicate is told apart (see [`JenisTemuan`]).
    fn compare(&self, s: &Subject) -> (HasilDedup, Vec<String>, String, Option<JenisTemuan>) {
        if let Some((jenis, why)) = &s.masalah {
            return (
                HasilDedup::PerluAdjudikasi,
                Vec::new(),
                why.clone(),
                Some(*jenis),
            );
        }
        let same_nik: Vec<String> = s
            .nik
            .as_ref()
            .and_then(|nik| self.by_nik.get(nik))
            .into_iter()
            .flatten()
            .filter(|other| **other != s.id)
            .cloned()
            .collect();
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
        let (with_nik, other_nik): (Vec<String>, Vec<String>) =
            matches.into_iter().partition(|m| same_nik.contains(m));
        if !other_nik.is_empty() {
            let mut dari = other_nik;
            dari.extend(with_nik);
            return (
                HasilDedup::Duplikat,
                dari,
                format!(
                    "Biometrik cocok dengan perekaman ber-NIK lain (dicari di {searched} perekaman kabupaten)"
                ),
                Some(JenisTemuan::IdentitasGanda),
            );
        }
        if !with_nik.is_empty() {
            return (
                HasilDedup::Duplikat,
                with_nik,
                format!(
                    "NIK dan biometrik sudah direkam di kabupaten (dicari di {searched} perekaman)"
                ),
                Some(JenisTemuan::PerekamanUlang),
            );
        }
        if !same_nik.is_empty() {
            return (
                HasilDedup::PerluAdjudikasi,
                same_nik,
                format!(
                    "NIK sudah direkam di kabupaten, tetapi biometriknya tidak cocok (dicari di {searched} perekaman)"
                ),
                Some(JenisTemuan::NikGanda),
            );
        }
        if !possible.is_empty() {
            return (
                HasilDedup::PerluAdjudikasi,
                possible,
                format!("Biometrik mungkin cocok (dicari di {searched} perekaman kabupaten)"),
                None,
            );
        }
        (
            HasilDedup::Unik,
            Vec::new(),
            format!("Tidak ada yang cocok di {searched} perekaman kabupaten"),
            None,
        )
    }
}

/// The gallery person of a document's biometric section, and the samples that are present but
/// cannot be used (unknown position or eye, unparseable record, a code of another shape), by
/// name: they are never silently dropped.
pub fn person_of(bio: &Biometrik, iris_shape: IrisShape) -> (Person, Vec<String>) {
    let mut p = Person::new();
    let mut unreadable = Vec::new();
    for (name, data) in &bio.sidik_jari {
        let Some(position) = FingerPosition::from_name(name) else {
            unreadable.push(format!("sidik jari '{name}' (posisi tidak dikenal)"));
            continue;
        };
        let view = FingerprintRecord::parse(data)
            .ok()
            .and_then(|r| Some((r.views.first()?.clone(), (r.resolution_x, r.resolution_y))));
        match view {
            Some((view, res)) if !view.minutiae.is_empty() => {
                p.set_finger(position, FingerprintTemplate::new(&view, res));
            }
            _ => unreadable.push(format!("sidik jari {name}")),
        }
    }
    for (eye, text) in &bio.iris {
        let Some(e) = Eye::dari_kunci(eye) else {
            unreadable.push(format!("iris '{eye}' (mata tidak dikenal)"));
            continue;
        };
        match IrisTemplate::from_text(iris_shape, text) {
            Ok(t) => p = p.with_iris(e, t),
            Err(_) => unreadable.push(format!("iris {eye}")),
        }
    }
    (p, unreadable)
}

pub mod explain;
pub mod index_bench;
pub mod queue;
pub mod rescan;
#[cfg(test)]
pub(crate) mod tests;
