//! API errors: a 4xx/5xx status with a JSON body `{"error": "...", "field": "..."}` naming the
//! field at fault. The desk pages show the same message in Indonesian.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::db::DbError;

/// An error answer of the JSON API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// 400 naming a field.
    pub fn field(field: &str, error: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            field: Some(field.to_owned()),
        }
    }
    /// Any status, no field.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.into(),
            field: None,
        }
    }
    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "belum masuk atau sesi berakhir")
    }
    /// 403 for a role that may not do this.
    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("peran Anda tidak berwenang untuk {what}"),
        )
    }
    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} tidak ditemukan"))
    }
    /// 409 (state conflict).
    pub fn conflict(field: Option<&str>, error: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            error: error.into(),
            field: field.map(str::to_owned),
        }
    }
    /// 500; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "kesalahan internal; hubungi kepala UKL",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({field})", self.error),
            None => f.write_str(&self.error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: &self.error,
            field: self.field.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::internal(e)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "nama pengguna atau kata sandi salah",
            ),
            AuthError::BadUsername => ApiError::field("username", e.to_string()),
            AuthError::WeakPassword => ApiError::field("password", e.to_string()),
            AuthError::UsernameTaken(_) => ApiError::conflict(Some("username"), e.to_string()),
            AuthError::NoSuchOperator(_) => ApiError::not_found("operator"),
            AuthError::Hash(_) | AuthError::Db(_) => ApiError::internal(e),
        }
    }
}
