//! A fault-injecting TCP proxy for the end-to-end tests: it stands between an office's
//! `rekam-agent` and the `rekam-hub` and makes the link as bad as a kecamatan's link can be.
//!
//! The agent speaks HTTPS with mutual TLS to the hub, so the proxy works on TCP bytes only and
//! never looks inside. It listens on `127.0.0.1:0` (a random port, see [`FaultProxy::addr`]) and
//! forwards every accepted connection to an upstream address; the test steers it at run time
//! through a cloneable handle, [`FaultProxy`] (no global state: two proxies in one test are
//! independent).
//!
//! What it can do, all changeable at any moment with [`FaultProxy::set_faults`] /
//! [`FaultProxy::update_faults`] (new values apply to new connections and to the next chunk of
//! open ones):
//! - **refuse** ([`Faults::refuse`], a probability per connection): accept, then close at once
//!   with a TCP reset;
//! - **blackhole** ([`Faults::blackhole`]): accept and never answer; what the client sends is
//!   swallowed, nothing reaches the upstream, until the client gives up, a partition or shutdown;
//! - **delay**: a fixed latency plus a uniform random jitter added to every chunk, per direction,
//!   pipelined like a real link (latency delays bytes, it does not cap throughput) and in order;
//! - **throttle**: a bandwidth per direction, one token bucket per direction shared by all
//!   connections (like one office uplink); the bucket's burst is 20 ms of traffic (at least
//!   1,500 bytes), so measured rates are close to the configured one from the first second;
//! - **cut mid-stream**: every connection after exactly N bytes ([`Faults::cut_after_bytes`]),
//!   or a share of connections ([`Faults::cut`], e.g. `0.3`) each at a random byte offset in
//!   `1..=cut_within_bytes`; bytes are counted over both directions together, exactly that many
//!   are forwarded, then both sides are closed abruptly (`SO_LINGER` 0, so the peers see a reset);
//! - **partition** on command: [`FaultProxy::partition`] kills every live connection (reset) and
//!   refuses new ones until [`FaultProxy::heal`]; [`FaultProxy::cut_all`] only kills the live ones;
//!   [`FaultProxy::partition_silently`] is the quiet kind: nothing is reset, no byte moves, new
//!   connections are blackholed, and held bytes move on after `heal` (a line that went dark);
//! - **counters** ([`FaultProxy::stats`]): connections accepted, refused, blackholed, cut (by
//!   kind: the `cut` / `cut_after_bytes` faults, a partition, [`FaultProxy::cut_all`]), failed,
//!   held by a silent partition, ended by a peer in the middle of a request, live, and bytes
//!   forwarded in each direction (for bandwidth benchmarks);
//! - **per-connection evidence** ([`FaultProxy::connections`], [`FaultProxy::connection`]): for
//!   every connection, the bytes it moved, whether a request is open on it right now (the client
//!   sent at least [`REQUEST_MIN_BYTES`] that the upstream has not answered yet, or bytes are on
//!   their way through the proxy) and, once it has ended, how ([`ConnEnd`]) and whether a request
//!   was open when a peer ended its side (a process killed in the middle of an exchange).
//!
//! It is deterministic when seeded: every accepted connection draws its fate (refuse, blackhole,
//! cut offset, jitter seed) from one [`StdRng`] in accept order, so a test that opens connections
//! one after the other sees the same faults on every run. Without a seed the proxy takes
//! `REKAM_PROXY_SEED` from the environment, else a random one, and reports it ([`FaultProxy::seed`])
//! so a failing run can be replayed.
//!
//! Shutdown is clean: [`FaultProxy::shutdown`] closes the listener, ends every connection task and
//! waits for them; dropping the last clone of the handle does the same in the background. All
//! connection tasks live in one [`JoinSet`] owned by the listener task, so none can leak.
//!
//! ```no_run
//! # async fn demo(hub: std::net::SocketAddr) -> std::io::Result<()> {
//! use rekam_tests::proxy::{FaultProxy, Faults};
//! let proxy = FaultProxy::builder(hub).seed(7).start().await?;
//! let url = format!("https://127.0.0.1:{}", proxy.addr().port());
//! proxy.partition(); // the office works alone
//! // ... record applications through `url` ...
//! proxy.set_faults(Faults { cut: 0.3, cut_within_bytes: 30_000, ..Faults::none() }.kbit_per_sec(256));
//! proxy.heal(); // a bad link comes back
//! println!("{:?}", proxy.stats());
//! proxy.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! [`Proxy`] is the earlier, smaller API of this module (`partition(bool)`), kept for code that
//! still uses it; it derefs to [`FaultProxy`].

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Largest chunk read and forwarded at once.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight per direction between the reading and the writing side (the link's buffer).
const IN_FLIGHT: usize = 64;
/// Smallest token-bucket burst, one Ethernet frame's worth.
const MIN_BURST: u64 = 1_500;
/// Ended connections whose evidence [`FaultProxy::connections`] keeps (the oldest go first).
const ENDED_KEPT: usize = 4_096;

/// Bytes the client must have sent since the upstream last sent anything for the connection to
/// count as carrying an open request. The smallest HTTP request in TLS is well above it; a TLS
/// `close_notify` alert (24 bytes in TLS 1.3) is below it, so an orderly close is not a request.
pub const REQUEST_MIN_BYTES: u64 = 100;

/// One direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client (the agent) to upstream (the hub).
    Up,
    /// Upstream to client.
    Down,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Up => 0,
            Direction::Down => 1,
        }
    }
}

/// Latency and bandwidth of one direction of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Link {
    /// Fixed latency added to every chunk.
    pub delay: Duration,
    /// Extra latency per chunk, uniform in `0..=jitter` (chunks stay in order).
    pub jitter: Duration,
    /// Bandwidth in bytes per second (`None` or 0: unlimited), shared by all connections.
    pub bytes_per_sec: Option<u64>,
}

/// What the proxy does to traffic. `Faults::default()` (= [`Faults::none`]) forwards untouched.
///
/// `delay`, `jitter` and `bytes_per_sec` apply to each direction separately (both get that
/// latency and each gets that bandwidth); [`Faults::up`] / [`Faults::down`] override them for one
/// direction (e.g. an asymmetric office line). Probabilities below 0 (or NaN) act as 0, above 1
/// as 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability that a new connection is accepted and closed at once (reset).
    pub refuse: f64,
    /// Probability that a new connection is accepted and never answered.
    pub blackhole: f64,
    /// Probability that a connection is cut at a random offset in `1..=cut_within_bytes`.
    pub cut: f64,
    /// Upper bound of the random cut offset, in bytes over both directions.
    pub cut_within_bytes: u64,
    /// Cut every connection after exactly this many bytes over both directions (0: right after
    /// connecting upstream). With [`Faults::cut`] too, the earlier offset wins.
    pub cut_after_bytes: Option<u64>,
    /// Latency added to every chunk, each direction.
    pub delay: Duration,
    /// Extra random latency per chunk, uniform in `0..=jitter`, each direction.
    pub jitter: Duration,
    /// Bandwidth in bytes per second, each direction, shared by all connections.
    pub bytes_per_sec: Option<u64>,
    /// Overrides `delay`, `jitter` and `bytes_per_sec` for client → upstream.
    pub up: Option<Link>,
    /// Overrides `delay`, `jitter` and `bytes_per_sec` for upstream → client.
    pub down: Option<Link>,
}

impl Faults {
    /// No faults: a transparent proxy.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// The same faults throttled to `kbit` kilobits (1,000 bits) per second in each direction.
    pub fn kbit_per_sec(self, kbit: u64) -> Faults {
        Faults {
            bytes_per_sec: Some(kbit * 1000 / 8),
            ..self
        }
    }

    /// The same faults with `delay` plus up to `jitter` of latency per chunk, each direction.
    pub fn latency(self, delay: Duration, jitter: Duration) -> Faults {
        Faults {
            delay,
            jitter,
            ..self
        }
    }

    /// The effective latency and bandwidth of one direction.
    pub fn link(&self, dir: Direction) -> Link {
        let own = match dir {
            Direction::Up => self.up,
            Direction::Down => self.down,
        };
        own.unwrap_or(Link {
            delay: self.delay,
            jitter: self.jitter,
            bytes_per_sec: self.bytes_per_sec,
        })
    }
}

/// Counters since the proxy started.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted (every one, whatever its fate).
    pub connections: u64,
    /// Connections refused (the `refuse` fault or a partition).
    pub refused: u64,
    /// Connections blackholed (the `blackhole` fault, or new during a silent partition).
    pub blackholed: u64,
    /// Connections the proxy cut mid-stream because of [`Faults::cut`] or
    /// [`Faults::cut_after_bytes`] (reset at the drawn offset).
    pub cut_fault: u64,
    /// Live connections reset by [`FaultProxy::partition`].
    pub cut_partition: u64,
    /// Live connections reset by [`FaultProxy::cut_all`].
    pub cut_manual: u64,
    /// Connections that ended on an I/O error of either peer or an unreachable upstream.
    pub failed: u64,
    /// Connections whose bytes a silent partition held back (at least one chunk waited for
    /// [`FaultProxy::heal`] or for the connection's end).
    pub held_silent: u64,
    /// Connections that ended, by a peer's end of stream or error (not by the proxy), while a
    /// request was open on them (see [`ConnInfo::mid_request`]): a client that gave up or died
    /// waiting, an upstream that died before answering. Also counted in `failed` when the end
    /// was an error.
    pub ended_mid_request: u64,
    /// Connections open right now (forwarding or blackholed).
    pub live: u64,
    /// Bytes forwarded client → upstream.
    pub bytes_up: u64,
    /// Bytes forwarded upstream → client.
    pub bytes_down: u64,
}

impl ProxyStats {
    /// Every connection the proxy cut, whatever the reason.
    pub fn cut_total(&self) -> u64 {
        self.cut_fault + self.cut_partition + self.cut_manual
    }
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnEnd {
    /// Refused at once (the `refuse` fault or a partition).
    Refused,
    /// Both directions reached end of stream and were shut down in order.
    Closed,
    /// A peer failed (I/O error, reset), or the upstream was unreachable.
    Failed,
    /// A blackholed connection whose client went away.
    ClientLeft,
    /// Cut by the `cut` / `cut_after_bytes` faults.
    CutFault,
    /// Reset by [`FaultProxy::partition`].
    CutPartition,
    /// Reset by [`FaultProxy::cut_all`].
    CutManual,
    /// Ended by [`FaultProxy::shutdown`] (or the last handle dropped).
    Shutdown,
}

impl ConnEnd {
    /// Whether the proxy itself ended the connection (a cut of any kind, or shutdown).
    pub fn by_proxy(self) -> bool {
        matches!(
            self,
            ConnEnd::Refused
                | ConnEnd::CutFault
                | ConnEnd::CutPartition
                | ConnEnd::CutManual
                | ConnEnd::Shutdown
        )
    }
}

/// One connection as the proxy saw it (a snapshot; see [`FaultProxy::connections`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    /// 1, 2, ... in accept order.
    pub id: u64,
    /// How it ended; `None` while it is open.
    pub end: Option<ConnEnd>,
    /// Bytes forwarded client → upstream.
    pub bytes_up: u64,
    /// Bytes forwarded upstream → client.
    pub bytes_down: u64,
    /// Bytes read from the client since the upstream last sent a byte: a request not answered
    /// yet (or being uploaded).
    pub unanswered: u64,
    /// Bytes read from one peer and not yet handed to the other (throttled, delayed or held).
    pub in_flight: u64,
    /// Blackholed.
    pub blackholed: bool,
    /// A silent partition held some of its bytes.
    pub held: bool,
    /// Bytes (over both directions) the connection may still move before the proxy cuts it at
    /// the offset drawn for it (`cut` / `cut_after_bytes`); `None`: it is not to be cut.
    pub cut_in: Option<u64>,
    /// Once a peer has ended its side (end of stream or error): whether a request was open at
    /// that moment (client side: [`REQUEST_MIN_BYTES`] unanswered, or response bytes still on
    /// their way to it; upstream side: [`REQUEST_MIN_BYTES`] unanswered). `None` while no peer
    /// has ended, and when the proxy ended the connection first.
    pub mid_request: Option<bool>,
}

impl ConnInfo {
    /// Whether a request is open on this live connection right now: at least
    /// [`REQUEST_MIN_BYTES`] from the client await an answer, or bytes are on their way.
    pub fn request_open(&self) -> bool {
        self.end.is_none() && (self.unanswered >= REQUEST_MIN_BYTES || self.in_flight > 0)
    }

    /// Whether this live connection carries a request that awaits its answer: at least
    /// [`REQUEST_MIN_BYTES`] from the client, and not a byte from the upstream since (stricter
    /// than [`ConnInfo::request_open`], which also counts the tail of an answer on its way).
    pub fn awaiting_answer(&self) -> bool {
        self.end.is_none() && self.unanswered >= REQUEST_MIN_BYTES
    }

    /// Whether it ended by a peer (not by the proxy) while a request was open: the evidence
    /// that a process died, or gave up, in the middle of an exchange.
    pub fn ended_mid_request(&self) -> bool {
        self.end.is_some_and(|e| !e.by_proxy()) && self.mid_request == Some(true)
    }
}

/// The live evidence of one connection, shared by its task and [`FaultProxy::connections`].
#[derive(Debug, Default)]
struct Track {
    id: u64,
    /// The drawn cut offset, bytes over both directions.
    cut_at: Option<u64>,
    /// Bytes read from the client (0) / the upstream (1) and kept for forwarding.
    read: [AtomicU64; 2],
    /// Bytes handed to the upstream (0) / the client (1).
    written: [AtomicU64; 2],
    unanswered: AtomicU64,
    blackholed: AtomicBool,
    held: AtomicBool,
    mid_request: OnceLock<bool>,
    end: OnceLock<ConnEnd>,
}

impl Track {
    fn read(&self, dir: Direction, n: u64) {
        self.read[dir.index()].fetch_add(n, Ordering::SeqCst);
        match dir {
            Direction::Up => {
                self.unanswered.fetch_add(n, Ordering::SeqCst);
            }
            Direction::Down if n > 0 => self.unanswered.store(0, Ordering::SeqCst),
            Direction::Down => {}
        }
    }

    fn written(&self, dir: Direction, n: u64) {
        self.written[dir.index()].fetch_add(n, Ordering::SeqCst);
    }

    fn in_flight(&self, dir: Direction) -> u64 {
        let i = dir.index();
        self.read[i]
            .load(Ordering::SeqCst)
            .saturating_sub(self.written[i].load(Ordering::SeqCst))
    }

    /// A peer ended its side: the side of the client (reading from it ended, or writing to it
    /// failed) or of the upstream. The first call decides.
    fn peer_ended(&self, client_side: bool) {
        let unanswered = self.unanswered.load(Ordering::SeqCst) >= REQUEST_MIN_BYTES;
        let open = unanswered || (client_side && self.in_flight(Direction::Down) > 0);
        let _ = self.mid_request.set(open);
    }

    fn info(&self) -> ConnInfo {
        ConnInfo {
            id: self.id,
            end: self.end.get().copied(),
            bytes_up: self.written[0].load(Ordering::SeqCst),
            bytes_down: self.written[1].load(Ordering::SeqCst),
            unanswered: self.unanswered.load(Ordering::SeqCst),
            in_flight: self.in_flight(Direction::Up) + self.in_flight(Direction::Down),
            blackholed: self.blackholed.load(Ordering::SeqCst),
            held: self.held.load(Ordering::SeqCst),
            cut_in: self.cut_at.map(|at| {
                at.saturating_sub(
                    self.read[0].load(Ordering::SeqCst) + self.read[1].load(Ordering::SeqCst),
                )
            }),
            mid_request: self.mid_request.get().copied(),
        }
    }
}

/// Token bucket of one direction, shared by every connection. Tokens may go negative: a chunk
/// reserves its bytes at once and waits until the debt is paid, which keeps the link fair and
/// its rate exact under concurrency.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The burst of a bucket: 20 ms of traffic, at least one frame.
fn burst(rate: u64) -> u64 {
    (rate / 50).max(MIN_BURST)
}

/// The state shared by the handle, the listener task and every connection task.
struct Shared {
    upstream: Mutex<SocketAddr>,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
    partitioned: AtomicBool,
    /// A silent partition: no byte moves, new connections are blackholed.
    silent: watch::Sender<bool>,
    /// Bumped by a partition to kill every live connection.
    kill_partition: watch::Sender<u64>,
    /// Bumped by [`FaultProxy::cut_all`] to kill every live connection.
    kill_manual: watch::Sender<u64>,
    buckets: [Mutex<Bucket>; 2],
    connections: AtomicU64,
    refused: AtomicU64,
    blackholed: AtomicU64,
    cut_fault: AtomicU64,
    cut_partition: AtomicU64,
    cut_manual: AtomicU64,
    failed: AtomicU64,
    held_silent: AtomicU64,
    ended_mid_request: AtomicU64,
    live: AtomicU64,
    bytes: [AtomicU64; 2],
    /// Evidence of the live connections and of the last [`ENDED_KEPT`] ended ones, in accept
    /// order.
    tracks: Mutex<VecDeque<Arc<Track>>>,
}

/// Locks a mutex, recovering from a panicked holder (the data are plain settings).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What happens to one connection, drawn when it is accepted.
struct Fate {
    refuse: bool,
    blackhole: bool,
    cut_at: Option<u64>,
    seed: u64,
}

impl Shared {
    fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    /// Draws a connection's fate; always the same number of draws, so that the sequence stays
    /// reproducible whatever the faults are.
    fn fate(&self, f: &Faults) -> Fate {
        let mut rng = lock(&self.rng);
        let refuse = rng.gen_range(0.0..1.0) < f.refuse;
        let blackhole = rng.gen_range(0.0..1.0) < f.blackhole;
        let cut = rng.gen_range(0.0..1.0) < f.cut;
        let offset = rng.gen_range(1..=f.cut_within_bytes.max(1));
        let seed = rng.r#gen::<u64>();
        let cut_at = match (cut.then_some(offset), f.cut_after_bytes) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Fate {
            refuse,
            blackhole,
            cut_at,
            seed,
        }
    }

    /// Reserves `n` bytes of the direction's bandwidth; returns when they have passed.
    fn reserve(&self, dir: Direction, n: usize, rate: u64) -> Option<Instant> {
        let mut b = lock(&self.buckets[dir.index()]);
        let now = Instant::now();
        let rate_f = rate as f64;
        let refill = now.saturating_duration_since(b.last).as_secs_f64() * rate_f;
        b.tokens = (b.tokens + refill).min(burst(rate) as f64);
        b.last = now;
        b.tokens -= n as f64;
        (b.tokens < 0.0).then(|| now + Duration::from_secs_f64(-b.tokens / rate_f))
    }

    fn count(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// Settings for a proxy before it starts; see [`FaultProxy::builder`].
#[derive(Debug, Clone)]
pub struct Builder {
    listen: SocketAddr,
    upstream: SocketAddr,
    seed: Option<u64>,
    faults: Faults,
}

impl Builder {
    /// Listens on `listen` instead of `127.0.0.1:0`.
    pub fn listen(self, listen: SocketAddr) -> Builder {
        Builder { listen, ..self }
    }

    /// Seeds the fault decisions (deterministic runs).
    pub fn seed(self, seed: u64) -> Builder {
        Builder {
            seed: Some(seed),
            ..self
        }
    }

    /// Starts with these faults instead of none.
    pub fn faults(self, faults: Faults) -> Builder {
        Builder { faults, ..self }
    }

    /// Binds the listener and starts forwarding.
    pub async fn start(self) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let seed = self
            .seed
            .or_else(|| std::env::var("REKAM_PROXY_SEED").ok()?.parse().ok())
            .unwrap_or_else(rand::random);
        let now = Instant::now();
        let bucket = || {
            Mutex::new(Bucket {
                tokens: 0.0,
                last: now,
            })
        };
        let shared = Arc::new(Shared {
            upstream: Mutex::new(self.upstream),
            faults: Mutex::new(self.faults),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            partitioned: AtomicBool::new(false),
            silent: watch::Sender::new(false),
            kill_partition: watch::Sender::new(0),
            kill_manual: watch::Sender::new(0),
            buckets: [bucket(), bucket()],
            connections: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            blackholed: AtomicU64::new(0),
            cut_fault: AtomicU64::new(0),
            cut_partition: AtomicU64::new(0),
            cut_manual: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            held_silent: AtomicU64::new(0),
            ended_mid_request: AtomicU64::new(0),
            live: AtomicU64::new(0),
            bytes: [AtomicU64::new(0), AtomicU64::new(0)],
            tracks: Mutex::new(VecDeque::new()),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(listen(listener, shared.clone(), stopped));
        Ok(FaultProxy {
            inner: Arc::new(Handle {
                addr,
                seed,
                shared,
                stop,
                task: Mutex::new(Some(task)),
            }),
        })
    }
}

/// Owned by every clone of [`FaultProxy`]; when the last one goes, the stop channel closes and
/// the listener task ends every connection.
struct Handle {
    addr: SocketAddr,
    seed: u64,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A running fault-injecting proxy, and the cloneable handle that steers it. It stops when
/// [`FaultProxy::shutdown`] is awaited or when the last clone is dropped.
#[derive(Clone)]
pub struct FaultProxy {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.inner.addr)
            .field("upstream", &self.upstream())
            .field("seed", &self.inner.seed)
            .field("partitioned", &self.is_partitioned())
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a transparent proxy on `127.0.0.1:0` forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        FaultProxy::builder(upstream).start().await
    }

    /// Settings for a proxy to `upstream`: listen address, seed, initial faults.
    pub fn builder(upstream: SocketAddr) -> Builder {
        Builder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstream,
            seed: None,
            faults: Faults::none(),
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The seed of the fault decisions (to replay a run).
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Where new connections are forwarded.
    pub fn upstream(&self) -> SocketAddr {
        *lock(&self.inner.shared.upstream)
    }

    /// Points new connections at another upstream (e.g. a hub restarted on a new port).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.inner.shared.upstream) = upstream;
    }

    /// The current faults.
    pub fn faults(&self) -> Faults {
        self.inner.shared.faults()
    }

    /// Replaces the faults: they apply to new connections and to the next chunk of open ones
    /// (cut offsets are drawn when a connection is accepted).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.inner.shared.faults) = faults;
    }

    /// Changes some of the faults in place.
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut lock(&self.inner.shared.faults));
    }

    /// Kills every live connection (reset) and refuses new ones until [`FaultProxy::heal`].
    pub fn partition(&self) {
        self.inner.shared.partitioned.store(true, Ordering::SeqCst);
        self.inner.shared.kill_partition.send_modify(|e| *e += 1);
    }

    /// The link goes dark without a word, as a rural line does: live connections stay open
    /// but no byte moves (what was sent waits, and arrives after [`FaultProxy::heal`], as TCP
    /// retransmits after a short outage), and new connections are blackholed. Clients must rely
    /// on their own timeouts.
    pub fn partition_silently(&self) {
        self.inner.shared.silent.send_replace(true);
    }

    /// Ends a partition, loud or silent: new connections are forwarded again and held bytes move
    /// on. (Connections blackholed meanwhile stay blackholed.)
    pub fn heal(&self) {
        self.inner.shared.partitioned.store(false, Ordering::SeqCst);
        self.inner.shared.silent.send_replace(false);
    }

    /// Whether the proxy is partitioned, loudly or silently.
    pub fn is_partitioned(&self) -> bool {
        self.inner.shared.partitioned.load(Ordering::SeqCst) || *self.inner.shared.silent.borrow()
    }

    /// Kills every live connection (reset) without refusing new ones.
    pub fn cut_all(&self) {
        self.inner.shared.kill_manual.send_modify(|e| *e += 1);
    }

    /// Counters so far.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.inner.shared;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProxyStats {
            connections: get(&s.connections),
            refused: get(&s.refused),
            blackholed: get(&s.blackholed),
            cut_fault: get(&s.cut_fault),
            cut_partition: get(&s.cut_partition),
            cut_manual: get(&s.cut_manual),
            failed: get(&s.failed),
            held_silent: get(&s.held_silent),
            ended_mid_request: get(&s.ended_mid_request),
            live: get(&s.live),
            bytes_up: get(&s.bytes[0]),
            bytes_down: get(&s.bytes[1]),
        }
    }

    /// Every live connection and the last ended ones (at most 4,096), in accept order.
    pub fn connections(&self) -> Vec<ConnInfo> {
        lock(&self.inner.shared.tracks)
            .iter()
            .map(|t| t.info())
            .collect()
    }

    /// One connection by id, if it is live or among the last ended ones.
    pub fn connection(&self, id: u64) -> Option<ConnInfo> {
        lock(&self.inner.shared.tracks)
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.info())
    }

    /// Stops the proxy for every clone: closes the listener, ends every connection and waits
    /// until all its tasks are gone.
    pub async fn shutdown(self) {
        let _ = self.inner.stop.send(true);
        let task = lock(&self.inner.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// The listener task: accepts, and owns every connection task.
async fn listen(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    while conns.try_join_next().is_some() {}
                    conns.spawn(connection(shared.clone(), client));
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // A stop request, or every handle dropped.
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    conns.shutdown().await;
}

impl Shared {
    /// Registers a new connection's evidence, forgetting the oldest ended ones beyond
    /// [`ENDED_KEPT`].
    fn register(&self, id: u64, cut_at: Option<u64>) -> Arc<Track> {
        let track = Arc::new(Track {
            id,
            cut_at,
            ..Track::default()
        });
        let mut tracks = lock(&self.tracks);
        tracks.push_back(track.clone());
        while tracks.len() > ENDED_KEPT {
            match tracks.iter().position(|t| t.end.get().is_some()) {
                Some(i) => {
                    tracks.remove(i);
                }
                None => break,
            }
        }
        track
    }

    /// Records how a connection ended (the first call wins) and counts it.
    fn finish(&self, track: &Track, end: ConnEnd) {
        if track.end.set(end).is_err() {
            return;
        }
        match end {
            ConnEnd::Refused => self.count(&self.refused),
            ConnEnd::Failed => self.count(&self.failed),
            ConnEnd::CutFault => self.count(&self.cut_fault),
            ConnEnd::CutPartition => self.count(&self.cut_partition),
            ConnEnd::CutManual => self.count(&self.cut_manual),
            ConnEnd::Closed | ConnEnd::ClientLeft | ConnEnd::Shutdown => {}
        }
        if !end.by_proxy() && track.mid_request.get() == Some(&true) {
            self.count(&self.ended_mid_request);
        }
    }
}

/// Keeps the `live` gauge right however a connection task ends, and records the end of a task
/// aborted by shutdown.
struct Live<'a> {
    s: &'a Shared,
    track: &'a Track,
}

impl<'a> Live<'a> {
    fn new(s: &'a Shared, track: &'a Track) -> Live<'a> {
        s.live.fetch_add(1, Ordering::Relaxed);
        Live { s, track }
    }
}

impl Drop for Live<'_> {
    fn drop(&mut self) {
        self.s.finish(self.track, ConnEnd::Shutdown);
        self.s.live.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The two ways the test kills every live connection at once.
struct Kill {
    partition: watch::Receiver<u64>,
    manual: watch::Receiver<u64>,
}

impl Kill {
    fn new(s: &Shared) -> Kill {
        Kill {
            partition: s.kill_partition.subscribe(),
            manual: s.kill_manual.subscribe(),
        }
    }

    /// Returns when the connection is to be killed, with the reason.
    async fn killed(&mut self) -> ConnEnd {
        tokio::select! {
            _ = self.partition.changed() => ConnEnd::CutPartition,
            _ = self.manual.changed() => ConnEnd::CutManual,
        }
    }
}

/// Closes a socket with a reset instead of a FIN.
fn reset(sock: TcpStream) {
    let _ = sock.set_zero_linger();
    drop(sock);
}

async fn connection(s: Arc<Shared>, mut client: TcpStream) {
    let id = s.connections.fetch_add(1, Ordering::Relaxed) + 1;
    let faults = s.faults();
    let fate = s.fate(&faults);
    // Subscribe before reading the partition flag: a partition after this point is seen.
    let mut kill = Kill::new(&s);
    let track = s.register(id, fate.cut_at);
    if fate.refuse || s.partitioned.load(Ordering::SeqCst) {
        s.finish(&track, ConnEnd::Refused);
        reset(client);
        return;
    }
    let _live = Live::new(&s, &track);
    if fate.blackhole || *s.silent.borrow() {
        s.count(&s.blackholed);
        track.blackholed.store(true, Ordering::SeqCst);
        let end = blackhole(&track, &mut client, &mut kill).await;
        s.finish(&track, end);
        if end != ConnEnd::ClientLeft {
            reset(client);
        }
        return;
    }
    let upstream_addr = *lock(&s.upstream);
    let upstream = tokio::select! {
        c = TcpStream::connect(upstream_addr) => c,
        end = kill.killed() => {
            s.finish(&track, end);
            reset(client);
            return;
        }
    };
    let Ok(mut upstream) = upstream else {
        track.peer_ended(false);
        s.finish(&track, ConnEnd::Failed);
        reset(client);
        return;
    };
    let end = if fate.cut_at == Some(0) {
        ConnEnd::CutFault
    } else {
        forward(&s, &track, &mut client, &mut upstream, &fate, &mut kill).await
    };
    s.finish(&track, end);
    if end != ConnEnd::Closed {
        reset(client);
        reset(upstream);
    }
}

/// Forwards both directions until both end, one fails, or the connection is cut.
async fn forward(
    s: &Shared,
    track: &Track,
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    fate: &Fate,
    kill: &mut Kill,
) -> ConnEnd {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (cr, cw) = client.split();
    let (ur, uw) = upstream.split();
    let budget = fate.cut_at.map(|n| AtomicI64::new(n as i64));
    let up = direction(s, track, Direction::Up, cr, uw, budget.as_ref(), fate.seed);
    let down = direction(
        s,
        track,
        Direction::Down,
        ur,
        cw,
        budget.as_ref(),
        fate.seed.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15,
    );
    tokio::select! {
        r = async { tokio::try_join!(up, down) } => match r {
            Ok(_) => ConnEnd::Closed,
            Err(end) => end,
        },
        end = kill.killed() => end,
    }
}

/// One chunk on its way through the link.
struct Chunk {
    data: Vec<u8>,
    due: Instant,
    /// The connection's cut offset is reached after this chunk.
    last: bool,
}

/// One direction: a reading side that meters bandwidth and stamps latency, and a writing side
/// that delivers each chunk when it is due, joined by a bounded channel (the bytes in flight).
/// Errs with [`ConnEnd::Failed`] when a peer fails, [`ConnEnd::CutFault`] at the cut offset.
async fn direction(
    s: &Shared,
    track: &Track,
    dir: Direction,
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    budget: Option<&AtomicI64>,
    seed: u64,
) -> Result<(), ConnEnd> {
    // Which peer a failure on each side belongs to.
    let reads_client = dir == Direction::Up;
    let (tx, mut rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    let reader = async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut last_due = Instant::now();
        loop {
            let link = lock(&s.faults).link(dir);
            let rate = link.bytes_per_sec.filter(|r| *r > 0);
            let cap = rate.map_or(CHUNK, |r| (burst(r) as usize).min(CHUNK));
            // Reads into spare capacity: no zeroing of a buffer per chunk.
            let mut data = Vec::with_capacity(cap);
            let n = match from.read_buf(&mut data).await {
                Ok(0) => {
                    track.peer_ended(reads_client);
                    return Ok::<(), ConnEnd>(());
                }
                Ok(n) => n,
                Err(_) => {
                    track.peer_ended(reads_client);
                    // A silent partition hides a peer's failure too: the other peer hears of
                    // it (a reset) only once the line is back.
                    hold_in_dark(s, track).await;
                    return Err(ConnEnd::Failed);
                }
            };
            let mut n = n as i64;
            let mut last = false;
            if let Some(b) = budget {
                let left = b.fetch_sub(n, Ordering::SeqCst);
                if left <= 0 {
                    // The other direction reached the offset and is about to cut.
                    std::future::pending::<()>().await;
                }
                if left <= n {
                    n = left;
                    last = true;
                }
            }
            data.truncate(n as usize);
            track.read(dir, n as u64);
            if let Some(r) = rate
                && let Some(at) = s.reserve(dir, data.len(), r)
            {
                tokio::time::sleep_until(at).await;
            }
            let jitter = if link.jitter.is_zero() {
                Duration::ZERO
            } else {
                rng.gen_range(Duration::ZERO..=link.jitter)
            };
            let due = (Instant::now() + link.delay + jitter).max(last_due);
            last_due = due;
            if tx.send(Chunk { data, due, last }).await.is_err() {
                return Err(ConnEnd::Failed);
            }
            if last {
                return Ok(());
            }
        }
    };
    let writer = async move {
        while let Some(c) = rx.recv().await {
            // During a silent partition, bytes wait here (and the reading side stops once the
            // link's buffer is full).
            hold_in_dark(s, track).await;
            // Only sleep for a real delay: the timer works in whole milliseconds, so even an
            // elapsed deadline would cost up to one.
            if c.due > Instant::now() {
                tokio::time::sleep_until(c.due).await;
            }
            s.bytes[dir.index()].fetch_add(c.data.len() as u64, Ordering::Relaxed);
            if to.write_all(&c.data).await.is_err() {
                track.peer_ended(!reads_client);
                return Err(ConnEnd::Failed);
            }
            track.written(dir, c.data.len() as u64);
            if c.last {
                return Err(ConnEnd::CutFault);
            }
        }
        // The end of stream waits for the light like the bytes before it.
        hold_in_dark(s, track).await;
        let _ = to.shutdown().await;
        Ok(())
    };
    tokio::try_join!(reader, writer).map(|_| ())
}

/// Waits while a silent partition lasts, marking the connection as held if it had to wait.
async fn hold_in_dark(s: &Shared, track: &Track) {
    // The common case (light) costs one read of the flag, no subscription.
    if !*s.silent.borrow() {
        return;
    }
    if !track.held.swap(true, Ordering::SeqCst) {
        s.count(&s.held_silent);
    }
    let _ = s.silent.subscribe().wait_for(|dark| !*dark).await;
}

/// Swallows what the client sends and never answers, until the client leaves
/// ([`ConnEnd::ClientLeft`]) or is killed.
async fn blackhole(track: &Track, client: &mut TcpStream, kill: &mut Kill) -> ConnEnd {
    let mut buf = vec![0u8; CHUNK];
    let swallow = async {
        while let Ok(n @ 1..) = client.read(&mut buf).await {
            track.read(Direction::Up, n as u64);
        }
        track.peer_ended(true);
    };
    tokio::select! {
        _ = swallow => ConnEnd::ClientLeft,
        end = kill.killed() => end,
    }
}

/// The earlier API of this module, kept for the existing end-to-end tests: the same proxy, with
/// `partition(true)` for [`FaultProxy::partition`] and `partition(false)` for
/// [`FaultProxy::heal`]. Stops when dropped (unless the handle was cloned).
#[derive(Debug, Clone)]
pub struct Proxy(FaultProxy);

impl Proxy {
    /// Starts a transparent proxy on `127.0.0.1:0` forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> io::Result<Proxy> {
        FaultProxy::start(upstream).await.map(Proxy)
    }

    /// Starts a transparent proxy on `listen` forwarding to `upstream`.
    pub async fn start_on(listen: SocketAddr, upstream: SocketAddr) -> io::Result<Proxy> {
        FaultProxy::builder(upstream)
            .listen(listen)
            .start()
            .await
            .map(Proxy)
    }

    /// Partitions (true: refuse new connections and cut open ones) or heals (false).
    pub fn partition(&self, on: bool) {
        if on {
            self.0.partition();
        } else {
            self.0.heal();
        }
    }
}

impl Deref for Proxy {
    type Target = FaultProxy;

    fn deref(&self) -> &FaultProxy {
        &self.0
    }
}
