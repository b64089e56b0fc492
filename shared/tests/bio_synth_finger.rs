//! The synthetic fingerprints (`rekam_shared::bio::synth_finger`) against the real FVC2002
//! templates of the fixtures: minutiae counts and spacing alike, and above all, distinct
//! synthetic persons match each other no more often than real impostors do (otherwise a
//! synthetic district would make dedup look better than it is), while captures of one synthetic
//! finger match as real impressions of one finger do.

use std::path::Path;

use rekam_shared::bio::eval::pair_scores;
use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::bio::synth_finger::FingerSynth;

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// (finger id, minutiae count, template) of the FVC2002 fixtures.
fn real() -> Vec<(String, usize, FingerprintTemplate)> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fingerprints/fvc2002-iso");
    let mut out = Vec::new();
    for db in ["DB1_B", "DB2_B", "DB3_B", "DB4_B"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(db))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let rec = FingerprintRecord::parse(&std::fs::read(&f).unwrap()).unwrap();
            let v = &rec.views[0];
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let finger = format!("{db}/{}", stem.split('_').next().unwrap());
            out.push((
                finger,
                v.minutiae.len(),
                FingerprintTemplate::new(v, (rec.resolution_x, rec.resolution_y)),
            ));
        }
    }
    out
}

/// Genuine and impostor scores of all unordered pairs.
fn scores(items: &[(String, usize, FingerprintTemplate)]) -> (Vec<f64>, Vec<f64>) {
    let refs: Vec<(&str, &FingerprintTemplate)> =
        items.iter().map(|(l, _, t)| (l.as_str(), t)).collect();
    pair_scores(&refs)
}

#[test]
fn synthetic_fingers_are_as_hard_to_tell_apart_as_real_ones() {
    let real = real();
    let s = FingerSynth::new();
    // 80 synthetic fingers (40 persons x 2 fingers) x 4 captures = 320 templates, as many as
    // the real set.
    let mut synth = Vec::new();
    for person in 0..40u64 {
        for finger in [FingerPosition::RightThumb, FingerPosition::LeftIndex] {
            for capture in 0..4 {
                let v = s.view(person, finger, capture);
                synth.push((
                    format!("{person}/{finger:?}"),
                    v.minutiae.len(),
                    s.template(person, finger, capture),
                ));
            }
        }
    }
    let counts = |v: &[(String, usize, FingerprintTemplate)]| {
        v.iter().map(|x| x.1 as f64).collect::<Vec<_>>()
    };
    let (rc, sc) = (counts(&real), counts(&synth));
    let (mut rg, mut ri) = scores(&real);
    let (mut sg, mut si) = scores(&synth);
    let real_t999 = quantile(&mut ri, 0.999);
    let real_t99 = quantile(&mut ri, 0.99);
    let fmr = |v: &[f64], t: f64| v.iter().filter(|&&x| x > t).count() as f64 / v.len() as f64;
    eprintln!(
        "minutiae per template: real mean {:.1}, synthetic {:.1}",
        mean(&rc),
        mean(&sc)
    );
    eprintln!(
        "impostors: real mean {:.2} p99 {:.2} p99.9 {:.2} (n {}); synthetic mean {:.2} p99 {:.2} p99.9 {:.2} (n {})",
        mean(&ri),
        real_t99,
        real_t999,
        ri.len(),
        mean(&si),
        quantile(&mut si, 0.99),
        quantile(&mut si, 0.999),
        si.len()
    );
    eprintln!(
        "synthetic FMR at the real p99 / p99.9 thresholds: {:.3} % / {:.3} %",
        100.0 * fmr(&si, real_t99),
        100.0 * fmr(&si, real_t999)
    );
    eprintln!(
        "genuines: real median {:.1}, synthetic median {:.1}; real FNMR at real p99.9 {:.1} %, synthetic {:.1} %",
        quantile(&mut rg, 0.5),
        quantile(&mut sg, 0.5),
        100.0 * (1.0 - fmr(&rg, real_t999)),
        100.0 * (1.0 - fmr(&sg, real_t999))
    );
    // Counts alike (FVC: mean 32).
    assert!(
        (mean(&sc) - mean(&rc)).abs() < 6.0,
        "{} vs {}",
        mean(&sc),
        mean(&rc)
    );
    // Distinct synthetic persons match each other no more often than real impostors do, at the
    // thresholds that matter (sampling error allowed: 12,640 pairs give +-0.1 % at 1 %).
    assert!(fmr(&si, real_t99) <= 0.01 * 1.5, "{}", fmr(&si, real_t99));
    assert!(
        fmr(&si, real_t999) <= 0.001 * 3.0,
        "{}",
        fmr(&si, real_t999)
    );
    // ... and are not trivially apart either: impostor scores in the same range as real ones.
    assert!(
        mean(&si) > 0.7 * mean(&ri),
        "{} vs {}",
        mean(&si),
        mean(&ri)
    );
    // Captures of one synthetic finger match like real impressions of one finger.
    let (rmed, smed) = (quantile(&mut rg, 0.5), quantile(&mut sg, 0.5));
    assert!(smed > 0.3 * rmed && smed < 2.5 * rmed, "{smed} vs {rmed}");
}
