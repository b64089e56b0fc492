//! The static files of the desk pages (stylesheet and scripts), embedded in the binary and
//! served from `/static/NAME`.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every static file: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "rekam.css",
        "text/css; charset=utf-8",
        include_str!("../static/rekam.css"),
    ),
    (
        "perangkat.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/perangkat.js"),
    ),
    (
        "timer.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/timer.js"),
    ),
    (
        "antrian.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/antrian.js"),
    ),
    (
        "cetak.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/cetak.js"),
    ),
    (
        "penduduk.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/penduduk.js"),
    ),
    (
        "pengecualian.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/pengecualian.js"),
    ),
];

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == file) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "tidak ada").into_response(),
    }
}
