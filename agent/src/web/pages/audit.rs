//! The kepala UKL's audit page: the operators and the last 300 entries of the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{galat_page, label_peran, page, respond};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::session::SesiHalaman;

/// `GET /audit` (kepala UKL only; others get 403).
pub async fn get_(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    if sesi.operator.peran != crate::peran::Peran::KepalaUkl {
        let e = ApiError::forbidden("melihat log audit");
        return galat_page("Log audit", Some(&sesi.operator), &e);
    }
    let data = state
        .db
        .read(|c| {
            let log = crate::audit::latest(c, 300)?;
            let ops = crate::auth::list_operators(c)?;
            Ok::<_, ApiError>((log, ops))
        })
        .await;
    let (log, ops) = match data {
        Ok(d) => d,
        Err(e) => return galat_page("Log audit", Some(&sesi.operator), &e),
    };
    let body = html! {
        h1 { "Kepala UKL: operator dan log audit" }
        h2 { "Operator" }
        table {
            tr { th { "Nama pengguna" } th { "Peran" } th { "Status" } }
            @for (op, disabled) in &ops {
                tr {
                    td { (op.username) }
                    td { (label_peran(op.peran)) }
                    td { (if *disabled { "nonaktif" } else { "aktif" }) }
                }
            }
        }
        p { "Operator ditambah, dinonaktifkan dan diatur ulang kata sandinya di halaman " a href="/operator" { "Kelola operator" } "." }
        h2 { "Log audit (300 terakhir)" }
        table id="audit" {
            tr { th { "Waktu (UTC)" } th { "Operator" } th { "Tindakan" } th { "Permohonan" } th { "Keterangan" } }
            @for e in &log {
                tr {
                    td { (e.at.get(..19).unwrap_or(&e.at)) }
                    td { (e.operator) }
                    td { (e.action) }
                    td {
                        @if let Some(id) = e.permohonan_id.as_deref() {
                            a href={ "/permohonan/" (id) } { (id) }
                        }
                    }
                    td { (e.detail) }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        page("Log audit", Some(&sesi.operator), body),
    )
}
