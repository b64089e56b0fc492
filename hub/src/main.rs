//! The `rekam-hub` command: the district hub service and its administration tools.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};

/// Rekam district hub.
#[derive(Debug, Parser)]
#[command(name = "rekam-hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the fingerprint and iris matchers on your own data.
    Bio(rekam_hub::bio_cli::BioArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Bio(args) => rekam_hub::bio_cli::run(args),
    }
}
