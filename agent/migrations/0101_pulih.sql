-- Restore from a backup (pemulihan, see agent/src/db/backup.rs): the applications that came
-- back from the backup and have not yet been through a complete exchange with the hub since.
-- The hub may hold newer events of them (made after the backup, synced before the disk
-- died); until the exchange is over the desk refuses new events on them, so that the office
-- never appends to an outdated event list. Filled by `rekam-agent restore`, emptied by the
-- sync daemon document by document (agent/src/sync/store.rs `finish`).
CREATE TABLE sync_pulih (
    permohonan_id TEXT PRIMARY KEY,
    restored_at   TEXT NOT NULL
);
