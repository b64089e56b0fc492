//! End-to-end tests of the district dashboard's web listener (issue 13, docs/dashboard.md) with
//! the real `rekam-hub` binary on 127.0.0.1 over HTTPS: the users CLI (argon2id hashes, weak
//! passwords refused, a disabled user cannot log in), a walk over every route (refused without
//! a session, viewer cannot decide, missing or wrong CSRF token refused, security headers on
//! every answer, login throttling, the operations endpoints), and the idle and absolute
//! session limits.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rekam_tests::dashboard::{self, Client, PASSWORD, WebHub};
use rekam_tests::harness::{Pki, free_port, hub_exe};

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn db(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data.join(rekam_hub::cli::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

fn audit_actions(data: &Path, actor: &str) -> Vec<String> {
    let c = db(data);
    let mut st = c
        .prepare("SELECT action FROM audit_log WHERE actor = ?1 ORDER BY id")
        .unwrap();
    st.query_map([actor], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Runs `rekam-hub user ...` with `stdin`; (success, stdout + stderr).
fn user_cmd(data: &Path, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write as _;
    let mut child = Command::new(hub_exe())
        .arg("user")
        .args(args)
        .arg("--data")
        .arg(data)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn setup(root: &Path, env: &[(&str, &str)]) -> (Pki, std::path::PathBuf, WebHub) {
    let pki = Pki::init(&root.join("pki")).unwrap();
    let out = dashboard::issue_dashboard(&pki).unwrap();
    assert!(out.contains("dashboard certificate"), "{out}");
    let data = root.join("hub");
    for (nama, role) in [
        ("admin1", "admin"),
        ("adjudikator", "pengadjudikasi"),
        ("pemantau", "viewer"),
        ("korban", "viewer"),
    ] {
        dashboard::add_user(&data, nama, role, PASSWORD).unwrap();
    }
    let hub = dashboard::start(&data, &pki, localhost(free_port()), env).unwrap();
    (pki, data, hub)
}

fn assert_security_headers(a: &dashboard::Answer, what: &str) {
    assert_eq!(
        a.header("cache-control"),
        "no-store",
        "{what}: {:?}",
        a.headers
    );
    let csp = a.header("content-security-policy");
    assert!(csp.starts_with("default-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(a.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(a.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(a.header("referrer-policy"), "no-referrer", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_cli_hashes_with_argon2id_refuses_weak_passwords_and_disabled_users() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    dashboard::issue_dashboard(&pki).unwrap();
    let data = root.path().join("hub");

    // Weak or empty passwords, bad names and roles are refused with a clear message.
    for (pw, says) in [
        ("\n", "kosong"),
        ("Ab1\n", "terlalu pendek"),
        ("aaaaaaaaaaaaa\n", "terlalu lemah"),
        ("Sari-Sandi-2026\n", "nama pengguna"),
    ] {
        let (ok, out) = user_cmd(
            &data,
            &["add", "sari", "--role", "viewer", "--password-stdin"],
            pw,
        );
        assert!(!ok && out.contains(says), "{pw:?}: {out}");
    }
    let (ok, out) = user_cmd(
        &data,
        &["add", "Sari!", "--role", "viewer"],
        "Sandi-Kuat-2026\n",
    );
    assert!(!ok && out.contains("tidak sah"), "{out}");
    let (ok, out) = user_cmd(
        &data,
        &["add", "sari", "--role", "root"],
        "Sandi-Kuat-2026\n",
    );
    assert!(!ok && out.contains("root"), "{out}");
    assert_eq!(
        db(&data)
            .query_row("SELECT COUNT(*) FROM pengguna", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        0
    );

    // A good one: stored as an argon2id hash, never the password; audited; no duplicates.
    let (ok, out) = user_cmd(
        &data,
        &[
            "add",
            "sari",
            "--role",
            "pengadjudikasi",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = user_cmd(
        &data,
        &["add", "sari", "--role", "viewer"],
        &format!("{PASSWORD}\n"),
    );
    assert!(!ok && out.contains("sudah ada"), "{out}");
    let (hash, peran): (String, String) = db(&data)
        .query_row(
            "SELECT hash, peran FROM pengguna WHERE nama = 'sari'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    assert_eq!(peran, "pengadjudikasi");
    let file = std::fs::read(data.join(rekam_hub::cli::DB_FILE)).unwrap();
    assert!(
        !file
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the password is in the database file"
    );
    let added: i64 = db(&data)
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'pengguna.tambah' AND detail = 'sari (pengadjudikasi)'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(added, 1);
    let (ok, out) = user_cmd(&data, &["list"], "");
    assert!(ok && out.contains("sari\tpengadjudikasi\taktif"), "{out}");

    // She logs in; disabled while logged in, her session ends and she cannot log in again.
    let hub = dashboard::start(&data, &pki, localhost(free_port()), &[]).unwrap();
    let mut c = Client::new(&pki, &hub.url()).unwrap();
    let a = c.login("sari", PASSWORD).await.unwrap();
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(a.header("location"), "/ikhtisar");
    let set = a.header("set-cookie");
    assert!(
        set.contains("rekam_sesi=")
            && set.contains("HttpOnly")
            && set.contains("Secure")
            && set.contains("SameSite=Strict"),
        "{set}"
    );
    let sesi = c.cookies["rekam_sesi"].clone();
    assert_eq!(sesi.len(), 64, "256-bit id in hex: {sesi}");
    let stored: i64 = db(&data)
        .query_row(
            "SELECT COUNT(*) FROM sesi WHERE id_hash = ?1",
            [&sesi],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "the session id itself is stored");
    assert_eq!(c.get("/kasus").await.unwrap().status, 200);
    let (ok, out) = user_cmd(&data, &["disable", "sari", "--oleh", "kepala-dinas"], "");
    assert!(ok, "{out}");
    let a = c.get("/kasus").await.unwrap();
    assert_eq!((a.status, a.header("location")), (303, "/masuk"), "{a:?}");
    let mut c2 = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(c2.login("sari", PASSWORD).await.unwrap().status, 401);
    let (ok, out) = user_cmd(&data, &["list"], "");
    assert!(
        ok && out.contains("sari\tpengadjudikasi\tnonaktif"),
        "{out}"
    );

    // passwd: the old password no longer works, the new one does (for an active user).
    let (ok, _) = user_cmd(
        &data,
        &["add", "budi", "--role", "viewer", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok);
    let (ok, out) = user_cmd(&data, &["passwd", "budi", "--password-stdin"], "pendek\n");
    assert!(!ok && out.contains("terlalu pendek"), "{out}");
    let (ok, out) = user_cmd(
        &data,
        &["passwd", "budi", "--password-stdin"],
        "Sandi-Baru-Kuat-77\n",
    );
    assert!(ok, "{out}");
    let mut c3 = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(c3.login("budi", PASSWORD).await.unwrap().status, 401);
    assert_eq!(
        c3.login("budi", "Sandi-Baru-Kuat-77").await.unwrap().status,
        303
    );

    let actions = audit_actions(&data, "kepala-dinas");
    assert_eq!(actions, ["pengguna.nonaktif"]);
    let sari = audit_actions(&data, "sari");
    assert!(sari.contains(&"web.masuk".to_owned()), "{sari:?}");
    assert!(sari.contains(&"web.masuk_gagal".to_owned()), "{sari:?}");
    let details: Vec<String> = {
        let c = db(&data);
        let mut st = c.prepare("SELECT detail FROM audit_log").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(
        details
            .iter()
            .all(|d| !d.contains(PASSWORD) && !d.contains("Sandi-Baru")),
        "a password in the audit log: {details:?}"
    );
    drop(hub);
}

/// Routes anyone may open (everything else needs a session).
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/masuk"),
    ("POST", "/masuk"),
    ("GET", "/bahasa/{kode}"),
    ("GET", "/static/rekam.css"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

fn concrete(path: &str) -> String {
    path.replace("{id}", "130101-tidak-ada")
        .replace("{kode}", "en")
        .replace(
            "{sha}",
            "0000000000000000000000000000000000000000000000000000000000000000",
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_strangers_viewers_deciding_and_forged_forms() {
    let root = tempfile::tempdir().unwrap();
    let (pki, data, hub) = setup(root.path(), &[]);

    // Without a session: every non-public route redirects to the login (GET) or says 401.
    let mut anon = Client::new(&pki, &hub.url()).unwrap();
    for (method, path) in rekam_hub::web::ROUTES {
        let p = concrete(path);
        let a = if *method == "GET" {
            anon.get(&p).await.unwrap()
        } else {
            anon.post(&p, &[("csrf", "x"), ("hasil", "duplikat"), ("alasan", "x")])
                .await
                .unwrap()
        };
        assert_security_headers(&a, &p);
        if PUBLIC.contains(&(*method, *path)) {
            assert!(
                a.status < 400 || p == "/masuk" || p == "/readyz",
                "{method} {p}: {a:?}"
            );
            continue;
        }
        match *method {
            "GET" => assert_eq!(
                (a.status, a.header("location")),
                (303, "/masuk"),
                "{method} {p}"
            ),
            _ => assert_eq!(a.status, 401, "{method} {p}: {a:?}"),
        }
    }
    // The login form needs its own token too.
    let a = Client::new(&pki, &hub.url())
        .unwrap()
        .post("/masuk", &[("nama", "admin1"), ("password", PASSWORD)])
        .await
        .unwrap();
    assert_eq!(a.status, 403, "{a:?}");

    // A viewer sees the pages but cannot decide (403), even with a valid token.
    let mut viewer = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(
        viewer.login("pemantau", PASSWORD).await.unwrap().status,
        303
    );
    let page = viewer.get("/kasus").await.unwrap();
    assert_eq!(page.status, 200);
    assert_security_headers(&page, "/kasus");
    assert!(page.body.contains("Kasus deduplikasi"), "{}", page.body);
    let csrf = page.csrf().unwrap();
    let a = viewer
        .post(
            "/kasus/130101-tidak-ada/putuskan",
            &[("csrf", &csrf), ("hasil", "duplikat"), ("alasan", "sama")],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 403, "{a:?}");
    assert!(audit_actions(&data, "pemantau").contains(&"web.ditolak".to_owned()));

    // An adjudicator: a missing or wrong token is refused before the handler (403); with the
    // right one the handler answers (here: no such application).
    let mut adj = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(
        adj.login("adjudikator", PASSWORD).await.unwrap().status,
        303
    );
    let csrf = adj.csrf().await.unwrap();
    let path = "/kasus/130101-tidak-ada/putuskan";
    let missing = adj
        .post(path, &[("hasil", "duplikat"), ("alasan", "sama")])
        .await
        .unwrap();
    assert_eq!(missing.status, 403, "{missing:?}");
    assert!(
        missing.body.contains("\"field\":\"csrf\""),
        "{}",
        missing.body
    );
    let wrong = adj
        .post(
            path,
            &[
                ("csrf", &"0".repeat(64)),
                ("hasil", "duplikat"),
                ("alasan", "sama"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 403, "{wrong:?}");
    // Another user's token is wrong too.
    let other = viewer.csrf().await.unwrap();
    let a = adj
        .post(
            path,
            &[
                ("csrf", &other),
                ("hasil", "bukan_duplikat"),
                ("alasan", "x"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 403, "{a:?}");
    let a = adj
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("hasil", "bukan_duplikat"),
                ("alasan", "beda orang"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 404, "{a:?}");
    let a = adj
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("hasil", "bukan_duplikat"),
                ("alasan", "  "),
            ],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 422, "{a:?}");
    assert!(a.body.contains("\"field\":\"alasan\""), "{}", a.body);
    let a = adj
        .post(
            path,
            &[("csrf", &csrf), ("hasil", "mungkin"), ("alasan", "x")],
        )
        .await
        .unwrap();
    assert!(a.body.contains("\"field\":\"hasil\""), "{}", a.body);
    // Logout needs the token as well, then the session is gone.
    assert_eq!(adj.post("/keluar", &[]).await.unwrap().status, 403);
    assert_eq!(
        adj.post("/keluar", &[("csrf", &csrf)])
            .await
            .unwrap()
            .status,
        303
    );
    let a = adj.get("/kasus").await.unwrap();
    assert_eq!((a.status, a.header("location")), (303, "/masuk"));

    // Throttling: after 5 failures the right password is refused too (429), and audited.
    let mut t = Client::new(&pki, &hub.url()).unwrap();
    for _ in 0..5 {
        assert_eq!(
            t.login("korban", "Salah-Sandi-123").await.unwrap().status,
            401
        );
    }
    let a = t.login("korban", PASSWORD).await.unwrap();
    assert_eq!(a.status, 429, "{a:?}");
    assert!(a.body.contains("Terlalu banyak percobaan"), "{}", a.body);
    let korban = audit_actions(&data, "korban");
    assert_eq!(
        korban.iter().filter(|a| *a == "web.masuk_gagal").count(),
        5,
        "{korban:?}"
    );
    assert!(
        korban.contains(&"web.masuk_terkunci".to_owned()),
        "{korban:?}"
    );
    assert!(!korban.contains(&"web.masuk".to_owned()), "{korban:?}");

    // Operations endpoints, no login.
    let mut ops = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(ops.get("/healthz").await.unwrap().body, "ok");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = ops.get("/readyz").await.unwrap();
        if r.status == 200 {
            assert!(r.body.contains("\"dedup_index\":true"), "{}", r.body);
            break;
        }
        assert_eq!(r.status, 503, "{r:?}");
        assert!(Instant::now() < deadline, "never ready: {r:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let m = ops.get("/metrics").await.unwrap().body;
    for name in [
        "rekam_hub_dedup_backlog 0",
        "rekam_hub_web_requests_total{status=\"403\"}",
        "rekam_hub_web_requests_total{status=\"429\"} 1",
        "rekam_hub_web_request_duration_seconds_bucket{le=\"+Inf\"}",
        "# TYPE rekam_hub_sync_requests_total counter",
    ] {
        assert!(m.contains(name), "{name} not in\n{m}");
    }
    // English switch.
    let mut en = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(en.get("/bahasa/en").await.unwrap().status, 303);
    assert!(en.get("/masuk").await.unwrap().body.contains("Log in"));
    drop(hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_expired_sessions_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let (pki, data, hub) = setup(
        root.path(),
        &[
            ("REKAM_HUB_WEB_SESI_DIAM", "3"),
            ("REKAM_HUB_WEB_SESI_MAKS", "6"),
        ],
    );
    // Idle: a session unused for longer than the idle timeout is refused.
    let mut c = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(c.login("pemantau", PASSWORD).await.unwrap().status, 303);
    assert_eq!(c.get("/kasus").await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(4200)).await;
    let a = c.get("/kasus").await.unwrap();
    assert_eq!(
        (a.status, a.header("location")),
        (303, "/masuk"),
        "idle: {a:?}"
    );

    // Absolute: used every half second, it still ends after its lifetime.
    let mut c = Client::new(&pki, &hub.url()).unwrap();
    assert_eq!(c.login("admin1", PASSWORD).await.unwrap().status, 303);
    let start = Instant::now();
    let ended = loop {
        let a = c.get("/kasus").await.unwrap();
        if a.status != 200 {
            break (a.status, a.header("location").to_owned(), start.elapsed());
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never expired");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!((ended.0, ended.1.as_str()), (303, "/masuk"), "{ended:?}");
    assert!(
        ended.2 >= Duration::from_secs(4),
        "ended too early: {ended:?}"
    );
    // Each ended for its own reason (audited).
    let why = |actor: &str| -> Vec<String> {
        let c = db(&data);
        let mut st = c
            .prepare(
                "SELECT detail FROM audit_log WHERE actor = ?1 AND action = 'web.sesi_berakhir'",
            )
            .unwrap();
        st.query_map([actor], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(why("pemantau"), ["tidak aktif terlalu lama"]);
    assert_eq!(why("admin1"), ["kedaluwarsa"]);
    drop(hub);
}
