//! Login, sessions and CSRF, each checked in one place.
//!
//! - [`penjaga`] (the middleware in front of every route) reads the session cookie, ends a
//!   session past its absolute expiry or idle timeout (or of a disabled user), and refuses
//!   every state-changing request (anything but GET/HEAD) whose form `csrf` field is not the
//!   session's token: 401 without a session, 403 with a wrong or missing token. The login form,
//!   before any session, carries a token bound to a pre-login cookie instead.
//! - [`RequireRole`] is the extractor with which each handler states its minimum role:
//!   not logged in → redirect to `/masuk` (GET) or 401; role too low → 403.
//!
//! The session id is 256 random bits, sent only as an `HttpOnly; Secure; SameSite=Strict`
//! cookie and stored as its SHA-256. Logins (successful and failed, never the password) and
//! logouts are audited.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use maud::html;
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::tampilan::{self, Teks};
use super::{Asal, WebState};
use crate::pengguna::{self, Peran};
use crate::storage::AuditEntry;
use crate::storage::pengguna::Sesi;

/// Session cookie name.
pub const SESI_COOKIE: &str = "rekam_sesi";
/// Pre-login cookie name (binds the login form's CSRF token).
pub const PRA_COOKIE: &str = "rekam_pra";
/// The login path (the only state-changing route allowed without a session).
pub const LOGIN: &str = "/masuk";
/// Largest form body accepted.
pub const MAX_FORM: usize = 64 * 1024;

/// The logged-in user of a request (put in the request's extensions by [`penjaga`]).
#[derive(Debug, Clone)]
pub struct Masuk {
    /// User name.
    pub nama: String,
    /// Role.
    pub peran: Peran,
    /// The session's CSRF token (for the forms of the page).
    pub csrf: String,
    /// Hash of the session id.
    pub id_hash: String,
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn hash_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn sama(a: &str, b: &str) -> bool {
    // Constant time in the length of the expected token.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Runs a storage call on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::storage::StorageError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(x)) => Ok(x),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "web: storage failure");
            Err(json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage failure",
                "",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "web: task failed");
            Err(json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "task failed",
                "",
            ))
        }
    }
}

/// A 4xx/5xx with the project's JSON error body.
pub fn json_error(status: StatusCode, error: &str, field: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": error, "field": field})),
    )
        .into_response()
}

/// Writes one audit entry (errors are logged: an audit failure must not hide the page's own).
pub async fn audit(
    st: &WebState,
    actor: &str,
    action: &str,
    permohonan_id: Option<&str>,
    detail: String,
) -> Result<(), Response> {
    let e = AuditEntry {
        at: now_rfc3339(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        permohonan_id: permohonan_id.map(str::to_owned),
        detail,
    };
    let storage = st.storage.clone();
    blocking(move || storage.transaction(&mut |tx| tx.audit(&e))).await
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The middleware in front of every route (see the module documentation).
pub async fn penjaga(State(st): State<WebState>, req: Request, next: Next) -> Response {
    let now = unix_now();
    let mut masuk: Option<Masuk> = None;
    if let Some(id) = cookie(req.headers(), SESI_COOKIE) {
        let h = hash_id(&id);
        let storage = st.storage.clone();
        let h2 = h.clone();
        let found = match blocking(move || storage.sesi_get(&h2)).await {
            Ok(f) => f,
            Err(r) => return r,
        };
        if let Some((s, p)) = found {
            let maks = st.config.sesi_maks.as_secs() as i64;
            let diam = st.config.sesi_diam.as_secs() as i64;
            if p.aktif && now - s.dibuat < maks && now - s.terakhir < diam {
                let storage = st.storage.clone();
                let h2 = h.clone();
                if let Err(r) = blocking(move || storage.sesi_touch(&h2, now)).await {
                    return r;
                }
                masuk = Some(Masuk {
                    nama: p.nama,
                    peran: p.peran,
                    csrf: s.csrf,
                    id_hash: h,
                });
            } else {
                let storage = st.storage.clone();
                if let Err(r) = blocking(move || storage.sesi_delete(&h)).await {
                    return r;
                }
                let why = if !p.aktif {
                    "pengguna nonaktif"
                } else if now - s.dibuat >= maks {
                    "kedaluwarsa"
                } else {
                    "tidak aktif terlalu lama"
                };
                if let Err(r) = audit(&st, &p.nama, "web.sesi_berakhir", None, why.into()).await {
                    return r;
                }
            }
        }
    }
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let path = req.uri().path().to_owned();
        let expected = match &masuk {
            Some(m) => m.csrf.clone(),
            None if path == LOGIN => match cookie(req.headers(), PRA_COOKIE) {
                Some(c) if c.len() == 64 => c,
                _ => {
                    return json_error(StatusCode::FORBIDDEN, "token CSRF tidak sah", "csrf");
                }
            },
            None => return json_error(StatusCode::UNAUTHORIZED, "belum masuk", "sesi"),
        };
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
            Ok(b) => b,
            Err(_) => {
                return json_error(StatusCode::PAYLOAD_TOO_LARGE, "isian terlalu besar", "body");
            }
        };
        let ok = form_field(&bytes, "csrf").is_some_and(|t| sama(&t, &expected));
        if !ok {
            if let Some(m) = &masuk {
                let _ = audit(&st, &m.nama, "web.csrf_ditolak", None, path.clone()).await;
            }
            return json_error(StatusCode::FORBIDDEN, "token CSRF tidak sah", "csrf");
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    if let Some(m) = masuk {
        req.extensions_mut().insert(m);
    }
    next.run(req).await
}

/// A minimum role, as a type (for [`RequireRole`]).
pub trait MinPeran: Send + Sync + 'static {
    /// The role.
    const PERAN: Peran;
}

/// Any logged-in user.
#[derive(Debug)]
pub struct Viewer;
impl MinPeran for Viewer {
    const PERAN: Peran = Peran::Viewer;
}

/// An adjudicator or admin.
#[derive(Debug)]
pub struct Pengadjudikasi;
impl MinPeran for Pengadjudikasi {
    const PERAN: Peran = Peran::Pengadjudikasi;
}

/// An admin.
#[derive(Debug)]
pub struct Admin;
impl MinPeran for Admin {
    const PERAN: Peran = Peran::Admin;
}

/// The role check: extracting it refuses a request without a session (redirect to `/masuk`
/// for GET, 401 otherwise) or with a role below `R` (403).
#[derive(Debug)]
pub struct RequireRole<R: MinPeran>(pub Masuk, pub PhantomData<R>);

impl<R: MinPeran> FromRequestParts<WebState> for RequireRole<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &WebState) -> Result<Self, Response> {
        let Some(m) = parts.extensions.get::<Masuk>().cloned() else {
            return Err(
                if parts.method == Method::GET || parts.method == Method::HEAD {
                    Redirect::to(LOGIN).into_response()
                } else {
                    json_error(StatusCode::UNAUTHORIZED, "belum masuk", "sesi")
                },
            );
        };
        if m.peran < R::PERAN {
            audit(
                st,
                &m.nama,
                "web.ditolak",
                None,
                format!(
                    "{} {} (perlu {})",
                    parts.method,
                    parts.uri.path(),
                    R::PERAN.as_str()
                ),
            )
            .await?;
            let t = Teks::dari(&parts.headers);
            return Err(tampilan::pesan(
                t,
                Some(&m),
                StatusCode::FORBIDDEN,
                t.dilarang,
            ));
        }
        Ok(RequireRole(m, PhantomData))
    }
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn login_page(t: &Teks, pra: &str, galat: Option<&str>, status: StatusCode) -> Response {
    let isi = html! {
        h1 { (t.masuk) }
        @if let Some(g) = galat { p.galat role="alert" { (g) } }
        form.login method="post" action=(LOGIN) {
            input type="hidden" name="csrf" value=(pra);
            label for="nama" { (t.nama_pengguna) }
            input #nama type="text" name="nama" autocomplete="username" required autofocus;
            label for="password" { (t.kata_sandi) }
            input #password type="password" name="password" autocomplete="current-password" required;
            button #masuk type="submit" { (t.masuk) }
        }
    };
    let mut r = tampilan::html_response(status, tampilan::halaman(t, None, t.masuk, isi));
    set_cookie(
        &mut r,
        &format!("{PRA_COOKIE}={pra}; Path={LOGIN}; HttpOnly; Secure; SameSite=Strict"),
    );
    r
}

/// `GET /masuk`: the login form (or the cases, if already logged in).
pub async fn login_form(headers: HeaderMap, masuk: Option<Extension<Masuk>>) -> Response {
    if masuk.is_some() {
        return Redirect::to(super::BERANDA).into_response();
    }
    login_page(Teks::dari(&headers), &token(), None, StatusCode::OK)
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// User name.
    #[serde(default)]
    pub nama: String,
    /// Password.
    #[serde(default)]
    pub password: String,
}

/// `POST /masuk`.
pub async fn login(
    State(st): State<WebState>,
    Extension(Asal(addr)): Extension<Asal>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = Teks::dari(&headers);
    let ip = addr.ip();
    // What is logged of the attempted name: bounded, and only printable.
    let nama: String = f
        .nama
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if st.throttle.terkunci(&nama, ip) {
        if let Err(r) = audit(&st, &nama, "web.masuk_terkunci", None, format!("dari {ip}")).await {
            return r;
        }
        return login_page(
            t,
            &token(),
            Some(t.masuk_terkunci),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let storage = st.storage.clone();
    let n2 = nama.clone();
    let user = match blocking(move || storage.pengguna_get(&n2)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let password = f.password;
    let (ok, user) = tokio::task::spawn_blocking(move || {
        let hash = user
            .as_ref()
            .map_or(pengguna::dummy_hash(), |u| u.hash.as_str())
            .to_owned();
        let ok =
            pengguna::verify_password(&password, &hash) && user.as_ref().is_some_and(|u| u.aktif);
        (ok, user)
    })
    .await
    .unwrap_or((false, None));
    let Some(user) = user.filter(|_| ok) else {
        st.throttle.gagal(&nama, ip);
        if let Err(r) = audit(&st, &nama, "web.masuk_gagal", None, format!("dari {ip}")).await {
            return r;
        }
        return login_page(t, &token(), Some(t.masuk_gagal), StatusCode::UNAUTHORIZED);
    };
    st.throttle.berhasil(&nama, ip);
    let id = token();
    let now = unix_now();
    let s = Sesi {
        id_hash: hash_id(&id),
        pengguna: user.nama.clone(),
        csrf: token(),
        dibuat: now,
        terakhir: now,
    };
    let storage = st.storage.clone();
    if let Err(r) = blocking(move || storage.sesi_create(&s)).await {
        return r;
    }
    if let Err(r) = audit(&st, &user.nama, "web.masuk", None, format!("dari {ip}")).await {
        return r;
    }
    let mut r = Redirect::to(super::BERANDA).into_response();
    set_cookie(
        &mut r,
        &format!(
            "{SESI_COOKIE}={id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
            st.config.sesi_maks.as_secs()
        ),
    );
    set_cookie(
        &mut r,
        &format!("{PRA_COOKIE}=; Path={LOGIN}; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    r
}

/// `POST /keluar`: ends the session.
pub async fn logout(
    State(st): State<WebState>,
    RequireRole(m, _): RequireRole<Viewer>,
) -> Response {
    let storage: Arc<dyn crate::storage::Storage> = st.storage.clone();
    let h = m.id_hash.clone();
    if let Err(r) = blocking(move || storage.sesi_delete(&h)).await {
        return r;
    }
    if let Err(r) = audit(&st, &m.nama, "web.keluar", None, String::new()).await {
        return r;
    }
    let mut r = Redirect::to(LOGIN).into_response();
    set_cookie(
        &mut r,
        &format!("{SESI_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    r
}
