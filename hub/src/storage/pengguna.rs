//! Dashboard users (pengguna) and their login sessions (sesi), as the storage keeps them.
//!
//! [`PenggunaStorage`] is a supertrait of [`super::Storage`], so every backend stores them and
//! every holder of a `dyn Storage` reaches them. Each change of a user is written together with
//! its audit entry in one transaction. Sessions are stored by the SHA-256 of their id: the
//! cookie's value itself is never stored.

use super::{AuditEntry, StorageError};
use crate::pengguna::Peran;

/// A dashboard user.
#[derive(Clone, PartialEq, Eq)]
pub struct Pengguna {
    /// User name (login).
    pub nama: String,
    /// Role.
    pub peran: Peran,
    /// argon2id PHC string of the password.
    pub hash: String,
    /// False once disabled (cannot log in; sessions ended).
    pub aktif: bool,
    /// When created (RFC 3339).
    pub dibuat: String,
}

// Never print the hash.
impl std::fmt::Debug for Pengguna {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pengguna")
            .field("nama", &self.nama)
            .field("peran", &self.peran)
            .field("aktif", &self.aktif)
            .finish_non_exhaustive()
    }
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sesi {
    /// Hex SHA-256 of the session id (the cookie holds the id).
    pub id_hash: String,
    /// The user.
    pub pengguna: String,
    /// The session's CSRF token (sent in every state-changing form).
    pub csrf: String,
    /// Created, unix seconds (absolute expiry counts from here).
    pub dibuat: i64,
    /// Last request, unix seconds (idle timeout counts from here).
    pub terakhir: i64,
}

/// What the storage keeps of users and sessions.
pub trait PenggunaStorage {
    /// Adds a user; `false` (nothing written) if the name exists.
    fn pengguna_add(&self, p: &Pengguna, audit: &AuditEntry) -> Result<bool, StorageError>;
    /// A user by name.
    fn pengguna_get(&self, nama: &str) -> Result<Option<Pengguna>, StorageError>;
    /// Every user, by name.
    fn pengguna_list(&self) -> Result<Vec<Pengguna>, StorageError>;
    /// Replaces a user's password hash and ends their sessions; `false` if no such user.
    fn pengguna_set_hash(
        &self,
        nama: &str,
        hash: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StorageError>;
    /// Disables a user and ends their sessions; `false` if no such user.
    fn pengguna_disable(&self, nama: &str, audit: &AuditEntry) -> Result<bool, StorageError>;
    /// Stores a new session.
    fn sesi_create(&self, s: &Sesi) -> Result<(), StorageError>;
    /// A session and its user, by the hash of its id.
    fn sesi_get(&self, id_hash: &str) -> Result<Option<(Sesi, Pengguna)>, StorageError>;
    /// Records a request of the session at `at` (unix seconds).
    fn sesi_touch(&self, id_hash: &str, at: i64) -> Result<(), StorageError>;
    /// Ends a session (no-op if unknown).
    fn sesi_delete(&self, id_hash: &str) -> Result<(), StorageError>;
}
