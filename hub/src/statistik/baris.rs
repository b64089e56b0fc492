//! The rows of the statistics read model derived from ONE application document: a pure
//! function ([`turunkan`]) from the document to a [`BarisStatistik`], called in the transaction
//! that stores the document (see [`super::perbarui`]) and by `rekam-hub reindex`.
//!
//! The status is the SOP state the events replay to through the one state machine
//! ([`PermohonanDoc::keadaan`]); the step runs are [`riwayat_langkah`] of the same events, so
//! step boundaries, durations and lateness are the state machine's, not re-implemented here.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;

use rekam_shared::document::PermohonanDoc;
use rekam_shared::workflow::{Aksi, Peristiwa, Perolehan, Status, riwayat_langkah};

/// The office's clock zone for calendar days: WIB (UTC+7), Sumatera Barat.
pub fn zona() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The status stored for a document whose events cannot be read or replayed.
pub const STATUS_TIDAK_TERBACA: &str = "tidak_terbaca";

/// The return reason stored for an application closed as "already recorded".
pub const KEMBALI_SUDAH_REKAM: &str = "sudah_rekam";

/// One application, summarised (table `stat_permohonan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BarisPermohonan {
    /// Permohonan id.
    pub permohonan_id: String,
    /// Kecamatan that owns it (the office that recorded it).
    pub kecamatan: String,
    /// Nagari (kelurahan/desa) of the resident as the office recorded it, if given.
    pub nagari: Option<String>,
    /// Current SOP status ([`Status::nama`]), or [`STATUS_TIDAK_TERBACA`].
    pub status: String,
    /// When the application was opened (RFC 3339, UTC).
    pub dibuka: Option<String>,
    /// Local (WIB) calendar day of opening, `YYYY-MM-DD`.
    pub tanggal_buka: Option<String>,
    /// When the recording succeeded (the last "perekaman berhasil"), RFC 3339.
    pub direkam: Option<String>,
    /// Local calendar day of the recording.
    pub tanggal_rekam: Option<String>,
    /// Why the documents were returned, for a returned application: the
    /// [`rekam_shared::workflow::AlasanPenolakan`] kind (`berkas_tidak_lengkap`,
    /// `belum_memenuhi_syarat`, ...) or [`KEMBALI_SUDAH_REKAM`].
    pub alasan_kembali: Option<String>,
    /// Failed recordings (number of "perekaman gagal" events).
    pub gagal: u32,
    /// Why the last recording failed ([`rekam_shared::workflow::AlasanGagal`] kind).
    pub alasan_gagal: Option<String>,
    /// Lowest capture quality (1-100) of the recorded modalities.
    pub kualitas_min: Option<u8>,
    /// Mean capture quality, rounded down.
    pub kualitas_rata: Option<u8>,
    /// Modalities kept below the configured minimum quality.
    pub kualitas_rendah: u32,
    /// Modalities excepted (pengecualian).
    pub pengecualian: u32,
    /// Dedup outcome ([`rekam_shared::document::HasilDedup::as_str`]); `None`: not decided yet.
    pub dedup: Option<String>,
    /// Kind of dedup finding ([`rekam_shared::document::JenisTemuan::as_str`]).
    pub dedup_jenis: Option<String>,
    /// The resident's NIK as the application carries it (checked; `None` if absent or
    /// malformed): who is recorded, for the belum-rekam lists (`crate::penduduk::belum_rekam`).
    pub nik: Option<String>,
}

/// The name an application is for, for the resident search by name (table `stat_penduduk`;
/// the NIK is [`BarisPermohonan::nik`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BarisPenduduk {
    /// Permohonan id.
    pub permohonan_id: String,
    /// Full name as recorded.
    pub nama: String,
    /// [`kunci_nama`] of the name.
    pub nama_kunci: String,
}

/// A name's search key: lower case, every run of characters other than letters and digits one
/// space, trimmed ("  SITI  Rahmawati," and "siti rahmawati" give the same key).
pub fn kunci_nama(nama: &str) -> String {
    nama.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One run of one SOP step (table `stat_langkah`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BarisLangkah {
    /// Permohonan id.
    pub permohonan_id: String,
    /// Position of the run in the application's history (0, 1, ...).
    pub urutan: u32,
    /// Step number (1..=4).
    pub langkah: u8,
    /// Kecamatan.
    pub kecamatan: String,
    /// Operator whose event ended the run (`None`: still running).
    pub operator: Option<String>,
    /// Start (RFC 3339).
    pub mulai: String,
    /// End (RFC 3339), if ended.
    pub selesai: Option<String>,
    /// Local calendar day of the start.
    pub tanggal: String,
    /// Duration in whole seconds, if ended.
    pub detik: Option<i64>,
    /// Whether it exceeded the step's time standard.
    pub terlambat: bool,
    /// The late reason given ([`rekam_shared::workflow::AlasanTerlambat`] kind).
    pub alasan_terlambat: Option<String>,
}

/// Everything the read model holds about one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BarisStatistik {
    /// The application row.
    pub permohonan: BarisPermohonan,
    /// Its step runs, in order.
    pub langkah: Vec<BarisLangkah>,
    /// The name it is for (`None`: the document holds no readable name).
    pub penduduk: Option<BarisPenduduk>,
}

fn waktu(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn tanggal(t: DateTime<Utc>) -> String {
    t.with_timezone(&zona()).format("%Y-%m-%d").to_string()
}

/// The `type` tag a reason enum serializes with (`berkas_tidak_lengkap`, `lainnya`, ...): the
/// names the JSON of the events already uses.
fn jenis<T: Serialize>(alasan: &T) -> Option<String> {
    serde_json::to_value(alasan)
        .ok()?
        .get("type")?
        .as_str()
        .map(str::to_owned)
}

/// Derives the read-model rows of application `id` of `kecamatan` from its document.
pub fn turunkan(id: &str, kecamatan: &str, doc: &PermohonanDoc) -> BarisStatistik {
    let keputusan = doc.keputusan().ok().flatten();
    let data_penduduk = doc.penduduk_as::<serde_json::Value>().ok().flatten();
    let teks = |k: &str| {
        data_penduduk
            .as_ref()
            .and_then(|p| p.get(k)?.as_str().map(str::to_owned))
            .filter(|n| !n.trim().is_empty())
    };
    let nagari = teks("nagari");
    let penduduk = teks("nama").map(|nama| BarisPenduduk {
        permohonan_id: id.to_owned(),
        nama_kunci: kunci_nama(&nama),
        nama,
    });
    let mut p = BarisPermohonan {
        permohonan_id: id.to_owned(),
        kecamatan: kecamatan.to_owned(),
        nagari,
        status: STATUS_TIDAK_TERBACA.to_owned(),
        dibuka: None,
        tanggal_buka: None,
        direkam: None,
        tanggal_rekam: None,
        alasan_kembali: None,
        gagal: 0,
        alasan_gagal: None,
        kualitas_min: None,
        kualitas_rata: None,
        kualitas_rendah: 0,
        pengecualian: 0,
        dedup: keputusan.as_ref().map(|k| k.hasil.as_str().to_owned()),
        dedup_jenis: keputusan
            .as_ref()
            .and_then(|k| k.jenis.map(|j| j.as_str().to_owned())),
        nik: crate::sync::nik_of(doc),
    };
    let (Ok(keadaan), Ok(events)) = (doc.keadaan(), doc.peristiwa_as::<Peristiwa>()) else {
        return BarisStatistik {
            permohonan: p,
            langkah: Vec::new(),
            penduduk,
        };
    };
    p.status = keadaan.status.nama().to_owned();
    p.alasan_kembali = match &keadaan.status {
        Status::BerkasDikembalikan { alasan } => jenis(alasan),
        Status::SudahRekam { .. } => Some(KEMBALI_SUDAH_REKAM.to_owned()),
        _ => None,
    };
    if let Some(first) = events.first() {
        p.dibuka = Some(waktu(first.waktu));
        p.tanggal_buka = Some(tanggal(first.waktu));
    }
    let mut kelengkapan = None;
    for e in &events {
        match &e.aksi {
            Aksi::PerekamanGagal { alasan } => {
                p.gagal += 1;
                p.alasan_gagal = jenis(alasan);
            }
            Aksi::PerekamanBerhasil { .. } => {
                p.direkam = Some(waktu(e.waktu));
                p.tanggal_rekam = Some(tanggal(e.waktu));
                kelengkapan = e.kelengkapan.as_ref();
            }
            _ => {}
        }
    }
    match kelengkapan {
        Some(k) => {
            let mut mutu = Vec::new();
            for perolehan in k.0.values() {
                match perolehan {
                    Perolehan::Terekam {
                        kualitas,
                        kualitas_rendah,
                    } => {
                        mutu.push(u32::from(*kualitas));
                        p.kualitas_rendah += u32::from(*kualitas_rendah);
                    }
                    Perolehan::Dikecualikan { .. } => p.pengecualian += 1,
                }
            }
            p.kualitas_min = mutu.iter().min().map(|&m| m as u8);
            p.kualitas_rata =
                (!mutu.is_empty()).then(|| (mutu.iter().sum::<u32>() / mutu.len() as u32) as u8);
        }
        // Recorded before events carried what was captured: the exceptions section of the
        // document is all there is.
        None => p.pengecualian = doc.pengecualian().map_or(0, |d| d.len() as u32),
    }
    let langkah = riwayat_langkah(&events)
        .into_iter()
        .enumerate()
        .map(|(urutan, r)| BarisLangkah {
            permohonan_id: id.to_owned(),
            urutan: urutan as u32,
            langkah: r.langkah.nomor(),
            kecamatan: kecamatan.to_owned(),
            operator: r.operator_selesai,
            mulai: waktu(r.mulai),
            selesai: r.selesai.map(waktu),
            tanggal: tanggal(r.mulai),
            detik: r.detik,
            terlambat: r.terlambat,
            alasan_terlambat: r.alasan_terlambat.as_ref().and_then(jenis),
        })
        .collect();
    BarisStatistik {
        permohonan: p,
        langkah,
        penduduk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use rekam_shared::document::{HasilDedup, JenisTemuan, Keputusan};
    use rekam_shared::workflow::{
        AlasanGagal, AlasanPengecualian, AlasanPenolakan, AlasanTerlambat, Kelengkapan, Modalitas,
        NomorAntrian, Peran,
    };
    use serde_json::json;

    const REG: Peran = Peran::OperatorRegistrasi;
    const REK: Peran = Peran::OperatorPerekaman;

    fn t(menit: i64) -> DateTime<Utc> {
        // 23:58 WIB on 24 November: step 1 starts one day and ends the next, locally.
        Utc.with_ymd_and_hms(2026, 11, 24, 16, 58, 0).unwrap() + TimeDelta::minutes(menit)
    }

    fn doc(events: &[Peristiwa]) -> PermohonanDoc {
        let mut d = PermohonanDoc::new("130101-a", "130101").unwrap();
        d.set_penduduk(&json!({"nik": "1301075208050003", "nagari": "Painan Utara"}))
            .unwrap();
        d.append_peristiwa(events).unwrap();
        d
    }

    #[test]
    fn a_recorded_application_with_a_failure_a_late_step_and_an_exception() {
        let mut k = Kelengkapan::semua_terekam(80);
        k.terekam(Modalitas::Wajah, 40, true);
        k.dikecualikan(
            Modalitas::dari_nama("left-iris").unwrap(),
            AlasanPengecualian::ButaMataPalsu,
        );
        let events = vec![
            Peristiwa::new(t(0), "rina", REG, Aksi::PermohonanDibuat),
            Peristiwa::new(t(7), "rina", REG, Aksi::BerkasDiterima)
                .terlambat(AlasanTerlambat::AntrianPanjang),
            Peristiwa::new(t(8), "rina", REG, Aksi::BerkasBenar),
            Peristiwa::new(
                t(9),
                "rina",
                REG,
                Aksi::NomorAntrianDiberikan {
                    nomor_antrian: NomorAntrian(1),
                },
            ),
            Peristiwa::new(
                t(12),
                "budi",
                REK,
                Aksi::PerekamanGagal {
                    alasan: AlasanGagal::GangguanTeknis,
                },
            ),
            Peristiwa::new(
                t(13),
                "rina",
                REG,
                Aksi::NomorAntrianDiberikan {
                    nomor_antrian: NomorAntrian(2),
                },
            ),
            Peristiwa::new(t(14), "budi", REK, Aksi::Dipanggil),
            Peristiwa::new(
                t(20),
                "budi",
                REK,
                Aksi::PerekamanBerhasil {
                    nomor_bukti: "B-1".into(),
                },
            )
            .dengan_kelengkapan(k),
        ];
        let mut d = doc(&events);
        d.set_keputusan(&Keputusan {
            hasil: HasilDedup::Duplikat,
            oleh: "sistem".into(),
            waktu: t(30),
            catatan: String::new(),
            duplikat_dari: vec!["130102-x".into()],
            jenis: Some(JenisTemuan::PerekamanUlang),
            dasar: None,
        })
        .unwrap();
        let b = turunkan("130101-a", "130101", &d);
        let p = &b.permohonan;
        assert_eq!(p.status, "terekam");
        assert_eq!(p.nagari.as_deref(), Some("Painan Utara"));
        assert_eq!(p.dibuka.as_deref(), Some("2026-11-24T16:58:00Z"));
        assert_eq!(p.tanggal_buka.as_deref(), Some("2026-11-24"));
        assert_eq!(p.tanggal_rekam.as_deref(), Some("2026-11-25"));
        assert_eq!(
            (p.gagal, p.alasan_gagal.as_deref()),
            (1, Some("gangguan_teknis"))
        );
        assert_eq!((p.kualitas_min, p.kualitas_rendah), (Some(40), 1));
        assert_eq!(p.pengecualian, 1);
        assert_eq!(p.alasan_kembali, None);
        assert_eq!(p.dedup.as_deref(), Some("duplikat"));
        assert_eq!(p.dedup_jenis.as_deref(), Some("perekaman_ulang"));
        let runs: Vec<(u8, Option<i64>, bool)> = b
            .langkah
            .iter()
            .map(|l| (l.langkah, l.detik, l.terlambat))
            .collect();
        assert_eq!(
            runs,
            [
                (1, Some(420), true),
                (2, Some(120), false),
                (3, Some(180), false),
                (2, Some(60), false),
                (3, Some(420), false),
                (4, None, false),
            ]
        );
        assert_eq!(
            b.langkah[0].alasan_terlambat.as_deref(),
            Some("antrian_panjang")
        );
        assert_eq!(b.langkah[0].operator.as_deref(), Some("rina"));
        assert_eq!(b.langkah[2].operator.as_deref(), Some("budi"));
        assert_eq!(b.langkah[5].operator, None);
        // 16:58 UTC is 23:58 WIB on the 24th; step 2 starts at 00:05 WIB on the 25th.
        assert_eq!(b.langkah[0].tanggal, "2026-11-24");
        assert_eq!(b.langkah[1].tanggal, "2026-11-25");
    }

    #[test]
    fn returned_applications_name_their_reason() {
        let ditolak = doc(&[
            Peristiwa::new(t(0), "rina", REG, Aksi::PermohonanDibuat),
            Peristiwa::new(
                t(2),
                "rina",
                REG,
                Aksi::BerkasDitolak {
                    alasan: AlasanPenolakan::BelumMemenuhiSyarat,
                },
            ),
        ]);
        let b = turunkan("130101-a", "130101", &ditolak);
        assert_eq!(b.permohonan.status, "berkas_dikembalikan");
        assert_eq!(
            b.permohonan.alasan_kembali.as_deref(),
            Some("belum_memenuhi_syarat")
        );
        let sudah = doc(&[
            Peristiwa::new(t(0), "rina", REG, Aksi::PermohonanDibuat),
            Peristiwa::new(t(1), "rina", REG, Aksi::BerkasDiterima),
            Peristiwa::new(t(2), "rina", REG, Aksi::BerkasBenar),
            Peristiwa::new(
                t(3),
                "rina",
                REG,
                Aksi::SudahPernahRekam {
                    keterangan: "terekam di 130102".into(),
                },
            ),
        ]);
        let b = turunkan("130101-a", "130101", &sudah);
        assert_eq!(b.permohonan.alasan_kembali.as_deref(), Some("sudah_rekam"));
        assert_eq!(b.permohonan.dedup, None);
    }

    #[test]
    fn a_document_whose_events_do_not_replay_is_kept_as_unreadable() {
        let mut d = PermohonanDoc::new("130101-a", "130101").unwrap();
        d.append_peristiwa(&[json!({"waktu": "kemarin"})]).unwrap();
        let b = turunkan("130101-a", "130101", &d);
        assert_eq!(b.permohonan.status, STATUS_TIDAK_TERBACA);
        assert_eq!(b.permohonan.dibuka, None);
        assert!(b.langkah.is_empty());
        // No events at all is a valid (empty) beginning: status `baru`.
        let kosong = PermohonanDoc::new("130101-b", "130101").unwrap();
        assert_eq!(
            turunkan("130101-b", "130101", &kosong).permohonan.status,
            "baru"
        );
    }
}
