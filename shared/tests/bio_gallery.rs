//! Fusion and 1:N search: decisions from fingerprint and iris scores, and a gallery of persons
//! built from real FVC2002 fingerprints and synthetic irises that finds the right person.

use std::path::PathBuf;

use rekam_shared::bio::fingerprint::FingerprintTemplate;
use rekam_shared::bio::fusion::{FingerCalibration, FusionConfig, PairScores, Verdict};
use rekam_shared::bio::gallery::{Gallery, Person};
use rekam_shared::bio::iris::{Eye, IrisShape};
use rekam_shared::bio::iso::{FingerPosition, FingerprintRecord};
use rekam_shared::bio::synth::IrisSynth;

fn template(db: &str, name: &str) -> FingerprintTemplate {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fingerprints/fvc2002-iso")
        .join(db)
        .join(format!("{name}.iso"));
    let r = FingerprintRecord::parse(&std::fs::read(path).unwrap()).unwrap();
    FingerprintTemplate::new(&r.views[0], (r.resolution_x, r.resolution_y))
}

#[test]
fn fusion_verdicts_follow_the_evidence() {
    let cfg = FusionConfig::default();
    // Nothing to compare: no match, no evidence.
    let d = cfg.fuse(&PairScores::default());
    assert_eq!(
        (d.verdict, d.score, d.comparisons),
        (Verdict::NoMatch, 0.0, 0)
    );
    // One good iris (Daugman: HD 0.25 is about 1e-14 for 249 degrees of freedom).
    let mut s = PairScores::default();
    s.irises[0] = Some(0.25);
    let d = cfg.fuse(&s);
    assert_eq!(d.verdict, Verdict::Match, "{d:?}");
    // Impostor-like irises: no match.
    s.irises = [Some(0.46), Some(0.47)];
    assert_eq!(cfg.fuse(&s).verdict, Verdict::NoMatch);
    // Adding many impostor-like fingers to impostor irises never manufactures a match.
    s.fingers = [Some(1.0); 10];
    let d = cfg.fuse(&s);
    assert_eq!(d.verdict, Verdict::NoMatch, "{d:?}");
    assert_eq!(d.comparisons, 12);
    // Ten strong fingers without irises: a match.
    let s = PairScores {
        fingers: [Some(12.0); 10],
        irises: [None, None],
    };
    assert_eq!(cfg.fuse(&s).verdict, Verdict::Match);
    // One moderately strong finger alone is a case for a human (possible match) at most.
    let mut s = PairScores::default();
    s.fingers[1] = Some(25.0);
    let d = cfg.fuse(&s);
    assert_eq!(d.verdict, Verdict::PossibleMatch, "{d:?}");
    // The score grows with the evidence.
    let a = cfg
        .fuse(&PairScores {
            fingers: [
                Some(5.0),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ],
            irises: [None, None],
        })
        .score;
    let b = cfg
        .fuse(&PairScores {
            fingers: [
                Some(8.0),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ],
            irises: [None, None],
        })
        .score;
    assert!(b > a && a > 0.0, "{a} {b}");
    // Thresholds are configuration.
    let strict = FusionConfig {
        match_threshold: 1000.0,
        possible_threshold: 999.0,
        ..FusionConfig::default()
    };
    let mut s = PairScores::default();
    s.irises[0] = Some(0.25);
    assert_eq!(strict.fuse(&s).verdict, Verdict::NoMatch);
}

#[test]
fn calibration_is_monotone_and_extrapolates() {
    let c = FingerCalibration::default();
    let mut last = 0.0;
    for i in 0..200 {
        let l = c.log10_fmr(i as f64 * 0.25);
        assert!(l <= last + 1e-12 && l <= 0.0, "{i}: {l} after {last}");
        last = l;
    }
    assert!(c.log10_fmr(30.0) < -8.0, "{}", c.log10_fmr(30.0));
    assert_eq!(c.log10_fmr(f64::NAN), 0.0);
    // Iris: HD 0.5 is no evidence, 0.3 strong evidence.
    let f = FusionConfig::default();
    assert!(f.iris_log10_fmr(0.5) > -0.5);
    assert!(f.iris_log10_fmr(0.3) < -8.0, "{}", f.iris_log10_fmr(0.3));
}

/// Ten persons: fingers 101..110 of DB1 (impression 1) as right index, synthetic irises.
fn gallery() -> Gallery<String> {
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS_200);
    let mut g = Gallery::default();
    for f in 101..=110u64 {
        let p = Person::new()
            .with_finger(
                FingerPosition::RightIndex,
                template("DB1_B", &format!("{f}_1")),
            )
            .with_finger(
                FingerPosition::LeftIndex,
                template("DB2_B", &format!("{f}_1")),
            )
            .with_iris(Eye::Right, synth.capture(f, Eye::Right, 0))
            .with_iris(Eye::Left, synth.capture(f, Eye::Left, 0));
        g.insert(format!("person-{f}"), p);
    }
    g
}

#[test]
fn search_finds_the_recorded_person() {
    let g = gallery();
    assert_eq!(g.len(), 10);
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS_200);
    // Same person, new captures of everything.
    let probe = Person::new()
        .with_finger(FingerPosition::RightIndex, template("DB1_B", "103_4"))
        .with_finger(FingerPosition::LeftIndex, template("DB2_B", "103_4"))
        .with_iris(Eye::Right, synth.capture(103, Eye::Right, 7))
        .with_iris(Eye::Left, synth.capture(103, Eye::Left, 7));
    let found = g.search(&probe, 3);
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].id, "person-103");
    assert_eq!(found[0].verdict, Verdict::Match);
    assert!(
        found[1..].iter().all(|c| c.verdict == Verdict::NoMatch),
        "{found:?}"
    );
    // Fingerprints only (two fingers): the right person ranks first.
    let probe = Person::new()
        .with_finger(FingerPosition::RightIndex, template("DB1_B", "106_3"))
        .with_finger(FingerPosition::LeftIndex, template("DB2_B", "106_3"));
    let found = g.search(&probe, 10);
    assert_eq!(found[0].id, "person-106", "{found:?}");
    assert!(found[0].score > found[1].score);
    // Irises only.
    let probe = Person::new().with_iris(Eye::Left, synth.capture(108, Eye::Left, 3));
    let found = g.search(&probe, 1);
    assert_eq!(
        (found[0].id.as_str(), found[0].verdict),
        ("person-108", Verdict::Match)
    );
}

#[test]
fn unknown_person_is_no_match() {
    let g = gallery();
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS_200);
    // Fingers from other databases (other people), irises of a person not in the gallery.
    let probe = Person::new()
        .with_finger(FingerPosition::RightIndex, template("DB3_B", "103_1"))
        .with_finger(FingerPosition::LeftIndex, template("DB4_B", "103_1"))
        .with_iris(Eye::Right, synth.capture(5000, Eye::Right, 0))
        .with_iris(Eye::Left, synth.capture(5000, Eye::Left, 0));
    let found = g.search(&probe, 10);
    assert_eq!(found.len(), 10);
    assert!(
        found.iter().all(|c| c.verdict == Verdict::NoMatch),
        "{found:?}"
    );
    // A probe with nothing in common with anyone: no candidates at all.
    let probe = Person::new().with_finger(FingerPosition::LeftThumb, template("DB1_B", "101_2"));
    assert!(g.search(&probe, 5).is_empty());
    assert!(Person::new().is_empty());
}

#[test]
fn insert_replace_remove() {
    let mut g = gallery();
    let synth = IrisSynth::new(IrisShape::OPEN_IRIS_200);
    // Replace person-101's irises with person 9000's: a probe of 9000 now finds person-101.
    g.insert(
        "person-101".to_string(),
        Person::new().with_iris(Eye::Right, synth.capture(9000, Eye::Right, 0)),
    );
    assert_eq!(g.len(), 10);
    let probe = Person::new().with_iris(Eye::Right, synth.capture(9000, Eye::Right, 1));
    assert_eq!(g.search(&probe, 1)[0].id, "person-101");
    assert!(g.remove(&"person-101".to_string()));
    assert!(!g.remove(&"person-101".to_string()));
    assert!(!g.contains(&"person-101".to_string()) && g.contains(&"person-110".to_string()));
    assert_eq!(g.len(), 9);
    assert_ne!(g.search(&probe, 1)[0].verdict, Verdict::Match);
    // The swapped-in entry is still searchable by id order independence.
    let probe = Person::new().with_iris(Eye::Right, synth.capture(110, Eye::Right, 2));
    assert_eq!(g.search(&probe, 1)[0].id, "person-110");
}

#[test]
fn templates_straight_from_record_bytes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fingerprints");
    let views = FingerprintTemplate::from_record(
        &std::fs::read(dir.join("fvc2002-iso/DB1_B/101_1.iso")).unwrap(),
    )
    .unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].0, FingerPosition::Unknown);
    assert_eq!(views[0].1.minutiae_count(), 25);
    assert!(
        FingerprintTemplate::from_record(
            &std::fs::read(dir.join("invalid-iso/101_1_truncate_1_byte.iso")).unwrap()
        )
        .is_err()
    );
}

#[test]
fn iris_search_across_blocks_scores_every_eye_it_can() {
    // 700 persons, so the search's iris blocks (256 persons) have borders to cross; some
    // have one eye, some an eye of another shape (not comparable: skipped, not an error).
    let synth = IrisSynth::new(IrisShape::DAUGMAN_2048);
    let other = IrisSynth::new(IrisShape::OPEN_IRIS_200);
    let mut g = Gallery::default();
    for p in 0..700u64 {
        let mut person = Person::new().with_iris(Eye::Right, synth.capture(p, Eye::Right, 0));
        person = match p % 3 {
            0 => person.with_iris(Eye::Left, synth.capture(p, Eye::Left, 0)),
            1 => person.with_iris(Eye::Left, other.capture(p, Eye::Left, 0)),
            _ => person,
        };
        g.insert(p, person);
    }
    for target in [0u64, 255, 256, 511, 513, 699] {
        let probe = Person::new()
            .with_iris(Eye::Right, synth.capture(target, Eye::Right, 4))
            .with_iris(Eye::Left, synth.capture(target, Eye::Left, 4));
        let found = g.search(&probe, 700);
        // Every person shares at least the right eye with the probe.
        assert_eq!(found.len(), 700, "target {target}");
        assert_eq!(
            (found[0].id, found[0].verdict),
            (target, Verdict::Match),
            "{:?}",
            &found[..3]
        );
        assert!(found[1..].iter().all(|c| c.verdict == Verdict::NoMatch));
    }
}

/// A synthetic district of `n` persons (2 fingers, 2 irises): the district and the persons'
/// first recordings.
fn district_persons(n: u64) -> (rekam_shared::bio::synth_district::District, Vec<Person>) {
    use rekam_shared::bio::synth_district::{District, DistrictSpec};
    let d = District::new(DistrictSpec {
        persons: n,
        fingers: 2,
        ..DistrictSpec::default()
    });
    let persons = (0..n).map(|p| d.person(p, 0)).collect();
    (d, persons)
}

/// A gallery of `persons` (keyed by index) searching on `threads` threads.
fn gallery_of(persons: &[Person], threads: usize) -> Gallery<u64> {
    use rekam_shared::bio::gallery::GalleryConfig;
    let mut g = Gallery::new(GalleryConfig {
        search_threads: threads,
        ..GalleryConfig::default()
    });
    for (i, p) in persons.iter().enumerate() {
        g.insert(i as u64, p.clone());
    }
    g
}

#[test]
fn a_search_on_several_threads_gives_the_answer_of_one() {
    use rekam_shared::bio::gallery::MIN_PER_THREAD;
    let n = 3 * MIN_PER_THREAD as u64 + 77;
    let (d, persons) = district_persons(n);
    let probes: Vec<Person> = [5, n / 2, n - 1]
        .iter()
        .map(|&p| d.person(p, 1))
        .chain([d.person(n + 3, 0)])
        .collect();
    let g = gallery_of(&persons, 1);
    let one: Vec<_> = probes.iter().map(|p| g.search(p, 8)).collect();
    for threads in [2, 3, 0] {
        let g = gallery_of(&persons, threads);
        let many: Vec<_> = probes.iter().map(|p| g.search(p, 8)).collect();
        assert_eq!(many, one, "{threads} threads");
    }
    assert_eq!(one[1][0].id, n / 2);
    assert_eq!(one[2][0].id, n - 1);
}

#[test]
fn explain_scores_a_pair_as_the_search_does() {
    let (d, persons) = district_persons(600);
    let g = gallery_of(&persons, 1);
    let probe = d.person(42, 1);
    let found = g.search(&probe, 5);
    assert_eq!(found[0].id, 42);
    for c in &found {
        let e = g.explain(&probe, &c.id).unwrap();
        assert_eq!(e.decision.score, c.score, "{}", c.id);
        assert_eq!(e.decision.verdict, c.verdict, "{}", c.id);
        assert!(e.scores.irises.iter().all(Option::is_some), "{e:?}");
    }
    // The right person's fingers were compared; a clear stranger's were skipped.
    let right = g.explain(&probe, &42).unwrap();
    assert!(!right.fingers_skipped);
    assert_eq!(
        right.scores.fingers.iter().flatten().count(),
        2,
        "{right:?}"
    );
    let stranger = g.explain(&probe, &found[4].id).unwrap();
    assert!(stranger.fingers_skipped, "{stranger:?}");
    assert!(g.explain(&probe, &100_000).is_none());
}
