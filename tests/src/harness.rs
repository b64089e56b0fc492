//! Starts the real `rekam-hub` and `rekam-agent` binaries on 127.0.0.1 with temporary data
//! folders and certificates, and drives them the way people do: the CLI for administration,
//! the agent's JSON API for the desks.
//!
//! The binaries are built by this package from the hub's and agent's own `main.rs`
//! (`rekam-hub-e2e`, `rekam-agent-e2e`, see `tests/Cargo.toml`) and found next to the test
//! executable (`target/<profile>/`), or through `REKAM_HUB_BIN` / `REKAM_AGENT_BIN`.
//! Each process writes its log to a file in its folder; [`Proc::log`] reads it.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use rusqlite::OptionalExtension as _;
use serde_json::{Value, json};

/// Password of every demo/test operator.
pub const PASSWORD: &str = "kata-sandi-uji";

/// Path of one of this package's binaries.
pub fn exe(name: &str, env_override: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env_override) {
        return PathBuf::from(p);
    }
    let me = std::env::current_exe().expect("current exe");
    let mut dir = me.parent().expect("exe dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}

/// The hub binary.
pub fn hub_exe() -> PathBuf {
    exe("rekam-hub-e2e", "REKAM_HUB_BIN")
}

/// The agent binary.
pub fn agent_exe() -> PathBuf {
    exe("rekam-agent-e2e", "REKAM_AGENT_BIN")
}

/// Runs a command to completion, failing with its output if it fails.
pub fn run(cmd: &mut Command, stdin: Option<&str>) -> anyhow::Result<String> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().with_context(|| format!("spawn {cmd:?}"))?;
    if let Some(s) = stdin {
        child.stdin.take().expect("stdin").write_all(s.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A free port on 127.0.0.1 (bound then released: fine for tests on one machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child process with its log file; killed (SIGKILL) when dropped.
pub struct Proc {
    child: Child,
    /// The log file (stderr).
    pub log_path: PathBuf,
    /// Address it printed.
    pub addr: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts `cmd`, waiting for a stdout line containing `marker` followed by an address.
    pub fn spawn(mut cmd: Command, log_path: PathBuf, marker: &str) -> anyhow::Result<Proc> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .stdin(Stdio::null());
        let mut child = cmd.spawn().with_context(|| format!("spawn {cmd:?}"))?;
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let marker = marker.to_owned();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(rest) = line.split(&marker).nth(1) {
                    let addr = rest.trim().trim_start_matches("http://").to_owned();
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                bail!(
                    "process did not start: {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
        };
        let addr: SocketAddr = addr.parse().with_context(|| format!("address {addr:?}"))?;
        Ok(Proc {
            child,
            log_path,
            addr,
        })
    }

    /// `kill -9`.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (graceful stop).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("process {pid} did not stop on SIGTERM")
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

/// A district PKI made with `rekam-hub pki`.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The PKI folder.
    pub dir: PathBuf,
}

impl Pki {
    /// `rekam-hub pki init`.
    pub fn init(dir: &Path) -> anyhow::Result<Pki> {
        run(
            Command::new(hub_exe())
                .args(["pki", "init", "--dir"])
                .arg(dir),
            None,
        )?;
        Ok(Pki {
            dir: dir.to_owned(),
        })
    }

    /// `rekam-hub pki issue-agent`; returns the serial.
    pub fn issue_agent(&self, kecamatan: &str, out: &Path) -> anyhow::Result<String> {
        let s = run(
            Command::new(hub_exe())
                .args(["pki", "issue-agent", "--dir"])
                .arg(&self.dir)
                .args(["--kecamatan", kecamatan, "--out"])
                .arg(out),
            None,
        )?;
        s.split("serial ")
            .nth(1)
            .map(|x| x.trim().trim_end_matches(')').to_owned())
            .ok_or_else(|| anyhow!("no serial in {s:?}"))
    }

    /// `rekam-hub pki revoke`.
    pub fn revoke(&self, serial: &str) -> anyhow::Result<()> {
        run(
            Command::new(hub_exe())
                .args(["pki", "revoke", "--dir"])
                .arg(&self.dir)
                .args(["--serial", serial]),
            None,
        )?;
        Ok(())
    }
}

/// Starts `rekam-hub serve`.
pub fn start_hub(data: &Path, pki: &Pki, listen: SocketAddr) -> anyhow::Result<Proc> {
    start_hub_with_env(data, pki, listen, &[])
}

/// Starts `rekam-hub serve` with extra environment variables (e.g.
/// `REKAM_HUB_DEDUP_PAUSE=1`).
pub fn start_hub_with_env(
    data: &Path,
    pki: &Pki,
    listen: SocketAddr,
    env: &[(&str, &str)],
) -> anyhow::Result<Proc> {
    let cmd = hub_serve_command(data, pki, listen, env)?;
    Proc::spawn(cmd, data.join("hub.log"), "listening on ")
}

/// The `rekam-hub serve` command for data folder `data` (created), sync listener `listen`
/// and extra environment variables, logging at info level.
pub fn hub_serve_command(
    data: &Path,
    pki: &Pki,
    listen: SocketAddr,
    env: &[(&str, &str)],
) -> anyhow::Result<Command> {
    std::fs::create_dir_all(data)?;
    let mut cmd = Command::new(hub_exe());
    cmd.args(["serve", "--data"])
        .arg(data)
        .arg("--pki")
        .arg(&pki.dir)
        .arg("--listen")
        .arg(listen.to_string())
        .env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok(cmd)
}

/// `rekam-hub dedup stats`: the dedup backlog and decisions as JSON.
pub fn hub_dedup_stats(data: &Path) -> anyhow::Result<Value> {
    let out = run(
        Command::new(hub_exe())
            .args(["dedup", "stats", "--data"])
            .arg(data),
        None,
    )?;
    Ok(serde_json::from_str(out.trim())?)
}

/// One document as `rekam-hub inspect` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct HubDoc {
    /// Id.
    pub id: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// Heads (hex, sorted).
    pub heads: Vec<String>,
    /// Blob references and whether each is complete.
    pub blobs: Vec<(String, bool)>,
    /// The decision, if any.
    pub keputusan: Option<Value>,
}

/// `rekam-hub inspect`.
pub fn hub_docs(data: &Path) -> anyhow::Result<Vec<HubDoc>> {
    let out = run(
        Command::new(hub_exe())
            .args(["inspect", "--data"])
            .arg(data),
        None,
    )?;
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)?;
            let mut heads: Vec<String> = v["heads"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(str::to_owned))
                .collect();
            heads.sort();
            Ok(HubDoc {
                id: v["id"].as_str().unwrap_or_default().to_owned(),
                kecamatan: v["kecamatan"].as_str().unwrap_or_default().to_owned(),
                heads,
                blobs: v["blobs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| {
                        (
                            b["sha256"].as_str().unwrap_or_default().to_owned(),
                            b["complete"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect(),
                keputusan: v.get("keputusan").filter(|k| !k.is_null()).cloned(),
            })
        })
        .collect()
}

/// An office: its folder, certificate folder, device simulator and agent process.
pub struct Office {
    /// Kecamatan code.
    pub kecamatan: String,
    /// Folder of this office.
    pub dir: PathBuf,
    /// Device simulator process.
    pub sim: Proc,
    /// Agent process (None while stopped).
    pub agent: Option<Proc>,
    /// HTTP client for the desk API.
    pub http: reqwest::Client,
    hub_url: String,
    listen: SocketAddr,
    hub_timeout: Duration,
}

/// The agent's hub timeout in the offices [`Office::create`] makes.
pub const DEFAULT_HUB_TIMEOUT: Duration = Duration::from_secs(10);

impl Office {
    /// Creates the office: certificate from `pki`, operators `reg`, `rek`, `kepala`, device
    /// simulator; then starts the agent syncing with `hub_url`.
    pub async fn create(
        root: &Path,
        pki: &Pki,
        kecamatan: &str,
        hub_url: &str,
    ) -> anyhow::Result<Office> {
        Office::create_with_hub_timeout(root, pki, kecamatan, hub_url, DEFAULT_HUB_TIMEOUT).await
    }

    /// [`Office::create`] with another hub timeout (`[hub] timeout_ms`, the agent's limit on
    /// one request to the hub) than [`DEFAULT_HUB_TIMEOUT`].
    pub async fn create_with_hub_timeout(
        root: &Path,
        pki: &Pki,
        kecamatan: &str,
        hub_url: &str,
        hub_timeout: Duration,
    ) -> anyhow::Result<Office> {
        // reqwest is built without a default TLS provider in this workspace.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = root.join(format!("kantor-{kecamatan}"));
        std::fs::create_dir_all(dir.join("data"))?;
        pki.issue_agent(kecamatan, &dir.join("tls"))?;
        add_operators(&dir.join("data"), &["reg", "rek", "kepala"])?;
        let sim_port = free_port();
        let mut sim_cmd = Command::new(agent_exe());
        sim_cmd.args(["device-sim", "--listen", &format!("127.0.0.1:{sim_port}")]);
        let sim = Proc::spawn(sim_cmd, dir.join("sim.log"), "listening on ")
            .or_else(|_| -> anyhow::Result<Proc> { bail!("device simulator did not start") })?;
        let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let mut office = Office {
            kecamatan: kecamatan.to_owned(),
            dir,
            sim,
            agent: None,
            http: reqwest::Client::builder().no_proxy().build()?,
            hub_url: hub_url.to_owned(),
            listen,
            hub_timeout,
        };
        office.start()?;
        Ok(office)
    }

    /// Writes the config and starts (or restarts) the agent.
    pub fn start(&mut self) -> anyhow::Result<()> {
        let config = format!(
            "data = {data:?}\nlisten = \"{listen}\"\nkecamatan = \"{k}\"\ndevice_url = \"http://{sim}\"\n\n[hub]\nurl = \"{hub}\"\ntls_dir = {tls:?}\ninterval_ms = 300\nbackoff_ms = 200\nmax_backoff_ms = 2000\ntimeout_ms = {timeout}\n",
            data = self.dir.join("data").display().to_string(),
            listen = self.listen,
            k = self.kecamatan,
            sim = self.sim.addr,
            hub = self.hub_url,
            tls = self.dir.join("tls").display().to_string(),
            timeout = self.hub_timeout.as_millis(),
        );
        let path = self.dir.join("rekam-agent.toml");
        std::fs::write(&path, config)?;
        let mut cmd = Command::new(agent_exe());
        cmd.args(["serve", "--config"])
            .arg(&path)
            .env("RUST_LOG", "info");
        self.agent = Some(Proc::spawn(
            cmd,
            self.dir.join("agent.log"),
            "listening on ",
        )?);
        Ok(())
    }

    /// Base URL of the desk API.
    pub fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// Data folder.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    async fn call(
        &self,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base());
        let mut req = match &body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Logs in an operator; returns the bearer token.
    pub async fn login(&self, user: &str) -> anyhow::Result<String> {
        let v = self
            .call(
                None,
                "/api/login",
                Some(json!({"username": user, "password": PASSWORD})),
            )
            .await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no token in {v}"))
    }

    /// Records one resident from step 1 to the proof of recording (full biometrics, photo,
    /// signature). `n` numbers the resident within this office (1..). Returns the id.
    pub async fn record(&self, reg: &str, rek: &str, n: u16) -> anyhow::Result<String> {
        Ok(self.record_confirmed(reg, rek, n).await?.id)
    }

    /// [`Office::record`], returning what the desk API confirmed to the operators: the id, the
    /// final status and proof number of the `berhasil` answer, and every capture the
    /// `rekam/...` answers listed.
    pub async fn record_confirmed(
        &self,
        reg: &str,
        rek: &str,
        n: u16,
    ) -> anyhow::Result<Confirmed> {
        let subjek = u64::from(n) * 1000 + kec_seed(&self.kecamatan);
        self.record_subjek(reg, rek, n, subjek).await
    }

    /// [`Office::record_confirmed`] with the simulator's subject `subjek` at the scanners: the
    /// same `subjek` at two offices is the same person (same biometrics) under two NIKs.
    pub async fn record_subjek(
        &self,
        reg: &str,
        rek: &str,
        n: u16,
        subjek: u64,
    ) -> anyhow::Result<Confirmed> {
        let p = resident(&self.kecamatan, n);
        let v = self
            .call(Some(reg), "/api/permohonan", Some(json!({"penduduk": p})))
            .await?;
        let id = v["id"]
            .as_str()
            .ok_or_else(|| anyhow!("no id in {v}"))?
            .to_owned();
        let berkas = json!({"berkas": ["hadir_sendiri", "kk"]});
        self.call(
            Some(reg),
            &format!("/api/permohonan/{id}/terima-berkas"),
            Some(berkas.clone()),
        )
        .await?;
        self.call(
            Some(reg),
            &format!("/api/permohonan/{id}/periksa-berkas"),
            Some(berkas),
        )
        .await?;
        // The resident at the scanner.
        let r = self
            .http
            .post(format!("http://{}/sim/subjek", self.sim.addr))
            .json(&json!({ "subjek": subjek }))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("sim/subjek: {}", r.status());
        }
        self.call(
            Some(reg),
            &format!("/api/permohonan/{id}/cek-biometrik"),
            Some(json!({})),
        )
        .await?;
        self.call(
            Some(rek),
            &format!("/api/permohonan/{id}/panggil"),
            Some(json!({"loket": "1"})),
        )
        .await?;
        let mut captures = BTreeSet::new();
        for (m, modality) in [
            ("sidik-jari", "finger"),
            ("iris", "iris"),
            ("foto", "face"),
            ("tanda-tangan", "signature"),
        ] {
            let v = self
                .call(
                    Some(rek),
                    &format!("/api/permohonan/{id}/rekam/{m}"),
                    Some(json!({})),
                )
                .await?;
            let listed = v["biometrik"]
                .as_array()
                .ok_or_else(|| anyhow!("rekam/{m}: no captures in the answer"))?;
            let before = captures.len();
            for c in listed.iter().filter(|c| c["modality"] == modality) {
                let sha = c["sha256"]
                    .as_str()
                    .ok_or_else(|| anyhow!("rekam/{m}: capture without sha256"))?;
                captures.insert((modality.to_owned(), sha.to_owned()));
            }
            if captures.len() == before {
                bail!("rekam/{m}: the answer confirmed no {modality} capture");
            }
        }
        let v = self
            .call(
                Some(rek),
                &format!("/api/permohonan/{id}/berhasil"),
                Some(json!({})),
            )
            .await?;
        let status = v["status"]
            .as_str()
            .ok_or_else(|| anyhow!("berhasil: no status in {v}"))?
            .to_owned();
        Ok(Confirmed {
            id,
            status,
            nomor_bukti: v["nomor_bukti"].as_str().map(str::to_owned),
            captures,
        })
    }

    /// `GET` on the desk API as `token`'s operator; the JSON answer, or an error with the status.
    pub async fn get(&self, token: &str, path: &str) -> anyhow::Result<Value> {
        self.call(Some(token), path, None).await
    }

    /// `POST` on the desk API as `token`'s operator; the JSON answer, or an error with the
    /// status and body.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Some(token), path, Some(body)).await
    }

    /// `rekam-agent backup` of this office's data folder to `target` (a new file).
    pub fn backup(&self, target: &Path) -> anyhow::Result<String> {
        run(
            Command::new(agent_exe())
                .args(["backup", "--data"])
                .arg(self.data())
                .arg(target),
            None,
        )
    }

    /// `rekam-agent restore` of `source` over this office's data folder (agent stopped).
    pub fn restore(&self, source: &Path) -> anyhow::Result<String> {
        run(
            Command::new(agent_exe())
                .args(["restore", "--data"])
                .arg(self.data())
                .arg(source),
            None,
        )
    }

    /// Each document's heads at this office (sorted hex), read from its SQLite file.
    pub fn doc_heads(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        crate::agent_db::doc_heads(&self.db())
    }

    /// The office's SQLite file.
    pub fn db(&self) -> PathBuf {
        self.data().join("rekam-agent.db")
    }

    /// `rekam-agent sync status --json`.
    pub fn sync_status(&self) -> anyhow::Result<Value> {
        let out = run(
            Command::new(agent_exe())
                .args(["sync", "status", "--json", "--data"])
                .arg(self.data()),
            None,
        )?;
        Ok(serde_json::from_str(out.trim())?)
    }
}

/// What the desk API confirmed to the operators about one recorded application
/// ([`Office::record_confirmed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// Permohonan id.
    pub id: String,
    /// Status in the answer to `berhasil` (`terekam`).
    pub status: String,
    /// Proof of recording number in that answer.
    pub nomor_bukti: Option<String>,
    /// Every capture the `rekam/...` answers listed: (modality as the agent names it: `finger`,
    /// `iris`, `face`, `signature`; SHA-256 of the sample).
    pub captures: BTreeSet<(String, String)>,
}

/// One application as the hub's own database holds it, read read-only from
/// `rekam-hub.db` (see [`hub_applications`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubApplication {
    /// Permohonan id.
    pub id: String,
    /// Kecamatan it is stored under.
    pub kecamatan: String,
    /// Status after replaying the document's workflow events through
    /// `rekam_shared::workflow::apply` (`terekam`, ...), or the replay error.
    pub status: String,
    /// Proof of recording number of that status, if any.
    pub nomor_bukti: Option<String>,
    /// Number of workflow events in the document.
    pub peristiwa: usize,
    /// The samples the document carries: templates inline (fingerprints, iris), photo and
    /// signature by reference; (modality, SHA-256), named as in [`Confirmed::captures`].
    pub captures: BTreeSet<(String, String)>,
    /// The photo and signature blobs whose bytes the hub holds completely and whose SHA-256
    /// matches their name.
    pub blobs_verified: BTreeSet<String>,
}

/// Every application in the hub's database (`<data>/rekam-hub.db`, opened read-only, WAL lets it
/// run next to a live hub), with its status replayed from its events and its blobs checked
/// byte for byte.
pub fn hub_applications(data: &Path) -> anyhow::Result<Vec<HubApplication>> {
    use rekam_shared::document::PermohonanDoc;
    use rekam_shared::workflow::{Keadaan, Peristiwa, Status, apply};
    use sha2::{Digest as _, Sha256};
    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    let c = rusqlite::Connection::open_with_flags(
        data.join("rekam-hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    let mut st = c.prepare("SELECT id, kecamatan, bytes FROM doc ORDER BY id")?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut blob = c.prepare("SELECT total, data, complete FROM blob WHERE sha256 = ?1")?;
    let mut out = Vec::new();
    for (id, kecamatan, bytes) in rows {
        let doc = PermohonanDoc::load(&bytes)?;
        let events: Vec<Peristiwa> = doc.peristiwa_as()?;
        let mut keadaan = Keadaan::awal();
        let mut error = None;
        for e in &events {
            match apply(&keadaan, e) {
                Ok(k) => keadaan = k,
                Err(err) => {
                    error = Some(format!("replay: {err}"));
                    break;
                }
            }
        }
        let nomor_bukti = match &keadaan.status {
            Status::Terekam { nomor_bukti } | Status::Diserahkan { nomor_bukti } => {
                Some(nomor_bukti.clone())
            }
            _ => None,
        };
        let bio = doc.biometrik()?;
        let mut captures = BTreeSet::new();
        for t in bio.sidik_jari.values() {
            captures.insert(("finger".to_owned(), sha(t)));
        }
        for t in bio.iris.values() {
            captures.insert(("iris".to_owned(), sha(t.as_bytes())));
        }
        for (m, b) in [("face", &bio.foto), ("signature", &bio.tanda_tangan)] {
            if let Some(b) = b {
                captures.insert((m.to_owned(), b.sha256.clone()));
            }
        }
        let mut blobs_verified = BTreeSet::new();
        for b in bio.blobs() {
            let held: Option<(i64, Vec<u8>, bool)> = blob
                .query_row([&b.sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if let Some((total, bytes, true)) = held
                && total as u64 == b.size
                && bytes.len() as u64 == b.size
                && sha(&bytes) == b.sha256
            {
                blobs_verified.insert(b.sha256.clone());
            }
        }
        out.push(HubApplication {
            id,
            kecamatan,
            status: error.unwrap_or_else(|| keadaan.status.nama().to_owned()),
            nomor_bukti,
            peristiwa: events.len(),
            captures,
            blobs_verified,
        });
    }
    Ok(out)
}

/// The seed of a randomized test: `REKAM_TEST_SEED` if set (to replay a run), else a random one;
/// printed either way with the test's name, so that a failing run says how to replay it.
pub fn test_seed(test: &str) -> u64 {
    let seed = std::env::var("REKAM_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("{test}: seed {seed} (replay: REKAM_TEST_SEED={seed})");
    seed
}

fn kec_seed(k: &str) -> u64 {
    k.parse::<u64>().unwrap_or(0) % 100
}

/// Adds demo operators to an office's data folder with `rekam-agent user add` and
/// [`PASSWORD`]: any of `reg` (operator registrasi), `rek` (operator perekaman) and `kepala`
/// (kepala UKL).
pub fn add_operators(data: &Path, users: &[&str]) -> anyhow::Result<()> {
    for &u in users {
        let role = match u {
            "reg" => "operator-registrasi",
            "rek" => "operator-perekaman",
            "kepala" => "kepala-ukl",
            other => bail!("no demo operator {other}"),
        };
        add_user(data, u, role, PASSWORD)?;
    }
    Ok(())
}

/// `rekam-agent user add` with `password` on stdin; its output, or an error with its message.
pub fn add_user(data: &Path, user: &str, role: &str, password: &str) -> anyhow::Result<String> {
    run(
        Command::new(agent_exe())
            .args(["user", "add", "--data"])
            .arg(data)
            .args(["--username", user, "--role", role, "--password-stdin"]),
        Some(password),
    )
}

/// A resident of kecamatan `k` (valid NIK for that kecamatan), numbered `n`.
pub fn resident(k: &str, n: u16) -> Value {
    use rekam_shared::nik::Nik;
    use rekam_shared::penduduk::JenisKelamin;
    use rekam_shared::region::KodeKecamatan;
    let code: u32 = k.parse().unwrap_or(130101);
    let kode = KodeKecamatan::new(
        (code / 10000) as u8,
        ((code / 100) % 100) as u8,
        (code % 100) as u8,
    )
    .expect("kecamatan");
    let lahir = chrono::NaiveDate::from_ymd_opt(
        1980 + i32::from(n % 20),
        1 + u32::from(n % 12),
        1 + u32::from(n % 28),
    )
    .expect("date");
    let nik = Nik::from_parts(kode, lahir, JenisKelamin::LakiLaki, n + 1)
        .expect("nik")
        .to_string();
    json!({
        "nik": nik,
        "no_kk": format!("{k}011020{:04}", n + 1),
        "nama": format!("Penduduk {k}-{n}"),
        "tempat_lahir": "Painan",
        "tanggal_lahir": lahir.to_string(),
        "jenis_kelamin": "laki_laki",
        "status_perkawinan": "belum_kawin",
        "alamat": "Jl. Pantai Carocok No. 5",
        "rt": "2",
        "rw": "1",
        "nagari": "Painan Selatan",
        "kecamatan": k
    })
}
