//! End-to-end sync tests with the real binaries on 127.0.0.1: offices record while
//! partitioned, reconnect through the faulty proxy (30% of connections cut mid-stream, the
//! probabilistic cuts counted apart from the partition's), and converge: identical heads at the
//! hub and at each office, every blob present and verified, nothing duplicated, and the hub
//! holding exactly what the desks confirmed to the operators; the same with `kill -9` of an
//! agent and of the hub, each kill landing on a sync request in flight (shown and counted from
//! the proxy's per-connection evidence); the same through a silent partition that the agents
//! notice only by their own timeouts; and the hub's refusals (no certificate, another
//! kecamatan's certificate, a forged decision, a revoked certificate), each logged.
//!
//! Every randomized test prints its seed; `REKAM_TEST_SEED=<seed>` replays it (it seeds the
//! proxies' fault decisions and the kill moments). See docs/testing.md, "Reliability tests".

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc as _};
use rekam_agent::sync::HubConfig;
use rekam_agent::sync::client::{HubClient, WireBytes};
use rekam_shared::document::{HasilDedup, Keputusan, PermohonanDoc};
use rekam_shared::wire::{DocMessage, SyncRequest, SyncResponse};
use rekam_tests::agent_db;
use rekam_tests::harness::{self, Confirmed, Office, Pki, Proc, free_port, hub_docs, start_hub};
use rekam_tests::proxy::{ConnInfo, FaultProxy, Faults, ProxyStats};

/// Kecamatan of Kabupaten Pesisir Selatan used by the tests.
const KECAMATAN: [&str; 3] = ["130101", "130102", "130103"];

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Waits until every office's documents are at the hub with identical heads and every blob
/// is complete there. Returns the hub's documents.
async fn converge(
    hub_data: &Path,
    offices: &[&Office],
    expect_docs: usize,
    timeout: Duration,
) -> Vec<harness::HubDoc> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check(hub_data, offices, expect_docs) {
            Ok(docs) => return docs,
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            let mut logs = String::new();
            for o in offices {
                if let Some(a) = &o.agent {
                    logs.push_str(&format!(
                        "--- agent {} ---\n{}\n",
                        o.kecamatan,
                        tail(&a.log())
                    ));
                }
                logs.push_str(&format!("status: {:?}\n", o.sync_status().ok()));
            }
            panic!("no convergence within {timeout:?}: {last}\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn check(
    hub_data: &Path,
    offices: &[&Office],
    expect_docs: usize,
) -> anyhow::Result<Vec<harness::HubDoc>> {
    let docs = hub_docs(hub_data)?;
    let ids: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    anyhow::ensure!(ids.len() == docs.len(), "duplicate documents at the hub");
    anyhow::ensure!(
        docs.len() == expect_docs,
        "hub has {} documents, expected {expect_docs}",
        docs.len()
    );
    let by_id: BTreeMap<&str, &harness::HubDoc> = docs.iter().map(|d| (d.id.as_str(), d)).collect();
    for o in offices {
        let local = o.doc_heads()?;
        for (id, heads) in &local {
            let h = by_id
                .get(id.as_str())
                .ok_or_else(|| anyhow::anyhow!("{id} of {} not at the hub", o.kecamatan))?;
            anyhow::ensure!(
                h.kecamatan == o.kecamatan,
                "{id}: wrong kecamatan at the hub"
            );
            anyhow::ensure!(&h.heads == heads, "{id}: heads differ");
        }
        let hub_count = docs.iter().filter(|d| d.kecamatan == o.kecamatan).count();
        anyhow::ensure!(hub_count == local.len(), "{}: counts differ", o.kecamatan);
        for sha in agent_db::blob_hashes(&o.db())? {
            anyhow::ensure!(
                docs.iter()
                    .any(|d| d.blobs.iter().any(|(s, complete)| *s == sha && *complete)),
                "blob {sha} of {} not complete at the hub",
                o.kecamatan
            );
        }
    }
    for d in &docs {
        for (sha, complete) in &d.blobs {
            anyhow::ensure!(*complete, "{}: blob {sha} missing at the hub", d.id);
        }
    }
    Ok(docs)
}

/// The sync state as the desks show it: `GET /api/sync` and the home page, as the kepala UKL.
async fn desk_sync(o: &Office) -> (serde_json::Value, String) {
    let token = o.login("kepala").await.unwrap();
    let get = |path: &str| {
        o.http
            .get(format!("{}{path}", o.base()))
            .bearer_auth(&token)
            .send()
    };
    let api = get("/api/sync").await.unwrap().json().await.unwrap();
    let home = get("/").await.unwrap().text().await.unwrap();
    (api, home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_offices_converge_through_a_faulty_link() {
    // The seed is the proxy's (which connections are cut, and where); REKAM_TEST_SEED replays it.
    let seed = harness::test_seed("partitioned_offices_converge_through_a_faulty_link");
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub = start_hub(&hub_data, &pki, localhost(0)).unwrap();
    let proxy = FaultProxy::builder(hub.addr)
        .seed(seed)
        .start()
        .await
        .unwrap();
    proxy.partition();
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let mut offices = Vec::new();
    for k in KECAMATAN {
        offices.push(Office::create(root.path(), &pki, k, &url).await.unwrap());
    }
    // Every office records while cut off from the hub.
    let per_office = 4;
    let mut confirmed = Vec::new();
    for o in &offices {
        confirmed.extend(record_confirmed_many(o, 1, per_office).await);
    }
    let st = offices[0].sync_status().unwrap();
    assert!(st["docs_waiting"].as_u64().unwrap() > 0, "{st}");
    assert!(hub_docs(&hub_data).unwrap().is_empty());
    // The desks see it too: not connected, documents waiting.
    let (api, home) = desk_sync(&offices[0]).await;
    assert_eq!(api["hub"], true, "{api}");
    assert_eq!(api["online"], false, "{api}");
    assert!(api["docs_waiting"].as_u64().unwrap() > 0, "{api}");
    assert!(home.contains("Tidak terhubung"), "{home}");

    // The link comes back, but 30% of connections are cut mid-stream, within their first 10 kB
    // (a TLS handshake with the office certificate is about 4 kB, one application 8 to 10 kB).
    proxy.set_faults(Faults {
        cut: 0.3,
        cut_within_bytes: 10_000,
        ..Faults::none()
    });
    proxy.heal();
    // While documents flow, the offices go on recording and the link drops for a moment
    // mid-transfer, again and again: each drop makes the agents open new connections, and each
    // new connection draws its own 30 % chance of being cut. This goes on until the cut fault
    // has struck at least `MIN_FAULT_CUTS` times (a link whose fault never strikes fails the
    // test after 30 drops).
    const MIN_FAULT_CUTS: u64 = 2;
    let mut drops = 0;
    let mut next = per_office + 1;
    while drops < 2 || proxy.stats().cut_fault < MIN_FAULT_CUTS {
        assert!(
            drops < 30,
            "after {drops} drops the 30 % cut fault struck {} times, expected {MIN_FAULT_CUTS} \
             (seed {seed}): {:?}",
            proxy.stats().cut_fault,
            proxy.stats()
        );
        let before = proxy.stats().bytes_up;
        for o in &offices {
            confirmed.extend(record_confirmed_many(o, next, 1).await);
        }
        next += 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        while proxy.stats().bytes_up < before + 10_000 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        proxy.partition();
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.heal();
        drops += 1;
    }
    let refs: Vec<&Office> = offices.iter().collect();
    let docs = converge(&hub_data, &refs, confirmed.len(), Duration::from_secs(120)).await;
    check_confirmed(&hub_data, &refs, &confirmed);
    // The cuts, by kind: the 30 % fault cut connections by itself (not only the partition).
    let st = proxy.stats();
    eprintln!("proxy after {drops} drops and convergence: {st:?}");
    assert!(
        st.cut_fault >= MIN_FAULT_CUTS,
        "the 30 % cut fault cut too few connections (seed {seed}): {st:?}"
    );

    // District dedup: the hub decides every recorded application by itself (`oleh: sistem`),
    // and the decisions travel back with the next syncs.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let undecided: Vec<String> = hub_docs(&hub_data)
            .unwrap()
            .into_iter()
            .filter(|d| d.keputusan.as_ref().is_none_or(|k| k["oleh"] != "sistem"))
            .map(|d| d.id)
            .collect();
        if undecided.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the hub did not decide {undecided:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let one = &docs[0].id;
    let office_of_one = offices
        .iter()
        .find(|o| o.kecamatan == docs[0].kecamatan)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent_db::keputusan(&office_of_one.db(), one)
        .unwrap()
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the dedup decision did not reach the office"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // ... and the desks show it: the application's JSON and its page.
    let token = office_of_one.login("kepala").await.unwrap();
    let get = |path: String| {
        office_of_one
            .http
            .get(format!("{}{path}", office_of_one.base()))
            .bearer_auth(&token)
            .send()
    };
    let v: serde_json::Value = get(format!("/api/permohonan/{one}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["keputusan"]["oleh"], "sistem", "{v}");
    let page = get(format!("/permohonan/{one}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Keputusan kabupaten: <b>"), "{page}");

    // The return path: a decision written at the hub by a person reaches its office (and
    // replaces the engine's).
    let target = docs
        .iter()
        .find(|d| d.kecamatan == "130102")
        .unwrap()
        .id
        .clone();
    harness::run(
        std::process::Command::new(harness::hub_exe())
            .args(["decide", "--data"])
            .arg(&hub_data)
            .args([
                "--permohonan",
                &target,
                "--hasil",
                "duplikat",
                "--oleh",
                "adjudikator",
            ]),
        None,
    )
    .unwrap();
    let office = &offices[1];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(k) = agent_db::keputusan(&office.db(), &target).unwrap()
            && k["oleh"] == "adjudikator"
        {
            assert_eq!(k["hasil"], "duplikat");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "decision did not reach the office"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    converge(&hub_data, &refs, confirmed.len(), Duration::from_secs(60)).await;
    let st = office.sync_status().unwrap();
    assert_eq!(st["online"], true, "{st}");
    assert_eq!(st["docs_waiting"], 0, "{st}");
    let (api, home) = desk_sync(office).await;
    assert_eq!(api["online"], true, "{api}");
    assert_eq!(api["docs_waiting"], 0, "{api}");
    assert!(home.contains("<b class=\"ok\">Terhubung</b>"), "{home}");
    assert!(home.contains("Menunggu dikirim: 0 dokumen"), "{home}");
    // `sync now` forces a round of the running agent and reports it.
    let out = harness::run(
        std::process::Command::new(harness::agent_exe())
            .args(["sync", "now", "--wait", "20", "--data"])
            .arg(office.data()),
        None,
    )
    .unwrap();
    assert!(out.contains("online"), "{out}");
    drop(hub);
}

/// Records `n` residents at `o` (numbered from `from`) and returns what the desk API confirmed.
async fn record_confirmed_many(o: &Office, from: u16, n: u16) -> Vec<Confirmed> {
    let reg = o.login("reg").await.unwrap();
    let rek = o.login("rek").await.unwrap();
    let mut out = Vec::new();
    for i in from..from + n {
        out.push(
            o.record_confirmed(&reg, &rek, i)
                .await
                .unwrap_or_else(|e| panic!("record {i} at {}: {e:#}", o.kecamatan)),
        );
    }
    out
}

/// Checks the end state against what the desks confirmed to the operators: every confirmed
/// application is at the hub once, in the confirmed state (status and proof number, replayed
/// from its events), with every confirmed capture and its photo and signature complete and
/// verified byte for byte; the hub holds nothing else; no proof number is given twice; and each
/// office holds exactly its confirmed applications.
fn check_confirmed(hub_data: &Path, offices: &[&Office], confirmed: &[Confirmed]) {
    let apps = harness::hub_applications(hub_data).unwrap();
    let at_hub: BTreeMap<&str, &harness::HubApplication> =
        apps.iter().map(|a| (a.id.as_str(), a)).collect();
    assert_eq!(at_hub.len(), apps.len(), "an id twice at the hub");
    let want: BTreeSet<&str> = confirmed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        want.len(),
        confirmed.len(),
        "the desks confirmed an id twice"
    );
    let have: BTreeSet<&str> = at_hub.keys().copied().collect();
    assert_eq!(
        have,
        want,
        "the hub's applications are not the confirmed ones (missing: {:?}, extra: {:?})",
        want.difference(&have).collect::<Vec<_>>(),
        have.difference(&want).collect::<Vec<_>>()
    );
    let mut bukti = BTreeSet::new();
    for c in confirmed {
        let h = at_hub[c.id.as_str()];
        assert_eq!(
            (&h.status, &h.nomor_bukti),
            (&c.status, &c.nomor_bukti),
            "{}: state at the hub differs from what the desk confirmed",
            c.id
        );
        assert_eq!(
            h.captures, c.captures,
            "{}: captures at the hub differ from the confirmed ones",
            c.id
        );
        let blobs: BTreeSet<String> = c
            .captures
            .iter()
            .filter(|(m, _)| m == "face" || m == "signature")
            .map(|(_, sha)| sha.clone())
            .collect();
        assert_eq!(blobs.len(), 2, "{}: photo and signature confirmed", c.id);
        assert_eq!(
            h.blobs_verified, blobs,
            "{}: photo/signature not complete and verified at the hub",
            c.id
        );
        assert!(
            bukti.insert(c.nomor_bukti.clone()),
            "proof number {:?} twice",
            c.nomor_bukti
        );
    }
    for o in offices {
        let local: BTreeSet<String> = o.doc_heads().unwrap().into_iter().map(|d| d.0).collect();
        let mine: BTreeSet<String> = confirmed
            .iter()
            .filter(|c| c.id.starts_with(&o.kecamatan))
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(
            local, mine,
            "{}: office holds other applications",
            o.kecamatan
        );
    }
}

/// The connections of `proxies` (index, connection) with a request awaiting its answer right
/// now, on a connection the proxy is not about to cut (at least 3 kB, about 100 ms at
/// 256 kbit/s, before its drawn cut offset: a kill is not mistaken for a cut that happened in
/// the same moment).
fn open_requests(proxies: &[&FaultProxy]) -> Vec<(usize, ConnInfo)> {
    proxies
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.connections()
                .into_iter()
                .filter(|c| c.awaiting_answer() && c.cut_in.is_none_or(|left| left >= 3_000))
                .map(move |c| (i, c))
        })
        .collect()
}

/// Waits until a request is open on one of `proxies`, lets `after` pass, and returns the
/// requests open then (none seen open within `timeout`: panics).
async fn wait_open_request(
    proxies: &[&FaultProxy],
    after: Duration,
    timeout: Duration,
) -> Vec<(usize, ConnInfo)> {
    let deadline = Instant::now() + timeout;
    loop {
        if !open_requests(proxies).is_empty() {
            tokio::time::sleep(after).await;
            let open = open_requests(proxies);
            if !open.is_empty() {
                return open;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no sync request seen in flight within {timeout:?}: {:?}",
            proxies.iter().map(|p| p.stats()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Waits until each of `conns` has ended (30 s at most) and returns how they ended.
async fn wait_ended(proxies: &[&FaultProxy], conns: &[(usize, ConnInfo)]) -> Vec<ConnInfo> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now: Vec<ConnInfo> = conns
            .iter()
            .filter_map(|(i, c)| proxies[*i].connection(c.id))
            .collect();
        if now.len() == conns.len() && now.iter().all(|c| c.end.is_some()) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "connections did not end: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Who a round of the kill test kills.
#[derive(Debug, Clone, Copy)]
enum Korban {
    /// The agent of office `0` or `1`.
    Agen(usize),
    /// The hub.
    Hub,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_agent_and_hub_during_sync_loses_nothing() {
    // The seed drives the proxies' faults and the kill moments; REKAM_TEST_SEED replays it.
    let seed = harness::test_seed("kill_9_of_agent_and_hub_during_sync_loses_nothing");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub_port = free_port();
    let mut hub = Some(start_hub(&hub_data, &pki, localhost(hub_port)).unwrap());
    // Each office has its own uplink (so the proxy's evidence tells which agent a request is
    // from): 30 % of connections cut mid-stream (within their first 8 kB, so that nearly every
    // connection drawn for a cut lives long enough to be cut), and slow, so that a request
    // takes a while.
    let link = Faults {
        cut: 0.3,
        cut_within_bytes: 8_000,
        ..Faults::none()
    }
    .kbit_per_sec(256);
    let mut proxies = Vec::new();
    for i in 0..2u64 {
        proxies.push(
            FaultProxy::builder(localhost(hub_port))
                .seed(seed.wrapping_add(i))
                .faults(link.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    let url = |p: &FaultProxy| format!("https://127.0.0.1:{}", p.addr().port());
    let mut offices = vec![
        Office::create(root.path(), &pki, "130104", &url(&proxies[0]))
            .await
            .unwrap(),
        Office::create(root.path(), &pki, "130105", &url(&proxies[1]))
            .await
            .unwrap(),
    ];
    let rounds = [
        Korban::Agen(0),
        Korban::Hub,
        Korban::Agen(1),
        Korban::Hub,
        Korban::Agen(0),
        Korban::Hub,
        Korban::Agen(1),
        Korban::Hub,
    ];
    let per_round = 2;
    let mut confirmed = Vec::new();
    let mut live_kills = 0;
    let mut evidence = Vec::new();
    for (round, &korban) in rounds.iter().enumerate() {
        // The offices record while their links are down, so that every round has a backlog
        // to send when they come back.
        for p in &proxies {
            p.partition();
        }
        for o in &offices {
            let from = 1 + (per_round * round) as u16;
            confirmed.extend(record_confirmed_many(o, from, per_round as u16).await);
        }
        for p in &proxies {
            p.heal();
        }
        // The kill lands while a request is in flight on the victim's link(s), a seeded moment
        // (0-150 ms) after one was first seen open; those open then are the ones killed.
        let watched: Vec<&FaultProxy> = match korban {
            Korban::Agen(i) => vec![&proxies[i]],
            Korban::Hub => proxies.iter().collect(),
        };
        let after = Duration::from_millis(rand::Rng::gen_range(&mut rng, 0..150));
        let open = wait_open_request(&watched, after, Duration::from_secs(30)).await;
        match korban {
            Korban::Agen(i) => {
                offices[i].agent.take().unwrap().kill9();
            }
            Korban::Hub => hub.take().unwrap().kill9(),
        }
        // The proxy's side of it: the requests open at the kill ended by the peer mid-request.
        let ends = wait_ended(&watched, &open).await;
        let landed = ends.iter().any(|c| c.ended_mid_request());
        live_kills += usize::from(landed);
        // (link = office index, connection id, unanswered bytes, bytes in flight)
        let link_of = |w: usize| match korban {
            Korban::Agen(i) => i,
            Korban::Hub => w,
        };
        evidence.push(format!(
            "round {round} {korban:?}: open before {:?}, after {:?}",
            open.iter()
                .map(|(w, c)| (link_of(*w), c.id, c.unanswered, c.in_flight))
                .collect::<Vec<_>>(),
            ends.iter()
                .map(|c| (c.id, c.end, c.mid_request))
                .collect::<Vec<_>>()
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
        match korban {
            Korban::Agen(i) => offices[i].start().unwrap(),
            Korban::Hub => hub = Some(start_hub(&hub_data, &pki, localhost(hub_port)).unwrap()),
        }
    }
    let stats: Vec<ProxyStats> = proxies.iter().map(|p| p.stats()).collect();
    eprintln!(
        "kill evidence:\n{}\nproxies: {stats:?}",
        evidence.join("\n")
    );
    assert!(
        live_kills >= rounds.len() - 1,
        "only {live_kills} of {} kills hit a request in flight (seed {seed}):\n{}",
        rounds.len(),
        evidence.join("\n")
    );
    let refs: Vec<&Office> = offices.iter().collect();
    converge(&hub_data, &refs, confirmed.len(), Duration::from_secs(120)).await;
    check_confirmed(&hub_data, &refs, &confirmed);
    let stats: Vec<ProxyStats> = proxies.iter().map(|p| p.stats()).collect();
    eprintln!("proxies at the end: {stats:?}");
    assert!(
        stats.iter().map(|s| s.cut_fault).sum::<u64>() > 0,
        "the 30 % cut fault never cut a connection (seed {seed}): {stats:?}"
    );
    // The hub restarted with everything: its log shows the documents it loaded.
    assert!(hub.unwrap().log().contains("rekam-hub ready"));
}

/// Waits until `rekam-agent sync status` of `o` satisfies `ok`; returns that status.
async fn wait_status(
    o: &Office,
    what: &str,
    timeout: Duration,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let st = o.sync_status().unwrap();
        if ok(&st) {
            return st;
        }
        assert!(
            Instant::now() < deadline,
            "{}: not {what} within {timeout:?}: {st}",
            o.kecamatan
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offices_notice_a_silent_partition_by_their_timeouts_and_converge_after_heal() {
    /// The agents' hub timeout (`[hub] timeout_ms`): the only way they can notice a dead link.
    const HUB_TIMEOUT: Duration = Duration::from_secs(3);
    /// How long the agents have to notice the dark (several timeouts and retries).
    const NOTICE: Duration = Duration::from_secs(30);
    let seed = harness::test_seed(
        "offices_notice_a_silent_partition_by_their_timeouts_and_converge_after_heal",
    );
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub = start_hub(&hub_data, &pki, localhost(0)).unwrap();
    // A slow line (so that a sync is in flight for a while) that will go dark.
    let proxy = FaultProxy::builder(hub.addr)
        .seed(seed)
        .faults(Faults::none().kbit_per_sec(256))
        .start()
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let mut offices = Vec::new();
    for k in ["130106", "130107"] {
        offices.push(
            Office::create_with_hub_timeout(root.path(), &pki, k, &url, HUB_TIMEOUT)
                .await
                .unwrap(),
        );
    }
    let mut confirmed = Vec::new();
    for o in &offices {
        confirmed.extend(record_confirmed_many(o, 1, 2).await);
    }
    for o in &offices {
        wait_status(o, "online", NOTICE, |st| st["online"] == true).await;
    }
    // More applications, and the line goes dark while they are being sent.
    for o in &offices {
        confirmed.extend(record_confirmed_many(o, 3, 2).await);
    }
    let open = wait_open_request(&[&proxy], Duration::ZERO, Duration::from_secs(30)).await;
    proxy.partition_silently();
    let at_dark = proxy.stats();
    eprintln!("dark with requests open: {open:?}");
    // The offices go on recording in the dark.
    for o in &offices {
        confirmed.extend(record_confirmed_many(o, 5, 2).await);
    }
    // Nothing tells the agents (no reset, no refusal): they notice by their own timeouts.
    for o in &offices {
        let st = wait_status(o, "offline", NOTICE, |st| st["online"] == false).await;
        eprintln!("{} noticed: {}", o.kecamatan, st["last_error"]);
        assert!(st["docs_waiting"].as_u64().unwrap() > 0, "{st}");
    }
    // ... and, on the proxy's side, gave up on requests it held or blackholed.
    let deadline = Instant::now() + NOTICE;
    while proxy.stats().ended_mid_request == at_dark.ended_mid_request {
        assert!(
            Instant::now() < deadline,
            "no agent gave up on a request in the dark: {:?}",
            proxy.stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dark = proxy.stats();
    eprintln!("at dark {at_dark:?}\nbefore heal {dark:?}");
    assert_eq!(
        (dark.cut_total(), dark.refused, dark.failed),
        (at_dark.cut_total(), at_dark.refused, at_dark.failed),
        "the proxy told the agents something in the dark"
    );
    assert!(
        dark.held_silent > at_dark.held_silent,
        "no connection's bytes were held in the dark: {dark:?}"
    );
    assert!(
        dark.blackholed > at_dark.blackholed,
        "no new connection was blackholed in the dark: {dark:?}"
    );
    assert!(
        open.iter()
            .any(|(_, c)| proxy.connection(c.id).is_some_and(|c| c.held)),
        "the request in flight at the dark was not held: {:?}",
        proxy.connections()
    );

    // The line comes back: everything arrives, once.
    proxy.heal();
    let refs: Vec<&Office> = offices.iter().collect();
    converge(&hub_data, &refs, confirmed.len(), Duration::from_secs(120)).await;
    check_confirmed(&hub_data, &refs, &confirmed);
    for o in &offices {
        wait_status(o, "online again", NOTICE, |st| {
            st["online"] == true && st["docs_waiting"] == 0
        })
        .await;
    }
    eprintln!("after heal {:?}", proxy.stats());
    drop(hub);
}

/// A hand-made office client: the real office certificate of `tls_dir`, documents built here.
async fn client(url: &str, tls_dir: &Path) -> HubClient {
    HubClient::new(&HubConfig {
        url: url.to_owned(),
        tls_dir: tls_dir.to_owned(),
        timeout_ms: 10_000,
        ..HubConfig::default()
    })
    .unwrap()
}

/// Syncs one document until quiet; returns the refusals.
async fn push(c: &HubClient, doc: &mut PermohonanDoc) -> anyhow::Result<Vec<String>> {
    let id = doc.id().unwrap();
    let mut state = State::new();
    let mut refused = Vec::new();
    let mut bytes = WireBytes::default();
    for _ in 0..6 {
        let Some(m) = doc.automerge().sync().generate_sync_message(&mut state) else {
            break;
        };
        let resp: SyncResponse = c
            .sync(
                &SyncRequest {
                    extensions: Vec::new(),
                    cursor: 0,
                    listing: None,
                    docs: vec![DocMessage {
                        id: id.clone(),
                        message: Some(m.encode()),
                    }],
                },
                &mut bytes,
            )
            .await?;
        if !resp.refused.is_empty() {
            refused.extend(resp.refused.into_iter().map(|r| r.reason));
            break;
        }
        for d in resp.docs {
            if let Some(b) = d.message {
                doc.automerge()
                    .sync()
                    .receive_sync_message(&mut state, Message::decode(&b)?)?;
            }
        }
    }
    Ok(refused)
}

fn new_doc(id: &str, kecamatan: &str) -> PermohonanDoc {
    let mut d = PermohonanDoc::new(id, kecamatan).unwrap();
    d.set_penduduk(&harness::resident(kecamatan, 7)).unwrap();
    d
}

async fn wait_log(p: &Proc, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !p.log().contains(needle) {
        assert!(
            Instant::now() < deadline,
            "log lacks {needle:?}:\n{}",
            tail(&p.log())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_refuses_and_logs_what_an_office_may_not_do() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub_data = root.path().join("hub");
    let hub = start_hub(&hub_data, &pki, localhost(0)).unwrap();
    let url = format!("https://127.0.0.1:{}", hub.addr.port());
    let t1 = root.path().join("tls-130101");
    let t2 = root.path().join("tls-130102");
    pki.issue_agent("130101", &t1).unwrap();
    let serial2 = pki.issue_agent("130102", &t2).unwrap();

    // The rightful office syncs its application.
    let c1 = client(&url, &t1).await;
    let mut own = new_doc("130101-milik", "130101");
    assert!(push(&c1, &mut own).await.unwrap().is_empty());
    assert_eq!(hub_docs(&hub_data).unwrap().len(), 1);

    // 1. No client certificate: the TLS handshake is refused, and logged.
    let ca = std::fs::read(t1.join("ca.crt")).unwrap();
    let plain = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let r = plain
        .post(format!("{url}/v1/sync"))
        .body(SyncRequest::default().encode())
        .send()
        .await;
    assert!(r.is_err(), "a client without certificate got {r:?}");
    wait_log(&hub, "TLS handshake refused").await;

    // 2. Another kecamatan's certificate: neither a new application of 130101 nor an edit of
    //    130101's existing one is accepted.
    let c2 = client(&url, &t2).await;
    let mut foreign = new_doc("130101-palsu", "130101");
    let refused = push(&c2, &mut foreign).await.unwrap();
    assert!(refused.iter().any(|r| r.contains("130101")), "{refused:?}");
    // Nor an application of its own under an id of 130101's form (squatting an id).
    let mut squat = new_doc("130101-serobot", "130102");
    let refused = push(&c2, &mut squat).await.unwrap();
    assert!(
        refused.iter().any(|r| r.contains("does not start with")),
        "{refused:?}"
    );
    let mut stolen = PermohonanDoc::load(&own.save()).unwrap();
    stolen
        .set_penduduk(&harness::resident("130101", 8))
        .unwrap();
    let refused = push(&c2, &mut stolen).await.unwrap();
    assert!(!refused.is_empty());
    wait_log(&hub, "sync change refused").await;

    // 3. A forged decision from the rightful office.
    own.set_keputusan(&Keputusan {
        hasil: HasilDedup::Unik,
        oleh: "kantor".into(),
        waktu: chrono::Utc::now(),
        catatan: "palsu".into(),
        duplikat_dari: vec![],
        jenis: None,
        dasar: None,
    })
    .unwrap();
    let refused = push(&c1, &mut own).await.unwrap();
    assert!(
        refused.iter().any(|r| r.contains("keputusan")),
        "{refused:?}"
    );
    let docs = hub_docs(&hub_data).unwrap();
    assert_eq!(docs.len(), 1, "nothing refused was stored");
    assert!(docs[0].keputusan.is_none());
    let out = harness::run(
        std::process::Command::new(harness::hub_exe())
            .args(["inspect", "--data"])
            .arg(&hub_data),
        None,
    )
    .unwrap();
    assert!(!out.contains("palsu"));

    // 4. A revoked certificate is refused at the next connection.
    pki.revoke(&serial2).unwrap();
    let c2 = client(&url, &t2).await;
    let mut again = new_doc("130102-lagi", "130102");
    assert!(push(&c2, &mut again).await.is_err());
    wait_log(&hub, "is revoked").await;
}
