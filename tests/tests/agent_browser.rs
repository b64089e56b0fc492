//! End-to-end test of the desk UI in headless Chromium: the real `rekam-agent` binary (no hub:
//! the office works offline) and its device simulator, driven through WebDriver
//! (`chromedriver`) the way operators use it: one resident through SOP steps 1-4, checking
//! the receipt (one A5 page when printed), the waiting-room display, the proof of recording
//! and the register book, on a 1366x768 window.
//!
//! Fails when `chromium` or `chromedriver` is not installed, unless `REKAM_SKIP_MISSING=1`
//! asks to skip it ([`rekam_tests::external`]).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rekam_tests::external::{self, Needed};
use rekam_tests::harness::{PASSWORD, Proc, add_operators, agent_exe, free_port};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The chromedriver process; killed on drop.
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

/// A WebDriver session (W3C protocol over HTTP, no client library).
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
                Ok(v) => {
                    return Ok(v[ELEMENT]
                        .as_str()
                        .with_context(|| format!("element id in {v}"))?
                        .to_owned());
                }
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

    /// Clicks something that loads a new page (a form button, a link) and waits for the new
    /// document to be loaded, so that later lookups never see the old page.
    async fn submit(&self, css: &str) -> anyhow::Result<()> {
        self.script("window.__halaman_lama = true").await?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(15);
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
        self.call("POST", &format!("/element/{e}/clear"), None)
            .await?;
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

    async fn url(&self) -> anyhow::Result<String> {
        Ok(self
            .call("GET", "/url", None)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Waits until the element's text satisfies `ok`.
    async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = self.text(css).await.unwrap_or_default();
            if ok(&t) {
                return Ok(t);
            }
            if Instant::now() > deadline {
                bail!("{css}: text {t:?} never matched");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG screenshot as `NAME.png` in `$REKAM_SCREENSHOTS`, when that is set.
    async fn shot(&self, name: &str) -> anyhow::Result<()> {
        let Ok(dir) = std::env::var("REKAM_SCREENSHOTS") else {
            return Ok(());
        };
        use base64::Engine as _;
        let v = self.call("GET", "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().context("png")?)?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Prints the page to PDF on A5 paper; returns the number of pages.
    async fn print_a5_pages(&self) -> anyhow::Result<usize> {
        self.print_pages(14.8, 21.0).await
    }

    /// Prints the page to PDF on paper of `width` x `height` cm; returns the number of pages.
    async fn print_pages(&self, width: f64, height: f64) -> anyhow::Result<usize> {
        let v = self
            .call(
                "POST",
                "/print",
                Some(json!({"page": {"width": width, "height": height}, "background": false})),
            )
            .await?;
        use base64::Engine as _;
        let pdf = base64::engine::general_purpose::STANDARD.decode(v.as_str().context("pdf")?)?;
        let text = String::from_utf8_lossy(&pdf);
        Ok(text.matches("/Type /Page").count() - text.matches("/Type /Pages").count())
    }
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
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
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

fn start_office(dir: &Path) -> anyhow::Result<(Proc, Proc, String)> {
    let data = dir.join("data");
    add_operators(&data, &["reg", "rek"])?;
    let mut sim = Command::new(agent_exe());
    sim.args(["device-sim", "--listen", "127.0.0.1:0"]);
    let sim = Proc::spawn(sim, dir.join("sim.log"), "listening on ")?;
    let mut agent = Command::new(agent_exe());
    agent
        .args(["serve", "--data"])
        .arg(&data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--kecamatan",
            "130101",
            "--device-url",
        ])
        .arg(format!("http://{}", sim.addr));
    let agent = Proc::spawn(agent, dir.join("agent.log"), "listening on ")?;
    let base = format!("http://{}", agent.addr);
    Ok((agent, sim, base))
}

async fn login(s: &Session, base: &str, user: &str) -> anyhow::Result<()> {
    s.goto(&format!("{base}/login")).await?;
    s.type_into("#username", user).await?;
    s.type_into("#password", PASSWORD).await?;
    s.submit("#masuk").await?;
    s.wait_text("h1", |t| t.contains("Selamat bekerja")).await?;
    Ok(())
}

#[tokio::test]
async fn one_resident_through_steps_1_to_4_in_chromium() -> anyhow::Result<()> {
    // A missing browser fails the test unless REKAM_SKIP_MISSING=1 asks to skip it.
    if let Needed::Skip(_) = external::require(
        &[CHROMIUM, CHROMEDRIVER],
        "apt-get install chromium chromium-driver",
    )? {
        return Ok(());
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir()?;
    let (agent, _sim, base) = start_office(dir.path())?;
    let driver = start_driver().await?;
    let s = new_session(&driver, &dir.path().join("profil")).await?;
    let result = walk(&s, &base).await;
    let _ = s.call("DELETE", "", None).await;
    if result.is_err() {
        eprintln!("agent log:\n{}", agent.log());
    }
    result
}

async fn walk(s: &Session, base: &str) -> anyhow::Result<()> {
    // --- Registration desk, steps 1-2.
    login(s, base, "reg").await?;
    s.goto(&format!("{base}/registrasi")).await?;
    let devices = s.wait_text("#perangkat", |t| t.contains("siap")).await?;
    assert!(devices.contains("Pemindai sidik jari"), "{devices}");
    let width = s
        .script("return document.documentElement.scrollWidth")
        .await?;
    assert!(
        width.as_u64().unwrap_or(9999) <= 1366,
        "page wider than the laptop: {width}"
    );
    s.type_into("#nik", "1301011705900001").await?;
    s.type_into("#no_kk", "1301010110200001").await?;
    s.type_into("#nama", "Rahmat Hidayat").await?;
    s.type_into("#tempat_lahir", "Painan").await?;
    s.script("document.getElementById('tanggal_lahir').value = '1990-05-17'")
        .await?;
    s.script("document.getElementById('jenis_kelamin').value = 'laki_laki'")
        .await?;
    s.type_into("#alamat", "Jl. Pantai Carocok No. 5").await?;
    s.type_into("#rt", "2").await?;
    s.type_into("#rw", "1").await?;
    s.type_into("#nagari", "Painan Selatan").await?;
    s.submit("#buat").await?;
    s.wait_text("#status", |t| t == "penyerahan_berkas").await?;
    let page_url = s.url().await?;
    s.click("#berkas_hadir_sendiri").await?;
    s.click("#berkas_kk").await?;
    s.submit("#terima").await?;
    s.wait_text("#status", |t| t == "berkas_diterima").await?;
    s.shot("1-berkas-diterima").await?;
    let layak = s.text("#kelayakan").await?;
    assert!(layak.contains("Memenuhi syarat"), "{layak}");
    s.submit("#periksa").await?;
    s.wait_text("#status", |t| t == "pengecekan_biometrik")
        .await?;
    s.submit("#cek").await?;
    s.wait_text("#status", |t| t == "menunggu_perekaman")
        .await?;
    assert_eq!(s.text("#nomor-antrian").await?, "001");
    assert!(s.text("#hasil-cek").await?.contains("0 lokal"));

    // --- The receipt: right content, one A5 page when printed.
    s.goto(&format!("{page_url}/tanda-terima")).await?;
    assert_eq!(s.text("#slip-nomor").await?, "001");
    s.shot("2-tanda-terima").await?;
    let slip = s.text("#tanda-terima").await?;
    assert!(slip.contains("BUKTI TANDA TERIMA PERMOHONAN"), "{slip}");
    assert!(slip.contains("Rahmat Hidayat"));
    assert_eq!(s.print_a5_pages().await?, 1, "receipt must fit one A5 page");
    assert_eq!(
        s.print_pages(8.0, 30.0).await?,
        1,
        "receipt must fit one 80 mm thermal slip"
    );

    // --- Recording desk, step 3.
    s.goto(base).await?;
    s.submit("#keluar").await?;
    login(s, base, "rek").await?;
    s.goto(&format!("{base}/perekaman")).await?;
    s.type_into("#loket", "2").await?;
    s.submit("#panggil-berikut").await?;
    s.wait_text("#status", |t| t == "dipanggil").await?;
    assert_eq!(s.url().await?, page_url);

    // --- The waiting-room display shows the call (it polls the queue).
    s.goto(&format!("{base}/antrian")).await?;
    s.wait_text("#nomor", |t| t == "001").await?;
    s.shot("3-layar-antrian").await?;
    assert_eq!(s.text("#loket").await?, "Loket 2");

    s.goto(&page_url).await?;
    let width = s
        .script("return document.documentElement.scrollWidth")
        .await?;
    assert!(
        width.as_u64().unwrap_or(9999) <= 1366,
        "recording page wider than the laptop: {width}"
    );
    for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
        s.submit(&format!("#rekam-{m}")).await?;
        s.wait_text("#status", |t| t == "dipanggil").await?;
    }
    s.shot("4-perekaman").await?;
    let table = s.text("#tabel-biometrik").await?;
    assert!(!table.contains("belum"), "every sample captured: {table}");
    assert!(table.contains("Jempol kanan"));
    s.submit("#berhasil").await?;
    s.wait_text("#status", |t| t == "terekam").await?;
    let bukti = s.text("#nomor-bukti").await?;
    assert!(bukti.starts_with("130101-"), "{bukti}");

    // --- The proof of recording.
    s.goto(&format!("{page_url}/bukti")).await?;
    assert_eq!(s.text("#slip-bukti").await?, bukti);
    let proof = s.text("#bukti-perekaman").await?;
    assert!(proof.contains("TANDA BUKTI PEREKAMAN"));
    assert!(proof.contains("10 sidik jari, 2 iris"));
    assert_eq!(s.print_a5_pages().await?, 1, "proof must fit one A5 page");

    // --- Step 4 and the register book.
    s.goto(&page_url).await?;
    s.submit("#serahkan").await?;
    s.wait_text("#status", |t| t == "diserahkan").await?;
    s.goto(&format!("{base}/buku")).await?;
    let width = s
        .script("return document.documentElement.scrollWidth")
        .await?;
    assert!(
        width.as_u64().unwrap_or(9999) <= 1366,
        "register book wider than the laptop: {width}"
    );
    s.shot("5-buku").await?;
    let book = s.text("#buku").await?;
    assert!(book.contains("Rahmat Hidayat"), "{book}");
    assert!(book.contains("Selesai, diserahkan"), "{book}");
    assert!(book.contains(&bukti));
    let csv_href = s
        .script("return document.getElementById('unduh-csv').getAttribute('href')")
        .await?;
    assert!(
        csv_href
            .as_str()
            .unwrap_or("")
            .starts_with("/buku.csv?tanggal=")
    );
    Ok(())
}
