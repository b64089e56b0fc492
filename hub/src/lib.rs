//! rekam-hub library part: the district hub. The binary in `main.rs` is a thin CLI over it.
//!
//! - [`pki`]: the district CA and office certificates.
//! - [`storage`]: the storage trait and its SQLite backend.
//! - [`sync`]: the hub side of the sync protocol and the decision write.
//! - [`dedup`]: district-wide deduplication (NIK + 1:N biometrics), decisions back to offices.
//! - [`server`] + [`tls`]: the HTTPS API behind mutual TLS.
//! - [`penduduk`]: the population register: import of a SIAK extract, versioned delta,
//!   chunks for the offices' sync.
//! - [`statistik`]: the statistics read model, the dashboard's queries and the targets.
//! - [`cli`]: `rekam-hub serve | pki | decide`.
//! - [`pengguna`] + [`user_cli`]: dashboard users (`rekam-hub user ...`).
//! - [`web`]: the human-facing HTTPS dashboard (login, dedup cases, adjudication, operations).
#![forbid(unsafe_code)]

pub mod bio_cli;
pub mod cli;
pub mod dedup;
pub mod index;
pub mod penduduk;
pub mod pengguna;
pub mod pki;
pub mod server;
pub mod statistik;
pub mod storage;
pub mod sync;
pub mod tls;
pub mod user_cli;
pub mod web;
