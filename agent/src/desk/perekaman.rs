//! The recording desk (Operator Perekaman), SOP steps 3-4: call the next queue number, capture
//! 10 fingerprints, 2 irises, photo and signature from the devices (quality shown), then
//! success (proof of recording) or failure with a reason (documents back to registration), and
//! finally hand the documents back to the resident.
//!
//! Capture quality: a capture below the configured minimum of its modality
//! ([`crate::config::Kualitas`]) is stored but not kept (`diterima` false: the desk asks for a
//! re-capture); after the cap of attempts the best one is kept, flagged `kualitas_rendah`.
//! Pengecualian (exception): a finger, an eye or the signature that cannot be captured is marked
//! with a reason and a photo ([`kecualikan`]). Whether step 3 may succeed is decided by the
//! state machine from the [`Kelengkapan`] this desk builds ([`kelengkapan_of`]), not here.

use std::collections::BTreeMap;

use rekam_shared::document::{Biometrik, BlobRef, DaftarPengecualian, Pengecualian};
use rekam_shared::workflow::{
    Aksi, AlasanPengecualian, JenisAksi, Kelengkapan, MAX_TEKS, Modalitas,
};
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
    let excepted: Vec<String> = current
        .biometrik
        .iter()
        .filter(|c| c.modality == "pengecualian")
        .map(|c| c.position.clone())
        .collect();
    let positions: Vec<&str> = modality
        .positions()
        .iter()
        .copied()
        .filter(|p| !excepted.iter().any(|e| e == p))
        .collect();
    if positions.is_empty() {
        return Err(ApiError::conflict(
            Some("modality"),
            "semua posisi modalitas ini dikecualikan",
        ));
    }
    let txid = format!("{id}-{}", modality.as_str());
    let caps = state
        .devices
        .capture_positions(modality, &positions, &txid)
        .await
        .map_err(device_error)?;
    let minimum = state.config.kualitas.minimum(modality);
    let batas = state.config.kualitas.percobaan;
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
            let row = sedang_direkam(tx, &id, "penduduk tidak sedang direkam")?;
            let (mut ulang, mut rendah) = (0, 0);
            for c in &caps {
                match simpan_sampel(tx, &id, c, minimum, batas, &now_s)? {
                    Nilai::Diterima => {}
                    Nilai::Ulangi => ulang += 1,
                    Nilai::KualitasRendah => rendah += 1,
                }
            }
            let min_q = caps.iter().map(|c| c.quality).min().unwrap_or(0);
            crate::audit::record(
                tx,
                &op.username,
                "perekaman.rekam",
                Some(&id),
                &format!(
                    "{}: {} sampel, kualitas terendah {min_q} (minimum {minimum}), \
                     {ulang} perlu diulang, {rendah} kualitas rendah",
                    modality.as_str(),
                    caps.len()
                ),
            )?;
            let captures = store::captures(tx, &id)?;
            selesai(
                tx,
                &row,
                captures,
                idem.as_deref(),
                &op.username,
                now,
                today,
                &now_s,
            )
        })
        .await
}

/// What became of one sample under the quality rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nilai {
    /// At or above the minimum: kept.
    Diterima,
    /// Below the minimum, attempts left: stored (the best so far), re-capture asked.
    Ulangi,
    /// Below the minimum at the cap of attempts: the best one kept, flagged.
    KualitasRendah,
}

/// Stores one sample under the quality rule: the best capture of a position so far stays
/// stored; it is kept (`diterima`) when it meets `minimum`, or at the `batas`-th attempt.
fn simpan_sampel(
    tx: &Transaction<'_>,
    id: &str,
    c: &crate::device::client::ValidCapture,
    minimum: u8,
    batas: u32,
    now_s: &str,
) -> Result<Nilai, ApiError> {
    use rusqlite::OptionalExtension;
    let before: Option<(u8, u32, bool)> = tx
        .query_row(
            "SELECT quality, percobaan, diterima FROM biometrik
             WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
            params![id, c.modality.as_str(), c.position],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    // Attempts count while the desk is asking for a re-capture; a capture after a kept one
    // starts again.
    let (percobaan, best_before) = match before {
        Some((q, n, false)) => (n + 1, Some(q)),
        _ => (1, None),
    };
    let nilai = if c.quality >= minimum {
        Nilai::Diterima
    } else if percobaan >= batas {
        Nilai::KualitasRendah
    } else {
        Nilai::Ulangi
    };
    let diterima = nilai != Nilai::Ulangi;
    let rendah = nilai == Nilai::KualitasRendah;
    if best_before.is_some_and(|q| q >= c.quality) && nilai != Nilai::Diterima {
        // The earlier capture is better: keep its bytes, count the attempt.
        tx.execute(
            "UPDATE biometrik SET percobaan = ?4, diterima = ?5, kualitas_rendah = ?6
             WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
            params![
                id,
                c.modality.as_str(),
                c.position,
                percobaan,
                diterima,
                rendah
            ],
        )?;
        return Ok(nilai);
    }
    // Replace an earlier capture of the same position. Delete + insert rather than an UPSERT:
    // SQLite lets an UPSERT's DO UPDATE override the OR IGNORE of statements in triggers fired
    // by it (the sync daemon's triggers use one).
    tx.execute(
        "DELETE FROM biometrik WHERE permohonan_id = ?1 AND modality = ?2 AND position = ?3",
        params![id, c.modality.as_str(), c.position],
    )?;
    tx.execute(
        "INSERT INTO biometrik(permohonan_id, modality, position, format, quality,
            sha256, data, captured_at, percobaan, diterima, kualitas_rendah)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id,
            c.modality.as_str(),
            c.position,
            c.format,
            c.quality,
            c.sha256,
            c.data,
            now_s,
            percobaan,
            diterima,
            rendah
        ],
    )?;
    Ok(nilai)
}

/// The positions still neither kept nor excepted (for the desk's display; the state machine
/// decides with [`kelengkapan_of`]).
pub fn kurang(captures: &[store::CaptureSummary]) -> Vec<&'static str> {
    kelengkapan_of(captures).kurang()
}

/// What the stored captures and exceptions make of step 3: every kept capture with its
/// quality (and low-quality flag), every exception with its reason.
pub fn kelengkapan_of(captures: &[store::CaptureSummary]) -> Kelengkapan {
    let mut k = Kelengkapan::default();
    for c in captures.iter().filter(|c| c.diterima) {
        let Some(m) = Modalitas::dari_nama(&c.position) else {
            continue;
        };
        match c.alasan.as_deref() {
            Some(alasan) if c.modality == "pengecualian" => {
                let ket = c.keterangan.as_deref().unwrap_or("");
                if let Some(a) = AlasanPengecualian::dari_nama(alasan, ket) {
                    k.dikecualikan(m, a);
                }
            }
            _ => k.terekam(m, c.quality, c.kualitas_rendah),
        }
    }
    k
}

/// Body of "mark as not capturable" (pengecualian).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PengecualianInput {
    /// Position name: a finger (`right-thumb` ...), `right-iris`, `left-iris` or `signature`.
    pub posisi: String,
    /// `amputasi`, `cacat_luka`, `diperban`, `buta_mata_palsu` or `lainnya`.
    pub alasan: String,
    /// Required for `lainnya`.
    pub keterangan: String,
    /// The exception photo, a JPEG in base64.
    pub foto: String,
}

/// Step 3: marks a finger, an eye or the signature as not capturable, with a reason and a
/// photo (replacing a capture of that position). Only while the resident is called. Audited.
pub async fn kecualikan(
    ctx: Ctx<'_>,
    id: &str,
    input: PengecualianInput,
) -> Result<Hasil, ApiError> {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    boleh(ctx.op, JenisAksi::PerekamanBerhasil)?;
    let m = Modalitas::dari_nama(input.posisi.trim())
        .ok_or_else(|| ApiError::field("posisi", "posisi tidak dikenal"))?;
    if !m.boleh_dikecualikan() {
        return Err(ApiError::field(
            "posisi",
            "foto wajah tidak boleh dikecualikan",
        ));
    }
    let keterangan = input.keterangan.trim().to_owned();
    let alasan =
        AlasanPengecualian::dari_nama(input.alasan.trim(), &keterangan).ok_or_else(|| {
            ApiError::field(
                "alasan",
                "alasan: amputasi, cacat_luka, diperban, buta_mata_palsu atau lainnya",
            )
        })?;
    alasan
        .periksa()
        .map_err(|e| ApiError::field("keterangan", e))?;
    // The note of another reason is not kept, but is still bounded as input.
    if keterangan.chars().count() > MAX_TEKS {
        return Err(ApiError::field("keterangan", "keterangan terlalu panjang"));
    }
    let foto = base64::engine::general_purpose::STANDARD
        .decode(input.foto.trim().as_bytes())
        .map_err(|_| ApiError::field("foto", "foto pengecualian wajib (JPEG, base64)"))?;
    crate::device::client::check_content(Modality::Face, &foto)
        .map_err(|_| ApiError::field("foto", "foto pengecualian harus JPEG"))?;
    let sha = hex::encode(Sha256::digest(&foto));
    let modality = match m {
        Modalitas::Jari(_) => Modality::Finger,
        Modalitas::Iris(_) => Modality::Iris,
        _ => Modality::Signature,
    };
    let posisi = m.nama();
    let op = ctx.op.clone();
    let idem = ctx.idem;
    let id = id.to_owned();
    let state = ctx.state.clone();
    let clock = state.clock.clone();
    let today = state.today();
    let ket_disimpan = alasan.keterangan().to_owned();
    state
        .db
        .write(move |tx| {
            if let Some(h) = idem_lookup(tx, idem.as_deref(), &op.username)? {
                return Ok(h);
            }
            let now = clock.now();
            let now_s = now.to_rfc3339();
            let row = sedang_direkam(tx, &id, "pengecualian hanya saat penduduk sedang direkam (dipanggil)")?;
            tx.execute(
                "DELETE FROM biometrik WHERE permohonan_id = ?1 AND position = ?2
                 AND modality IN (?3, 'pengecualian')",
                params![id, posisi, modality.as_str()],
            )?;
            tx.execute(
                "INSERT INTO biometrik(permohonan_id, modality, position, format, quality,
                    sha256, data, captured_at) VALUES (?1, 'pengecualian', ?2, 'jpeg', 0, ?3, ?4, ?5)",
                params![id, posisi, sha, foto, now_s],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO pengecualian(permohonan_id, position, alasan, keterangan,
                    foto_sha256, operator, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, posisi, alasan.nama(), ket_disimpan, sha, op.username, now_s],
            )?;
            crate::audit::record(
                tx,
                &op.username,
                "perekaman.pengecualian",
                Some(&id),
                &format!("{posisi}: {}", alasan.nama()),
            )?;
            let captures = store::captures(tx, &id)?;
            selesai(tx, &row, captures, idem.as_deref(), &op.username, now, today, &now_s)
        })
        .await
}

/// The exceptions of an application as the document records them.
pub fn pengecualian_of(conn: &Connection, id: &str) -> Result<DaftarPengecualian, ApiError> {
    let mut st = conn.prepare(
        "SELECT p.position, p.alasan, p.keterangan, p.foto_sha256, p.operator, p.at,
            (SELECT length(b.data) FROM biometrik b WHERE b.permohonan_id = p.permohonan_id
             AND b.modality = 'pengecualian' AND b.position = p.position)
         FROM pengecualian p WHERE p.permohonan_id = ?1",
    )?;
    let rows = st.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<i64>>(6)?,
        ))
    })?;
    let mut out = DaftarPengecualian::new();
    for r in rows {
        let (posisi, alasan, ket, sha256, operator, at, size) = r?;
        let (Some(m), Some(alasan)) = (
            Modalitas::dari_nama(&posisi),
            AlasanPengecualian::dari_nama(&alasan, &ket),
        ) else {
            continue;
        };
        let waktu = chrono::DateTime::parse_from_rfc3339(&at)
            .map_err(ApiError::internal)?
            .with_timezone(&chrono::Utc);
        out.insert(
            m,
            Pengecualian {
                alasan,
                foto: BlobRef {
                    sha256,
                    size: size.unwrap_or(0) as u64,
                    media_type: "image/jpeg".into(),
                },
                operator,
                waktu,
            },
        );
    }
    Ok(out)
}

/// Loads the stored samples of an application as the document's biometric section and as a
/// 1:N probe.
pub fn biometrik_of(conn: &Connection, id: &str) -> Result<(Biometrik, Probe), ApiError> {
    let mut st = conn.prepare(
        "SELECT modality, position, format, sha256, data FROM biometrik
         WHERE permohonan_id = ?1 AND diterima = 1 AND modality <> 'pengecualian'",
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

/// End of step 3, success: the event carries what was captured or excepted, and the state
/// machine refuses it unless that is complete; the proof of recording is issued and the
/// person joins the local "already recorded?" gallery.
pub async fn berhasil(ctx: Ctx<'_>, id: &str, late: TerlambatInput) -> Result<Hasil, ApiError> {
    let late = late.parse()?;
    let state = ctx.state.clone();
    let today = state.today();
    let kecamatan = state.config.kecamatan.clone();
    let id_owned = id.to_owned();
    let pick = move |_: &Transaction<'_>| Ok(id_owned);
    let hasil = super::act_peristiwa(ctx, pick, "perekaman.berhasil", move |tx, row, _now| {
        let captures = store::captures(tx, row.permohonan.id())?;
        let kelengkapan = kelengkapan_of(&captures);
        let nomor = nomor_bukti(tx, &kecamatan, today)?;
        let n2 = nomor.clone();
        let extra: super::Extra = Box::new(move |tx, row| {
            tx.execute(
                "UPDATE permohonan SET nomor_bukti = ?2 WHERE id = ?1",
                params![row.permohonan.id(), n2],
            )?;
            row.nomor_bukti = Some(n2);
            let (bio, _) = biometrik_of(tx, row.permohonan.id())?;
            let pengecualian = pengecualian_of(tx, row.permohonan.id())?;
            store::sync_doc_rekaman(tx, &row.permohonan, Some((&bio, Some(&pengecualian))))?;
            Ok(())
        });
        Ok((
            Aksi::PerekamanBerhasil { nomor_bukti: nomor },
            late,
            Some(kelengkapan),
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

/// The application `id`, if its resident is at the recording desk now (the state machine's
/// [`rekam_shared::workflow::Status::sedang_direkam`]); otherwise 409 naming `status` with `pesan`.
fn sedang_direkam(tx: &Transaction<'_>, id: &str, pesan: &str) -> Result<store::Row, ApiError> {
    let row = store::load_required(tx, id)?;
    if !row.permohonan.status().sedang_direkam() {
        return Err(ApiError::conflict(Some("status"), pesan));
    }
    Ok(row)
}
