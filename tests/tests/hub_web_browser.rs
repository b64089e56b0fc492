//! End-to-end test of the district dashboard in headless Chromium (WebDriver, as
//! `agent_browser.rs`): two real offices record the same person (same biometrics from the
//! device simulator) under two NIKs while the hub is not yet running; the hub, set so that a
//! person decides every biometric match (`REKAM_HUB_AMBANG_COCOK=1000`), makes it a case.
//! An adjudicator logs in, opens the cases list and the case (both applications side by side,
//! photos from the authenticated blob route, the scores), decides "duplikat" with a reason, and
//! the decision arrives at the office (its desk API shows it after a sync). Screenshots go to
//! `target/test-artifacts/` (or `$REKAM_SCREENSHOTS`).
//!
//! Fails when `chromium` or `chromedriver` is not installed, unless `REKAM_SKIP_MISSING=1`
//! asks to skip it ([`rekam_tests::external`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rekam_tests::dashboard::{self, PASSWORD};
use rekam_tests::external::{self, Needed};
use rekam_tests::harness::{Office, Pki, free_port, hub_dedup_stats, hub_docs};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let resp = req.send().await?;
        let status = resp.status();
        let v: Value = resp.json().await?;
        if !status.is_success() {
            bail!("webdriver {method} {path}: {status} {v}");
        }
        Ok(v["value"].clone())
    }

    async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .await?;
        Ok(())
    }

    async fn find(&self, css: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self
                .call(
                    "POST",
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await
            {
                Ok(v) => return Ok(v[ELEMENT].as_str().context("element id")?.to_owned()),
                Err(e) if Instant::now() > deadline => return Err(e.context(format!("find {css}"))),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn click(&self, css: &str) -> anyhow::Result<()> {
        let e = self.find(css).await?;
        self.call("POST", &format!("/element/{e}/click"), None)
            .await?;
        Ok(())
    }

    /// Clicks something that loads a new page and waits for it.
    async fn submit(&self, css: &str) -> anyhow::Result<()> {
        self.script("window.__halaman_lama = true").await?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self
                .script("return window.__halaman_lama === undefined && document.readyState === 'complete'")
                .await
                .unwrap_or(Value::Bool(false));
            if v == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{css}: no new page loaded");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let e = self.find(css).await?;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await?;
        Ok(())
    }

    async fn text(&self, css: &str) -> anyhow::Result<String> {
        let e = self.find(css).await?;
        let v = self
            .call("GET", &format!("/element/{e}/text"), None)
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    async fn script(&self, js: &str) -> anyhow::Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    async fn shot(&self, name: &str) -> anyhow::Result<()> {
        use base64::Engine as _;
        let dir = std::env::var("REKAM_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| artifacts());
        let v = self.call("GET", "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().context("png")?)?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }
}

/// `target/test-artifacts/` of this workspace.
fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-artifacts")
        .to_path_buf()
}

async fn start_driver() -> anyhow::Result<Driver> {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::builder().no_proxy().build()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
            && r.status().is_success()
        {
            return Ok(driver);
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not start");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn new_session(driver: &Driver, profile: &Path) -> anyhow::Result<Session> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    // The dashboard's certificate is from the district CA, which this fresh profile does not
    // trust: accept it (the HTTP-level tests check the chain against the CA).
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1366,768",
                format!("--user-data-dir={}", profile.display())
            ]
        }
    }}});
    let v: Value = http
        .post(format!("{}/session", driver.url))
        .json(&caps)
        .send()
        .await?
        .json()
        .await?;
    let id = v["value"]["sessionId"]
        .as_str()
        .with_context(|| format!("no session: {v}"))?;
    Ok(Session {
        http,
        base: format!("{}/session/{id}", driver.url),
    })
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adjudicator_decides_a_case_from_two_offices_and_the_office_receives_it() {
    if let Needed::Skip(_) = external::require(
        &[CHROMIUM, CHROMEDRIVER],
        "apt-get install chromium chromium-driver",
    )
    .unwrap()
    {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    dashboard::issue_dashboard(&pki).unwrap();
    let hub_data = root.path().join("hub");
    dashboard::add_user(&hub_data, "adjudikator", "pengadjudikasi", PASSWORD).unwrap();

    // Two offices record the same person (simulator subject 7777) under two NIKs while the
    // hub is not running yet, so that neither desk can know of the other recording.
    let sync = localhost(free_port());
    let sync_url = format!("https://127.0.0.1:{}", sync.port());
    let a = Office::create(root.path(), &pki, "130101", &sync_url)
        .await
        .unwrap();
    let b = Office::create(root.path(), &pki, "130102", &sync_url)
        .await
        .unwrap();
    let (reg_a, rek_a) = (a.login("reg").await.unwrap(), a.login("rek").await.unwrap());
    let (reg_b, rek_b) = (b.login("reg").await.unwrap(), b.login("rek").await.unwrap());
    let id_a = a.record_subjek(&reg_a, &rek_a, 1, 7777).await.unwrap().id;
    let id_b = b.record_subjek(&reg_b, &rek_b, 1, 7777).await.unwrap().id;

    let hub = dashboard::start(
        &hub_data,
        &pki,
        sync,
        &[
            ("REKAM_HUB_AMBANG_COCOK", "1000"),
            ("REKAM_HUB_AMBANG_MUNGKIN", "3"),
        ],
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let s = hub_dedup_stats(&hub_data).unwrap();
        if s["decided"] == 2 && s["hasil"]["perlu_adjudikasi"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no case: {s}\n{}",
            hub.proc.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Photos and signatures are uploaded after the documents: wait for all four.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let docs = hub_docs(&hub_data).unwrap();
        let blobs: Vec<bool> = docs
            .iter()
            .flat_map(|d| d.blobs.iter().map(|b| b.1))
            .collect();
        if blobs.len() == 4 && blobs.iter().all(|c| *c) {
            break;
        }
        assert!(Instant::now() < deadline, "blobs not at the hub: {blobs:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let driver = start_driver().await.unwrap();
    let s = new_session(&driver, &root.path().join("profil"))
        .await
        .unwrap();
    s.goto(&format!("{}/kasus", hub.url())).await.unwrap();
    s.find("form.login").await.unwrap();
    s.shot("dasbor-masuk").await.unwrap();
    s.type_into("#nama", "adjudikator").await.unwrap();
    s.type_into("#password", PASSWORD).await.unwrap();
    s.submit("#masuk").await.unwrap();
    let open = s.text("#kasus-terbuka").await.unwrap();
    let (case, other, office, token) = if open.contains(&id_a) {
        (id_a.clone(), id_b.clone(), &a, reg_a.clone())
    } else {
        assert!(open.contains(&id_b), "{open}");
        (id_b.clone(), id_a.clone(), &b, reg_b.clone())
    };
    s.shot("dasbor-kasus").await.unwrap();
    s.submit(&format!("#kasus-terbuka a[href='/kasus/{case}']"))
        .await
        .unwrap();
    // Side by side: both applications, their NIKs and who recorded them, the photos loaded
    // through the authenticated blob route, the scores.
    let kiri = s
        .text(&format!("section.kartu[data-permohonan='{case}']"))
        .await
        .unwrap();
    let kanan = s
        .text(&format!("section.kartu[data-permohonan='{other}']"))
        .await
        .unwrap();
    for (k, t) in [(&kiri, "case"), (&kanan, "other")] {
        assert!(k.contains("rek, "), "{t}: recorded by: {k}");
        assert!(k.contains("NIK"), "{t}: {k}");
    }
    let niks: Value = s
        .script("return Array.from(document.querySelectorAll('dd.nik')).map(e => e.textContent)")
        .await
        .unwrap();
    let niks: Vec<&str> = niks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(niks.len(), 2, "{niks:?}");
    assert_ne!(niks[0], niks[1], "two NIKs expected: {niks:?}");
    let loaded = s
        .script("return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        .await
        .unwrap();
    let loaded = loaded.as_array().unwrap();
    assert!(
        loaded.len() >= 2 && loaded.iter().all(|v| v == true),
        "images: {loaded:?}"
    );
    let skor = s.text("#skor").await.unwrap();
    assert!(
        skor.contains(&other) && skor.contains("mungkin_cocok"),
        "{skor}"
    );
    s.shot("dasbor-kasus-berdampingan").await.unwrap();

    // The decision, with its reason.
    s.click("input[name=hasil][value=duplikat]").await.unwrap();
    s.type_into(
        "#alasan",
        "Foto, sidik jari dan iris sama; orang yang sama dengan dua NIK.",
    )
    .await
    .unwrap();
    s.submit("#simpan").await.unwrap();
    let sudah = s.text("#sudah").await.unwrap();
    assert!(sudah.contains("sudah diputuskan"), "{sudah}");
    s.shot("dasbor-diputuskan").await.unwrap();

    // It arrives at the office by sync: its desk API shows the person's decision.
    let deadline = Instant::now() + Duration::from_secs(120);
    let k = loop {
        let v = office
            .get(&token, &format!("/api/permohonan/{case}"))
            .await
            .unwrap();
        if v["keputusan"]["hasil"] == "duplikat" {
            break v["keputusan"].clone();
        }
        assert!(Instant::now() < deadline, "decision never arrived: {v}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(k["oleh"], "adjudikator", "{k}");
    assert_eq!(k["duplikat_dari"], json!([other]), "{k}");
    assert!(k["catatan"].as_str().unwrap().contains("dua NIK"), "{k}");

    // Audited: the views of both residents, the photos, the decision, all with the user name.
    let c = rusqlite::Connection::open_with_flags(
        hub_data.join(rekam_hub::cli::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = c
        .prepare("SELECT action FROM audit_log WHERE actor = 'adjudikator' AND permohonan_id = ?1")
        .unwrap();
    let actions: Vec<String> = st
        .query_map([&case], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for a in ["web.lihat", "dedup.explain", "web.berkas", "keputusan.set"] {
        assert!(actions.contains(&a.to_owned()), "{a} not in {actions:?}");
    }
    let _ = s.call("DELETE", "", None).await;
}
