//! Tests of the fault-injecting proxy (`rekam_tests::proxy::FaultProxy`) with real sockets on
//! 127.0.0.1: an echo server or a byte sink upstream, clients that check every byte they get back.
//! Timing checks are lower bounds only (a slow machine can only make them pass more).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rekam_tests::proxy::{ConnEnd, FaultProxy, Faults, Link, REQUEST_MIN_BYTES};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// An upstream server on 127.0.0.1 and how many connections reached it.
struct Upstream {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

/// Echoes every byte back until the client closes.
async fn echo_server() -> Upstream {
    serve(|mut s| async move {
        let (mut r, mut w) = s.split();
        let _ = tokio::io::copy(&mut r, &mut w).await;
    })
    .await
}

/// Reads to end of stream, then answers with the byte count (8 bytes, big endian) and closes.
async fn sink_server() -> Upstream {
    serve(|mut s| async move {
        let mut n = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(k @ 1..) = s.read(&mut buf).await {
            n += k as u64;
        }
        let _ = s.write_all(&n.to_be_bytes()).await;
    })
    .await
}

async fn serve<F, Fut>(handler: F) -> Upstream
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handler(s));
        }
    });
    Upstream { addr, accepted }
}

/// Reads and never answers; after `die_after` bytes (if given) it resets the connection, like a
/// server killed while it worked on a request; otherwise it closes after the client's end.
async fn mute_server(die_after: Option<usize>) -> Upstream {
    serve(move |mut s| async move {
        let mut n = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(k @ 1..) = s.read(&mut buf).await {
            n += k;
            if die_after.is_some_and(|d| n >= d) {
                let _ = s.set_zero_linger();
                return;
            }
        }
    })
    .await
}

/// Waits until connection `id` of `p` has ended (5 s at most) and returns it.
async fn ended(p: &FaultProxy, id: u64) -> rekam_tests::proxy::ConnInfo {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let c = p.connection(id);
        if let Some(c) = &c
            && c.end.is_some()
        {
            return c.clone();
        }
        assert!(Instant::now() < deadline, "connection did not end: {c:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until connection `id` of `p` shows `ok` (5 s at most).
async fn until(
    p: &FaultProxy,
    id: u64,
    ok: impl Fn(&rekam_tests::proxy::ConnInfo) -> bool,
) -> rekam_tests::proxy::ConnInfo {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(c) = p.connection(id)
            && ok(&c)
        {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "connection {id}: {:?}",
            p.connection(id)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The test pattern: byte `i` of a stream.
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

/// What a client got back.
#[derive(Debug, PartialEq, Eq)]
struct Echo {
    /// Bytes received back, all checked against what was sent.
    got: usize,
    /// The stream ended (EOF, reset, or 10 s of silence) before `n` bytes came back.
    broken: bool,
}

/// Sends `n` pattern bytes through `addr` and reads the echo until `n` bytes or the end.
async fn echo(addr: SocketAddr, n: usize) -> Echo {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return Echo {
            got: 0,
            broken: true,
        };
    };
    let data: Vec<u8> = (0..n).map(pattern).collect();
    let (mut r, mut w) = s.split();
    let send = async {
        let _ = w.write_all(&data).await;
    };
    let recv = async {
        let mut got = 0;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(10), r.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => return Echo { got, broken: true },
                Ok(Ok(k)) => {
                    for (j, b) in buf[..k].iter().enumerate() {
                        assert_eq!(*b, pattern(got + j), "byte {} corrupted", got + j);
                    }
                    got += k;
                    if got >= n {
                        return Echo { got, broken: false };
                    }
                }
            }
        }
    };
    tokio::join!(send, recv).1
}

/// Uploads `n` bytes to a sink server through `addr`; returns the count it acknowledged.
async fn upload(addr: SocketAddr, n: usize) -> u64 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let data: Vec<u8> = (0..n).map(pattern).collect();
    s.write_all(&data).await.unwrap();
    s.shutdown().await.unwrap();
    let mut ack = [0u8; 8];
    s.read_exact(&mut ack).await.unwrap();
    u64::from_be_bytes(ack)
}

/// Whether the connection is closed (EOF or reset) within 5 s.
async fn closed_soon(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn forwards_megabytes_intact() {
    let up = echo_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    let n = 4 << 20;
    assert_eq!(
        echo(p.addr(), n).await,
        Echo {
            got: n,
            broken: false
        }
    );
    let st = p.stats();
    assert_eq!((st.connections, st.cut_total(), st.failed), (1, 0, 0));
    assert_eq!((st.bytes_up, st.bytes_down), (n as u64, n as u64));
    // The connection's own evidence: closed in order, nothing left in flight, no request open.
    let c = ended(&p, 1).await;
    assert_eq!(c.end, Some(ConnEnd::Closed), "{c:?}");
    assert_eq!(
        (c.bytes_up, c.bytes_down, c.in_flight),
        (n as u64, n as u64, 0)
    );
    assert!(!c.ended_mid_request(), "{c:?}");
    assert_eq!(c.cut_in, None, "not drawn for a cut");
    assert_eq!(p.stats().ended_mid_request, 0);
}

#[tokio::test]
async fn half_close_reaches_the_upstream_and_the_answer_comes_back() {
    let up = sink_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    assert_eq!(upload(p.addr(), 300_000).await, 300_000);
    assert_eq!(p.stats().bytes_down, 8);
}

#[tokio::test]
async fn cut_after_n_bytes_cuts_exactly_there() {
    let up = echo_server().await;
    let p = FaultProxy::builder(up.addr)
        .faults(Faults {
            cut_after_bytes: Some(100_000),
            ..Faults::none()
        })
        .start()
        .await
        .unwrap();
    let e = echo(p.addr(), 1 << 20).await;
    assert!(e.broken, "the client saw the cut: {e:?}");
    assert!(e.got <= 100_000, "{e:?}");
    let st = p.stats();
    assert_eq!((st.cut_fault, st.cut_partition, st.cut_manual), (1, 0, 0));
    assert_eq!(st.bytes_up + st.bytes_down, 100_000, "{st:?}");
    let c = p.connection(1).unwrap();
    assert_eq!(
        (c.end, c.cut_in),
        (Some(ConnEnd::CutFault), Some(0)),
        "{c:?}"
    );
    // Cut right after connecting: not a byte goes through.
    p.set_faults(Faults {
        cut_after_bytes: Some(0),
        ..Faults::none()
    });
    assert_eq!(
        echo(p.addr(), 1000).await,
        Echo {
            got: 0,
            broken: true
        }
    );
    assert_eq!(p.stats().cut_fault, 2);
}

/// Which of `n` sequential connections were cut, through a proxy seeded with `seed`.
async fn cut_pattern(upstream: SocketAddr, seed: u64, n: usize) -> Vec<bool> {
    let p = FaultProxy::builder(upstream)
        .seed(seed)
        .faults(Faults {
            cut: 0.3,
            cut_within_bytes: 4_000,
            ..Faults::none()
        })
        .start()
        .await
        .unwrap();
    let mut cut = Vec::with_capacity(n);
    for _ in 0..n {
        // 8 kB each way: every drawn offset (<= 4 kB) lands inside the stream.
        cut.push(echo(p.addr(), 8_000).await.broken);
    }
    let st = p.stats();
    assert_eq!(
        st.cut_fault as usize,
        cut.iter().filter(|c| **c).count(),
        "{st:?}"
    );
    assert_eq!((st.cut_partition, st.cut_manual), (0, 0), "{st:?}");
    assert_eq!(st.failed, 0);
    p.shutdown().await;
    cut
}

#[tokio::test]
async fn thirty_percent_cut_is_thirty_percent_and_reproducible() {
    let up = echo_server().await;
    let a = cut_pattern(up.addr, 42, 200).await;
    let cuts = a.iter().filter(|c| **c).count();
    // Binomial(200, 0.3): mean 60, sd 6.5; 40..=80 is beyond 3 sd either way.
    assert!((40..=80).contains(&cuts), "{cuts} of 200 cut");
    // The same seed gives the same connections cut; another seed, other ones.
    assert_eq!(cut_pattern(up.addr, 42, 200).await, a);
    assert_ne!(cut_pattern(up.addr, 43, 200).await, a);
}

#[tokio::test]
async fn refuses_or_blackholes_new_connections() {
    let up = echo_server().await;
    let p = FaultProxy::builder(up.addr)
        .faults(Faults {
            refuse: 1.0,
            ..Faults::none()
        })
        .start()
        .await
        .unwrap();
    assert_eq!(echo(p.addr(), 1000).await.got, 0);
    assert_eq!(p.stats().refused, 1);

    p.set_faults(Faults {
        blackhole: 1.0,
        ..Faults::none()
    });
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    s.write_all(b"anyone there?").await.unwrap();
    let mut buf = [0u8; 16];
    let silent = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(silent.is_err(), "a blackhole never answers: {silent:?}");
    let st = p.stats();
    assert_eq!((st.blackholed, st.live), (1, 1));
    assert_eq!(
        up.accepted.load(Ordering::SeqCst),
        0,
        "nothing reached upstream"
    );
    // A partition kills blackholed connections too.
    p.partition();
    assert!(closed_soon(&mut s).await);
    p.heal();
    p.set_faults(Faults::none());
    assert!(!echo(p.addr(), 1000).await.broken);
    assert_eq!(up.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn partition_refuses_then_heal_restores() {
    let up = echo_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    let control = p.clone();
    let mut open = TcpStream::connect(p.addr()).await.unwrap();
    open.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    open.read_exact(&mut buf).await.unwrap();
    control.partition();
    assert!(p.is_partitioned());
    assert!(
        closed_soon(&mut open).await,
        "the live connection is killed"
    );
    for _ in 0..3 {
        assert_eq!(
            echo(p.addr(), 100).await.got,
            0,
            "refused while partitioned"
        );
    }
    control.heal();
    assert!(!echo(p.addr(), 100).await.broken);
    let st = p.stats();
    assert_eq!(
        (st.connections, st.cut_partition, st.refused),
        (5, 1, 3),
        "{st:?}"
    );
    assert_eq!((st.cut_fault, st.cut_manual), (0, 0), "{st:?}");
    assert_eq!(p.connection(1).unwrap().end, Some(ConnEnd::CutPartition));
    assert_eq!(p.connection(2).unwrap().end, Some(ConnEnd::Refused));

    // `cut_all` kills live connections but keeps accepting.
    let mut open = TcpStream::connect(p.addr()).await.unwrap();
    open.write_all(b"hello").await.unwrap();
    open.read_exact(&mut buf).await.unwrap();
    p.cut_all();
    assert!(closed_soon(&mut open).await);
    assert!(!echo(p.addr(), 100).await.broken);
    let st = p.stats();
    assert_eq!(
        (st.cut_fault, st.cut_partition, st.cut_manual),
        (0, 1, 1),
        "{st:?}"
    );
    assert_eq!(p.connection(6).unwrap().end, Some(ConnEnd::CutManual));
}

#[tokio::test]
async fn silent_partition_holds_bytes_until_heal() {
    let up = echo_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    let mut open = TcpStream::connect(p.addr()).await.unwrap();
    let mut buf = [0u8; 5];
    open.write_all(b"hello").await.unwrap();
    open.read_exact(&mut buf).await.unwrap();
    p.partition_silently();
    assert!(p.is_partitioned());
    // The live connection stays open but nothing moves, and nothing is reset.
    open.write_all(b"still").await.unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(300), open.read(&mut buf)).await;
    assert!(
        quiet.is_err(),
        "no byte moves in a silent partition: {quiet:?}"
    );
    // A new connection is accepted and never answered; nothing reaches upstream.
    let mut late = TcpStream::connect(p.addr()).await.unwrap();
    late.write_all(b"hello").await.unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(100), late.read(&mut buf)).await;
    assert!(quiet.is_err(), "{quiet:?}");
    assert_eq!(up.accepted.load(Ordering::SeqCst), 1);
    p.heal();
    // What was held arrives: the connection survived the outage.
    tokio::time::timeout(Duration::from_secs(5), open.read_exact(&mut buf))
        .await
        .expect("held bytes arrive after heal")
        .unwrap();
    assert_eq!(&buf, b"still");
    assert!(!echo(p.addr(), 1000).await.broken);
    let st = p.stats();
    assert_eq!((st.cut_total(), st.blackholed), (0, 1), "{st:?}");
    // The live connection's bytes were held (counted once), the late one was blackholed.
    assert_eq!(st.held_silent, 1, "{st:?}");
    assert!(p.connection(1).unwrap().held);
    assert!(p.connection(2).unwrap().blackholed);
}

#[tokio::test]
async fn a_peer_ending_in_the_middle_of_a_request_is_told_apart() {
    let req = vec![7u8; 500];
    // 1. The client sends a request nobody answers, then goes away (a killed agent): the
    //    request was open while it lived, and it ended mid-request.
    let mute = mute_server(None).await;
    let p = FaultProxy::start(mute.addr).await.unwrap();
    let mut c = TcpStream::connect(p.addr()).await.unwrap();
    c.write_all(&req).await.unwrap();
    let open = until(&p, 1, |c| c.bytes_up == 500).await;
    assert!(open.request_open() && open.awaiting_answer(), "{open:?}");
    assert_eq!(open.unanswered, 500);
    drop(c);
    let e = ended(&p, 1).await;
    assert!(e.ended_mid_request(), "{e:?}");
    assert_eq!(p.stats().ended_mid_request, 1);

    // 2. The upstream dies (reset) while it works on the request (a killed hub).
    let dying = mute_server(Some(500)).await;
    p.set_upstream(dying.addr);
    let mut c = TcpStream::connect(p.addr()).await.unwrap();
    c.write_all(&req).await.unwrap();
    let e = ended(&p, 2).await;
    assert_eq!(e.end, Some(ConnEnd::Failed), "{e:?}");
    assert!(e.ended_mid_request(), "{e:?}");
    assert_eq!(p.stats().ended_mid_request, 2);
    drop(c);

    // 3. Answered, then a small goodbye (below REQUEST_MIN_BYTES, like TLS close_notify) and an
    //    orderly close: no request was open.
    let echo_up = echo_server().await;
    p.set_upstream(echo_up.addr);
    let mut c = TcpStream::connect(p.addr()).await.unwrap();
    c.write_all(&req).await.unwrap();
    let mut back = vec![0u8; 500];
    c.read_exact(&mut back).await.unwrap();
    let idle = until(&p, 3, |c| c.bytes_down == 500).await;
    assert!(!idle.request_open() && !idle.awaiting_answer(), "{idle:?}");
    c.write_all(&[0u8; (REQUEST_MIN_BYTES - 1) as usize])
        .await
        .unwrap();
    c.shutdown().await.unwrap();
    let e = ended(&p, 3).await;
    assert_eq!(e.end, Some(ConnEnd::Closed), "{e:?}");
    assert_eq!(e.mid_request, Some(false), "{e:?}");
    assert!(!e.ended_mid_request());
    drop(c);

    // 4. A request open when the proxy cuts: the proxy's doing, not a peer's.
    p.set_upstream(mute.addr);
    let mut c = TcpStream::connect(p.addr()).await.unwrap();
    c.write_all(&req).await.unwrap();
    until(&p, 4, |c| c.request_open() && c.bytes_up == 500).await;
    p.cut_all();
    let e = ended(&p, 4).await;
    assert_eq!(e.end, Some(ConnEnd::CutManual), "{e:?}");
    assert!(!e.ended_mid_request(), "{e:?}");
    let st = p.stats();
    assert_eq!((st.ended_mid_request, st.cut_manual), (2, 1), "{st:?}");
}

#[tokio::test]
async fn silent_partition_hides_an_upstream_close_and_reset_until_heal() {
    // An upstream that says hello, then closes on its own (an idle timeout) 300 ms later, or
    // resets.
    for reset in [false, true] {
        let up = serve(move |mut s| async move {
            let _ = s.write_all(b"hello").await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            if reset {
                let _ = s.set_zero_linger();
            }
        })
        .await;
        let p = FaultProxy::start(up.addr).await.unwrap();
        let mut c = TcpStream::connect(p.addr()).await.unwrap();
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).await.unwrap();
        p.partition_silently();
        // The upstream's end happens in the dark: the client hears nothing.
        let quiet = tokio::time::timeout(Duration::from_millis(1000), c.read(&mut buf)).await;
        assert!(quiet.is_err(), "reset {reset}: the end leaked: {quiet:?}");
        assert!(p.connection(1).unwrap().held);
        p.heal();
        assert!(
            closed_soon(&mut c).await,
            "reset {reset}: the end after heal"
        );
        drop(c);
        let e = ended(&p, 1).await;
        let want = if reset {
            ConnEnd::Failed
        } else {
            ConnEnd::Closed
        };
        assert_eq!(e.end, Some(want), "{e:?}");
    }
}

#[tokio::test]
async fn throttle_is_one_bucket_across_connections() {
    let up = sink_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    p.set_faults(Faults::none().kbit_per_sec(256));
    // Two uploads of 32 KiB at once share 256 kbit/s: 64 KiB take >= 2 s, asserted >= 1.5 s.
    let t = Instant::now();
    let (a, b) = tokio::join!(upload(p.addr(), 32 * 1024), upload(p.addr(), 32 * 1024));
    let elapsed = t.elapsed();
    assert_eq!((a, b), (32 * 1024, 32 * 1024));
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(p.stats().bytes_up, 64 * 1024);
}

#[tokio::test]
async fn delay_adds_at_least_the_delay_each_way() {
    let up = echo_server().await;
    let p = FaultProxy::builder(up.addr)
        .seed(1)
        .faults(Faults {
            up: Some(Link {
                delay: Duration::from_millis(150),
                ..Link::default()
            }),
            ..Faults::none().latency(Duration::from_millis(50), Duration::from_millis(30))
        })
        .start()
        .await
        .unwrap();
    let t = Instant::now();
    assert!(!echo(p.addr(), 10).await.broken);
    let elapsed = t.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    // Jitter larger than the gap between chunks neither reorders nor loses bytes.
    p.update_faults(|f| {
        *f = Faults::none().latency(Duration::from_millis(1), Duration::from_millis(20));
    });
    let n = 1 << 20;
    assert_eq!(
        echo(p.addr(), n).await,
        Echo {
            got: n,
            broken: false
        }
    );
}

#[tokio::test]
async fn unreachable_upstream_and_new_upstream() {
    let gone = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let p = FaultProxy::start(gone).await.unwrap();
    assert!(echo(p.addr(), 100).await.broken);
    assert_eq!(p.stats().failed, 1);
    let up = echo_server().await;
    p.set_upstream(up.addr);
    assert!(!echo(p.addr(), 100).await.broken);
}

#[tokio::test]
async fn shutdown_closes_everything_and_leaves_no_task() {
    let up = echo_server().await;
    let p = FaultProxy::start(up.addr).await.unwrap();
    let watcher = p.clone();
    let addr = p.addr();
    let mut open = TcpStream::connect(addr).await.unwrap();
    open.write_all(b"hi").await.unwrap();
    let mut buf = [0u8; 2];
    open.read_exact(&mut buf).await.unwrap();
    assert_eq!(watcher.stats().live, 1);
    p.shutdown().await;
    // Every connection task has ended (the gauge drops as each one is dropped).
    assert_eq!(watcher.stats().live, 0);
    assert!(closed_soon(&mut open).await);
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");

    // Dropping the last handle stops a proxy as well.
    let p = FaultProxy::start(up.addr).await.unwrap();
    let addr = p.addr();
    drop(p);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "listener still open after drop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
