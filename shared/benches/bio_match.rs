//! Matcher speed: fingerprint 1:1 and 1:N on the FVC2002 fixtures, iris comparisons with 15
//! rotations for 2,048-bit and (16, 256, 2, 2) codes, per popcount kernel.
//!
//! `cargo bench -p rekam-shared --bench bio_match -- --warm-up-time 1 --measurement-time 3`
//! Figures are recorded in docs/biometrics.md.
//!
//! Times are this thread's CPU time (Linux `/proc/thread-self/schedstat`), not wall time: the
//! build machine is shared, and "per second per core" is what is asked. Without schedstat the
//! wall clock is used.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rekam_shared::bio::fingerprint::{FingerprintMatcher, FingerprintTemplate};
use rekam_shared::bio::gallery::{Gallery, Person};
use rekam_shared::bio::iris::{Eye, HdOptions, IrisShape, RotatedProbe};
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::bio::simd::Kernel;
use rekam_shared::bio::synth::IrisSynth;

#[path = "../tests/support/fvc.rs"]
mod fvc;

#[path = "../tests/support/cputime.rs"]
mod cputime;
use cputime::cpu_ns;

/// Runs `f` `iters` times and reports the CPU time it took.
fn cpu_timed<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let t0 = cpu_ns();
    for _ in 0..iters {
        black_box(f());
    }
    Duration::from_nanos(cpu_ns().saturating_sub(t0).max(1))
}

fn templates(db: &str) -> Vec<FingerprintTemplate> {
    let files = fvc::files(db);
    files
        .iter()
        .map(|f| {
            let r = FingerprintRecord::parse(&std::fs::read(f).unwrap()).unwrap();
            FingerprintTemplate::new(&r.views[0], (r.resolution_x, r.resolution_y))
        })
        .collect()
}

fn fingerprint(c: &mut Criterion) {
    let all: Vec<FingerprintTemplate> = ["DB1_B", "DB2_B", "DB3_B", "DB4_B"]
        .iter()
        .flat_map(|db| templates(db))
        .collect();
    let mut g = c.benchmark_group("fingerprint");
    // 1:1 with a prepared probe: each iteration scores one probe against all 320 templates.
    g.throughput(Throughput::Elements(all.len() as u64));
    let probes: Vec<FingerprintMatcher<'_>> = all
        .iter()
        .step_by(37)
        .map(FingerprintMatcher::new)
        .collect();
    let mut probes = probes;
    let mut k = 0;
    g.bench_function("match_1to1_prepared_probe_x320", |b| {
        b.iter_custom(|n| {
            cpu_timed(n, || {
                k = (k + 1) % probes.len();
                let m = &mut probes[k];
                let mut acc = 0.0f32;
                for t in &all {
                    acc += m.score(black_box(t));
                }
                acc
            })
        })
    });
    // 1:1 including the probe's preparation (what `match_score` does).
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("match_1to1_unprepared", |b| {
        b.iter_custom(|n| {
            cpu_timed(n, || {
                i = (i + 1) % all.len();
                let mut m = FingerprintMatcher::new(black_box(&all[i]));
                m.score(black_box(&all[(i * 7 + 3) % all.len()]))
            })
        })
    });
    g.bench_function("prepare_template", |b| {
        let r = FingerprintRecord::parse(
            &std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/fingerprints/fvc2002-iso/DB1_B/101_1.iso"),
            )
            .unwrap(),
        )
        .unwrap();
        b.iter_custom(|n| {
            cpu_timed(n, || {
                FingerprintTemplate::new(black_box(&r.views[0]), (197, 197))
            })
        })
    });
    g.finish();

    // 1:N: a gallery of 320 persons with one finger each (no iris), probe with one finger.
    let mut gallery: Gallery<usize> = Gallery::default();
    for (n, t) in all.iter().enumerate() {
        gallery.insert(
            n,
            Person::new().with_finger(FingerPosition::RightIndex, t.clone()),
        );
    }
    let mut g = c.benchmark_group("gallery");
    g.throughput(Throughput::Elements(gallery.len() as u64));
    let probe = Person::new().with_finger(FingerPosition::RightIndex, all[5].clone());
    g.bench_function("search_320_persons_1_finger", |b| {
        b.iter_custom(|n| cpu_timed(n, || gallery.search(black_box(&probe), 5)))
    });
    // Irises first: 2,000 persons with 2 irises (16x256x2x2) and one finger; a probe whose irises
    // reject everyone but the true person, so fingerprints are compared once.
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS);
    let mut big: Gallery<u64> = Gallery::default();
    for p in 0..2000u64 {
        big.insert(
            p,
            Person::new()
                .with_iris(Eye::Right, synth.capture(p, Eye::Right, 0))
                .with_iris(Eye::Left, synth.capture(p, Eye::Left, 0))
                .with_finger(FingerPosition::RightIndex, all[(p % 320) as usize].clone()),
        );
    }
    let probe = Person::new()
        .with_iris(Eye::Right, synth.capture(77, Eye::Right, 1))
        .with_iris(Eye::Left, synth.capture(77, Eye::Left, 1))
        .with_finger(FingerPosition::RightIndex, all[77].clone());
    g.throughput(Throughput::Elements(big.len() as u64));
    g.bench_function("search_2000_persons_2_irises_1_finger", |b| {
        b.iter_custom(|n| cpu_timed(n, || big.search(black_box(&probe), 5)))
    });
    g.finish();
}

fn iris(c: &mut Criterion) {
    let mut g = c.benchmark_group("iris");
    // The yardstick: popcounting alone, the bits one 2,048-bit comparison with 31 shifts
    // counts (31 x (2,048 differing-bit candidates + 2,048 mask bits)), in L1.
    // On a 64-byte boundary, as the matcher's probe is: a 512-bit load across two cache lines
    // costs double, and the yardstick would measure where the allocator put it.
    let storage: Vec<u64> = (0..31 * 64u64 + 8)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let skip = storage.as_ptr().align_offset(64) % 8;
    let words = &storage[skip..skip + 31 * 64];
    g.throughput(Throughput::Elements(256));
    g.bench_function("popcount_only_2048bit_rot15_x256", |b| {
        b.iter_custom(|n| {
            cpu_timed(n, || {
                let mut acc = 0;
                for _ in 0..256 {
                    acc += rekam_shared::bio::simd::popcount(black_box(words));
                }
                acc
            })
        })
    });
    for (name, shape) in [
        ("2048bit", IrisShape::DAUGMAN_2048),
        ("16x256x2x2", IrisShape::OPEN_IRIS),
    ] {
        let synth = IrisSynth::new(shape);
        let gallery: Vec<_> = (0..256u64)
            .map(|p| synth.capture(p, Eye::Right, 0))
            .collect();
        let probe = RotatedProbe::new(&synth.capture(3, Eye::Right, 1), 15);
        let opts = HdOptions::default();
        g.throughput(Throughput::Elements(gallery.len() as u64));
        for kernel in Kernel::ALL {
            if !kernel.available() {
                continue;
            }
            g.bench_function(format!("{name}_rot15_{kernel:?}_x256"), |b| {
                b.iter_custom(|n| {
                    cpu_timed(n, || {
                        let mut acc = 0.0;
                        for t in &gallery {
                            acc += probe
                                .distance_with_kernel(black_box(t), &opts, kernel)
                                .unwrap()
                                .distance;
                        }
                        acc
                    })
                })
            });
        }
        // The 1:N search's call: the whole gallery in one `distances` call.
        let refs: Vec<&_> = gallery.iter().collect();
        let mut out = Vec::with_capacity(refs.len());
        g.bench_function(format!("{name}_rot15_distances_x256"), |b| {
            b.iter_custom(|n| {
                cpu_timed(n, || {
                    probe.distances(black_box(&refs), &opts, &mut out).unwrap();
                    out.iter().map(|r| r.distance).sum::<f64>()
                })
            })
        });
    }
    // Out of the caches: 65,536 templates (32 MiB of codes and masks), one `distances` call.
    let synth = IrisSynth::new(IrisShape::DAUGMAN_2048);
    let big: Vec<_> = (0..65_536u64)
        .map(|p| synth.capture(p, Eye::Right, 0))
        .collect();
    let refs: Vec<&_> = big.iter().collect();
    let probe = RotatedProbe::new(&synth.capture(3, Eye::Right, 1), 15);
    let opts = HdOptions::default();
    let mut out = Vec::with_capacity(refs.len());
    g.throughput(Throughput::Elements(refs.len() as u64));
    g.sample_size(10);
    g.bench_function("2048bit_rot15_distances_x65536", |b| {
        b.iter_custom(|n| {
            cpu_timed(n, || {
                probe.distances(black_box(&refs), &opts, &mut out).unwrap();
                out.iter().map(|r| r.distance).sum::<f64>()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, fingerprint, iris);
criterion_main!(benches);
