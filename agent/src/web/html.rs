//! Small HTML helpers for the server-rendered desk pages: escaping, the page layout, form
//! fields, and the form-body extractor (repeated keys for checklists).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;
use crate::auth::Operator;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Indonesian label of a role.
pub fn label_peran(p: crate::peran::Peran) -> &'static str {
    match p {
        crate::peran::Peran::OperatorRegistrasi => "Operator Registrasi",
        crate::peran::Peran::OperatorPerekaman => "Operator Perekaman",
        crate::peran::Peran::KepalaUkl => "Kepala UKL",
    }
}

/// A whole page: header with navigation (if logged in), then `body`.
pub fn page(title: &str, op: Option<&Operator>, body: &str) -> String {
    let nav = match op {
        Some(op) => format!(
            r#"<header><a href="/">Rekam</a><a href="/registrasi">Registrasi</a><a href="/perekaman">Perekaman</a><a href="/antrian" target="_blank">Layar antrian</a><a href="/buku">Buku BHPPK</a>
<span class="siapa">{} ({})</span><form method="post" action="/logout"><button class="kedua" id="keluar">Keluar</button></form></header>"#,
            esc(&op.username),
            label_peran(op.peran)
        ),
        None => "<header><a href=\"/\">Rekam</a></header>".to_owned(),
    };
    format!(
        r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} - Rekam</title><link rel="stylesheet" href="/static/rekam.css"></head><body>{nav}<main>{body}</main></body></html>"#,
        esc(title)
    )
}

/// An error banner.
pub fn galat(e: &ApiError) -> String {
    format!(
        r#"<div class="galat" id="galat" role="alert"><b>Tidak dapat diproses:</b> {}{}</div>"#,
        esc(&e.error),
        e.field
            .as_ref()
            .map(|f| format!(" <small>(kolom: {})</small>", esc(f)))
            .unwrap_or_default()
    )
}

/// A text input with its label.
pub fn input(name: &str, label: &str, value: &str, kind: &str) -> String {
    format!(
        r#"<label for="{name}">{}</label><input type="{kind}" id="{name}" name="{name}" value="{}">"#,
        esc(label),
        esc(value)
    )
}

/// A select with its label; `options` are (value, label).
pub fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> String {
    let mut s = format!(
        r#"<label for="{name}">{}</label><select id="{name}" name="{name}">"#,
        esc(label)
    );
    for (v, l) in options {
        let sel = if *v == selected { " selected" } else { "" };
        s.push_str(&format!(
            r#"<option value="{}"{sel}>{}</option>"#,
            esc(v),
            esc(l)
        ));
    }
    s.push_str("</select>");
    s
}

/// The hidden idempotency key of a form (fresh per render: a double submit reuses it).
pub fn idem_field() -> String {
    format!(
        r#"<input type="hidden" name="idempotency_key" value="{}">"#,
        uuid::Uuid::new_v4()
    )
}

/// An HTML answer with a status.
pub fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// A parsed urlencoded form body (keys may repeat, e.g. checklist boxes).
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// First value of `key`, or empty.
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// The idempotency key, if any.
    pub fn idem(&self) -> Option<String> {
        Some(self.get("idempotency_key")).filter(|k| !k.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            html(
                status,
                page(
                    "Galat",
                    None,
                    &galat(&ApiError {
                        status,
                        error: if status == StatusCode::PAYLOAD_TOO_LARGE {
                            "data terlalu besar".into()
                        } else {
                            rej.body_text()
                        },
                        field: Some("body".into()),
                    }),
                ),
            )
        })?;
        Ok(FormData(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        ))
    }
}
