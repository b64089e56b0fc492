-- Capture quality and biometric exceptions (pengecualian) at the recording desk
-- (agent/src/desk/perekaman.rs).
--
-- biometrik.percobaan: attempts made at this position so far; biometrik.diterima: 1 when the
-- stored capture is kept for the recording (met the minimum, or the best after the cap of
-- attempts), 0 while the desk still asks for a re-capture; biometrik.kualitas_rendah: kept
-- after the cap although below the minimum.
ALTER TABLE biometrik ADD COLUMN percobaan INTEGER NOT NULL DEFAULT 1;
ALTER TABLE biometrik ADD COLUMN diterima INTEGER NOT NULL DEFAULT 1;
ALTER TABLE biometrik ADD COLUMN kualitas_rendah INTEGER NOT NULL DEFAULT 0;

-- One row per excepted position (a finger, an eye, the signature; never the face). The
-- exception photo is a `biometrik` row of modality 'pengecualian' at the same position (so the
-- sync daemon uploads it as a blob like the face photo; the trigger below queues it), never a
-- capture.
CREATE TABLE pengecualian (
    permohonan_id TEXT NOT NULL REFERENCES permohonan(id),
    position      TEXT NOT NULL,
    alasan        TEXT NOT NULL,              -- amputasi | cacat_luka | diperban | buta_mata_palsu | lainnya
    keterangan    TEXT NOT NULL DEFAULT '',
    foto_sha256   TEXT NOT NULL,
    operator      TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (permohonan_id, position)
);
CREATE TRIGGER sync_blob_pengecualian AFTER INSERT ON biometrik
WHEN NEW.modality = 'pengecualian'
BEGIN
    INSERT OR IGNORE INTO sync_blob_outbox(sha256, queued_at)
    VALUES (NEW.sha256, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
