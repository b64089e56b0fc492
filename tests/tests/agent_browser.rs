//! End-to-end test of the desk UI in headless Chromium: the real `rekam-agent` binary (no hub:
//! the office works offline) and its device simulator, driven through WebDriver
//! (`chromedriver`) the way operators use it: one resident through SOP steps 1-4, checking
//! the receipt (one A5 page when printed), the waiting-room display, the proof of recording
//! and the register book, on a 1366x768 window.
//!
//! Fails when `chromium` or `chromedriver` is not installed, unless `REKAM_SKIP_MISSING=1`
//! asks to skip it ([`rekam_tests::external`]).

use std::path::Path;
use std::process::Command;

use rekam_tests::external::{self, Needed};
use rekam_tests::harness::{PASSWORD, Proc, add_operators, agent_exe};
use rekam_tests::webdriver::{
    CHROMEDRIVER, CHROMIUM, Sertifikat, Session, new_session, start_driver,
};

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
    let s = new_session(&driver, &dir.path().join("profil"), Sertifikat::Biasa).await?;
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
