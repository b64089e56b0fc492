//! The hub's storage, behind one trait (in the style of atuin's server database crate).
//!
//! Everything the hub keeps goes through [`Storage`]: application documents, blobs, per-peer
//! sync states, offices, the audit log, and the dashboard's users and sessions
//! ([`pengguna`]). [`sqlite::SqliteStorage`] is the embedded default;
//! a PostgreSQL backend implements the same trait without touching the rest of the hub.
//!
//! Work that must be atomic (load a document, apply a peer's changes, check them, store the
//! document and the sync state) runs inside [`Storage::transaction`], which hands the closure a
//! [`Tx`]. The trait is synchronous: async callers run it on a blocking thread.

pub mod pengguna;
pub mod sqlite;

pub use pengguna::PenggunaStorage;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The backend failed.
    #[error("storage backend: {0}")]
    Backend(String),
    /// Stored data is corrupt.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A blob chunk did not start where the stored part ends.
    #[error("blob chunk at offset {offset} but {received} bytes are stored")]
    BlobOffset {
        /// Offset of the chunk sent.
        offset: u64,
        /// Bytes already stored.
        received: u64,
    },
    /// The blob's bytes do not hash to its name.
    #[error("blob content does not match its SHA-256")]
    BlobHash,
    /// The blob is larger than declared or allowed.
    #[error("blob larger than {0} bytes")]
    BlobTooLarge(u64),
}

/// A stored application document.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// Kecamatan that owns it.
    pub kecamatan: String,
    /// Saved automerge bytes.
    pub bytes: Vec<u8>,
    /// Position in the hub's change feed (0 if the hub never changed it).
    pub hub_seq: u64,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (RFC 3339).
    pub at: String,
    /// Who (e.g. `kecamatan 130101`, `hub`, a user name).
    pub actor: String,
    /// What, e.g. `sync.refused`.
    pub action: String,
    /// The document concerned, if any.
    pub permohonan_id: Option<String>,
    /// Details (never biometric data).
    pub detail: String,
}

/// A kecamatan office as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    /// Kecamatan code.
    pub kecamatan: String,
    /// Last successful sync (RFC 3339).
    pub last_seen: String,
    /// Serial of the certificate last used.
    pub cert_serial: String,
    /// Number of sync requests served.
    pub requests: u64,
}

/// Upload state of a blob.
pub use rekam_shared::wire::BlobStatus;

use rekam_shared::index::{EntriIndeks, IsiIndeks};
use rekam_shared::register::{EntriRegister, PendudukTerdaftar};

/// Operations available inside a transaction.
pub trait Tx {
    /// Loads a document.
    fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError>;
    /// Stores a document (insert or replace). `by_hub` moves it to the end of the hub's
    /// change feed (the office must fetch it).
    fn save_doc(
        &self,
        id: &str,
        kecamatan: &str,
        bytes: &[u8],
        by_hub: bool,
    ) -> Result<(), StorageError>;
    /// Loads the encoded automerge sync state of `peer` for document `id`.
    fn load_sync_state(&self, peer: &str, id: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores the encoded sync state.
    fn save_sync_state(&self, peer: &str, id: &str, state: &[u8]) -> Result<(), StorageError>;
    /// Documents of `kecamatan` the hub changed after `cursor`, oldest first, at most `limit`.
    fn hub_changes_since(
        &self,
        kecamatan: &str,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StorageError>;
    /// Ids of the documents of `kecamatan`, ascending, after `after` (`""`: from the first),
    /// at most `limit`: one page of the full listing a restored office walks.
    fn doc_ids_after(
        &self,
        kecamatan: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>, StorageError>;
    /// Appends to the audit log.
    fn audit(&self, entry: &AuditEntry) -> Result<(), StorageError>;
    /// Records a successful request of an office.
    fn touch_office(&self, kecamatan: &str, cert_serial: &str) -> Result<(), StorageError>;
    /// Puts application `id` on the durable dedup queue, waiting since `at` (RFC 3339).
    /// Already queued: keeps the older time.
    fn enqueue_dedup(&self, id: &str, at: &str) -> Result<(), StorageError>;

    // The district index (see `crate::index`).

    /// The index entry of application `id` (content, or a tombstone), if it was ever indexed.
    fn index_entry(&self, id: &str) -> Result<Option<EntriIndeks>, StorageError>;
    /// Writes the entry of application `id` (`None`: a tombstone) under the next sequence
    /// number, which it returns.
    fn index_put(&self, id: &str, isi: Option<&IsiIndeks>) -> Result<u64, StorageError>;
    /// Entries with a sequence number above `versi`, in order, at most `limit`.
    fn index_since(&self, versi: u64, limit: usize) -> Result<Vec<EntriIndeks>, StorageError>;
    /// The highest sequence number (0 for an empty index).
    fn index_head(&self) -> Result<u64, StorageError>;

    // The population register (see `crate::penduduk`).

    /// The register's resident with this NIK, with the version of its last change.
    fn register_get(&self, nik: &str) -> Result<Option<EntriRegister>, StorageError>;
    /// Writes resident `data` (new, or replacing the row of its NIK) under the next sequence
    /// number, which it returns; `impor` is the import that wrote it.
    fn register_put(&self, data: &PendudukTerdaftar, impor: u64) -> Result<u64, StorageError>;
    /// Residents whose last change is past `versi`, in order, at most `limit`.
    fn register_since(&self, versi: u64, limit: usize) -> Result<Vec<EntriRegister>, StorageError>;
    /// The register's highest sequence number (0 for an empty register).
    fn register_head(&self) -> Result<u64, StorageError>;
    /// Residents per register status (`aktif`, `meninggal`, `pindah`).
    fn register_jumlah(&self) -> Result<std::collections::BTreeMap<String, u64>, StorageError>;
    /// Opens the record of an import (at, by whom, which file) and returns its number.
    fn register_impor_mulai(&self, at: &str, oleh: &str, berkas: &str)
    -> Result<u64, StorageError>;
    /// Completes the record of import `id` with what it did.
    fn register_impor_selesai(
        &self,
        id: u64,
        ringkasan: &crate::penduduk::RingkasanImpor,
    ) -> Result<(), StorageError>;
    /// NIKs of the residents (of `kecamatan`, or all) who must hold a KTP-el on `pada` and have
    /// no successful recording in the district index, by kecamatan, nagari and NIK.
    fn register_belum_rekam(
        &self,
        pada: chrono::NaiveDate,
        kecamatan: Option<&str>,
    ) -> Result<Vec<String>, StorageError>;

    // The statistics read model (see `crate::statistik`).

    /// Replaces the read-model rows of one application with `baris`.
    fn statistik_tulis(
        &self,
        baris: &crate::statistik::baris::BarisStatistik,
    ) -> Result<(), StorageError>;
    /// Empties the read model (before a rebuild in the same transaction).
    fn statistik_kosongkan(&self) -> Result<(), StorageError>;
}

/// The hub's storage.
pub trait Storage: PenggunaStorage + Send + Sync + 'static {
    /// Runs `f` in one atomic transaction: committed if it returns `Ok`, rolled back otherwise.
    fn transaction(
        &self,
        f: &mut dyn FnMut(&dyn Tx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;

    /// Loads a document outside a transaction.
    fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError> {
        let mut out = None;
        self.transaction(&mut |tx| {
            out = tx.load_doc(id)?;
            Ok(())
        })?;
        Ok(out)
    }
    /// Ids of all documents (of one kecamatan if given), sorted.
    fn doc_ids(&self, kecamatan: Option<&str>) -> Result<Vec<String>, StorageError>;
    /// Number of documents.
    fn doc_count(&self) -> Result<u64, StorageError>;
    /// Upload state of a blob (`received` 0 and not complete if unknown).
    fn blob_status(&self, sha256: &str) -> Result<BlobStatus, StorageError>;
    /// Appends a chunk at `offset` of a blob of `total` bytes; on the last chunk, verifies the
    /// SHA-256 and completes the blob (or discards the partial upload on mismatch).
    fn put_blob_chunk(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<BlobStatus, StorageError>;
    /// A complete blob's bytes.
    fn get_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Known offices.
    fn offices(&self) -> Result<Vec<Office>, StorageError>;
    /// The last `limit` audit entries, newest first.
    fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StorageError>;
    /// At most `limit` applications waiting for dedup, as `(permohonan_id, enqueued_at)`,
    /// oldest first.
    fn dedup_queue(&self, limit: usize) -> Result<Vec<(String, String)>, StorageError>;
    /// Takes application `id` off the dedup queue (no-op if not queued).
    fn dequeue_dedup(&self, id: &str) -> Result<(), StorageError>;
    /// The dedup backlog: how many applications wait and since when the oldest waits.
    fn dedup_backlog(&self) -> Result<(u64, Option<String>), StorageError>;

    // --- Dedup rescan (`rekam-hub dedup rescan`): its persisted cursor, one row per run. ---

    /// The latest dedup rescan (finished or not), if any ran.
    fn dedup_rescan_latest(&self) -> Result<Option<Rescan>, StorageError>;
    /// Starts a new rescan generation at `mulai` (RFC 3339) with thresholds `ambang` (text, as
    /// shown to operators) and returns it.
    fn dedup_rescan_start(&self, mulai: &str, ambang: &str) -> Result<Rescan, StorageError>;
    /// Moves the cursor of rescan `generasi`: every application up to `kursor` (in id order)
    /// is done; `diproses` gone through so far, `berubah` of them with a changed decision.
    fn dedup_rescan_advance(
        &self,
        generasi: u64,
        kursor: &str,
        diproses: u64,
        berubah: u64,
    ) -> Result<(), StorageError>;
    /// Ends rescan `generasi` at `at` as `status` ([`RescanStatus::Selesai`] or
    /// [`RescanStatus::Ditinggalkan`]).
    fn dedup_rescan_end(
        &self,
        generasi: u64,
        at: &str,
        status: RescanStatus,
    ) -> Result<(), StorageError>;

    /// The statistics read model's grouped reads and the targets (see `crate::statistik`).
    fn statistik(&self) -> &dyn crate::statistik::StatistikStorage;
}

/// How a dedup rescan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RescanStatus {
    /// Started and not finished (interrupted, or running).
    Berjalan,
    /// Every application was gone through.
    Selesai,
    /// Left unfinished on purpose (a new rescan was started instead).
    Ditinggalkan,
}

impl RescanStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RescanStatus::Berjalan => "berjalan",
            RescanStatus::Selesai => "selesai",
            RescanStatus::Ditinggalkan => "ditinggalkan",
        }
    }

    /// The status stored as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Berjalan, Self::Selesai, Self::Ditinggalkan]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One dedup rescan (a generation): re-decides, in id order, every application the engine
/// decided; its cursor survives a killed process so that a rerun continues where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rescan {
    /// Number of this rescan (1, 2, ...).
    pub generasi: u64,
    /// When it started (RFC 3339): an engine decision made at or after this belongs to it.
    pub mulai: String,
    /// The thresholds it decides with (text).
    pub ambang: String,
    /// The last application id gone through, if any.
    pub kursor: Option<String>,
    /// Applications gone through so far.
    pub diproses: u64,
    /// ... of which the decision changed (and was written).
    pub berubah: u64,
    /// How it stands.
    pub status: RescanStatus,
    /// When it ended, if it did.
    pub selesai: Option<String>,
}
