//! rekam-hub library part: the district hub. The binary in `main.rs` is a thin CLI over it.
#![forbid(unsafe_code)]

pub mod bio_cli;
