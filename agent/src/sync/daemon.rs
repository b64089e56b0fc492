//! The background sync loop.
//!
//! Each round: documents first (the outbox in batches, exchanging automerge sync messages
//! with the hub until the office has nothing more to say, plus the hub's feed of documents it
//! changed for this office, and for a restored office the pages of the hub's full listing of
//! its documents, see `crate::db::backup`), then blobs (resumable chunked uploads, and for a
//! restored office the downloads of [`super::unduh`]). While rounds succeed the
//! daemon waits `interval_ms` between them; after a failure it waits an exponentially growing
//! delay with jitter (`backoff_ms` .. `max_backoff_ms`). `sync now` (a flag in `sync_meta`, or
//! [`SyncHandle::sync_now`]) cuts the wait short. All state is in SQLite, so a restarted agent
//! resumes where it stopped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::sync::State;
use chrono::FixedOffset;
use rand::Rng as _;
use rekam_shared::wire::{DocMessage, EXT_LISTING, Listing, SyncRequest};
use serde::Serialize;
use tokio::sync::Notify;

use super::client::{HubClient, Unduh, WireBytes};
use super::store::{self, meta};
use super::{HubConfig, SyncError};
use crate::db::Db;

/// Sync states of the documents in the current round.
type StateMap = HashMap<String, State>;
/// What applying one response leaves: the sync states, the documents it touched, and where
/// the listing walk goes on.
type Applied = (StateMap, Vec<String>, Option<String>);
/// A document id and this office's message for it (None: nothing to say).
type Outgoing = (String, Option<Vec<u8>>);

/// Most request/response exchanges in one round.
const MAX_EXCHANGES: usize = 500;
/// Blobs taken from the queue at once.
const BLOB_BATCH: usize = 64;
/// Blob uploads in flight at once.
const BLOBS_IN_FLIGHT: usize = 4;

/// The daemon's state, shown in the desk UI and by `rekam-agent sync status`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SyncStatus {
    /// Whether the last round reached the hub.
    pub online: bool,
    /// When the last round succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// The last error, if the last round failed.
    pub last_error: Option<String>,
    /// Documents waiting to be synced.
    pub docs_waiting: u64,
    /// Their saved size, bytes.
    pub doc_bytes_waiting: u64,
    /// Blobs waiting to be uploaded.
    pub blobs_waiting: u64,
    /// Bytes of those blobs.
    pub blob_bytes_waiting: u64,
    /// Documents the hub refused (parked until they change).
    pub docs_refused: u64,
    /// Bytes sent to / received from the hub since start.
    pub bytes_sent: u64,
    /// See `bytes_sent`.
    pub bytes_received: u64,
}

/// Handle on the running daemon.
#[derive(Clone)]
pub struct SyncHandle {
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for SyncHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncHandle").finish_non_exhaustive()
    }
}

impl SyncHandle {
    /// Current status.
    pub fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Starts a round now.
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }
}

/// Starts the daemon as a background task on the current tokio runtime. `offset` is the
/// office's UTC offset (local days of rows built from the hub's documents).
/// `indeks` is the district index the desks search; each round's download feeds it.
pub fn spawn(
    db: Db,
    cfg: HubConfig,
    offset: FixedOffset,
    indeks: Arc<crate::cek::IndeksKabupaten>,
) -> SyncHandle {
    let handle = SyncHandle {
        status: Arc::new(Mutex::new(SyncStatus::default())),
        wake: Arc::new(Notify::new()),
    };
    let h = handle.clone();
    tokio::spawn(async move { run(db, cfg, offset, indeks, h).await });
    handle
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn run(
    db: Db,
    cfg: HubConfig,
    offset: FixedOffset,
    indeks: Arc<crate::cek::IndeksKabupaten>,
    handle: SyncHandle,
) {
    let mut client: Option<HubClient> = None;
    let mut failures: u32 = 0;
    let mut bytes = WireBytes::default();
    loop {
        if client.is_none() {
            match HubClient::new(&cfg) {
                Ok(c) => client = Some(c),
                Err(e) => tracing::error!(error = %e, "sync: cannot build the hub client"),
            }
        }
        let started = Instant::now();
        let result = match &client {
            Some(c) => match round(&db, c, &cfg, offset, &mut bytes).await {
                // Documents first; then the district index and the population register, in
                // bounded chunks.
                Ok(stats) => match super::indeks::unduh(&db, c, &indeks, &mut bytes).await {
                    Ok(n) => super::register::unduh(&db, c, &mut bytes)
                        .await
                        .map(|r| RoundStats {
                            indeks: n,
                            register: r,
                            ..stats
                        }),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
            None => Err(SyncError::Config("hub client not configured".into())),
        };
        let ok = result.is_ok();
        match &result {
            Ok(stats) => {
                failures = 0;
                if stats.docs > 0 || stats.blobs > 0 || stats.indeks > 0 || stats.register > 0 {
                    tracing::info!(
                        docs = stats.docs,
                        blobs = stats.blobs,
                        indeks = stats.indeks,
                        register = stats.register,
                        exchanges = stats.exchanges,
                        ms = started.elapsed().as_millis() as u64,
                        "sync round done"
                    );
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, failures, "sync round failed");
            }
        }
        let err = result.err().map(|e| e.to_string());
        let b = bytes;
        let snapshot = db
            .write(move |tx| -> Result<SyncStatus, SyncError> {
                let t = now();
                store::set_meta(tx, meta::LAST_ATTEMPT, &t)?;
                store::set_meta(tx, meta::ONLINE, if ok { "1" } else { "0" })?;
                if ok {
                    store::set_meta(tx, meta::LAST_SUCCESS, &t)?;
                    store::set_meta(tx, meta::LAST_ERROR, "")?;
                } else if let Some(e) = &err {
                    store::set_meta(tx, meta::LAST_ERROR, e)?;
                }
                status_from_db(tx, b)
            })
            .await;
        if let (Ok(s), Ok(mut cur)) = (snapshot, handle.status.lock()) {
            *cur = s;
        }
        let delay = if ok {
            cfg.interval()
        } else {
            let exp = cfg
                .backoff_ms
                .saturating_mul(1u64 << failures.min(16).saturating_sub(1))
                .min(cfg.max_backoff_ms)
                .max(1);
            // "Equal jitter": half fixed, half random, so offices do not retry in lockstep.
            let jitter = rand::thread_rng().gen_range(0..=exp / 2);
            Duration::from_millis(exp / 2 + jitter)
        };
        wait(&db, &handle, delay).await;
    }
}

/// Sleeps for `delay`, waking early on [`SyncHandle::sync_now`] or the `sync now` flag.
async fn wait(db: &Db, handle: &SyncHandle, delay: Duration) {
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        let step = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .min(Duration::from_millis(500));
        if step.is_zero() {
            return;
        }
        tokio::select! {
            _ = handle.wake.notified() => return,
            _ = tokio::time::sleep(step) => {}
        }
        // Cheap read first; the writer is only involved when the flag is set.
        let flagged = db
            .read(|c| store::get_meta(c, meta::FORCE))
            .await
            .ok()
            .flatten()
            .is_some_and(|v| !v.is_empty());
        let forced = flagged
            && db
                .write(|tx| -> Result<bool, SyncError> {
                    store::set_meta(tx, meta::FORCE, "")?;
                    Ok(true)
                })
                .await
                .unwrap_or(false);
        if forced {
            return;
        }
    }
}

/// Reads the status from the database.
pub fn status_from_db(
    conn: &rusqlite::Connection,
    bytes: WireBytes,
) -> Result<SyncStatus, SyncError> {
    let w = store::waiting(conn)?;
    let refused = store::refused(conn)?.len() as u64;
    let opt = |k| -> Result<Option<String>, SyncError> {
        Ok(store::get_meta(conn, k)?.filter(|v| !v.is_empty()))
    };
    Ok(SyncStatus {
        online: opt(meta::ONLINE)?.as_deref() == Some("1"),
        last_success: opt(meta::LAST_SUCCESS)?,
        last_error: opt(meta::LAST_ERROR)?,
        docs_waiting: w.docs,
        doc_bytes_waiting: w.doc_bytes,
        blobs_waiting: w.blobs,
        blob_bytes_waiting: w.blob_bytes,
        docs_refused: refused,
        bytes_sent: bytes.sent,
        bytes_received: bytes.received,
    })
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoundStats {
    /// Documents finished (in sync with the hub).
    pub docs: usize,
    /// Blobs completed.
    pub blobs: usize,
    /// HTTP sync exchanges.
    pub exchanges: usize,
    /// District index entries received.
    pub indeks: usize,
    /// Population register residents received.
    pub register: usize,
}

/// One sync round: documents, then blobs.
pub async fn round(
    db: &Db,
    client: &HubClient,
    cfg: &HubConfig,
    offset: FixedOffset,
    bytes: &mut WireBytes,
) -> Result<RoundStats, SyncError> {
    let mut stats = RoundStats::default();
    let mut cursor: u64 = db
        .read(|c| store::get_meta(c, meta::CURSOR))
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut states: HashMap<String, State> = HashMap::new();
    let mut active: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let mut poll_feed = true;
    // A restored office walks the hub's full listing (nobody else sends one).
    let mut listing: Option<String> = db.read(|c| store::get_meta(c, meta::LISTING)).await?;
    let batch = cfg.batch_docs.max(1);
    while stats.exchanges < MAX_EXCHANGES {
        if active.len() < batch {
            let skip: Vec<String> = active.iter().chain(done.iter()).cloned().collect();
            let need = batch - active.len();
            let more = db
                .read(move |c| store::outbox_batch(c, need, &skip))
                .await?;
            active.extend(more);
        }
        // Generate this office's messages (read pool: desks keep writing meanwhile).
        let ids = active.clone();
        let st = std::mem::take(&mut states);
        let (st, msgs) = db
            .read(move |c| -> Result<(StateMap, Vec<Outgoing>), SyncError> {
                let mut st = st;
                let mut out = Vec::new();
                for id in ids {
                    let state = match st.get_mut(&id) {
                        Some(s) => s,
                        None => st.entry(id.clone()).or_insert(store::load_state(c, &id)?),
                    };
                    out.push((id.clone(), store::generate(c, &id, state)?));
                }
                Ok((st, out))
            })
            .await?;
        states = st;
        let mut req = SyncRequest {
            extensions: Vec::new(),
            cursor,
            docs: Vec::new(),
            listing: listing.clone(),
        };
        let mut quiet = Vec::new();
        for (id, m) in msgs {
            match m {
                Some(message) => req.docs.push(DocMessage {
                    id,
                    message: Some(message),
                }),
                None => quiet.push(id),
            }
        }
        // Documents with nothing more to say are done if the hub has all their changes.
        if !quiet.is_empty() {
            let q: Vec<(String, State)> = quiet
                .iter()
                .map(|id| (id.clone(), states.get(id).cloned().unwrap_or_default()))
                .collect();
            let finished = db
                .write(move |tx| -> Result<Vec<String>, SyncError> {
                    let mut f = Vec::new();
                    for (id, st) in &q {
                        if store::finish(tx, id, st)? {
                            f.push(id.clone());
                        }
                    }
                    Ok(f)
                })
                .await?;
            stats.docs += finished.len();
            active.retain(|id| !quiet.contains(id));
            for id in quiet {
                states.remove(&id);
                done.push(id);
            }
        }
        if req.docs.is_empty() && !poll_feed && listing.is_none() {
            if active.is_empty() {
                break;
            }
            continue;
        }
        stats.exchanges += 1;
        let resp = match client.sync(&req, bytes).await {
            Err(SyncError::Hub(e)) if listing.is_some() && e.contains("protocol version") => {
                // A hub older than the listing: the office gets back what the feed brings.
                tracing::warn!(error = %e, "the hub does not serve the full listing");
                db.write(|tx| store::record_listing(tx, None)).await?;
                listing = None;
                continue;
            }
            other => other?,
        };
        poll_feed = resp.more;
        let page = match (
            &listing,
            resp.extensions.iter().find(|(t, _)| *t == EXT_LISTING),
        ) {
            (None, _) => None,
            (Some(_), None) => Some(None),
            (Some(_), Some((_, b))) => Some(Some(
                Listing::decode(b).map_err(|e| SyncError::Hub(format!("listing: {e}")))?,
            )),
        };
        // Apply the hub's messages in one write transaction.
        let st = std::mem::take(&mut states);
        let new_cursor = resp.cursor;
        let resp_docs = resp.docs;
        let refused = resp.refused;
        let (st, touched, next_listing) = db
            .write(
                move |tx| -> Result<Applied, SyncError> {
                    let mut st = st;
                    let mut touched = Vec::new();
                    for d in &resp_docs {
                        let Some(m) = &d.message else { continue };
                        let state = match st.get_mut(&d.id) {
                            Some(s) => s,
                            None => st
                                .entry(d.id.clone())
                                .or_insert(store::load_state(tx, &d.id)?),
                        };
                        store::apply(tx, &d.id, m, state, offset)?;
                        touched.push(d.id.clone());
                    }
                    for r in &refused {
                        tracing::warn!(permohonan = %r.id, reason = %r.reason, "hub refused a document");
                        store::mark_refused(tx, &r.id, &r.reason)?;
                        st.remove(&r.id);
                    }
                    // The feed's documents are applied: the cursor may move past them.
                    store::set_meta(tx, meta::CURSOR, &new_cursor.to_string())?;
                    // The listing's documents are queued: the walk may move past them.
                    let next_listing = match &page {
                        None => None,
                        Some(p) => store::record_listing(tx, p.as_ref())?,
                    };
                    let refused_ids: Vec<String> = refused.iter().map(|r| r.id.clone()).collect();
                    touched.retain(|id| !refused_ids.contains(id));
                    Ok((st, touched, next_listing))
                },
            )
            .await?;
        states = st;
        cursor = new_cursor;
        listing = next_listing;
        active.retain(|id| states.contains_key(id));
        for id in touched {
            if !active.contains(&id) {
                done.retain(|d| d != &id);
                active.push(id);
            }
        }
    }
    stats.blobs = upload_blobs(db, client, bytes).await?;
    stats.blobs += download_blobs(db, client, bytes).await?;
    let b = *bytes;
    db.write(move |tx| -> Result<(), SyncError> {
        store::set_meta(tx, meta::BYTES_SENT, &b.sent.to_string())?;
        store::set_meta(tx, meta::BYTES_RECEIVED, &b.received.to_string())
    })
    .await?;
    Ok(stats)
}

/// Downloads the photos and signatures queued by [`super::unduh::ikuti_biometrik`] (a
/// restored office), each from where its last download stopped; what arrives is kept even if
/// the connection is cut. A blob the hub refuses waits for a later round.
async fn download_blobs(
    db: &Db,
    client: &HubClient,
    bytes: &mut WireBytes,
) -> Result<usize, SyncError> {
    let mut n = 0;
    // Bounded: a hub that keeps sending bytes that fail the hash check does not hold the round.
    for _ in 0..8 {
        let batch = db.read(|c| super::unduh::antrian(c, BLOB_BATCH)).await?;
        let mut progress = false;
        for u in batch {
            let mut got = Vec::new();
            let max = u.size.saturating_sub(u.received) + 1;
            let r = client
                .download_blob(&u.sha256, &u.permohonan_id, u.received, max, &mut got)
                .await;
            bytes.received += got.len() as u64;
            progress |= !got.is_empty();
            let key = u.clone();
            let saved = db
                .write(move |tx| super::unduh::simpan(tx, &key, &got))
                .await?;
            match r? {
                Unduh::Lengkap if saved == super::unduh::Disimpan::Selesai => n += 1,
                Unduh::Lengkap => {}
                Unduh::Ditolak(why) => tracing::warn!(
                    permohonan = %u.permohonan_id,
                    blob = %u.sha256,
                    reason = %why,
                    "hub refused a blob download; retried next round"
                ),
            }
        }
        if !progress {
            break;
        }
    }
    Ok(n)
}

async fn upload_blobs(
    db: &Db,
    client: &HubClient,
    bytes: &mut WireBytes,
) -> Result<usize, SyncError> {
    use futures::StreamExt as _;
    let mut n = 0;
    loop {
        let batch = db.read(|c| store::blob_batch(c, BLOB_BATCH)).await?;
        if batch.is_empty() {
            return Ok(n);
        }
        // A few uploads in flight hide the round-trip time of a slow link.
        let results: Vec<Result<(String, WireBytes), SyncError>> =
            futures::stream::iter(batch.into_iter().map(|sha| async move {
                let mut b = WireBytes::default();
                let s = sha.clone();
                let data = db.read(move |c| store::blob_data(c, &s)).await?;
                match data {
                    Some(data) => client.upload_blob(&sha, &data, &mut b).await?,
                    None => tracing::warn!(
                        blob = %sha,
                        "queued blob no longer stored; dropping it from the queue"
                    ),
                }
                Ok((sha, b))
            }))
            .buffer_unordered(BLOBS_IN_FLIGHT)
            .collect()
            .await;
        let mut done = Vec::new();
        let mut first_err = None;
        for r in results {
            match r {
                Ok((sha, b)) => {
                    bytes.sent += b.sent;
                    bytes.received += b.received;
                    done.push(sha);
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        n += done.len();
        db.write(move |tx| -> Result<(), SyncError> {
            for sha in &done {
                store::blob_done(tx, sha)?;
            }
            Ok(())
        })
        .await?;
        if let Some(e) = first_err {
            return Err(e);
        }
    }
}
