//! # rekam-agent
//!
//! The kecamatan office service of Rekam: the SOP desks (registration, queue, recording,
//! hand-over) as a server-rendered Indonesian web UI plus a JSON API, one SQLite file as the
//! office's source of truth, the biometric device adapter and simulator, and the local
//! "already recorded?" check. The binary in `main.rs` only parses the command line and calls
//! [`run`].
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod bio;
pub mod cek;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod desk;
pub mod device;
pub mod peran;
pub mod sync;
pub mod web;

use std::net::SocketAddr;

pub use cli::Cli;
pub use config::Config;

/// Parses nothing: runs an already parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    cli::run(cli).await
}

/// A running agent server (in-process), for tests and for `serve`.
pub struct Running {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// The server task; it ends when `shutdown` is sent or fires on drop.
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// The "already recorded?" check: where a district index is installed
    /// ([`cek::CekRekam::set_distrik`]).
    pub cek: std::sync::Arc<cek::CekRekam>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    /// Stops the server and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        (&mut self.task).await?
    }
}

/// Opens the database, binds the listener and starts serving in a background task.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with_clock(config, clock::Clock::default()).await
}

/// [`start`] with a given clock (tests move it forward to exercise the time standards).
pub async fn start_with_clock(config: Config, clock: clock::Clock) -> anyhow::Result<Running> {
    config.validate()?;
    let (lock, db) = cli::open_for_serve(&config)?;
    let hub = config.hub.clone();
    let offset = config.offset();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let state = web::AppState::new(config, db.clone(), clock).await?;
    if let Some(hub) = hub {
        sync::spawn(db, hub, offset, state.indeks.clone());
    }
    let cek = state.cek.clone();
    let app = web::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _lock = lock;
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await?;
        Ok(())
    });
    Ok(Running {
        cek,
        addr,
        task,
        shutdown: Some(tx),
    })
}

/// `rekam-agent serve`: runs until Ctrl-C / SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let running = start(config).await?;
    tracing::info!(addr = %running.addr, "rekam-agent melayani");
    println!("rekam-agent listening on http://{}", running.addr);
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
    }
    running.stop().await
}

async fn terminate() {
    #[cfg(unix)]
    {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}
