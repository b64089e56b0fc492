//! Helpers for Rekam's end-to-end tests: start the real binaries on 127.0.0.1 with temporary
//! data folders ([`harness`]), read an office's database ([`agent_db`]), and a
//! fault-injecting TCP proxy ([`proxy`]), and the check for programs outside the workspace
//! that some tests need ([`external`]), and the district dashboard's client ([`dashboard`]).
#![forbid(unsafe_code)]

pub mod agent_db;
pub mod dashboard;
pub mod external;
pub mod harness;
pub mod proxy;
pub mod webdriver;
