//! The local device protocol: what a biometric device service on the desk PC answers.
//!
//! Modelled on MOSIP's Secure Biometric Interface (SBI): a small HTTP service on 127.0.0.1
//! (or the desk's LAN address) with three calls, all JSON:
//!
//! - `GET  /sbi/discover`        -> `[DeviceInfo]`: the devices present and their status;
//! - `GET  /sbi/info/{deviceId}` -> `DeviceInfo`: make, model, serial, firmware;
//! - `POST /sbi/capture` with [`CaptureRequest`] -> [`CaptureResponse`]: one capture per
//!   requested position, each with its format, quality score (0-100), data (base64) and the
//!   SHA-256 of the data.
//!
//! Formats: fingers `iso-19794-2` (ISO/IEC 19794-2:2005 minutiae record), irises
//! `rekam-iris` (the shared crate's iris template: code + mask), face `jpeg`, signature `png`.
//! Unlike SBI there is no signing of the payload: the device service is on the desk PC and the
//! agent re-validates every byte it receives (see [`super::client`]).

use serde::{Deserialize, Serialize};

/// Kind of biometric a device captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Modality {
    Finger,
    Iris,
    Face,
    Signature,
}

impl Modality {
    /// Lower-case name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Finger => "finger",
            Modality::Iris => "iris",
            Modality::Face => "face",
            Modality::Signature => "signature",
        }
    }
    /// The positions to capture for a complete recording, in order.
    pub fn positions(self) -> &'static [&'static str] {
        match self {
            Modality::Finger => &FINGERS,
            Modality::Iris => &["right-iris", "left-iris"],
            Modality::Face => &["face"],
            Modality::Signature => &["signature"],
        }
    }
    /// The data format a capture of this modality must have.
    pub fn format(self) -> &'static str {
        match self {
            Modality::Finger => "iso-19794-2",
            Modality::Iris => "rekam-iris",
            Modality::Face => "jpeg",
            Modality::Signature => "png",
        }
    }
}

/// The ten finger positions, ISO/IEC 19794-2 codes 1-10 in order.
pub const FINGERS: [&str; 10] = rekam_shared::bio::iso::FINGER_NAMES;

/// Indonesian name of a position, for the desk.
pub fn position_label(position: &str) -> &'static str {
    match position {
        "right-thumb" => "Jempol kanan",
        "right-index" => "Telunjuk kanan",
        "right-middle" => "Jari tengah kanan",
        "right-ring" => "Jari manis kanan",
        "right-little" => "Kelingking kanan",
        "left-thumb" => "Jempol kiri",
        "left-index" => "Telunjuk kiri",
        "left-middle" => "Jari tengah kiri",
        "left-ring" => "Jari manis kiri",
        "left-little" => "Kelingking kiri",
        "right-iris" => "Iris kanan",
        "left-iris" => "Iris kiri",
        "face" => "Foto wajah",
        "signature" => "Tanda tangan",
        _ => "?",
    }
}

/// Device status as reported by discover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceStatus {
    Ready,
    Busy,
    NotReady,
}

/// One device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub device_id: String,
    pub modality: Modality,
    pub status: DeviceStatus,
    pub make: String,
    pub model: String,
    pub serial_no: String,
    pub firmware: String,
    /// "simulator" for `rekam-agent device-sim`, else the certification of the device.
    pub certification: String,
}

/// A capture request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest {
    pub modality: Modality,
    /// Positions to capture (see [`Modality::positions`]).
    pub positions: Vec<String>,
    /// How long the device may wait for the resident, milliseconds.
    pub timeout_ms: u64,
    /// Caller's id of this capture, echoed back.
    pub transaction_id: String,
}

/// One captured sample. Debug omits the data (biometric data is never logged).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    pub modality: Modality,
    pub position: String,
    pub format: String,
    /// 0-100.
    pub quality: u8,
    /// Base64 (standard alphabet) of the sample.
    pub data: String,
    /// Hex SHA-256 of the decoded data.
    pub sha256: String,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("modality", &self.modality)
            .field("position", &self.position)
            .field("format", &self.format)
            .field("quality", &self.quality)
            .field("data", &format_args!("<{} base64 chars>", self.data.len()))
            .finish()
    }
}

/// Error reported by the device (SBI style: code 0 is success).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceErrorBody {
    pub error_code: String,
    pub error_info: String,
}

/// Answer to a capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureResponse {
    pub transaction_id: String,
    pub biometrics: Vec<Capture>,
    pub error: DeviceErrorBody,
}
