//! The agent's side of the device protocol: calls the device service with a timeout and
//! re-validates everything it sends back. A device that is absent, slow or sends garbage gives a
//! [`DeviceError`] whose [`DeviceError::pesan`] is the Indonesian message shown at the desk.

use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::protocol::{Capture, CaptureRequest, CaptureResponse, DeviceInfo, Modality};

/// Largest device answer read (bytes).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Why a device call gave nothing usable.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DeviceError {
    #[error("no device service configured")]
    NotConfigured,
    #[error("device service unreachable: {0}")]
    Absent(String),
    #[error("device did not answer within {0} ms")]
    Slow(u64),
    #[error("device sent invalid data: {0}")]
    Garbage(String),
    #[error("device refused: {code} {info}")]
    Refused { code: String, info: String },
}

impl DeviceError {
    /// The message shown to the operator.
    pub fn pesan(&self) -> String {
        match self {
            DeviceError::NotConfigured => {
                "Perangkat biometrik belum diatur (device_url kosong). Hubungi kepala UKL.".into()
            }
            DeviceError::Absent(_) => {
                "Perangkat biometrik tidak terhubung. Periksa kabel/layanan perangkat, lalu coba lagi.".into()
            }
            DeviceError::Slow(ms) => format!(
                "Perangkat biometrik tidak menjawab dalam {} detik. Coba lagi.",
                ms.div_ceil(1000)
            ),
            DeviceError::Garbage(why) => format!(
                "Perangkat biometrik mengirim data rusak ({why}). Ulangi pengambilan; bila terulang, ganti perangkat."
            ),
            DeviceError::Refused { code, info } => {
                format!("Perangkat biometrik menolak: {info} (kode {code}).")
            }
        }
    }
}

/// A capture that passed validation, with its decoded bytes. Debug omits the data.
#[derive(Clone, PartialEq)]
pub struct ValidCapture {
    pub modality: Modality,
    pub position: String,
    pub format: String,
    pub quality: u8,
    pub data: Vec<u8>,
    pub sha256: String,
}

impl std::fmt::Debug for ValidCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidCapture")
            .field("modality", &self.modality)
            .field("position", &self.position)
            .field("quality", &self.quality)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Client of one device service.
#[derive(Debug, Clone)]
pub struct DeviceClient {
    base: Option<String>,
    http: reqwest::Client,
    timeout: Duration,
}

impl DeviceClient {
    /// A client for the service at `base` (None: no devices configured).
    pub fn new(base: Option<String>, timeout: Duration) -> DeviceClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .unwrap_or_default();
        DeviceClient {
            base: base.map(|b| b.trim_end_matches('/').to_owned()),
            http,
            timeout,
        }
    }

    fn base(&self) -> Result<&str, DeviceError> {
        self.base.as_deref().ok_or(DeviceError::NotConfigured)
    }

    fn map_err(&self, e: reqwest::Error) -> DeviceError {
        if e.is_timeout() {
            DeviceError::Slow(self.timeout.as_millis() as u64)
        } else if e.is_connect() || e.is_request() {
            DeviceError::Absent(e.to_string())
        } else {
            DeviceError::Garbage(e.to_string())
        }
    }

    async fn body(&self, resp: reqwest::Response) -> Result<Vec<u8>, DeviceError> {
        let mut resp = resp;
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(e))? {
            if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(DeviceError::Garbage("jawaban terlalu besar".into()));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// `GET /sbi/discover`.
    pub async fn discover(&self) -> Result<Vec<DeviceInfo>, DeviceError> {
        let url = format!("{}/sbi/discover", self.base()?);
        let resp = self
            .http
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.map_err(e))?;
        let bytes = self.body(resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| DeviceError::Garbage(format!("JSON: {e}")))
    }

    /// Captures every position of `modality` and validates each sample.
    pub async fn capture(
        &self,
        modality: Modality,
        transaction_id: &str,
    ) -> Result<Vec<ValidCapture>, DeviceError> {
        self.capture_positions(modality, modality.positions(), transaction_id)
            .await
    }

    /// Captures these positions of `modality` (e.g. all but the excepted fingers) and validates
    /// each sample.
    pub async fn capture_positions(
        &self,
        modality: Modality,
        positions: &[&str],
        transaction_id: &str,
    ) -> Result<Vec<ValidCapture>, DeviceError> {
        let url = format!("{}/sbi/capture", self.base()?);
        let req = CaptureRequest {
            modality,
            positions: positions.iter().map(|s| s.to_string()).collect(),
            timeout_ms: self.timeout.as_millis() as u64,
            transaction_id: transaction_id.to_owned(),
        };
        let resp = self
            .http
            .post(url)
            .json(&req)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.map_err(e))?;
        let status = resp.status();
        let bytes = self.body(resp).await?;
        let answer: CaptureResponse = serde_json::from_slice(&bytes).map_err(|e| {
            DeviceError::Garbage(format!("JSON tidak sah (HTTP {}): {e}", status.as_u16()))
        })?;
        if answer.error.error_code != "0" {
            return Err(DeviceError::Refused {
                code: answer.error.error_code,
                info: answer.error.error_info,
            });
        }
        if answer.transaction_id != transaction_id {
            return Err(DeviceError::Garbage("transactionId tidak cocok".into()));
        }
        let mut out = Vec::new();
        for want in positions {
            let c = answer
                .biometrics
                .iter()
                .find(|c| c.position == *want && c.modality == modality)
                .ok_or_else(|| DeviceError::Garbage(format!("posisi {want} tidak ada")))?;
            out.push(validate(c)?);
        }
        Ok(out)
    }
}

/// Checks one sample: base64, hash, format, and the bytes themselves.
pub fn validate(c: &Capture) -> Result<ValidCapture, DeviceError> {
    let garbage = |why: String| DeviceError::Garbage(format!("{}: {why}", c.position));
    if c.format != c.modality.format() {
        return Err(garbage(format!(
            "format {} bukan {}",
            c.format,
            c.modality.format()
        )));
    }
    if c.quality > 100 {
        return Err(garbage("kualitas di luar 0-100".into()));
    }
    let data = base64::engine::general_purpose::STANDARD
        .decode(c.data.as_bytes())
        .map_err(|e| garbage(format!("base64: {e}")))?;
    let sha = hex::encode(Sha256::digest(&data));
    if !sha.eq_ignore_ascii_case(&c.sha256) {
        return Err(garbage("SHA-256 tidak cocok".into()));
    }
    check_content(c.modality, &data).map_err(garbage)?;
    Ok(ValidCapture {
        modality: c.modality,
        position: c.position.clone(),
        format: c.format.clone(),
        quality: c.quality,
        data,
        sha256: sha,
    })
}

/// Content checks per modality (parsers of the shared crate where they exist).
pub fn check_content(modality: Modality, data: &[u8]) -> Result<(), String> {
    match modality {
        Modality::Finger => crate::bio::parse_finger(data).map(|_| ()),
        Modality::Iris => crate::bio::parse_iris(data).map(|_| ()),
        Modality::Face => {
            if data.len() > 4
                && data.starts_with(&[0xFF, 0xD8, 0xFF])
                && data.ends_with(&[0xFF, 0xD9])
            {
                Ok(())
            } else {
                Err("bukan JPEG".into())
            }
        }
        Modality::Signature => {
            if data.len() > 33 && data.starts_with(b"\x89PNG\r\n\x1a\n") && &data[12..16] == b"IHDR"
            {
                Ok(())
            } else {
                Err("bukan PNG".into())
            }
        }
    }
}
