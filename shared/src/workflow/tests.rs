//! Unit tests of the SOP state machine: every branch, roles, time standards, payloads, serde.

use super::*;
use crate::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use chrono::{NaiveDate, TimeZone};

const REG: Peran = Peran::OperatorRegistrasi;
const REK: Peran = Peran::OperatorPerekaman;
const KEP: Peran = Peran::KepalaUkl;

fn t(menit: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap() + TimeDelta::minutes(menit)
}

fn ev(menit: i64, peran: Peran, aksi: Aksi) -> Peristiwa {
    let op = match peran {
        Peran::OperatorRegistrasi => "rina",
        Peran::OperatorPerekaman => "budi",
        Peran::KepalaUkl => "kepala",
    };
    lengkap(Peristiwa::new(t(menit), op, peran, aksi))
}

/// A "perekaman berhasil" event gets a complete kelengkapan (every modality captured); the
/// tests of the completeness rule build their own.
fn lengkap(e: Peristiwa) -> Peristiwa {
    if matches!(e.aksi, Aksi::PerekamanBerhasil { .. }) {
        e.dengan_kelengkapan(Kelengkapan::semua_terekam(80))
    } else {
        e
    }
}

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

fn baru() -> Permohonan {
    Permohonan::new(
        "01JD000000000000000000TEST",
        "130107".parse().unwrap(),
        penduduk(),
    )
}

fn antrian(n: u32) -> Aksi {
    Aksi::NomorAntrianDiberikan {
        nomor_antrian: NomorAntrian(n),
    }
}

fn berhasil(b: &str) -> Aksi {
    Aksi::PerekamanBerhasil {
        nomor_bukti: b.into(),
    }
}

fn gagal(a: AlasanGagal) -> Aksi {
    Aksi::PerekamanGagal { alasan: a }
}

fn tolak(a: AlasanPenolakan) -> Aksi {
    Aksi::BerkasDitolak { alasan: a }
}

/// Applies events, panicking with context on refusal (test helper only).
fn jalan(p: &mut Permohonan, events: Vec<Peristiwa>) {
    for e in events {
        let name = e.aksi.jenis().nama();
        if let Err(err) = p.apply(e) {
            panic!("{name} refused: {err}");
        }
    }
}

/// One event of every kind, with plausible payloads, dated at `menit`, fired by the kepala.
fn every_event(menit: i64) -> Vec<Peristiwa> {
    vec![
        ev(menit, KEP, Aksi::PermohonanDibuat),
        ev(menit, KEP, Aksi::BerkasDiterima),
        ev(menit, KEP, tolak(AlasanPenolakan::BerkasTidakLengkap)),
        ev(menit, KEP, Aksi::BerkasBenar),
        ev(
            menit,
            KEP,
            Aksi::SudahPernahRekam {
                keterangan: "x".into(),
            },
        ),
        ev(menit, KEP, antrian(1)),
        ev(menit, KEP, Aksi::Dipanggil),
        ev(menit, KEP, berhasil("B-1")),
        ev(menit, KEP, gagal(AlasanGagal::GangguanTeknis)),
        ev(menit, KEP, Aksi::DiterimaPenduduk),
    ]
}

#[test]
fn success_path_and_hand_over() {
    let mut p = baru();
    assert_eq!(p.status(), &Status::Baru);
    jalan(&mut p, vec![ev(0, REG, Aksi::PermohonanDibuat)]);
    assert_eq!(p.status(), &Status::PenyerahanBerkas);
    assert_eq!(p.langkah_sekarang(), Some(Langkah::PenyerahanBerkas));
    jalan(
        &mut p,
        vec![
            ev(2, REG, Aksi::BerkasDiterima),
            ev(5, REG, Aksi::BerkasBenar),
            ev(8, REG, antrian(7)),
        ],
    );
    assert_eq!(
        p.status(),
        &Status::MenungguPerekaman {
            nomor_antrian: NomorAntrian(7)
        }
    );
    assert_eq!(p.nomor_antrian(), Some(NomorAntrian(7)));
    jalan(&mut p, vec![ev(10, REK, Aksi::Dipanggil)]);
    assert_eq!(
        p.status(),
        &Status::Dipanggil {
            nomor_antrian: NomorAntrian(7)
        }
    );
    jalan(&mut p, vec![ev(16, REK, berhasil("TBP-130107-0001"))]);
    assert_eq!(
        p.status(),
        &Status::Terekam {
            nomor_bukti: "TBP-130107-0001".into()
        }
    );
    assert_eq!(p.langkah_sekarang(), Some(Langkah::PenerimaanBerkas));
    jalan(&mut p, vec![ev(18, REK, Aksi::DiterimaPenduduk)]);
    assert_eq!(
        p.status(),
        &Status::Diserahkan {
            nomor_bukti: "TBP-130107-0001".into()
        }
    );
    assert!(p.status().selesai());
    assert_eq!(p.langkah_sekarang(), None);
    assert_eq!(p.keadaan().langkah_mulai, None);

    let r = p.riwayat_langkah();
    let got: Vec<_> = r.iter().map(|d| (d.langkah.nomor(), d.detik)).collect();
    assert_eq!(
        got,
        [
            (1, Some(120)),
            (2, Some(360)),
            (3, Some(480)),
            (4, Some(120))
        ]
    );
    assert!(r.iter().all(|d| !d.terlambat));
    assert_eq!(r[2].operator_selesai.as_deref(), Some("budi"));
    assert_eq!(p.dibuka_pada(), Some(t(0)));
}

#[test]
fn documents_not_correct_are_returned_at_step_two() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(4, REG, tolak(AlasanPenolakan::BerkasTidakBenar)),
        ],
    );
    assert_eq!(
        p.status(),
        &Status::BerkasDikembalikan {
            alasan: AlasanPenolakan::BerkasTidakBenar
        }
    );
    assert!(p.status().selesai());
    assert_eq!(p.riwayat_langkah().len(), 2);
}

#[test]
fn incomplete_documents_are_returned_at_step_one() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, tolak(AlasanPenolakan::TidakHadirSendiri)),
        ],
    );
    assert!(p.status().selesai());
    let r = p.riwayat_langkah();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].selesai, Some(t(1)));
}

#[test]
fn not_eligible_is_returned_with_its_reason() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, tolak(AlasanPenolakan::BelumMemenuhiSyarat)),
        ],
    );
    assert_eq!(
        p.status(),
        &Status::BerkasDikembalikan {
            alasan: AlasanPenolakan::BelumMemenuhiSyarat
        }
    );
}

#[test]
fn already_recorded_is_explained_and_returned() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(
                4,
                REG,
                Aksi::SudahPernahRekam {
                    keterangan: "iris cocok: perekaman 2019".into(),
                },
            ),
        ],
    );
    assert_eq!(
        p.status(),
        &Status::SudahRekam {
            keterangan: "iris cocok: perekaman 2019".into()
        }
    );
    assert!(p.status().selesai());
}

#[test]
fn failed_recording_goes_back_to_registration_then_requeued_then_success() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(4)),
            ev(5, REK, Aksi::Dipanggil),
            ev(9, REK, gagal(AlasanGagal::KualitasBiometrikBuruk)),
        ],
    );
    assert_eq!(
        p.status(),
        &Status::DikembalikanKeRegistrasi {
            alasan: AlasanGagal::KualitasBiometrikBuruk
        }
    );
    assert_eq!(p.langkah_sekarang(), Some(Langkah::PemeriksaanBerkas));
    // The registration operator re-queues with a new number.
    jalan(
        &mut p,
        vec![
            ev(11, REG, antrian(12)),
            ev(14, REK, Aksi::Dipanggil),
            ev(20, REK, berhasil("TBP-2")),
            ev(21, REK, Aksi::DiterimaPenduduk),
        ],
    );
    assert!(matches!(p.status(), Status::Diserahkan { nomor_bukti } if nomor_bukti == "TBP-2"));
    assert_eq!(p.nomor_antrian(), Some(NomorAntrian(12)));
    let steps: Vec<u8> = p
        .riwayat_langkah()
        .iter()
        .map(|d| d.langkah.nomor())
        .collect();
    assert_eq!(steps, [1, 2, 3, 2, 3, 4]);
}

#[test]
fn failed_recording_can_end_with_documents_returned() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(4)),
            // Called, did not answer: the recording desk hands the documents back.
            ev(6, REK, gagal(AlasanGagal::PendudukTidakHadir)),
            ev(7, REG, tolak(AlasanPenolakan::TidakDapatDirekam)),
        ],
    );
    assert!(matches!(p.status(), Status::BerkasDikembalikan { .. }));
}

#[test]
fn terminal_states_accept_nothing() {
    let terminals = [
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, tolak(AlasanPenolakan::BerkasTidakLengkap)),
        ],
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(
                3,
                REG,
                Aksi::SudahPernahRekam {
                    keterangan: String::new(),
                },
            ),
        ],
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(1)),
            ev(4, REK, Aksi::Dipanggil),
            ev(5, REK, berhasil("B")),
            ev(6, REK, Aksi::DiterimaPenduduk),
        ],
    ];
    for events in terminals {
        let mut p = baru();
        jalan(&mut p, events);
        assert!(p.status().selesai());
        assert!(p.status().aksi_berikut().is_empty());
        let before = p.clone();
        for e in every_event(7) {
            let err = p.apply(e).unwrap_err();
            assert!(
                matches!(err, WorkflowError::TransisiTidakSah { .. }),
                "{err}"
            );
        }
        assert_eq!(p, before, "a refused event changed the application");
    }
}

#[test]
fn invalid_transitions_name_state_and_event() {
    let mut p = baru();
    let err = p.apply(ev(0, REG, Aksi::BerkasBenar)).unwrap_err();
    assert_eq!(
        err,
        WorkflowError::TransisiTidakSah {
            status: "baru",
            aksi: "berkas_benar"
        }
    );
    assert_eq!(
        err.to_string(),
        "aksi 'berkas_benar' tidak boleh pada status 'baru'"
    );
    jalan(&mut p, vec![ev(0, REG, Aksi::PermohonanDibuat)]);
    // Cannot skip the document check straight to a queue number.
    assert_eq!(
        p.apply(ev(1, REG, antrian(1))).unwrap_err(),
        WorkflowError::TransisiTidakSah {
            status: "penyerahan_berkas",
            aksi: "nomor_antrian_diberikan"
        }
    );
    // Cannot open twice.
    assert!(p.apply(ev(1, REG, Aksi::PermohonanDibuat)).is_err());
}

#[test]
fn every_state_refuses_every_kind_outside_the_table() {
    // Walk to each non-terminal state, then try every kind of event.
    let prefixes: Vec<Vec<Peristiwa>> = vec![
        vec![],
        vec![ev(0, KEP, Aksi::PermohonanDibuat)],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
        ],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
            ev(0, KEP, Aksi::BerkasBenar),
        ],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
            ev(0, KEP, Aksi::BerkasBenar),
            ev(0, KEP, antrian(2)),
        ],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
            ev(0, KEP, Aksi::BerkasBenar),
            ev(0, KEP, antrian(2)),
            ev(0, KEP, Aksi::Dipanggil),
        ],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
            ev(0, KEP, Aksi::BerkasBenar),
            ev(0, KEP, antrian(2)),
            ev(0, KEP, gagal(AlasanGagal::GangguanTeknis)),
        ],
        vec![
            ev(0, KEP, Aksi::PermohonanDibuat),
            ev(0, KEP, Aksi::BerkasDiterima),
            ev(0, KEP, Aksi::BerkasBenar),
            ev(0, KEP, antrian(2)),
            ev(0, KEP, Aksi::Dipanggil),
            ev(0, KEP, berhasil("B")),
        ],
    ];
    let mut seen = Vec::new();
    for prefix in prefixes {
        let mut p = baru();
        jalan(&mut p, prefix);
        seen.push(p.status().nama());
        let allowed = p.status().aksi_berikut();
        for e in every_event(0) {
            let jenis = e.aksi.jenis();
            let r = apply(p.keadaan(), &e);
            if allowed.contains(&jenis) {
                let next =
                    r.unwrap_or_else(|err| panic!("{} {}: {err}", p.status().nama(), jenis.nama()));
                // The target is a real move (never the "unreachable" fallback).
                assert_ne!(next.status, p.keadaan().status, "{}", jenis.nama());
            } else {
                assert_eq!(
                    r,
                    Err(WorkflowError::TransisiTidakSah {
                        status: p.status().nama(),
                        aksi: jenis.nama()
                    })
                );
            }
        }
    }
    assert_eq!(
        seen,
        [
            "baru",
            "penyerahan_berkas",
            "berkas_diterima",
            "pengecekan_biometrik",
            "menunggu_perekaman",
            "dipanggil",
            "dikembalikan_ke_registrasi",
            "terekam"
        ]
    );
}

#[test]
fn roles_are_enforced() {
    let mut p = baru();
    // The recording operator may not open or check documents.
    assert_eq!(
        p.apply(ev(0, REK, Aksi::PermohonanDibuat)).unwrap_err(),
        WorkflowError::PeranTidakBerwenang {
            peran: REK,
            aksi: "permohonan_dibuat"
        }
    );
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
        ],
    );
    assert!(matches!(
        p.apply(ev(2, REK, Aksi::BerkasBenar)),
        Err(WorkflowError::PeranTidakBerwenang { .. })
    ));
    jalan(
        &mut p,
        vec![ev(2, REG, Aksi::BerkasBenar), ev(3, REG, antrian(3))],
    );
    // The registration operator may not call or record.
    assert_eq!(
        p.apply(ev(4, REG, Aksi::Dipanggil)).unwrap_err(),
        WorkflowError::PeranTidakBerwenang {
            peran: REG,
            aksi: "dipanggil"
        }
    );
    jalan(&mut p, vec![ev(4, REK, Aksi::Dipanggil)]);
    assert!(p.apply(ev(5, REG, berhasil("B"))).is_err());
    assert!(
        p.apply(ev(5, REG, gagal(AlasanGagal::GangguanTeknis)))
            .is_err()
    );
    // The kepala UKL covers the recording desk.
    jalan(&mut p, vec![ev(5, KEP, berhasil("B"))]);
    assert!(p.apply(ev(6, REG, Aksi::DiterimaPenduduk)).is_err());
    jalan(&mut p, vec![ev(6, REK, Aksi::DiterimaPenduduk)]);
    assert_eq!(p.peristiwa()[5].operator, "kepala");
}

#[test]
fn role_table() {
    for j in JenisAksi::SEMUA {
        assert!(Peran::KepalaUkl.boleh(j));
        // Exactly one operator role per kind.
        assert!(Peran::OperatorRegistrasi.boleh(j) ^ Peran::OperatorPerekaman.boleh(j));
    }
    for p in Peran::SEMUA {
        assert_eq!(p.as_str().parse::<Peran>().unwrap(), p);
        let snake = serde_json::to_string(&p).unwrap();
        assert_eq!(snake.trim_matches('"').parse::<Peran>().unwrap(), p);
    }
    assert!("operator".parse::<Peran>().is_err());
}

#[test]
fn late_step_without_reason_is_refused_with_reason_accepted() {
    // Step 1 limit 5 minutes.
    let mut p = baru();
    jalan(&mut p, vec![ev(0, REG, Aksi::PermohonanDibuat)]);
    assert!(!p.perlu_alasan_terlambat(t(5)));
    assert!(p.perlu_alasan_terlambat(t(6)));
    let err = p.apply(ev(6, REG, Aksi::BerkasDiterima)).unwrap_err();
    assert_eq!(
        err,
        WorkflowError::AlasanTerlambatWajib {
            langkah: 1,
            batas_menit: 5,
            menit: 6
        }
    );
    assert_eq!(p.peristiwa().len(), 1);
    jalan(
        &mut p,
        vec![ev(6, REG, Aksi::BerkasDiterima).terlambat(AlasanTerlambat::AntrianPanjang)],
    );
    // Step 2 limit 10 minutes, counted from BerkasDiterima (minute 6); exactly 10 is on time.
    jalan(
        &mut p,
        vec![ev(9, REG, Aksi::BerkasBenar), ev(16, REG, antrian(1))],
    );
    // Step 3 limit 10: from minute 16, closing at 27 is late.
    jalan(&mut p, vec![ev(20, REK, Aksi::Dipanggil)]);
    assert!(matches!(
        p.apply(ev(27, REK, berhasil("B"))),
        Err(WorkflowError::AlasanTerlambatWajib { langkah: 3, .. })
    ));
    jalan(
        &mut p,
        vec![ev(27, REK, berhasil("B")).terlambat(AlasanTerlambat::GangguanTeknis)],
    );
    // Step 4 limit 5.
    assert!(matches!(
        p.apply(ev(33, REK, Aksi::DiterimaPenduduk)),
        Err(WorkflowError::AlasanTerlambatWajib { langkah: 4, .. })
    ));
    jalan(
        &mut p,
        vec![
            ev(33, REK, Aksi::DiterimaPenduduk)
                .terlambat(AlasanTerlambat::Lainnya("printer macet".into())),
        ],
    );
    let r = p.riwayat_langkah();
    let late: Vec<_> = r.iter().map(|d| d.terlambat).collect();
    assert_eq!(late, [true, false, true, true]);
    assert_eq!(r[0].alasan_terlambat, Some(AlasanTerlambat::AntrianPanjang));
    assert!(p.terlambat(Langkah::PenyerahanBerkas));
    assert!(!p.terlambat(Langkah::PemeriksaanBerkas));
    assert!(p.terlambat(Langkah::PenerimaanBerkas));
}

#[test]
fn lateness_is_only_checked_when_a_step_closes() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            // Within step 2: no check, even after 30 minutes.
            ev(31, REG, Aksi::BerkasBenar),
        ],
    );
    assert!(matches!(
        p.apply(ev(32, REG, antrian(1))),
        Err(WorkflowError::AlasanTerlambatWajib {
            langkah: 2,
            menit: 31,
            ..
        })
    ));
    assert_eq!(p.lama_langkah_sekarang(t(32)), Some(TimeDelta::minutes(31)));
}

#[test]
fn re_entered_step_two_is_timed_from_the_failure() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(4)),
            ev(5, REK, Aksi::Dipanggil),
            ev(9, REK, gagal(AlasanGagal::GangguanTeknis)),
        ],
    );
    assert_eq!(p.keadaan().langkah_mulai, Some(t(9)));
    // 10 minutes after the failure: on time.
    jalan(&mut p, vec![ev(19, REG, antrian(4))]);
    assert_eq!(p.keadaan().langkah_mulai, Some(t(19)));
}

#[test]
fn time_cannot_go_backwards() {
    let mut p = baru();
    jalan(&mut p, vec![ev(3, REG, Aksi::PermohonanDibuat)]);
    assert_eq!(
        p.apply(ev(2, REG, Aksi::BerkasDiterima)).unwrap_err(),
        WorkflowError::WaktuMundur {
            terakhir: t(3),
            waktu: t(2)
        }
    );
    // Same instant is fine.
    jalan(&mut p, vec![ev(3, REG, Aksi::BerkasDiterima)]);
}

#[test]
fn payloads_are_checked() {
    let mut p = baru();
    let mut e = ev(0, REG, Aksi::PermohonanDibuat);
    e.operator = "  ".into();
    assert_eq!(
        p.apply(e).unwrap_err(),
        WorkflowError::DataTidakSah {
            field: "operator",
            error: "operator wajib diisi"
        }
    );
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
        ],
    );
    assert!(matches!(
        p.apply(ev(2, REG, tolak(AlasanPenolakan::Lainnya(" ".into())))),
        Err(WorkflowError::DataTidakSah {
            field: "alasan",
            ..
        })
    ));
    jalan(&mut p, vec![ev(2, REG, Aksi::BerkasBenar)]);
    assert!(matches!(
        p.apply(ev(3, REG, antrian(0))),
        Err(WorkflowError::DataTidakSah {
            field: "nomor_antrian",
            ..
        })
    ));
    jalan(
        &mut p,
        vec![ev(3, REG, antrian(1)), ev(4, REK, Aksi::Dipanggil)],
    );
    assert!(matches!(
        p.apply(ev(5, REK, berhasil(""))),
        Err(WorkflowError::DataTidakSah {
            field: "nomor_bukti",
            ..
        })
    ));
    assert!(matches!(
        p.apply(ev(5, REK, gagal(AlasanGagal::Lainnya(String::new())))),
        Err(WorkflowError::DataTidakSah {
            field: "alasan",
            ..
        })
    ));
    assert!(matches!(
        p.apply(ev(30, REK, berhasil("B")).terlambat(AlasanTerlambat::Lainnya(String::new()))),
        Err(WorkflowError::DataTidakSah {
            field: "alasan_terlambat",
            ..
        })
    ));
}

#[test]
fn serde_shapes_are_stable() {
    let e = ev(0, REG, antrian(7)).terlambat(AlasanTerlambat::GangguanTeknis);
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({
            "waktu": "2026-11-25T08:00:00Z",
            "operator": "rina",
            "peran": "operator_registrasi",
            "aksi": {"type": "nomor_antrian_diberikan", "nomor_antrian": 7},
            "alasan_terlambat": {"type": "gangguan_teknis"}
        })
    );
    let e = ev(1, REG, tolak(AlasanPenolakan::Lainnya("KK rusak".into())));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({
            "waktu": "2026-11-25T08:01:00Z",
            "operator": "rina",
            "peran": "operator_registrasi",
            "aksi": {"type": "berkas_ditolak", "alasan": {"type": "lainnya", "keterangan": "KK rusak"}}
        })
    );
    for e in every_event(0) {
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Peristiwa>(&json).unwrap(), e);
    }
    let s = Status::MenungguPerekaman {
        nomor_antrian: NomorAntrian(3),
    };
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        serde_json::json!({"status": "menunggu_perekaman", "nomor_antrian": 3})
    );
    assert_eq!(NomorAntrian(3).to_string(), "003");
}

#[test]
fn permohonan_serde_replays_and_refuses_tampering() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(9)),
        ],
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["keadaan"]["status"], "menunggu_perekaman");
    let back: Permohonan = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, p);
    // A forged derived state is ignored: the events decide.
    let mut forged = json.clone();
    forged["keadaan"]["status"] = "diserahkan".into();
    let back: Permohonan = serde_json::from_value(forged).unwrap();
    assert_eq!(back.status().nama(), "menunggu_perekaman");
    // An event fired by the wrong role is refused on the way in.
    let mut bad = json.clone();
    bad["peristiwa"][2]["peran"] = "operator_perekaman".into();
    assert!(serde_json::from_value::<Permohonan>(bad).is_err());
    // Replay of the stored form gives the same application.
    let d = p.data();
    let again = Permohonan::replay(d.id, d.kecamatan, d.penduduk, d.peristiwa).unwrap();
    assert_eq!(again, p);
}

#[test]
fn resident_data_may_change_only_at_registration() {
    let mut p = baru();
    let mut q = penduduk();
    q.alamat = "Jl. Baru".into();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
        ],
    );
    p.ubah_penduduk(q.clone()).unwrap();
    assert_eq!(p.penduduk().alamat, "Jl. Baru");
    jalan(
        &mut p,
        vec![ev(2, REG, Aksi::BerkasBenar), ev(3, REG, antrian(1))],
    );
    assert!(p.ubah_penduduk(penduduk()).is_err());
    assert_eq!(p.penduduk(), &q);
}

#[test]
fn step_table() {
    let got: Vec<_> = Langkah::SEMUA
        .iter()
        .map(|l| (l.nomor(), l.batas_menit()))
        .collect();
    assert_eq!(got, [(1, 5), (2, 10), (3, 10), (4, 5)]);
    assert_eq!(Langkah::Perekaman.standar(), "paling lama 5-10 menit");
}

#[test]
fn keadaan_round_trips_through_json() {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(5)),
        ],
    );
    let k = p.keadaan().clone();
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(json["status"], "menunggu_perekaman");
    assert_eq!(json["nomor_antrian"], 5);
    assert_eq!(json["langkah_mulai"], "2026-11-25T08:03:00Z");
    assert_eq!(serde_json::from_value::<Keadaan>(json).unwrap(), k);
    assert_eq!(
        serde_json::from_value::<Keadaan>(serde_json::to_value(Keadaan::awal()).unwrap()).unwrap(),
        Keadaan::awal()
    );
}

#[test]
fn oversized_texts_are_refused() {
    let long = "x".repeat(MAX_TEKS + 1);
    let mut p = baru();
    let mut e = ev(0, REG, Aksi::PermohonanDibuat);
    e.operator = "o".repeat(MAX_OPERATOR + 1);
    assert!(matches!(
        p.apply(e),
        Err(WorkflowError::DataTidakSah {
            field: "operator",
            ..
        })
    ));
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
        ],
    );
    assert!(matches!(
        p.apply(ev(2, REG, tolak(AlasanPenolakan::Lainnya(long.clone())))),
        Err(WorkflowError::DataTidakSah {
            field: "alasan",
            ..
        })
    ));
    jalan(&mut p, vec![ev(2, REG, Aksi::BerkasBenar)]);
    assert!(matches!(
        p.apply(ev(
            3,
            REG,
            Aksi::SudahPernahRekam {
                keterangan: long.clone()
            }
        )),
        Err(WorkflowError::DataTidakSah {
            field: "keterangan",
            ..
        })
    ));
    jalan(
        &mut p,
        vec![ev(3, REG, antrian(1)), ev(4, REK, Aksi::Dipanggil)],
    );
    assert!(matches!(
        p.apply(ev(5, REK, berhasil(&long))),
        Err(WorkflowError::DataTidakSah {
            field: "nomor_bukti",
            ..
        })
    ));
    assert!(matches!(
        p.apply(ev(30, REK, berhasil("B")).terlambat(AlasanTerlambat::Lainnya(long))),
        Err(WorkflowError::DataTidakSah {
            field: "alasan_terlambat",
            ..
        })
    ));
    // Exactly at the limit is fine.
    jalan(&mut p, vec![ev(5, REK, berhasil(&"b".repeat(MAX_TEKS)))]);
}

// ---- step 3 completeness (kelengkapan): every modality captured or excepted

/// An application called for recording (status `dipanggil`).
fn dipanggil() -> Permohonan {
    let mut p = baru();
    jalan(
        &mut p,
        vec![
            ev(0, REG, Aksi::PermohonanDibuat),
            ev(1, REG, Aksi::BerkasDiterima),
            ev(2, REG, Aksi::BerkasBenar),
            ev(3, REG, antrian(1)),
            ev(4, REK, Aksi::Dipanggil),
        ],
    );
    p
}

fn berhasil_dengan(k: Kelengkapan) -> Peristiwa {
    Peristiwa::new(t(6), "budi", REK, berhasil("TBP-1")).dengan_kelengkapan(k)
}

fn jari(nama: &str) -> Modalitas {
    Modalitas::dari_nama(nama).unwrap()
}

#[test]
fn step_three_is_refused_while_a_modality_is_neither_captured_nor_excepted() {
    let mut p = dipanggil();
    let before = p.clone();
    let mut k = Kelengkapan::semua_terekam(80);
    k.0.remove(&jari("left-little"));
    k.0.remove(&Modalitas::Iris(crate::bio::iris::Eye::Left));
    assert_eq!(
        p.apply(berhasil_dengan(k)).unwrap_err(),
        WorkflowError::PerekamanBelumLengkap {
            kurang: vec!["left-little", "left-iris"]
        }
    );
    // No kelengkapan at all: refused, naming the field.
    let bare = Peristiwa::new(t(6), "budi", REK, berhasil("TBP-1"));
    assert!(matches!(
        p.apply(bare),
        Err(WorkflowError::DataTidakSah {
            field: "kelengkapan",
            ..
        })
    ));
    assert_eq!(p, before, "a refused event changed the application");
    // Nothing captured: everything is named.
    match p.apply(berhasil_dengan(Kelengkapan::default())) {
        Err(WorkflowError::PerekamanBelumLengkap { kurang }) => assert_eq!(kurang.len(), 14),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finger_an_eye_or_the_signature_excepted_lets_step_three_succeed() {
    use crate::bio::iris::Eye;
    for (m, alasan) in [
        (jari("right-thumb"), AlasanPengecualian::Amputasi),
        (
            Modalitas::Iris(Eye::Right),
            AlasanPengecualian::ButaMataPalsu,
        ),
        (
            Modalitas::TandaTangan,
            AlasanPengecualian::Lainnya("tidak dapat menulis".into()),
        ),
    ] {
        let mut p = dipanggil();
        let mut k = Kelengkapan::semua_terekam(80);
        k.0.remove(&m);
        // Neither captured nor excepted: refused.
        assert!(p.apply(berhasil_dengan(k.clone())).is_err(), "{m}");
        k.dikecualikan(m, alasan);
        p.apply(berhasil_dengan(k)).unwrap();
        assert!(matches!(p.status(), Status::Terekam { .. }), "{m}");
    }
    // Every finger and both eyes excepted (and the low-quality flag) are still complete.
    let mut k = Kelengkapan::default();
    for m in Modalitas::semua() {
        if m.boleh_dikecualikan() {
            k.dikecualikan(m, AlasanPengecualian::CacatLuka);
        }
    }
    k.terekam(Modalitas::Wajah, 12, true);
    dipanggil().apply(berhasil_dengan(k)).unwrap();
}

#[test]
fn the_face_is_never_excepted_and_lainnya_needs_a_note() {
    let mut p = dipanggil();
    let mut k = Kelengkapan::semua_terekam(80);
    k.dikecualikan(Modalitas::Wajah, AlasanPengecualian::Diperban);
    assert!(matches!(
        p.apply(berhasil_dengan(k)),
        Err(WorkflowError::DataTidakSah { field: "face", .. })
    ));
    let mut k = Kelengkapan::semua_terekam(80);
    k.dikecualikan(jari("left-ring"), AlasanPengecualian::Lainnya("  ".into()));
    assert_eq!(
        p.apply(berhasil_dengan(k)).unwrap_err(),
        WorkflowError::DataTidakSah {
            field: "left-ring",
            error: "keterangan wajib diisi untuk alasan lainnya"
        }
    );
    let mut k = Kelengkapan::semua_terekam(80);
    k.terekam(jari("left-ring"), 0, true);
    assert!(matches!(
        p.apply(berhasil_dengan(k)),
        Err(WorkflowError::DataTidakSah {
            field: "left-ring",
            ..
        })
    ));
    assert!(matches!(p.status(), Status::Dipanggil { .. }));
}

#[test]
fn kelengkapan_only_on_the_success_event() {
    let mut p = baru();
    let e = Peristiwa::new(t(0), "rina", REG, Aksi::PermohonanDibuat)
        .dengan_kelengkapan(Kelengkapan::semua_terekam(80));
    assert!(matches!(
        p.apply(e),
        Err(WorkflowError::DataTidakSah {
            field: "kelengkapan",
            ..
        })
    ));
}

#[test]
fn stored_history_without_kelengkapan_replays_but_incomplete_never_does() {
    let mut p = dipanggil();
    let legacy = Peristiwa::new(t(6), "budi", REK, berhasil("TBP-1"));
    // A new event must carry it...
    assert!(apply(p.keadaan(), &legacy).is_err());
    // ...an event recorded before the rule replays.
    let mut events = p.peristiwa().to_vec();
    events.push(legacy);
    let k = replay(&events).unwrap();
    assert!(matches!(k.status, Status::Terekam { .. }));
    // An incomplete kelengkapan is refused in history too.
    let mut kurang = Kelengkapan::semua_terekam(80);
    kurang.0.remove(&jari("right-index"));
    *events.last_mut().unwrap() = berhasil_dengan(kurang);
    let err = replay(&events).unwrap_err();
    assert_eq!(err.index, 5);
    assert!(matches!(
        err.error,
        WorkflowError::PerekamanBelumLengkap { .. }
    ));
    // And the stored row form.
    let d = p.data();
    assert!(Permohonan::replay(d.id, d.kecamatan, d.penduduk, events).is_err());
    p.apply(berhasil_dengan(Kelengkapan::semua_terekam(80)))
        .unwrap();
}

#[test]
fn a_delivered_event_list_checks_new_events_strictly_and_stored_ones_as_history() {
    let p = dipanggil();
    let legacy = Peristiwa::new(t(6), "budi", REK, berhasil("TBP-1"));
    let mut events = p.peristiwa().to_vec();
    events.push(legacy.clone());
    // New to the receiver: a recording without its completeness is refused, by index.
    let err = replay_kiriman(&events, p.peristiwa()).unwrap_err();
    assert_eq!(err.index, 5);
    assert!(matches!(
        err.error,
        WorkflowError::DataTidakSah {
            field: "kelengkapan",
            ..
        }
    ));
    // Already stored there (recorded before the rule): history, replayed; and what follows it
    // is checked in full (a hand-over is complete by itself).
    let mut extended = events.clone();
    extended.push(Peristiwa::new(t(7), "budi", REK, Aksi::DiterimaPenduduk));
    let k = replay_kiriman(&extended, &events).unwrap();
    assert!(matches!(k.status, Status::Diserahkan { .. }));
    // The same recording with its completeness passes as new.
    *events.last_mut().unwrap() = berhasil_dengan(Kelengkapan::semua_terekam(80));
    assert!(replay_kiriman(&events, &[]).is_ok());
}

#[test]
fn kelengkapan_serde_shape() {
    let mut k = Kelengkapan::default();
    k.terekam(jari("right-thumb"), 41, true);
    k.dikecualikan(
        Modalitas::Iris(crate::bio::iris::Eye::Left),
        AlasanPengecualian::Lainnya("bengkak".into()),
    );
    let j = serde_json::to_value(&k).unwrap();
    assert_eq!(
        j,
        serde_json::json!({
            "right-thumb": {"hasil": "terekam", "kualitas": 41, "kualitas_rendah": true},
            "left-iris": {"hasil": "dikecualikan",
                          "alasan": {"type": "lainnya", "keterangan": "bengkak"}},
        })
    );
    assert_eq!(serde_json::from_value::<Kelengkapan>(j).unwrap(), k);
    assert!(
        serde_json::from_value::<Kelengkapan>(
            serde_json::json!({"sixth-finger": {"hasil": "terekam", "kualitas": 1}})
        )
        .is_err()
    );
}

#[test]
fn every_status_name_has_an_indonesian_label() {
    let names = [
        "baru",
        "penyerahan_berkas",
        "berkas_diterima",
        "berkas_dikembalikan",
        "pengecekan_biometrik",
        "sudah_rekam",
        "menunggu_perekaman",
        "dipanggil",
        "dikembalikan_ke_registrasi",
        "terekam",
        "diserahkan",
    ];
    for n in names {
        assert!(Status::label_nama(n).is_some(), "{n}");
    }
    assert_eq!(Status::Baru.nama(), "baru");
    assert_eq!(Status::label_nama("tidak_ada"), None);
}
