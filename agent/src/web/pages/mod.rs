//! The desk pages, one module per page: login, home, registration desk, application page
//! (every action of steps 1-4 as a form), recording desk, waiting-room queue display, printed
//! receipt and proof, register book, audit log and the kepala UKL's operators page. Each form
//! calls the same desk function as the JSON API. HTML comes only from maud (escaped by
//! default); the scripts are static files under `static/`, and every answer carries a
//! Content-Security-Policy that allows scripts only from this server.

pub mod antrian;
pub mod audit;
pub mod beranda;
pub mod buku;
pub mod daftar;
pub mod layout;
pub mod login;
pub mod operator;
pub mod perekaman;
pub mod permohonan;
pub mod registrasi;
pub mod slip;
pub mod statis;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;

/// The policy of every answer: scripts, styles and everything else only from this server, no
/// inline scripts or handlers (inline `style` attributes are allowed), no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds [`CSP`] to an answer.
async fn csp(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(statis::serve))
        .route("/login", get(login::get_).post(login::post_))
        .route("/logout", post(login::logout))
        .route("/", get(beranda::get_))
        .route("/registrasi", get(registrasi::get_).post(registrasi::post_))
        .route("/permohonan/{id}", get(permohonan::get_))
        .route("/permohonan/{id}/tanda-terima", get(slip::tanda_terima))
        .route("/permohonan/{id}/bukti", get(slip::bukti))
        .route(
            "/permohonan/{id}/rekam/{modality}",
            post(permohonan::rekam_post),
        )
        .route(
            "/permohonan/{id}/kecualikan",
            post(permohonan::kecualikan_post),
        )
        .route("/permohonan/{id}/{aksi}", post(permohonan::post_))
        .route("/perekaman", get(perekaman::get_))
        .route("/perekaman/panggil", post(perekaman::panggil_berikut))
        .route("/antrian", get(antrian::get_))
        .route("/buku", get(buku::get_))
        .route("/audit", get(audit::get_))
        .route("/operator", get(operator::get_))
        .route("/operator/{aksi}", post(operator::post_))
        .layer(axum::middleware::map_response(csp))
}
