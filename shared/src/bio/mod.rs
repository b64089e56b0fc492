//! Biometrics: fingerprint and iris templates, matchers and score fusion.
//!
//! - [`iso`]: ISO/IEC 19794-2:2005 and ANSI 378-2004 finger minutiae records.
//! - [`fingerprint`]: the minutiae matcher (prepared templates, 1:1 scores).
//! - [`iris`]: open-iris compatible iris codes and the masked fractional Hamming distance.
//! - [`simd`]: runtime-dispatched popcount kernels used by [`iris`].
//! - [`synth`]: a seeded synthetic iris generator for demos and load tests.
//! - [`synth_finger`]: a seeded synthetic fingerprint (minutiae) generator with FVC-like statistics.
//! - [`synth_district`]: a synthetic district (persons, offices, planted duplicates) from both.
//! - [`fusion`]: fingerprint + iris scores to one decision and a [`fusion::Verdict`].
//! - [`gallery`]: an in-memory gallery of persons for 1:N search.
//! - [`eval`]: EER and FNMR at fixed FMR from score sets.
//!
//! Nothing here logs, and no `Debug` implementation prints biometric data.

pub mod eval;
pub mod fingerprint;
pub mod fusion;
pub mod gallery;
pub mod iris;
pub mod iso;
pub mod simd;
pub mod synth;
pub mod synth_district;
pub mod synth_finger;
