//! The kepala UKL's operators page: the office's operators, and forms to add one, disable one
//! and reset a password. Each form carries the session's CSRF token; each action is audited
//! (by the same `auth` functions as the `rekam-agent user` command, argon2 hashing included).
//! Other roles get 403.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{galat, galat_page, input, label_peran, page, respond, select};
use crate::auth::{self, AuthError, Password};
use crate::peran::Peran;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::form::Formulir;
use crate::web::session::{Sesi, SesiHalaman, cek_csrf, csrf_token};

/// The body of the operator forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OperatorForm {
    csrf: String,
    username: String,
    peran: String,
    password: String,
}

const PERAN: &[(&str, &str)] = &[
    ("operator-registrasi", "Operator Registrasi"),
    ("operator-perekaman", "Operator Perekaman"),
    ("kepala-ukl", "Kepala UKL"),
];

fn forbidden(sesi: &Sesi) -> Option<Response> {
    (sesi.operator.peran != Peran::KepalaUkl).then(|| {
        galat_page(
            "Operator",
            Some(&sesi.operator),
            &ApiError::forbidden("mengelola operator"),
        )
    })
}

fn csrf_field(sesi: &Sesi) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf_token(sesi)); }
}

async fn operator_page(
    state: &AppState,
    sesi: &Sesi,
    status: StatusCode,
    err: Option<&ApiError>,
    info: Option<&str>,
) -> Response {
    let ops = match state
        .db
        .read(|c| auth::list_operators(c).map_err(ApiError::from))
        .await
    {
        Ok(o) => o,
        Err(e) => return galat_page("Operator", Some(&sesi.operator), &e),
    };
    let body = html! {
        h1 { "Kepala UKL: kelola operator" }
        @if let Some(e) = err { (galat(e)) }
        @if let Some(i) = info { div class="info" id="info" { (i) } }
        table id="operator" {
            tr { th { "Nama pengguna" } th { "Peran" } th { "Status" } th {} }
            @for (op, disabled) in &ops {
                tr id={ "operator-" (op.username) } {
                    td { (op.username) }
                    td { (label_peran(op.peran)) }
                    td class="status" { (if *disabled { "nonaktif" } else { "aktif" }) }
                    td {
                        @if !*disabled && op.username != sesi.operator.username {
                            form method="post" action="/operator/nonaktifkan" {
                                (csrf_field(sesi))
                                input type="hidden" name="username" value=(op.username);
                                button class="bahaya" id={ "nonaktifkan-" (op.username) } { "Nonaktifkan" }
                            }
                        }
                    }
                }
            }
        }
        div class="kolom" {
            div class="kartu" {
                h2 { "Tambah operator" }
                form method="post" action="/operator/tambah" {
                    (csrf_field(sesi))
                    (input("username", "Nama pengguna (3-32 huruf kecil, angka, . _ -)", "", "text"))
                    (select("peran", "Peran", PERAN, "operator-registrasi"))
                    (input("password", "Kata sandi awal (minimal 8 karakter)", "", "password"))
                    button id="tambah" { "Tambah operator" }
                }
            }
            div class="kartu" {
                h2 { "Atur ulang kata sandi" }
                form method="post" action="/operator/atur-ulang" {
                    (csrf_field(sesi))
                    (input("reset_username", "Nama pengguna", "", "text"))
                    (input("reset_password", "Kata sandi baru (minimal 8 karakter)", "", "password"))
                    button class="kedua" id="atur-ulang" { "Atur ulang kata sandi" }
                }
            }
        }
    };
    respond(status, page("Operator", Some(&sesi.operator), body))
}

/// `GET /operator` (kepala UKL only).
pub async fn get_(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    if let Some(r) = forbidden(&sesi) {
        return r;
    }
    operator_page(&state, &sesi, StatusCode::OK, None, None).await
}

/// The operator-facing (Indonesian) error of an operator action.
fn galat_of(e: AuthError) -> ApiError {
    match e {
        AuthError::BadUsername => ApiError::field(
            "username",
            "nama pengguna harus 3-32 karakter: huruf kecil, angka, '.', '_' atau '-'",
        ),
        AuthError::WeakPassword => ApiError::field("password", "kata sandi minimal 8 karakter"),
        AuthError::UsernameTaken(u) => {
            ApiError::conflict(Some("username"), format!("nama pengguna {u} sudah ada"))
        }
        AuthError::NoSuchOperator(u) => {
            ApiError::field("username", format!("tidak ada operator bernama {u}"))
        }
        e => ApiError::from(e),
    }
}

/// Hashes a password off the async threads (the same argon2 function as the CLI).
async fn hash(pw: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&Password(pw)))
        .await
        .map_err(ApiError::internal)?
        .map_err(galat_of)
}

/// `POST /operator/{tambah|nonaktifkan|atur-ulang}` (kepala UKL only, CSRF-checked, audited).
pub async fn post_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(aksi): Path<String>,
    Formulir(form): Formulir<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = forbidden(&sesi) {
        return r;
    }
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let f = OperatorForm {
        csrf: get("csrf"),
        username: if aksi == "atur-ulang" {
            get("reset_username")
        } else {
            get("username")
        },
        peran: get("peran"),
        password: if aksi == "atur-ulang" {
            form.get("reset_password").cloned().unwrap_or_default()
        } else {
            form.get("password").cloned().unwrap_or_default()
        },
    };
    let result = run(&state, &sesi, &aksi, f).await;
    match result {
        Ok(info) => operator_page(&state, &sesi, StatusCode::OK, None, Some(&info)).await,
        Err(e) => operator_page(&state, &sesi, e.status, Some(&e), None).await,
    }
}

async fn run(
    state: &AppState,
    sesi: &Sesi,
    aksi: &str,
    f: OperatorForm,
) -> Result<String, ApiError> {
    cek_csrf(sesi, &f.csrf)?;
    let by = sesi.operator.username.clone();
    let user = f.username.clone();
    match aksi {
        "tambah" => {
            let peran: Peran = f
                .peran
                .parse()
                .map_err(|_| ApiError::field("peran", "peran tidak dikenal"))?;
            let h = hash(f.password).await?;
            state
                .db
                .write(move |tx| auth::add_operator(tx, &user, peran, &h, &by).map_err(galat_of))
                .await?;
            Ok(format!(
                "Operator {} ditambahkan sebagai {}.",
                f.username,
                label_peran(peran)
            ))
        }
        "nonaktifkan" => {
            if f.username == sesi.operator.username {
                return Err(ApiError::field(
                    "username",
                    "tidak dapat menonaktifkan diri sendiri",
                ));
            }
            state
                .db
                .write(move |tx| auth::disable_operator(tx, &user, &by).map_err(galat_of))
                .await?;
            Ok(format!("Operator {} dinonaktifkan.", f.username))
        }
        "atur-ulang" => {
            let h = hash(f.password).await?;
            state
                .db
                .write(move |tx| auth::reset_password(tx, &user, &h, &by).map_err(galat_of))
                .await?;
            Ok(format!(
                "Kata sandi {} diatur ulang; sesinya diakhiri.",
                f.username
            ))
        }
        _ => Err(ApiError::not_found("tindakan")),
    }
}
