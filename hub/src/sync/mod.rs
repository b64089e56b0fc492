//! The hub side of the sync protocol (see `docs/sync.md`).
//!
//! [`process`] serves one sync request of one office inside one storage transaction: for each
//! document it loads the stored document and this peer's sync state, applies the office's
//! automerge sync message, checks every resulting patch with
//! [`rekam_shared::document::check_incoming`] (refusing, logging and auditing anything the office
//! does not own), replays the document's events through the SOP state machine
//! ([`PermohonanDoc::keadaan`], refusing a document whose events break the SOP the same way),
//! stores the document and the new sync state, and answers with the hub's own
//! sync message. It then adds the documents the hub itself changed for this office since the
//! office's cursor (the return path of decisions), and, if the office asks for it (a restored
//! office, [`SyncRequest::listing`]), one page of the full listing of its kecamatan's
//! documents ([`LISTING_LIMIT`] ids, the kecamatan taken from the peer certificate), and the
//! district index and population register sections (bounded chunks past the versions the
//! office sent, [`crate::index::bagian`], [`crate::penduduk::bagian`]). Sync states are decoded fresh for every
//! request, so a lost response or a replayed request changes nothing: the next exchange simply
//! resends what the peer still lacks.
//!
//! [`decide`] is the hub-side write of the decision section (`rekam-hub decide`).

use automerge::{
    AutoCommit,
    sync::{Message, State, SyncDoc as _},
};
use rekam_shared::document::{Keputusan, Penulis, PermohonanDoc, check_incoming};
use rekam_shared::wire::{self, DocMessage, Listing, Refused, SyncRequest, SyncResponse};

use crate::pki::PeerIdentity;
use crate::storage::{AuditEntry, Storage, StorageError, Tx};

/// Most documents from the hub's change feed added to one response.
pub const FEED_LIMIT: usize = 200;
/// Most ids in one page of the full listing.
pub const LISTING_LIMIT: usize = 500;

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= rekam_shared::document::MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Counters of one processed request (for logs and metrics).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Documents whose stored copy changed.
    pub docs_updated: usize,
    /// Their ids (for the dedup engine).
    pub updated_ids: Vec<String>,
    /// Documents refused.
    pub refused: usize,
}

/// Serves one sync request of `peer`.
pub fn process(
    storage: &dyn Storage,
    peer: &PeerIdentity,
    req: &SyncRequest,
) -> Result<(SyncResponse, Outcome), StorageError> {
    let mut resp = SyncResponse::default();
    let mut outcome = Outcome::default();
    storage.transaction(&mut |tx| {
        resp = SyncResponse::default();
        outcome = Outcome::default();
        tx.touch_office(&peer.kecamatan, &peer.serial)?;
        for d in &req.docs {
            match one_doc(tx, peer, d)? {
                Ok((reply, updated)) => {
                    outcome.docs_updated += usize::from(updated);
                    if updated {
                        outcome.updated_ids.push(d.id.clone());
                        // Durable dedup work, committed with the change itself: a hub that
                        // dies after this request still decides the application on restart.
                        tx.enqueue_dedup(&d.id, &now())?;
                    }
                    resp.docs.push(DocMessage {
                        id: d.id.clone(),
                        message: reply,
                    });
                }
                Err(reason) => {
                    outcome.refused += 1;
                    tracing::warn!(
                        kecamatan = %peer.kecamatan,
                        permohonan = %d.id,
                        %reason,
                        "sync change refused"
                    );
                    tx.audit(&AuditEntry {
                        at: now(),
                        actor: format!("kecamatan {}", peer.kecamatan),
                        action: "sync.refused".into(),
                        permohonan_id: Some(d.id.clone()),
                        detail: reason.clone(),
                    })?;
                    resp.refused.push(Refused {
                        id: d.id.clone(),
                        reason,
                    });
                }
            }
        }
        // The return path: documents the hub changed for this office.
        let feed = tx.hub_changes_since(&peer.kecamatan, req.cursor, FEED_LIMIT)?;
        resp.more = feed.len() == FEED_LIMIT;
        resp.cursor = feed.last().map_or(req.cursor, |(_, seq)| *seq);
        for (id, _) in feed {
            if req.docs.iter().any(|d| d.id == id) {
                continue;
            }
            let Some(stored) = tx.load_doc(&id)? else {
                continue;
            };
            let mut doc = AutoCommit::load(&stored.bytes)
                .map_err(|e| StorageError::Corrupt(format!("document {id}: {e}")))?;
            let mut state = load_state(tx, &peer.kecamatan, &id)?;
            let msg = doc.sync().generate_sync_message(&mut state);
            tx.save_sync_state(&peer.kecamatan, &id, &state.encode())?;
            resp.docs.push(DocMessage {
                id,
                message: msg.map(Message::encode),
            });
        }
        // The full listing, for a restored office: this peer's kecamatan only.
        if let Some(after) = &req.listing {
            let mut ids = tx.doc_ids_after(&peer.kecamatan, after, LISTING_LIMIT + 1)?;
            let more = ids.len() > LISTING_LIMIT;
            ids.truncate(LISTING_LIMIT);
            resp.extensions
                .push((wire::EXT_LISTING, Listing { ids, more }.encode()));
        }
        resp.extensions.push(index_section(tx, req)?);
        resp.extensions.push(register_section(tx, req)?);
        Ok(())
    })?;
    Ok((resp, outcome))
}

/// The district index section of the response: a chunk past the version the office sent, or
/// (an office that sent none) only the hub's head, which tells it this hub has an index.
/// An unreadable request section is answered like none (the office keeps its version).
fn index_section(tx: &dyn Tx, req: &SyncRequest) -> Result<(u8, Vec<u8>), StorageError> {
    use rekam_shared::index::PermintaanIndeks;
    use rekam_shared::wire::{EXT_DISTRICT_INDEX, extension};
    let asked = extension(&req.extensions, EXT_DISTRICT_INDEX)
        .and_then(|b| PermintaanIndeks::decode(b).ok());
    let bagian = crate::index::bagian(tx, asked)?;
    Ok((EXT_DISTRICT_INDEX, bagian.encode()))
}

/// The population register section of the response, like the index's: a chunk past the
/// version the office sent, or only the hub's head for an office that sent none.
fn register_section(tx: &dyn Tx, req: &SyncRequest) -> Result<(u8, Vec<u8>), StorageError> {
    use rekam_shared::register::PermintaanRegister;
    use rekam_shared::wire::{EXT_POPULATION_REGISTER, extension};
    let asked = extension(&req.extensions, EXT_POPULATION_REGISTER)
        .and_then(|b| PermintaanRegister::decode(b).ok());
    let bagian = crate::penduduk::bagian(tx, asked)?;
    Ok((EXT_POPULATION_REGISTER, bagian.encode()))
}

fn load_state(tx: &dyn Tx, peer: &str, id: &str) -> Result<State, StorageError> {
    Ok(match tx.load_sync_state(peer, id)? {
        // A state that does not decode is only an optimisation lost: start afresh.
        Some(b) => State::decode(&b).unwrap_or_default(),
        None => State::new(),
    })
}

type DocResult = Result<(Option<Vec<u8>>, bool), String>;

fn one_doc(tx: &dyn Tx, peer: &PeerIdentity, d: &DocMessage) -> Result<DocResult, StorageError> {
    if !valid_id(&d.id) {
        return Ok(Err("invalid document id".into()));
    }
    let stored = tx.load_doc(&d.id)?;
    if let Some(s) = &stored
        && s.kecamatan != peer.kecamatan
    {
        return Ok(Err(format!(
            "application of kecamatan {} cannot be written by kecamatan {}",
            s.kecamatan, peer.kecamatan
        )));
    }
    let mut doc = match &stored {
        Some(s) => AutoCommit::load(&s.bytes)
            .map_err(|e| StorageError::Corrupt(format!("document {}: {e}", d.id)))?,
        None => AutoCommit::new(),
    };
    let mut state = load_state(tx, &peer.kecamatan, &d.id)?;
    let mut updated = false;
    if let Some(bytes) = &d.message {
        let msg = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => return Ok(Err(format!("malformed sync message: {e}"))),
        };
        let before = doc.get_heads();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, msg) {
            return Ok(Err(format!("sync message not applicable: {e}")));
        }
        let after = doc.get_heads();
        if after != before {
            let sender = Penulis::Kantor(peer.kecamatan.clone());
            if let Err(refusal) = check_incoming(&mut doc, &before, &sender, &d.id) {
                return Ok(Err(refusal.to_string()));
            }
            // The events must be a run of the SOP (or a valid beginning of one): replayed
            // through the one state machine, with their own timestamps. The events the hub
            // held before are history; whatever the office adds must pass today's rules in
            // full (a new recording carries its completeness).
            let tersimpan = if before.is_empty() {
                Vec::new()
            } else {
                let lama = doc
                    .fork_at(&before)
                    .map_err(|e| StorageError::Corrupt(format!("document {}: {e}", d.id)))?;
                PermohonanDoc::from_automerge(lama)
                    .peristiwa_terbaca()
                    .unwrap_or_default()
            };
            let mut checked = PermohonanDoc::from_automerge(doc);
            if let Err(pelanggaran) = checked.keadaan_kiriman(&tersimpan) {
                return Ok(Err(format!("SOP: {pelanggaran}")));
            }
            // A document this hub cannot read would escape dedup: refused, with the reason
            // (a schema newer than this hub's, or a biometric section of the wrong form).
            if let Err(e) = checked.schema() {
                return Ok(Err(format!("schema: {e}")));
            }
            if let Err(e) = checked.biometrik() {
                return Ok(Err(format!("biometrik: {e}")));
            }
            tx.save_doc(&d.id, &peer.kecamatan, &checked.save(), false)?;
            crate::index::perbarui(tx, &d.id, &peer.kecamatan, &checked)?;
            crate::statistik::perbarui(tx, &d.id, &peer.kecamatan, &checked)?;
            doc = checked.into_automerge();
            updated = true;
        }
    }
    let reply = doc.sync().generate_sync_message(&mut state);
    if stored.is_some() || updated {
        tx.save_sync_state(&peer.kecamatan, &d.id, &state.encode())?;
    }
    Ok(Ok((reply.map(Message::encode), updated)))
}

/// Loads a stored document for the hub's own use: like [`PermohonanDoc::load`], but a document
/// of a schema newer than this hub's still opens (the hub writes only its decision section into
/// it; dedup turns it into a case for a person rather than leaving it unseen).
pub fn load_for_hub(
    bytes: &[u8],
) -> Result<PermohonanDoc, Box<rekam_shared::document::DocumentError>> {
    use rekam_shared::document::DocumentError;
    match PermohonanDoc::load(bytes) {
        Err(DocumentError::SchemaTooNew { .. }) => AutoCommit::load(bytes)
            .map(PermohonanDoc::from_automerge)
            .map_err(|e| Box::new(DocumentError::Load(e))),
        other => other.map_err(Box::new),
    }
}

/// What a decision on `doc` is based on ([`rekam_shared::document::dasar_keputusan`]); `None`
/// if the biometric section does not read.
pub fn dasar_of(doc: &PermohonanDoc) -> Option<String> {
    let bio = doc.biometrik().ok()?;
    Some(rekam_shared::document::dasar_keputusan(
        nik_of(doc).as_deref(),
        &bio,
    ))
}

/// The NIK of an application, checked (`None` if absent or malformed). Only that field is read,
/// so an older layout of the rest of the resident's data does not hide it.
pub fn nik_of(doc: &PermohonanDoc) -> Option<String> {
    doc.penduduk_as::<serde_json::Value>()
        .ok()
        .flatten()
        .and_then(|p| {
            p.get("nik")?
                .as_str()?
                .parse::<rekam_shared::nik::Nik>()
                .ok()
        })
        .map(|n| n.to_string())
}

/// Why `decide` failed.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No such application.
    #[error("no application {0} at the hub")]
    NotFound(String),
    /// The document could not be written.
    #[error("document: {0}")]
    Document(String),
}

/// Writes the hub's decision into application `id` and queues it for its office.
pub fn decide(storage: &dyn Storage, id: &str, k: &Keputusan) -> Result<(), DecideError> {
    let mut result: Result<(), DecideError> = Ok(());
    storage.transaction(&mut |tx| {
        let Some(stored) = tx.load_doc(id)? else {
            result = Err(DecideError::NotFound(id.to_owned()));
            return Ok(());
        };
        let mut doc = match load_for_hub(&stored.bytes) {
            Ok(d) => d,
            Err(e) => {
                result = Err(DecideError::Document(e.to_string()));
                return Ok(());
            }
        };
        let before = doc.heads();
        // The decision records what it was made on, so that a later change of the NIK or
        // the biometrics re-opens it.
        let mut k = k.clone();
        if k.dasar.is_none() {
            k.dasar = dasar_of(&doc);
        }
        if let Err(e) = doc.set_keputusan(&k) {
            result = Err(DecideError::Document(e.to_string()));
            return Ok(());
        }
        if let Err(e) = check_incoming(doc.automerge(), &before, &Penulis::Hub, id) {
            result = Err(DecideError::Document(e.to_string()));
            return Ok(());
        }
        tx.save_doc(id, &stored.kecamatan, &doc.save(), true)?;
        crate::index::perbarui(tx, id, &stored.kecamatan, &doc)?;
        crate::statistik::perbarui(tx, id, &stored.kecamatan, &doc)?;
        tx.audit(&AuditEntry {
            at: now(),
            actor: k.oleh.clone(),
            action: "keputusan.set".into(),
            permohonan_id: Some(id.to_owned()),
            detail: format!("{:?}", k.hasil),
        })?;
        result = Ok(());
        Ok(())
    })?;
    result
}

#[cfg(test)]
mod tests;
