//! Helpers for the district dashboard's tests: a hub started with its web listener
//! (`serve --web-listen`, certificate from `pki issue-dashboard`), dashboard users added with
//! `rekam-hub user add`, and an HTTPS client that keeps its own cookies, trusts only the
//! district CA and never follows redirects (so that tests see every 303).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};

use crate::harness::{Pki, Proc, hub_exe, hub_serve_command, run};

/// Password of the dashboard users the tests add.
pub const PASSWORD: &str = "Sandi-Dasbor-2026";

/// `rekam-hub pki issue-dashboard`.
pub fn issue_dashboard(pki: &Pki) -> anyhow::Result<String> {
    run(
        Command::new(hub_exe())
            .args(["pki", "issue-dashboard", "--dir"])
            .arg(&pki.dir),
        None,
    )
}

/// `rekam-hub user add NAME --role ROLE --password-stdin` with `password`.
pub fn add_user(data: &Path, nama: &str, role: &str, password: &str) -> anyhow::Result<String> {
    run(
        Command::new(hub_exe())
            .args([
                "user",
                "add",
                nama,
                "--role",
                role,
                "--password-stdin",
                "--data",
            ])
            .arg(data)
            .args(["--oleh", "uji"]),
        Some(&format!("{password}\n")),
    )
}

/// A hub with both listeners: `sync` (mutual TLS) and `web` (the dashboard).
pub struct WebHub {
    /// The process (its `addr` is the web listener's).
    pub proc: Proc,
    /// The sync listener.
    pub sync: SocketAddr,
}

impl WebHub {
    /// The dashboard's base URL.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.proc.addr.port())
    }

    /// The sync listener's URL (for offices).
    pub fn sync_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.sync.port())
    }
}

/// Starts `rekam-hub serve` with `--web-listen 127.0.0.1:0` on sync address `sync` and extra
/// environment variables.
pub fn start(
    data: &Path,
    pki: &Pki,
    sync: SocketAddr,
    env: &[(&str, &str)],
) -> anyhow::Result<WebHub> {
    let mut cmd = hub_serve_command(data, pki, sync, env)?;
    cmd.args(["--web-listen", "127.0.0.1:0"]);
    let proc = Proc::spawn(cmd, data.join("hub.log"), "web listening on ")?;
    Ok(WebHub { proc, sync })
}

/// One answer of the dashboard.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers (lowercase names; repeated ones joined by `\n`).
    pub headers: BTreeMap<String, String>,
    /// Body as text.
    pub body: String,
    /// Body as bytes (for the XLSX exports).
    pub bytes: Vec<u8>,
}

impl Answer {
    /// A header.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The value of the first `name="csrf"` hidden field.
    pub fn csrf(&self) -> anyhow::Result<String> {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .ok_or_else(|| anyhow!("no csrf field in {}", self.body))?;
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        Ok(rest[..rest.find('"').context("unterminated csrf")?].to_owned())
    }
}

/// A browser-like HTTPS client of the dashboard: its own cookie jar, no redirects followed.
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// Cookies by name.
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    /// A client of `base` trusting the CA of `pki`.
    pub fn new(pki: &Pki, base: &str) -> anyhow::Result<Client> {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(pki.dir.join("ca.crt"))?;
        for c in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(c?)?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        Ok(Client {
            http,
            base: base.to_owned(),
            cookies: BTreeMap::new(),
        })
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> anyhow::Result<Answer> {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in resp.headers() {
            let v = v.to_str().unwrap_or_default().to_owned();
            if k.as_str() == "set-cookie"
                && let Some((kv, _)) = v.split_once(';').or(Some((v.as_str(), "")))
                && let Some((name, value)) = kv.split_once('=')
            {
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
            headers
                .entry(k.as_str().to_owned())
                .and_modify(|e| {
                    e.push('\n');
                    e.push_str(&v)
                })
                .or_insert(v);
        }
        let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Answer {
            status,
            headers,
            body,
            bytes,
        })
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// `POST path` with a urlencoded form.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// Logs in through the form; the answer of the `POST /masuk`.
    pub async fn login(&mut self, nama: &str, password: &str) -> anyhow::Result<Answer> {
        let form = self.get("/masuk").await?;
        let csrf = form.csrf()?;
        self.post(
            "/masuk",
            &[("csrf", &csrf), ("nama", nama), ("password", password)],
        )
        .await
    }

    /// The session's CSRF token, read from a page.
    pub async fn csrf(&mut self) -> anyhow::Result<String> {
        self.get("/kasus").await?.csrf()
    }
}
