//! The registration desk (Operator Registrasi), SOP steps 1-2: open an application when the
//! resident hands over the documents, receive and check them (checklist + automatic eligibility
//! check), the biometric "already recorded?" check, then a queue number or the documents back.

use rekam_shared::eligibility::{self, AlasanLayak, Kelayakan};
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::{
    Aksi, AlasanPenolakan, JenisAksi, NomorAntrian, Peristiwa, Permohonan,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::input::{AlasanInput, BERKAS, PendudukInput};
use super::{Ctx, Hasil, act, boleh, idem_lookup, selesai, store, workflow_error};
use crate::cek::{Cocok, HasilCek, Kepastian, Probe, Sumber};
use crate::device::client::DeviceError;
use crate::device::protocol::Modality;
use crate::web::error::ApiError;

/// Body of "new application".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BuatInput {
    pub penduduk: PendudukInput,
}

/// Body of "documents received" / "check documents".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BerkasInput {
    /// Ticked checklist items (see [`BERKAS`]).
    pub berkas: Vec<String>,
    #[serde(flatten)]
    pub terlambat: TerlambatInput,
}

/// An optional late reason sent with any action.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TerlambatInput {
    pub alasan_terlambat: String,
    pub keterangan_terlambat: String,
}

impl TerlambatInput {
    /// The late reason, if one was chosen.
    pub fn parse(&self) -> Result<Option<rekam_shared::workflow::AlasanTerlambat>, ApiError> {
        AlasanInput {
            alasan: self.alasan_terlambat.clone(),
            keterangan: self.keterangan_terlambat.clone(),
        }
        .terlambat("alasan_terlambat")
    }
}

/// Body of "return the documents".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TolakInput {
    pub alasan: String,
    pub keterangan: String,
    #[serde(flatten)]
    pub terlambat: TerlambatInput,
}

fn check_berkas(items: &[String]) -> Result<(), ApiError> {
    for i in items {
        if !BERKAS.iter().any(|(k, _)| k == i) {
            return Err(ApiError::field(
                "berkas",
                format!("berkas tidak dikenal: {i}"),
            ));
        }
    }
    Ok(())
}

const SELESAI: &str = "('berkas_dikembalikan', 'sudah_rekam', 'diserahkan')";

/// Step 1 starts: the resident came in person with the documents. Opens the application.
pub async fn buat(ctx: Ctx<'_>, input: BuatInput) -> Result<Hasil, ApiError> {
    boleh(ctx.op, JenisAksi::PermohonanDibuat)?;
    let state = ctx.state.clone();
    let today = state.today();
    let penduduk = input.penduduk.parse(today)?;
    let kecamatan: KodeKecamatan = state
        .config
        .kecamatan
        .parse()
        .map_err(|_| ApiError::internal("kecamatan kantor tidak sah"))?;
    let op = ctx.op.clone();
    let idem = ctx.idem;
    let clock = state.clock.clone();
    state
        .db
        .write(move |tx| {
            if let Some(h) = idem_lookup(tx, idem.as_deref(), &op.username)? {
                return Ok(h);
            }
            let nik = penduduk.nik.to_string();
            let open: Option<String> = tx
                .query_row(
                    &format!(
                        "SELECT id FROM permohonan WHERE nik = ?1 AND status NOT IN {SELESAI}"
                    ),
                    [&nik],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(open) = open {
                return Err(ApiError::conflict(
                    Some("nik"),
                    format!("NIK {nik} masih punya permohonan yang belum selesai ({open})"),
                ));
            }
            let now = clock.now();
            let now_s = now.to_rfc3339();
            let id = super::new_id(&kecamatan);
            let mut p = Permohonan::new(id.clone(), kecamatan, penduduk);
            p.apply(Peristiwa::new(
                now,
                op.username.clone(),
                op.peran,
                Aksi::PermohonanDibuat,
            ))
            .map_err(workflow_error)?;
            store::insert(tx, &p, &today.to_string(), &now_s)?;
            crate::audit::record(tx, &op.username, "registrasi.buat", Some(&id), &nik)?;
            // Data typed over the register's (the form is filled from it): which field, the
            // register's value and the saved one, in the same transaction.
            let terdaftar = crate::sync::register::cari(tx, &nik).map_err(ApiError::internal)?;
            if let Some(e) = terdaftar {
                let dulu = PendudukInput::from_penduduk(&e.data.penduduk);
                let beda = PendudukInput::from_penduduk(p.penduduk()).beda(&dulu);
                if !beda.is_empty() {
                    let teks: Vec<String> = beda
                        .iter()
                        .map(|(k, a, b)| format!("{k}: {a:?} -> {b:?}"))
                        .collect();
                    crate::audit::record(
                        tx,
                        &op.username,
                        "registrasi.ubah_data_register",
                        Some(&id),
                        &teks.join("; "),
                    )?;
                }
            }
            let row = store::load_required(tx, &id)?;
            selesai(
                tx,
                &row,
                Vec::new(),
                idem.as_deref(),
                &op.username,
                now,
                today,
                &now_s,
            )
        })
        .await
}

/// End of step 1: the registration operator has received the documents (checklist saved).
pub async fn terima_berkas(ctx: Ctx<'_>, id: &str, input: BerkasInput) -> Result<Hasil, ApiError> {
    check_berkas(&input.berkas)?;
    let late = input.terlambat.parse()?;
    let berkas = input.berkas;
    act(
        ctx,
        id,
        "registrasi.terima_berkas",
        move |_tx, _row, _now| {
            let extra: super::Extra = Box::new(move |tx, row| {
                save_berkas(tx, row.permohonan.id(), &berkas)?;
                row.berkas = berkas;
                Ok(())
            });
            Ok((Aksi::BerkasDiterima, late, Some(extra)))
        },
    )
    .await
}

fn save_berkas(tx: &Transaction<'_>, id: &str, berkas: &[String]) -> Result<(), ApiError> {
    tx.execute(
        "UPDATE permohonan SET berkas = ?2 WHERE id = ?1",
        params![
            id,
            serde_json::to_string(berkas).map_err(ApiError::internal)?
        ],
    )?;
    Ok(())
}

/// The documents check: the checklist plus the eligibility rule decide between "documents
/// correct" and "documents returned" with the reason.
pub fn keputusan_berkas(berkas: &[String], kelayakan: &Kelayakan) -> Result<(), AlasanPenolakan> {
    let has = |k: &str| berkas.iter().any(|b| b == k);
    if !has("hadir_sendiri") {
        return Err(AlasanPenolakan::TidakHadirSendiri);
    }
    if !has("kk") {
        return Err(AlasanPenolakan::BerkasTidakLengkap);
    }
    match kelayakan {
        Kelayakan::BelumLayak { .. } => Err(AlasanPenolakan::BelumMemenuhiSyarat),
        Kelayakan::Layak {
            alasan: AlasanLayak::PernahKawin,
            ..
        } if !has("buku_nikah") => Err(AlasanPenolakan::BerkasTidakLengkap),
        Kelayakan::Layak { .. } => Ok(()),
    }
}

/// Step 2, first part: checks the documents (checklist + eligibility). Correct: the biometric
/// check is next. Not correct / not eligible: the documents go back with the reason.
pub async fn periksa_berkas(ctx: Ctx<'_>, id: &str, input: BerkasInput) -> Result<Hasil, ApiError> {
    check_berkas(&input.berkas)?;
    let late = input.terlambat.parse()?;
    let berkas = input.berkas;
    let today = ctx.state.today();
    act(
        ctx,
        id,
        "registrasi.periksa_berkas",
        move |_tx, row, _now| {
            let kelayakan = eligibility::periksa_penduduk(row.permohonan.penduduk(), today)
                .map_err(|e| ApiError::field("tanggal_lahir", e.to_string()))?;
            let aksi = match keputusan_berkas(&berkas, &kelayakan) {
                Ok(()) => Aksi::BerkasBenar,
                Err(alasan) => Aksi::BerkasDitolak { alasan },
            };
            let extra: super::Extra = Box::new(move |tx, row| {
                save_berkas(tx, row.permohonan.id(), &berkas)?;
                row.berkas = berkas;
                Ok(())
            });
            Ok((aksi, late, Some(extra)))
        },
    )
    .await
}

/// Returns the documents to the resident with a reason chosen by the operator.
pub async fn tolak(ctx: Ctx<'_>, id: &str, input: TolakInput) -> Result<Hasil, ApiError> {
    let alasan = AlasanInput {
        alasan: input.alasan,
        keterangan: input.keterangan,
    }
    .penolakan("alasan")?;
    let late = input.terlambat.parse()?;
    act(ctx, id, "registrasi.tolak", move |_tx, _row, _now| {
        Ok((Aksi::BerkasDitolak { alasan }, late, None))
    })
    .await
}

/// Maps a device failure to the desk's answer (503/504/502 with the Indonesian message).
pub fn device_error(e: DeviceError) -> ApiError {
    use axum::http::StatusCode;
    let status = match e {
        DeviceError::NotConfigured | DeviceError::Absent(_) => StatusCode::SERVICE_UNAVAILABLE,
        DeviceError::Slow(_) => StatusCode::GATEWAY_TIMEOUT,
        DeviceError::Garbage(_) | DeviceError::Refused { .. } => StatusCode::BAD_GATEWAY,
    };
    ApiError {
        status,
        error: e.pesan(),
        field: Some("perangkat".into()),
    }
}

/// Captures the fingers and irises of the resident at a desk.
pub async fn capture_probe(
    state: &crate::web::AppState,
    txid: &str,
) -> Result<(Probe, Vec<crate::device::client::ValidCapture>), ApiError> {
    let mut all = state
        .devices
        .capture(Modality::Finger, txid)
        .await
        .map_err(device_error)?;
    let iris = state
        .devices
        .capture(Modality::Iris, txid)
        .await
        .map_err(device_error)?;
    all.extend(iris);
    let mut probe = Probe::default();
    for c in &all {
        match c.modality {
            Modality::Finger => probe.jari.push((c.position.clone(), c.data.clone())),
            Modality::Iris => probe.iris.push((c.position.clone(), c.data.clone())),
            _ => {}
        }
    }
    Ok((probe, all))
}

fn next_antrian(tx: &Transaction<'_>, tanggal: &str) -> Result<NomorAntrian, ApiError> {
    let n: u32 = tx.query_row(
        "INSERT INTO antrian_harian(tanggal, terakhir) VALUES (?1, 1)
         ON CONFLICT(tanggal) DO UPDATE SET terakhir = terakhir + 1 RETURNING terakhir",
        [tanggal],
        |r| r.get(0),
    )?;
    Ok(NomorAntrian(n))
}

fn set_antrian(
    tx: &Transaction<'_>,
    row: &mut store::Row,
    n: NomorAntrian,
    tanggal: &str,
) -> Result<(), ApiError> {
    tx.execute(
        "UPDATE permohonan SET nomor_antrian = ?2, tanggal_antrian = ?3 WHERE id = ?1",
        params![row.permohonan.id(), n.0, tanggal],
    )?;
    row.nomor_antrian = Some(n.0);
    row.tanggal_antrian = Some(tanggal.to_owned());
    Ok(())
}

/// Step 2, second part: the biometric "already recorded?" check. Not recorded: a queue number
/// is issued. Already recorded: the application ends with what was found.
pub async fn cek_biometrik(
    ctx: Ctx<'_>,
    id: &str,
    late: TerlambatInput,
) -> Result<Hasil, ApiError> {
    boleh(ctx.op, JenisAksi::NomorAntrianDiberikan)?;
    let late = late.parse()?;
    let state = ctx.state.clone();
    // Refuse before touching the devices if the application is not at this point.
    let current = super::view(&state, id).await?;
    if current.status != "pengecekan_biometrik" {
        if let Some(key) = &ctx.idem {
            // A replayed submit answers with the first result.
            let k = key.clone();
            let u = ctx.op.username.clone();
            if let Some(h) = state
                .db
                .write(move |tx| idem_lookup(tx, Some(&k), &u))
                .await?
            {
                return Ok(h);
            }
        }
        return Err(ApiError::conflict(
            Some("status"),
            format!(
                "pengecekan biometrik tidak boleh pada status '{}'",
                current.status
            ),
        ));
    }
    let (probe, _) = capture_probe(&state, id).await?;
    let cek = state.cek.clone();
    let mut hasil: HasilCek = tokio::task::spawn_blocking(move || cek.cek(&probe))
        .await
        .map_err(ApiError::internal)?;
    let nik = current.penduduk.nik.to_string();
    let this_id = id.to_owned();
    let recorded: Vec<(String, String)> = state
        .db
        .read(move |c| {
            let mut st = c.prepare(
                "SELECT id, nik FROM permohonan WHERE nik = ?1 AND id != ?2
                 AND status IN ('terekam', 'diserahkan')",
            )?;
            let rows = st
                .query_map(params![nik, this_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, String)>, _>>()?;
            Ok::<_, ApiError>(rows)
        })
        .await?;
    for (pid, nik) in recorded {
        if !hasil.cocok.iter().any(|c| c.permohonan_id == pid) {
            hasil.cocok.push(Cocok {
                sumber: Sumber::Lokal,
                kepastian: Kepastian::Cocok,
                permohonan_id: pid,
                nik,
                skor: 1.0,
                asal: None,
            });
        }
    }
    hasil.sudah_rekam = hasil.cocok.iter().any(|c| c.kepastian == Kepastian::Cocok);
    let today = state.today().to_string();
    act(
        ctx,
        id,
        "registrasi.cek_biometrik",
        move |tx, _row, _now| {
            let cek_json = serde_json::to_string(&hasil).map_err(ApiError::internal)?;
            let (aksi, antrian) = if hasil.sudah_rekam {
                (
                    Aksi::SudahPernahRekam {
                        keterangan: keterangan_sudah_rekam(&hasil),
                    },
                    None,
                )
            } else {
                // Drawn inside the transaction: if the event is refused, the number is not used.
                let n = next_antrian(tx, &today)?;
                (Aksi::NomorAntrianDiberikan { nomor_antrian: n }, Some(n))
            };
            let extra: super::Extra = Box::new(move |tx, row| {
                tx.execute(
                    "UPDATE permohonan SET cek_biometrik = ?2 WHERE id = ?1",
                    params![row.permohonan.id(), cek_json],
                )?;
                row.cek_biometrik = serde_json::from_str(&cek_json).ok();
                if let Some(n) = antrian {
                    set_antrian(tx, row, n, &today)?;
                }
                Ok(())
            });
            Ok((aksi, late, Some(extra)))
        },
    )
    .await
}

/// The register-book text of an "already recorded" answer. A person found in the district
/// index is told where and when: "Sudah direkam di Kecamatan X pada TANGGAL" (the SOP's
/// "sudah rekam" branch: the documents go back with this reason).
pub fn keterangan_sudah_rekam(hasil: &HasilCek) -> String {
    let found: Vec<String> = hasil
        .cocok
        .iter()
        .filter(|c| c.kepastian == Kepastian::Cocok)
        .map(|c| match (&c.sumber, &c.asal) {
            (Sumber::Distrik, Some(a)) => format!(
                "Sudah direkam di Kecamatan {} pada {} (permohonan {}, NIK {}, keputusan kabupaten: {})",
                a.nama_kecamatan.as_deref().unwrap_or(&a.kecamatan),
                tanggal_indonesia(&a.tanggal),
                c.permohonan_id,
                c.nik,
                a.keputusan
                    .as_deref()
                    .map_or("belum ada", |k| k)
                    .replace('_', " ")
            ),
            _ => format!(
                "Sudah pernah direkam: NIK {} ({}, skor {:.2})",
                c.nik,
                match c.sumber {
                    Sumber::Lokal => "kantor ini",
                    Sumber::Distrik => "kabupaten",
                },
                c.skor
            ),
        })
        .collect();
    format!("{}. Dicari: {}.", found.join("; "), hasil.cakupan)
}

/// A `YYYY-MM-DD` date the Indonesian way ("30 November 2026"); other text unchanged.
pub fn tanggal_indonesia(iso: &str) -> String {
    const BULAN: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => {
            use chrono::Datelike as _;
            format!("{} {} {}", d.day(), BULAN[d.month0() as usize], d.year())
        }
        Err(_) => iso.to_owned(),
    }
}

/// After a failed recording (documents back at registration): a new queue number.
pub async fn antrian_ulang(
    ctx: Ctx<'_>,
    id: &str,
    late: TerlambatInput,
) -> Result<Hasil, ApiError> {
    let late = late.parse()?;
    let today = ctx.state.today().to_string();
    act(ctx, id, "registrasi.antrian_ulang", move |tx, row, _now| {
        if !matches!(
            row.permohonan.status(),
            rekam_shared::workflow::Status::DikembalikanKeRegistrasi { .. }
        ) {
            return Err(ApiError::conflict(
                Some("status"),
                format!(
                    "antrian ulang hanya setelah perekaman gagal, bukan pada status '{}'",
                    row.permohonan.status().nama()
                ),
            ));
        }
        let n = next_antrian(tx, &today)?;
        let extra: super::Extra = Box::new(move |tx, row| set_antrian(tx, row, n, &today));
        Ok((
            Aksi::NomorAntrianDiberikan { nomor_antrian: n },
            late,
            Some(extra),
        ))
    })
    .await
}
