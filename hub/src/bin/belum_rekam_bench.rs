//! Belum-rekam figures (docs/population-register.md): a synthetic register of N residents of
//! every kecamatan (`hub::penduduk::contoh`, deterministic seed) imported into a real SQLite hub
//! file, R recordings of residents who must hold a KTP-el written into the statistics read model
//! (half of them also in the district index), then each question timed `--ulang` times (best
//! and median): the district's counts and first page, one kecamatan, one nagari, the whole
//! district list as an export, the overview's register target, and the page rendered.
//!
//! `cargo run -p rekam-hub --bin rekam-belum-rekam-bench -- --penduduk 350000 --rekaman 20000`

use std::time::Instant;

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rekam_hub::penduduk::{self, belum_rekam, contoh};
use rekam_hub::statistik::baris::{BarisPermohonan, BarisStatistik};
use rekam_hub::storage::Storage as _;
use rekam_hub::storage::sqlite::SqliteStorage;
use rekam_shared::region::KECAMATAN_PESISIR_SELATAN;

#[derive(Parser)]
struct Args {
    /// Residents in the synthetic register.
    #[arg(long, default_value_t = 350_000)]
    penduduk: usize,
    /// Successful recordings of residents who must hold a KTP-el.
    #[arg(long, default_value_t = 20_000)]
    rekaman: usize,
    /// Runs of each question.
    #[arg(long, default_value_t = 3)]
    ulang: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn baris(id: String, kecamatan: String, nik: String) -> BarisStatistik {
    BarisStatistik {
        permohonan: BarisPermohonan {
            permohonan_id: id,
            kecamatan,
            nagari: None,
            status: "terekam".into(),
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
            dedup: Some("unik".into()),
            dedup_jenis: None,
            nik: Some(nik),
        },
        langkah: Vec::new(),
        penduduk: None,
    }
}

fn ukur<T>(
    nama: &str,
    ulang: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut ms = Vec::new();
    let mut last = None;
    for _ in 0..ulang.max(1) {
        let t = Instant::now();
        last = Some(f()?);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "{nama}: terbaik {:.0} ms, median {:.0} ms",
        ms[0],
        ms[ms.len() / 2]
    );
    Ok(last.expect("at least one run"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let hari_ini = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("valid date");
    let dir = std::env::temp_dir().join(format!("rekam-belum-rekam-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "build: {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let kec: Vec<_> = KECAMATAN_PESISIR_SELATAN.iter().map(|k| k.kode).collect();
    let t = Instant::now();
    let rows = contoh::contoh(&kec, args.penduduk, args.seed, hari_ini);
    println!(
        "register sintetis: {} penduduk, {:.0} % di bawah 17 tahun ({:.1} s)",
        rows.len(),
        100.0 * contoh::bagian_di_bawah_17(&rows, hari_ini),
        t.elapsed().as_secs_f64()
    );
    let storage = SqliteStorage::open(&dir.join("hub.db"))?;
    let t = Instant::now();
    penduduk::terapkan(&storage, &rows, "bench", "bench.csv", &mut |_, _| {})?;
    println!("impor: {:.1} s", t.elapsed().as_secs_f64());

    // Recordings of residents who must hold a KTP-el, in random kecamatan.
    let mut rng = StdRng::seed_from_u64(args.seed);
    let wajib: Vec<_> = rows.iter().filter(|p| p.wajib_ktp_el(hari_ini)).collect();
    let mut dipilih = std::collections::BTreeSet::new();
    while dipilih.len() < args.rekaman.min(wajib.len()) {
        dipilih.insert(rng.gen_range(0..wajib.len()));
    }
    let t = Instant::now();
    storage.transaction(&mut |tx| {
        for (n, &i) in dipilih.iter().enumerate() {
            let p = &wajib[i].penduduk;
            let k = kec[n % kec.len()].to_string();
            let id = format!("{k}-bench-{n}");
            tx.statistik_tulis(&baris(id.clone(), k.clone(), p.nik.to_string()))?;
            if n % 2 == 0 {
                tx.index_put(
                    &id,
                    Some(&rekam_shared::index::IsiIndeks {
                        kecamatan: k,
                        tanggal_rekam: "2026-11-20T01:00:00Z".into(),
                        nik: p.nik.to_string(),
                        keputusan: Some("unik".into()),
                        kunci: vec![1],
                    }),
                )?;
            }
        }
        Ok(())
    })?;
    println!(
        "{} rekaman ditulis: {:.1} s",
        dipilih.len(),
        t.elapsed().as_secs_f64()
    );

    let tanya = |kecamatan: Option<&str>, nagari: Option<&str>, halaman: Option<usize>| {
        let s = belum_rekam::Saring {
            pada: hari_ini,
            kecamatan: kecamatan.map(str::to_owned),
            nagari: nagari.map(str::to_owned),
            halaman,
        };
        let mut out = None;
        storage.transaction(&mut |tx| {
            out = Some(belum_rekam::hitung(tx, &s)?);
            Ok(())
        })?;
        anyhow::Ok((s, out.expect("answer")))
    };
    let (_, b) = ukur("kabupaten, jumlah + halaman 1", args.ulang, || {
        tanya(None, None, Some(1))
    })?;
    anyhow::ensure!(
        b.total.wajib == wajib.len() as u64 && b.total.terekam == dipilih.len() as u64,
        "counts differ: {:?} vs {} wajib, {} recorded",
        b.total,
        wajib.len(),
        dipilih.len()
    );
    println!(
        "  wajib {}, terekam {}, belum {}, 17 dalam 30 hari {}",
        b.total.wajib, b.total.terekam, b.total.belum, b.total.segera_17
    );
    let k = kec[4].to_string();
    let (_, bk) = ukur("satu kecamatan, halaman 1", args.ulang, || {
        tanya(Some(&k), None, Some(1))
    })?;
    let n = bk.per_nagari[0].nagari.clone();
    ukur("satu nagari, halaman 1", args.ulang, || {
        tanya(Some(&k), Some(&n), Some(1))
    })?;
    let (_, semua) = ukur("kabupaten, seluruh daftar (ekspor)", args.ulang, || {
        tanya(None, None, None)
    })?;
    println!("  daftar {} penduduk", semua.daftar.len());
    let t = rekam_hub::web::tampilan::Teks::ID;
    ukur("ekspor XLSX seluruh kabupaten (tabel + berkas)", 1, || {
        let tb = rekam_hub::web::belum_rekam::tabel(&t, &semua);
        Ok(rekam_hub::web::ekspor::xlsx(&tb)?.len())
    })?;
    let (s, b) = tanya(None, None, Some(1))?;
    ukur("halaman (render maud)", args.ulang, || {
        Ok(rekam_hub::web::belum_rekam::halaman(&t, None, &s, &b, &[])
            .into_string()
            .len())
    })?;
    ukur(
        "target cakupan dari register (ikhtisar)",
        args.ulang,
        || Ok(rekam_hub::statistik::kueri::target_register(&storage, hari_ini)?.len()),
    )?;
    let db = std::fs::metadata(dir.join("hub.db"))?.len();
    println!("berkas SQLite hub: {:.1} MB", db as f64 / 1e6);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
