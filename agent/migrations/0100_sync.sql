-- Sync daemon state (numbers 0100-0199 belong to the sync daemon, see agent/src/sync/).

-- Documents changed since they were last known to be at the hub. Filled by triggers on
-- permohonan_doc, so every writer of a document queues it without knowing about sync.
-- `refused` holds the hub's reason when it refused the document's changes: the daemon leaves
-- it alone until the document changes again.
CREATE TABLE sync_outbox (
    permohonan_id TEXT PRIMARY KEY,
    queued_at     TEXT NOT NULL,
    refused       TEXT
);
CREATE TRIGGER sync_outbox_doc_insert AFTER INSERT ON permohonan_doc
BEGIN
    INSERT INTO sync_outbox(permohonan_id, queued_at)
    VALUES (NEW.permohonan_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT(permohonan_id) DO UPDATE SET refused = NULL;
END;
CREATE TRIGGER sync_outbox_doc_update AFTER UPDATE OF doc ON permohonan_doc
WHEN NEW.doc IS NOT OLD.doc
BEGIN
    INSERT INTO sync_outbox(permohonan_id, queued_at)
    VALUES (NEW.permohonan_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT(permohonan_id) DO UPDATE SET refused = NULL;
END;
INSERT OR IGNORE INTO sync_outbox(permohonan_id, queued_at)
SELECT permohonan_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM permohonan_doc;

-- The automerge sync state with the hub, per document (encoded `automerge::sync::State`).
CREATE TABLE sync_doc_state (
    permohonan_id TEXT PRIMARY KEY,
    state         BLOB NOT NULL
);

-- Photos and signatures (content-addressed) not yet complete at the hub.
CREATE TABLE sync_blob_outbox (
    sha256    TEXT PRIMARY KEY,
    queued_at TEXT NOT NULL
);
CREATE TRIGGER sync_blob_insert AFTER INSERT ON biometrik
WHEN NEW.modality IN ('face', 'signature')
BEGIN
    INSERT OR IGNORE INTO sync_blob_outbox(sha256, queued_at)
    VALUES (NEW.sha256, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER sync_blob_update AFTER UPDATE OF sha256 ON biometrik
WHEN NEW.modality IN ('face', 'signature')
BEGIN
    INSERT OR IGNORE INTO sync_blob_outbox(sha256, queued_at)
    VALUES (NEW.sha256, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
INSERT OR IGNORE INTO sync_blob_outbox(sha256, queued_at)
SELECT sha256, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM biometrik
WHERE modality IN ('face', 'signature');

-- Key/value state of the daemon: cursor in the hub's feed, last success, last error, online,
-- and `force_requested` (set by `rekam-agent sync now`).
CREATE TABLE sync_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
