//! rekam-agent library part (the binary in main.rs is a thin CLI over it).
#![forbid(unsafe_code)]
