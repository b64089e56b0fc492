//! The waiting-room display: the last number called and its counter, the ones before and how
//! many wait (polled by `/static/antrian.js`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{bare, respond};
use crate::web::AppState;

/// `GET /antrian`
pub async fn get_(State(state): State<AppState>) -> Response {
    let body = html! {
        main {
            p style="font-size:4vh;margin:2vh 0 0" {
                "Nomor antrian perekaman KTP-el · Kecamatan " (state.config.kecamatan)
            }
            div class="nomor" id="nomor" { "---" }
            div class="loket" id="loket" {}
            div class="riwayat" { "Sebelumnya: " span id="riwayat" {} }
            div class="riwayat" { "Menunggu: " span id="menunggu" { "0" } " orang" }
        }
        script src="/static/antrian.js" {}
    };
    respond(StatusCode::OK, bare("Antrian", "layar", body))
}
