//! Statistik: time-standard figures over many applications, per office, per operator and per
//! day (what the district's "BMW Statistik" gives them today). Pure aggregation over
//! [`Permohonan::riwayat_langkah`]: only finished step runs count; durations in whole seconds;
//! percentiles by nearest rank.

use std::collections::BTreeMap;

use chrono::{FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{AlasanTerlambat, DurasiLangkah, Langkah, Permohonan};

/// Figures for one SOP step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingkasanLangkah {
    /// The step.
    pub langkah: Langkah,
    /// Finished runs of the step.
    pub jumlah: u32,
    /// How many exceeded the time standard.
    pub terlambat: u32,
    /// Median duration in seconds (`None` when no run).
    pub median_detik: Option<i64>,
    /// 90th percentile duration in seconds.
    pub p90_detik: Option<i64>,
    /// Longest duration in seconds.
    pub maks_detik: Option<i64>,
}

/// Figures for a set of applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ringkasan {
    /// Number of applications.
    pub jumlah_permohonan: u32,
    /// Applications per current status name (`diserahkan`, `sudah_rekam`, ...).
    pub per_status: BTreeMap<String, u32>,
    /// One entry per step, in SOP order.
    pub langkah: Vec<RingkasanLangkah>,
    /// Late step runs per late reason (`gangguan_teknis`, `antrian_panjang`, ...).
    pub alasan_terlambat: BTreeMap<String, u32>,
}

/// Nearest-rank percentile of sorted values (`p` in 1..=100).
fn persentil(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Per-step figures over finished step runs.
pub fn ringkas_langkah<'a>(
    runs: impl IntoIterator<Item = &'a DurasiLangkah>,
) -> Vec<RingkasanLangkah> {
    let mut durasi: [Vec<i64>; 4] = Default::default();
    let mut late = [0u32; 4];
    for r in runs {
        if let Some(d) = r.detik {
            let i = usize::from(r.langkah.nomor() - 1);
            durasi[i].push(d);
            late[i] += u32::from(r.terlambat);
        }
    }
    Langkah::SEMUA
        .iter()
        .zip(durasi.iter_mut().zip(late))
        .map(|(&langkah, (d, terlambat))| {
            d.sort_unstable();
            RingkasanLangkah {
                langkah,
                jumlah: d.len() as u32,
                terlambat,
                median_detik: persentil(d, 50),
                p90_detik: persentil(d, 90),
                maks_detik: d.last().copied(),
            }
        })
        .collect()
}

fn nama_alasan(a: &AlasanTerlambat) -> &'static str {
    match a {
        AlasanTerlambat::GangguanTeknis => "gangguan_teknis",
        AlasanTerlambat::PendudukTidakHadir => "penduduk_tidak_hadir",
        AlasanTerlambat::AntrianPanjang => "antrian_panjang",
        AlasanTerlambat::Lainnya(_) => "lainnya",
    }
}

/// Figures over a set of applications (e.g. one office's day).
pub fn ringkas<'a>(permohonan: impl IntoIterator<Item = &'a Permohonan>) -> Ringkasan {
    let mut jumlah = 0;
    let mut per_status = BTreeMap::new();
    let mut runs = Vec::new();
    let mut alasan = BTreeMap::new();
    for p in permohonan {
        jumlah += 1;
        *per_status.entry(p.status().nama().to_string()).or_insert(0) += 1;
        for r in p.riwayat_langkah() {
            if r.terlambat
                && let Some(a) = &r.alasan_terlambat
            {
                *alasan.entry(nama_alasan(a).to_string()).or_insert(0) += 1;
            }
            runs.push(r);
        }
    }
    Ringkasan {
        jumlah_permohonan: jumlah,
        per_status,
        langkah: ringkas_langkah(&runs),
        alasan_terlambat: alasan,
    }
}

/// Per-step figures per operator: each finished step run counts for the operator whose event
/// ended it.
pub fn per_operator<'a>(
    permohonan: impl IntoIterator<Item = &'a Permohonan>,
) -> BTreeMap<String, Vec<RingkasanLangkah>> {
    let mut runs: BTreeMap<String, Vec<DurasiLangkah>> = BTreeMap::new();
    for p in permohonan {
        for r in p.riwayat_langkah() {
            if let Some(op) = r.operator_selesai.clone() {
                runs.entry(op).or_default().push(r);
            }
        }
    }
    runs.into_iter()
        .map(|(op, rs)| (op, ringkas_langkah(&rs)))
        .collect()
}

/// Figures per local calendar day of opening (`zona`: the office's UTC offset, +07:00 in
/// Sumatera Barat). Applications with no event yet are left out.
pub fn per_hari<'a>(
    permohonan: impl IntoIterator<Item = &'a Permohonan>,
    zona: FixedOffset,
) -> BTreeMap<NaiveDate, Ringkasan> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&Permohonan>> = BTreeMap::new();
    for p in permohonan {
        if let Some(t) = p.dibuka_pada() {
            by_day
                .entry(t.with_timezone(&zona).date_naive())
                .or_default()
                .push(p);
        }
    }
    by_day.into_iter().map(|(d, ps)| (d, ringkas(ps))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
    use crate::workflow::{Aksi, AlasanGagal, NomorAntrian, Peran, Peristiwa};
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};

    fn penduduk() -> Penduduk {
        Penduduk {
            nik: "1301011203480001".parse().unwrap(),
            no_kk: "1301071504190007".parse().unwrap(),
            nama: "Ahmad".into(),
            tempat_lahir: "Painan".into(),
            tanggal_lahir: chrono::NaiveDate::from_ymd_opt(1948, 3, 12).unwrap(),
            jenis_kelamin: JenisKelamin::LakiLaki,
            status_perkawinan: StatusPerkawinan::Kawin,
            alamat: "Jl. Pantai".into(),
            rt: 2,
            rw: 1,
            nagari: "Painan".into(),
            kecamatan: "130105".parse().unwrap(),
        }
    }

    /// A full successful application opened at `start` whose steps take the given minutes.
    fn selesai(start: DateTime<Utc>, m: [i64; 4], perekam: &str) -> Permohonan {
        let mut p = Permohonan::new("x", "130105".parse().unwrap(), penduduk());
        let mut t = start;
        let mut go = |dt: i64, op: &str, peran: Peran, aksi: Aksi, p: &mut Permohonan| {
            t += TimeDelta::minutes(dt);
            let mut e = Peristiwa::new(t, op, peran, aksi);
            if matches!(e.aksi, Aksi::PerekamanBerhasil { .. }) {
                e.kelengkapan = Some(crate::workflow::Kelengkapan::semua_terekam(80));
            }
            if p.perlu_alasan_terlambat(t) {
                e = e.terlambat(crate::workflow::AlasanTerlambat::AntrianPanjang);
            }
            p.apply(e).unwrap();
        };
        let reg = Peran::OperatorRegistrasi;
        let rek = Peran::OperatorPerekaman;
        go(0, "rina", reg, Aksi::PermohonanDibuat, &mut p);
        go(m[0], "rina", reg, Aksi::BerkasDiterima, &mut p);
        go(0, "rina", reg, Aksi::BerkasBenar, &mut p);
        let n = NomorAntrian(1);
        go(
            m[1],
            "rina",
            reg,
            Aksi::NomorAntrianDiberikan { nomor_antrian: n },
            &mut p,
        );
        go(0, perekam, rek, Aksi::Dipanggil, &mut p);
        let b = Aksi::PerekamanBerhasil {
            nomor_bukti: "B".into(),
        };
        go(m[2], perekam, rek, b, &mut p);
        go(m[3], perekam, rek, Aksi::DiterimaPenduduk, &mut p);
        p
    }

    fn pagi(jam: u32) -> DateTime<Utc> {
        // 08:00 WIB = 01:00 UTC on 25 November 2026.
        Utc.with_ymd_and_hms(2026, 11, 25, jam, 0, 0).unwrap()
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(persentil(&v, 50), Some(5));
        assert_eq!(persentil(&v, 90), Some(9));
        assert_eq!(persentil(&v, 100), Some(10));
        assert_eq!(persentil(&[7], 90), Some(7));
        assert_eq!(persentil(&[], 50), None);
    }

    #[test]
    fn office_day_figures() {
        let ps = vec![
            selesai(pagi(1), [2, 6, 8, 1], "budi"),
            selesai(pagi(2), [4, 12, 9, 2], "budi"),
            selesai(pagi(3), [6, 8, 20, 3], "sari"),
        ];
        let r = ringkas(&ps);
        assert_eq!(r.jumlah_permohonan, 3);
        assert_eq!(r.per_status.get("diserahkan"), Some(&3));
        let s1 = &r.langkah[0];
        assert_eq!((s1.jumlah, s1.terlambat), (3, 1));
        assert_eq!(s1.median_detik, Some(240));
        assert_eq!(s1.maks_detik, Some(360));
        let s2 = &r.langkah[1];
        assert_eq!(
            (s2.jumlah, s2.terlambat, s2.median_detik),
            (3, 1, Some(480))
        );
        let s3 = &r.langkah[2];
        assert_eq!((s3.terlambat, s3.p90_detik), (1, Some(1200)));
        assert_eq!(r.langkah[3].terlambat, 0);
        assert_eq!(r.alasan_terlambat.get("antrian_panjang"), Some(&3));

        let ops = per_operator(&ps);
        assert_eq!(ops["rina"][0].jumlah, 3);
        assert_eq!(ops["rina"][2].jumlah, 0);
        assert_eq!(ops["budi"][2].jumlah, 2);
        assert_eq!(ops["sari"][2].terlambat, 1);

        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        // 17:30 UTC is already the next day in WIB.
        let late_evening = selesai(
            Utc.with_ymd_and_hms(2026, 11, 25, 17, 30, 0).unwrap(),
            [1, 1, 1, 1],
            "budi",
        );
        let mut all = ps.clone();
        all.push(late_evening);
        let days = per_hari(&all, wib);
        let d25 = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let d26 = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(days[&d25].jumlah_permohonan, 3);
        assert_eq!(days[&d26].jumlah_permohonan, 1);
    }

    #[test]
    fn open_and_failed_runs() {
        let mut p = Permohonan::new("y", "130105".parse().unwrap(), penduduk());
        let reg = Peran::OperatorRegistrasi;
        let rek = Peran::OperatorPerekaman;
        let t = pagi(1);
        for (m, peran, aksi) in [
            (0, reg, Aksi::PermohonanDibuat),
            (1, reg, Aksi::BerkasDiterima),
            (2, reg, Aksi::BerkasBenar),
            (
                3,
                reg,
                Aksi::NomorAntrianDiberikan {
                    nomor_antrian: NomorAntrian(2),
                },
            ),
            (
                5,
                rek,
                Aksi::PerekamanGagal {
                    alasan: AlasanGagal::PendudukTidakHadir,
                },
            ),
        ] {
            p.apply(Peristiwa::new(t + TimeDelta::minutes(m), "op", peran, aksi))
                .unwrap();
        }
        let r = ringkas([&p]);
        assert_eq!(r.per_status.get("dikembalikan_ke_registrasi"), Some(&1));
        // Steps 1, 2, 3 finished; the second run of step 2 is still open and not counted.
        let counts: Vec<u32> = r.langkah.iter().map(|l| l.jumlah).collect();
        assert_eq!(counts, [1, 1, 1, 0]);
        assert_eq!(r.langkah[3].median_detik, None);
        let empty = ringkas(std::iter::empty());
        assert_eq!(empty.jumlah_permohonan, 0);
        assert_eq!(empty.langkah.len(), 4);
    }
}
