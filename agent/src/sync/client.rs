//! HTTPS client of the hub: mutual TLS with the office certificate, the sync body gzip'd,
//! resumable blob uploads, and resumable blob downloads (a restored office).

use std::io::Write as _;
use std::sync::Arc;

use rekam_shared::wire::{self, BlobStatus, SyncRequest, SyncResponse};

use super::{HubConfig, SyncError};

/// Counters of bytes sent and received over the wire (bodies, as compressed).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WireBytes {
    /// Request bodies.
    pub sent: u64,
    /// Response bodies.
    pub received: u64,
}

/// How the hub answered a blob download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unduh {
    /// The whole rest of the blob arrived.
    Lengkap,
    /// The hub refused (status and its JSON reason): the download waits for a later round.
    Ditolak(String),
}

/// A connection pool to the hub.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: String,
    /// The population register head of the last response: `None` before any response,
    /// `Some(None)` when it carried no register section (an older hub). Lets the register
    /// download skip its request when the office already holds that version.
    register_head: Arc<std::sync::Mutex<Option<Option<u64>>>>,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .finish()
    }
}

fn read_pem(path: &std::path::Path) -> Result<Vec<u8>, SyncError> {
    std::fs::read(path).map_err(|e| SyncError::Config(format!("{}: {e}", path.display())))
}

impl HubClient {
    /// Builds the client from the `[hub]` config (reads the certificates now).
    pub fn new(cfg: &HubConfig) -> Result<Self, SyncError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let ca = read_pem(&cfg.tls_dir.join("ca.crt"))?;
        for c in rustls_pemfile::certs(&mut ca.as_slice()) {
            let c = c.map_err(|e| SyncError::Config(format!("ca.crt: {e}")))?;
            roots
                .add(c)
                .map_err(|e| SyncError::Config(format!("ca.crt: {e}")))?;
        }
        let cert_pem = read_pem(&cfg.tls_dir.join("office.crt"))?;
        let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SyncError::Config(format!("office.crt: {e}")))?;
        let key_pem = read_pem(&cfg.tls_dir.join("office.key"))?;
        let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .map_err(|e| SyncError::Config(format!("office.key: {e}")))?
            .ok_or_else(|| SyncError::Config("office.key: no private key".into()))?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SyncError::Config(e.to_string()))?
            .with_root_certificates(roots)
            .with_client_auth_cert(certs, key)
            .map_err(|e| SyncError::Config(format!("office certificate: {e}")))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(std::time::Duration::from_millis(cfg.timeout_ms))
            .connect_timeout(std::time::Duration::from_secs(10))
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .gzip(true)
            .build()
            .map_err(|e| SyncError::Config(format!("http client: {e}")))?;
        Ok(HubClient {
            http,
            base: cfg.url.trim_end_matches('/').to_owned(),
            register_head: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// Sends one sync request.
    pub async fn sync(
        &self,
        req: &SyncRequest,
        bytes: &mut WireBytes,
    ) -> Result<SyncResponse, SyncError> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&req.encode()).expect("write to Vec");
        let body = enc.finish().expect("write to Vec");
        bytes.sent += body.len() as u64;
        let resp = self
            .http
            .post(format!("{}{}", self.base, wire::SYNC_PATH))
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .header(reqwest::header::CONTENT_TYPE, "application/x-rekam-sync")
            .body(body)
            .send()
            .await
            .map_err(|e| SyncError::Hub(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| SyncError::Hub(e.to_string()))?;
        // Decompressed by reqwest; count the decompressed size as an upper bound.
        bytes.received += body.len() as u64;
        if !status.is_success() {
            return Err(SyncError::Hub(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        let resp =
            SyncResponse::decode(&body).map_err(|e| SyncError::Hub(format!("response: {e}")))?;
        let head = wire::extension(&resp.extensions, wire::EXT_POPULATION_REGISTER)
            .map(rekam_shared::register::head_of)
            .transpose()
            .map_err(|e| SyncError::Hub(format!("population register section: {e}")))?;
        if let Ok(mut h) = self.register_head.lock() {
            *h = Some(head);
        }
        Ok(resp)
    }

    /// The population register head the last response showed: `None` before any response,
    /// `Some(None)` if it had no register section.
    pub fn register_head(&self) -> Option<Option<u64>> {
        self.register_head.lock().ok().and_then(|h| *h)
    }

    /// Downloads blob `sha256` of application `permohonan` from byte `offset`, appending what
    /// arrives to `sink` as it arrives: after a cut (an `Err`), `sink` holds the bytes that did
    /// arrive, and the next download resumes after them. At most `max` bytes are taken.
    pub async fn download_blob(
        &self,
        sha256: &str,
        permohonan: &str,
        offset: u64,
        max: u64,
        sink: &mut Vec<u8>,
    ) -> Result<Unduh, SyncError> {
        let mut resp = self
            .http
            .get(format!(
                "{}{}/{sha256}/{}",
                self.base,
                wire::BLOBS_PATH,
                wire::BLOB_DATA_SEGMENT
            ))
            .query(&[("permohonan", permohonan), ("offset", &offset.to_string())])
            .send()
            .await
            .map_err(|e| SyncError::Hub(e.to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            return Ok(Unduh::Ditolak(format!("{status}: {text}")));
        }
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| SyncError::Hub(format!("blob download: {e}")))?
        {
            let room = max.saturating_sub(sink.len() as u64) as usize;
            sink.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if chunk.len() > room {
                // More than the document declares: what was kept fails the hash check.
                sink.push(0);
                break;
            }
        }
        Ok(Unduh::Lengkap)
    }

    /// Upload state of a blob at the hub.
    pub async fn blob_status(&self, sha256: &str) -> Result<BlobStatus, SyncError> {
        let resp = self
            .http
            .get(format!("{}{}/{sha256}", self.base, wire::BLOBS_PATH))
            .send()
            .await
            .map_err(|e| SyncError::Hub(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(SyncError::Hub(format!("blob status: {}", resp.status())));
        }
        resp.json()
            .await
            .map_err(|e| SyncError::Hub(format!("blob status: {e}")))
    }

    /// Uploads `data` (whose SHA-256 is `sha256`) from wherever the hub stopped, in chunks.
    pub async fn upload_blob(
        &self,
        sha256: &str,
        data: &[u8],
        bytes: &mut WireBytes,
    ) -> Result<(), SyncError> {
        let total = data.len() as u64;
        // A blob of one chunk (a photo, a signature) goes at once: one request, and if the hub
        // already holds it, it answers "complete" (or 409 and we ask where to resume). A larger
        // blob asks first where to resume, so an interrupted upload never resends its start.
        let mut st = if data.len() <= wire::BLOB_CHUNK_BYTES {
            BlobStatus {
                received: 0,
                complete: false,
            }
        } else {
            self.blob_status(sha256).await?
        };
        while !st.complete {
            let from = st.received.min(total) as usize;
            let to = (from + wire::BLOB_CHUNK_BYTES).min(data.len());
            let chunk = data[from..to].to_vec();
            bytes.sent += chunk.len() as u64;
            let resp = self
                .http
                .put(format!(
                    "{}{}/{sha256}?offset={from}&total={total}",
                    self.base,
                    wire::BLOBS_PATH
                ))
                .body(chunk)
                .send()
                .await
                .map_err(|e| SyncError::Hub(e.to_string()))?;
            let status = resp.status();
            if status == reqwest::StatusCode::CONFLICT {
                // Someone else's offset: ask where to resume.
                st = self.blob_status(sha256).await?;
                continue;
            }
            if !status.is_success() {
                let text = resp.text().await.unwrap_or_default();
                return Err(SyncError::Hub(format!("blob upload: {status}: {text}")));
            }
            st = resp
                .json()
                .await
                .map_err(|e| SyncError::Hub(format!("blob upload: {e}")))?;
            if !st.complete && st.received as usize <= from {
                return Err(SyncError::Hub("blob upload made no progress".into()));
            }
        }
        Ok(())
    }
}
