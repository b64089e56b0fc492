//! A fault-injecting TCP proxy for the end-to-end tests.
//!
//! It forwards `127.0.0.1:PORT` to an upstream address and, as configured through
//! [`Proxy::set_faults`] at any time: refuses a share of new connections (drop), adds latency
//! to every chunk (delay), throttles all traffic to a bandwidth shared by every connection like
//! a real office link (throttle), cuts a share of connections after a random number of bytes
//! (cut mid-stream), and partitions on command ([`Proxy::partition`]: new connections are
//! refused and open ones are cut at once). TLS passes through untouched: the proxy sees bytes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What the proxy does to traffic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability that a new connection is closed at once.
    pub refuse: f64,
    /// Probability that a connection is cut after a random number of bytes.
    pub cut: f64,
    /// Upper bound of the random byte budget of a connection that will be cut.
    pub cut_within_bytes: u64,
    /// Latency added to every forwarded chunk.
    pub delay: Duration,
    /// Bandwidth shared by all connections, bytes per second, per direction.
    pub bytes_per_sec: Option<u64>,
}

/// Counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections refused (drop or partition).
    pub refused: u64,
    /// Connections cut mid-stream.
    pub cut: u64,
    /// Bytes forwarded client → upstream.
    pub bytes_up: u64,
    /// Bytes forwarded upstream → client.
    pub bytes_down: u64,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    faults: Mutex<Faults>,
    partitioned: AtomicBool,
    epoch: AtomicU64,
    connections: AtomicU64,
    refused: AtomicU64,
    cut: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    /// Virtual clock of the shared link, per direction: when it is free again.
    link_free: [Mutex<Instant>; 2],
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.partition(true);
    }
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:0` forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        Self::start_on("127.0.0.1:0".parse().expect("addr"), upstream).await
    }

    /// Starts a proxy on `listen` forwarding to `upstream`.
    pub async fn start_on(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let now = Instant::now();
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            faults: Mutex::new(Faults::default()),
            partitioned: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            link_free: [Mutex::new(now), Mutex::new(now)],
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move { handle(s, client).await });
            }
        });
        Ok(Proxy { addr, shared, task })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes the faults (applies to new chunks and connections).
    pub fn set_faults(&self, f: Faults) {
        *self.shared.faults.lock().expect("faults") = f;
    }

    /// Points the proxy at another upstream (e.g. a restarted hub on a new port).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().expect("upstream") = upstream;
    }

    /// Partitions (true: refuse new connections and cut open ones) or heals (false).
    pub fn partition(&self, on: bool) {
        self.shared.partitioned.store(on, Ordering::SeqCst);
        if on {
            self.shared.epoch.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        ProxyStats {
            connections: s.connections.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
            cut: s.cut.load(Ordering::Relaxed),
            bytes_up: s.bytes_up.load(Ordering::Relaxed),
            bytes_down: s.bytes_down.load(Ordering::Relaxed),
        }
    }
}

async fn handle(s: Arc<Shared>, client: TcpStream) {
    s.connections.fetch_add(1, Ordering::Relaxed);
    let faults = s.faults.lock().expect("faults").clone();
    let (refuse, budget) = {
        let mut rng = rand::thread_rng();
        let refuse = rng.gen_bool(faults.refuse.clamp(0.0, 1.0));
        let budget = if rng.gen_bool(faults.cut.clamp(0.0, 1.0)) {
            Some(rng.gen_range(0..=faults.cut_within_bytes.max(1)))
        } else {
            None
        };
        (refuse, budget)
    };
    if refuse || s.partitioned.load(Ordering::SeqCst) {
        s.refused.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let upstream_addr = *s.upstream.lock().expect("upstream");
    let Ok(upstream) = TcpStream::connect(upstream_addr).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let epoch = s.epoch.load(Ordering::SeqCst);
    let budget = Arc::new(budget.map(AtomicU64::new));
    let (cr, cw) = client.into_split();
    let (ur, uw) = upstream.into_split();
    let up = pump(s.clone(), cr, uw, 0, epoch, budget.clone());
    let down = pump(s.clone(), ur, cw, 1, epoch, budget.clone());
    // When either direction ends (EOF, error, cut), both close.
    let cut = tokio::select! {
        c = up => c,
        c = down => c,
    };
    if cut {
        s.cut.fetch_add(1, Ordering::Relaxed);
    }
}

/// Forwards one direction; returns true if the connection was cut by a fault.
async fn pump(
    s: Arc<Shared>,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    dir: usize,
    epoch: u64,
    budget: Arc<Option<AtomicU64>>,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => { let _ = to.shutdown().await; return false; }
                Ok(n) => n,
            },
            _ = wait_partition(&s, epoch) => return true,
        };
        let mut n = n;
        if let Some(b) = budget.as_ref() {
            let left = b.load(Ordering::SeqCst);
            if left == 0 {
                return true;
            }
            let take = (n as u64).min(left);
            b.fetch_sub(take, Ordering::SeqCst);
            n = take as usize;
        }
        let faults = s.faults.lock().expect("faults").clone();
        if !faults.delay.is_zero() {
            tokio::time::sleep(faults.delay).await;
        }
        if let Some(bps) = faults.bytes_per_sec.filter(|b| *b > 0) {
            let cost = Duration::from_secs_f64(n as f64 / bps as f64);
            let done_at = {
                let mut free = s.link_free[dir].lock().expect("link");
                let start = (*free).max(Instant::now());
                *free = start + cost;
                *free
            };
            tokio::time::sleep_until(done_at).await;
        }
        if s.epoch.load(Ordering::SeqCst) != epoch {
            return true;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return false;
        }
        let ctr = if dir == 0 { &s.bytes_up } else { &s.bytes_down };
        ctr.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(b) = budget.as_ref()
            && b.load(Ordering::SeqCst) == 0
        {
            return true;
        }
    }
}

async fn wait_partition(s: &Shared, epoch: u64) {
    while s.epoch.load(Ordering::SeqCst) == epoch {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
