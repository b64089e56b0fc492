//! `rekam-hub bio ...`: command-line access to the matchers, so anyone can check them on their own
//! data. (to be written)

/// Arguments of `rekam-hub bio`.
#[derive(Debug, clap::Args)]
pub struct BioArgs {}

/// Runs `rekam-hub bio`.
pub fn run(_args: BioArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
