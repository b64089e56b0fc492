//! Biometric devices: the local HTTP device protocol (see docs/agent.md), the agent's client
//! and the `device-sim` simulator.

pub mod sim;
