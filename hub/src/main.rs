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
    /// Run the hub (sync endpoint behind mutual TLS).
    Serve(rekam_hub::cli::ServeArgs),
    /// The district certificate authority: init, issue-agent, issue-hub, revoke.
    #[command(subcommand)]
    Pki(rekam_hub::cli::PkiCommand),
    /// Write the deduplication decision of an application (sent back to its office).
    Decide(rekam_hub::cli::DecideArgs),
    /// The dedup queue and decisions: `dedup stats`, `dedup rescan`, `dedup explain ID`.
    #[command(subcommand)]
    Dedup(rekam_hub::cli::DedupCommand),
    /// Print every stored document and its blobs as JSON lines.
    Inspect(rekam_hub::cli::InspectArgs),
    /// Check the fingerprint and iris matchers on your own data.
    Bio(rekam_hub::bio_cli::BioArgs),
    /// Dashboard users: `user add NAME --role ROLE`, `user disable`, `user passwd`, `user list`.
    User(rekam_hub::user_cli::UserArgs),
    /// Rebuild the statistics read model from the stored documents (takes the data lock).
    Reindex(rekam_hub::statistik::cli::ReindexArgs),
    /// Wajib KTP-el targets per kecamatan and year: `target import FILE.csv`, `target list`.
    #[command(subcommand)]
    Target(rekam_hub::statistik::cli::TargetCommand),
    /// The population register (Database Kependudukan): `penduduk import FILE.csv`,
    /// `penduduk status`.
    #[command(subcommand)]
    Penduduk(rekam_hub::penduduk::cli::PendudukCommand),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => rekam_hub::cli::serve(args),
        Command::Pki(cmd) => rekam_hub::cli::pki(cmd),
        Command::Decide(args) => rekam_hub::cli::decide(args),
        Command::Dedup(cmd) => rekam_hub::cli::dedup(cmd),
        Command::Inspect(args) => rekam_hub::cli::inspect(args),
        Command::Bio(args) => rekam_hub::bio_cli::run(args),
        Command::User(args) => rekam_hub::user_cli::run(args),
        Command::Reindex(args) => rekam_hub::statistik::cli::reindex(args),
        Command::Target(cmd) => rekam_hub::statistik::cli::target(cmd),
        Command::Penduduk(cmd) => rekam_hub::penduduk::cli::run(cmd),
    }
}
