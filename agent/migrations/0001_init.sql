-- Rekam agent: the office's source of truth. Times are UTC RFC 3339 text; `tanggal` columns
-- are the office's local calendar day (YYYY-MM-DD), the day of the register book.

-- Operators of this office and their roles (operator-registrasi, operator-perekaman, kepala-ukl).
CREATE TABLE operator (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    peran         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

-- Login sessions: only the SHA-256 of the cookie token is stored.
CREATE TABLE session (
    token_sha256 TEXT PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operator(id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

-- Append-only audit log of every action.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    operator     TEXT NOT NULL,
    action       TEXT NOT NULL,
    permohonan_id TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Residents (penduduk) as registered at this office.
CREATE TABLE penduduk (
    nik               TEXT PRIMARY KEY,
    no_kk             TEXT NOT NULL,
    nama              TEXT NOT NULL,
    tempat_lahir      TEXT NOT NULL,
    tanggal_lahir     TEXT NOT NULL,
    jenis_kelamin     TEXT NOT NULL,
    status_perkawinan TEXT NOT NULL,
    alamat            TEXT NOT NULL,
    rt                TEXT NOT NULL,
    rw                TEXT NOT NULL,
    kelurahan         TEXT NOT NULL,
    kecamatan         TEXT NOT NULL,
    data              TEXT NOT NULL,          -- the full record as JSON (shared's Penduduk)
    updated_at        TEXT NOT NULL
);
CREATE INDEX penduduk_nama ON penduduk(nama);

-- Applications (permohonan): one per visit, from step 1 to step 4.
CREATE TABLE permohonan (
    id              TEXT PRIMARY KEY,         -- UUID v7
    nik             TEXT NOT NULL REFERENCES penduduk(nik),
    kecamatan       TEXT NOT NULL,
    tanggal         TEXT NOT NULL,            -- local day of step 1
    status          TEXT NOT NULL,            -- workflow state (shared's state machine)
    nomor_antrian   INTEGER,                  -- latest queue number, once issued
    tanggal_antrian TEXT,                     -- local day that queue number belongs to
    nomor_bukti     TEXT UNIQUE,              -- proof of recording number, once recorded
    berkas          TEXT NOT NULL DEFAULT '[]', -- document checklist ticked at the desk (JSON)
    cek_biometrik   TEXT,                     -- last "already recorded?" answer (JSON)
    state           TEXT NOT NULL,            -- shared PermohonanData as JSON (events included)
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX permohonan_nik ON permohonan(nik);
CREATE INDEX permohonan_tanggal ON permohonan(tanggal, status);
CREATE UNIQUE INDEX permohonan_antrian ON permohonan(tanggal_antrian, nomor_antrian)
    WHERE nomor_antrian IS NOT NULL;

-- The last queue number issued per local day.
CREATE TABLE antrian_harian (
    tanggal  TEXT PRIMARY KEY,
    terakhir INTEGER NOT NULL
);

-- Every workflow event (peristiwa) of an application, in order, with who and when.
CREATE TABLE peristiwa (
    id            INTEGER PRIMARY KEY,
    permohonan_id TEXT NOT NULL REFERENCES permohonan(id),
    at            TEXT NOT NULL,
    operator      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status_after  TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX peristiwa_permohonan ON peristiwa(permohonan_id, id);

-- The queue calls shown on the waiting-room display.
CREATE TABLE panggilan (
    id            INTEGER PRIMARY KEY,
    tanggal       TEXT NOT NULL,
    nomor_antrian INTEGER NOT NULL,
    permohonan_id TEXT NOT NULL REFERENCES permohonan(id),
    loket         TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX panggilan_tanggal ON panggilan(tanggal, id);

-- Biometric captures of an application (fingerprints, irises, photo, signature).
CREATE TABLE biometrik (
    id            INTEGER PRIMARY KEY,
    permohonan_id TEXT NOT NULL REFERENCES permohonan(id),
    modality      TEXT NOT NULL,              -- finger | iris | face | signature
    position      TEXT NOT NULL,              -- e.g. right-thumb, left-iris, face
    format        TEXT NOT NULL,              -- iso-19794-2 | rekam-iris | jpeg | png
    quality       INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    captured_at   TEXT NOT NULL,
    UNIQUE (permohonan_id, modality, position)
);

-- The application's automerge document, updated in the same transaction as its rows.
CREATE TABLE permohonan_doc (
    permohonan_id TEXT PRIMARY KEY REFERENCES permohonan(id),
    doc           BLOB NOT NULL
);

-- Idempotency keys of submitted forms: a second submit returns the first answer.
CREATE TABLE idempotency (
    key         TEXT PRIMARY KEY,
    operator    TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
