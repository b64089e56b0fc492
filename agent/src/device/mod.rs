//! Biometric devices: the local HTTP device protocol (documented in [`protocol`] and
//! docs/agent.md), the agent's client that validates everything a device sends, and the
//! `device-sim` simulator that serves realistic data without hardware.

pub mod client;
pub mod protocol;
pub mod sim;
