//! The recording desk (steps 3-4): call the next queue number to a counter, and today's queue.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::daftar;
use super::layout::{galat, idem_field, input, page, respond};
use super::permohonan::AksiForm;
use super::see_other;
use crate::auth::Operator;
use crate::desk::Ctx;
use crate::desk::perekaman::{self, PanggilInput};
use crate::desk::registrasi::TerlambatInput;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::form::{Formulir, idem};
use crate::web::session::SesiHalaman;

const DI_PEREKAMAN: &[&str] = &["menunggu_perekaman", "dipanggil", "terekam"];

/// `GET /perekaman`
pub async fn get_(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    perekaman_page(&state, &sesi.operator, None).await
}

async fn perekaman_page(state: &AppState, op: &Operator, err: Option<&ApiError>) -> Response {
    let rows = daftar::hari_ini(state, DI_PEREKAMAN).await;
    let body = html! {
        h1 { "Meja perekaman (langkah 3-4)" }
        @if let Some(e) = err { (galat(e)) }
        div class="kartu" {
            form method="post" action="/perekaman/panggil" {
                (idem_field())
                (input("loket", "Loket", "1", "text"))
                button id="panggil-berikut" { "Panggil nomor berikutnya" }
            }
        }
        h2 { "Antrian hari ini" }
        (daftar::tabel(&rows))
        (daftar::perangkat())
    };
    respond(
        err.map(|e| e.status).unwrap_or(StatusCode::OK),
        page("Perekaman", Some(op), body),
    )
}

/// `POST /perekaman/panggil`: calls the next number.
pub async fn panggil_berikut(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Formulir(form): Formulir<AksiForm>,
) -> Response {
    let ctx = Ctx {
        state: &state,
        op: &sesi.operator,
        idem: idem(form.idempotency_key()),
    };
    let input = PanggilInput {
        loket: form.loket().to_owned(),
        terlambat: TerlambatInput::default(),
    };
    match perekaman::panggil(ctx, None, input).await {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => perekaman_page(&state, &sesi.operator, Some(&e)).await,
    }
}
