//! `rekam-agent device-sim`: a device service that serves realistic data without hardware.

use std::net::SocketAddr;

/// Serves the simulator until Ctrl-C.
pub async fn serve(_listen: SocketAddr) -> anyhow::Result<()> {
    anyhow::bail!("device-sim: not yet implemented")
}
