//! `kill -9` of the agent in the middle of recordings: everything confirmed to an operator
//! before the kill is still there after a restart (SQLite WAL, `synchronous=FULL`, one
//! transaction per action), the database is intact, and the interrupted recordings can be
//! finished.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rekam_tests::harness::{PASSWORD, Proc, add_operators, agent_exe, resident};
use serde_json::{Value, json};

/// What the agent confirmed (HTTP 2xx) for one application: the number of workflow events
/// and the capture modalities.
#[derive(Debug, Default, Clone)]
struct Confirmed {
    events: usize,
    captures: Vec<&'static str>,
}

fn start_agent(dir: &Path, sim: &str) -> anyhow::Result<Proc> {
    let mut agent = Command::new(agent_exe());
    agent.args(["serve", "--data"]).arg(dir.join("data")).args([
        "--listen",
        "127.0.0.1:0",
        "--kecamatan",
        "130101",
        "--device-url",
        sim,
    ]);
    Proc::spawn(agent, dir.join("agent.log"), "listening on ")
}

/// A failed call: the agent is gone (connection error) or it refused (HTTP error).
#[derive(Debug)]
enum Fail {
    Gone,
    Refused,
}

async fn try_call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Result<Value, Fail> {
    let resp = http
        .post(format!("{base}{path}"))
        .json(&body)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|_| Fail::Gone)?;
    let ok = resp.status().is_success();
    let v: Value = resp.json().await.map_err(|_| Fail::Gone)?;
    if ok { Ok(v) } else { Err(Fail::Refused) }
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let v: Value = resp.json().await?;
    anyhow::ensure!(status.is_success(), "{path}: {status} {v}");
    Ok(v)
}

/// One desk working through residents until the agent dies; records every confirmation.
async fn desk(
    http: reqwest::Client,
    base: String,
    sim: String,
    reg: String,
    rek: String,
    first: u16,
    confirmed: Arc<Mutex<Vec<(String, Confirmed)>>>,
) {
    for n in first.. {
        let v = match try_call(
            &http,
            &base,
            &reg,
            "/api/permohonan",
            json!({"penduduk": resident("130101", n)}),
        )
        .await
        {
            Ok(v) => v,
            Err(Fail::Refused) => continue,
            Err(Fail::Gone) => return,
        };
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let idx = {
            let mut c = confirmed.lock().unwrap();
            c.push((
                id.clone(),
                Confirmed {
                    events: 1,
                    captures: vec![],
                },
            ));
            c.len() - 1
        };
        let berkas = json!({"berkas": ["hadir_sendiri", "kk"]});
        let steps: Vec<(String, String, Value, Option<&'static str>)> = vec![
            (
                reg.clone(),
                format!("/api/permohonan/{id}/terima-berkas"),
                berkas.clone(),
                None,
            ),
            (
                reg.clone(),
                format!("/api/permohonan/{id}/periksa-berkas"),
                berkas,
                None,
            ),
            (
                reg.clone(),
                format!("/api/permohonan/{id}/cek-biometrik"),
                json!({}),
                None,
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/panggil"),
                json!({}),
                None,
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/rekam/sidik-jari"),
                json!({}),
                Some("finger"),
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/rekam/iris"),
                json!({}),
                Some("iris"),
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/rekam/foto"),
                json!({}),
                Some("face"),
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/rekam/tanda-tangan"),
                json!({}),
                Some("signature"),
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/berhasil"),
                json!({}),
                None,
            ),
            (
                rek.clone(),
                format!("/api/permohonan/{id}/serahkan"),
                json!({}),
                None,
            ),
        ];
        for (token, path, body, capture) in steps {
            if path.ends_with("/cek-biometrik") {
                // The resident steps up to the scanners (desks race for the simulator; a
                // collision only makes a resident "already recorded", which is fine here).
                let _ = http
                    .post(format!("{sim}/sim/subjek"))
                    .json(&json!({"subjek": u64::from(n) * 7919}))
                    .send()
                    .await;
            }
            match try_call(&http, &base, &token, &path, body).await {
                Ok(v) => {
                    let mut c = confirmed.lock().unwrap();
                    let entry = &mut c[idx].1;
                    match capture {
                        Some(m) => entry.captures.push(m),
                        None => entry.events = v["peristiwa"].as_array().map(Vec::len).unwrap_or(0),
                    }
                }
                Err(Fail::Refused) => break,
                Err(Fail::Gone) => return,
            }
        }
    }
}

#[tokio::test]
async fn kill_9_mid_recording_loses_nothing_confirmed() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    add_operators(&data, &["reg", "rek"])?;
    let mut sim = Command::new(agent_exe());
    sim.args(["device-sim", "--listen", "127.0.0.1:0"]);
    let sim = Proc::spawn(sim, dir.path().join("sim.log"), "listening on ")?;
    let sim_url = format!("http://{}", sim.addr);
    let agent = start_agent(dir.path(), &sim_url)?;
    let base = format!("http://{}", agent.addr);
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?;
    let login = |u: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let v = call(
                &http,
                &base,
                None,
                "/api/login",
                json!({"username": u, "password": PASSWORD}),
            )
            .await?;
            anyhow::Ok(v["token"].as_str().unwrap_or_default().to_owned())
        }
    };
    let reg = login("reg").await?;
    let rek = login("rek").await?;

    // Four desks record residents concurrently; the agent is killed while they work.
    let confirmed = Arc::new(Mutex::new(Vec::new()));
    let mut desks = Vec::new();
    for d in 0..4u16 {
        desks.push(tokio::spawn(desk(
            http.clone(),
            base.clone(),
            sim_url.clone(),
            reg.clone(),
            rek.clone(),
            1 + d * 1000,
            confirmed.clone(),
        )));
    }
    // Let them get well into recordings, then kill -9.
    let mut mid_recording = false;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = confirmed.lock().unwrap();
        if c.len() >= 6
            && c.iter()
                .any(|(_, x)| !x.captures.is_empty() && x.events < 7)
        {
            mid_recording = true;
            break;
        }
    }
    agent.kill9();
    for d in desks {
        let _ = d.await;
    }
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(
        mid_recording,
        "the kill did not happen mid-recording: {confirmed:?}"
    );
    let recorded = confirmed.iter().filter(|(_, c)| c.events >= 7).count();
    eprintln!(
        "killed with {} applications confirmed, {recorded} fully recorded, {} with captures",
        confirmed.len(),
        confirmed
            .iter()
            .filter(|(_, c)| !c.captures.is_empty())
            .count()
    );

    // The file is intact.
    let db = data.join("rekam-agent.db");
    let conn = rusqlite::Connection::open(&db)?;
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(ok, "ok");
    drop(conn);

    // Restart on the same folder: every confirmed event and capture is there.
    let agent = start_agent(dir.path(), &sim_url)?;
    let base = format!("http://{}", agent.addr);
    let v = call(
        &http,
        &base,
        None,
        "/api/login",
        json!({"username": "rek", "password": PASSWORD}),
    )
    .await?;
    let rek = v["token"].as_str().unwrap_or_default().to_owned();
    let mut unfinished = Vec::new();
    for (id, c) in &confirmed {
        let v: Value = http
            .get(format!("{base}/api/permohonan/{id}"))
            .bearer_auth(&rek)
            .send()
            .await?
            .json()
            .await?;
        let events = v["peristiwa"].as_array().map(Vec::len).unwrap_or(0);
        assert!(
            events >= c.events,
            "{id}: {events} events stored, {} confirmed",
            c.events
        );
        for m in &c.captures {
            assert!(
                v["biometrik"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|b| b["modality"] == *m),
                "{id}: confirmed capture {m} lost"
            );
        }
        if v["status"] == "dipanggil" {
            unfinished.push(id.clone());
        }
    }
    // Interrupted recordings can be completed after the restart.
    for id in unfinished {
        for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
            if let Err(e) = call(
                &http,
                &base,
                Some(&rek),
                &format!("/api/permohonan/{id}/rekam/{m}"),
                json!({}),
            )
            .await
            {
                panic!("{e}\n{}", agent.log());
            }
            call(
                &http,
                &base,
                Some(&rek),
                &format!("/api/permohonan/{id}/rekam/{m}"),
                json!({}),
            )
            .await?;
        }
        let v = call(
            &http,
            &base,
            Some(&rek),
            &format!("/api/permohonan/{id}/berhasil"),
            json!({}),
        )
        .await?;
        assert_eq!(v["status"], "terekam");
    }
    agent.stop()?;
    Ok(())
}
