//! The agent's clock: UTC now plus an offset that only tests move (to exercise the SOP's time
//! standards without waiting ten minutes). Production never changes the offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A clock shared by every handler.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::TimeDelta::seconds(self.offset_secs.load(Ordering::SeqCst))
    }

    /// Moves the clock forward (tests only).
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the clock to `t` (tests and the demo history, `crate::demo`, only).
    pub fn pindah_ke(&self, t: DateTime<Utc>) {
        let offset = (t - Utc::now()).num_seconds();
        self.offset_secs.store(offset, Ordering::SeqCst);
    }

    /// The office's local calendar day at `now`.
    pub fn today(&self, tz: FixedOffset) -> NaiveDate {
        self.now().with_timezone(&tz).date_naive()
    }
}
