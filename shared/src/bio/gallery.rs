//! An in-memory gallery of persons for 1:N search ("was this resident recorded before?").
//!
//! The agent keeps one for the office's local check; the hub keeps the district-wide one for
//! deduplication. Templates are prepared once, on [`Gallery::insert`]. A search compares the
//! probe's irises first (fast: a few hundred popcounts per gallery eye), skips the fingerprints of
//! entries whose irises clearly differ, confirms the rest with fingerprints, and fuses everything
//! with [`FusionConfig`].

use std::collections::HashMap;
use std::hash::Hash;

use super::fingerprint::{FingerprintMatcher, FingerprintTemplate};
use super::fusion::{FusionConfig, PairScores, Verdict};
use super::iris::{Eye, HdOptions, IrisTemplate, RotatedProbe};
use super::iso::FingerPosition;

/// The biometric samples of one person (at most one per finger and per eye).
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Prepared fingerprints by finger position (index = position code - 1).
    fingers: [Option<FingerprintTemplate>; 10],
    irises: [Option<IrisTemplate>; 2],
}

impl Person {
    /// A person with no samples yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a finger. `Unknown` positions are ignored (returns false).
    pub fn with_finger(mut self, position: FingerPosition, template: FingerprintTemplate) -> Self {
        self.set_finger(position, template);
        self
    }

    /// Adds (or replaces) a finger; false if the position is `Unknown`.
    pub fn set_finger(&mut self, position: FingerPosition, template: FingerprintTemplate) -> bool {
        match position.code() {
            0 => false,
            c => {
                self.fingers[c as usize - 1] = Some(template);
                true
            }
        }
    }

    /// Adds (or replaces) an iris.
    pub fn with_iris(mut self, eye: Eye, template: IrisTemplate) -> Self {
        self.irises[eye as usize] = Some(template);
        self
    }

    /// The finger at `position`, if recorded.
    pub fn finger(&self, position: FingerPosition) -> Option<&FingerprintTemplate> {
        match position.code() {
            0 => None,
            c => self.fingers[c as usize - 1].as_ref(),
        }
    }

    /// The iris of `eye`, if recorded.
    pub fn iris(&self, eye: Eye) -> Option<&IrisTemplate> {
        self.irises[eye as usize].as_ref()
    }

    /// Whether no sample at all is present.
    pub fn is_empty(&self) -> bool {
        self.fingers.iter().all(Option::is_none) && self.irises.iter().all(Option::is_none)
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<K> {
    pub id: K,
    /// Fused decision score (-log10 false match rate).
    pub score: f64,
    pub verdict: Verdict,
}

/// Search settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GalleryConfig {
    pub fusion: FusionConfig,
    /// Iris rotations (columns each way).
    pub iris_rotations: usize,
    /// If every shared eye has a distance at or above this, fingerprints are not compared.
    pub iris_prefilter_hd: f64,
    /// Threads one search uses (`0`: every core); a part of at least [`MIN_PER_THREAD`]
    /// persons each. 1 by default (the offices search many small shards already).
    pub search_threads: usize,
}

/// Fewest persons a search thread takes (fewer would not pay for the thread).
pub const MIN_PER_THREAD: usize = 4096;

impl Default for GalleryConfig {
    fn default() -> Self {
        GalleryConfig {
            fusion: FusionConfig::default(),
            iris_rotations: 15,
            iris_prefilter_hd: 0.40,
            search_threads: 1,
        }
    }
}

/// A gallery of persons keyed by `K` (an application id, a NIK...).
#[derive(Debug, Clone)]
pub struct Gallery<K> {
    ids: Vec<K>,
    persons: Vec<Person>,
    index: HashMap<K, usize>,
    config: GalleryConfig,
}

impl<K: Clone + Eq + Hash> Default for Gallery<K> {
    fn default() -> Self {
        Self::new(GalleryConfig::default())
    }
}

impl<K: Clone + Eq + Hash> Gallery<K> {
    /// An empty gallery.
    pub fn new(config: GalleryConfig) -> Self {
        Gallery {
            ids: Vec::new(),
            persons: Vec::new(),
            index: HashMap::new(),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &GalleryConfig {
        &self.config
    }

    /// Number of persons.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the gallery is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Inserts or replaces the person `id`.
    pub fn insert(&mut self, id: K, person: Person) {
        match self.index.get(&id) {
            Some(&i) => self.persons[i] = person,
            None => {
                self.index.insert(id.clone(), self.ids.len());
                self.ids.push(id);
                self.persons.push(person);
            }
        }
    }

    /// Removes the person `id`; returns whether it was present.
    pub fn remove(&mut self, id: &K) -> bool {
        let Some(i) = self.index.remove(id) else {
            return false;
        };
        self.ids.swap_remove(i);
        self.persons.swap_remove(i);
        if i < self.ids.len() {
            self.index.insert(self.ids[i].clone(), i);
        }
        true
    }

    /// Whether `id` is in the gallery.
    pub fn contains(&self, id: &K) -> bool {
        self.index.contains_key(id)
    }

    /// The `top_k` best candidates for `probe`, best first (all verdicts included; filter on
    /// [`Candidate::verdict`]). Persons sharing no sample type with the probe are skipped.
    /// Split over [`GalleryConfig::search_threads`] threads (same answer as one).
    pub fn search(&self, probe: &Person, top_k: usize) -> Vec<Candidate<K>>
    where
        K: Send + Sync,
    {
        let wanted = match self.config.search_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let threads = wanted.min(self.len() / MIN_PER_THREAD).max(1);
        if threads == 1 {
            return self.search_part(probe, top_k, 0, self.len());
        }
        // Parts aligned on iris blocks, so that each thread's blocks are whole.
        let part = self.len().div_ceil(threads).div_ceil(IRIS_BLOCK) * IRIS_BLOCK;
        let mut out: Vec<Candidate<K>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = ((t * part).min(self.len()), ((t + 1) * part).min(self.len()));
                    s.spawn(move || self.search_part(probe, top_k, from, to))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("search thread"))
                .collect()
        });
        prune(&mut out, top_k);
        out
    }

    /// [`Self::search`] over the persons `from..to` on this thread.
    fn search_part(
        &self,
        probe: &Person,
        top_k: usize,
        from: usize,
        to: usize,
    ) -> Vec<Candidate<K>> {
        let cfg = &self.config;
        let opts = HdOptions {
            rotations: cfg.iris_rotations,
            ..HdOptions::default()
        };
        let iris_probes: [Option<RotatedProbe>; 2] = [0, 1].map(|e| {
            probe.irises[e]
                .as_ref()
                .map(|t| RotatedProbe::new(t, cfg.iris_rotations))
        });
        let mut finger_matchers: Vec<(usize, FingerprintMatcher<'_>)> = probe
            .fingers
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (i, FingerprintMatcher::new(t))))
            .collect();
        let mut out: Vec<Candidate<K>> = Vec::new();
        // Irises a block of persons at a time, one `distances` call per eye (faster than one
        // comparison at a time), then each person of the block in turn.
        let mut eye_distances: [Vec<Option<f64>>; 2] = [Vec::new(), Vec::new()];
        let (mut templates, mut found) = (Vec::new(), Vec::new());
        for (ids, persons) in self.ids[from..to]
            .chunks(IRIS_BLOCK)
            .zip(self.persons[from..to].chunks(IRIS_BLOCK))
        {
            for (e, rp) in iris_probes.iter().enumerate() {
                let d = &mut eye_distances[e];
                d.clear();
                d.resize(persons.len(), None);
                let Some(rp) = rp else { continue };
                templates.clear();
                templates.extend(
                    persons
                        .iter()
                        .enumerate()
                        .filter_map(|(i, p)| p.irises[e].as_ref().map(|t| (i, t)))
                        .filter(|(_, t)| t.shape() == rp.shape()),
                );
                let refs: Vec<&IrisTemplate> = templates.iter().map(|&(_, t)| t).collect();
                // Shapes were filtered just above, so this cannot fail; an eye of another
                // shape is not compared, as before.
                if rp.distances(&refs, &opts, &mut found).is_ok() {
                    for (&(i, _), r) in templates.iter().zip(&found) {
                        d[i] = Some(r.distance);
                    }
                }
            }
            for (p, (id, person)) in ids.iter().zip(persons).enumerate() {
                let mut scores = PairScores::default();
                let mut shared_eyes = 0;
                let mut far_eyes = 0;
                for (e, slot) in scores.irises.iter_mut().enumerate() {
                    if let Some(distance) = eye_distances[e][p] {
                        shared_eyes += 1;
                        if distance >= cfg.iris_prefilter_hd {
                            far_eyes += 1;
                        }
                        *slot = Some(distance);
                    }
                }
                if !fingers_skipped(shared_eyes, far_eyes) {
                    for (i, m) in finger_matchers.iter_mut() {
                        if let Some(g) = &person.fingers[*i] {
                            scores.fingers[*i] = Some(m.score(g));
                        }
                    }
                }
                let d = cfg.fusion.fuse(&scores);
                if d.comparisons == 0 {
                    continue;
                }
                out.push(Candidate {
                    id: id.clone(),
                    score: d.score,
                    verdict: d.verdict,
                });
                if out.len() > top_k.saturating_mul(4).max(64) {
                    prune(&mut out, top_k);
                }
            }
        }
        prune(&mut out, top_k);
        out
    }
}

/// Whether the fingerprints of a pair are left uncompared: every eye both sides have
/// (`shared_eyes`, at least one) is at or beyond the prefilter distance (`far_eyes`).
fn fingers_skipped(shared_eyes: usize, far_eyes: usize) -> bool {
    shared_eyes > 0 && far_eyes == shared_eyes
}

/// How one gallery person compares with a probe, as [`Gallery::search`] sees it (for
/// explaining a decision).
#[derive(Debug, Clone, PartialEq)]
pub struct PairExplained {
    /// Per-finger scores and per-eye Hamming distances (`None` where a side lacks the sample,
    /// or the fingers were skipped).
    pub scores: PairScores,
    /// The fused decision.
    pub decision: super::fusion::Decision,
    /// True if the irises clearly differed, so the fingerprints were not compared.
    pub fingers_skipped: bool,
}

impl<K: Clone + Eq + Hash> Gallery<K> {
    /// The person stored as `id`.
    pub fn get(&self, id: &K) -> Option<&Person> {
        self.index.get(id).map(|&i| &self.persons[i])
    }

    /// Compares `probe` with the gallery person `id` exactly as [`Gallery::search`] does
    /// (same rotations, same prefilter, same fusion); `None` if `id` is not in the gallery.
    pub fn explain(&self, probe: &Person, id: &K) -> Option<PairExplained> {
        let person = self.get(id)?;
        let cfg = &self.config;
        let opts = HdOptions {
            rotations: cfg.iris_rotations,
            ..HdOptions::default()
        };
        let mut scores = PairScores::default();
        let (mut shared_eyes, mut far_eyes) = (0, 0);
        let mut found = Vec::new();
        for (e, slot) in scores.irises.iter_mut().enumerate() {
            let (Some(p), Some(g)) = (&probe.irises[e], &person.irises[e]) else {
                continue;
            };
            if p.shape() != g.shape() {
                continue;
            }
            let rp = RotatedProbe::new(p, cfg.iris_rotations);
            if rp.distances(&[g], &opts, &mut found).is_ok()
                && let Some(r) = found.first()
            {
                shared_eyes += 1;
                if r.distance >= cfg.iris_prefilter_hd {
                    far_eyes += 1;
                }
                *slot = Some(r.distance);
            }
        }
        let skipped = fingers_skipped(shared_eyes, far_eyes);
        if !skipped {
            for (i, t) in probe.fingers.iter().enumerate() {
                if let (Some(t), Some(g)) = (t, &person.fingers[i]) {
                    scores.fingers[i] = Some(FingerprintMatcher::new(t).score(g));
                }
            }
        }
        Some(PairExplained {
            decision: cfg.fusion.fuse(&scores),
            scores,
            fingers_skipped: skipped,
        })
    }
}

/// Persons whose irises are compared in one call (their distances are kept meanwhile).
const IRIS_BLOCK: usize = 256;

fn prune<K>(out: &mut Vec<Candidate<K>>, top_k: usize) {
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(top_k);
}
