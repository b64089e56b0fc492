//! The statistics benchmark behind `rekam-statistik-bench` (figures in
//! `docs/dashboard-data.md`): fills a real hub storage with synthetic read-model rows (a year
//! of applications over the district's kecamatan, written straight into the read model), times
//! the overview and time-standards queries over today / a week / a month / the year, and times
//! `reindex` over a smaller hub of real application documents (documents per second).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, TimeDelta, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use rekam_shared::document::PermohonanDoc;
use rekam_shared::workflow::{Aksi, Kelengkapan, NomorAntrian, Peran, Peristiwa};

use super::baris::{BarisLangkah, BarisPermohonan, BarisStatistik, zona};
use super::kueri::{self, Rentang};
use super::target::Peringkat;
use crate::storage::Storage;
use crate::storage::sqlite::SqliteStorage;

/// Rows written per transaction while filling.
const BATCH: usize = 2_000;

/// One timed query.
#[derive(Debug, Clone)]
pub struct Waktu {
    /// What was asked (`ikhtisar bulan`, ...).
    pub kueri: String,
    /// Best of the runs.
    pub terbaik: Duration,
    /// Median of the runs.
    pub median: Duration,
}

/// Fills `path` with `n` synthetic applications opened over the 365 days ending `akhir`.
pub fn isi_sintetis(path: &Path, n: u64, akhir: NaiveDate) -> anyhow::Result<SqliteStorage> {
    let s = SqliteStorage::open(path)?;
    let mut rng = StdRng::seed_from_u64(42);
    let kec: Vec<String> = (1..=15).map(|k| format!("1301{k:02}")).collect();
    let mut i = 0u64;
    while i < n {
        let mut batch = Vec::with_capacity(BATCH);
        for _ in 0..BATCH.min((n - i) as usize) {
            i += 1;
            batch.push(baris_sintetis(&mut rng, i, &kec, akhir));
        }
        s.transaction(&mut |tx| {
            for b in &batch {
                tx.statistik_tulis(b)?;
            }
            Ok(())
        })?;
    }
    Ok(s)
}

fn baris_sintetis(rng: &mut StdRng, i: u64, kec: &[String], akhir: NaiveDate) -> BarisStatistik {
    let k = &kec[rng.gen_range(0..kec.len())];
    let id = format!("{k}-{i:07}");
    let hari = akhir - Days::new(rng.gen_range(0..365));
    let buka = zona()
        .from_local_datetime(&hari.and_hms_opt(8, 0, 0).expect("08:00"))
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
        + TimeDelta::seconds(rng.gen_range(0..8 * 3600));
    let fmt = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tgl = |t: chrono::DateTime<Utc>| t.with_timezone(&zona()).format("%Y-%m-%d").to_string();
    let jalur = rng.gen_range(0..20);
    let (status, kembali, langkah_n) = match jalur {
        0 => ("berkas_dikembalikan", Some("berkas_tidak_lengkap"), 1),
        1 => ("berkas_dikembalikan", Some("belum_memenuhi_syarat"), 2),
        2 => ("sudah_rekam", Some("sudah_rekam"), 2),
        3 => ("menunggu_perekaman", None, 3),
        _ => ("diserahkan", None, 4),
    };
    let gagal = u32::from(rng.gen_range(0..25) == 0);
    let operator = [
        format!("reg{}", rng.gen_range(1..=3)),
        format!("reg{}", rng.gen_range(1..=3)),
        format!("rek{}", rng.gen_range(1..=3)),
        format!("rek{}", rng.gen_range(1..=3)),
    ];
    let mut t = buka;
    let mut langkah = Vec::new();
    for l in 0..langkah_n {
        let batas = [300, 600, 600, 300][l];
        let detik: i64 = rng.gen_range(30..batas * 2);
        let ended = !(l + 1 == langkah_n && status == "menunggu_perekaman");
        let late = ended && detik > batas;
        langkah.push(BarisLangkah {
            permohonan_id: id.clone(),
            urutan: l as u32,
            langkah: l as u8 + 1,
            kecamatan: k.clone(),
            operator: ended.then(|| operator[l].clone()),
            mulai: fmt(t),
            selesai: ended.then(|| fmt(t + TimeDelta::seconds(detik))),
            tanggal: tgl(t),
            detik: ended.then_some(detik),
            terlambat: late,
            alasan_terlambat: late.then(|| {
                ["antrian_panjang", "gangguan_teknis", "penduduk_tidak_hadir"][rng.gen_range(0..3)]
                    .to_owned()
            }),
        });
        t += TimeDelta::seconds(detik);
    }
    let direkam = (status == "diserahkan").then(|| t - TimeDelta::seconds(60));
    let dedup = direkam.and_then(|_| match rng.gen_range(0..100) {
        0..=1 => Some("duplikat"),
        2 => Some("perlu_adjudikasi"),
        3..=5 => None,
        _ => Some("unik"),
    });
    BarisStatistik {
        permohonan: BarisPermohonan {
            permohonan_id: id,
            kecamatan: k.clone(),
            nagari: Some(format!("Nagari {}", rng.gen_range(1..=12))),
            status: status.to_owned(),
            dibuka: Some(fmt(buka)),
            tanggal_buka: Some(tgl(buka)),
            direkam: direkam.map(fmt),
            tanggal_rekam: direkam.map(tgl),
            alasan_kembali: kembali.map(str::to_owned),
            gagal,
            alasan_gagal: (gagal > 0).then(|| "gangguan_teknis".to_owned()),
            kualitas_min: direkam.map(|_| rng.gen_range(30..80)),
            kualitas_rata: direkam.map(|_| rng.gen_range(60..95)),
            kualitas_rendah: u32::from(direkam.is_some() && rng.gen_range(0..10) == 0),
            pengecualian: u32::from(direkam.is_some() && rng.gen_range(0..30) == 0),
            dedup: dedup.map(str::to_owned),
            dedup_jenis: None,
        },
        langkah,
    }
}

/// Times `f` `runs` times (at least once).
pub fn ukur<T>(
    nama: &str,
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<Waktu> {
    let mut d = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        std::hint::black_box(f()?);
        d.push(t.elapsed());
    }
    d.sort();
    Ok(Waktu {
        kueri: nama.to_owned(),
        terbaik: d[0],
        median: d[d.len() / 2],
    })
}

/// The ranges every timing uses, ending `akhir`: today, this week, this month, a year.
pub fn rentang_ukur(akhir: NaiveDate) -> [(&'static str, Rentang); 4] {
    [
        ("hari ini", Rentang::hari_ini(akhir)),
        ("minggu ini", Rentang::minggu_ini(akhir)),
        ("bulan ini", Rentang::bulan_ini(akhir)),
        (
            "setahun",
            Rentang {
                dari: akhir - Days::new(364),
                sampai: akhir,
            },
        ),
    ]
}

/// Times the overview and time-standards questions on `s` for ranges ending `akhir`.
pub fn ukur_kueri(s: &SqliteStorage, akhir: NaiveDate, runs: usize) -> anyhow::Result<Vec<Waktu>> {
    let p = Peringkat::default();
    let mut out = Vec::new();
    for (nama, r) in rentang_ukur(akhir) {
        out.push(ukur(&format!("ikhtisar {nama}"), runs, || {
            Ok(kueri::ikhtisar(s, &r, &p)?)
        })?);
        out.push(ukur(&format!("standar waktu {nama}"), runs, || {
            Ok(kueri::standar_waktu(s, &r)?)
        })?);
    }
    Ok(out)
}

/// Stores `n` real application documents (recorded and handed over) in a fresh hub at
/// `path`, then times [`super::reindex`]; returns (documents, seconds).
pub fn ukur_reindex(path: &Path, n: u64) -> anyhow::Result<(u64, f64)> {
    let s = SqliteStorage::open(path)?;
    let reg = Peran::OperatorRegistrasi;
    let rek = Peran::OperatorPerekaman;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 2, 1, 0, 0)
        .single()
        .expect("valid");
    let mut i = 0;
    while i < n {
        let mut batch = Vec::new();
        for _ in 0..500.min(n - i) {
            i += 1;
            let id = format!("130101-{i:07}");
            let mut d = PermohonanDoc::new(&id, "130101")?;
            d.set_penduduk(&serde_json::json!({"nik": "1301075208050003", "nagari": "Painan"}))?;
            let t = |m: i64| t0 + TimeDelta::minutes(m) + TimeDelta::seconds(i as i64);
            let nomor_antrian = NomorAntrian(1);
            let events = vec![
                Peristiwa::new(t(0), "rina", reg, Aksi::PermohonanDibuat),
                Peristiwa::new(t(3), "rina", reg, Aksi::BerkasDiterima),
                Peristiwa::new(t(5), "rina", reg, Aksi::BerkasBenar),
                Peristiwa::new(
                    t(8),
                    "rina",
                    reg,
                    Aksi::NomorAntrianDiberikan { nomor_antrian },
                ),
                Peristiwa::new(t(10), "budi", rek, Aksi::Dipanggil),
                Peristiwa::new(
                    t(15),
                    "budi",
                    rek,
                    Aksi::PerekamanBerhasil {
                        nomor_bukti: format!("TBP-{i}"),
                    },
                )
                .dengan_kelengkapan(Kelengkapan::semua_terekam(80)),
                Peristiwa::new(t(17), "budi", rek, Aksi::DiterimaPenduduk),
            ];
            d.append_peristiwa(&events)?;
            batch.push((id, d.save()));
        }
        s.transaction(&mut |tx| {
            for (id, bytes) in &batch {
                tx.save_doc(id, "130101", bytes, false)?;
            }
            Ok(())
        })?;
    }
    let mulai = Instant::now();
    let r = super::reindex(&s)?;
    Ok((r.dokumen, mulai.elapsed().as_secs_f64()))
}
