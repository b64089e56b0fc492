//! Test harness: a real agent (in-process axum server on 127.0.0.1, real SQLite file in a
//! temporary folder) with the device simulator, and a small JSON client.
#![allow(dead_code)]

use std::net::SocketAddr;

use chrono::NaiveDate;
use rekam_agent::auth::{self, Password};
use rekam_agent::clock::Clock;
use rekam_agent::db::Db;
use rekam_agent::peran::Peran;
use rekam_agent::{Config, Running};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::JenisKelamin;
use rekam_shared::region::KodeKecamatan;
use serde_json::{Value, json};

pub const PASSWORD: &str = "kata-sandi-uji";

pub struct Office {
    pub running: Running,
    pub base: String,
    pub sim: String,
    pub dir: tempfile::TempDir,
    pub clock: Clock,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

/// Adds the three standard operators to a data folder.
pub async fn seed_users(data: &std::path::Path) {
    std::fs::create_dir_all(data).unwrap();
    let db = Db::open(&data.join("rekam-agent.db"), 1).unwrap();
    let hash = auth::hash_password(&Password(PASSWORD.into())).unwrap();
    for (u, p) in [
        ("reg", Peran::OperatorRegistrasi),
        ("rek", Peran::OperatorPerekaman),
        ("kepala", Peran::KepalaUkl),
    ] {
        let h = hash.clone();
        db.write(move |tx| auth::add_operator(tx, u, p, &h, "test"))
            .await
            .unwrap();
    }
}

pub async fn start_sim() -> SocketAddr {
    let (addr, _task) = rekam_agent::device::sim::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    addr
}

pub async fn office() -> Office {
    office_with(|_| {}).await
}

pub async fn office_with(tweak: impl FnOnce(&mut Config)) -> Office {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    seed_users(&data).await;
    let sim = start_sim().await;
    let mut config = Config {
        data,
        listen: "127.0.0.1:0".parse().unwrap(),
        kecamatan: "130101".into(),
        device_url: Some(format!("http://{sim}")),
        device_timeout_ms: 2_000,
        ..Config::default()
    };
    tweak(&mut config);
    let clock = Clock::default();
    let running = rekam_agent::start_with_clock(config, clock.clone())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    Office {
        running,
        base,
        sim: format!("http://{sim}"),
        dir,
        clock,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

impl Office {
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .post_json(
                None,
                "/api/login",
                json!({"username": user, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "login {user}: {r:?}");
        r.body["token"].as_str().unwrap().to_owned()
    }

    pub async fn post_json(
        &self,
        token: Option<&str>,
        path: &str,
        body: Value,
        idem: Option<&str>,
    ) -> Resp {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            replayed,
        }
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.post_json(Some(token), path, body, None).await
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Resp {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            replayed: false,
        }
    }

    /// Sets the person at the simulated scanners.
    pub async fn subjek(&self, n: u64) {
        let r = self
            .http
            .post(format!("{}/sim/subjek", self.sim))
            .json(&json!({"subjek": n}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Sets the simulator's fault mode.
    pub async fn sim_mode(&self, mode: &str) {
        let r = self
            .http
            .post(format!("{}/sim/mode", self.sim))
            .json(&json!({"mode": mode}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// The whole stored state of the office, read through a separate read-only connection:
    /// every row of every table (the automerge documents' bytes among them, in
    /// `permohonan_doc`), plus each document's heads decoded from those bytes. Two snapshots
    /// are equal only if nothing at all was written in between.
    pub fn snapshot(&self) -> Snapshot {
        let c = rusqlite::Connection::open_with_flags(
            self.dir.path().join("data/rekam-agent.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut rows = std::collections::BTreeMap::new();
        for t in &tables {
            let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = st.column_count();
            let mut all: Vec<Vec<String>> = st
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                rusqlite::types::ValueRef::Text(v) => {
                                    format!("'{}'", String::from_utf8_lossy(v))
                                }
                                rusqlite::types::ValueRef::Blob(v) => {
                                    format!("x'{}'", hex::encode(v))
                                }
                            })
                        })
                        .collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            all.sort();
            rows.insert(t.clone(), all);
        }
        let mut heads = std::collections::BTreeMap::new();
        let mut st = c
            .prepare("SELECT permohonan_id, doc FROM permohonan_doc")
            .unwrap();
        let docs = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .unwrap();
        for d in docs {
            let (id, bytes) = d.unwrap();
            let mut doc = rekam_shared::document::PermohonanDoc::load(&bytes).unwrap();
            heads.insert(id, doc.heads().iter().map(|h| h.to_string()).collect());
        }
        assert!(
            tables.iter().any(|t| t == "permohonan_doc") && tables.len() >= 15,
            "the snapshot sees every table: {tables:?}"
        );
        Snapshot { rows, heads }
    }

    /// Counts rows of a table through a separate read-only connection.
    pub fn count(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open_with_flags(
            self.dir.path().join("data/rekam-agent.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// Everything an office has stored: rows per table, and the heads of each automerge document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Table name to its rows (each row's values as SQL literals), sorted.
    pub rows: std::collections::BTreeMap<String, Vec<Vec<String>>>,
    /// Application id to its document's heads.
    pub heads: std::collections::BTreeMap<String, Vec<String>>,
}

impl Snapshot {
    /// Panics with the first difference if `after` differs from `self`.
    pub fn assert_unchanged(&self, after: &Snapshot, what: &str) {
        for (t, rows) in &self.rows {
            let later = after.rows.get(t);
            assert_eq!(Some(rows), later, "{what}: table {t} changed");
        }
        assert_eq!(
            self.rows.keys().collect::<Vec<_>>(),
            after.rows.keys().collect::<Vec<_>>(),
            "{what}: tables changed"
        );
        assert_eq!(
            self.heads, after.heads,
            "{what}: automerge documents changed"
        );
    }
}

/// A valid NIK of kecamatan 13.01.01.
pub fn nik(lahir: NaiveDate, jk: JenisKelamin, urut: u16) -> String {
    Nik::from_parts(KodeKecamatan::new(13, 1, 1).unwrap(), lahir, jk, urut)
        .unwrap()
        .to_string()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A resident's JSON (adult man by default).
pub fn penduduk(urut: u16, lahir: NaiveDate, jk: JenisKelamin, status: &str) -> Value {
    json!({
        "nik": nik(lahir, jk, urut),
        "no_kk": format!("130101{}{:04}", "011020", urut),
        "nama": format!("Penduduk Uji {urut}"),
        "tempat_lahir": "Painan",
        "tanggal_lahir": lahir.to_string(),
        "jenis_kelamin": match jk { JenisKelamin::LakiLaki => "laki_laki", JenisKelamin::Perempuan => "perempuan" },
        "status_perkawinan": status,
        "alamat": "Jl. Pantai Carocok No. 5",
        "rt": "2",
        "rw": "1",
        "nagari": "Painan Selatan",
        "kecamatan": "130101"
    })
}

pub fn dewasa(urut: u16) -> Value {
    penduduk(
        urut,
        date(1990, 5, 17),
        JenisKelamin::LakiLaki,
        "belum_kawin",
    )
}

pub const BERKAS_LENGKAP: [&str; 2] = ["hadir_sendiri", "kk"];

/// Steps 1-2 up to a queue number; returns the application id.
pub async fn sampai_antrian(o: &Office, reg: &str, p: Value) -> (String, Value) {
    let r = o.post(reg, "/api/permohonan", json!({"penduduk": p})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = o
        .post(
            reg,
            &format!("/api/permohonan/{id}/terima-berkas"),
            json!({"berkas": BERKAS_LENGKAP}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = o
        .post(
            reg,
            &format!("/api/permohonan/{id}/periksa-berkas"),
            json!({"berkas": BERKAS_LENGKAP}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "pengecekan_biometrik", "{r:?}");
    let r = o
        .post(
            reg,
            &format!("/api/permohonan/{id}/cek-biometrik"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    (id, r.body)
}

/// Step 3 from the call to a complete capture.
pub async fn panggil_dan_rekam(o: &Office, rek: &str, id: &str) {
    let r = o
        .post(
            rek,
            &format!("/api/permohonan/{id}/panggil"),
            json!({"loket": "2"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "dipanggil");
    for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
        let r = o
            .post(rek, &format!("/api/permohonan/{id}/rekam/{m}"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{m}: {r:?}");
    }
}
