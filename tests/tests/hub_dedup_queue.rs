//! End-to-end test of the hub's durable dedup queue with the real binaries on 127.0.0.1: an
//! office records applications while the hub's dedup worker is paused
//! (`REKAM_HUB_DEDUP_PAUSE=1`), `rekam-hub dedup stats` shows the backlog, the hub is killed
//! with `kill -9`, and after a restart without the pause every application is decided exactly
//! once (one `keputusan.set` audit entry each) and the backlog is empty.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use rekam_tests::harness::{Office, Pki, free_port, hub_dedup_stats, hub_docs, start_hub_with_env};

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `keputusan.set` audit entries per application, read from the hub's database file.
fn keputusan_set_per_id(hub_data: &Path) -> BTreeMap<String, u64> {
    let c = rusqlite::Connection::open_with_flags(
        hub_data.join(rekam_hub::cli::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = c
        .prepare(
            "SELECT permohonan_id, COUNT(*) FROM audit_log WHERE action = 'keputusan.set'
             GROUP BY permohonan_id",
        )
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Waits (bounded) until `ok` holds for the stats; panics with the last stats otherwise.
async fn wait_stats(hub_data: &Path, what: &str, ok: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stats = hub_dedup_stats(hub_data).unwrap();
        if ok(&stats) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: stats {stats}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_hub_decides_every_queued_application_once_after_restart() {
    const N: u16 = 6;
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let port = free_port();
    let hub = start_hub_with_env(
        &hub_data,
        &pki,
        localhost(port),
        &[("REKAM_HUB_DEDUP_PAUSE", "1")],
    )
    .unwrap();
    let url = format!("https://127.0.0.1:{port}");
    let office = Office::create(root.path(), &pki, "130101", &url)
        .await
        .unwrap();
    let reg = office.login("reg").await.unwrap();
    let rek = office.login("rek").await.unwrap();
    let mut ids = Vec::new();
    for n in 1..=N {
        ids.push(office.record(&reg, &rek, n).await.unwrap());
    }
    ids.sort();

    // Everything reaches the hub, and waits there: the paused worker decides nothing.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = office.sync_status().unwrap()["docs_waiting"].as_u64();
        let at_hub = hub_docs(&hub_data).unwrap().len();
        if waiting == Some(0) && at_hub == ids.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not synced: {waiting:?} waiting, {at_hub} at the hub"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let stats = hub_dedup_stats(&hub_data).unwrap();
    assert_eq!(stats["backlog"], u64::from(N), "{stats}");
    assert!(stats["oldest"].is_string(), "{stats}");
    assert_eq!(stats["decided"], 0, "{stats}");
    assert!(keputusan_set_per_id(&hub_data).is_empty());
    assert!(hub.log().contains("dedup queue paused"), "{}", hub.log());

    // kill -9, then a restart without the pause.
    hub.kill9();
    let hub = start_hub_with_env(&hub_data, &pki, localhost(port), &[]).unwrap();
    wait_stats(&hub_data, "backlog drained", |s| {
        s["backlog"] == 0 && s["decided"] == u64::from(N)
    })
    .await;
    let stats = hub_dedup_stats(&hub_data).unwrap();
    assert!(stats["oldest"].is_null(), "{stats}");
    assert_eq!(stats["oleh"]["sistem"], u64::from(N), "{stats}");
    let decided: u64 = stats["hasil"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert_eq!(decided, u64::from(N), "{stats}");

    // Exactly one decision each, also after the office synced the decisions back.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids.iter().any(|id| {
        rekam_tests::agent_db::keputusan(&office.db(), id)
            .ok()
            .flatten()
            .is_none()
    }) {
        assert!(
            Instant::now() < deadline,
            "decisions not back at the office"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let per_id = keputusan_set_per_id(&hub_data);
    let expected: BTreeMap<String, u64> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(per_id, expected);
    assert_eq!(hub_dedup_stats(&hub_data).unwrap()["backlog"], 0);
    let log = hub.log();
    assert!(log.contains("dedup queue at start"), "{log}");
}
