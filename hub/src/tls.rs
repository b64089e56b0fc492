//! Mutual TLS for the hub: the rustls server configuration and the accept loop.
//!
//! Every connection must present a client certificate signed by the district CA
//! (`WebPkiClientVerifier`, no unauthenticated clients: the dashboard, when it comes, gets its
//! own listener with password login). After the handshake the accept loop reads the office's
//! kecamatan from the certificate's SAN URI, checks the serial against the deny list
//! (`revoked.txt`, re-read at each handshake) and hands the identity to the axum handlers as
//! an [`axum::Extension`]. Refusals are logged with the peer address and the reason, and
//! revoked or unnamed certificates are also written to the audit log.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::pki::{self, PeerIdentity, PkiError};
use crate::storage::{AuditEntry, Storage};

/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The ring crypto provider (the workspace builds rustls without a default provider).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the server configuration from a PKI folder (`ca.crt`, `hub.crt`, `hub.key`).
pub fn server_config(pki_dir: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for c in pki::load_certs(&pki_dir.join(pki::CA_CERT))? {
        roots.add(c)?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build()?;
    let certs = pki::load_certs(&pki_dir.join(pki::HUB_CERT))?;
    let key = pki::load_key(&pki_dir.join(pki::HUB_KEY))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Serves `router` on `listener` with mutual TLS until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    deny_list: PathBuf,
    storage: Arc<dyn Storage>,
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
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let deny_list = deny_list.clone();
        let storage = storage.clone();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::warn!(peer = %addr, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::warn!(peer = %addr, "TLS handshake timed out");
                    return;
                }
            };
            let identity = match peer_identity(&stream, &deny_list) {
                Ok(id) => id,
                Err(reason) => {
                    tracing::warn!(peer = %addr, %reason, "client certificate refused");
                    let entry = AuditEntry {
                        at: chrono::Utc::now().to_rfc3339(),
                        actor: addr.to_string(),
                        action: "tls.refused".into(),
                        permohonan_id: None,
                        detail: reason,
                    };
                    let _ = tokio::task::spawn_blocking(move || {
                        storage.transaction(&mut |tx| tx.audit(&entry))
                    })
                    .await;
                    return;
                }
            };
            tracing::debug!(peer = %addr, kecamatan = %identity.kecamatan, "office connected");
            let svc = router.layer(axum::Extension(Arc::new(identity)));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            if let Err(e) = conn.await {
                tracing::debug!(peer = %addr, error = %e, "connection ended with error");
            }
        });
    }
}

fn peer_identity(
    stream: &tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    deny_list: &Path,
) -> Result<PeerIdentity, String> {
    let certs = stream
        .get_ref()
        .1
        .peer_certificates()
        .ok_or_else(|| "no client certificate".to_owned())?;
    let leaf = certs
        .first()
        .ok_or_else(|| "no client certificate".to_owned())?;
    let id = pki::identity_from_der(leaf).map_err(|e: PkiError| e.to_string())?;
    if pki::read_deny_list(deny_list).contains(&id.serial) {
        return Err(format!(
            "certificate {} of kecamatan {} is revoked",
            id.serial, id.kecamatan
        ));
    }
    Ok(id)
}
