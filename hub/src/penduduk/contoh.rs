//! A synthetic register extract for the demo and the tests (`rekam-hub penduduk contoh`):
//! households of the chosen kecamatan, each one family card (No. KK) with its members, in the
//! import format (`super::berkas`), deterministic for a seed.
//!
//! - Names: Minangkabau and Indonesian given names (Rahmat, Yusnidar, Afrizal, Nurhayati,
//!   Syafrudin, Rosmaniar, ...), a second given name often, a suku name (Chaniago, Piliang, ...)
//!   or a gelar of married men (Sutan ..., Malin ..., Datuak ...) sparingly.
//! - Nagari: as many per kecamatan as the region table counts (`Kecamatan::jumlah_nagari`,
//!   10 where it has no count), named from a list of nagari names of the district (the region
//!   table holds counts, not names); each household lives in one nagari and jorong.
//! - Ages: a household is a head with a spouse most of the time, their children (many young
//!   ones), sometimes a widowed parent: together a rural pyramid where about a third is under
//!   17. Marital status by age (a few married under 17, widowed among the old).
//! - About 1 % deceased and 1 % moved out; religion Islam but a few; occupation by age and sex.
//! - NIK from the kecamatan, date of birth and sex (serial per (kecamatan, date, sex)); No. KK
//!   from the kecamatan and an issue date, shared by the household.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::KodeKecamatan;
use rekam_shared::register::{Agama, PendudukTerdaftar, StatusPenduduk};

const LAKI: &[&str] = &[
    "RAHMAT",
    "AFRIZAL",
    "SYAFRUDIN",
    "ZULKIFLI",
    "FIRDAUS",
    "YUSRIZAL",
    "ERIZAL",
    "JASMAN",
    "ASRIL",
    "NASRUL",
    "DASRIL",
    "HENDRI",
    "IRWAN",
    "JONI",
    "MULYADI",
    "DEDI",
    "ANDRI",
    "RIKI",
    "FAJAR",
    "YUSUF",
    "MUHAMMAD",
    "AHMAD",
    "ILHAM",
    "FAUZAN",
    "ARIF",
    "BUDI",
    "SYAHRUL",
    "ZAINAL",
    "AMRI",
    "NOFRIZAL",
    "ROZALI",
    "YOHANDRI",
    "DONI",
    "REZA",
    "ALDI",
    "FERDI",
    "HARIS",
    "ZIKRI",
    "RAFI",
    "AZKA",
];
const PEREMPUAN: &[&str] = &[
    "YUSNIDAR",
    "NURHAYATI",
    "ROSMANIAR",
    "ASNIDAR",
    "NURLELA",
    "ELFI",
    "YULIA",
    "SITI",
    "RAHMAWATI",
    "ZURAIDA",
    "MISNAR",
    "YENI",
    "RINA",
    "FITRI",
    "DEWI",
    "SRI",
    "WIDYA",
    "PUTRI",
    "DESI",
    "YUSMANIDAR",
    "ERNAWATI",
    "NOVI",
    "SUSI",
    "LENI",
    "MARLINA",
    "YUSRA",
    "HASNAH",
    "JUSNIAR",
    "NELDA",
    "ELVIRA",
    "AULIA",
    "NAYLA",
    "SALSABILA",
    "ZAHRA",
    "KHAIRUNNISA",
    "INTAN",
    "RATNA",
    "MEGA",
];
const NAMA_KEDUA_L: &[&str] = &[
    "PUTRA",
    "SAPUTRA",
    "EFENDI",
    "HIDAYAT",
    "RAHMAN",
    "KURNIAWAN",
    "PRATAMA",
    "FIRMANSYAH",
];
const NAMA_KEDUA_P: &[&str] = &[
    "YANTI",
    "WATI",
    "SYAFITRI",
    "NINGSIH",
    "SARI",
    "HANDAYANI",
    "RAHMADANI",
    "OKTAVIA",
];
const SUKU: &[&str] = &[
    "CHANIAGO",
    "PILIANG",
    "TANJUNG",
    "SIKUMBANG",
    "KOTO",
    "JAMBAK",
];
const GELAR: &[&str] = &[
    "SUTAN MALIN",
    "SUTAN BAGINDO",
    "SUTAN RAJO",
    "MALIN BATUAH",
    "DATUAK RAJO ALAM",
    "BAGINDO SATI",
];
const NAGARI: &[&str] = &[
    "PAINAN",
    "PAINAN SELATAN",
    "PAINAN TIMUR",
    "SALIDO",
    "BUNGO PASANG SALIDO",
    "LUMPO",
    "SAGO SALIDO",
    "KAMBANG",
    "KAMBANG UTARA",
    "SURANTIH",
    "TARATAK",
    "AMPING PARAK",
    "PASAR BARU",
    "KOTO BARU",
    "ASAM KUMBANG",
    "AIR HAJI",
    "INDRAPURA",
    "TAPAN",
    "LUNANG",
    "SILAUT",
    "BALAI SELASA",
    "SUNGAI TUNU",
    "TARUSAN",
    "NANGGALO",
    "CAROCOK ANAU",
    "KAPUH",
    "SUNGAI PINANG",
    "BATU HAMPAR",
    "AMPIANG PARAK",
    "KOTO NAN TIGO",
];
const JORONG: &[&str] = &[
    "JORONG KAMPUNG BARU",
    "JORONG KOTO",
    "JORONG PASAR",
    "JORONG PADANG",
    "JORONG LUBUK",
    "JORONG TALAO",
    "JORONG SAWAH LIAT",
    "JORONG BUKIK",
];
const TEMPAT_LAIN: &[&str] = &["PADANG", "BUKITTINGGI", "SOLOK", "PEKANBARU", "JAKARTA"];

/// The nagari of kecamatan `kode`: as many as the region table counts (10 where unknown),
/// named from [`NAGARI`] starting at a place that depends on the kecamatan.
pub fn nagari_kecamatan(kode: KodeKecamatan) -> Vec<String> {
    let n = rekam_shared::region::builtin()
        .kecamatan(kode)
        .and_then(|k| k.jumlah_nagari)
        .map_or(10, usize::from)
        .clamp(1, NAGARI.len());
    let awal = usize::from(kode.kecamatan()) * 7 % NAGARI.len();
    (0..n)
        .map(|i| NAGARI[(awal + i) % NAGARI.len()].to_owned())
        .collect()
}

struct Pembuat {
    rng: StdRng,
    hari_ini: NaiveDate,
    urut: HashMap<(KodeKecamatan, NaiveDate, JenisKelamin), u16>,
    kk_urut: HashMap<(KodeKecamatan, NaiveDate), u16>,
}

/// One member before its NIK: age, sex, marital status.
struct Anggota {
    umur: i64,
    jk: JenisKelamin,
    kawin: StatusPerkawinan,
}

impl Pembuat {
    fn pilih<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn nama(&mut self, a: &Anggota) -> String {
        let (depan, kedua) = match a.jk {
            JenisKelamin::LakiLaki => (LAKI, NAMA_KEDUA_L),
            JenisKelamin::Perempuan => (PEREMPUAN, NAMA_KEDUA_P),
        };
        let mut nama = self.pilih(depan).to_owned();
        if self.rng.gen_bool(0.35) {
            nama.push(' ');
            nama.push_str(self.pilih(kedua));
        }
        let menikah = a.kawin != StatusPerkawinan::BelumKawin;
        if a.jk == JenisKelamin::LakiLaki && menikah && a.umur >= 30 && self.rng.gen_bool(0.12) {
            nama.push(' ');
            nama.push_str(self.pilih(GELAR));
        } else if self.rng.gen_bool(0.05) {
            nama.push(' ');
            nama.push_str(self.pilih(SUKU));
        }
        nama
    }

    fn lahir(&mut self, umur: i64) -> NaiveDate {
        let hari = umur * 365 + umur / 4 + self.rng.gen_range(0..365);
        self.hari_ini - TimeDelta::days(hari.max(0))
    }

    fn pekerjaan(&mut self, a: &Anggota) -> &'static str {
        match a.umur {
            0..=5 => "BELUM/TIDAK BEKERJA",
            6..=18 => "PELAJAR/MAHASISWA",
            19..=22 if self.rng.gen_bool(0.4) => "PELAJAR/MAHASISWA",
            _ if a.umur >= 70 => "BELUM/TIDAK BEKERJA",
            _ => match a.jk {
                JenisKelamin::LakiLaki => self.pilih(&[
                    "PETANI/PEKEBUN",
                    "PETANI/PEKEBUN",
                    "NELAYAN/PERIKANAN",
                    "WIRASWASTA",
                    "PEDAGANG",
                    "BURUH HARIAN LEPAS",
                    "KARYAWAN SWASTA",
                    "GURU",
                    "PEGAWAI NEGERI SIPIL (PNS)",
                ]),
                JenisKelamin::Perempuan => self.pilih(&[
                    "MENGURUS RUMAH TANGGA",
                    "MENGURUS RUMAH TANGGA",
                    "MENGURUS RUMAH TANGGA",
                    "PETANI/PEKEBUN",
                    "PEDAGANG",
                    "GURU",
                    "WIRASWASTA",
                ]),
            },
        }
    }

    /// The members of one household: head, spouse, children, sometimes a widowed parent.
    fn rumah_tangga(&mut self) -> Vec<Anggota> {
        let r = &mut self.rng;
        let umur_kepala: i64 = 22 + (r.r#gen::<f64>().powf(1.4) * 53.0) as i64;
        let laki = JenisKelamin::LakiLaki;
        let perempuan = JenisKelamin::Perempuan;
        let mut out = Vec::new();
        let pasangan = r.gen_bool(if umur_kepala < 65 { 0.86 } else { 0.55 });
        if pasangan {
            out.push(Anggota {
                umur: umur_kepala,
                jk: laki,
                kawin: StatusPerkawinan::Kawin,
            });
            out.push(Anggota {
                umur: (umur_kepala - r.gen_range(0..8)).max(17),
                jk: perempuan,
                kawin: StatusPerkawinan::Kawin,
            });
        } else {
            let jk = if r.gen_bool(0.4) { laki } else { perempuan };
            let kawin = match umur_kepala {
                0..=29 if r.gen_bool(0.7) => StatusPerkawinan::BelumKawin,
                _ if umur_kepala >= 55 || r.gen_bool(0.5) => StatusPerkawinan::CeraiMati,
                _ => StatusPerkawinan::CeraiHidup,
            };
            out.push(Anggota {
                umur: umur_kepala,
                jk,
                kawin,
            });
        }
        let ibu = out.last().map_or(umur_kepala, |a| a.umur);
        let punya_anak = out.len() == 2 || out[0].kawin != StatusPerkawinan::BelumKawin;
        if punya_anak && ibu >= 19 {
            let maks_umur_anak = (ibu - 19).min(30);
            let n = match r.gen_range(0..100) {
                0..=17 => 0,
                18..=42 => 1,
                43..=72 => 2,
                73..=90 => 3,
                91..=97 => 4,
                _ => 5,
            };
            for _ in 0..n {
                let batas = maks_umur_anak.min(20 + r.gen_range(0..12));
                let umur = r.gen_range(0..=batas);
                let jk = if r.gen_bool(0.51) { laki } else { perempuan };
                // Married from 22 on at times; a few girls at 15-16.
                let kawin = if (umur >= 22 && r.gen_bool(0.25))
                    || ((15..17).contains(&umur) && jk == perempuan && r.gen_bool(0.03))
                {
                    StatusPerkawinan::Kawin
                } else {
                    StatusPerkawinan::BelumKawin
                };
                out.push(Anggota { umur, jk, kawin });
            }
        }
        if umur_kepala < 50 && r.gen_bool(0.15) {
            out.push(Anggota {
                umur: r.gen_range(umur_kepala + 20..=(umur_kepala + 40).min(95)),
                jk: if r.gen_bool(0.7) { perempuan } else { laki },
                kawin: StatusPerkawinan::CeraiMati,
            });
        }
        out
    }
}

/// `jumlah` synthetic residents of `kecamatan` (households spread evenly over them), the same
/// for the same `seed`, valid on `hari_ini` by [`PendudukTerdaftar::validate`].
pub fn contoh(
    kecamatan: &[KodeKecamatan],
    jumlah: usize,
    seed: u64,
    hari_ini: NaiveDate,
) -> Vec<PendudukTerdaftar> {
    let mut p = Pembuat {
        rng: StdRng::seed_from_u64(seed),
        hari_ini,
        urut: HashMap::new(),
        kk_urut: HashMap::new(),
    };
    let nagari: Vec<Vec<String>> = kecamatan.iter().map(|k| nagari_kecamatan(*k)).collect();
    let mut out = Vec::with_capacity(jumlah);
    let mut rumah = 0usize;
    while out.len() < jumlah && !kecamatan.is_empty() {
        let i = rumah % kecamatan.len();
        rumah += 1;
        let kec = kecamatan[i];
        let nama_nagari = nagari[i][p.rng.gen_range(0..nagari[i].len())].clone();
        let alamat = format!("{} NO. {}", p.pilih(JORONG), p.rng.gen_range(1..120));
        let (rt, rw) = (p.rng.gen_range(1..=12), p.rng.gen_range(1..=6));
        let anggota = p.rumah_tangga();
        // The card is (re)issued at the latest change of the household: after the youngest birth.
        let termuda = anggota.iter().map(|a| a.umur).min().unwrap_or(0);
        let terbit = (hari_ini - TimeDelta::days(termuda * 365 - p.rng.gen_range(0..300)))
            .min(hari_ini)
            .max(NaiveDate::from_ymd_opt(2005, 1, 1).unwrap_or(hari_ini));
        let u = p.kk_urut.entry((kec, terbit)).or_insert(0);
        *u += 1;
        let Ok(no_kk) = NomorKk::from_parts(kec, terbit, *u) else {
            continue;
        };
        for a in anggota {
            if out.len() >= jumlah {
                break;
            }
            let lahir = p.lahir(a.umur);
            let u = p.urut.entry((kec, lahir, a.jk)).or_insert(0);
            *u += 1;
            let Ok(nik) = Nik::from_parts(kec, lahir, a.jk, *u) else {
                continue;
            };
            let nama = p.nama(&a);
            let tempat_lahir = if p.rng.gen_bool(0.85) {
                nama_nagari.clone()
            } else {
                p.pilih(TEMPAT_LAIN).to_owned()
            };
            let status = match p.rng.gen_range(0..1000) {
                0..=9 => StatusPenduduk::Meninggal,
                10..=19 => StatusPenduduk::Pindah,
                _ => StatusPenduduk::Aktif,
            };
            let agama = if p.rng.gen_range(0..1000) < 995 {
                Agama::Islam
            } else {
                Agama::Kristen
            };
            let pekerjaan = p.pekerjaan(&a).to_owned();
            out.push(PendudukTerdaftar {
                penduduk: Penduduk {
                    nik,
                    no_kk,
                    nama,
                    tempat_lahir,
                    tanggal_lahir: lahir,
                    jenis_kelamin: a.jk,
                    status_perkawinan: a.kawin,
                    alamat: alamat.clone(),
                    rt,
                    rw,
                    nagari: nama_nagari.clone(),
                    kecamatan: kec,
                },
                agama,
                pekerjaan,
                status,
            });
        }
    }
    out
}

/// Parses `--kecamatan CODE[,CODE..]` (6 digits or dotted), each a kecamatan of the district.
pub fn baca_kecamatan(s: &str) -> Result<Vec<KodeKecamatan>, String> {
    let mut out = Vec::new();
    for k in s.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let kode = k
            .parse::<KodeKecamatan>()
            .ok()
            .filter(|c| rekam_shared::register::di_kabupaten(*c))
            .ok_or_else(|| format!("kecamatan {k} bukan kecamatan Kabupaten Pesisir Selatan"))?;
        if !out.contains(&kode) {
            out.push(kode);
        }
    }
    if out.is_empty() {
        return Err("--kecamatan kosong: sebutkan paling sedikit satu kode kecamatan".into());
    }
    Ok(out)
}

/// The share of residents in `rows` under 17 on `pada` (for the tests and the docs).
pub fn bagian_di_bawah_17(rows: &[PendudukTerdaftar], pada: NaiveDate) -> f64 {
    let n = rows
        .iter()
        .filter(|p| rekam_shared::eligibility::umur(p.penduduk.tanggal_lahir, pada) < 17)
        .count();
    n as f64 / rows.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hari() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    #[test]
    fn the_sample_is_deterministic_valid_and_shaped_like_a_rural_district() {
        let kec = baca_kecamatan("130105,13.01.01").unwrap();
        let a = contoh(&kec, 5_000, 7, hari());
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, contoh(&kec, 5_000, 7, hari()));
        assert_ne!(a, contoh(&kec, 5_000, 8, hari()));
        let csv = super::super::bench::csv(&a);
        let e = super::super::berkas::baca(&csv, hari(), &mut |_| {}).expect("imports cleanly");
        assert_eq!(e.penduduk, a);
        let muda = bagian_di_bawah_17(&a, hari());
        assert!((0.25..0.45).contains(&muda), "under 17: {muda}");
        let mati = a
            .iter()
            .filter(|p| p.status == StatusPenduduk::Meninggal)
            .count();
        let pindah = a
            .iter()
            .filter(|p| p.status == StatusPenduduk::Pindah)
            .count();
        assert!(
            (20..100).contains(&mati) && (20..100).contains(&pindah),
            "{mati} {pindah}"
        );
        assert!(a.iter().all(|p| kec.contains(&p.penduduk.kecamatan)));
        // Families share a card; every card's members live at one address.
        let mut kk: HashMap<String, Vec<&PendudukTerdaftar>> = HashMap::new();
        for p in &a {
            kk.entry(p.penduduk.no_kk.to_string()).or_default().push(p);
        }
        assert!(kk.len() < a.len() / 2, "{} cards", kk.len());
        assert!(kk.values().all(
            |m| m.iter().all(|p| p.penduduk.alamat == m[0].penduduk.alamat
                && p.penduduk.nagari == m[0].penduduk.nagari)
        ));
        // Nobody under 15 married; the married share grows with age.
        assert!(a.iter().all(|p| rekam_shared::eligibility::umur(
            p.penduduk.tanggal_lahir,
            hari()
        ) >= 15
            || p.penduduk.status_perkawinan == StatusPerkawinan::BelumKawin));
        assert_eq!(
            baca_kecamatan("137101").unwrap_err(),
            "kecamatan 137101 bukan kecamatan Kabupaten Pesisir Selatan"
        );
        assert!(baca_kecamatan(" , ").is_err());
    }
}
