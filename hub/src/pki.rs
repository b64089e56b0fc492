//! The district certificate authority: `rekam-hub pki ...`.
//!
//! One CA per district signs the hub's server certificate and one client certificate per
//! kecamatan office. An office certificate names its kecamatan in the subject (CN
//! `rekam-agent 130101`, OU `kecamatan 130101`) and, authoritatively, in a SAN URI
//! `urn:rekam:kecamatan:130101`: the hub reads the peer's kecamatan from that URI on every
//! connection. Revocation is a deny list of serial numbers (`revoked.txt`), read by the hub at
//! each handshake, so a revoked office is refused at once without a restart.
//!
//! Layout of a PKI folder: `ca.crt`, `ca.key` (keep offline in production), `hub.crt`,
//! `hub.key`, `revoked.txt`, `issued.txt` (one line per certificate issued), and, once
//! `pki issue-dashboard` ran, `dashboard.crt`, `dashboard.key` (the human-facing listener).

use std::fs;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::Datelike as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};

/// Prefix of the SAN URI naming an office's kecamatan.
pub const KECAMATAN_URI_PREFIX: &str = "urn:rekam:kecamatan:";

/// File names inside a PKI folder.
pub const CA_CERT: &str = "ca.crt";
/// CA private key.
pub const CA_KEY: &str = "ca.key";
/// Hub server certificate.
pub const HUB_CERT: &str = "hub.crt";
/// Hub server key.
pub const HUB_KEY: &str = "hub.key";
/// Deny list of revoked serials (lowercase hex, one per line, `#` comments).
pub const REVOKED: &str = "revoked.txt";
/// Log of issued certificates.
pub const ISSUED: &str = "issued.txt";
/// Office certificate file name in an office folder.
pub const OFFICE_CERT: &str = "office.crt";
/// Office key file name in an office folder.
pub const OFFICE_KEY: &str = "office.key";
/// The district dashboard's server certificate (the human-facing listener).
pub const DASHBOARD_CERT: &str = "dashboard.crt";
/// The district dashboard's server key.
pub const DASHBOARD_KEY: &str = "dashboard.key";

/// Why a PKI operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// File system error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Certificate generation failed.
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// `pki init` on a folder that already has a CA.
    #[error("{0} already holds a CA; refusing to overwrite it")]
    Exists(PathBuf),
    /// A certificate could not be parsed.
    #[error("certificate is not valid: {0}")]
    BadCert(String),
    /// The certificate does not name a kecamatan.
    #[error("certificate names no kecamatan (SAN URI {KECAMATAN_URI_PREFIX}NNNNNN)")]
    NoKecamatan,
    /// A kecamatan code is not six digits.
    #[error("kecamatan must be six digits, got {0:?}")]
    BadKecamatan(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_file(path: &Path, data: &str, secret: bool) -> Result<(), PkiError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(data.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

fn read(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(io(path))
}

fn validity(params: &mut CertificateParams, years: i32) {
    let now = chrono::Utc::now();
    params.not_before = rcgen::date_time_ymd(now.year(), now.month() as u8, now.day() as u8)
        - std::time::Duration::from_secs(86_400);
    params.not_after = rcgen::date_time_ymd(
        now.year() + years,
        now.month() as u8,
        now.day().min(28) as u8,
    );
}

fn random_serial() -> SerialNumber {
    let mut b: [u8; 16] = rand::random();
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // no leading zero byte: the hex form is stable
    SerialNumber::from_slice(&b)
}

/// Checks a six-digit kecamatan code.
pub fn check_kecamatan(code: &str) -> Result<(), PkiError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PkiError::BadKecamatan(code.to_owned()))
    }
}

/// An opened district CA.
pub struct Pki {
    dir: PathBuf,
    ca_cert_pem: String,
    ca_key: KeyPair,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir)
            .field("ca_key", &"<redacted>")
            .finish()
    }
}

impl Pki {
    /// Creates a new CA in `dir` (created if missing) and a hub certificate for `127.0.0.1`
    /// and `localhost` plus `extra_names`. Refuses to overwrite an existing CA.
    pub fn init(dir: &Path, district: &str, extra_names: &[String]) -> Result<Pki, PkiError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let ca_path = dir.join(CA_CERT);
        if ca_path.exists() {
            return Err(PkiError::Exists(dir.to_owned()));
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "Disdukcapil");
        dn.push(DnType::CommonName, format!("Rekam CA {district}"));
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial());
        validity(&mut params, 20);
        let cert = params.self_signed(&key)?;
        write_file(&dir.join(CA_KEY), &key.serialize_pem(), true)?;
        write_file(&ca_path, &cert.pem(), false)?;
        write_file(
            &dir.join(REVOKED),
            "# revoked certificate serials (lowercase hex), one per line\n",
            false,
        )?;
        let pki = Pki {
            dir: dir.to_owned(),
            ca_cert_pem: cert.pem(),
            ca_key: key,
        };
        let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        names.extend(extra_names.iter().cloned());
        pki.issue_hub(dir, &names)?;
        Ok(pki)
    }

    /// Opens the CA in `dir`.
    pub fn open(dir: &Path) -> Result<Pki, PkiError> {
        let ca_cert_pem = read(&dir.join(CA_CERT))?;
        let ca_key = KeyPair::from_pem(&read(&dir.join(CA_KEY))?)?;
        Ok(Pki {
            dir: dir.to_owned(),
            ca_cert_pem,
            ca_key,
        })
    }

    /// The CA certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, PkiError> {
        Ok(Issuer::from_ca_cert_pem(&self.ca_cert_pem, &self.ca_key)?)
    }

    fn log_issued(&self, serial: &str, what: &str) -> Result<(), PkiError> {
        let path = self.dir.join(ISSUED);
        let mut f = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io(&path))?;
        writeln!(f, "{serial} {what} {}", chrono::Utc::now().to_rfc3339()).map_err(io(&path))
    }

    /// Issues the hub's server certificate (`hub.crt`, `hub.key` in `out`) for DNS names / IPs.
    pub fn issue_hub(&self, out: &Path, names: &[String]) -> Result<String, PkiError> {
        self.issue_server(out, names, "rekam-hub", HUB_CERT, HUB_KEY, "hub")
    }

    /// Issues the district dashboard's server certificate (`dashboard.crt`, `dashboard.key`
    /// in `out`) for the host names / IPs the staff's browsers use.
    pub fn issue_dashboard(&self, out: &Path, names: &[String]) -> Result<String, PkiError> {
        self.issue_server(
            out,
            names,
            "rekam-hub dashboard",
            DASHBOARD_CERT,
            DASHBOARD_KEY,
            "dashboard",
        )
    }

    fn issue_server(
        &self,
        out: &Path,
        names: &[String],
        cn: &str,
        cert_file: &str,
        key_file: &str,
        what: &str,
    ) -> Result<String, PkiError> {
        fs::create_dir_all(out).map_err(io(out))?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "Disdukcapil");
        dn.push(DnType::CommonName, cn);
        params.distinguished_name = dn;
        for n in names {
            params.subject_alt_names.push(match n.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(n.clone().try_into()?),
            });
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let serial = random_serial();
        let serial_hex = hex::encode(serial.to_bytes());
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, 5);
        let cert = params.signed_by(&key, &self.issuer()?)?;
        write_file(&out.join(key_file), &key.serialize_pem(), true)?;
        write_file(&out.join(cert_file), &cert.pem(), false)?;
        self.log_issued(&serial_hex, &format!("{what} {}", names.join(",")))?;
        Ok(serial_hex)
    }

    /// Issues an office certificate for `kecamatan` into `out` (`office.crt`, `office.key`,
    /// and a copy of `ca.crt` to trust the hub). Returns the serial (hex).
    pub fn issue_agent(&self, kecamatan: &str, out: &Path) -> Result<String, PkiError> {
        check_kecamatan(kecamatan)?;
        fs::create_dir_all(out).map_err(io(out))?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "Disdukcapil");
        dn.push(
            DnType::OrganizationalUnitName,
            format!("kecamatan {kecamatan}"),
        );
        dn.push(DnType::CommonName, format!("rekam-agent {kecamatan}"));
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::URI(
            format!("{KECAMATAN_URI_PREFIX}{kecamatan}").try_into()?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let serial = random_serial();
        let serial_hex = hex::encode(serial.to_bytes());
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        validity(&mut params, 3);
        let cert = params.signed_by(&key, &self.issuer()?)?;
        write_file(&out.join(OFFICE_KEY), &key.serialize_pem(), true)?;
        write_file(&out.join(OFFICE_CERT), &cert.pem(), false)?;
        write_file(&out.join(CA_CERT), &self.ca_cert_pem, false)?;
        self.log_issued(&serial_hex, &format!("agent {kecamatan}"))?;
        Ok(serial_hex)
    }

    /// Adds a serial to the deny list.
    pub fn revoke(&self, serial_hex: &str) -> Result<(), PkiError> {
        let serial = serial_hex.trim().to_ascii_lowercase().replace(':', "");
        if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PkiError::BadCert(format!(
                "serial {serial_hex:?} is not hex"
            )));
        }
        let path = self.dir.join(REVOKED);
        let mut f = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io(&path))?;
        writeln!(f, "{serial}").map_err(io(&path))?;
        f.sync_all().map_err(io(&path))
    }
}

/// Reads a deny list file (missing file = empty list).
pub fn read_deny_list(path: &Path) -> std::collections::HashSet<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_ascii_lowercase().replace(':', ""))
        .collect()
}

/// What the hub learns from a client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// Kecamatan code from the SAN URI.
    pub kecamatan: String,
    /// Serial number, lowercase hex.
    pub serial: String,
}

/// Reads the kecamatan and serial from a DER certificate.
pub fn identity_from_der(der: &[u8]) -> Result<PeerIdentity, PkiError> {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| PkiError::BadCert(e.to_string()))?;
    let serial = hex::encode(cert.raw_serial())
        .trim_start_matches("00")
        .to_owned();
    let san = cert
        .subject_alternative_name()
        .map_err(|e| PkiError::BadCert(e.to_string()))?
        .ok_or(PkiError::NoKecamatan)?;
    let mut found = None;
    for name in &san.value.general_names {
        if let GeneralName::URI(uri) = name
            && let Some(k) = uri.strip_prefix(KECAMATAN_URI_PREFIX)
        {
            if found.is_some() {
                return Err(PkiError::BadCert("more than one kecamatan URI".into()));
            }
            found = Some(k.to_owned());
        }
    }
    let kecamatan = found.ok_or(PkiError::NoKecamatan)?;
    check_kecamatan(&kecamatan)?;
    Ok(PeerIdentity { kecamatan, serial })
}

/// Loads all PEM certificates of a file.
pub fn load_certs(
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, PkiError> {
    let pem = fs::read(path).map_err(io(path))?;
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(path))
}

/// Loads the private key of a PEM file.
pub fn load_key(path: &Path) -> Result<rustls::pki_types::PrivateKeyDer<'static>, PkiError> {
    let pem = fs::read(path).map_err(io(path))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(io(path))?
        .ok_or_else(|| PkiError::BadCert(format!("{}: no private key", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_certificate_names_its_kecamatan() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(&dir.path().join("pki"), "Pesisir Selatan", &[]).unwrap();
        let serial = pki
            .issue_agent("130101", &dir.path().join("office"))
            .unwrap();
        let certs = load_certs(&dir.path().join("office").join(OFFICE_CERT)).unwrap();
        let id = identity_from_der(&certs[0]).unwrap();
        assert_eq!(id.kecamatan, "130101");
        assert_eq!(id.serial, serial);
        load_key(&dir.path().join("office").join(OFFICE_KEY)).unwrap();
        // The hub certificate names no kecamatan.
        let hub = load_certs(&dir.path().join("pki").join(HUB_CERT)).unwrap();
        assert!(matches!(
            identity_from_der(&hub[0]),
            Err(PkiError::NoKecamatan)
        ));
        assert!(matches!(
            pki.issue_agent("13010x", dir.path()),
            Err(PkiError::BadKecamatan(_))
        ));
        assert!(matches!(
            Pki::init(&dir.path().join("pki"), "x", &[]),
            Err(PkiError::Exists(_))
        ));
    }

    #[test]
    fn revoked_serials_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(dir.path(), "Pesisir Selatan", &[]).unwrap();
        let s = pki.issue_agent("130102", &dir.path().join("o")).unwrap();
        assert!(!read_deny_list(&dir.path().join(REVOKED)).contains(&s));
        pki.revoke(&s.to_uppercase()).unwrap();
        assert!(read_deny_list(&dir.path().join(REVOKED)).contains(&s));
        assert!(pki.revoke("not hex").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn keys_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        Pki::init(dir.path(), "x", &[]).unwrap();
        for f in [CA_KEY, HUB_KEY] {
            let mode = fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} readable by others");
        }
    }
}
