//! A small WebDriver client (the W3C protocol over HTTP, no client library) for the browser
//! tests: starts Debian's `chromedriver`, opens headless Chromium sessions at 1366x768, and
//! drives pages the way an operator does (find, click, type, submit and wait for the new page,
//! read text, screenshots, print to PDF).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::harness::free_port;

/// Where Debian installs Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian installs ChromeDriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The chromedriver process; killed on drop.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver on a free port of 127.0.0.1 and waits until it answers.
pub async fn start_driver() -> anyhow::Result<Driver> {
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

/// Which certificates the browser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sertifikat {
    /// Only what a fresh profile trusts (plain HTTP pages need nothing more).
    Biasa,
    /// Also one from the district CA, which a fresh profile does not trust (the HTTP-level
    /// tests check that chain against the CA).
    TerimaCaDistrik,
}

/// A browser session.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// Opens a headless Chromium session (1366x768, profile in `profile`).
pub async fn new_session(
    driver: &Driver,
    profile: &Path,
    sertifikat: Sertifikat,
) -> anyhow::Result<Session> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "acceptInsecureCerts": sertifikat == Sertifikat::TerimaCaDistrik,
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

/// `target/test-artifacts/` of this workspace, or `$REKAM_SCREENSHOTS` when set.
pub fn artifacts() -> PathBuf {
    std::env::var("REKAM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts"))
}

impl Session {
    /// One WebDriver command; its `value`, or an error naming the command and the answer.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
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

    /// Opens `url`.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .await?;
        Ok(())
    }

    /// The element `css` selects, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> anyhow::Result<String> {
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

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let e = self.find(css).await?;
        self.call("POST", &format!("/element/{e}/click"), None)
            .await?;
        Ok(())
    }

    /// Clicks something that loads a new page (a form button, a link) and waits (up to 30 s)
    /// for the new document to be loaded, so that later lookups never see the old page.
    pub async fn submit(&self, css: &str) -> anyhow::Result<()> {
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

    /// Clears the field `css` selects and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
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

    /// The rendered text of the element `css` selects.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let e = self.find(css).await?;
        let v = self
            .call("GET", &format!("/element/{e}/text"), None)
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `js` in the page (the test's own probes; the pages themselves have no inline
    /// script) and returns what it returns.
    pub async fn script(&self, js: &str) -> anyhow::Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// The address of the page shown.
    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self
            .call("GET", "/url", None)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Waits (up to 10 s) until the element's text satisfies `ok`.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
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

    /// Saves a PNG screenshot as `NAME.png` in [`artifacts`].
    pub async fn shot(&self, name: &str) -> anyhow::Result<()> {
        use base64::Engine as _;
        let dir = artifacts();
        let v = self.call("GET", "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().context("png")?)?;
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Prints the page to PDF on A5 paper; returns the number of pages.
    pub async fn print_a5_pages(&self) -> anyhow::Result<usize> {
        self.print_pages(14.8, 21.0).await
    }

    /// Prints the page to PDF on paper of `width` x `height` cm; returns the number of pages.
    pub async fn print_pages(&self, width: f64, height: f64) -> anyhow::Result<usize> {
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
