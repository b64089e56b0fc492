//! `rekam-faultproxy`: the end-to-end tests' fault-injecting TCP proxy
//! ([`rekam_tests::proxy::FaultProxy`]) as a small command, for trying an agent against a bad
//! link by hand (`run`), and for measuring the proxy itself (`bench`: pass-through throughput,
//! added round-trip time, throttle accuracy, latency pipelining), whose figures are in
//! `docs/testing.md`.
//!
//! `run` reads commands on standard input, one per line: `partition`, `silent` (a silent
//! partition), `heal`, `cut` (kill the live connections), `stats` (the counters, cuts by kind),
//! `conns` (each live connection: bytes, unanswered bytes, bytes in flight, request open),
//! `quit`.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use rekam_tests::proxy::{FaultProxy, Faults, Link};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser, Debug)]
#[command(about = "Fault-injecting TCP proxy for Rekam's tests")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Forwards LISTEN to UPSTREAM with faults; commands on stdin.
    Run(RunArgs),
    /// Measures the proxy on 127.0.0.1 and prints the figures.
    Bench {
        /// Megabytes per pass-through transfer.
        #[arg(long, default_value_t = 256)]
        mb: usize,
        /// Seconds of traffic per throttle measurement.
        #[arg(long, default_value_t = 4.0)]
        secs: f64,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Address to forward to (e.g. the hub).
    #[arg(long)]
    upstream: SocketAddr,
    /// Seed of the fault decisions.
    #[arg(long)]
    seed: Option<u64>,
    /// Probability that a connection is refused (reset at once).
    #[arg(long, default_value_t = 0.0)]
    refuse: f64,
    /// Probability that a connection is blackholed.
    #[arg(long, default_value_t = 0.0)]
    blackhole: f64,
    /// Probability that a connection is cut mid-stream.
    #[arg(long, default_value_t = 0.0)]
    cut: f64,
    /// Upper bound of the random cut offset, bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    cut_within: u64,
    /// Cut every connection after this many bytes.
    #[arg(long)]
    cut_after: Option<u64>,
    /// Latency per chunk, milliseconds, each direction.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Extra random latency per chunk, up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Bandwidth, kbit/s, each direction.
    #[arg(long)]
    kbit: Option<u64>,
    /// Bandwidth client → upstream, kbit/s (overrides --kbit for that direction).
    #[arg(long)]
    up_kbit: Option<u64>,
    /// Bandwidth upstream → client, kbit/s (overrides --kbit for that direction).
    #[arg(long)]
    down_kbit: Option<u64>,
    /// Print the counters every this many seconds (0: only on `stats`).
    #[arg(long, default_value_t = 0)]
    report_secs: u64,
}

impl RunArgs {
    fn faults(&self) -> Faults {
        let delay = Duration::from_millis(self.delay_ms);
        let jitter = Duration::from_millis(self.jitter_ms);
        let bps = |k: u64| k * 1000 / 8;
        let link = |k: Option<u64>| {
            k.map(|k| Link {
                delay,
                jitter,
                bytes_per_sec: Some(bps(k)),
            })
        };
        Faults {
            refuse: self.refuse,
            blackhole: self.blackhole,
            cut: self.cut,
            cut_within_bytes: self.cut_within,
            cut_after_bytes: self.cut_after,
            delay,
            jitter,
            bytes_per_sec: self.kbit.map(bps),
            up: link(self.up_kbit),
            down: link(self.down_kbit),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run(args) => run(args).await,
        Command::Bench { mb, secs } => bench(mb, secs).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut b = FaultProxy::builder(args.upstream)
        .listen(args.listen)
        .faults(args.faults());
    if let Some(seed) = args.seed {
        b = b.seed(seed);
    }
    let proxy = b.start().await.context("listen")?;
    println!(
        "listening on {} -> {} (seed {}); stdin: partition | silent | heal | cut | stats | conns | quit",
        proxy.addr(),
        proxy.upstream(),
        proxy.seed()
    );
    let report = proxy.clone();
    let reporter = (args.report_secs > 0).then(|| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(args.report_secs));
            tick.tick().await;
            loop {
                tick.tick().await;
                println!("{:?}", report.stats());
            }
        })
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            l = lines.next_line() => l?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { break };
        match line.trim() {
            "partition" => proxy.partition(),
            "silent" => proxy.partition_silently(),
            "heal" => proxy.heal(),
            "cut" => proxy.cut_all(),
            "stats" => {}
            "conns" => {
                for c in proxy.connections().iter().filter(|c| c.end.is_none()) {
                    println!(
                        "#{} up {} B, down {} B, unanswered {} B, in flight {} B, request open: {}",
                        c.id,
                        c.bytes_up,
                        c.bytes_down,
                        c.unanswered,
                        c.in_flight,
                        c.request_open()
                    );
                }
            }
            "quit" => break,
            "" => continue,
            other => {
                println!(
                    "unknown command {other:?}: partition | silent | heal | cut | stats | conns | quit"
                );
                continue;
            }
        }
        println!("{:?} partitioned={}", proxy.stats(), proxy.is_partitioned());
    }
    if let Some(r) = reporter {
        r.abort();
    }
    println!("{:?}", proxy.stats());
    proxy.shutdown().await;
    Ok(())
}

/// Reads to end of stream, then answers with the byte count and closes.
async fn sink() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut n = 0u64;
                let mut buf = vec![0u8; 256 * 1024];
                while let Ok(k @ 1..) = s.read(&mut buf).await {
                    n += k as u64;
                }
                let _ = s.write_all(&n.to_be_bytes()).await;
            });
        }
    });
    Ok(addr)
}

/// Echoes until the client closes.
async fn echo() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    Ok(addr)
}

/// Uploads `n` bytes to a sink through `addr`; returns when the sink acknowledged them.
async fn upload(addr: SocketAddr, n: usize) -> anyhow::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    let chunk = vec![0x5au8; 256 * 1024];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        s.write_all(&chunk[..k]).await?;
        left -= k;
    }
    s.shutdown().await?;
    let mut ack = [0u8; 8];
    s.read_exact(&mut ack).await?;
    anyhow::ensure!(u64::from_be_bytes(ack) == n as u64, "sink got other bytes");
    Ok(())
}

/// `conns` uploads of `each` bytes at once; the elapsed time.
async fn uploads(addr: SocketAddr, conns: usize, each: usize) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..conns {
        set.spawn(upload(addr, each));
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    Ok(t.elapsed())
}

/// Mean round-trip time of `n` 64-byte ping-pongs on one connection.
async fn ping(addr: SocketAddr, n: u32) -> anyhow::Result<Duration> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let mut buf = [7u8; 64];
    let t = Instant::now();
    for _ in 0..n {
        s.write_all(&buf).await?;
        s.read_exact(&mut buf).await?;
    }
    Ok(t.elapsed() / n)
}

async fn bench(mb: usize, secs: f64) -> anyhow::Result<()> {
    let sink = sink().await?;
    let echo = echo().await?;
    let mbps = |bytes: usize, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!("rekam-faultproxy bench ({mb} MB transfers, {secs} s per throttle figure)");

    // Pass-through: the cost of the proxy with no faults.
    let bytes = mb << 20;
    let direct = uploads(sink, 1, bytes).await?;
    let p = FaultProxy::start(sink).await?;
    let proxied = uploads(p.addr(), 1, bytes).await?;
    println!(
        "pass-through, 1 connection: direct {:.0} MB/s, through the proxy {:.0} MB/s",
        mbps(bytes, direct),
        mbps(bytes, proxied)
    );
    let proxied4 = uploads(p.addr(), 4, bytes / 4).await?;
    println!(
        "pass-through, 4 connections: through the proxy {:.0} MB/s in total",
        mbps(bytes, proxied4)
    );
    p.shutdown().await;

    let p = FaultProxy::start(echo).await?;
    let d = ping(echo, 2000).await?;
    let via = ping(p.addr(), 2000).await?;
    println!(
        "round trip of 64 bytes: direct {} us, through the proxy {} us",
        d.as_micros(),
        via.as_micros()
    );

    // Throttle accuracy: bytes / elapsed against the configured rate, 1 and 8 connections.
    for kbit in [256u64, 2_000, 20_000] {
        let rate = kbit * 1000 / 8;
        let total = (rate as f64 * secs) as usize;
        let sp = FaultProxy::builder(sink)
            .faults(Faults::none().kbit_per_sec(kbit))
            .start()
            .await?;
        let one = uploads(sp.addr(), 1, total).await?;
        let eight = uploads(sp.addr(), 8, total / 8).await?;
        let got = |d: Duration| total as f64 * 8.0 / 1000.0 / d.as_secs_f64();
        println!(
            "throttle {kbit} kbit/s: 1 connection {:.1} kbit/s ({:.1}%), 8 connections {:.1} kbit/s ({:.1}%)",
            got(one),
            100.0 * got(one) / kbit as f64,
            got(eight),
            100.0 * got(eight) / kbit as f64,
        );
        sp.shutdown().await;
    }

    // Latency is pipelined: 50 ms each way costs ~100 ms per round trip but not throughput.
    let lat = Duration::from_millis(50);
    p.set_faults(Faults::none().latency(lat, Duration::ZERO));
    let rtt = ping(p.addr(), 10).await?;
    let sp = FaultProxy::builder(sink)
        .faults(Faults::none().latency(lat, Duration::ZERO))
        .start()
        .await?;
    let big = 64 << 20;
    let t = uploads(sp.addr(), 1, big).await?;
    println!(
        "delay 50 ms each way: round trip {} ms; upload {:.0} MB/s",
        rtt.as_millis(),
        mbps(big, t)
    );
    sp.shutdown().await;
    p.shutdown().await;
    Ok(())
}
