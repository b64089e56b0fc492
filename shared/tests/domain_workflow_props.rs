//! Property tests for the SOP state machine against an independent, deliberately simple model
//! written from the SOP table (strings and a transition list): random event sequences never
//! panic, the machine accepts exactly what the model accepts, every accepted sequence is a path
//! of the SOP, terminal states accept nothing, and replay/serde reproduce the same application.
//! The model also has its own reading of step 3's completeness rule: "perekaman berhasil" only
//! with every one of the 14 modalities captured or excepted, the face never excepted.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::workflow::{
    Aksi, AlasanGagal, AlasanPengecualian, AlasanPenolakan, AlasanTerlambat, Kelengkapan,
    Modalitas, NomorAntrian, Peran, Peristiwa, Permohonan, Perolehan,
};

// ---------------------------------------------------------------- the independent model

/// (from, event, to), transcribed from the SOP (docs/domain.md).
const SOP: &[(&str, &str, &str)] = &[
    ("baru", "permohonan_dibuat", "penyerahan_berkas"),
    ("penyerahan_berkas", "berkas_diterima", "berkas_diterima"),
    ("penyerahan_berkas", "berkas_ditolak", "berkas_dikembalikan"),
    ("berkas_diterima", "berkas_ditolak", "berkas_dikembalikan"),
    ("berkas_diterima", "berkas_benar", "pengecekan_biometrik"),
    ("pengecekan_biometrik", "sudah_pernah_rekam", "sudah_rekam"),
    (
        "pengecekan_biometrik",
        "nomor_antrian_diberikan",
        "menunggu_perekaman",
    ),
    ("menunggu_perekaman", "dipanggil", "dipanggil"),
    (
        "menunggu_perekaman",
        "perekaman_gagal",
        "dikembalikan_ke_registrasi",
    ),
    ("dipanggil", "perekaman_gagal", "dikembalikan_ke_registrasi"),
    ("dipanggil", "perekaman_berhasil", "terekam"),
    (
        "dikembalikan_ke_registrasi",
        "nomor_antrian_diberikan",
        "menunggu_perekaman",
    ),
    (
        "dikembalikan_ke_registrasi",
        "berkas_ditolak",
        "berkas_dikembalikan",
    ),
    ("terekam", "diterima_penduduk", "diserahkan"),
];

/// The 14 modalities of a complete recording, by name: 10 fingers, 2 irises, face, signature.
const MODALITAS: &[&str] = &[
    "right-thumb",
    "right-index",
    "right-middle",
    "right-ring",
    "right-little",
    "left-thumb",
    "left-index",
    "left-middle",
    "left-ring",
    "left-little",
    "right-iris",
    "left-iris",
    "face",
    "signature",
];

/// What the generated "perekaman berhasil" event says was captured (see [`GenEvent::kel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kel {
    /// Everything captured.
    Semua,
    /// Modality `i` (never the face) excepted, the rest captured.
    Kecuali(usize),
    /// Modality `i` missing (neither captured nor excepted).
    Kurang(usize),
    /// The face excepted.
    WajahDikecualikan,
    /// No kelengkapan on the event.
    Tanpa,
}

const TERMINAL: &[&str] = &["berkas_dikembalikan", "sudah_rekam", "diserahkan"];

const KINDS: &[&str] = &[
    "permohonan_dibuat",
    "berkas_diterima",
    "berkas_ditolak",
    "berkas_benar",
    "sudah_pernah_rekam",
    "nomor_antrian_diberikan",
    "dipanggil",
    "perekaman_berhasil",
    "perekaman_gagal",
    "diterima_penduduk",
];

/// SOP step of a state (0 = none) and its limit in minutes.
fn step(state: &str) -> (u8, i64) {
    match state {
        "penyerahan_berkas" => (1, 5),
        "berkas_diterima" | "pengecekan_biometrik" | "dikembalikan_ke_registrasi" => (2, 10),
        "menunggu_perekaman" | "dipanggil" => (3, 10),
        "terekam" => (4, 5),
        _ => (0, 0),
    }
}

fn role_ok(peran: Peran, kind: &str) -> bool {
    let registrasi = [
        "permohonan_dibuat",
        "berkas_diterima",
        "berkas_ditolak",
        "berkas_benar",
        "sudah_pernah_rekam",
        "nomor_antrian_diberikan",
    ];
    match peran {
        Peran::KepalaUkl => true,
        Peran::OperatorRegistrasi => registrasi.contains(&kind),
        Peran::OperatorPerekaman => !registrasi.contains(&kind),
    }
}

#[derive(Debug, Clone)]
struct Model {
    state: &'static str,
    step_start: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    BadTransition,
    BadRole,
    BadPayload,
    Backwards,
    LateWithoutReason,
    Incomplete,
}

impl Model {
    fn new() -> Self {
        Model {
            state: "baru",
            step_start: None,
            last: None,
        }
    }

    fn judge(&self, g: &GenEvent, waktu: DateTime<Utc>) -> (Verdict, Option<&'static str>) {
        let kind = KINDS[g.kind];
        let Some(&(_, _, to)) = SOP.iter().find(|(f, k, _)| *f == self.state && *k == kind) else {
            return (Verdict::BadTransition, None);
        };
        if !role_ok(g.peran, kind) {
            return (Verdict::BadRole, None);
        }
        let payload_bad = g.operator_empty
            || (g.payload_bad
                && matches!(
                    kind,
                    "nomor_antrian_diberikan"
                        | "perekaman_berhasil"
                        | "berkas_ditolak"
                        | "perekaman_gagal"
                ));
        if payload_bad {
            return (Verdict::BadPayload, None);
        }
        if kind == "perekaman_berhasil" {
            match g.kel {
                Kel::Semua | Kel::Kecuali(_) => {}
                Kel::Kurang(_) => return (Verdict::Incomplete, None),
                Kel::WajahDikecualikan | Kel::Tanpa => return (Verdict::BadPayload, None),
            }
        }
        if g.late_reason == Some(3) && g.late_reason_empty {
            return (Verdict::BadPayload, None);
        }
        if self.last.is_some_and(|l| waktu < l) {
            return (Verdict::Backwards, None);
        }
        let (s_from, limit) = step(self.state);
        let (s_to, _) = step(to);
        if s_from != 0 && s_from != s_to {
            let took = waktu - self.step_start.unwrap();
            if took > TimeDelta::minutes(limit) && g.late_reason.is_none() {
                return (Verdict::LateWithoutReason, None);
            }
        }
        (Verdict::Accept, Some(to))
    }

    fn advance(&mut self, to: &'static str, waktu: DateTime<Utc>) {
        let (s_from, _) = step(self.state);
        let (s_to, _) = step(to);
        if s_to == 0 {
            self.step_start = None;
        } else if s_from != s_to {
            self.step_start = Some(waktu);
        }
        self.state = to;
        self.last = Some(waktu);
    }

    fn allowed(&self) -> Vec<usize> {
        SOP.iter()
            .filter(|(f, _, _)| *f == self.state)
            .map(|(_, k, _)| KINDS.iter().position(|x| x == k).unwrap())
            .collect()
    }
}

// ---------------------------------------------------------------- generation

#[derive(Debug, Clone)]
struct GenEvent {
    /// Index into KINDS, or (if `steer`) into the model's allowed kinds.
    kind: usize,
    steer: bool,
    peran: Peran,
    /// Minutes after the previous event (may be negative).
    delta: i64,
    operator_empty: bool,
    payload_bad: bool,
    late_reason: Option<u8>,
    late_reason_empty: bool,
    /// Completeness carried by a "perekaman berhasil" event.
    kel: Kel,
}

fn gen_kel() -> impl Strategy<Value = Kel> {
    prop_oneof![
        6 => Just(Kel::Semua),
        2 => (0usize..14).prop_map(|i| if MODALITAS[i] == "face" { Kel::Semua } else { Kel::Kecuali(i) }),
        1 => (0usize..14).prop_map(Kel::Kurang),
        1 => Just(Kel::WajahDikecualikan),
        1 => Just(Kel::Tanpa),
    ]
}

fn gen_event() -> impl Strategy<Value = GenEvent> {
    (
        0usize..10,
        prop::bool::weighted(0.75),
        prop::sample::select(Peran::SEMUA.to_vec()),
        prop_oneof![8 => 0i64..=6, 2 => 7i64..=14, 1 => -2i64..0],
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.05),
        prop::option::weighted(0.4, 0u8..4),
        prop::bool::weighted(0.2),
        gen_kel(),
    )
        .prop_map(
            |(
                kind,
                steer,
                peran,
                delta,
                operator_empty,
                payload_bad,
                late_reason,
                late_reason_empty,
                kel,
            )| {
                GenEvent {
                    kind,
                    steer,
                    peran,
                    delta,
                    operator_empty,
                    payload_bad,
                    late_reason,
                    late_reason_empty,
                    kel,
                }
            },
        )
}

fn build(g: &GenEvent, kind: &str, waktu: DateTime<Utc>, n: u32) -> Peristiwa {
    let text = |s: &str| {
        if g.payload_bad {
            String::new()
        } else {
            s.to_string()
        }
    };
    let aksi = match kind {
        "permohonan_dibuat" => Aksi::PermohonanDibuat,
        "berkas_diterima" => Aksi::BerkasDiterima,
        "berkas_ditolak" => Aksi::BerkasDitolak {
            alasan: AlasanPenolakan::Lainnya(text("KK tidak asli")),
        },
        "berkas_benar" => Aksi::BerkasBenar,
        "sudah_pernah_rekam" => Aksi::SudahPernahRekam {
            keterangan: "iris cocok".into(),
        },
        "nomor_antrian_diberikan" => Aksi::NomorAntrianDiberikan {
            nomor_antrian: NomorAntrian(if g.payload_bad { 0 } else { n }),
        },
        "dipanggil" => Aksi::Dipanggil,
        "perekaman_berhasil" => Aksi::PerekamanBerhasil {
            nomor_bukti: text("TBP-1"),
        },
        "perekaman_gagal" => Aksi::PerekamanGagal {
            alasan: AlasanGagal::Lainnya(text("sidik jari aus")),
        },
        "diterima_penduduk" => Aksi::DiterimaPenduduk,
        _ => unreachable!(),
    };
    let operator = if g.operator_empty { " " } else { "op" };
    let mut e = Peristiwa::new(waktu, operator, g.peran, aksi);
    if kind == "perekaman_berhasil" {
        e.kelengkapan = kelengkapan(g.kel);
    }
    e.alasan_terlambat = g.late_reason.map(|r| match r {
        0 => AlasanTerlambat::GangguanTeknis,
        1 => AlasanTerlambat::PendudukTidakHadir,
        2 => AlasanTerlambat::AntrianPanjang,
        _ => AlasanTerlambat::Lainnya(if g.late_reason_empty {
            String::new()
        } else {
            "listrik padam".into()
        }),
    });
    e
}

/// The machine's kelengkapan for a generated one, built from the names above.
fn kelengkapan(kel: Kel) -> Option<Kelengkapan> {
    let m = |i: usize| Modalitas::dari_nama(MODALITAS[i]).unwrap();
    let captured = Perolehan::Terekam {
        kualitas: 70,
        kualitas_rendah: false,
    };
    let mut k = Kelengkapan::default();
    for i in 0..MODALITAS.len() {
        k.0.insert(m(i), captured.clone());
    }
    match kel {
        Kel::Semua => {}
        Kel::Kecuali(i) => k.dikecualikan(m(i), AlasanPengecualian::Amputasi),
        Kel::Kurang(i) => {
            k.0.remove(&m(i));
        }
        Kel::WajahDikecualikan => k.dikecualikan(m(12), AlasanPengecualian::Diperban),
        Kel::Tanpa => return None,
    }
    Some(k)
}

fn penduduk() -> Penduduk {
    Penduduk {
        nik: "1301011203480001".parse().unwrap(),
        no_kk: "1301071504190007".parse().unwrap(),
        nama: "Ahmad".into(),
        tempat_lahir: "Painan".into(),
        tanggal_lahir: NaiveDate::from_ymd_opt(1948, 3, 12).unwrap(),
        jenis_kelamin: JenisKelamin::LakiLaki,
        status_perkawinan: StatusPerkawinan::Kawin,
        alamat: "Jl. Pantai".into(),
        rt: 2,
        rw: 1,
        nagari: "Painan".into(),
        kecamatan: "130105".parse().unwrap(),
    }
}

/// The accepted path of states, and the (state, kind) pairs accepted.
type Run = (Vec<&'static str>, Vec<(String, &'static str)>);

/// Runs one generated sequence through machine and model, checking they agree at every event.
/// Returns the accepted path of states and the (state, kind) pairs accepted.
fn run(events: &[GenEvent]) -> Result<Run, TestCaseError> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    let mut p = Permohonan::new("id-1", "130105".parse().unwrap(), penduduk());
    let mut m = Model::new();
    let mut waktu = t0;
    let mut path = vec!["baru"];
    let mut used = Vec::new();
    for (i, g) in events.iter().enumerate() {
        let mut g = g.clone();
        if g.steer {
            let allowed = m.allowed();
            if !allowed.is_empty() {
                g.kind = allowed[g.kind % allowed.len()];
            }
        }
        let kind = KINDS[g.kind];
        let candidate = waktu + TimeDelta::minutes(g.delta);
        let e = build(&g, kind, candidate, i as u32 + 1);
        let (verdict, to) = m.judge(&g, candidate);
        let before = p.clone();
        let from_state = p.status().nama();
        let got = p.apply(e);
        match (&verdict, &got) {
            (Verdict::Accept, Ok(s)) => {
                let to = to.unwrap();
                prop_assert_eq!(s.nama(), to);
                used.push((from_state.to_string(), kind));
                m.advance(to, candidate);
                path.push(to);
                waktu = candidate;
            }
            (Verdict::Accept, Err(err)) => {
                return Err(TestCaseError::fail(format!(
                    "model accepts {kind} in {from_state}, machine refuses: {err}"
                )));
            }
            (v, Ok(_)) => {
                return Err(TestCaseError::fail(format!(
                    "model refuses {kind} in {from_state} ({v:?}), machine accepts"
                )));
            }
            (v, Err(err)) => {
                use rekam_shared::workflow::WorkflowError as W;
                let same = matches!(
                    (v, err),
                    (Verdict::BadTransition, W::TransisiTidakSah { .. })
                        | (Verdict::BadRole, W::PeranTidakBerwenang { .. })
                        | (Verdict::BadPayload, W::DataTidakSah { .. })
                        | (Verdict::Backwards, W::WaktuMundur { .. })
                        | (Verdict::LateWithoutReason, W::AlasanTerlambatWajib { .. })
                        | (Verdict::Incomplete, W::PerekamanBelumLengkap { .. })
                );
                prop_assert!(
                    same,
                    "model {:?} vs machine {:?} for {} in {}",
                    v,
                    err,
                    kind,
                    from_state
                );
                prop_assert_eq!(&p, &before, "a refused event changed the application");
            }
        }
        if TERMINAL.contains(&m.state) {
            prop_assert!(p.status().selesai());
        }
    }
    // The accepted events are a path of the SOP graph from "baru".
    for w in path.windows(2) {
        prop_assert!(
            SOP.iter().any(|(f, _, t)| *f == w[0] && *t == w[1]),
            "{:?}",
            w
        );
    }
    // Replay and serde reproduce the same application.
    let d = p.data();
    let again = Permohonan::replay(d.id, d.kecamatan, d.penduduk, d.peristiwa).unwrap();
    prop_assert_eq!(&again, &p);
    let json = serde_json::to_string(&p).unwrap();
    let back: Permohonan = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(&back, &p);
    // Step history is consistent: one open step at most, at the end, iff not finished.
    let r = p.riwayat_langkah();
    let open = r.iter().filter(|s| s.selesai.is_none()).count();
    prop_assert_eq!(open, usize::from(p.langkah_sekarang().is_some()));
    for s in &r {
        if let Some(det) = s.detik {
            prop_assert!(det >= 0);
            prop_assert_eq!(s.terlambat, det > s.langkah.batas_menit() * 60);
            if s.terlambat {
                prop_assert!(s.alasan_terlambat.is_some());
            }
        }
    }
    Ok((path, used))
}

/// Case count: the default keeps `cargo test` fast; `REKAM_PROPTEST_CASES=N` runs longer.
fn cases(default: u32) -> u32 {
    std::env::var("REKAM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(400)))]

    #[test]
    fn machine_agrees_with_the_sop_model(events in prop::collection::vec(gen_event(), 0..40)) {
        run(&events)?;
    }

    #[test]
    fn terminal_states_accept_nothing(
        events in prop::collection::vec(gen_event(), 0..40),
        extra in prop::collection::vec(gen_event(), 1..10),
    ) {
        let (path, _) = run(&events)?;
        if TERMINAL.contains(path.last().unwrap()) {
            let mut all = events.clone();
            all.extend(extra);
            let (path2, _) = run(&all)?;
            prop_assert_eq!(path2, path);
        }
    }
}

/// The generator must actually reach every transition and every terminal state; otherwise the
/// properties above would pass vacuously.
#[test]
fn generator_covers_every_transition() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strat = prop::collection::vec(gen_event(), 0..40);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..400 {
        let events = strat.new_tree(&mut runner).unwrap().current();
        let (_, used) = run(&events).unwrap();
        seen.extend(used);
    }
    for (f, k, _) in SOP {
        assert!(
            seen.contains(&(f.to_string(), *k)),
            "never exercised: {f} --{k}-->"
        );
    }
}
