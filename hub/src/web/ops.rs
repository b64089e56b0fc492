//! Operations endpoints of the web listener, without login (they show no personal data):
//! `/healthz` (the process answers), `/readyz` (storage answers and the dedup index is built),
//! `/metrics` (Prometheus text: sync requests per office, dedup backlog, documents, web
//! requests by status and their latency histogram). [`hitung`] is the middleware counting
//! every web request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebState;
use super::sesi::blocking;

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Default)]
struct Isi {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Web request counters.
#[derive(Debug, Default)]
pub struct Metrik {
    isi: Mutex<Isi>,
}

impl Metrik {
    /// Counts one request answered with `status` after `secs`.
    pub fn catat(&self, status: u16, secs: f64) {
        let mut m = self.isi.lock().expect("metrics mutex");
        *m.by_status.entry(status).or_default() += 1;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum += secs;
    }
}

/// Middleware: counts every request of the web listener.
pub async fn hitung(State(st): State<WebState>, req: Request, next: Next) -> Response {
    let t = Instant::now();
    let resp = next.run(req).await;
    st.metrik
        .catat(resp.status().as_u16(), t.elapsed().as_secs_f64());
    resp
}

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 once storage answers and the dedup index is built, else 503.
pub async fn readyz(State(st): State<WebState>) -> Response {
    let storage = st.storage.clone();
    let storage_ok = blocking(move || storage.doc_count()).await.is_ok();
    let index_ok = st.siap.load(Ordering::Acquire);
    let body = serde_json::json!({"storage": storage_ok, "dedup_index": index_ok});
    let status = if storage_ok && index_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn metrics(State(st): State<WebState>) -> Response {
    let storage = st.storage.clone();
    let r = blocking(move || {
        Ok((
            storage.offices()?,
            storage.dedup_backlog()?,
            storage.doc_count()?,
        ))
    })
    .await;
    let (offices, (backlog, _), docs) = match r {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP rekam_hub_sync_requests_total Sync requests served, per office.\n# TYPE rekam_hub_sync_requests_total counter"
    );
    for off in &offices {
        let _ = writeln!(
            o,
            "rekam_hub_sync_requests_total{{kecamatan=\"{}\"}} {}",
            label(&off.kecamatan),
            off.requests
        );
    }
    let _ = writeln!(
        o,
        "# HELP rekam_hub_dedup_backlog Applications waiting for deduplication.\n# TYPE rekam_hub_dedup_backlog gauge\nrekam_hub_dedup_backlog {backlog}"
    );
    let _ = writeln!(
        o,
        "# HELP rekam_hub_documents Stored application documents.\n# TYPE rekam_hub_documents gauge\nrekam_hub_documents {docs}"
    );
    let _ = writeln!(
        o,
        "# HELP rekam_hub_dedup_index_ready 1 once the dedup index is built.\n# TYPE rekam_hub_dedup_index_ready gauge\nrekam_hub_dedup_index_ready {}",
        u8::from(st.siap.load(Ordering::Acquire))
    );
    {
        let m = st.metrik.isi.lock().expect("metrics mutex");
        let _ = writeln!(
            o,
            "# HELP rekam_hub_web_requests_total Web requests, by status.\n# TYPE rekam_hub_web_requests_total counter"
        );
        for (s, n) in &m.by_status {
            let _ = writeln!(o, "rekam_hub_web_requests_total{{status=\"{s}\"}} {n}");
        }
        let _ = writeln!(
            o,
            "# HELP rekam_hub_web_request_duration_seconds Web request latency.\n# TYPE rekam_hub_web_request_duration_seconds histogram"
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                o,
                "rekam_hub_web_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                m.buckets[i]
            );
        }
        let _ = writeln!(
            o,
            "rekam_hub_web_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\nrekam_hub_web_request_duration_seconds_sum {}\nrekam_hub_web_request_duration_seconds_count {}",
            m.count, m.sum, m.count
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        o,
    )
        .into_response()
}
