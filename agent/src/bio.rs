//! The agent's adapter to `rekam_shared::bio`: parsing what devices send into the shared
//! template types, generating the simulator's synthetic irises, and the local gallery that the
//! "already recorded?" check searches (the shared [`Gallery`] keyed by application id).
//!
//! Parsing, matching and fusion live in the shared crate; this module only converts between
//! the device protocol's position names and the shared types.

use std::collections::HashMap;

use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::gallery::{Gallery, Person};
use rekam_shared::bio::iris::{Eye, IrisShape, IrisTemplate};
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::bio::synth::IrisSynth;

use crate::cek::{Cocok, Probe, Sumber, cari_shards};

/// The iris code shape of the device protocol (open-iris v1: 16 x 256 x 2 filters x 2 bits).
pub const IRIS_SHAPE: IrisShape = IrisShape::OPEN_IRIS;

/// Parses an ISO/IEC 19794-2 finger minutiae record with at least one view.
pub fn parse_finger(data: &[u8]) -> Result<FingerprintRecord, String> {
    let r =
        FingerprintRecord::parse(data).map_err(|e| format!("rekaman ISO 19794-2 rusak: {e}"))?;
    if r.views.is_empty() {
        return Err("rekaman ISO 19794-2 tanpa jari".into());
    }
    Ok(r)
}

/// Parses an iris template in the shared text form (code line, mask line).
pub fn parse_iris(data: &[u8]) -> Result<IrisTemplate, String> {
    let text = std::str::from_utf8(data).map_err(|_| "templat iris bukan teks".to_owned())?;
    IrisTemplate::from_text(IRIS_SHAPE, text).map_err(|e| format!("templat iris rusak: {e}"))
}

/// A synthetic iris template (text form) for simulator subject `subjek`, eye 0 (right) or 1
/// (left), capture number `n`, with its quality (percentage of unmasked bits).
pub fn synth_iris(subjek: u64, eye: u8, n: u64) -> Option<(Vec<u8>, u8)> {
    let e = if eye == 1 { Eye::Left } else { Eye::Right };
    let t = IrisSynth::new(IRIS_SHAPE).capture(subjek, e, n);
    let q = (t.valid_fraction() * 100.0).round().clamp(0.0, 100.0) as u8;
    Some((t.to_text().into_bytes(), q))
}

/// Finger position of a protocol position name.
pub fn finger_position(name: &str) -> Option<FingerPosition> {
    FingerPosition::from_name(name)
}

/// Converts stored/captured samples into a shared gallery person (unparseable samples are
/// skipped: they were validated on the way in).
pub fn person_of(probe: &Probe) -> Person {
    let mut p = Person::new();
    for (pos, data) in &probe.jari {
        let (Some(position), Ok(rec)) = (finger_position(pos), parse_finger(data)) else {
            continue;
        };
        let view = &rec.views[0];
        let t = FingerprintTemplate::new(view, (rec.resolution_x, rec.resolution_y));
        p.set_finger(position, t);
    }
    for (pos, data) in &probe.iris {
        let eye = if pos == "left-iris" {
            Eye::Left
        } else {
            Eye::Right
        };
        if let Ok(t) = parse_iris(data) {
            p = p.with_iris(eye, t);
        }
    }
    p
}

/// The local gallery: every person this office has recorded, keyed by application id. Split
/// into one shard per CPU core; a search runs the shards in parallel (scoped threads) and merges.
pub struct LocalGallery {
    shards: Vec<Gallery<String>>,
    nik: HashMap<String, String>,
    next: usize,
}

impl Default for LocalGallery {
    fn default() -> Self {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16);
        Self::with_shards(n)
    }
}

impl LocalGallery {
    /// An empty gallery with `n` shards.
    pub fn with_shards(n: usize) -> Self {
        LocalGallery {
            shards: (0..n.max(1)).map(|_| Gallery::default()).collect(),
            nik: HashMap::new(),
            next: 0,
        }
    }

    /// Number of persons.
    pub fn len(&self) -> usize {
        self.shards.iter().map(Gallery::len).sum()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The application ids of the persons.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.nik.keys()
    }

    /// Adds (or replaces) a recorded person.
    pub fn tambah(&mut self, permohonan_id: &str, nik: &str, probe: &Probe) {
        self.tambah_person(permohonan_id, nik, person_of(probe));
    }

    /// Adds an already converted person.
    pub fn tambah_person(&mut self, permohonan_id: &str, nik: &str, person: Person) {
        if person.is_empty() {
            return;
        }
        let id = permohonan_id.to_owned();
        let shard = match self.shards.iter().position(|g| g.contains(&id)) {
            Some(i) => i,
            None => {
                self.next = (self.next + 1) % self.shards.len();
                self.next
            }
        };
        self.shards[shard].insert(id.clone(), person);
        self.nik.insert(id, nik.to_owned());
    }

    /// Persons the fused score declares the same (verdict `Match`) or possibly the same
    /// (`PossibleMatch`) as the probe, best first.
    pub fn cari(&self, probe: &Probe) -> Vec<Cocok> {
        let person = person_of(probe);
        if person.is_empty() {
            return Vec::new();
        }
        cari_shards(&self.shards, &person, 5)
            .into_iter()
            .filter_map(|c| Cocok::dari_kandidat(Sumber::Lokal, c, &self.nik))
            .take(5)
            .collect()
    }
}

/// Builds the local gallery from every recorded application's stored samples.
pub fn load_gallery(conn: &rusqlite::Connection) -> rusqlite::Result<LocalGallery> {
    let mut g = LocalGallery::default();
    let mut st = conn.prepare(
        "SELECT p.id, p.nik, b.modality, b.position, b.data FROM permohonan p
         JOIN biometrik b ON b.permohonan_id = p.id
         WHERE p.status IN ('terekam', 'diserahkan') AND b.modality IN ('finger', 'iris')
         ORDER BY p.id",
    )?;
    let mut rows = st.query([])?;
    let mut current: Option<(String, String, Probe)> = None;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        if current.as_ref().is_some_and(|(cid, _, _)| *cid != id)
            && let Some((cid, nik, probe)) = current.take()
        {
            g.tambah(&cid, &nik, &probe);
        }
        let entry = current.get_or_insert_with(|| (id.clone(), String::new(), Probe::default()));
        entry.1 = r.get(1)?;
        let modality: String = r.get(2)?;
        let sample = (r.get::<_, String>(3)?, r.get::<_, Vec<u8>>(4)?);
        if modality == "finger" {
            entry.2.jari.push(sample);
        } else {
            entry.2.iris.push(sample);
        }
    }
    if let Some((cid, nik, probe)) = current {
        g.tambah(&cid, &nik, &probe);
    }
    Ok(g)
}
