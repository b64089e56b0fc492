//! The form-body extractor of the desk pages: [`Formulir`] is `axum_extra`'s `Form` (which
//! reads repeated keys, e.g. checklist boxes, into a `Vec`) whose rejection is an error page
//! in Indonesian naming the body, not axum's plain-text rejection.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::pages::layout::galat_page;

/// A parsed urlencoded form body.
#[derive(Debug, Clone)]
pub struct Formulir<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Formulir<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(Formulir(v)),
            Err(rej) => {
                use axum::response::IntoResponse as _;
                let status = rej.into_response().status();
                let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "data terlalu besar"
                } else {
                    "isian formulir tidak dapat dibaca"
                };
                Err(galat_page(
                    "Galat",
                    None,
                    &ApiError {
                        status,
                        error: error.into(),
                        field: Some("body".into()),
                    },
                ))
            }
        }
    }
}

/// The idempotency key of a form, if any (`None` when empty).
pub fn idem(key: &str) -> Option<String> {
    Some(key.trim().to_owned()).filter(|k| !k.is_empty())
}
