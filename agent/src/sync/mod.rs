//! The office's sync daemon: a background task that moves this office's application documents
//! and blobs to the hub and brings the hub's changes (decisions) back (see `docs/sync.md`).
//!
//! - [`HubConfig`]: the `[hub]` section of the agent's config.
//! - [`store`]: the daemon's tables (migration `0100_sync.sql`): the outbox filled by triggers on
//!   `permohonan_doc` and `biometrik`, per-document sync states, the cursor and status.
//! - [`client`]: HTTPS with the office certificate (mutual TLS, rustls + ring).
//! - [`daemon`]: the loop: rounds while online, exponential backoff with jitter when not,
//!   resumes from SQLite after a restart, never holds the writer longer than one batch.
//! - [`rows`]: the rows follow a document the hub sent (newer events after a restore from an
//!   older backup, or a whole application the office does not have).
//! - [`unduh`]: downloads for a restored office: the capture rows follow a document's
//!   biometric section, photos and signatures come back as resumable, hash-checked blobs.
//! - [`indeks`]: the district index download (migration `0130_indeks.sql`), after each round's
//!   documents (see `docs/district-index.md`).
//! - [`register`]: the population register download (migration `0140_register.sql`), after
//!   the index (see `docs/population-register.md`).
//! - [`cli`]: `rekam-agent sync status` and `rekam-agent sync now`.

pub mod cli;
pub mod client;
pub mod daemon;
pub mod indeks;
pub mod register;
pub mod rows;
pub mod store;
pub mod unduh;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use daemon::spawn;

/// The `[hub]` section of the agent's configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Base URL of the hub, e.g. `https://hub.disdukcapil.local:8443`.
    pub url: String,
    /// Folder with `office.crt`, `office.key` and the district `ca.crt`
    /// (from `rekam-hub pki issue-agent`).
    pub tls_dir: PathBuf,
    /// Pause between rounds while online and idle, milliseconds.
    pub interval_ms: u64,
    /// First retry delay after a failure, milliseconds (doubles up to `max_backoff_ms`).
    pub backoff_ms: u64,
    /// Longest retry delay, milliseconds.
    pub max_backoff_ms: u64,
    /// Documents per sync request.
    pub batch_docs: usize,
    /// Timeout of one HTTP request, milliseconds.
    pub timeout_ms: u64,
    /// Age in hours after which the district index counts as stale (a warning at the desk
    /// and in every check's answer). Default 168 (7 days).
    pub index_max_age_hours: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            url: String::new(),
            tls_dir: PathBuf::from("tls"),
            interval_ms: 2_000,
            backoff_ms: 500,
            max_backoff_ms: 60_000,
            batch_docs: 100,
            timeout_ms: 30_000,
            index_max_age_hours: 168,
        }
    }
}

impl HubConfig {
    /// Interval between idle rounds.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    /// Age after which the district index is stale.
    pub fn index_max_age(&self) -> chrono::TimeDelta {
        // Capped at about 100,000 years so a huge setting cannot overflow.
        chrono::TimeDelta::hours(self.index_max_age_hours.min(1 << 30) as i64)
    }
}

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The office database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// SQLite.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The hub could not be reached or answered badly.
    #[error("hub: {0}")]
    Hub(String),
    /// Configuration / certificates.
    #[error("config: {0}")]
    Config(String),
    /// A stored document is corrupt.
    #[error("document {id}: {reason}")]
    Document {
        /// Which.
        id: String,
        /// Why.
        reason: String,
    },
}
