//! Benchmarks of the domain core: NIK parsing, one workflow transition, replaying a whole
//! application (what the hub does for every incoming document) and its JSON round trip.
//! Run: `cargo bench -p rekam-shared --bench domain_workflow -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::workflow::{Aksi, Keadaan, NomorAntrian, Peran, Peristiwa, Permohonan, apply};

fn penduduk() -> Penduduk {
    Penduduk {
        nik: "1301075208050003".parse().unwrap(),
        no_kk: "1301071504190007".parse().unwrap(),
        nama: "Siti Rahmah".into(),
        tempat_lahir: "Tarusan".into(),
        tanggal_lahir: NaiveDate::from_ymd_opt(2005, 8, 12).unwrap(),
        jenis_kelamin: JenisKelamin::Perempuan,
        status_perkawinan: StatusPerkawinan::BelumKawin,
        alamat: "Kampung Baru".into(),
        rt: 1,
        rw: 3,
        nagari: "Nanggalo".into(),
        kecamatan: "130107".parse().unwrap(),
    }
}

fn events() -> Vec<Peristiwa> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    let reg = Peran::OperatorRegistrasi;
    let rek = Peran::OperatorPerekaman;
    [
        (reg, Aksi::PermohonanDibuat),
        (reg, Aksi::BerkasDiterima),
        (reg, Aksi::BerkasBenar),
        (
            reg,
            Aksi::NomorAntrianDiberikan {
                nomor_antrian: NomorAntrian(7),
            },
        ),
        (rek, Aksi::Dipanggil),
        (
            rek,
            Aksi::PerekamanBerhasil {
                nomor_bukti: "TBP-1".into(),
            },
        ),
        (rek, Aksi::DiterimaPenduduk),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (peran, aksi))| {
        let e = Peristiwa::new(t0 + TimeDelta::minutes(2 * i as i64), "op", peran, aksi);
        if matches!(e.aksi, Aksi::PerekamanBerhasil { .. }) {
            e.dengan_kelengkapan(rekam_shared::workflow::Kelengkapan::semua_terekam(80))
        } else {
            e
        }
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    c.bench_function("nik_parse", |b| {
        b.iter(|| black_box("1301075208050003").parse::<Nik>().unwrap())
    });
    let ev = events();
    let state = Permohonan::replay(
        "id",
        "130107".parse().unwrap(),
        penduduk(),
        ev[..4].to_vec(),
    )
    .unwrap()
    .keadaan()
    .clone();
    c.bench_function("apply_one_transition", |b| {
        b.iter(|| apply(black_box(&state), black_box(&ev[4])).unwrap())
    });
    c.bench_function("replay_7_events", |b| {
        b.iter(|| {
            let mut k = Keadaan::awal();
            for e in black_box(&ev) {
                k = apply(&k, e).unwrap();
            }
            k
        })
    });
    let p = Permohonan::replay("id", "130107".parse().unwrap(), penduduk(), ev.clone()).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    c.bench_function("permohonan_json_decode_and_replay", |b| {
        b.iter(|| serde_json::from_str::<Permohonan>(black_box(&json)).unwrap())
    });
    c.bench_function("riwayat_langkah", |b| {
        b.iter(|| black_box(&p).riwayat_langkah())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
