//! Login, logout and the extractors that put the logged-in operator into a handler.
//!
//! The session token travels in the `rekam_sesi` cookie (HttpOnly, SameSite=Strict) for the
//! desk pages, or as `Authorization: Bearer TOKEN` for API clients. [`Sesi`] answers 401 JSON
//! when there is no live session; [`SesiHalaman`] redirects a browser to the login page.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{AppState, error::ApiError};
use crate::auth::{self, AuthError, Operator, Password};

/// Cookie name of the session token.
pub const COOKIE: &str = "rekam_sesi";

/// The logged-in operator of an API request.
#[derive(Debug, Clone)]
pub struct Sesi {
    pub operator: Operator,
    pub token: String,
}

/// The logged-in operator of a page request (redirects to `/login` if none).
#[derive(Debug, Clone)]
pub struct SesiHalaman(pub Sesi);

/// Finds the session token in the cookie or the Authorization header.
pub fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    if let Some(c) = CookieJar::from_headers(headers).get(COOKIE) {
        return Some(c.value().to_owned());
    }
    None
}

async fn lookup(parts: &Parts, state: &AppState) -> Result<Option<Sesi>, ApiError> {
    let Some(token) = token_of(&parts.headers) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let t = token.clone();
    let now = state.clock.now();
    let op = state
        .db
        .read(move |c| auth::session_operator(c, &t, now).map_err(ApiError::from))
        .await?;
    Ok(op.map(|operator| Sesi { operator, token }))
}

impl FromRequestParts<AppState> for Sesi {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        lookup(parts, state)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

impl FromRequestParts<AppState> for SesiHalaman {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match lookup(parts, state).await {
            Ok(Some(s)) => Ok(SesiHalaman(s)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The CSRF token of a session's forms: SHA-256 of the (secret, HttpOnly) session token under
/// a fixed label, so another site can neither read nor compute it.
pub fn csrf_token(sesi: &Sesi) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"rekam-csrf\0");
    h.update(sesi.token.as_bytes());
    hex::encode(h.finalize())
}

/// Checks a form's CSRF token against the session's (403 naming the `csrf` field if wrong).
pub fn cek_csrf(sesi: &Sesi, given: &str) -> Result<(), ApiError> {
    let want = csrf_token(sesi);
    // Constant time: compare every byte.
    let same = want.len() == given.len()
        && want
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(ApiError {
            status: StatusCode::FORBIDDEN,
            error: "token formulir (CSRF) tidak sah; muat ulang halaman".into(),
            field: Some("csrf".into()),
        })
    }
}

/// Login request (JSON API and the login form).
#[derive(Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Answer of a successful login (Debug omits the token).
#[derive(Serialize)]
pub struct LoginOk {
    pub token: String,
    pub operator: Operator,
    pub expires_in_minutes: u64,
}

impl std::fmt::Debug for LoginOk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginOk")
            .field("token", &"***")
            .field("operator", &self.operator)
            .finish()
    }
}

/// Checks the credentials and opens a session (shared by the API and the login form).
pub async fn login(state: &AppState, req: Login) -> Result<LoginOk, ApiError> {
    if req.username.is_empty() {
        return Err(ApiError::field("username", "nama pengguna wajib diisi"));
    }
    let now = state.clock.now();
    if let Err(secs) = state.login_throttle.check(&req.username, now) {
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: format!(
                "terlalu banyak percobaan masuk yang salah; coba lagi dalam {secs} detik"
            ),
            field: Some("username".into()),
        });
    }
    let u = req.username.clone();
    let found = state
        .db
        .read(move |c| auth::credentials(c, &u).map_err(ApiError::from))
        .await?;
    let pw = Password(req.password);
    // Always run one argon2 verification so that unknown usernames take as long as known ones.
    let (op, hash) = match found {
        Some((op, hash)) => (Some(op), hash),
        None => (None, DUMMY_HASH.to_owned()),
    };
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&pw, &hash))
        .await
        .map_err(ApiError::internal)?;
    let op = match (op, ok) {
        (Some(op), true) => op,
        _ => {
            let lock = state.login_throttle.failed(&req.username, now);
            // The name as typed, cut short: it is the attacker's text.
            let (user, detail) = (
                req.username.chars().take(64).collect::<String>(),
                match lock {
                    Some(l) => format!("kata sandi salah; dikunci {} detik", l.num_seconds()),
                    None => "kata sandi salah".to_owned(),
                },
            );
            if let Some(l) = lock {
                tracing::warn!(username = %user, lock_secs = l.num_seconds(), "login locked after repeated wrong passwords");
            }
            state
                .db
                .write(move |tx| {
                    crate::audit::record(tx, &user, "login.gagal", None, &detail)
                        .map_err(ApiError::internal)
                })
                .await?;
            return Err(AuthError::BadCredentials.into());
        }
    };
    state.login_throttle.succeeded(&req.username);
    let minutes = state.config.session_minutes;
    let op2 = op.clone();
    let token = state
        .db
        .write(move |tx| auth::create_session(tx, &op2, minutes, now).map_err(ApiError::from))
        .await?;
    Ok(LoginOk {
        token: token.0,
        operator: op,
        expires_in_minutes: minutes,
    })
}

/// A valid argon2id hash of a random password, verified against for unknown usernames.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$9Xo0ZtWkzX5bNwVCLJOYM8W0bqcMWiAy6NbQ6hBYXWc";

/// The session cookie for a token (HttpOnly, SameSite=Strict, living `minutes`).
pub fn session_cookie(token: &str, minutes: u64) -> Cookie<'static> {
    Cookie::build((COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::minutes(minutes as i64))
        .build()
}

/// The cookie that clears the session cookie.
pub fn clear_cookie() -> Cookie<'static> {
    Cookie::build((COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::ZERO)
        .build()
}

/// `POST /api/login`
pub async fn api_login(
    State(state): State<AppState>,
    Json(req): Json<Login>,
) -> Result<Response, ApiError> {
    let ok = login(&state, req).await?;
    let cookie = session_cookie(&ok.token, ok.expires_in_minutes);
    Ok((CookieJar::new().add(cookie), Json(ok)).into_response())
}

/// `POST /api/logout`
pub async fn api_logout(State(state): State<AppState>, sesi: Sesi) -> Result<Response, ApiError> {
    logout(&state, &sesi).await?;
    Ok((
        CookieJar::new().add(clear_cookie()),
        Json(serde_json::json!({"ok": true})),
    )
        .into_response())
}

/// Ends the session.
pub async fn logout(state: &AppState, sesi: &Sesi) -> Result<(), ApiError> {
    let token = sesi.token.clone();
    let user = sesi.operator.username.clone();
    state
        .db
        .write(move |tx| auth::end_session(tx, &token, &user).map_err(ApiError::from))
        .await
}

/// `GET /api/me`
pub async fn api_me(sesi: Sesi) -> Json<Operator> {
    Json(sesi.operator)
}
