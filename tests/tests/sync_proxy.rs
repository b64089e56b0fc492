//! Tests of the fault-injecting proxy itself, against a real TCP echo server on 127.0.0.1.
//! Timing checks are lower bounds only (a slow machine can only make them pass more).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rekam_tests::proxy::{Faults, Proxy};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

async fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// Sends `n` bytes and reads back what comes, until EOF/error or `n` bytes.
async fn roundtrip(addr: SocketAddr, n: usize) -> (usize, bool) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return (0, true);
    };
    let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let (mut r, mut w) = s.split();
    let send = async {
        let _ = w.write_all(&data).await;
    };
    let recv = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match tokio::time::timeout(Duration::from_secs(10), r.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return (got, true),
                Ok(Ok(k)) => {
                    got.extend_from_slice(&buf[..k]);
                    if got.len() >= n {
                        return (got, false);
                    }
                }
            }
        }
    };
    let ((), (got, closed)) = tokio::join!(send, recv);
    assert!(
        got.iter().enumerate().all(|(i, b)| *b == i as u8),
        "bytes intact"
    );
    (got.len(), closed)
}

#[tokio::test]
async fn forwards_bytes_intact() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    assert_eq!(roundtrip(p.addr(), 200_000).await, (200_000, false));
    let st = p.stats();
    assert_eq!(st.connections, 1);
    assert_eq!(st.bytes_up, 200_000);
    assert_eq!(st.bytes_down, 200_000);
}

#[tokio::test]
async fn drops_connections() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    p.set_faults(Faults {
        refuse: 1.0,
        ..Faults::default()
    });
    let (n, closed) = roundtrip(p.addr(), 1000).await;
    assert_eq!(n, 0);
    assert!(closed);
    assert_eq!(p.stats().refused, 1);
}

#[tokio::test]
async fn cuts_connections_mid_stream() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    p.set_faults(Faults {
        cut: 1.0,
        cut_within_bytes: 50_000,
        ..Faults::default()
    });
    for _ in 0..5 {
        let (n, closed) = roundtrip(p.addr(), 200_000).await;
        assert!(closed);
        assert!(n <= 50_000, "cut within the budget, got {n}");
    }
    assert_eq!(p.stats().cut, 5);
}

#[tokio::test]
async fn throttles_to_the_given_bandwidth() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    // 32 kB/s (256 kbit/s): 16 kB takes >= 0.5 s each way.
    p.set_faults(Faults {
        bytes_per_sec: Some(32_000),
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(roundtrip(p.addr(), 16_000).await, (16_000, false));
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn delays_every_chunk() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    p.set_faults(Faults {
        delay: Duration::from_millis(150),
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(roundtrip(p.addr(), 10).await, (10, false));
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn partitions_and_heals_on_command() {
    let p = Proxy::start(echo_server().await).await.unwrap();
    let mut open = TcpStream::connect(p.addr()).await.unwrap();
    open.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    open.read_exact(&mut buf).await.unwrap();
    p.partition(true);
    // The open connection is cut...
    let r = tokio::time::timeout(Duration::from_secs(5), open.read(&mut buf))
        .await
        .expect("cut promptly");
    assert!(matches!(r, Ok(0) | Err(_)));
    // ...and new ones are refused.
    assert_eq!(roundtrip(p.addr(), 100).await.0, 0);
    p.partition(false);
    assert_eq!(roundtrip(p.addr(), 100).await, (100, false));
}
