//! The home page: links to the desks the operator's role may use, today's applications per
//! status, the local gallery's size and the sync card.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{page, respond};
use crate::desk::{di_perekaman, di_registrasi};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::SesiHalaman;

/// `GET /`
pub async fn get_(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    let op = &sesi.operator;
    let today = state.today();
    let t = today.to_string();
    let counts = state
        .db
        .read(move |c| {
            let mut st = c.prepare(
                "SELECT status, count(*) FROM permohonan WHERE tanggal = ?1 GROUP BY status",
            )?;
            let rows = st
                .query_map([t], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ApiError>(rows)
        })
        .await
        .unwrap_or_default();
    let sync = crate::web::sinkron::status(&state).await.ok().flatten();
    let body = html! {
        h1 { "Selamat bekerja, " (op.username) }
        div class="kolom" {
            div class="kartu" {
                @if di_registrasi(op.peran) {
                    p { a href="/registrasi" { button { "Meja registrasi (langkah 1-2)" } } }
                }
                @if di_perekaman(op.peran) {
                    p { a href="/perekaman" { button { "Meja perekaman (langkah 3-4)" } } }
                }
                @if op.peran == crate::peran::Peran::KepalaUkl {
                    p {
                        a href="/operator" { button class="kedua" { "Kelola operator" } }
                        " "
                        a href="/audit" { button class="kedua" { "Log audit" } }
                    }
                }
                p {
                    a href="/buku" { button class="kedua" { "Buku BHPPK hari ini" } }
                    " "
                    a href="/antrian" target="_blank" { button class="kedua" { "Layar antrian" } }
                }
            }
            div class="kartu" {
                h2 { "Permohonan hari ini (" (today.to_string()) ")" }
                table {
                    tr { th { "Status" } th { "Jumlah" } }
                    @for (s, n) in &counts { tr { td { (s) } td { (n) } } }
                }
                p { "Galeri lokal \"sudah rekam?\": " (crate::cek::ribuan(state.cek.jumlah_lokal())) " orang." }
            }
            (crate::web::sinkron::kartu(sync.as_ref()))
        }
    };
    respond(StatusCode::OK, page("Beranda", Some(op), body))
}
