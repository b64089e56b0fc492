//! Synthetic register extracts (deterministic from a seed) for `rekam-penduduk-bench` and the
//! tests: residents spread over the district's kecamatan, families sharing a No. KK, ages and
//! marital statuses roughly like the district's, a few deceased and moved out; every row valid
//! by [`PendudukTerdaftar::validate`].

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::{KECAMATAN_PESISIR_SELATAN, KodeKecamatan};
use rekam_shared::register::{Agama, PendudukTerdaftar, StatusPenduduk};

use super::berkas::KOLOM;

const DEPAN_L: &[&str] = &[
    "RAHMAT",
    "AFRIZAL",
    "BUDI",
    "DEDI",
    "HENDRA",
    "IRWAN",
    "JONI",
    "ZULKIFLI",
    "FIRDAUS",
    "SYAFRUDDIN",
    "ANDI",
    "RIZKI",
    "FAJAR",
    "YUSUF",
    "MUHAMMAD",
    "AHMAD",
    "DODI",
    "ERIZAL",
];
const DEPAN_P: &[&str] = &[
    "SITI",
    "NURHAYATI",
    "YENI",
    "RINA",
    "FITRI",
    "DEWI",
    "ROSMANIAR",
    "ASNIDAR",
    "NURLELA",
    "ELFI",
    "YULIA",
    "SRI",
    "WIDYA",
    "PUTRI",
    "RAHMAWATI",
    "DESI",
    "MISNAR",
    "ZURAIDA",
];
const BELAKANG: &[&str] = &[
    "", "SUTAN", "PUTRA", "SAPUTRA", "MALIN", "HIDAYAT", "YANTI", "WATI", "ZAHARA", "NINGSIH",
    "EFENDI", "HARAHAP", "SYAFITRI", "RAHMAN", "GUSTI", "CANIAGO", "CHANIAGO", "PILIANG",
];
const NAGARI: &[&str] = &[
    "PAINAN",
    "SALIDO",
    "BUNGO PASANG",
    "KAMBANG",
    "AIR HAJI",
    "TAPAN",
    "LUNANG",
    "INDRAPURA",
    "SURANTIH",
    "TARATAK",
    "BARUNG-BARUNG BALANTAI",
    "ASAM KUMBANG",
    "PASAR BARU",
    "KOTO BARU",
];
const PEKERJAAN: &[&str] = &[
    "PETANI/PEKEBUN",
    "NELAYAN/PERIKANAN",
    "MENGURUS RUMAH TANGGA",
    "PELAJAR/MAHASISWA",
    "WIRASWASTA",
    "PEDAGANG",
    "KARYAWAN SWASTA",
    "BELUM/TIDAK BEKERJA",
    "GURU",
    "PEGAWAI NEGERI SIPIL (PNS)",
];

/// `n` synthetic residents of the district, the same for the same `seed`, valid on
/// `hari_ini`.
pub fn sintetis(n: usize, seed: u64, hari_ini: NaiveDate) -> Vec<PendudukTerdaftar> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut urut: HashMap<(KodeKecamatan, NaiveDate, JenisKelamin), u16> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    let mut kk: Option<(NomorKk, KodeKecamatan, String, String, u16, u16)> = None;
    let mut sisa_keluarga = 0u32;
    let mut kk_urut: HashMap<(KodeKecamatan, NaiveDate), u16> = HashMap::new();
    while out.len() < n {
        if sisa_keluarga == 0 || kk.is_none() {
            let kec =
                KECAMATAN_PESISIR_SELATAN[rng.gen_range(0..KECAMATAN_PESISIR_SELATAN.len())].kode;
            let terbit = NaiveDate::from_ymd_opt(
                rng.gen_range(2010..=2025),
                rng.gen_range(1..=12),
                rng.gen_range(1..=28),
            )
            .expect("date");
            let u = kk_urut.entry((kec, terbit)).or_insert(0);
            *u += 1;
            let no = NomorKk::from_parts(kec, terbit, *u).expect("synthetic No. KK");
            let nagari = NAGARI[rng.gen_range(0..NAGARI.len())].to_owned();
            let alamat = format!(
                "JL. {} NO. {}",
                NAGARI[rng.gen_range(0..NAGARI.len())],
                rng.gen_range(1..200)
            );
            kk = Some((
                no,
                kec,
                nagari,
                alamat,
                rng.gen_range(1..=20),
                rng.gen_range(1..=10),
            ));
            sisa_keluarga = rng.gen_range(1..=6);
        }
        sisa_keluarga -= 1;
        let (no_kk, kec, nagari, alamat, rt, rw) = kk.clone().expect("family");
        // Ages 0-89, fewer of the old (a rough pyramid).
        let umur = {
            let a: f64 = rng.r#gen::<f64>();
            ((1.0 - a.sqrt()) * 90.0) as i32
        };
        let lahir = NaiveDate::from_ymd_opt(
            hari_ini.year() - umur - 1,
            rng.gen_range(1..=12),
            rng.gen_range(1..=28),
        )
        .expect("date");
        let jk = if rng.gen_bool(0.5) {
            JenisKelamin::LakiLaki
        } else {
            JenisKelamin::Perempuan
        };
        let u = urut.entry((kec, lahir, jk)).or_insert(0);
        *u += 1;
        let nik = Nik::from_parts(kec, lahir, jk, *u).expect("synthetic NIK");
        let kawin = match umur {
            0..=16 => StatusPerkawinan::BelumKawin,
            17..=24 if rng.gen_bool(0.7) => StatusPerkawinan::BelumKawin,
            _ => match rng.gen_range(0..20) {
                0 => StatusPerkawinan::CeraiHidup,
                1 | 2 => StatusPerkawinan::CeraiMati,
                3 => StatusPerkawinan::BelumKawin,
                _ => StatusPerkawinan::Kawin,
            },
        };
        let depan = match jk {
            JenisKelamin::LakiLaki => DEPAN_L,
            JenisKelamin::Perempuan => DEPAN_P,
        };
        let nama = format!(
            "{} {}",
            depan[rng.gen_range(0..depan.len())],
            BELAKANG[rng.gen_range(0..BELAKANG.len())]
        )
        .trim()
        .to_owned();
        let status = match rng.gen_range(0..100) {
            0 | 1 => StatusPenduduk::Meninggal,
            2 => StatusPenduduk::Pindah,
            _ => StatusPenduduk::Aktif,
        };
        out.push(PendudukTerdaftar {
            penduduk: Penduduk {
                nik,
                no_kk,
                nama,
                tempat_lahir: NAGARI[rng.gen_range(0..NAGARI.len())].to_owned(),
                tanggal_lahir: lahir,
                jenis_kelamin: jk,
                status_perkawinan: kawin,
                alamat,
                rt,
                rw,
                nagari,
                kecamatan: kec,
            },
            agama: if rng.gen_range(0..100) < 98 {
                Agama::Islam
            } else {
                Agama::Kristen
            },
            pekerjaan: PEKERJAAN[rng.gen_range(0..PEKERJAAN.len())].to_owned(),
            status,
        });
    }
    out
}

/// The SIAK word of each value, as an extract writes it.
fn siak_jk(j: JenisKelamin) -> &'static str {
    match j {
        JenisKelamin::LakiLaki => "LAKI-LAKI",
        JenisKelamin::Perempuan => "PEREMPUAN",
    }
}

fn siak(word: &str) -> String {
    word.replace('_', " ").to_uppercase()
}

fn csv_value(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One resident as an extract line (columns in [`KOLOM`] order, dates `DD-MM-YYYY`).
pub fn baris_csv(p: &PendudukTerdaftar) -> String {
    let d = &p.penduduk;
    [
        d.nik.to_string(),
        d.no_kk.to_string(),
        csv_value(&d.nama),
        csv_value(&d.tempat_lahir),
        d.tanggal_lahir.format("%d-%m-%Y").to_string(),
        siak_jk(d.jenis_kelamin).to_owned(),
        siak(d.status_perkawinan.as_str()),
        siak(p.agama.as_str()),
        csv_value(&p.pekerjaan),
        csv_value(&d.alamat),
        format!("{:03}", d.rt),
        format!("{:03}", d.rw),
        csv_value(&d.nagari),
        d.kecamatan.dotted(),
        siak(p.status.as_str()),
    ]
    .join(",")
}

/// A whole extract file: the header line and one line per resident.
pub fn csv(penduduk: &[PendudukTerdaftar]) -> String {
    let mut out = String::with_capacity(64 + penduduk.len() * 170);
    out.push_str(&KOLOM.join(","));
    out.push('\n');
    for p in penduduk {
        out.push_str(&baris_csv(p));
        out.push('\n');
    }
    out
}
