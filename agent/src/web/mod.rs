//! The HTTP side of the agent: the desk pages (server-rendered HTML, Indonesian) and the JSON
//! API under `/api/`, both thin layers over the same desk logic in [`crate::desk`].

pub mod api;
pub mod belum_rekam;
pub mod error;
pub mod form;
pub mod pages;
pub mod session;
pub mod sinkron;
pub mod throttle;

use std::sync::Arc;

use axum::Router;

use crate::cek::CekRekam;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::device::client::DeviceClient;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub clock: Clock,
    pub devices: DeviceClient,
    pub cek: Arc<CekRekam>,
    /// The district index inside `cek` (the sync daemon feeds it).
    pub indeks: Arc<crate::cek::IndeksKabupaten>,
    /// Wrong-password counts per username (see [`throttle`]).
    pub login_throttle: Arc<throttle::LoginThrottle>,
}

impl AppState {
    /// Builds the state: loads the local 1:N gallery from the database.
    pub async fn new(config: Config, db: Db, clock: Clock) -> anyhow::Result<AppState> {
        let gallery = db
            .read(|c| crate::bio::load_gallery(c).map_err(crate::db::DbError::from))
            .await?;
        let devices = DeviceClient::new(config.device_url.clone(), config.device_timeout());
        let cek = Arc::new(CekRekam::new(gallery));
        // The district index as stored by the sync daemon (an office with a hub searches it
        // even before its first download completes: the answer then says so).
        let max_age = config
            .hub
            .as_ref()
            .map(|h| h.index_max_age())
            .unwrap_or_else(|| crate::sync::HubConfig::default().index_max_age());
        let indeks = Arc::new(crate::cek::IndeksKabupaten::new(config.offset(), max_age));
        let started = std::time::Instant::now();
        let i2 = indeks.clone();
        let loaded = db
            .read(move |c| {
                crate::sync::indeks::muat(c, &i2)
                    .map_err(|e| crate::db::DbError::Task(e.to_string()))
            })
            .await?;
        if loaded > 0 {
            tracing::info!(
                persons = loaded,
                ms = started.elapsed().as_millis() as u64,
                "district index loaded"
            );
        }
        if config.hub.is_some() || loaded > 0 {
            cek.set_distrik(Some(indeks.clone()));
        }
        Ok(AppState {
            config: Arc::new(config),
            db,
            clock,
            devices,
            cek,
            indeks,
            login_throttle: Arc::default(),
        })
    }

    /// The office's local calendar day now.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today(self.config.offset())
    }
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}
