//! Every setting of the agent in one [`Config`] struct.
//!
//! A config is built from defaults, then an optional TOML file (`--config FILE`), then command
//! line flags (flags win). The sync daemon's settings live in their own section of the same
//! struct, so one file configures the whole office service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Name of the SQLite file inside the data folder.
pub const DB_FILE: &str = "rekam-agent.db";

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("config field `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// The office service's settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data folder holding `rekam-agent.db` (and the lock file).
    pub data: PathBuf,
    /// Address of the desk web UI and JSON API on the office LAN.
    pub listen: SocketAddr,
    /// Kemendagri code of this office's kecamatan, six digits (e.g. `130101`).
    pub kecamatan: String,
    /// Base URL of the local biometric device service (see docs/agent.md), if any.
    pub device_url: Option<String>,
    /// How long one device call may take before the desk reports the device as slow.
    pub device_timeout_ms: u64,
    /// Operator session lifetime, minutes.
    pub session_minutes: u64,
    /// Largest request body accepted (bytes): bounds uploads from desks and devices.
    pub max_body_bytes: usize,
    /// Number of read-only SQLite connections.
    pub read_connections: usize,
    /// Offset of the office's local time from UTC, hours (WIB = 7). Days of the register
    /// book and of queue numbers follow this clock.
    pub utc_offset_hours: i32,
    /// The hub to sync with (`[hub]` section); no section: the office works offline only.
    pub hub: Option<crate::sync::HubConfig>,
    /// Capture quality at the recording desk (`[kualitas]` section).
    pub kualitas: Kualitas,
}

/// Kualitas (capture quality): the minimum score (1-100) per modality and the cap of attempts.
/// A capture below its minimum asks for a re-capture; after `percobaan` attempts the best one
/// is kept and flagged `kualitas_rendah`. Defaults follow MOSIP's registration client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Kualitas {
    /// Minimum for a fingerprint.
    pub jari: u8,
    /// Minimum for an iris.
    pub iris: u8,
    /// Minimum for the face photo.
    pub wajah: u8,
    /// Minimum for the signature.
    pub tanda_tangan: u8,
    /// Attempts per position before the best capture is kept as low quality.
    pub percobaan: u32,
}

impl Default for Kualitas {
    fn default() -> Self {
        Kualitas {
            jari: 40,
            iris: 60,
            wajah: 9,
            tanda_tangan: 1,
            percobaan: 3,
        }
    }
}

impl Kualitas {
    /// The minimum score of a modality.
    pub fn minimum(&self, m: crate::device::protocol::Modality) -> u8 {
        use crate::device::protocol::Modality;
        match m {
            Modality::Finger => self.jari,
            Modality::Iris => self.iris,
            Modality::Face => self.wajah,
            Modality::Signature => self.tanda_tangan,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("rekam-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            kecamatan: String::new(),
            device_url: None,
            device_timeout_ms: 5_000,
            session_minutes: 10 * 60,
            max_body_bytes: 2 * 1024 * 1024,
            read_connections: 4,
            utc_offset_hours: 7,
            hub: None,
            kualitas: Kualitas::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file into a config (missing fields take their defaults).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Path of the SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.data.join(DB_FILE)
    }

    /// Device call timeout.
    pub fn device_timeout(&self) -> Duration {
        Duration::from_millis(self.device_timeout_ms)
    }

    /// The office's fixed UTC offset.
    pub fn offset(&self) -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(self.utc_offset_hours * 3600)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(7 * 3600).expect("WIB"))
    }

    /// Checks the settings that `serve` needs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.kecamatan.len() != 6 || !self.kecamatan.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid {
                field: "kecamatan",
                reason: format!(
                    "must be the six-digit kecamatan code, got {:?}",
                    self.kecamatan
                ),
            });
        }
        if !(-12..=14).contains(&self.utc_offset_hours) {
            return Err(ConfigError::Invalid {
                field: "utc_offset_hours",
                reason: "must be between -12 and 14".into(),
            });
        }
        if self.read_connections == 0 {
            return Err(ConfigError::Invalid {
                field: "read_connections",
                reason: "must be at least 1".into(),
            });
        }
        let k = &self.kualitas;
        for (field, v) in [
            ("kualitas.jari", k.jari),
            ("kualitas.iris", k.iris),
            ("kualitas.wajah", k.wajah),
            ("kualitas.tanda_tangan", k.tanda_tangan),
        ] {
            if !(1..=100).contains(&v) {
                return Err(ConfigError::Invalid {
                    field,
                    reason: "must be between 1 and 100".into(),
                });
            }
        }
        if !(1..=20).contains(&k.percobaan) {
            return Err(ConfigError::Invalid {
                field: "kualitas.percobaan",
                reason: "must be between 1 and 20".into(),
            });
        }
        if let Some(url) = &self.device_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                field: "device_url",
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_rejects_unknown_fields() {
        let c = Config::from_toml("kecamatan = \"130101\"\nlisten = \"127.0.0.1:9000\"\n").unwrap();
        assert_eq!(c.kecamatan, "130101");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.session_minutes, Config::default().session_minutes);
        assert!(Config::from_toml("kecamatn = \"130101\"").is_err());
    }

    #[test]
    fn validate_names_the_field() {
        let c = Config {
            kecamatan: "13010".into(),
            ..Config::default()
        };
        match c.validate() {
            Err(ConfigError::Invalid { field, .. }) => assert_eq!(field, "kecamatan"),
            other => panic!("expected invalid kecamatan, got {other:?}"),
        }
        let ok = Config {
            kecamatan: "130101".into(),
            ..Config::default()
        };
        ok.validate().unwrap();
    }
}
