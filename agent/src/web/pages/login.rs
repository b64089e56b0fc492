//! The login page and logout (the session cookie set and cleared through `CookieJar`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};

use super::layout::{galat, input, page, respond};
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::form::Formulir;
use crate::web::session::{self, Login, SesiHalaman};

fn login_page(err: Option<&ApiError>) -> Markup {
    page(
        "Masuk",
        None,
        html! {
            div class="kartu" style="max-width:26rem;margin:3rem auto" {
                h1 { "Rekam: masuk operator" }
                @if let Some(e) = err { (galat(e)) }
                form method="post" action="/login" {
                    (input("username", "Nama pengguna", "", "text"))
                    (input("password", "Kata sandi", "", "password"))
                    button id="masuk" { "Masuk" }
                }
            }
        },
    )
}

/// `GET /login`
pub async fn get_() -> Response {
    respond(StatusCode::OK, login_page(None))
}

/// `POST /login`: opens a session and sets its cookie.
pub async fn post_(
    State(state): State<AppState>,
    jar: CookieJar,
    Formulir(req): Formulir<Login>,
) -> Response {
    match session::login(&state, req).await {
        Ok(ok) => (
            jar.add(session::session_cookie(&ok.token, ok.expires_in_minutes)),
            Redirect::to("/"),
        )
            .into_response(),
        Err(e) => respond(e.status, login_page(Some(&e))),
    }
}

/// `POST /logout`: ends the session and clears its cookie.
pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    SesiHalaman(sesi): SesiHalaman,
) -> Response {
    let _ = session::logout(&state, &sesi).await;
    (jar.add(session::clear_cookie()), Redirect::to("/login")).into_response()
}
