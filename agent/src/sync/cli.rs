//! `rekam-agent sync status` and `rekam-agent sync now`: read the daemon's state from the
//! office database, or ask the running daemon for a round (a flag in `sync_meta` it polls).

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use super::SyncError;
use super::client::WireBytes;
use super::daemon::{SyncStatus, status_from_db};
use super::store::{self, meta};
use crate::db::Db;

/// `rekam-agent sync ...`
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Show the sync state: online, last success, documents and bytes waiting.
    Status {
        /// Data folder of the agent.
        #[arg(long)]
        data: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Ask the running agent for a sync round now and wait for it.
    Now {
        /// Data folder of the agent.
        #[arg(long)]
        data: PathBuf,
        /// Seconds to wait for the round.
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
}

fn open(data: &std::path::Path) -> anyhow::Result<Db> {
    Ok(Db::open(&data.join(crate::config::DB_FILE), 1)?)
}

async fn status(db: &Db) -> Result<SyncStatus, SyncError> {
    db.read(|c| status_from_db(c, WireBytes::default())).await
}

fn print(s: &SyncStatus) {
    println!(
        "status        : {}",
        if s.online { "online" } else { "offline" }
    );
    println!(
        "last success  : {}",
        s.last_success.as_deref().unwrap_or("never")
    );
    if let Some(e) = &s.last_error {
        println!("last error    : {e}");
    }
    println!(
        "docs waiting  : {} ({} bytes)",
        s.docs_waiting, s.doc_bytes_waiting
    );
    println!(
        "blobs waiting : {} ({} bytes)",
        s.blobs_waiting, s.blob_bytes_waiting
    );
    println!("docs refused  : {}", s.docs_refused);
}

/// Runs a `sync` subcommand.
pub async fn run(cmd: SyncCommand) -> anyhow::Result<()> {
    match cmd {
        SyncCommand::Status { data, json } => {
            let db = open(&data)?;
            let s = status(&db).await?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                print(&s);
                for (id, why) in db.read(store::refused).await? {
                    println!("refused {id}: {why}");
                }
            }
            Ok(())
        }
        SyncCommand::Now { data, wait } => {
            let db = open(&data)?;
            let asked = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let a = asked.clone();
            db.write(move |tx| store::set_meta(tx, meta::FORCE, &a))
                .await?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let attempt = db
                    .read(|c| store::get_meta(c, meta::LAST_ATTEMPT))
                    .await?
                    .unwrap_or_default();
                if attempt > asked {
                    let s = status(&db).await?;
                    print(&s);
                    if s.online {
                        return Ok(());
                    }
                    anyhow::bail!("sync round failed");
                }
                if tokio::time::Instant::now() > deadline {
                    anyhow::bail!(
                        "no sync round within {wait} s: is the agent running with a [hub] section?"
                    );
                }
            }
        }
    }
}
