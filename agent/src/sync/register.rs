//! The population register part of the sync daemon (see `docs/population-register.md`):
//! downloads the hub's register (Database Kependudukan) in bounded chunks after each round's
//! documents and the district index, and keeps it in the `register_penduduk` table (migration
//! `0140_register.sql`) for the NIK look-up at the registration desk ([`cari`]).
//!
//! The same machinery as the district index ([`super::indeks`]): each chunk is stored together
//! with the new version in one write transaction, so a connection cut mid-download loses at
//! most the chunk in flight and the next request resumes from the stored version; the agent
//! asks with its version only once the hub has shown a register section (an older hub never
//! sees the request section; an older agent never sends one and skips the response section).
//! The hub shows its register head in every response, so the office asks only when the round's
//! last response showed a head past the version it holds: an office up to date, or one whose
//! hub has no register, costs no request at all.

use chrono::{DateTime, NaiveDate, Utc};
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::register::{
    Agama, BagianRegister, EntriRegister, PendudukTerdaftar, PermintaanRegister, StatusPenduduk,
};
use rekam_shared::wire::{EXT_POPULATION_REGISTER, SyncRequest, extension};
use rusqlite::{Connection, OptionalExtension, params};

use super::SyncError;
use super::client::{HubClient, WireBytes};
use super::store::{get_meta, set_meta};
use crate::db::Db;

/// Keys of `sync_meta` for the register.
pub mod meta {
    /// Highest sequence number stored; absent until the hub has shown it has a register.
    pub const VERSI: &str = "register_versi";
    /// The hub's head version at the last chunk.
    pub const HEAD: &str = "register_head";
    /// When a download last reached the hub's head (RFC 3339).
    pub const PER: &str = "register_per";
}

/// Most chunks fetched in one round (about 6 minutes at 256 kbit/s with the hub's chunks of
/// 1,000 residents); the rest follows in the next rounds, so documents are never held back
/// for long behind a first download.
const MAX_BAGIAN_PER_RONDE: usize = 60;

/// What the office holds of the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusRegister {
    /// Residents stored.
    pub jumlah: u64,
    /// Version held (`None`: no hub has shown a register yet).
    pub versi: Option<u64>,
    /// The hub's head at the last chunk.
    pub head: u64,
    /// When a download last reached the hub's head.
    pub per: Option<String>,
}

impl StatusRegister {
    /// Whether the office holds everything the hub had at the last chunk.
    pub fn lengkap(&self) -> bool {
        self.versi.is_some_and(|v| v >= self.head)
    }
}

/// Reads the register status.
pub fn status(conn: &Connection) -> Result<StatusRegister, SyncError> {
    let jumlah: i64 = conn.query_row("SELECT COUNT(*) FROM register_penduduk", [], |r| r.get(0))?;
    let num = |k| -> Result<Option<u64>, SyncError> {
        Ok(get_meta(conn, k)?.and_then(|v| v.parse().ok()))
    };
    Ok(StatusRegister {
        jumlah: jumlah as u64,
        versi: num(meta::VERSI)?,
        head: num(meta::HEAD)?.unwrap_or(0),
        per: get_meta(conn, meta::PER)?.filter(|v| !v.is_empty()),
    })
}

/// Stores one chunk and the version it brings, in the caller's transaction.
pub fn simpan(tx: &Connection, b: &BagianRegister, now: DateTime<Utc>) -> Result<(), SyncError> {
    let mut put = tx.prepare_cached(
        "INSERT INTO register_penduduk(nik, seq, no_kk, nama, tempat_lahir, tanggal_lahir,
           jenis_kelamin, status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan,
           status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT(nik) DO UPDATE SET seq = excluded.seq, no_kk = excluded.no_kk,
           nama = excluded.nama, tempat_lahir = excluded.tempat_lahir,
           tanggal_lahir = excluded.tanggal_lahir, jenis_kelamin = excluded.jenis_kelamin,
           status_perkawinan = excluded.status_perkawinan, agama = excluded.agama,
           pekerjaan = excluded.pekerjaan, alamat = excluded.alamat, rt = excluded.rt,
           rw = excluded.rw, nagari = excluded.nagari, kecamatan = excluded.kecamatan,
           status = excluded.status",
    )?;
    for e in &b.entri {
        let d = &e.data;
        let p = &d.penduduk;
        put.execute(params![
            p.nik.to_string(),
            e.seq as i64,
            p.no_kk.to_string(),
            p.nama,
            p.tempat_lahir,
            p.tanggal_lahir.to_string(),
            p.jenis_kelamin.as_str(),
            p.status_perkawinan.as_str(),
            d.agama.as_str(),
            d.pekerjaan,
            p.alamat,
            p.rt,
            p.rw,
            p.nagari,
            p.kecamatan.to_string(),
            d.status.as_str(),
        ])?;
    }
    set_meta(tx, meta::VERSI, &b.versi.to_string())?;
    set_meta(tx, meta::HEAD, &b.head.to_string())?;
    if !b.more {
        set_meta(tx, meta::PER, &now.to_rfc3339())?;
    }
    Ok(())
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("register_penduduk: {what}").into(),
    )
}

/// The stored resident with this NIK (the office's copy of the register), if any.
pub fn cari(conn: &Connection, nik: &str) -> Result<Option<EntriRegister>, SyncError> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, nik, no_kk, nama, tempat_lahir, tanggal_lahir, jenis_kelamin,
               status_perkawinan, agama, pekerjaan, alamat, rt, rw, nagari, kecamatan, status
             FROM register_penduduk WHERE nik = ?1",
        )?
        .query_row([nik], |r| {
            let text = |i: usize| r.get::<_, String>(i);
            let penduduk = Penduduk {
                nik: text(1)?.parse().map_err(|_| corrupt("nik"))?,
                no_kk: text(2)?.parse().map_err(|_| corrupt("no_kk"))?,
                nama: text(3)?,
                tempat_lahir: text(4)?,
                tanggal_lahir: NaiveDate::parse_from_str(&text(5)?, "%Y-%m-%d")
                    .map_err(|_| corrupt("tanggal_lahir"))?,
                jenis_kelamin: JenisKelamin::parse(&text(6)?)
                    .ok_or_else(|| corrupt("jenis_kelamin"))?,
                status_perkawinan: StatusPerkawinan::parse(&text(7)?)
                    .ok_or_else(|| corrupt("status_perkawinan"))?,
                alamat: text(10)?,
                rt: r.get(11)?,
                rw: r.get(12)?,
                nagari: text(13)?,
                kecamatan: text(14)?.parse().map_err(|_| corrupt("kecamatan"))?,
            };
            Ok(EntriRegister {
                seq: r.get::<_, i64>(0)? as u64,
                data: PendudukTerdaftar {
                    penduduk,
                    agama: Agama::parse(&text(8)?).ok_or_else(|| corrupt("agama"))?,
                    pekerjaan: text(9)?,
                    status: StatusPenduduk::parse(&text(15)?).ok_or_else(|| corrupt("status"))?,
                },
            })
        })
        .optional()?)
}

/// Downloads what the hub has past the stored version, chunk by chunk. Returns the residents
/// received.
pub async fn unduh(db: &Db, client: &HubClient, bytes: &mut WireBytes) -> Result<usize, SyncError> {
    let mut received = 0;
    for _ in 0..MAX_BAGIAN_PER_RONDE {
        let held = db.read(status).await?;
        let versi = held.versi;
        // The round's other responses already carry the hub's register head: no request when
        // the hub has no register (an older hub), or the office holds that version.
        match (client.register_head(), versi) {
            (Some(None), _) => return Ok(received),
            (Some(Some(_)), None) => {
                db.write(|tx| set_meta(tx, meta::VERSI, "0")).await?;
                continue;
            }
            (Some(Some(head)), Some(v)) if v >= head && held.head == head && held.per.is_some() => {
                return Ok(received);
            }
            _ => {}
        }
        // The cursor past every feed entry: this request asks only for the register.
        let req = SyncRequest {
            cursor: u64::MAX,
            docs: Vec::new(),
            listing: None,
            extensions: versi
                .map(|v| {
                    vec![(
                        EXT_POPULATION_REGISTER,
                        PermintaanRegister { versi: v }.encode(),
                    )]
                })
                .unwrap_or_default(),
        };
        let resp = client.sync(&req, bytes).await?;
        let Some(section) = extension(&resp.extensions, EXT_POPULATION_REGISTER) else {
            // A hub without a register.
            return Ok(received);
        };
        let b = BagianRegister::decode(section)
            .map_err(|e| SyncError::Hub(format!("population register section: {e}")))?;
        let Some(v) = versi else {
            // The hub has a register: from now on ask with a version.
            db.write(|tx| set_meta(tx, meta::VERSI, "0")).await?;
            if b.head == 0 {
                return Ok(received);
            }
            continue;
        };
        if b.entri.is_empty() && b.versi == v && b.more {
            return Err(SyncError::Hub(
                "population register: the hub says more but sends nothing".into(),
            ));
        }
        let n = b.entri.len();
        let more = b.more;
        let b = std::sync::Arc::new(b);
        db.write(move |tx| simpan(tx, &b, Utc::now())).await?;
        received += n;
        if !more {
            return Ok(received);
        }
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_shared::kk::NomorKk;
    use rekam_shared::nik::Nik;

    fn warga(urut: u16, status: StatusPenduduk) -> PendudukTerdaftar {
        let kec = "130101".parse().unwrap();
        let lahir = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
        PendudukTerdaftar {
            penduduk: Penduduk {
                nik: Nik::from_parts(kec, lahir, JenisKelamin::Perempuan, urut).unwrap(),
                no_kk: NomorKk::from_parts(kec, lahir, urut).unwrap(),
                nama: format!("WARGA {urut}"),
                tempat_lahir: "PAINAN".into(),
                tanggal_lahir: lahir,
                jenis_kelamin: JenisKelamin::Perempuan,
                status_perkawinan: StatusPerkawinan::CeraiHidup,
                alamat: "JL. A, NO. 1".into(),
                rt: 3,
                rw: 4,
                nagari: "AIR HAJI".into(),
                kecamatan: kec,
            },
            agama: Agama::Khonghucu,
            pekerjaan: "GURU".into(),
            status,
        }
    }

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrations::apply(&mut c).unwrap();
        c
    }

    fn chunk(rows: &[(u64, PendudukTerdaftar)], versi: u64, head: u64) -> BagianRegister {
        BagianRegister {
            head,
            versi,
            more: versi < head,
            entri: rows
                .iter()
                .map(|(seq, d)| EntriRegister {
                    seq: *seq,
                    data: d.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn chunks_store_with_their_version_and_a_later_version_replaces_the_resident() {
        let c = db();
        assert_eq!(status(&c).unwrap(), StatusRegister::default());
        let (a, b) = (
            warga(1, StatusPenduduk::Aktif),
            warga(2, StatusPenduduk::Aktif),
        );
        let now = Utc::now();
        simpan(&c, &chunk(&[(1, a.clone())], 1, 2), now).unwrap();
        let st = status(&c).unwrap();
        assert_eq!(
            (st.jumlah, st.versi, st.head, st.lengkap()),
            (1, Some(1), 2, false)
        );
        assert_eq!(st.per, None);
        // The same chunk again (a response lost after it was stored) changes nothing.
        simpan(&c, &chunk(&[(1, a.clone())], 1, 2), now).unwrap();
        assert_eq!(status(&c).unwrap().jumlah, 1);
        simpan(&c, &chunk(&[(2, b.clone())], 2, 2), now).unwrap();
        let st = status(&c).unwrap();
        assert!(st.lengkap() && st.per.is_some(), "{st:?}");
        // Every field reads back as stored.
        let got = cari(&c, &a.penduduk.nik.to_string()).unwrap().unwrap();
        assert_eq!((got.seq, got.data), (1, a.clone()));
        // A death: the resident's row takes the new version and status.
        let mut mati = a.clone();
        mati.status = StatusPenduduk::Meninggal;
        simpan(&c, &chunk(&[(3, mati.clone())], 3, 3), now).unwrap();
        let got = cari(&c, &a.penduduk.nik.to_string()).unwrap().unwrap();
        assert_eq!((got.seq, got.data.status), (3, StatusPenduduk::Meninggal));
        assert_eq!(status(&c).unwrap().jumlah, 2);
        assert!(cari(&c, "1301015705900009").unwrap().is_none());
    }
}
