//! The frame of every desk page, built with maud (which escapes every value): the layout with
//! the navigation, the error banner, form fields, the hidden idempotency key, the frame of the
//! printed slips, and the HTML response with its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::auth::Operator;
use crate::peran::Peran;
use crate::web::error::ApiError;

/// Indonesian label of a role.
pub fn label_peran(p: Peran) -> &'static str {
    match p {
        Peran::OperatorRegistrasi => "Operator Registrasi",
        Peran::OperatorPerekaman => "Operator Perekaman",
        Peran::KepalaUkl => "Kepala UKL",
    }
}

/// The `<head>` of every page.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " - Rekam" }
            link rel="stylesheet" href="/static/rekam.css";
        }
    }
}

/// A whole page: header with navigation (if logged in), then `body`.
pub fn page(title: &str, op: Option<&Operator>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            (head(title))
            body {
                header {
                    a href="/" { "Rekam" }
                    @if let Some(op) = op {
                        a href="/registrasi" { "Registrasi" }
                        a href="/perekaman" { "Perekaman" }
                        a href="/antrian" target="_blank" { "Layar antrian" }
                        a href="/buku" { "Buku BHPPK" }
                        @if op.peran == Peran::KepalaUkl {
                            a href="/operator" { "Operator" }
                        }
                        span class="siapa" { (op.username) " (" (label_peran(op.peran)) ")" }
                        form method="post" action="/logout" {
                            button class="kedua" id="keluar" { "Keluar" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page without the navigation (the waiting-room display), with `body_class` on `<body>`.
pub fn bare(title: &str, body_class: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            (head(title))
            body class=(body_class) { (body) }
        }
    }
}

/// A printed slip: the slip, then a print button that is not printed.
pub fn slip(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            (head(title))
            body {
                main {
                    (body)
                    p class="tanpa-cetak" style="text-align:center" {
                        button type="button" class="tombol-cetak" { "Cetak" }
                    }
                }
                script src="/static/cetak.js" {}
            }
        }
    }
}

/// An error banner.
pub fn galat(e: &ApiError) -> Markup {
    html! {
        div class="galat" id="galat" role="alert" {
            b { "Tidak dapat diproses:" } " " (e.error)
            @if let Some(f) = &e.field {
                " " small { "(kolom: " (f) ")" }
            }
        }
    }
}

/// A page that only shows an error, with the error's status.
pub fn galat_page(title: &str, op: Option<&Operator>, e: &ApiError) -> Response {
    respond(e.status, page(title, op, galat(e)))
}

/// A text input with its label.
pub fn input(name: &str, label: &str, value: &str, kind: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        input type=(kind) id=(name) name=(name) value=(value);
    }
}

/// A select with its label; `options` are (value, label).
pub fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            @for (v, l) in options {
                option value=(v) selected[*v == selected] { (l) }
            }
        }
    }
}

/// The hidden idempotency key of a form (fresh per render: a double submit reuses it).
pub fn idem_field() -> Markup {
    html! {
        input type="hidden" name="idempotency_key" value=(uuid::Uuid::new_v4().to_string());
    }
}

/// An HTML answer with a status.
pub fn respond(status: StatusCode, body: Markup) -> Response {
    (status, body).into_response()
}
