//! Blob transfer with the real hub: an upload cut mid-way resumes where it stopped (the bytes
//! already at the hub are not sent again), and a blob whose bytes do not match its SHA-256 is
//! refused and logged.

use std::path::Path;
use std::time::{Duration, Instant};

use rekam_agent::sync::HubConfig;
use rekam_agent::sync::client::{HubClient, WireBytes};
use rekam_tests::harness::{Pki, Proc, start_hub};
use rekam_tests::proxy::{Faults, Proxy};
use sha2::{Digest as _, Sha256};

fn client(url: &str, tls_dir: &Path) -> HubClient {
    HubClient::new(&HubConfig {
        url: url.to_owned(),
        tls_dir: tls_dir.to_owned(),
        timeout_ms: 10_000,
        ..HubConfig::default()
    })
    .unwrap()
}

fn setup() -> (tempfile::TempDir, Pki, Proc, std::path::PathBuf) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::init(&root.path().join("pki")).unwrap();
    let hub = start_hub(
        &root.path().join("hub"),
        &pki,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let tls = root.path().join("tls");
    pki.issue_agent("130106", &tls).unwrap();
    (root, pki, hub, tls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_where_it_stopped() {
    let (_root, _pki, hub, tls) = setup();
    // Every connection through this proxy is cut after at most 150 kB.
    let proxy = Proxy::start(hub.addr).await.unwrap();
    proxy.set_faults(Faults {
        cut: 1.0,
        cut_within_bytes: 150_000,
        ..Faults::default()
    });
    let url = format!("https://127.0.0.1:{}", proxy.addr().port());
    let data: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let sha = hex::encode(Sha256::digest(&data));
    let mut sent = WireBytes::default();
    let mut attempts = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        attempts += 1;
        // A fresh client each time, as after an agent restart.
        let c = client(&url, &tls);
        match c.upload_blob(&sha, &data, &mut sent).await {
            Ok(()) => break,
            Err(_) => assert!(Instant::now() < deadline, "upload never completed"),
        }
    }
    assert!(attempts > 1, "the proxy should have cut the upload");
    eprintln!(
        "{attempts} attempts, {} bytes sent for {} bytes",
        sent.sent,
        data.len()
    );
    // Resumed, not restarted: each attempt loses at most the chunk in flight when it is cut.
    let chunk = rekam_shared::wire::BLOB_CHUNK_BYTES as u64;
    assert!(
        sent.sent <= data.len() as u64 + attempts * chunk,
        "{} bytes sent for a {} byte blob in {attempts} attempts",
        sent.sent,
        data.len()
    );
    let direct = client(&format!("https://127.0.0.1:{}", hub.addr.port()), &tls);
    let st = direct.blob_status(&sha).await.unwrap();
    assert!(st.complete);
    assert_eq!(st.received, data.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_that_does_not_match_its_hash_is_refused() {
    let (_root, _pki, hub, tls) = setup();
    let c = client(&format!("https://127.0.0.1:{}", hub.addr.port()), &tls);
    let data = vec![7u8; 100_000];
    let wrong = hex::encode(Sha256::digest(b"something else"));
    let mut sent = WireBytes::default();
    let err = c.upload_blob(&wrong, &data, &mut sent).await.unwrap_err();
    assert!(err.to_string().contains("422"), "{err}");
    let st = c.blob_status(&wrong).await.unwrap();
    assert!(!st.complete);
    assert_eq!(st.received, 0, "the bad upload was discarded");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !hub.log().contains("blob refused: hash mismatch") {
        assert!(Instant::now() < deadline, "refusal not logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
