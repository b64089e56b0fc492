//! Restoring an office from an older backup while the hub holds newer changes of its
//! documents (issue 10), with the real binaries on 127.0.0.1.
//!
//! The office records and syncs; a backup is taken; the office goes on (an application at the
//! queue is recorded, one at step 1 moves on, a new one is recorded) and syncs; the agent is
//! stopped and the older backup restored. With the hub down, the restored office records a new
//! application, and the desk refuses to append to an application the hub may hold newer events
//! of. Then the hub comes back and everything converges without losing either side: the hub's
//! newer events (and the application made after the backup, via the hub's decision feed) come
//! back to the office's rows, the desk continues from them, the new application reaches the
//! hub, heads are identical at both, nothing is duplicated and the agent logs no error.
//!
//! Applications the hub holds but never changed come back too: after the backup, with the
//! hub's dedup paused (`REKAM_HUB_DEDUP_PAUSE=1`, so no decision puts them on the hub's feed),
//! F is recorded with photo and signature and G opened, both synced. The restored office learns
//! them only from the hub's full listing, fetches them from nothing, and downloads the photos
//! and signatures of every document that came back: every capture the desk API confirmed is
//! back at the office, byte-equal, and the desk works on F and G afterwards.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rekam_tests::harness::{self, Office, Pki, free_port, hub_docs, start_hub, start_hub_with_env};
use rusqlite::{Connection, OpenFlags};
use serde_json::json;

const KECAMATAN: &str = "130104";

/// Event kinds per application id.
type Kinds = BTreeMap<String, Vec<String>>;

/// Every document's event kinds, and every application's event rows, at the office.
fn office_events(db: &Path) -> anyhow::Result<(Kinds, Kinds)> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    c.busy_timeout(Duration::from_secs(10))?;
    let mut docs = BTreeMap::new();
    let mut st = c.prepare("SELECT permohonan_id, doc FROM permohonan_doc")?;
    for r in st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
    })? {
        let (id, bytes) = r?;
        let doc = rekam_shared::document::PermohonanDoc::load(&bytes)?;
        let ev: Vec<rekam_shared::workflow::Peristiwa> = doc.peristiwa_as()?;
        docs.insert(
            id,
            ev.iter()
                .map(|e| e.aksi.jenis().nama().to_owned())
                .collect(),
        );
    }
    let mut rows = Kinds::new();
    let mut st = c.prepare("SELECT permohonan_id, kind FROM peristiwa ORDER BY id")?;
    for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (id, kind) = r?;
        rows.entry(id).or_default().push(kind);
    }
    Ok((docs, rows))
}

/// One capture row: modality, position, format, SHA-256, bytes.
type Capture = (String, String, String, String, Vec<u8>);

/// Every application's capture rows at the office (quality and capture time aside: the
/// document does not carry them).
fn office_captures(db: &Path) -> anyhow::Result<BTreeMap<String, Vec<Capture>>> {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    c.busy_timeout(Duration::from_secs(10))?;
    let mut out: BTreeMap<String, Vec<Capture>> = BTreeMap::new();
    let mut st = c.prepare(
        "SELECT permohonan_id, modality, position, format, sha256, data FROM biometrik
         ORDER BY permohonan_id, modality, position",
    )?;
    for r in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
        ))
    })? {
        let (id, cap) = r?;
        out.entry(id).or_default().push(cap);
    }
    Ok(out)
}

/// The hub with its dedup worker paused: it decides nothing, so nothing reaches its feed.
const DEDUP_PAUSED: &[(&str, &str)] = &[("REKAM_HUB_DEDUP_PAUSE", "1")];

/// Waits until `check` passes, panicking with its last complaint and the agent's log.
async fn until<F>(office: &Office, what: &str, timeout: Duration, mut check: F)
where
    F: AsyncFnMut() -> anyhow::Result<()>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check().await {
            Ok(()) => return,
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            let log = office.agent.as_ref().map(|a| a.log()).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("{what}: not within {timeout:?}: {last}\n--- agent log ---\n{tail}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The office has nothing waiting and every one of its documents is at the hub with the same
/// heads; the hub holds `expect` documents of this office.
fn in_step(office: &Office, hub_data: &Path, expect: &[&str]) -> anyhow::Result<()> {
    let status = office.sync_status()?;
    anyhow::ensure!(
        status["docs_waiting"] == 0,
        "office still has {} documents waiting",
        status["docs_waiting"]
    );
    let hub: BTreeMap<String, Vec<String>> = hub_docs(hub_data)?
        .into_iter()
        .filter(|d| d.kecamatan == KECAMATAN)
        .map(|d| (d.id, d.heads))
        .collect();
    for id in expect {
        anyhow::ensure!(hub.contains_key(*id), "hub lacks {id}");
    }
    for (id, heads) in office.doc_heads()? {
        anyhow::ensure!(
            hub.get(&id) == Some(&heads),
            "heads of {id} differ: office {heads:?}, hub {:?}",
            hub.get(&id)
        );
    }
    Ok(())
}

async fn status_of(office: &Office, token: &str, id: &str) -> anyhow::Result<String> {
    let v = office.get(token, &format!("/api/permohonan/{id}")).await?;
    Ok(v["status"].as_str().unwrap_or_default().to_owned())
}

/// Puts resident `n` of this office at the device simulator's scanners (as `record` does).
async fn at_scanner(office: &Office, n: u64) {
    let seed = KECAMATAN.parse::<u64>().unwrap() % 100;
    let r = office
        .http
        .post(format!("http://{}/sim/subjek", office.sim.addr))
        .json(&json!({"subjek": n * 1000 + seed}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sim/subjek: {}", r.status());
}

async fn new_application(office: &Office, reg: &str, n: u16) -> String {
    let v = office
        .post(
            reg,
            "/api/permohonan",
            json!({"penduduk": harness::resident(KECAMATAN, n)}),
        )
        .await
        .unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_restored_from_an_older_backup_converges_with_the_hub() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    // A fixed port, so that the hub can be stopped and started again at the same address.
    let hub_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut hub = Some(start_hub(&hub_data, &pki, hub_addr).unwrap());
    let hub_url = format!("https://{hub_addr}");
    let mut office = Office::create(root.path(), &pki, KECAMATAN, &hub_url)
        .await
        .unwrap();
    let reg = office.login("reg").await.unwrap();
    let rek = office.login("rek").await.unwrap();
    let berkas = json!({"berkas": ["hadir_sendiri", "kk"]});

    // Before the backup: A recorded, B waiting at the recording queue, C at step 1.
    let a = office.record(&reg, &rek, 1).await.unwrap();
    let b = new_application(&office, &reg, 2).await;
    at_scanner(&office, 2).await;
    for step in ["terima-berkas", "periksa-berkas"] {
        office
            .post(&reg, &format!("/api/permohonan/{b}/{step}"), berkas.clone())
            .await
            .unwrap();
    }
    office
        .post(
            &reg,
            &format!("/api/permohonan/{b}/cek-biometrik"),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(
        status_of(&office, &reg, &b).await.unwrap(),
        "menunggu_perekaman"
    );
    let c = new_application(&office, &reg, 3).await;
    until(
        &office,
        "sync before the backup",
        Duration::from_secs(60),
        async || in_step(&office, &hub_data, &[&a, &b, &c]),
    )
    .await;
    let backup = root.path().join("cadangan.db");
    office.backup(&backup).unwrap();

    // After the backup, synced before the disk dies: B recorded, C's documents received,
    // D recorded from start to end.
    at_scanner(&office, 2).await;
    office
        .post(
            &rek,
            &format!("/api/permohonan/{b}/panggil"),
            json!({"loket": "1"}),
        )
        .await
        .unwrap();
    for m in ["sidik-jari", "iris", "foto", "tanda-tangan"] {
        office
            .post(&rek, &format!("/api/permohonan/{b}/rekam/{m}"), json!({}))
            .await
            .unwrap();
    }
    office
        .post(&rek, &format!("/api/permohonan/{b}/berhasil"), json!({}))
        .await
        .unwrap();
    let nomor_bukti_b = office
        .get(&reg, &format!("/api/permohonan/{b}"))
        .await
        .unwrap()["nomor_bukti"]
        .clone();
    assert!(nomor_bukti_b.is_string(), "B has a proof number");
    office
        .post(
            &reg,
            &format!("/api/permohonan/{c}/terima-berkas"),
            berkas.clone(),
        )
        .await
        .unwrap();
    let d = office.record(&reg, &rek, 4).await.unwrap();
    until(
        &office,
        "sync after the backup",
        Duration::from_secs(60),
        async || {
            in_step(&office, &hub_data, &[&a, &b, &c, &d])?;
            // D's decision too, so that the hub's feed carries it.
            let hub = hub_docs(&hub_data)?;
            anyhow::ensure!(
                hub.iter().any(|h| h.id == d && h.keputusan.is_some()),
                "no decision on D yet"
            );
            Ok(())
        },
    )
    .await;

    // Still after the backup, with the hub deciding nothing: F recorded (photo, signature),
    // G opened. The hub holds them but never changes them: they are on no feed.
    hub.take().unwrap().stop().unwrap();
    hub = Some(start_hub_with_env(&hub_data, &pki, hub_addr, DEDUP_PAUSED).unwrap());
    let f = office.record_confirmed(&reg, &rek, 6).await.unwrap();
    assert_eq!(f.status, "terekam");
    let g = new_application(&office, &reg, 7).await;
    office
        .post(
            &reg,
            &format!("/api/permohonan/{g}/terima-berkas"),
            berkas.clone(),
        )
        .await
        .unwrap();
    let f_id = f.id.clone();
    until(
        &office,
        "F and G and every blob at the hub",
        Duration::from_secs(60),
        async || {
            in_step(&office, &hub_data, &[&a, &b, &c, &d, &f_id, &g])?;
            let s = office.sync_status()?;
            anyhow::ensure!(
                s["blobs_waiting"] == 0,
                "blobs waiting: {}",
                s["blobs_waiting"]
            );
            Ok(())
        },
    )
    .await;
    let hub_then = hub_docs(&hub_data).unwrap();
    for id in [&f.id, &g] {
        assert!(
            hub_then
                .iter()
                .any(|h| &h.id == id && h.keputusan.is_none()),
            "{id} at the hub, undecided"
        );
    }
    // What the office held when the disk died: every capture, and those the desk confirmed.
    let captures_then = office_captures(&office.db()).unwrap();
    let f_rows: std::collections::BTreeSet<(String, String)> = captures_then[&f.id]
        .iter()
        .map(|c| (c.0.clone(), c.3.clone()))
        .collect();
    assert_eq!(
        f_rows, f.captures,
        "the desk confirmed what the office stored"
    );
    assert!(captures_then[&b].iter().any(|c| c.0 == "face"));

    // The disk dies: the agent stops, the older backup comes back. The hub is down too for
    // a while, so the office works alone first.
    office.agent.take().unwrap().stop().unwrap();
    hub.take().unwrap().stop().unwrap();
    office.restore(&backup).unwrap();
    let log_from = std::fs::read_to_string(office.dir.join("agent.log"))
        .unwrap_or_default()
        .len();
    office.start().unwrap();
    let reg = office.login("reg").await.unwrap();
    let rek = office.login("rek").await.unwrap();
    assert_eq!(
        status_of(&office, &reg, &c).await.unwrap(),
        "penyerahan_berkas",
        "the backup's state, before any sync"
    );
    // New work after the restore is accepted at once.
    let e = new_application(&office, &reg, 5).await;
    // A restored application waits for the hub: its newer events may be there.
    let early = office
        .post(
            &reg,
            &format!("/api/permohonan/{c}/terima-berkas"),
            berkas.clone(),
        )
        .await;
    let err =
        early.expect_err("the desk must not append to a restored application before the sync");
    assert!(err.to_string().contains("409"), "{err}");

    // The hub is back (still deciding nothing: F and G come back through the listing only).
    hub = Some(start_hub_with_env(&hub_data, &pki, hub_addr, DEDUP_PAUSED).unwrap());
    until(
        &office,
        "the hub's newer state at the desk",
        Duration::from_secs(90),
        async || {
            for (id, want) in [
                (&a, "terekam"),
                (&b, "terekam"),
                (&c, "berkas_diterima"),
                (&d, "terekam"),
                (&f.id, "terekam"),
                (&g, "berkas_diterima"),
            ] {
                let got = status_of(&office, &reg, id).await?;
                anyhow::ensure!(got == want, "{id}: {got}, want {want}");
            }
            Ok(())
        },
    )
    .await;
    let vb = office
        .get(&reg, &format!("/api/permohonan/{b}"))
        .await
        .unwrap();
    assert_eq!(
        vb["nomor_bukti"], nomor_bukti_b,
        "B's proof number came back"
    );

    // The desk continues from the newer state.
    until(
        &office,
        "the desk continues on C",
        Duration::from_secs(60),
        async || {
            office
                .post(
                    &reg,
                    &format!("/api/permohonan/{c}/periksa-berkas"),
                    berkas.clone(),
                )
                .await
                .map(|_| ())
        },
    )
    .await;
    office
        .post(&rek, &format!("/api/permohonan/{b}/serahkan"), json!({}))
        .await
        .unwrap();
    office
        .post(
            &reg,
            &format!("/api/permohonan/{e}/terima-berkas"),
            berkas.clone(),
        )
        .await
        .unwrap();
    // ... and on F and G, which the office had only from the hub.
    office
        .post(
            &rek,
            &format!("/api/permohonan/{}/serahkan", f.id),
            json!({}),
        )
        .await
        .unwrap();
    office
        .post(
            &reg,
            &format!("/api/permohonan/{g}/periksa-berkas"),
            berkas.clone(),
        )
        .await
        .unwrap();

    // Every photo and signature (and template) is back, byte-equal.
    until(
        &office,
        "the captures back at the office",
        Duration::from_secs(60),
        async || {
            let now = office_captures(&office.db())?;
            anyhow::ensure!(
                now == captures_then,
                "captures differ: office has {:?}, had {:?}",
                now.iter().map(|(k, v)| (k, v.len())).collect::<Vec<_>>(),
                captures_then
                    .iter()
                    .map(|(k, v)| (k, v.len()))
                    .collect::<Vec<_>>()
            );
            Ok(())
        },
    )
    .await;

    // Converged: nothing lost on either side.
    let all = [&a, &b, &c, &d, &e, &f.id, &g];
    until(
        &office,
        "convergence after the restore",
        Duration::from_secs(90),
        async || in_step(&office, &hub_data, &all.map(|s| s.as_str())),
    )
    .await;
    for (id, want) in [
        (&a, "terekam"),
        (&b, "diserahkan"),
        (&c, "pengecekan_biometrik"),
        (&d, "terekam"),
        (&e, "berkas_diterima"),
        (&f.id, "diserahkan"),
        (&g, "pengecekan_biometrik"),
    ] {
        assert_eq!(status_of(&office, &reg, id).await.unwrap(), want, "{id}");
    }
    let hub_now = hub_docs(&hub_data).unwrap();
    assert_eq!(
        hub_now.iter().filter(|h| h.kecamatan == KECAMATAN).count(),
        7,
        "seven applications at the hub"
    );
    let (docs, rows) = office_events(&office.db()).unwrap();
    assert_eq!(docs.len(), 7, "seven documents at the office: {docs:?}");
    for id in all {
        assert_eq!(
            docs.get(id.as_str()),
            rows.get(id.as_str()),
            "{id}: document events and event rows differ (lost or duplicated)"
        );
    }
    let kinds = |id: &str| docs[id].join(",");
    assert_eq!(
        kinds(&b),
        "permohonan_dibuat,berkas_diterima,berkas_benar,nomor_antrian_diberikan,dipanggil,\
         perekaman_berhasil,diterima_penduduk"
    );
    assert_eq!(kinds(&c), "permohonan_dibuat,berkas_diterima,berkas_benar");
    let log = std::fs::read_to_string(office.dir.join("agent.log")).unwrap();
    let after = &log[log_from..];
    for bad in ["EventsDiverge", "diverge", "ERROR"] {
        assert!(
            !after.contains(bad),
            "agent log after the restore contains {bad}:\n{after}"
        );
    }
    drop(hub);
}
