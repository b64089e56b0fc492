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

/// The CSRF token in the page's first operator form.
fn csrf_of(page: &str) -> String {
    let at =
        page.find(r#"name="csrf" value=""#).expect("csrf field") + r#"name="csrf" value=""#.len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn kepala_ukl_adds_disables_and_resets_operators_on_the_page() {
    let o = office().await;
    // Other roles: 403 on the page and on every action, nothing changes.
    let mut reg = Browser::new(&o);
    reg.login("reg").await;
    let (s, _, body) = reg.get("/operator").await;
    assert_eq!(s, 403, "{body}");
    let (s, _, _) = reg
        .post(
            "/operator/tambah",
            &[
                ("username", "susup"),
                ("peran", "kepala-ukl"),
                ("password", "kata-sandi-baru"),
            ],
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        o.count("SELECT count(*) FROM operator WHERE username = 'susup'"),
        0
    );

    let mut kepala = Browser::new(&o);
    kepala.login("kepala").await;
    let (s, _, page) = kepala.get("/operator").await;
    assert_eq!(s, 200, "{page}");
    let csrf = csrf_of(&page);

    // Without (or with a wrong) CSRF token: refused, nothing added.
    let add = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("username".to_owned(), "siti".to_owned()),
            ("peran".to_owned(), "operator-perekaman".to_owned()),
            ("password".to_owned(), "sandi-siti-123".to_owned()),
        ]
    };
    for bad in ["", "00"] {
        let f = add(bad);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (s, _, body) = kepala.post("/operator/tambah", &f).await;
        assert_eq!(s, 403, "{body}");
        assert!(body.contains("CSRF"), "{body}");
    }
    assert_eq!(
        o.count("SELECT count(*) FROM operator WHERE username = 'siti'"),
        0
    );

    // Bad input names the field and adds nothing.
    let (s, _, body) = kepala
        .post(
            "/operator/tambah",
            &[
                ("csrf", &csrf),
                ("username", "siti"),
                ("peran", "operator-perekaman"),
                ("password", "pendek"),
            ],
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("kolom: password"), "{body}");
    assert_eq!(
        o.count("SELECT count(*) FROM operator WHERE username = 'siti'"),
        0
    );

    // Add: the new operator can log in with the password set on the page (argon2 hash).
    let f = add(&csrf);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, _, body) = kepala.post("/operator/tambah", &f).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Operator siti ditambahkan"), "{body}");
    let hash: String = {
        let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
        c.query_row(
            "SELECT password_hash FROM operator WHERE username = 'siti'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let login = |pw: &'static str| {
        let o = &o;
        async move {
            o.post_json(
                None,
                "/api/login",
                serde_json::json!({"username": "siti", "password": pw}),
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(login("sandi-siti-123").await, 200);
    // The same username again: 409.
    let (s, _, body) = kepala.post("/operator/tambah", &f).await;
    assert_eq!(s, 409, "{body}");

    // Reset: the old password stops working, the new one works.
    let (s, _, body) = kepala
        .post(
            "/operator/atur-ulang",
            &[
                ("csrf", &csrf),
                ("reset_username", "siti"),
                ("reset_password", "sandi-baru-456"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(login("sandi-siti-123").await, 401);
    assert_eq!(login("sandi-baru-456").await, 200);

    // Disable: siti can no longer log in; the kepala UKL cannot disable themself.
    let (s, _, body) = kepala
        .post(
            "/operator/nonaktifkan",
            &[("csrf", &csrf), ("username", "siti")],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Operator siti dinonaktifkan"), "{body}");
    assert_eq!(login("sandi-baru-456").await, 401);
    let (s, _, _) = kepala
        .post(
            "/operator/nonaktifkan",
            &[("csrf", &csrf), ("username", "kepala")],
        )
        .await;
    assert_eq!(s, 400);

    // Every action is in the audit trail, by the kepala UKL, never with the password.
    let audit: Vec<(String, String, String)> = {
        let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
        let mut st = c
            .prepare("SELECT operator, action, detail FROM audit_log WHERE action LIKE 'operator.%' AND detail LIKE '%siti%' ORDER BY rowid")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let actions: Vec<&str> = audit.iter().map(|(_, a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "operator.tambah",
            "operator.atur_ulang_sandi",
            "operator.nonaktif"
        ],
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .all(|(by, _, d)| by == "kepala" && d.contains("siti")),
        "{audit:?}"
    );
    assert!(
        audit.iter().all(|(_, _, d)| !d.contains("sandi-")),
        "{audit:?}"
    );
}

/// Stores one active resident in the office's copy of the register, as the sync daemon does.
fn simpan_register(o: &Office, v: &serde_json::Value) {
    use rekam_shared::register::{
        Agama, BagianRegister, EntriRegister, PendudukTerdaftar, StatusPenduduk,
    };
    let mut v = v.clone();
    v["rt"] = serde_json::json!(v["rt"].as_str().unwrap().parse::<u16>().unwrap());
    v["rw"] = serde_json::json!(v["rw"].as_str().unwrap().parse::<u16>().unwrap());
    let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let b = BagianRegister {
        head: 1,
        versi: 1,
        more: false,
        entri: vec![EntriRegister {
            seq: 1,
            data: PendudukTerdaftar {
                penduduk: serde_json::from_value(v).unwrap(),
                agama: Agama::Islam,
                pekerjaan: "NELAYAN/PERIKANAN".into(),
                status: StatusPenduduk::Aktif,
            },
        }],
    };
    rekam_agent::sync::register::simpan(&c, &b, chrono::Utc::now()).unwrap();
}

#[tokio::test]
async fn a_field_typed_over_the_register_value_is_audited_when_the_application_is_saved() {
    let o = office().await;
    let terdaftar = dewasa(81);
    simpan_register(&o, &terdaftar);
    let mut reg = Browser::new(&o);
    reg.login("reg").await;
    let (_, _, page) = reg.get("/registrasi").await;
    assert!(
        page.contains(r#"<script src="/static/penduduk.js">"#),
        "{page}"
    );
    assert!(page.contains(r#"id="info-register""#), "{page}");

    // Saved as the register has it: no change recorded.
    let form = form_of(&terdaftar);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, url, body) = reg.post("/registrasi", &pairs).await;
    assert_eq!(s, 200, "{body}");
    assert!(url.starts_with("/permohonan/"), "{url}");
    let changes = "SELECT count(*) FROM audit_log WHERE action = 'registrasi.ubah_data_register'";
    assert_eq!(o.count(changes), 0);

    // Another resident of the register, with the name and the address typed differently.
    let kedua = dewasa(82);
    simpan_register(&o, &kedua);
    let mut form = form_of(&kedua);
    for (k, v) in form.iter_mut() {
        match k.as_str() {
            "nama" => *v = "Penduduk Uji Delapan Dua".into(),
            "alamat" => *v = "Jl. Baru No. 1".into(),
            _ => {}
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (s, url, body) = reg.post("/registrasi", &pairs).await;
    assert_eq!(s, 200, "{body}");
    let id = url.trim_start_matches("/permohonan/").to_owned();
    assert_eq!(o.count(changes), 1);
    let c = rusqlite::Connection::open(o.dir.path().join("data/rekam-agent.db")).unwrap();
    let (by, pid, detail): (String, String, String) = c
        .query_row(
            "SELECT operator, permohonan_id, detail FROM audit_log WHERE action = 'registrasi.ubah_data_register'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((by.as_str(), pid.as_str()), ("reg", id.as_str()));
    assert_eq!(
        detail,
        r#"nama: "Penduduk Uji 82" -> "Penduduk Uji Delapan Dua"; alamat: "Jl. Pantai Carocok No. 5" -> "Jl. Baru No. 1""#
    );
    let nik = kedua["nik"].as_str().unwrap();
    assert!(!detail.contains(nik), "no NIK in the change entry");
}
