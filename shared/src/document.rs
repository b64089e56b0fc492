//! The application document: one automerge document per permohonan (one resident's visit,
//! SOP steps 1-4), the unit that the sync protocol moves between an office and the hub.
//!
//! Layout of the document's root map (schema version [`SCHEMA_VERSION`]):
//!
//! | key          | type                 | written by | content                                   |
//! |--------------|----------------------|------------|-------------------------------------------|
//! | `schema`     | uint                 | office     | schema version the document was made with |
//! | `id`         | str                  | office     | the permohonan id (set once)              |
//! | `kecamatan`  | str                  | office     | 6-digit kecamatan code (set once)         |
//! | `penduduk`   | map (JSON-shaped)    | office     | the resident's data ([`serde`] of the domain type) |
//! | `peristiwa`  | list of maps         | office     | the workflow events, append-only          |
//! | `biometrik`  | map                  | office     | templates inline (bytes), photo/signature as SHA-256 [`BlobRef`]s; since schema 2 also `pengecualian` ([`Pengecualian`] per excepted modality) |
//! | `keputusan`  | map                  | hub only   | the district deduplication decision ([`Keputusan`]) |
//!
//! Writers update the document incrementally: only fields whose value changed produce
//! automerge operations, so a save after a small edit is a small change. Readers tolerate
//! missing keys (older documents) and ignore unknown keys inside the office sections, so a
//! newer hub reads older documents.
//!
//! [`check_incoming`] is the ownership rule the hub applies to every change a peer sends,
//! before the change is stored: it looks at the patches between the document before and after
//! the peer's changes and refuses anything the sender does not own. [`PermohonanDoc::keadaan`]
//! is the second check: the document's events replayed through the SOP state machine.

use std::collections::BTreeMap;

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, PatchAction, Prop, ROOT, ReadDoc, ScalarValue, Value,
    transaction::Transactable,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::workflow::{
    self, AlasanPengecualian, JenisAksi, Keadaan, Modalitas, PelanggaranSop, Peristiwa,
};

/// The schema version written by this code. Readers accept every version up to this one.
///
/// - 1: the first layout.
/// - 2: `biometrik.pengecualian`, the biometric exceptions ([`PermohonanDoc::pengecualian`]). A
///   document without it (every version-1 document) has no exceptions. A hub that knows only
///   version 1 would read an excepted finger as a missing one, hence the new number.
pub const SCHEMA_VERSION: u64 = 2;

/// Root keys written by the office (the kecamatan agent).
pub const OFFICE_KEYS: &[&str] = &[
    K_SCHEMA,
    K_ID,
    K_KECAMATAN,
    K_PENDUDUK,
    K_PERISTIWA,
    K_BIOMETRIK,
];
/// Root keys written only by the hub.
pub const HUB_KEYS: &[&str] = &[K_KEPUTUSAN];

const K_SCHEMA: &str = "schema";
const K_ID: &str = "id";
const K_KECAMATAN: &str = "kecamatan";
const K_PENDUDUK: &str = "penduduk";
const K_PERISTIWA: &str = "peristiwa";
const K_BIOMETRIK: &str = "biometrik";
const K_KEPUTUSAN: &str = "keputusan";
const K_PENGECUALIAN: &str = "pengecualian";

/// Upper bound on a permohonan id's length (ids are uuids or similar).
pub const MAX_ID_LEN: usize = 64;

/// Why a document could not be written, read or accepted.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The bytes are not an automerge document.
    #[error("not a valid automerge document: {0}")]
    Load(#[source] automerge::AutomergeError),
    /// An automerge operation failed.
    #[error("automerge error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// A required field is missing or has the wrong type.
    #[error("field `{field}` is missing or malformed")]
    Field {
        /// Path of the field, e.g. `kecamatan`.
        field: String,
    },
    /// The document was written by a newer schema than this code knows.
    #[error("document schema {found} is newer than supported {supported}")]
    SchemaTooNew {
        /// Version found in the document.
        found: u64,
        /// Newest version this code reads.
        supported: u64,
    },
    /// A value could not be (de)serialized to the document's JSON shape.
    #[error("field `{field}`: {message}")]
    Serde {
        /// Field being converted.
        field: &'static str,
        /// What serde said.
        message: String,
    },
    /// The event list in the document is not a prefix of the events being written:
    /// events are append-only.
    #[error("workflow events diverge at index {index}: events are append-only")]
    EventsDiverge {
        /// First index at which stored and new events differ.
        index: usize,
    },
    /// An invalid identifier or kecamatan code was given.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// Why a document's event list does not replay through the SOP state machine
/// ([`PermohonanDoc::keadaan`]). The messages name event indexes, kinds and workflow rules,
/// never the events' free text.
#[derive(Debug, thiserror::Error)]
pub enum PeristiwaTidakSah {
    /// The `peristiwa` section is not a list (boxed: `DocumentError` is large).
    #[error(transparent)]
    Dokumen(Box<DocumentError>),
    /// Event `index` is not a [`Peristiwa`] this code reads.
    #[error("peristiwa #{index} ({}) tidak dapat dibaca sebagai peristiwa SOP", jenis.unwrap_or("jenis tidak dikenal"))]
    TidakTerbaca {
        /// Index of the event in the list.
        index: usize,
        /// Its kind, if that much is recognised.
        jenis: Option<&'static str>,
    },
    /// An event breaks the SOP.
    #[error(transparent)]
    Sop(#[from] PelanggaranSop),
}

/// Reference to a large binary (photo, signature, image) stored content-addressed outside the
/// document and transferred separately as a blob.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// Lowercase hex SHA-256 of the blob's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, e.g. `image/jpeg`.
    pub media_type: String,
}

impl std::fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BlobRef({}, {} B, {})",
            self.sha256, self.size, self.media_type
        )
    }
}

/// The biometric references of an application. Templates are small and live inline;
/// images live in blobs referenced by hash.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Biometrik {
    /// Fingerprint templates (ISO/IEC 19794-2 bytes) keyed by finger position name/code.
    pub sidik_jari: BTreeMap<String, Vec<u8>>,
    /// Iris templates (open-iris text format) keyed by eye (`kiri`, `kanan`).
    pub iris: BTreeMap<String, String>,
    /// Face photo.
    pub foto: Option<BlobRef>,
    /// Signature image.
    pub tanda_tangan: Option<BlobRef>,
}

/// Pengecualian (biometric exception): a modality the recording desk marked as not capturable,
/// recorded in the document under `biometrik.pengecualian.<position name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pengecualian {
    /// Why it cannot be captured.
    pub alasan: AlasanPengecualian,
    /// Photo of the finger or eye (or of the resident unable to sign), uploaded as a blob.
    pub foto: BlobRef,
    /// Username of the operator who marked it.
    pub operator: String,
    /// When.
    pub waktu: DateTime<Utc>,
}

/// The exceptions of an application, by modality.
pub type DaftarPengecualian = BTreeMap<Modalitas, Pengecualian>;

/// What a dedup decision is based on, as hex SHA-256: the NIK and every fingerprint and iris
/// template (photo and signature do not take part in the search). Equal inputs give equal
/// strings; any change of the NIK or of a template gives another.
pub fn dasar_keputusan(nik: Option<&str>, bio: &Biometrik) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut field = |tag: &[u8], bytes: &[u8]| {
        h.update(tag);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"nik", nik.unwrap_or("").as_bytes());
    for (name, data) in &bio.sidik_jari {
        field(b"jari", name.as_bytes());
        field(b"data", data);
    }
    for (eye, text) in &bio.iris {
        field(b"iris", eye.as_bytes());
        field(b"data", text.as_bytes());
    }
    hex::encode(h.finalize())
}

impl std::fmt::Debug for Biometrik {
    // Biometric data is personal data: never print templates.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Biometrik")
            .field(
                "sidik_jari",
                &format_args!("{} templates", self.sidik_jari.len()),
            )
            .field("iris", &format_args!("{} templates", self.iris.len()))
            .field("foto", &self.foto)
            .field("tanda_tangan", &self.tanda_tangan)
            .finish()
    }
}

impl Biometrik {
    /// Every blob this application references (what must be uploaded alongside).
    pub fn blobs(&self) -> impl Iterator<Item = &BlobRef> {
        self.foto.iter().chain(self.tanda_tangan.iter())
    }
}

/// Outcome of the district deduplication for one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HasilDedup {
    /// Unique: no other recording of this person in the district.
    Unik,
    /// Duplicate: the person was already recorded (see `duplikat_dari`).
    Duplikat,
    /// Possible match: waits for a human adjudicator.
    PerluAdjudikasi,
}

impl HasilDedup {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            HasilDedup::Unik => "unik",
            HasilDedup::Duplikat => "duplikat",
            HasilDedup::PerluAdjudikasi => "perlu adjudikasi",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            HasilDedup::Unik => "unik",
            HasilDedup::Duplikat => "duplikat",
            HasilDedup::PerluAdjudikasi => "perlu_adjudikasi",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "unik" => Some(HasilDedup::Unik),
            "duplikat" => Some(HasilDedup::Duplikat),
            "perlu_adjudikasi" => Some(HasilDedup::PerluAdjudikasi),
            _ => None,
        }
    }
}

/// What kind of finding a decision records (jenis temuan), beside its outcome: which kind of
/// duplicate, or why a person must decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JenisTemuan {
    /// Same NIK, same biometrics: the same person recorded again (perekaman ulang).
    PerekamanUlang,
    /// Same biometrics under another NIK: a suspected double identity, the most serious case.
    IdentitasGanda,
    /// Same NIK, other biometrics: the NIK may be misused by someone else.
    NikGanda,
    /// Too few usable biometrics to decide (missing, unreadable, of an unknown shape).
    BiometrikTidakCukup,
    /// The document cannot be read by this hub (unknown schema, malformed sections).
    DokumenTidakTerbaca,
    /// The NIK or the biometrics changed after a person's decision.
    DataBerubah,
}

impl JenisTemuan {
    /// Every kind, the most serious first (the order the district lists them in).
    pub const ALL: [JenisTemuan; 6] = [
        JenisTemuan::IdentitasGanda,
        JenisTemuan::NikGanda,
        JenisTemuan::PerekamanUlang,
        JenisTemuan::DataBerubah,
        JenisTemuan::DokumenTidakTerbaca,
        JenisTemuan::BiometrikTidakCukup,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JenisTemuan::PerekamanUlang => "perekaman_ulang",
            JenisTemuan::IdentitasGanda => "identitas_ganda",
            JenisTemuan::NikGanda => "nik_ganda",
            JenisTemuan::BiometrikTidakCukup => "biometrik_tidak_cukup",
            JenisTemuan::DokumenTidakTerbaca => "dokumen_tidak_terbaca",
            JenisTemuan::DataBerubah => "data_berubah",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == s)
    }

    /// In words, for the offices and the district.
    pub fn label(self) -> &'static str {
        match self {
            JenisTemuan::PerekamanUlang => "Perekaman ulang (NIK dan biometrik sama)",
            JenisTemuan::IdentitasGanda => "Dugaan identitas ganda (biometrik sama, NIK berbeda)",
            JenisTemuan::NikGanda => "Dugaan penyalahgunaan NIK (NIK sama, biometrik berbeda)",
            JenisTemuan::BiometrikTidakCukup => "Biometrik tidak cukup untuk diputuskan",
            JenisTemuan::DokumenTidakTerbaca => "Dokumen tidak dapat dibaca",
            JenisTemuan::DataBerubah => "NIK atau biometrik berubah setelah keputusan",
        }
    }
}

/// The hub-owned decision section (keputusan): written only by the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keputusan {
    /// The outcome.
    pub hasil: HasilDedup,
    /// Who decided (user name of the adjudicator, or `sistem` for the engine).
    pub oleh: String,
    /// When.
    pub waktu: DateTime<Utc>,
    /// Free-text note.
    pub catatan: String,
    /// Ids of the applications this one duplicates.
    pub duplikat_dari: Vec<String>,
    /// What kind of finding it is (`None` for a plain unique result, and in decisions written
    /// before kinds existed).
    pub jenis: Option<JenisTemuan>,
    /// Hex SHA-256 of the NIK and biometrics the decision was made on ([`PermohonanDoc::dasar_keputusan`]):
    /// when they change, the decision is re-opened. `None` when not recorded.
    pub dasar: Option<String>,
}

/// Everything an application document holds, read back as plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct DocView {
    /// Schema version the document was written with.
    pub schema: u64,
    /// Permohonan id.
    pub id: String,
    /// Kecamatan code (6 digits).
    pub kecamatan: String,
    /// Resident data as JSON (deserialize into the domain type with [`PermohonanDoc::penduduk_as`]).
    pub penduduk: Option<Json>,
    /// Workflow events as JSON, in order.
    pub peristiwa: Vec<Json>,
    /// Biometric references.
    pub biometrik: Biometrik,
    /// The hub's decision, if any.
    pub keputusan: Option<Keputusan>,
}

/// One application's automerge document.
pub struct PermohonanDoc {
    doc: AutoCommit,
}

impl std::fmt::Debug for PermohonanDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PermohonanDoc")
            .field("id", &self.id().ok())
            .finish_non_exhaustive()
    }
}

fn validate_id(id: &str) -> Result<(), DocumentError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(DocumentError::Invalid {
            field: "id",
            reason: "must be 1..=64 characters",
        });
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(DocumentError::Invalid {
            field: "id",
            reason: "only ASCII letters, digits, '-' and '_' allowed",
        });
    }
    Ok(())
}

/// Checks a 6-digit kecamatan code's shape (province 2, regency 2, kecamatan 2).
pub fn validate_kecamatan(code: &str) -> Result<(), DocumentError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DocumentError::Invalid {
            field: "kecamatan",
            reason: "must be 6 digits",
        })
    }
}

impl PermohonanDoc {
    /// Creates a new document for application `id` of `kecamatan`, writing the header fields.
    pub fn new(id: &str, kecamatan: &str) -> Result<Self, DocumentError> {
        validate_id(id)?;
        validate_kecamatan(kecamatan)?;
        let mut doc = AutoCommit::new();
        doc.put(ROOT, K_SCHEMA, SCHEMA_VERSION)?;
        doc.put(ROOT, K_ID, id)?;
        doc.put(ROOT, K_KECAMATAN, kecamatan)?;
        doc.put_object(ROOT, K_PENDUDUK, ObjType::Map)?;
        doc.put_object(ROOT, K_PERISTIWA, ObjType::List)?;
        doc.put_object(ROOT, K_BIOMETRIK, ObjType::Map)?;
        doc.commit();
        Ok(PermohonanDoc { doc })
    }

    /// Loads a document from its saved bytes (full or incremental chunks concatenated) and
    /// checks its header.
    pub fn load(bytes: &[u8]) -> Result<Self, DocumentError> {
        let doc = AutoCommit::load(bytes).map_err(DocumentError::Load)?;
        let this = PermohonanDoc { doc };
        this.schema()?;
        this.id()?;
        this.kecamatan()?;
        Ok(this)
    }

    /// Wraps an automerge document without checking it (e.g. an empty document the hub is
    /// about to receive from a peer).
    pub fn from_automerge(doc: AutoCommit) -> Self {
        PermohonanDoc { doc }
    }

    /// The underlying automerge document (for the sync protocol).
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Consumes the wrapper.
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// Full compacted save (use for compaction of long histories).
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Changes since the last `save`/`save_incremental` (append to the stored bytes).
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    /// Current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Schema version in the document. Errors if newer than [`SCHEMA_VERSION`].
    pub fn schema(&self) -> Result<u64, DocumentError> {
        let v = match self.doc.get(ROOT, K_SCHEMA)? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(u) => *u,
                ScalarValue::Int(i) if *i >= 0 => *i as u64,
                _ => return Err(field_err(K_SCHEMA)),
            },
            _ => return Err(field_err(K_SCHEMA)),
        };
        if v > SCHEMA_VERSION {
            return Err(DocumentError::SchemaTooNew {
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(v)
    }

    /// The permohonan id.
    pub fn id(&self) -> Result<String, DocumentError> {
        get_str(&self.doc, &ROOT, K_ID)?.ok_or_else(|| field_err(K_ID))
    }

    /// The kecamatan code.
    pub fn kecamatan(&self) -> Result<String, DocumentError> {
        get_str(&self.doc, &ROOT, K_KECAMATAN)?.ok_or_else(|| field_err(K_KECAMATAN))
    }

    /// Writes the resident's data (any serde type, e.g. `rekam_shared::penduduk::Penduduk`),
    /// touching only fields whose value changed. Returns whether anything changed.
    pub fn set_penduduk<T: Serialize>(&mut self, penduduk: &T) -> Result<bool, DocumentError> {
        let json = serde_json::to_value(penduduk).map_err(|e| DocumentError::Serde {
            field: K_PENDUDUK,
            message: e.to_string(),
        })?;
        let Json::Object(map) = json else {
            return Err(DocumentError::Serde {
                field: K_PENDUDUK,
                message: "must serialize to a JSON object".into(),
            });
        };
        let obj = ensure_obj(&mut self.doc, &ROOT, K_PENDUDUK, ObjType::Map)?;
        let changed = reconcile_map(&mut self.doc, &obj, &map)?;
        Ok(self.commit_if(changed))
    }

    /// Reads the resident's data into the domain type.
    pub fn penduduk_as<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, DocumentError> {
        match self.doc.get(ROOT, K_PENDUDUK)? {
            Some((Value::Object(ObjType::Map), obj)) => {
                let json = read_json(&self.doc, &obj)?;
                if json.as_object().is_some_and(|m| m.is_empty()) {
                    return Ok(None);
                }
                serde_json::from_value(json)
                    .map(Some)
                    .map_err(|e| DocumentError::Serde {
                        field: K_PENDUDUK,
                        message: e.to_string(),
                    })
            }
            None => Ok(None),
            _ => Err(field_err(K_PENDUDUK)),
        }
    }

    /// Brings the event list up to date with `events` (the full list, in order): appends the
    /// events not yet in the document. Events are append-only: if the stored events are not a
    /// prefix of `events`, this is an error. Returns how many events were appended.
    pub fn append_peristiwa<T: Serialize>(&mut self, events: &[T]) -> Result<usize, DocumentError> {
        let list = ensure_obj(&mut self.doc, &ROOT, K_PERISTIWA, ObjType::List)?;
        let stored = self.doc.length(&list);
        let mut appended = 0;
        for (i, ev) in events.iter().enumerate() {
            let json = serde_json::to_value(ev).map_err(|e| DocumentError::Serde {
                field: K_PERISTIWA,
                message: e.to_string(),
            })?;
            if i < stored {
                let existing = match self.doc.get(&list, i)? {
                    Some((Value::Object(_), id)) => read_json(&self.doc, &id)?,
                    Some((Value::Scalar(s), _)) => scalar_to_json(s.as_ref()),
                    None => Json::Null,
                };
                if existing != json {
                    self.doc.rollback();
                    return Err(DocumentError::EventsDiverge { index: i });
                }
                continue;
            }
            insert_json(&mut self.doc, &list, i, &json)?;
            appended += 1;
        }
        if stored > events.len() {
            self.doc.rollback();
            return Err(DocumentError::EventsDiverge {
                index: events.len(),
            });
        }
        self.commit_if(appended > 0);
        Ok(appended)
    }

    /// Reads the workflow events into the domain type.
    pub fn peristiwa_as<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, DocumentError> {
        read_events(&self.doc)?
            .into_iter()
            .map(|j| {
                serde_json::from_value(j).map_err(|e| DocumentError::Serde {
                    field: K_PERISTIWA,
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// The SOP state this document's events lead to: every event read as a
    /// [`Peristiwa`] and the list replayed through the one state machine
    /// ([`workflow::replay`], from [`Keadaan::awal`]). The hub checks every document an office
    /// sends with this, and dedup reads "recorded" from it.
    pub fn keadaan(&self) -> Result<Keadaan, PeristiwaTidakSah> {
        Ok(workflow::replay(&self.peristiwa_terbaca()?)?)
    }

    /// [`Self::keadaan`] for a document a peer has just extended, `tersimpan` being the events
    /// the receiver held before ([`workflow::replay_kiriman`]: the new events pass today's
    /// rules in full, the stored ones are replayed as history).
    pub fn keadaan_kiriman(&self, tersimpan: &[Peristiwa]) -> Result<Keadaan, PeristiwaTidakSah> {
        Ok(workflow::replay_kiriman(
            &self.peristiwa_terbaca()?,
            tersimpan,
        )?)
    }

    /// Every event read as a [`Peristiwa`], or the first that cannot be (named by its index
    /// and kind, never by its content).
    pub fn peristiwa_terbaca(&self) -> Result<Vec<Peristiwa>, PeristiwaTidakSah> {
        let mut events = Vec::new();
        let list = read_events(&self.doc).map_err(|e| PeristiwaTidakSah::Dokumen(Box::new(e)))?;
        for (index, j) in list.into_iter().enumerate() {
            // Only the kind is named, never the serde message: it may quote a value.
            let jenis = j
                .pointer("/aksi/type")
                .and_then(|t| serde_json::from_value::<JenisAksi>(t.clone()).ok())
                .map(JenisAksi::nama);
            match serde_json::from_value::<Peristiwa>(j) {
                Ok(e) => events.push(e),
                Err(_) => return Err(PeristiwaTidakSah::TidakTerbaca { index, jenis }),
            }
        }
        Ok(events)
    }

    /// Writes the biometric references, touching only what changed.
    pub fn set_biometrik(&mut self, bio: &Biometrik) -> Result<bool, DocumentError> {
        let obj = ensure_obj(&mut self.doc, &ROOT, K_BIOMETRIK, ObjType::Map)?;
        let mut changed = false;
        let fp = ensure_obj(&mut self.doc, &obj, "sidik_jari", ObjType::Map)?;
        let mut keep = Vec::new();
        for (pos, tpl) in &bio.sidik_jari {
            keep.push(pos.clone());
            changed |=
                put_scalar_if_changed(&mut self.doc, &fp, pos, ScalarValue::Bytes(tpl.clone()))?;
        }
        changed |= delete_other_keys(&mut self.doc, &fp, &keep)?;
        let iris = ensure_obj(&mut self.doc, &obj, "iris", ObjType::Map)?;
        keep.clear();
        for (eye, tpl) in &bio.iris {
            keep.push(eye.clone());
            changed |=
                put_scalar_if_changed(&mut self.doc, &iris, eye, ScalarValue::Str(tpl.into()))?;
        }
        changed |= delete_other_keys(&mut self.doc, &iris, &keep)?;
        for (key, blob) in [("foto", &bio.foto), ("tanda_tangan", &bio.tanda_tangan)] {
            match blob {
                Some(b) => {
                    let json = serde_json::to_value(b).map_err(|e| DocumentError::Serde {
                        field: K_BIOMETRIK,
                        message: e.to_string(),
                    })?;
                    let Json::Object(m) = json else {
                        unreachable!("BlobRef serializes to an object")
                    };
                    let o = ensure_obj(&mut self.doc, &obj, key, ObjType::Map)?;
                    changed |= reconcile_map(&mut self.doc, &o, &m)?;
                }
                None => {
                    if self.doc.get(&obj, key)?.is_some() {
                        self.doc.delete(&obj, key)?;
                        changed = true;
                    }
                }
            }
        }
        Ok(self.commit_if(changed))
    }

    /// Reads the biometric references.
    pub fn biometrik(&self) -> Result<Biometrik, DocumentError> {
        let mut out = Biometrik::default();
        let Some((Value::Object(ObjType::Map), obj)) = self.doc.get(ROOT, K_BIOMETRIK)? else {
            return Ok(out);
        };
        if let Some((Value::Object(ObjType::Map), fp)) = self.doc.get(&obj, "sidik_jari")? {
            for k in self.doc.keys(&fp) {
                match self.doc.get(&fp, k.as_str())? {
                    Some((Value::Scalar(s), _)) => match s.as_ref() {
                        ScalarValue::Bytes(b) => {
                            out.sidik_jari.insert(k, b.clone());
                        }
                        _ => return Err(field_err(&format!("biometrik.sidik_jari.{k}"))),
                    },
                    _ => return Err(field_err(&format!("biometrik.sidik_jari.{k}"))),
                }
            }
        }
        if let Some((Value::Object(ObjType::Map), iris)) = self.doc.get(&obj, "iris")? {
            for k in self.doc.keys(&iris) {
                let v = get_str(&self.doc, &iris, &k)?
                    .ok_or_else(|| field_err(&format!("biometrik.iris.{k}")))?;
                out.iris.insert(k, v);
            }
        }
        for key in ["foto", "tanda_tangan"] {
            if let Some((Value::Object(ObjType::Map), o)) = self.doc.get(&obj, key)? {
                let json = read_json(&self.doc, &o)?;
                let b: BlobRef =
                    serde_json::from_value(json).map_err(|e| DocumentError::Serde {
                        field: K_BIOMETRIK,
                        message: e.to_string(),
                    })?;
                if key == "foto" {
                    out.foto = Some(b);
                } else {
                    out.tanda_tangan = Some(b);
                }
            }
        }
        Ok(out)
    }

    /// Writes the biometric exceptions (the whole set: modalities not in `daftar` lose theirs),
    /// touching only what changed. Returns whether anything changed.
    pub fn set_pengecualian(&mut self, daftar: &DaftarPengecualian) -> Result<bool, DocumentError> {
        let obj = ensure_obj(&mut self.doc, &ROOT, K_BIOMETRIK, ObjType::Map)?;
        let mut m = serde_json::Map::new();
        for (modalitas, p) in daftar {
            let json = serde_json::to_value(p).map_err(|e| DocumentError::Serde {
                field: K_BIOMETRIK,
                message: e.to_string(),
            })?;
            m.insert(modalitas.nama().to_owned(), json);
        }
        let changed = if m.is_empty() && self.doc.get(&obj, K_PENGECUALIAN)?.is_none() {
            false
        } else {
            let o = ensure_obj(&mut self.doc, &obj, K_PENGECUALIAN, ObjType::Map)?;
            reconcile_map(&mut self.doc, &o, &m)?
        };
        Ok(self.commit_if(changed))
    }

    /// Reads the biometric exceptions (none in a document without the section).
    pub fn pengecualian(&self) -> Result<DaftarPengecualian, DocumentError> {
        let mut out = DaftarPengecualian::new();
        let Some((Value::Object(ObjType::Map), obj)) = self.doc.get(ROOT, K_BIOMETRIK)? else {
            return Ok(out);
        };
        let Some((v, o)) = self.doc.get(&obj, K_PENGECUALIAN)? else {
            return Ok(out);
        };
        if !matches!(v, Value::Object(ObjType::Map)) {
            return Err(field_err("biometrik.pengecualian"));
        }
        for k in self.doc.keys(&o) {
            let field = || field_err(&format!("biometrik.pengecualian.{k}"));
            let modalitas = Modalitas::dari_nama(&k).ok_or_else(field)?;
            let Some((Value::Object(ObjType::Map), e)) = self.doc.get(&o, k.as_str())? else {
                return Err(field());
            };
            let p: Pengecualian =
                serde_json::from_value(read_json(&self.doc, &e)?).map_err(|_| field())?;
            out.insert(modalitas, p);
        }
        Ok(out)
    }

    /// Writes the hub's decision. Only the hub may call this: an office doing so is refused
    /// by [`check_incoming`] at the hub.
    pub fn set_keputusan(&mut self, k: &Keputusan) -> Result<bool, DocumentError> {
        let obj = ensure_obj(&mut self.doc, &ROOT, K_KEPUTUSAN, ObjType::Map)?;
        let mut changed = false;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "hasil",
            ScalarValue::Str(k.hasil.as_str().into()),
        )?;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "oleh",
            ScalarValue::Str(k.oleh.as_str().into()),
        )?;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "waktu",
            ScalarValue::Timestamp(k.waktu.timestamp_millis()),
        )?;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "catatan",
            ScalarValue::Str(k.catatan.as_str().into()),
        )?;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "jenis",
            ScalarValue::Str(k.jenis.map_or("", JenisTemuan::as_str).into()),
        )?;
        changed |= put_scalar_if_changed(
            &mut self.doc,
            &obj,
            "dasar",
            ScalarValue::Str(k.dasar.as_deref().unwrap_or("").into()),
        )?;
        let list = Json::Array(k.duplikat_dari.iter().cloned().map(Json::String).collect());
        let mut m = serde_json::Map::new();
        m.insert("duplikat_dari".into(), list);
        changed |= reconcile_map_keys(&mut self.doc, &obj, &m)?;
        Ok(self.commit_if(changed))
    }

    /// Reads the hub's decision, if one was made.
    pub fn keputusan(&self) -> Result<Option<Keputusan>, DocumentError> {
        let Some((Value::Object(ObjType::Map), obj)) = self.doc.get(ROOT, K_KEPUTUSAN)? else {
            return Ok(None);
        };
        let hasil = get_str(&self.doc, &obj, "hasil")?
            .and_then(|s| HasilDedup::parse(&s))
            .ok_or_else(|| field_err("keputusan.hasil"))?;
        let oleh = get_str(&self.doc, &obj, "oleh")?.unwrap_or_default();
        let catatan = get_str(&self.doc, &obj, "catatan")?.unwrap_or_default();
        let waktu = match self.doc.get(&obj, "waktu")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Timestamp(ms) | ScalarValue::Int(ms) => {
                    DateTime::<Utc>::from_timestamp_millis(*ms)
                }
                _ => None,
            },
            _ => None,
        }
        .ok_or_else(|| field_err("keputusan.waktu"))?;
        let duplikat_dari = match self.doc.get(&obj, "duplikat_dari")? {
            Some((Value::Object(ObjType::List), l)) => match read_json(&self.doc, &l)? {
                Json::Array(a) => a
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let jenis = match get_str(&self.doc, &obj, "jenis")? {
            None => None,
            Some(s) if s.is_empty() => None,
            Some(s) => Some(JenisTemuan::parse(&s).ok_or_else(|| field_err("keputusan.jenis"))?),
        };
        let dasar = get_str(&self.doc, &obj, "dasar")?.filter(|s| !s.is_empty());
        Ok(Some(Keputusan {
            hasil,
            oleh,
            waktu,
            catatan,
            duplikat_dari,
            jenis,
            dasar,
        }))
    }

    /// Reads the whole document.
    pub fn view(&self) -> Result<DocView, DocumentError> {
        let penduduk = match self.doc.get(ROOT, K_PENDUDUK)? {
            Some((Value::Object(ObjType::Map), obj)) => {
                let j = read_json(&self.doc, &obj)?;
                if j.as_object().is_some_and(|m| m.is_empty()) {
                    None
                } else {
                    Some(j)
                }
            }
            _ => None,
        };
        Ok(DocView {
            schema: self.schema()?,
            id: self.id()?,
            kecamatan: self.kecamatan()?,
            penduduk,
            peristiwa: read_events(&self.doc)?,
            biometrik: self.biometrik()?,
            keputusan: self.keputusan()?,
        })
    }

    fn commit_if(&mut self, changed: bool) -> bool {
        if changed {
            self.doc.commit();
        }
        changed
    }
}

/// Who sends a change to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Penulis {
    /// A kecamatan office, identified by its certificate's kecamatan code.
    Kantor(String),
    /// The hub itself.
    Hub,
}

/// Why an incoming change was refused. Each variant names the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The sender touched a section it does not own (e.g. an office writing `keputusan`).
    #[error("field `{field}` is not writable by {sender}")]
    NotOwner {
        /// Root key touched.
        field: String,
        /// Who sent it.
        sender: String,
    },
    /// The application belongs to another kecamatan than the sender's.
    #[error("application of kecamatan {doc} cannot be written by kecamatan {sender}")]
    OtherKecamatan {
        /// Kecamatan in the document.
        doc: String,
        /// Kecamatan of the sender.
        sender: String,
    },
    /// A field that is set once at creation was changed.
    #[error("field `{field}` is set once and cannot change")]
    Immutable {
        /// Root key.
        field: String,
    },
    /// The document after the change is malformed (missing id/kecamatan, wrong id, ...).
    #[error("malformed document after change: {0}")]
    Malformed(String),
    /// A new document whose id does not start with its kecamatan code.
    #[error("new application id {id} does not start with its kecamatan {kecamatan}-")]
    ForeignId {
        /// The claimed id.
        id: String,
        /// The document's kecamatan.
        kecamatan: String,
    },
}

/// The ownership rule: given a document and its heads before a peer's changes were applied
/// (`before` is empty for a document new to the hub), decides whether the peer `sender`
/// was allowed to make those changes. `expected_id` is the document id the peer claimed.
///
/// Refuses: any patch under a section the sender does not own; any change of `id`,
/// `kecamatan` or `schema` of an existing document; a document whose `kecamatan` is not the
/// sending office's, a document whose `id` differs from the claimed one, and a new document
/// whose `id` does not start with its kecamatan ([`permohonan_id`]).
pub fn check_incoming(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    sender: &Penulis,
    expected_id: &str,
) -> Result<(), Refusal> {
    let after = doc.get_heads();
    let sender_name = match sender {
        Penulis::Kantor(k) => format!("kecamatan {k}"),
        Penulis::Hub => "hub".to_owned(),
    };
    // Which kecamatan the document belonged to before: an office may only touch its own.
    if let Penulis::Kantor(k) = sender
        && !before.is_empty()
        && let Ok(Some((Value::Scalar(s), _))) = doc.get_at(ROOT, K_KECAMATAN, before)
        && let ScalarValue::Str(prev) = s.as_ref()
        && prev.as_str() != k
    {
        return Err(Refusal::OtherKecamatan {
            doc: prev.to_string(),
            sender: k.clone(),
        });
    }
    let patches = doc.diff(before, &after);
    for p in &patches {
        let root_key = match p.path.first() {
            Some((_, Prop::Map(k))) => k.clone(),
            Some((_, Prop::Seq(_))) => return Err(Refusal::Malformed("root is a list".into())),
            None => match &p.action {
                PatchAction::PutMap { key, .. }
                | PatchAction::DeleteMap { key }
                | PatchAction::Conflict {
                    prop: Prop::Map(key),
                } => key.clone(),
                other => return Err(Refusal::Malformed(format!("root patch {other:?}"))),
            },
        };
        let owned = match sender {
            Penulis::Kantor(_) => OFFICE_KEYS.contains(&root_key.as_str()),
            Penulis::Hub => HUB_KEYS.contains(&root_key.as_str()),
        };
        if !owned {
            return Err(Refusal::NotOwner {
                field: root_key,
                sender: sender_name,
            });
        }
        let header = [K_ID, K_KECAMATAN, K_SCHEMA].contains(&root_key.as_str());
        if header && !before.is_empty() {
            return Err(Refusal::Immutable { field: root_key });
        }
    }
    // The same rule over every operation of the new changes, visible or not: an operation
    // that loses a conflict produces no patch, yet must not be stored if the sender does not
    // own its section.
    for change in doc.get_changes(before) {
        for op in change.decode().operations {
            let root_key = op_root_key(doc, &op)?;
            let owned = match sender {
                Penulis::Kantor(_) => OFFICE_KEYS.contains(&root_key.as_str()),
                Penulis::Hub => HUB_KEYS.contains(&root_key.as_str()),
            };
            if !owned {
                return Err(Refusal::NotOwner {
                    field: root_key,
                    sender: sender_name,
                });
            }
            if !before.is_empty() && [K_ID, K_KECAMATAN, K_SCHEMA].contains(&root_key.as_str()) {
                return Err(Refusal::Immutable { field: root_key });
            }
        }
    }
    // The resulting document must be well-formed and belong to the sender.
    let id = get_str(doc, &ROOT, K_ID)
        .ok()
        .flatten()
        .ok_or_else(|| Refusal::Malformed("missing id".into()))?;
    if id != expected_id {
        return Err(Refusal::Malformed(format!(
            "document id {id} differs from {expected_id}"
        )));
    }
    let kec = get_str(doc, &ROOT, K_KECAMATAN)
        .ok()
        .flatten()
        .ok_or_else(|| Refusal::Malformed("missing kecamatan".into()))?;
    if let Penulis::Kantor(k) = sender
        && &kec != k
    {
        return Err(Refusal::OtherKecamatan {
            doc: kec,
            sender: k.clone(),
        });
    }
    // A new application's id must carry its kecamatan: an office cannot claim an id another
    // office will use (ids are the documents' keys at the hub, first come first served).
    if before.is_empty() && !id_belongs_to(&id, &kec) {
        return Err(Refusal::ForeignId { id, kecamatan: kec });
    }
    Ok(())
}

/// A new application id for kecamatan `kecamatan`: `KKKKKK-` followed by `unique` (the
/// offices use a UUID v7). The hub refuses new documents whose id lacks their kecamatan's
/// prefix ([`check_incoming`]).
pub fn permohonan_id(kecamatan: &str, unique: &str) -> String {
    format!("{kecamatan}-{unique}")
}

/// Whether `id` starts with `kecamatan` and a dash, as [`permohonan_id`] makes them.
pub fn id_belongs_to(id: &str, kecamatan: &str) -> bool {
    id.strip_prefix(kecamatan)
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('-'))
}

/// The root key under which an operation acts (the section it touches).
fn op_root_key(doc: &AutoCommit, op: &automerge::legacy::Op) -> Result<String, Refusal> {
    use automerge::legacy::{Key, ObjectId};
    match &op.obj {
        ObjectId::Root => match &op.key {
            Key::Map(k) => Ok(k.to_string()),
            Key::Seq(_) => Err(Refusal::Malformed("list operation on the root".into())),
        },
        ObjectId::Id(id) => {
            let exid = doc
                .import_obj(&format!("{}@{}", id.0, id.1))
                .map_err(|e| Refusal::Malformed(format!("operation on unknown object: {e}")))?;
            let parents = doc
                .parents(&exid)
                .map_err(|e| Refusal::Malformed(format!("object without parent: {e}")))?;
            match parents.last() {
                Some(p) if p.obj == ROOT => match p.prop {
                    Prop::Map(k) => Ok(k),
                    Prop::Seq(_) => Err(Refusal::Malformed("root is a list".into())),
                },
                _ => Err(Refusal::Malformed(
                    "object not reachable from the root".into(),
                )),
            }
        }
    }
}

// ---- helpers: JSON <-> automerge ------------------------------------------------------------

fn field_err(field: &str) -> DocumentError {
    DocumentError::Field {
        field: field.to_owned(),
    }
}

fn get_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<String>, DocumentError> {
    match doc.get(obj, key)? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Ok(Some(s.to_string())),
            _ => Err(field_err(key)),
        },
        None => Ok(None),
        Some(_) => Err(field_err(key)),
    }
}

/// Returns the child object at `obj[key]` of type `ty`, creating (or replacing) it if needed.
fn ensure_obj(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    ty: ObjType,
) -> Result<ObjId, DocumentError> {
    match doc.get(obj, key)? {
        Some((Value::Object(t), id)) if t == ty => Ok(id),
        _ => Ok(doc.put_object(obj, key, ty)?),
    }
}

fn put_scalar_if_changed(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: ScalarValue,
) -> Result<bool, DocumentError> {
    if let Some((Value::Scalar(s), _)) = doc.get(obj, key)?
        && *s.as_ref() == value
    {
        return Ok(false);
    }
    doc.put(obj, key, value)?;
    Ok(true)
}

fn delete_other_keys(
    doc: &mut AutoCommit,
    obj: &ObjId,
    keep: &[String],
) -> Result<bool, DocumentError> {
    let stale: Vec<String> = doc.keys(obj).filter(|k| !keep.contains(k)).collect();
    for k in &stale {
        doc.delete(obj, k.as_str())?;
    }
    Ok(!stale.is_empty())
}

fn json_to_scalar(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

fn scalar_to_json(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Int(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Timestamp(t) => Json::from(*t),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Bytes(b) => {
            use base64::Engine as _;
            Json::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        ScalarValue::Unknown { .. } => Json::Null,
    }
}

/// Reads an object (map or list) as JSON.
fn read_json(doc: &AutoCommit, obj: &ObjId) -> Result<Json, DocumentError> {
    read_json_depth(doc, obj, 0)
}

const MAX_DEPTH: usize = 32;

fn read_json_depth(doc: &AutoCommit, obj: &ObjId, depth: usize) -> Result<Json, DocumentError> {
    if depth > MAX_DEPTH {
        return Err(field_err("(nesting too deep)"));
    }
    let value_at = |v: Value<'_>, id: ObjId| -> Result<Json, DocumentError> {
        match v {
            Value::Scalar(s) => Ok(scalar_to_json(s.as_ref())),
            Value::Object(ObjType::Text) => Ok(Json::String(doc.text(&id)?)),
            Value::Object(_) => read_json_depth(doc, &id, depth + 1),
        }
    };
    match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let mut m = serde_json::Map::new();
            for k in doc.keys(obj) {
                if let Some((v, id)) = doc.get(obj, k.as_str())? {
                    m.insert(k, value_at(v, id)?);
                }
            }
            Ok(Json::Object(m))
        }
        ObjType::List => {
            let mut a = Vec::new();
            for i in 0..doc.length(obj) {
                if let Some((v, id)) = doc.get(obj, i)? {
                    a.push(value_at(v, id)?);
                }
            }
            Ok(Json::Array(a))
        }
        ObjType::Text => Ok(Json::String(doc.text(obj)?)),
    }
}

fn read_events(doc: &AutoCommit) -> Result<Vec<Json>, DocumentError> {
    match doc.get(ROOT, K_PERISTIWA)? {
        Some((Value::Object(ObjType::List), list)) => match read_json(doc, &list)? {
            Json::Array(a) => Ok(a),
            _ => Err(field_err(K_PERISTIWA)),
        },
        None => Ok(Vec::new()),
        _ => Err(field_err(K_PERISTIWA)),
    }
}

fn insert_json(
    doc: &mut AutoCommit,
    list: &ObjId,
    index: usize,
    v: &Json,
) -> Result<(), DocumentError> {
    match v {
        Json::Object(m) => {
            let o = doc.insert_object(list, index, ObjType::Map)?;
            reconcile_map(doc, &o, m)?;
        }
        Json::Array(a) => {
            let o = doc.insert_object(list, index, ObjType::List)?;
            for (i, x) in a.iter().enumerate() {
                insert_json(doc, &o, i, x)?;
            }
        }
        scalar => {
            let s = json_to_scalar(scalar).expect("scalar");
            doc.insert(list, index, s)?;
        }
    }
    Ok(())
}

/// Makes the map `obj` equal to `m`: writes changed keys, deletes removed ones.
fn reconcile_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    m: &serde_json::Map<String, Json>,
) -> Result<bool, DocumentError> {
    let mut changed = reconcile_map_keys(doc, obj, m)?;
    let keep: Vec<String> = m.keys().cloned().collect();
    changed |= delete_other_keys(doc, obj, &keep)?;
    Ok(changed)
}

/// Writes the keys of `m` into map `obj` where they differ (does not delete other keys).
fn reconcile_map_keys(
    doc: &mut AutoCommit,
    obj: &ObjId,
    m: &serde_json::Map<String, Json>,
) -> Result<bool, DocumentError> {
    let mut changed = false;
    for (k, v) in m {
        match v {
            Json::Object(inner) => {
                let child = ensure_obj(doc, obj, k, ObjType::Map)?;
                changed |= reconcile_map(doc, &child, inner)?;
            }
            Json::Array(items) => {
                let same = match doc.get(obj, k.as_str())? {
                    Some((Value::Object(ObjType::List), id)) => read_json(doc, &id)? == *v,
                    _ => false,
                };
                if !same {
                    let list = doc.put_object(obj, k.as_str(), ObjType::List)?;
                    for (i, x) in items.iter().enumerate() {
                        insert_json(doc, &list, i, x)?;
                    }
                    changed = true;
                }
            }
            scalar => {
                let s = json_to_scalar(scalar).expect("scalar");
                changed |= put_scalar_if_changed(doc, obj, k, s)?;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests;
