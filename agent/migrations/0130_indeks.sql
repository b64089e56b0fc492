-- The district index (indeks kabupaten) the hub sends, for the offline step-2 check
-- (see docs/district-index.md). One row per person recorded anywhere in the district;
-- a tombstone from the hub deletes the row. The version held and the time the office last
-- held the whole index are in sync_meta (indeks_versi, indeks_head, indeks_per).
CREATE TABLE indeks_kabupaten (
    permohonan_id TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,
    kecamatan     TEXT NOT NULL,
    tanggal_rekam TEXT NOT NULL,
    nik           TEXT NOT NULL,
    keputusan     TEXT,
    kunci         BLOB NOT NULL
) WITHOUT ROWID;
