//! Login throttling: after repeated wrong passwords for one username, further attempts for
//! that username are refused for a while (HTTP 429), so an operator's password cannot be
//! guessed at speed from the office LAN.
//!
//! Five wrong passwords in a row are free (typing mistakes); each further one locks the
//! username for 30 s, doubling up to 15 minutes. A right password resets the count. The state
//! is in memory: a restart of the agent forgets it, which an attacker on the LAN cannot cause.
//! Kept per username, not per address, because offices share addresses behind one router and
//! an attacker can change theirs; the lock does not reveal whether the username exists.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// Wrong passwords in a row allowed before the first lock.
pub const FREE_FAILURES: u32 = 5;
/// First lock.
const FIRST_LOCK_SECS: i64 = 30;
/// Longest lock.
const MAX_LOCK_SECS: i64 = 15 * 60;
/// Most usernames remembered; beyond it, entries that are not locked are forgotten.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// Failed-login counts per username.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginThrottle {
    /// `Err(seconds)` while `username` is locked at `now`.
    pub fn check(&self, username: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&key(username)).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err((until - now).num_seconds().max(1) as u64),
            _ => Ok(()),
        }
    }

    /// Records a wrong password; returns the lock it started, if any.
    pub fn failed(&self, username: &str, now: DateTime<Utc>) -> Option<TimeDelta> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| e.locked_until.is_some_and(|u| u > now));
        }
        let e = map.entry(key(username)).or_default();
        e.failures = e.failures.saturating_add(1);
        if e.failures <= FREE_FAILURES {
            return None;
        }
        let doublings = (e.failures - FREE_FAILURES - 1).min(10);
        let secs = (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS);
        let lock = TimeDelta::seconds(secs);
        e.locked_until = Some(now + lock);
        Some(lock)
    }

    /// Records a right password: the count starts again.
    pub fn succeeded(&self, username: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key(username));
    }
}

/// The map key: case and surrounding spaces ignored, cut to 64 characters so that the map's
/// memory stays bounded whatever is typed.
fn key(username: &str) -> String {
    username
        .trim()
        .chars()
        .take(64)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_failures_doubling_and_resets_on_success() {
        let t = LoginThrottle::default();
        let t0 = Utc::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.failed("Reg", t0), None);
            assert_eq!(t.check("reg", t0), Ok(()));
        }
        assert_eq!(t.failed("reg", t0), Some(TimeDelta::seconds(30)));
        assert_eq!(t.check("REG ", t0), Err(30));
        assert_eq!(t.check("reg", t0 + TimeDelta::seconds(31)), Ok(()));
        assert_eq!(t.check("other", t0), Ok(()));
        assert_eq!(t.failed("reg", t0), Some(TimeDelta::seconds(60)));
        for _ in 0..20 {
            t.failed("reg", t0);
        }
        assert_eq!(t.check("reg", t0), Err(15 * 60));
        t.succeeded("reg");
        assert_eq!(t.check("reg", t0), Ok(()));
        assert_eq!(t.failed("reg", t0), None);
    }

    #[test]
    fn memory_is_bounded() {
        let t = LoginThrottle::default();
        let now = Utc::now();
        for i in 0..(MAX_ENTRIES + 10) {
            t.failed(&format!("u{i}"), now);
        }
        assert!(t.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
