//! # rekam-shared
//!
//! The domain core of Rekam, the e-KTP data-recording system of the civil registry
//! (Disdukcapil) of Kabupaten Pesisir Selatan. Everything here is pure and synchronous:
//! no files, no sockets, no clocks read behind the caller's back. Both `rekam-agent` (one per
//! kecamatan office) and `rekam-hub` (one per district) build on it.
// `deny`, not `forbid`: the one exception is the runtime-dispatched SIMD popcount in
// `bio::simd`, which must call a `#[target_feature]` function after detecting the feature.
#![deny(unsafe_code)]

pub mod bio;
pub mod document;
pub mod eligibility;
pub mod index;
pub mod kk;
pub mod nik;
pub mod penduduk;
pub mod region;
pub mod register;
pub mod wire;
pub mod workflow;
