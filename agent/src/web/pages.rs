//! The desk pages (server-rendered HTML, Indonesian). (being written)

use axum::Router;

use super::AppState;

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
