//! The desk pages over plain HTTP (forms, cookies, redirects): the same flow as the browser
//! test, fast, plus the page-side handling of errors and double submits.

mod common;

use common::*;

struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(o: &Office) -> Browser {
        Browser {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: o.base.clone(),
        }
    }
    async fn get(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let url = r.url().path().to_owned();
        (r.status().as_u16(), url, r.text().await.unwrap())
    }
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let url = r.url().path().to_owned();
        (r.status().as_u16(), url, r.text().await.unwrap())
    }
    /// Logs in through the form; keeps the session cookie like a browser.
    async fn login(&mut self, user: &str) {
        let raw = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = raw
            .post(format!("{}/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={user}&password={PASSWORD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let pair = cookie.split(';').next().unwrap().to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", pair.parse().unwrap());
        self.http = reqwest::Client::builder()
            .no_proxy()
            .default_headers(headers)
            .build()
            .unwrap();
    }
}

fn form_of(p: &serde_json::Value) -> Vec<(String, String)> {
    p.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn desk_pages_walk_steps_1_to_4() {
    let o = office().await;
    o.subjek(7).await;
    let mut reg = Browser::new(&o);
    // Not logged in: redirected to the login page.
    let (_, url, _) = reg.get("/registrasi").await;
    assert_eq!(url, "/login");
    let (s, _, body) = reg
        .post(
            "/login",
            &[("username", "reg"), ("password", "salah-salah")],
        )
        .await;
    assert_eq!(s, 401);
    assert!(body.contains("nama pengguna atau kata sandi salah"));
    reg.login("reg").await;

    // Step 1: a malformed NIK is refused with the field named, nothing stored.
    let mut p = form_of(&dewasa(70));
    let good_nik = p.iter().find(|(k, _)| k == "nik").unwrap().1.clone();
    p.iter_mut().find(|(k, _)| k == "nik").unwrap().1 = "12345".into();
    let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, _, body) = reg.post("/registrasi", &pairs).await;
    assert_eq!(s, 400);
    assert!(body.contains("NIK harus 16 angka"), "{body}");
    assert!(
        body.contains("value=\"Penduduk Uji 70\""),
        "form keeps the typed data"
    );
    assert_eq!(o.count("SELECT count(*) FROM permohonan"), 0);

    p.iter_mut().find(|(k, _)| k == "nik").unwrap().1 = good_nik;
    let mut pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.push(("idempotency_key", "halaman-1"));
    let (s, url, body) = reg.post("/registrasi", &pairs).await;
    assert_eq!(s, 200, "{body}");
    assert!(url.starts_with("/permohonan/"));
    let id = url.trim_start_matches("/permohonan/").to_owned();
    assert!(body.contains("penyerahan_berkas"));
    // Double submit of the same form: same application, nothing new.
    let (_, url2, _) = reg.post("/registrasi", &pairs).await;
    assert_eq!(url2, url);
    assert_eq!(o.count("SELECT count(*) FROM permohonan"), 1);

    let base = format!("/permohonan/{id}");
    let (_, _, body) = reg
        .post(
            &format!("{base}/terima-berkas"),
            &[("berkas", "hadir_sendiri"), ("berkas", "kk")],
        )
        .await;
    assert!(
        body.contains("Memenuhi syarat perekaman: umur 36 tahun"),
        "{body}"
    );
    let (_, _, body) = reg
        .post(
            &format!("{base}/periksa-berkas"),
            &[("berkas", "hadir_sendiri"), ("berkas", "kk")],
        )
        .await;
    assert!(body.contains("pengecekan_biometrik"), "{body}");
    let (_, _, body) = reg.post(&format!("{base}/cek-biometrik"), &[]).await;
    assert!(body.contains("belum pernah direkam"), "{body}");
    assert!(body.contains("id=\"nomor-antrian\">001<"), "{body}");
    let (s, _, slip) = reg.get(&format!("{base}/tanda-terima")).await;
    assert_eq!(s, 200);
    assert!(slip.contains("BUKTI TANDA TERIMA PERMOHONAN"));
    assert!(slip.contains(">001<"));
    assert!(slip.contains("Pancung Soal"));

    // The recording desk.
    let mut rek = Browser::new(&o);
    rek.login("rek").await;
    let (_, url, _) = rek.post("/perekaman/panggil", &[("loket", "3")]).await;
    assert_eq!(url, base);
    let (_, _, display) = rek.get("/antrian").await;
    assert!(display.contains("id=\"nomor\""));
    let (_, _, body) = rek.post(&format!("{base}/berhasil"), &[]).await;
    assert!(body.contains("perekaman belum lengkap"), "{body}");
    for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
        let (s, _, body) = rek.post(&format!("{base}/rekam/{m}"), &[]).await;
        assert_eq!(s, 200, "{m}: {body}");
    }
    let (_, _, body) = rek.get(&base).await;
    assert!(!body.contains("<td>belum</td>"), "every sample captured");
    let (_, _, body) = rek.post(&format!("{base}/berhasil"), &[]).await;
    assert!(body.contains("terekam"), "{body}");
    let (s, _, proof) = rek.get(&format!("{base}/bukti")).await;
    assert_eq!(s, 200);
    assert!(proof.contains("TANDA BUKTI PEREKAMAN"));
    assert!(proof.contains("10 sidik jari, 2 iris"));
    let (_, _, body) = rek.post(&format!("{base}/serahkan"), &[]).await;
    assert!(body.contains("diserahkan"), "{body}");
    // No hub in this test: the district's decision is awaited, and the page says so.
    let (_, _, body) = rek.get(&base).await;
    assert!(body.contains("Keputusan kabupaten: belum ada"), "{body}");

    let (_, _, book) = reg.get("/buku").await;
    assert!(book.contains("Penduduk Uji 70"));
    assert!(book.contains("Selesai, diserahkan"));
    assert!(book.contains("id=\"statistik\""));
    assert!(book.contains("<h2>Operator rek</h2>"));
    let (s, _, csv) = reg.get("/buku.csv").await;
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count(), 2);
    // Only the kepala UKL sees the audit log page.
    let (s, _, _) = reg.get("/audit").await;
    assert_eq!(s, 403);
    let mut kepala = Browser::new(&o);
    kepala.login("kepala").await;
    let (s, _, audit) = kepala.get("/audit").await;
    assert_eq!(s, 200);
    assert!(audit.contains("perekaman.berhasil") && audit.contains("Operator Perekaman"));
    // The registration operator may not record.
    let (s, _, _) = reg.post(&format!("{base}/serahkan"), &[]).await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn search_by_nik_and_late_step_reason_at_the_desk() {
    let o = office().await;
    let mut reg = Browser::new(&o);
    reg.login("reg").await;
    let p = dewasa(71);
    let nik = p["nik"].as_str().unwrap().to_owned();
    // Unknown NIK: the form is prefilled with it and says so.
    let (_, _, body) = reg.get(&format!("/registrasi?nik={nik}")).await;
    assert!(body.contains("NIK belum ada di kantor ini"));
    assert!(body.contains(&format!("value=\"{nik}\"")));
    let form = form_of(&p);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, url, _) = reg.post("/registrasi", &pairs).await;
    // Known NIK: the resident's data comes back.
    let (_, _, body) = reg.get(&format!("/registrasi?nik={nik}")).await;
    assert!(body.contains("Data penduduk ditemukan"));
    assert!(body.contains("value=\"Penduduk Uji 71\""));

    // Step 1 runs over its 5 minutes: the page shows it, and the form needs a reason.
    o.clock.advance(7 * 60);
    let (_, _, body) = reg.get(&url).await;
    assert!(body.contains(r#"class="terlambat""#), "timer shown as late");
    let (s, _, body) = reg
        .post(
            &format!("{url}/terima-berkas"),
            &[("berkas", "hadir_sendiri"), ("berkas", "kk")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("alasan keterlambatan wajib diisi"), "{body}");
    let (s, _, body) = reg
        .post(
            &format!("{url}/terima-berkas"),
            &[
                ("berkas", "hadir_sendiri"),
                ("berkas", "kk"),
                ("alasan_terlambat", "lainnya"),
                ("keterangan_terlambat", "listrik <b>padam</b>"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("Lainnya: listrik &lt;b&gt;padam&lt;/b&gt;"),
        "{body}"
    );
    assert!(!body.contains("<b>padam</b>"), "operator text is escaped");

    // A device sending garbage: the desk shows a clear message, nothing changes.
    let (_, _, body) = reg
        .post(
            &format!("{url}/periksa-berkas"),
            &[("berkas", "hadir_sendiri"), ("berkas", "kk")],
        )
        .await;
    assert!(body.contains("pengecekan_biometrik"), "{body}");
    o.sim_mode("sampah").await;
    let (s, _, body) = reg.post(&format!("{url}/cek-biometrik"), &[]).await;
    assert_eq!(s, 502);
    assert!(
        body.contains("Perangkat biometrik mengirim data rusak"),
        "{body}"
    );
    assert!(
        body.contains(r#"id="status">pengecekan_biometrik<"#),
        "{body}"
    );
    o.sim_mode("normal").await;
    let (s, _, body) = reg.post(&format!("{url}/cek-biometrik"), &[]).await;
    assert_eq!(s, 200);
    assert!(body.contains("menunggu_perekaman"), "{body}");
}
