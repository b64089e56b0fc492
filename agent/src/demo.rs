//! Demo history (`rekam-agent demo-riwayat`): months of past visits at one office, for the
//! demo's dashboard to show something true to look at.
//!
//! Every visit goes through the desk's own operations (the same functions the JSON API and the
//! pages call: SOP state machine, device captures from the running device simulator, the
//! step-2 biometric check, audit), only with the office clock moved to the past visit's
//! moments. So the history is as valid as a real one: the hub replays and deduplicates it
//! like any other. Run it on a stopped office (it takes the data-folder lock) with the device
//! simulator running; deterministic for a given seed.
//!
//! Per visit, with the seed's dice: the resident's age and marital status (a few under 17 and
//! never married: returned as not eligible), documents sometimes incomplete (returned), step
//! durations spread around the SOP's standards with a late reason when over, a few failed
//! recordings (re-queued and recorded later, or left failed), a few fingers excepted
//! (amputasi, cacat/luka, diperban), most residents handed their proof of recording.

use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::{self, Operator};
use crate::clock::Clock;
use crate::config::Config;
use crate::desk::Ctx;
use crate::desk::input::PendudukInput;
use crate::desk::perekaman::{self, GagalInput, PanggilInput, PengecualianInput};
use crate::desk::registrasi::{self, BerkasInput, BuatInput, TerlambatInput};
use crate::peran::Peran;
use crate::web::AppState;
use rekam_shared::workflow::Langkah;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Rencana {
    /// The office's config file (as for `serve`).
    pub config: PathBuf,
    /// Days of history, ending yesterday (office time).
    pub hari: u32,
    /// Mean visits per working day (Monday to Friday; Saturdays a third of it).
    pub per_hari: u32,
    /// Dice seed (the same seed gives the same history).
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Laporan {
    /// Applications opened.
    pub permohonan: u64,
    /// Proofs of recording issued.
    pub terekam: u64,
    /// Returned at steps 1-2 (documents, eligibility, already recorded).
    pub dikembalikan: u64,
    /// Failed recordings.
    pub gagal: u64,
    /// Fingers excepted.
    pub pengecualian: u64,
    /// Steps over their time standard (with a late reason).
    pub terlambat: u64,
}

const NAMA_DEPAN_L: &[&str] = &[
    "Rahmat", "Yusuf", "Andi", "Fajar", "Budi", "Irwan", "Syahrul", "Zulkifli", "Afrizal",
    "Hendra", "Rizki", "Doni", "Arif", "Yudi", "Fauzan", "Ilham", "Reza", "Aldi", "Putra", "Edi",
];
const NAMA_DEPAN_P: &[&str] = &[
    "Siti",
    "Nurhayati",
    "Dewi",
    "Rahmawati",
    "Yulia",
    "Fitri",
    "Rina",
    "Yenni",
    "Desi",
    "Sri",
    "Mega",
    "Novi",
    "Lisa",
    "Rini",
    "Wati",
    "Elvi",
    "Yuliani",
    "Nelly",
    "Syafitri",
    "Zulaikha",
];
const NAMA_BELAKANG: &[&str] = &[
    "Hidayat",
    "Saputra",
    "Efendi",
    "Putri",
    "Sari",
    "Rahman",
    "Syafri",
    "Chaniago",
    "Piliang",
    "Koto",
    "Tanjung",
    "Sikumbang",
    "Jambak",
    "Caniago",
    "Melayu",
    "Pulungan",
    "Nasution",
    "Harahap",
    "Yusra",
    "Marlina",
];
const TEMPAT_LAHIR: &[&str] = &[
    "Painan",
    "Padang",
    "Tapan",
    "Balai Selasa",
    "Kambang",
    "Surantih",
];

/// The office's nagari names for its residents' addresses (a few per kecamatan).
fn nagari_untuk(kecamatan: &str) -> &'static [&'static str] {
    match kecamatan {
        "130101" => &["Air Haji", "Inderapura", "Tluk Amplu", "Sindang"],
        "130103" => &["Kambang", "Lakitan", "Pelangai"],
        "130105" => &["Painan", "Salido", "Bunga Pasang"],
        _ => &["Nagari Pertama", "Nagari Kedua"],
    }
}

/// A desk operation's error as the CLI reports it.
trait Meja<T> {
    fn meja(self) -> anyhow::Result<T>;
}

impl<T> Meja<T> for Result<T, crate::web::error::ApiError> {
    fn meja(self) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::anyhow!(
                "{} ({}{})",
                e.error,
                e.status,
                e.field.map(|f| format!(", field {f}")).unwrap_or_default()
            )
        })
    }
}

/// Writes the history into the office's database.
pub async fn jalankan(r: &Rencana) -> anyhow::Result<Laporan> {
    let config =
        Config::from_file(&r.config).with_context(|| format!("config {}", r.config.display()))?;
    let (_lock, db) = crate::cli::open_for_serve(&config)?;
    let ops = db
        .read(|c| auth::list_operators(c).map_err(|e| crate::db::DbError::Task(e.to_string())))
        .await?;
    let pilih = |peran: Peran| {
        ops.iter()
            .find(|(o, disabled)| o.peran == peran && !disabled)
            .map(|(o, _)| o.clone())
            .with_context(|| format!("no active operator with role {}", peran.as_str()))
    };
    // Every visit a different person at the scanners (the simulator's automatic subject).
    let sim = config
        .device_url
        .clone()
        .context("the demo history needs device_url (the device simulator) in the config")?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()?
        .post(format!("{}/sim/subjek", sim.trim_end_matches('/')))
        .json(&serde_json::json!({ "subjek": 0 }))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("device simulator at {sim}"))?;
    let reg = pilih(Peran::OperatorRegistrasi)?;
    let rek = pilih(Peran::OperatorPerekaman)?;
    let clock = Clock::default();
    let state = AppState::new(config, db, clock.clone()).await?;
    let tz = state.config.offset();
    let kecamatan = state.config.kecamatan.to_string();
    let mut rng = StdRng::seed_from_u64(r.seed);
    let mut laporan = Laporan::default();
    let kemarin = state.today() - Days::new(1);
    // Running numbers from 100: the hand-entered demo residents (deploy/demo-seed.sh) use 1-7.
    let mut urut = 99u32;
    for d in (0..r.hari).rev() {
        let hari = kemarin - Days::new(u64::from(d));
        let n = kunjungan_hari(&mut rng, hari, r.per_hari);
        // Opening time 08:00 local; visits arrive every few minutes.
        let buka = hari
            .and_hms_opt(8, 0, 0)
            .expect("valid time")
            .and_local_timezone(tz)
            .single()
            .expect("fixed offset")
            .with_timezone(&Utc);
        let mut t = buka;
        for _ in 0..n {
            urut += 1;
            t += TimeDelta::seconds(rng.gen_range(60..900));
            let v = Kunjungan {
                state: &state,
                clock: &clock,
                reg: &reg,
                rek: &rek,
                kecamatan: &kecamatan,
            };
            v.satu(&mut rng, t, hari, urut, &mut laporan)
                .await
                .with_context(|| format!("visit {urut} on {hari}"))?;
        }
    }
    Ok(laporan)
}

/// Visits on `hari`: none on Sundays, a third on Saturdays, `per_hari` +-30 % otherwise.
fn kunjungan_hari(rng: &mut StdRng, hari: NaiveDate, per_hari: u32) -> u32 {
    use chrono::Datelike;
    let dasar = match hari.weekday() {
        chrono::Weekday::Sun => return 0,
        chrono::Weekday::Sat => per_hari / 3,
        _ => per_hari,
    };
    let lebar = (dasar * 3 / 10).max(1);
    rng.gen_range(dasar.saturating_sub(lebar)..=dasar + lebar)
}

struct Kunjungan<'a> {
    state: &'a AppState,
    clock: &'a Clock,
    reg: &'a Operator,
    rek: &'a Operator,
    kecamatan: &'a str,
}

impl Kunjungan<'_> {
    fn ctx<'b>(&'b self, op: &'b Operator) -> Ctx<'b> {
        Ctx {
            state: self.state,
            op,
            idem: None,
        }
    }

    /// Starts an SOP step at `t`: its whole duration is drawn here, around the step's standard.
    fn langkah(&self, rng: &mut StdRng, t: DateTime<Utc>, langkah: Langkah) -> Jalan {
        let batas = langkah.batas_menit() * 60;
        // Mostly within the standard; one step in eight runs over by up to ten minutes.
        let lama = if rng.gen_bool(0.125) {
            batas + rng.gen_range(30..600)
        } else {
            rng.gen_range(40..(batas - 10))
        };
        let alasan = ["antrian_panjang", "gangguan_teknis", "penduduk_tidak_hadir"];
        Jalan {
            mulai: t,
            lama: TimeDelta::seconds(lama),
            batas: TimeDelta::seconds(batas),
            alasan: alasan[rng.gen_range(0..alasan.len())],
            dihitung: false,
        }
    }

    /// Moves the office clock to `bagian` (0..=1) of the step's duration and returns the late
    /// reason its action must carry: a reason once the step has run over its standard (the SOP
    /// state machine requires one on the event that closes a late step), none before.
    fn ke(&self, jalan: &mut Jalan, bagian: f64, laporan: &mut Laporan) -> TerlambatInput {
        let detik = (jalan.lama.num_seconds() as f64 * bagian).round() as i64;
        let t = jalan.mulai + TimeDelta::seconds(detik);
        self.clock.pindah_ke(t);
        if t - jalan.mulai > jalan.batas {
            if !jalan.dihitung {
                jalan.dihitung = true;
                laporan.terlambat += 1;
            }
            TerlambatInput {
                alasan_terlambat: jalan.alasan.to_owned(),
                keterangan_terlambat: String::new(),
            }
        } else {
            TerlambatInput::default()
        }
    }

    async fn satu(
        &self,
        rng: &mut StdRng,
        mulai: DateTime<Utc>,
        hari: NaiveDate,
        urut: u32,
        laporan: &mut Laporan,
    ) -> anyhow::Result<()> {
        self.clock.pindah_ke(mulai);
        let (penduduk, berkas) = penduduk_acak(rng, self.kecamatan, hari, urut);
        let h = registrasi::buat(self.ctx(self.reg), BuatInput { penduduk })
            .await
            .meja()?;
        laporan.permohonan += 1;
        let id = h.view["id"].as_str().unwrap_or_default().to_owned();
        // Step 1: the documents handed in.
        let mut l1 = self.langkah(rng, mulai, Langkah::PenyerahanBerkas);
        let terlambat = self.ke(&mut l1, 1.0, laporan);
        registrasi::terima_berkas(
            self.ctx(self.reg),
            &id,
            BerkasInput {
                berkas: berkas.clone(),
                terlambat,
            },
        )
        .await
        .meja()?;
        // Step 2: the documents check decides (checklist and eligibility) at two thirds of the
        // step: a resident under 17 never married, or without the family card, gets the
        // documents back with the reason; then the biometric check.
        let mut l2 = self.langkah(rng, l1.akhir(), Langkah::PemeriksaanBerkas);
        let terlambat = self.ke(&mut l2, 0.66, laporan);
        let h =
            registrasi::periksa_berkas(self.ctx(self.reg), &id, BerkasInput { berkas, terlambat })
                .await
                .meja()?;
        if h.view["status"] != "pengecekan_biometrik" {
            laporan.dikembalikan += 1;
            return Ok(());
        }
        let terlambat = self.ke(&mut l2, 1.0, laporan);
        let h = registrasi::cek_biometrik(self.ctx(self.reg), &id, terlambat)
            .await
            .meja()?;
        if h.view["status"] != "menunggu_perekaman" {
            // Found already recorded (the SOP's "sudah rekam" branch).
            laporan.dikembalikan += 1;
            return Ok(());
        }
        // Step 3 (the wait in the queue counts), possibly twice after a failed recording.
        let mut awal = l2.akhir();
        for percobaan in 0..2 {
            let mut l3 = self.langkah(rng, awal, Langkah::Perekaman);
            let terlambat = self.ke(&mut l3, 0.4, laporan);
            perekaman::panggil(
                self.ctx(self.rek),
                Some(&id),
                PanggilInput {
                    loket: "1".into(),
                    terlambat,
                },
            )
            .await
            .meja()?;
            if percobaan == 0 && rng.gen_bool(0.04) {
                let terlambat = self.ke(&mut l3, 1.0, laporan);
                perekaman::gagal(
                    self.ctx(self.rek),
                    &id,
                    GagalInput {
                        alasan: "gangguan_teknis".into(),
                        keterangan: String::new(),
                        terlambat,
                    },
                )
                .await
                .meja()?;
                laporan.gagal += 1;
                if rng.gen_bool(0.5) {
                    return Ok(()); // left failed: the resident will come back another day
                }
                // Back at registration (step 2 again) for a new queue number.
                let mut ulang = self.langkah(rng, l3.akhir(), Langkah::PemeriksaanBerkas);
                let terlambat = self.ke(&mut ulang, 1.0, laporan);
                registrasi::antrian_ulang(self.ctx(self.reg), &id, terlambat)
                    .await
                    .meja()?;
                awal = ulang.akhir();
                continue;
            }
            for (i, m) in perekaman::MODALITAS.into_iter().enumerate() {
                self.ke(&mut l3, 0.45 + 0.05 * i as f64, laporan);
                perekaman::rekam(self.ctx(self.rek), &id, m).await.meja()?;
            }
            if rng.gen_bool(0.02) {
                let posisi = ["left-little", "right-little", "left-ring"][rng.gen_range(0..3)];
                let alasan = ["amputasi", "cacat_luka", "diperban"][rng.gen_range(0..3)];
                perekaman::kecualikan(
                    self.ctx(self.rek),
                    &id,
                    PengecualianInput {
                        posisi: posisi.into(),
                        alasan: alasan.into(),
                        keterangan: String::new(),
                        foto: base64::engine::general_purpose::STANDARD
                            .encode(crate::device::sim::PHOTO_JPEG),
                    },
                )
                .await
                .meja()?;
                laporan.pengecualian += 1;
            }
            let terlambat = self.ke(&mut l3, 1.0, laporan);
            perekaman::berhasil(self.ctx(self.rek), &id, terlambat)
                .await
                .meja()?;
            laporan.terekam += 1;
            // Step 4: most residents take their proof at once.
            if rng.gen_bool(0.9) {
                let mut l4 = self.langkah(rng, l3.akhir(), Langkah::PenerimaanBerkas);
                let terlambat = self.ke(&mut l4, 1.0, laporan);
                perekaman::serahkan(self.ctx(self.rek), &id, terlambat)
                    .await
                    .meja()?;
            }
            return Ok(());
        }
        Ok(())
    }
}

/// One SOP step of a visit as the dice drew it.
struct Jalan {
    /// When the step began (the moment of the event that closed the step before).
    mulai: DateTime<Utc>,
    /// How long the whole step takes.
    lama: TimeDelta,
    /// The step's time standard.
    batas: TimeDelta,
    /// The late reason its operator gives if it runs over.
    alasan: &'static str,
    /// Whether it has been counted as late in the report.
    dihitung: bool,
}

impl Jalan {
    /// The moment the step ends (where the next begins).
    fn akhir(&self) -> DateTime<Utc> {
        self.mulai + self.lama
    }
}

/// A resident of the office's kecamatan and the documents they bring: NIK from the birth date
/// (women +40 on the day) and a running number, so every NIK of the history is distinct and
/// valid. One in twenty forgets the family card; a married resident under 17 brings the
/// marriage book.
fn penduduk_acak(
    rng: &mut StdRng,
    kecamatan: &str,
    hari: NaiveDate,
    urut: u32,
) -> (PendudukInput, Vec<String>) {
    let perempuan = rng.gen_bool(0.5);
    // Ages: most 17-60, some older, a few 15-16 (some of them married).
    let umur_hari: u64 = match rng.gen_range(0..100) {
        0..=4 => rng.gen_range(15 * 365..17 * 365 - 10),
        5..=84 => rng.gen_range(17 * 365 + 5..60 * 365),
        _ => rng.gen_range(60 * 365..85 * 365),
    };
    let lahir = hari - Days::new(umur_hari);
    let umur = umur_hari / 365;
    // Under 25 (the few under 17 included: married ones are eligible with their marriage book)
    // three in ten are married.
    let status = if umur < 25 {
        if rng.gen_bool(0.3) {
            "kawin"
        } else {
            "belum_kawin"
        }
    } else {
        [
            "kawin",
            "kawin",
            "kawin",
            "belum_kawin",
            "cerai_hidup",
            "cerai_mati",
        ][rng.gen_range(0..6)]
    };
    use chrono::Datelike;
    let dd = lahir.day() + if perempuan { 40 } else { 0 };
    let nik = format!(
        "{kecamatan}{dd:02}{:02}{:02}{:04}",
        lahir.month(),
        lahir.year() % 100,
        (urut % 9999) + 1
    );
    let depan = if perempuan {
        NAMA_DEPAN_P
    } else {
        NAMA_DEPAN_L
    };
    let nama = format!(
        "{} {}",
        depan[rng.gen_range(0..depan.len())],
        NAMA_BELAKANG[rng.gen_range(0..NAMA_BELAKANG.len())]
    );
    let nagari = nagari_untuk(kecamatan);
    let mut berkas = vec!["hadir_sendiri".to_owned()];
    if !rng.gen_bool(0.05) {
        berkas.push("kk".to_owned());
    }
    if umur < 17 && status == "kawin" {
        berkas.push("buku_nikah".to_owned());
    }
    let p = PendudukInput {
        nik,
        no_kk: format!("{kecamatan}150319{:04}", urut % 10_000),
        nama,
        tempat_lahir: TEMPAT_LAHIR[rng.gen_range(0..TEMPAT_LAHIR.len())].to_owned(),
        tanggal_lahir: lahir.to_string(),
        jenis_kelamin: if perempuan { "perempuan" } else { "laki_laki" }.to_owned(),
        status_perkawinan: status.to_owned(),
        alamat: format!("Jl. Raya No. {}", rng.gen_range(1..200)),
        rt: format!("{:03}", rng.gen_range(1..10)),
        rw: format!("{:03}", rng.gen_range(1..6)),
        nagari: nagari[rng.gen_range(0..nagari.len())].to_owned(),
        kecamatan: kecamatan.to_owned(),
    };
    (p, berkas)
}
