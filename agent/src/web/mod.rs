//! The HTTP side of the agent: the desk pages (server-rendered HTML, Indonesian) and the JSON
//! API under `/api/`, both thin layers over the same desk logic in [`crate::desk`].

pub mod error;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::Config;
use crate::db::Db;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
}

impl AppState {
    /// Builds the state (loads what must be in memory, e.g. the 1:N gallery).
    pub async fn new(config: Config, db: Db) -> anyhow::Result<AppState> {
        Ok(AppState {
            config: Arc::new(config),
            db,
        })
    }
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/login", post(session::api_login))
        .route("/api/logout", post(session::api_logout))
        .route("/api/me", get(session::api_me))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}
