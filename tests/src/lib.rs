//! Helpers for Rekam's end-to-end tests: start the real binaries on 127.0.0.1 with temporary
//! data folders, and a fault-injecting TCP proxy.
#![forbid(unsafe_code)]
