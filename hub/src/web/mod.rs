//! The district office's web app: a human-facing HTTPS listener, separate from the offices'
//! mutual-TLS sync listener (`rekam-hub serve --web-listen ADDR`, see docs/dashboard.md).
//!
//! - [`sesi`]: login, sessions, CSRF (one middleware) and the role check ([`sesi::RequireRole`]).
//! - [`keamanan`]: security headers on every response, login throttling.
//! - [`tampilan`]: the maud layout, the static CSS and the strings of each language.
//! - [`kasus`]: dedup cases, a case side by side, the decision, the audited blob route.
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics` (no login).
//! - Statistics pages: [`ikhtisar`] (the landing page), [`waktu`], [`kantor`], [`dedup`],
//!   [`target`] (admin), [`belum_rekam`] (adjudicator: who still has to record, from the
//!   population register); their range selector [`rentang`], charts [`grafik`], tables and
//!   CSV/XLSX exports [`ekspor`], strings [`teks_dasbor`]; page timings for the bench [`ukur`].
//!
//! TLS: server certificate only (`dashboard.crt`/`dashboard.key` from
//! `rekam-hub pki issue-dashboard`, or the administrator's own), no client certificate.

pub mod belum_rekam;
pub mod cari;
pub mod dedup;
pub mod ekspor;
pub mod grafik;
pub mod ikhtisar;
pub mod kantor;
pub mod kasus;
pub mod keamanan;
pub mod ops;
pub mod rentang;
pub mod sesi;
pub mod tampilan;
pub mod target;
pub mod teks_dasbor;
pub mod ukur;
pub mod waktu;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::dedup::Dedup;
use crate::storage::Storage;

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct WebConfig {
    /// Absolute lifetime of a session from login.
    pub sesi_maks: Duration,
    /// A session unused for this long ends.
    pub sesi_diam: Duration,
    /// An office silent for more minutes than this is highlighted on `/kantor`.
    pub kantor_diam_menit: u64,
}

/// Where a logged-in user lands (`/`, after login, after a language switch).
pub const BERANDA: &str = "/ikhtisar";

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            sesi_maks: Duration::from_secs(8 * 3600),
            sesi_diam: Duration::from_secs(30 * 60),
            kantor_diam_menit: 120,
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct WebState {
    /// The hub's storage.
    pub storage: Arc<dyn Storage>,
    /// The dedup engine (its settings explain a case).
    pub dedup: Arc<Dedup>,
    /// Set once the dedup index is built (`/readyz`).
    pub siap: Arc<AtomicBool>,
    /// Session lifetimes.
    pub config: WebConfig,
    /// Failed logins (throttling).
    pub throttle: Arc<keamanan::Throttle>,
    /// Request counters and latencies (`/metrics`).
    pub metrik: Arc<ops::Metrik>,
    /// The overview's targets from the register, kept until the register changes.
    pub cache_target: Arc<crate::statistik::kueri::CacheTarget>,
}

impl WebState {
    /// A state with empty throttle and counters.
    pub fn new(
        storage: Arc<dyn Storage>,
        dedup: Arc<Dedup>,
        siap: Arc<AtomicBool>,
        config: WebConfig,
    ) -> Self {
        WebState {
            storage,
            dedup,
            siap,
            config,
            throttle: Arc::new(keamanan::Throttle::default()),
            metrik: Arc::new(ops::Metrik::default()),
            cache_target: Arc::default(),
        }
    }
}

/// The address the connection came from (for throttling and the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Asal(pub SocketAddr);

/// Every route of the web app (the route-walk test enumerates this same list).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/masuk"),
    ("POST", "/masuk"),
    ("POST", "/keluar"),
    ("GET", "/bahasa/{kode}"),
    ("GET", "/ikhtisar"),
    ("GET", "/waktu"),
    ("GET", "/kantor"),
    ("GET", "/dedup"),
    ("GET", "/belum-rekam"),
    ("GET", "/target"),
    ("POST", "/target"),
    ("GET", "/kasus"),
    ("GET", "/kasus/{id}"),
    ("POST", "/kasus/{id}/putuskan"),
    ("GET", "/berkas/{sha}"),
    ("GET", "/cari"),
    ("GET", "/static/rekam.css"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// Builds the router: pages behind the session middleware, all responses with the security
/// headers and counted in the metrics.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to(BERANDA) }))
        .route("/masuk", get(sesi::login_form).post(sesi::login))
        .route("/keluar", post(sesi::logout))
        .route("/bahasa/{kode}", get(tampilan::set_bahasa))
        .route("/ikhtisar", get(ikhtisar::tampil))
        .route("/waktu", get(waktu::tampil))
        .route("/kantor", get(kantor::tampil))
        .route("/dedup", get(dedup::tampil))
        .route("/belum-rekam", get(belum_rekam::tampil))
        .route("/target", get(target::tampil).post(target::simpan))
        .route("/kasus", get(kasus::daftar))
        .route("/kasus/{id}", get(kasus::halaman))
        .route("/kasus/{id}/putuskan", post(kasus::putuskan))
        .route("/berkas/{sha}", get(kasus::berkas))
        .route("/cari", get(cari::tampil))
        .route("/static/rekam.css", get(tampilan::css))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            sesi::penjaga,
        ))
        .layer(axum::middleware::from_fn(keamanan::headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::hitung,
        ))
        .with_state(state)
}

/// The TLS configuration of the web listener: `cert`/`key` PEM files, no client certificate.
pub fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = crate::pki::load_certs(cert)?;
    let key = crate::pki::load_key(key)?;
    let mut cfg = ServerConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "web accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %addr, error = %e, "web TLS handshake refused");
                        return;
                    }
                    Err(_) => return,
                };
            let svc = router.layer(axum::Extension(Asal(addr)));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            if let Err(e) = conn.await {
                tracing::debug!(peer = %addr, error = %e, "web connection ended with error");
            }
        });
    }
}
