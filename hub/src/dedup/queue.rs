//! The durable dedup queue's worker: decides, in the background, the applications that syncs
//! put on the hub's `dedup_queue` table.
//!
//! A sync request only records the work ([`crate::storage::Tx::enqueue_dedup`], in the same
//! transaction as the changed document) and wakes the worker with [`Pemicu::bangunkan`]: dedup
//! never blocks a sync. The worker drains the queue oldest first, one application at a time
//! through [`Dedup::process`], and takes an application off the queue only once the engine
//! took it in (whatever its outcome). A failure is logged and the application stays queued,
//! retried at the next wake or after [`INTERVAL`]. Because the queue lives in storage, a hub
//! killed at any moment decides every pending application after its restart.
//!
//! The backlog (count, oldest waiting) is logged at start and after each drained batch; the
//! same numbers are shown by `rekam-hub dedup stats`.
//!
//! [`PAUSE_ENV`] (`REKAM_HUB_DEDUP_PAUSE=1`) keeps the worker from draining: a switch for tests
//! and operators (e.g. to let a backlog build up, or to hold dedup during maintenance);
//! syncs still queue their work.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::Dedup;
use crate::storage::Storage;

/// Environment variable that, set to `1`, keeps the worker from draining the queue.
pub const PAUSE_ENV: &str = "REKAM_HUB_DEDUP_PAUSE";

/// The worker also looks at the queue this often without being woken.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// Applications read from the queue at a time.
pub const BATCH: usize = 64;

/// Wakes the worker: cloned into every sync handler.
#[derive(Debug, Clone, Default)]
pub struct Pemicu {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl Pemicu {
    /// A trigger with no worker yet (wakes set before the worker starts are kept).
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the worker that new work was committed.
    pub fn bangunkan(&self) {
        let (flag, cv) = &*self.inner;
        if let Ok(mut f) = flag.lock() {
            *f = true;
            cv.notify_one();
        }
    }

    /// Waits for a wake or `timeout`, then clears the wake.
    fn tunggu(&self, timeout: Duration) {
        let (flag, cv) = &*self.inner;
        let Ok(f) = flag.lock() else {
            std::thread::sleep(timeout);
            return;
        };
        if let Ok((mut f, _)) = cv.wait_timeout_while(f, timeout, |woken| !*woken) {
            *f = false;
        }
    }
}

/// True if [`PAUSE_ENV`] is set to `1`.
pub fn paused_by_env() -> bool {
    std::env::var(PAUSE_ENV).is_ok_and(|v| v == "1")
}

/// Logs the backlog (count and the oldest waiting time).
pub fn log_backlog(storage: &dyn Storage, what: &str) {
    match storage.dedup_backlog() {
        Ok((backlog, oldest)) => tracing::info!(
            backlog,
            oldest = oldest.as_deref().unwrap_or("-"),
            "dedup queue {what}"
        ),
        Err(e) => tracing::error!(error = %e, "dedup queue backlog unreadable"),
    }
}

/// Drains the queue once, oldest first, until it is empty or only applications that failed in
/// this pass remain. Returns how many applications left the queue.
pub fn drain(dedup: &Dedup, storage: &dyn Storage) -> usize {
    let mut failed: HashSet<String> = HashSet::new();
    let mut done = 0;
    loop {
        let batch = match storage.dedup_queue(BATCH + failed.len()) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "dedup queue unreadable");
                return done;
            }
        };
        let todo: Vec<String> = batch
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| !failed.contains(id))
            .collect();
        if todo.is_empty() {
            return done;
        }
        for id in todo {
            match dedup.process(storage, &id) {
                Ok(_) => match storage.dequeue_dedup(&id) {
                    Ok(()) => done += 1,
                    Err(e) => {
                        // Processed again later: the engine takes an application in twice
                        // without deciding it twice.
                        tracing::error!(permohonan = %id, error = %e, "dedup dequeue failed");
                        failed.insert(id);
                    }
                },
                Err(e) => {
                    tracing::error!(permohonan = %id, error = %e, "dedup failed; kept queued");
                    failed.insert(id);
                }
            }
        }
        log_backlog(storage, "batch drained");
    }
}

/// Starts the worker thread: drains at start, after every wake and every [`INTERVAL`]. With
/// `paused`, it only logs the backlog and never drains.
pub fn start(
    dedup: Arc<Dedup>,
    storage: Arc<dyn Storage>,
    pemicu: Pemicu,
    paused: bool,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("dedup-queue".into())
        .spawn(move || {
            if paused {
                tracing::warn!("dedup queue paused ({PAUSE_ENV}=1): nothing is decided");
                log_backlog(storage.as_ref(), "at start");
                return;
            }
            log_backlog(storage.as_ref(), "at start");
            loop {
                drain(&dedup, storage.as_ref());
                pemicu.tunggu(INTERVAL);
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;
    use rekam_shared::document::{HasilDedup, PermohonanDoc};

    /// Stores application `id` (recorded or not, without biometrics) and queues it.
    fn store_and_queue(s: &dyn Storage, id: &str, recorded: bool) {
        let events = crate::dedup::tests::perjalanan(id, recorded);
        let mut d = PermohonanDoc::new(id, "130101").unwrap();
        d.set_penduduk(&serde_json::json!({"nama": "Warga"}))
            .unwrap();
        d.append_peristiwa(&events).unwrap();
        let bytes = d.save();
        s.transaction(&mut |tx| {
            tx.save_doc(id, "130101", &bytes, false)?;
            tx.enqueue_dedup(id, &chrono::Utc::now().to_rfc3339())
        })
        .unwrap();
    }

    fn keputusan(s: &dyn Storage, id: &str) -> Option<HasilDedup> {
        let b = s.load_doc(id).unwrap().unwrap().bytes;
        crate::sync::load_for_hub(&b)
            .unwrap()
            .keputusan()
            .unwrap()
            .map(|k| k.hasil)
    }

    fn setup() -> (tempfile::TempDir, Arc<dyn Storage>, Arc<Dedup>) {
        let dir = tempfile::tempdir().unwrap();
        let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&dir.path().join("h.db")).unwrap());
        let d = Arc::new(Dedup::new(
            rekam_shared::bio::iris::IrisShape::OPEN_IRIS,
            Default::default(),
        ));
        (dir, s, d)
    }

    #[test]
    fn drain_decides_every_queued_application_and_empties_the_queue() {
        let (_dir, s, d) = setup();
        store_and_queue(s.as_ref(), "130101-a", true);
        store_and_queue(s.as_ref(), "130101-b", false);
        store_and_queue(s.as_ref(), "130101-c", true);
        assert_eq!(s.dedup_backlog().unwrap().0, 3);
        assert_eq!(drain(&d, s.as_ref()), 3);
        assert_eq!(s.dedup_backlog().unwrap(), (0, None));
        // Recorded without biometrics: never unique, a case for a person.
        assert_eq!(
            keputusan(s.as_ref(), "130101-a"),
            Some(HasilDedup::PerluAdjudikasi)
        );
        assert_eq!(
            keputusan(s.as_ref(), "130101-c"),
            Some(HasilDedup::PerluAdjudikasi)
        );
        // Not recorded yet: taken off the queue undecided (a later sync queues it again).
        assert_eq!(keputusan(s.as_ref(), "130101-b"), None);
    }

    #[test]
    fn a_paused_worker_leaves_the_queue_and_a_woken_one_drains_it() {
        let (_dir, s, d) = setup();
        store_and_queue(s.as_ref(), "130101-a", true);
        start(d.clone(), s.clone(), Pemicu::new(), true)
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(s.dedup_backlog().unwrap().0, 1);
        assert_eq!(keputusan(s.as_ref(), "130101-a"), None);

        let pemicu = Pemicu::new();
        let _worker = start(d, s.clone(), pemicu.clone(), false).unwrap();
        store_and_queue(s.as_ref(), "130101-b", true);
        pemicu.bangunkan();
        // Bounded wait for the background thread (no timing asserted).
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while s.dedup_backlog().unwrap().0 > 0 {
            assert!(std::time::Instant::now() < deadline, "queue not drained");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(keputusan(s.as_ref(), "130101-a").is_some());
        assert!(keputusan(s.as_ref(), "130101-b").is_some());
    }
}
