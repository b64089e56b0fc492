-- The population register (Database Kependudukan) the hub sends, for the NIK look-up at the
-- registration desk (see docs/population-register.md). One row per resident of the district,
-- seq = the register version of the resident's last change; a death or a move out arrives as
-- a new version with that status (rows are never deleted). The version held, the hub's head
-- and when the office last held the whole register are in sync_meta (register_versi,
-- register_head, register_per).
CREATE TABLE register_penduduk (
    nik               TEXT PRIMARY KEY,
    seq               INTEGER NOT NULL,
    no_kk             TEXT NOT NULL,
    nama              TEXT NOT NULL,
    tempat_lahir      TEXT NOT NULL,
    tanggal_lahir     TEXT NOT NULL,
    jenis_kelamin     TEXT NOT NULL,
    status_perkawinan TEXT NOT NULL,
    agama             TEXT NOT NULL,
    pekerjaan         TEXT NOT NULL,
    alamat            TEXT NOT NULL,
    rt                INTEGER NOT NULL,
    rw                INTEGER NOT NULL,
    nagari            TEXT NOT NULL,
    kecamatan         TEXT NOT NULL,
    status            TEXT NOT NULL
) WITHOUT ROWID;
-- Who must still record, per kecamatan and nagari (active, 17 or ever married, no successful
-- recording here or in the district index) is one query over these.
CREATE INDEX register_penduduk_wilayah
    ON register_penduduk(kecamatan, nagari, status, tanggal_lahir, status_perkawinan);
CREATE INDEX indeks_kabupaten_nik ON indeks_kabupaten(nik);
