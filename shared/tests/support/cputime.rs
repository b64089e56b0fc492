//! CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), for figures that do
//! not depend on how busy the shared machine is; wall time where schedstat is missing. Used by
//! the accuracy sweep and the matcher benchmark.

/// This thread's CPU time in ns (or wall time since the epoch without schedstat).
pub fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}
