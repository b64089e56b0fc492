-- Downloads from the hub (unduhan) for an office restored from a backup (agent/src/sync/unduh.rs).
-- The photos and signatures that the documents coming back from the hub reference but the
-- office's `biometrik` rows lack: one row per capture position, with the bytes received so
-- far (a cut download resumes from `length(data)`). When the bytes hash to `sha256` they
-- become the `biometrik` row and this row goes.
CREATE TABLE sync_unduh_blob (
    permohonan_id TEXT NOT NULL,
    modality      TEXT NOT NULL,
    position      TEXT NOT NULL,
    format        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    data          BLOB NOT NULL DEFAULT x'',
    queued_at     TEXT NOT NULL,
    PRIMARY KEY (permohonan_id, modality, position)
);
