//! End-to-end tests of the dashboard's statistics pages (docs/dashboard.md) with the real
//! `rekam-hub` and two real `rekam-agent` offices on 127.0.0.1:
//!
//! - the overview's numbers (fetched as the CSV export over HTTPS) equal counts computed
//!   independently from the hub's stored automerge documents (replayed with `rekam_shared`
//!   in [`rekam_tests::harness::hub_applications`], decisions read by `rekam-hub inspect`),
//!   not from the read model; the targets editor (admin) sets a target and the coverage follows;
//!   exports are attachments, never cached, formulas neutralised, codes as XLSX text cells;
//! - in headless Chromium: log in, the overview with both offices, the offices page, the time
//!   standards page with its histograms, the CSV and XLSX links of the pages downloaded and
//!   read; screenshots into `target/test-artifacts/`.
//!
//! The browser test fails when `chromium` or `chromedriver` is missing, unless
//! `REKAM_SKIP_MISSING=1` ([`rekam_tests::external`]).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use rekam_tests::dashboard::{self, Client, PASSWORD, WebHub};
use rekam_tests::external::{self, Needed};
use rekam_tests::harness::{Office, Pki, free_port, hub_applications, hub_dedup_stats, hub_docs};
use rekam_tests::webdriver::{CHROMEDRIVER, CHROMIUM, Sertifikat, new_session, start_driver};
use serde_json::json;

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A hub with the dashboard and two offices that recorded: 130101 two residents and one
/// returned application; 130102 one resident and one application still open.
struct Dunia {
    _root: tempfile::TempDir,
    pki: Pki,
    data: std::path::PathBuf,
    hub: WebHub,
    _a: Office,
    _b: Office,
}

async fn dunia() -> Dunia {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    dashboard::issue_dashboard(&pki).unwrap();
    let data = root.path().join("hub");
    dashboard::add_user(&data, "admin1", "admin", PASSWORD).unwrap();
    dashboard::add_user(&data, "pemantau", "viewer", PASSWORD).unwrap();
    let hub = dashboard::start(&data, &pki, localhost(free_port()), &[]).unwrap();
    let a = Office::create(root.path(), &pki, "130101", &hub.sync_url())
        .await
        .unwrap();
    let b = Office::create(root.path(), &pki, "130102", &hub.sync_url())
        .await
        .unwrap();
    let (reg_a, rek_a) = (a.login("reg").await.unwrap(), a.login("rek").await.unwrap());
    let (reg_b, rek_b) = (b.login("reg").await.unwrap(), b.login("rek").await.unwrap());
    a.record(&reg_a, &rek_a, 1).await.unwrap();
    a.record(&reg_a, &rek_a, 2).await.unwrap();
    b.record(&reg_b, &rek_b, 1).await.unwrap();
    // 130101: documents incomplete, returned at step 1.
    let v = a
        .post(
            &reg_a,
            "/api/permohonan",
            json!({"penduduk": rekam_tests::harness::resident("130101", 3)}),
        )
        .await
        .unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    a.post(
        &reg_a,
        &format!("/api/permohonan/{id}/tolak"),
        json!({"alasan": "berkas_tidak_lengkap", "keterangan": ""}),
    )
    .await
    .unwrap();
    // 130102: opened only.
    b.post(
        &reg_b,
        "/api/permohonan",
        json!({"penduduk": rekam_tests::harness::resident("130102", 2)}),
    )
    .await
    .unwrap();

    // Wait until the hub holds all five documents in their final state and decided the three
    // recordings.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let apps = hub_applications(&data).unwrap();
        let terekam = apps.iter().filter(|a| a.status == "terekam").count();
        let kembali = apps
            .iter()
            .filter(|a| a.status == "berkas_dikembalikan")
            .count();
        let s = hub_dedup_stats(&data).unwrap();
        if apps.len() == 5 && terekam == 3 && kembali == 1 && s["decided"] == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not synced: {apps:?} {s}\n{}",
            hub.proc.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Dunia {
        _root: root,
        pki,
        data,
        hub,
        _a: a,
        _b: b,
    }
}

async fn post(c: &mut Client, v: Vec<(&'static str, String)>) -> dashboard::Answer {
    let r: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post("/target", &r).await.unwrap()
}

/// Counts per kecamatan computed from the stored documents alone.
#[derive(Debug, Default, PartialEq, Eq)]
struct Hitung {
    permohonan: u64,
    terekam: u64,
    unik: u64,
    menunggu: u64,
    duplikat: u64,
    kembali: u64,
}

fn dari_dokumen(data: &Path) -> BTreeMap<String, Hitung> {
    let hasil: BTreeMap<String, String> = hub_docs(data)
        .unwrap()
        .into_iter()
        .filter_map(|d| Some((d.id, d.keputusan?["hasil"].as_str()?.to_owned())))
        .collect();
    let mut out: BTreeMap<String, Hitung> = BTreeMap::new();
    for a in hub_applications(data).unwrap() {
        let h = out.entry(a.kecamatan.clone()).or_default();
        h.permohonan += 1;
        match a.status.as_str() {
            "terekam" | "diserahkan" => {
                h.terekam += 1;
                match hasil.get(&a.id).map(String::as_str) {
                    Some("unik") => h.unik += 1,
                    Some("duplikat") => h.duplikat += 1,
                    _ => h.menunggu += 1,
                }
            }
            "berkas_dikembalikan" | "sudah_rekam" => h.kembali += 1,
            _ => {}
        }
    }
    out
}

/// A small CSV reader (quotes, doubled quotes, CRLF).
fn csv(teks: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in teks.split("\r\n").filter(|l| !l.is_empty()) {
        let mut row = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => row.push(std::mem::take(&mut cell)),
                _ => cell.push(c),
            }
        }
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The rows of CSV `rows` as maps from the header's names.
fn by_header(rows: &[Vec<String>]) -> Vec<BTreeMap<String, String>> {
    rows[1..]
        .iter()
        .map(|r| rows[0].iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

/// An XLSX file's entry `name` as text.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The `<c>` element of cell `r` (e.g. `A2`) in a sheet's XML.
fn cell<'a>(sheet: &'a str, r: &str) -> &'a str {
    let at = sheet
        .find(&format!("<c r=\"{r}\""))
        .unwrap_or_else(|| panic!("no cell {r} in {sheet}"));
    let end = sheet[at..].find("</c>").map_or(sheet.len(), |e| at + e + 4);
    &sheet[at..end]
}

/// The shared string at `index`.
fn shared_string(shared: &str, index: usize) -> String {
    let si: Vec<&str> = shared.split("<si>").skip(1).collect();
    let s = si[index];
    let a = s.find("<t").unwrap();
    let a = a + s[a..].find('>').unwrap() + 1;
    s[a..a + s[a..].find("</t>").unwrap()].to_owned()
}

fn today_wib() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

fn assert_attachment(a: &dashboard::Answer, ext: &str) {
    assert_eq!(a.status, 200, "{a:?}");
    let cd = a.header("content-disposition");
    assert!(cd.starts_with("attachment;") && cd.contains(ext), "{cd}");
    assert_eq!(a.header("cache-control"), "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_numbers_equal_counts_from_the_stored_documents_and_exports_are_safe() {
    let w = dunia().await;
    let mut admin = Client::new(&w.pki, &w.hub.url()).unwrap();
    let login = admin.login("admin1", PASSWORD).await.unwrap();
    assert_eq!(login.header("location"), "/ikhtisar", "{login:?}");

    // A target for 130101 through the editor (admin, CSRF, audited); a bad one names its field.
    let page = admin.get("/target").await.unwrap();
    assert_eq!(page.status, 200, "{page:?}");
    let csrf = page.csrf().unwrap();
    let tahun = today_wib().format("%Y").to_string();
    let set = |kec: &'static str, nagari: &'static str, n: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("tahun", tahun.clone()),
            ("kecamatan", kec.to_owned()),
            ("nagari", nagari.to_owned()),
            ("wajib_ktp_el", n.to_owned()),
        ]
    };
    let a = post(&mut admin, set("130101", "", "4")).await;
    assert_eq!((a.status, a.header("location")), (303, "/target"), "{a:?}");
    let a = post(&mut admin, set("130101", "", "-4")).await;
    assert_eq!(a.status, 422, "{a:?}");
    assert!(a.body.contains("\"field\":\"wajib_ktp_el\""), "{}", a.body);
    // A nagari written like a formula, to see the CSV neutralise it.
    let a = post(&mut admin, set("130102", "=HYPERLINK(\"x\")", "7")).await;
    assert_eq!(a.status, 303, "{a:?}");
    let c = rusqlite::Connection::open_with_flags(
        w.data.join("rekam-hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let audited: u64 = c
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'admin1' AND action = 'target.set'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);

    // A viewer may not edit targets.
    let mut viewer = Client::new(&w.pki, &w.hub.url()).unwrap();
    viewer.login("pemantau", PASSWORD).await.unwrap();
    assert_eq!(viewer.get("/target").await.unwrap().status, 403);
    let vcsrf = viewer.get("/ikhtisar").await.unwrap().csrf().unwrap();
    let a = viewer
        .post(
            "/target",
            &[
                ("csrf", &vcsrf),
                ("tahun", &tahun),
                ("kecamatan", "130101"),
                ("nagari", ""),
                ("wajib_ktp_el", "1"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 403, "{a:?}");

    // Bad dates: 400 naming the field.
    let a = viewer
        .get("/ikhtisar?dari=2026-02-30&sampai=2026-03-01")
        .await
        .unwrap();
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.body.contains("\"field\":\"dari\""), "{}", a.body);
    let a = viewer
        .get("/waktu?dari=2026-03-01&sampai=kemarin")
        .await
        .unwrap();
    assert!(
        a.status == 400 && a.body.contains("\"field\":\"sampai\""),
        "{a:?}"
    );

    // The overview's numbers, as exported, against the documents themselves.
    let hari = today_wib();
    let q = format!(
        "dari={}&sampai={}",
        hari - chrono::Days::new(3),
        hari + chrono::Days::new(1)
    );
    let a = viewer
        .get(&format!("/ikhtisar?{q}&format=csv&tabel=ikhtisar"))
        .await
        .unwrap();
    assert_attachment(&a, ".csv");
    let rows = by_header(&csv(&a.body));
    let expected = dari_dokumen(&w.data);
    assert_eq!(expected.len(), 2, "{expected:?}");
    for (kec, h) in &expected {
        let r = rows
            .iter()
            .find(|r| r["Kode kecamatan"] == *kec)
            .unwrap_or_else(|| panic!("{kec} not in {rows:?}"));
        let n = |col: &str| -> u64 { r[col].parse().unwrap_or_else(|_| panic!("{col}: {r:?}")) };
        let shown = Hitung {
            permohonan: n("Permohonan"),
            terekam: n("Terekam"),
            unik: n("Unik"),
            menunggu: n("Menunggu dedup"),
            duplikat: n("Duplikat"),
            kembali: n("Dikembalikan: berkas tidak lengkap")
                + n("Dikembalikan: belum memenuhi syarat")
                + n("Dikembalikan: sudah rekam")
                + n("Dikembalikan: alasan lain"),
        };
        assert_eq!(&shown, h, "{kec}: {r:?}");
    }
    // 130101: two unique recordings against a target of 4.
    let r = rows
        .iter()
        .find(|r| r["Kode kecamatan"] == "130101")
        .unwrap();
    assert_eq!(r["Dikembalikan: berkas tidak lengkap"], "1", "{r:?}");
    assert_eq!(r["Target wajib KTP-el"], "4", "{r:?}");
    assert_eq!(r["Cakupan (%)"], "50.0", "{r:?}");
    assert_eq!(r["Peringkat"], "kurang", "{r:?}");
    let total = rows
        .iter()
        .find(|r| r["Kode kecamatan"].is_empty())
        .unwrap();
    assert_eq!(total["Permohonan"], "5", "{total:?}");

    // The page itself shows the same, with its charts.
    let page = viewer.get(&format!("/ikhtisar?{q}")).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<svg") && page.body.contains("data-nilai=\"50\""),
        "{}",
        page.body
    );

    // CSV neutralises a formula-like cell; XLSX keeps codes as text cells.
    let a = admin.get("/target?format=csv&tabel=target").await.unwrap();
    assert_attachment(&a, ".csv");
    assert!(a.body.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{}", a.body);
    let a = viewer
        .get(&format!("/ikhtisar?{q}&format=xlsx"))
        .await
        .unwrap();
    assert_attachment(&a, ".xlsx");
    assert_eq!(&a.bytes[..2], b"PK");
    let sheet = zip_entry(&a.bytes, "xl/worksheets/sheet1.xml");
    let shared = zip_entry(&a.bytes, "xl/sharedStrings.xml");
    let a2 = cell(&sheet, "A2");
    assert!(a2.contains("t=\"s\""), "{a2}");
    let idx: usize = a2[a2.find("<v>").unwrap() + 3..a2.find("</v>").unwrap()]
        .parse()
        .unwrap();
    assert_eq!(shared_string(&shared, idx), "130101");
    // A count is a number cell.
    let c2 = cell(&sheet, "C2");
    assert!(!c2.contains("t=\"s\""), "{c2}");
    drop(w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_the_overview_offices_and_time_standards_in_the_browser_and_downloads_exports()
 {
    if let Needed::Skip(_) = external::require(
        &[CHROMIUM, CHROMEDRIVER],
        "apt-get install chromium chromium-driver",
    )
    .unwrap()
    {
        return;
    }
    let w = dunia().await;
    let driver = start_driver().await.unwrap();
    let root = tempfile::tempdir().unwrap();
    let s = new_session(
        &driver,
        &root.path().join("profil"),
        Sertifikat::TerimaCaDistrik,
    )
    .await
    .unwrap();
    s.goto(&format!("{}/", w.hub.url())).await.unwrap();
    s.find("form.login").await.unwrap();
    s.type_into("#nama", "pemantau").await.unwrap();
    s.type_into("#password", PASSWORD).await.unwrap();
    s.submit("#masuk").await.unwrap();
    // Landing page: the overview with both offices.
    let tabel = s.text("#ikhtisar").await.unwrap();
    assert!(s.url().await.unwrap().ends_with("/ikhtisar"));
    assert!(
        tabel.contains("130101") && tabel.contains("130102"),
        "{tabel}"
    );
    s.find("#grafik-tren svg polyline").await.unwrap();
    s.find("#grafik-cakupan svg").await.unwrap();
    s.shot("dasbor-ikhtisar").await.unwrap();
    // A chosen range through the form.
    s.goto(&format!("{}/ikhtisar?rentang=hari_ini", w.hub.url()))
        .await
        .unwrap();
    let aktif = s.text("#rentang-aktif").await.unwrap();
    let hari = today_wib().to_string();
    assert_eq!(aktif, format!("{hari} – {hari}"));

    // Offices page.
    s.click("nav a[href='/kantor']").await.unwrap();
    let kantor = s.text("#kantor").await.unwrap();
    assert!(
        kantor.contains("130101") && kantor.contains("130102"),
        "{kantor}"
    );
    assert!(kantor.contains("WIB"), "{kantor}");
    s.shot("dasbor-kantor").await.unwrap();

    // Time standards page: four histograms, the per-step table with the steps run.
    s.click("nav a[href='/waktu']").await.unwrap();
    let n = s
        .script("return document.querySelectorAll('figure.histogram svg').length")
        .await
        .unwrap();
    assert_eq!(n, 4);
    let langkah = s.text("#langkah").await.unwrap();
    assert!(langkah.contains("Langkah"), "{langkah}");
    s.shot("dasbor-waktu").await.unwrap();

    // The export links of the page, downloaded with the same user's session.
    let href = |sel: &str| format!("return document.querySelector(\"{sel}\").getAttribute('href')");
    let csv_href = s.script(&href("#bagian-per_kantor a.csv")).await.unwrap();
    let xlsx_href = s.script(&href("#bagian-per_kantor a.xlsx")).await.unwrap();
    let mut c = Client::new(&w.pki, &w.hub.url()).unwrap();
    c.login("pemantau", PASSWORD).await.unwrap();
    let a = c
        .get(&format!("/waktu{}", csv_href.as_str().unwrap()))
        .await
        .unwrap();
    assert_attachment(&a, ".csv");
    let rows = csv(&a.body);
    assert_eq!(rows[0][0], "Langkah", "{rows:?}");
    // Steps 1-4 ran at 130101 (two recordings) and 130102.
    for kec in ["130101", "130102"] {
        assert!(rows.iter().any(|r| r[1] == kec), "{kec}: {rows:?}");
    }
    let a = c
        .get(&format!("/waktu{}", xlsx_href.as_str().unwrap()))
        .await
        .unwrap();
    assert_attachment(&a, ".xlsx");
    let wb = zip_entry(&a.bytes, "xl/workbook.xml");
    for sheet in [
        "langkah",
        "histogram",
        "per_kantor",
        "per_operator",
        "alasan",
    ] {
        assert!(wb.contains(&format!("name=\"{sheet}\"")), "{wb}");
    }
    // The kecamatan code of per_kantor (sheet 3) is a text cell.
    let sheet = zip_entry(&a.bytes, "xl/worksheets/sheet3.xml");
    assert!(cell(&sheet, "B2").contains("t=\"s\""), "{sheet}");
    // Printable: the page prints.
    assert!(s.print_pages(21.0, 29.7).await.unwrap() >= 1);
    drop(w);
}
