//! The recording desk (Operator Perekaman), SOP steps 3-4: call the next queue number, capture
//! 10 fingerprints, 2 irises, photo and signature from the devices (quality shown), then
//! success (proof of recording) or failure with a reason (documents back to registration), and
//! finally hand the documents back to the resident.

use std::collections::BTreeMap;

use rekam_shared::document::{Biometrik, BlobRef};
use rekam_shared::workflow::{Aksi, JenisAksi, Status};
use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};

use super::input::AlasanInput;
use super::registrasi::{TerlambatInput, device_error};
use super::{Ctx, Hasil, act, boleh, idem_lookup, selesai, store};
use crate::cek::Probe;
use crate::device::protocol::Modality;
use crate::web::error::ApiError;

/// Body of "call next".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PanggilInput {
    /// Name of the recording desk (loket), shown on the queue display.
    pub loket: String,
    #[serde(flatten)]
    pub terlambat: TerlambatInput,
}

/// Body of "recording failed".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GagalInput {
    pub alasan: String,
    pub keterangan: String,
    #[serde(flatten)]
    pub terlambat: TerlambatInput,
}

/// Every modality a complete recording needs.
pub const MODALITAS: [Modality; 4] = [
    Modality::Finger,
    Modality::Iris,
    Modality::Face,
    Modality::Signature,
];

/// The waiting application with the lowest queue number today, if any.
pub fn berikutnya(conn: &Connection, tanggal: &str) -> Result<Option<String>, ApiError> {
    let mut st = conn.prepare(
        "SELECT id FROM permohonan WHERE status = 'menunggu_perekaman' AND tanggal_antrian = ?1
         ORDER BY nomor_antrian LIMIT 1",
    )?;
    let mut rows = st.query([tanggal])?;
    Ok(match rows.next()? {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}

/// Step 3: calls a resident by queue number (`id`, or the next waiting one when `None`).
pub async fn panggil(
    ctx: Ctx<'_>,
    id: Option<&str>,
    input: PanggilInput,
) -> Result<Hasil, ApiError> {
    boleh(ctx.op, JenisAksi::Dipanggil)?;
    let late = input.terlambat.parse()?;
    let loket = if input.loket.trim().is_empty() {
        "1".to_owned()
    } else {
        input.loket.trim().chars().take(20).collect()
    };
    let today = ctx.state.today().to_string();
    let t = today.clone();
    let id = id.map(str::to_owned);
    let pick = move |tx: &Transaction<'_>| match id {
        Some(id) => Ok(id),
        // Chosen inside the write transaction: concurrent "call next" never collide.
        None => berikutnya(tx, &t)?.ok_or_else(|| ApiError::not_found("antrian yang menunggu")),
    };
    super::act_on(ctx, pick, "perekaman.panggil", move |_tx, _row, now| {
        let extra: super::Extra = Box::new(move |tx, row| {
            tx.execute(
                "INSERT INTO panggilan(tanggal, nomor_antrian, permohonan_id, loket, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    today,
                    row.nomor_antrian,
                    row.permohonan.id(),
                    loket,
                    now.to_rfc3339()
                ],
            )?;
            Ok(())
        });
        Ok((Aksi::Dipanggil, late, Some(extra)))
    })
    .await
}

/// Step 3: captures one modality from the device and stores it (replacing an earlier capture
/// of the same positions). Only while the resident is called.
pub async fn rekam(ctx: Ctx<'_>, id: &str, modality: Modality) -> Result<Hasil, ApiError> {
    boleh(ctx.op, JenisAksi::PerekamanBerhasil)?;
    let state = ctx.state.clone();
    let current = super::view(&state, id).await?;
    if current.status != "dipanggil" {
        if let Some(key) = ctx.idem.clone() {
            let u = ctx.op.username.clone();
            if let Some(h) = state
                .db
                .write(move |tx| idem_lookup(tx, Some(&key), &u))
                .await?
            {
                return Ok(h);
            }
        }
        return Err(ApiError::conflict(
            Some("status"),
            format!(
                "perekaman hanya setelah dipanggil, bukan pada status '{}'",
                current.status
            ),
        ));
    }
    let txid = format!("{id}-{}", modality.as_str());
    let caps = state
        .devices
        .capture(modality, &txid)
        .await
        .map_err(device_error)?;
    let op = ctx.op.clone();
    let idem = ctx.idem;
    let id = id.to_owned();
    let clock = state.clock.clone();
    let today = state.today();
    state
        .db
        .write(move |tx| {
            if let Some(h) = idem_lookup(tx, idem.as_deref(), &op.username)? {
                return Ok(h);
            }
            let now = clock.now();
            let now_s = now.to_rfc3339();
            let row = store::load_required(tx, &id)?;
            if !matches!(row.permohonan.status(), Status::Dipanggil { .. }) {
                return Err(ApiError::conflict(
                    Some("status"),
                    "penduduk tidak sedang direkam",
                ));
            }
            for c in &caps {
                // Replace an earlier capture of the same position. Delete + insert rather than
                // an UPSERT: SQLite lets an UPSERT's DO UPDATE override the OR IGNORE of
                // statements in triggers fired by it (the sync daemon's triggers use one).
                tx.execute(
                    "DELETE FROM biometrik WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
                    params![id, c.modality.as_str(), c.position],
                )?;
                tx.execute(
                    "INSERT INTO biometrik(permohonan_id, modality, position, format, quality,
                        sha256, data, captured_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        id,
                        c.modality.as_str(),
                        c.position,
                        c.format,
                        c.quality,
                        c.sha256,
                        c.data,
                        now_s
                    ],
                )?;
            }
            let min_q = caps.iter().map(|c| c.quality).min().unwrap_or(0);
            crate::audit::record(
                tx,
                &op.username,
                "perekaman.rekam",
                Some(&id),
                &format!(
                    "{}: {} sampel, kualitas terendah {min_q}",
                    modality.as_str(),
                    caps.len()
                ),
            )?;
            let captures = store::captures(tx, &id)?;
            selesai(tx, &row, captures, idem.as_deref(), &op.username, now, today, &now_s)
        })
        .await
}

/// The positions still missing for a complete recording.
pub fn kurang(captures: &[store::CaptureSummary]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for m in MODALITAS {
        for p in m.positions() {
            if !captures
                .iter()
                .any(|c| c.modality == m.as_str() && c.position == *p)
            {
                out.push(*p);
            }
        }
    }
    out
}

/// Loads the stored samples of an application as the document's biometric section and as a
/// 1:N probe.
pub fn biometrik_of(conn: &Connection, id: &str) -> Result<(Biometrik, Probe), ApiError> {
    let mut st = conn.prepare(
        "SELECT modality, position, format, sha256, data FROM biometrik WHERE permohonan_id = ?1",
    )?;
    let rows = st.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Vec<u8>>(4)?,
        ))
    })?;
    let mut bio = Biometrik {
        sidik_jari: BTreeMap::new(),
        iris: BTreeMap::new(),
        foto: None,
        tanda_tangan: None,
    };
    let mut probe = Probe::default();
    for r in rows {
        let (modality, position, _format, sha256, data) = r?;
        match modality.as_str() {
            "finger" => {
                probe.jari.push((position.clone(), data.clone()));
                bio.sidik_jari.insert(position, data);
            }
            "iris" => {
                probe.iris.push((position.clone(), data.clone()));
                let eye = if position == "left-iris" {
                    "kiri"
                } else {
                    "kanan"
                };
                bio.iris
                    .insert(eye.to_owned(), String::from_utf8_lossy(&data).into_owned());
            }
            "face" => {
                bio.foto = Some(BlobRef {
                    sha256,
                    size: data.len() as u64,
                    media_type: "image/jpeg".into(),
                })
            }
            "signature" => {
                bio.tanda_tangan = Some(BlobRef {
                    sha256,
                    size: data.len() as u64,
                    media_type: "image/png".into(),
                })
            }
            _ => {}
        }
    }
    Ok((bio, probe))
}

fn nomor_bukti(
    tx: &Transaction<'_>,
    kecamatan: &str,
    tanggal: chrono::NaiveDate,
) -> Result<String, ApiError> {
    let prefix = format!("{kecamatan}-{}-", tanggal.format("%Y%m%d"));
    let n: i64 = tx.query_row(
        "SELECT count(*) FROM permohonan WHERE nomor_bukti LIKE ?1 || '%'",
        [&prefix],
        |r| r.get(0),
    )?;
    Ok(format!("{prefix}{:04}", n + 1))
}

/// End of step 3, success: every sample is present; the proof of recording is issued and the
/// person joins the local "already recorded?" gallery.
pub async fn berhasil(ctx: Ctx<'_>, id: &str, late: TerlambatInput) -> Result<Hasil, ApiError> {
    let late = late.parse()?;
    let state = ctx.state.clone();
    let today = state.today();
    let kecamatan = state.config.kecamatan.clone();
    let hasil = act(ctx, id, "perekaman.berhasil", move |tx, row, _now| {
        let captures = store::captures(tx, row.permohonan.id())?;
        let missing = kurang(&captures);
        if !missing.is_empty() && matches!(row.permohonan.status(), Status::Dipanggil { .. }) {
            return Err(ApiError::conflict(
                Some("biometrik"),
                format!("perekaman belum lengkap: {}", missing.join(", ")),
            ));
        }
        let nomor = nomor_bukti(tx, &kecamatan, today)?;
        let n2 = nomor.clone();
        let extra: super::Extra = Box::new(move |tx, row| {
            tx.execute(
                "UPDATE permohonan SET nomor_bukti = ?2 WHERE id = ?1",
                params![row.permohonan.id(), n2],
            )?;
            row.nomor_bukti = Some(n2);
            let (bio, _) = biometrik_of(tx, row.permohonan.id())?;
            store::sync_doc(tx, &row.permohonan, Some(&bio))?;
            Ok(())
        });
        Ok((
            Aksi::PerekamanBerhasil { nomor_bukti: nomor },
            late,
            Some(extra),
        ))
    })
    .await?;
    if !hasil.replay {
        let id2 = hasil.id.clone();
        let (nik, probe) = state
            .db
            .read(move |c| {
                let row = store::load_required(c, &id2)?;
                let (_, probe) = biometrik_of(c, &id2)?;
                Ok::<_, ApiError>((row.permohonan.penduduk().nik.to_string(), probe))
            })
            .await?;
        state.cek.tambah(&hasil.id, &nik, &probe);
    }
    Ok(hasil)
}

/// End of step 3, failure: the documents go back to the registration operator.
pub async fn gagal(ctx: Ctx<'_>, id: &str, input: GagalInput) -> Result<Hasil, ApiError> {
    let alasan = AlasanInput {
        alasan: input.alasan,
        keterangan: input.keterangan,
    }
    .gagal("alasan")?;
    let late = input.terlambat.parse()?;
    act(ctx, id, "perekaman.gagal", move |_tx, _row, _now| {
        Ok((Aksi::PerekamanGagal { alasan }, late, None))
    })
    .await
}

/// Step 4: the resident received the recorded documents with the proof of recording.
pub async fn serahkan(ctx: Ctx<'_>, id: &str, late: TerlambatInput) -> Result<Hasil, ApiError> {
    let late = late.parse()?;
    act(ctx, id, "penyerahan.diterima", move |_tx, _row, _now| {
        Ok((Aksi::DiterimaPenduduk, late, None))
    })
    .await
}

/// The queue as the waiting-room display shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Antrian {
    pub tanggal: String,
    /// Latest calls, newest first: (number, desk, time).
    pub dipanggil: Vec<Panggilan>,
    /// Numbers still waiting, in order.
    pub menunggu: Vec<u32>,
}

/// One call.
#[derive(Debug, Clone, Serialize)]
pub struct Panggilan {
    pub nomor: u32,
    pub nomor_teks: String,
    pub loket: String,
    pub at: String,
}

/// Today's queue.
pub fn antrian(conn: &Connection, tanggal: &str) -> Result<Antrian, ApiError> {
    let mut st = conn.prepare(
        "SELECT nomor_antrian, loket, at FROM panggilan WHERE tanggal = ?1 ORDER BY id DESC LIMIT 6",
    )?;
    let dipanggil = st
        .query_map([tanggal], |r| {
            let nomor: u32 = r.get(0)?;
            Ok(Panggilan {
                nomor,
                nomor_teks: format!("{nomor:03}"),
                loket: r.get(1)?,
                at: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut st = conn.prepare(
        "SELECT nomor_antrian FROM permohonan WHERE status = 'menunggu_perekaman'
         AND tanggal_antrian = ?1 ORDER BY nomor_antrian",
    )?;
    let menunggu = st
        .query_map([tanggal], |r| r.get(0))?
        .collect::<Result<Vec<u32>, _>>()?;
    Ok(Antrian {
        tanggal: tanggal.to_owned(),
        dipanggil,
        menunggu,
    })
}
