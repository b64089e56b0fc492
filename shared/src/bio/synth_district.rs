//! A synthetic district for dedup tests and benchmarks: N persons recorded across the offices,
//! each with synthetic irises ([`IrisSynth`]) and fingerprints ([`FingerSynth`]), optionally real
//! FVC fingers mixed in, and a share of persons recorded a second time at another office (the
//! planted duplicates dedup must find), every second recording a new capture: new iris noise,
//! fingers placed again with missed and spurious minutiae.
//!
//! Everything is derived from the seed: recording `i` is the same on every run and platform,
//! so a benchmark can rebuild any person on demand instead of holding a district in memory.

use super::fingerprint::FingerprintTemplate;
use super::gallery::Person;
use super::iris::{Eye, IrisShape};
use super::iso::FingerPosition;
use super::synth::{IrisSynth, SplitMix64};
use super::synth_finger::FingerSynth;

/// What the district looks like.
#[derive(Debug, Clone)]
pub struct DistrictSpec {
    /// Distinct persons (each recorded once, some twice).
    pub persons: u64,
    /// Share of persons recorded a second time at another office (0.01 = 1 %).
    pub duplicate_share: f64,
    /// Number of offices (kecamatan) recordings are spread over (at least 2).
    pub offices: u32,
    /// Fingers captured per person (the first `fingers` of the ten, 0..=10).
    pub fingers: usize,
    /// Whether both irises are captured.
    pub irises: bool,
    /// Iris code shape.
    pub iris_shape: IrisShape,
    /// Seed of everything.
    pub seed: u64,
}

impl Default for DistrictSpec {
    fn default() -> Self {
        DistrictSpec {
            persons: 1_000,
            duplicate_share: 0.01,
            offices: 15,
            fingers: 10,
            irises: true,
            iris_shape: IrisShape::DAUGMAN_2048,
            seed: 1,
        }
    }
}

/// One recording of one person at one office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    /// Index of the recording in the district (0..).
    pub index: u64,
    /// The person recorded (0..persons).
    pub person: u64,
    /// Office index (0..offices).
    pub office: u32,
    /// 0 for a person's first recording, 1 for the planted second one.
    pub capture: u64,
}

/// The district: its recordings and the generators that make each one's biometrics.
#[derive(Debug, Clone)]
pub struct District {
    spec: DistrictSpec,
    iris: IrisSynth,
    finger: FingerSynth,
    /// Real fingers mixed in: each inner list holds impressions of one finger (at least 2).
    real: Vec<Vec<FingerprintTemplate>>,
    duplicated: Vec<u64>,
}

fn mix(a: u64, b: u64) -> u64 {
    SplitMix64::new(a ^ b.wrapping_mul(0xA076_1D64_78BD_642F)).next_u64()
}

impl District {
    /// A district of `spec`. The planted duplicates are a seeded choice of persons.
    pub fn new(spec: DistrictSpec) -> Self {
        let mut rng = SplitMix64::new(mix(spec.seed, 0xD0B1));
        let duplicated: Vec<u64> = (0..spec.persons)
            .filter(|_| rng.next_f64() < spec.duplicate_share)
            .collect();
        District {
            iris: IrisSynth::new(spec.iris_shape),
            finger: FingerSynth::new(),
            spec,
            real: Vec::new(),
            duplicated,
        }
    }

    /// Mixes real fingers in: person `i` (for `i < real.len()`) has real finger `i` as right
    /// index finger, first impression at the first recording, second at the second.
    pub fn with_real_fingers(mut self, real: Vec<Vec<FingerprintTemplate>>) -> Self {
        self.real = real.into_iter().filter(|f| f.len() >= 2).collect();
        self
    }

    /// The spec.
    pub fn spec(&self) -> &DistrictSpec {
        &self.spec
    }

    /// Persons recorded twice, in order.
    pub fn duplicated(&self) -> &[u64] {
        &self.duplicated
    }

    /// Every first recording, then every planted second one (persons' index order each).
    pub fn recordings(&self) -> Vec<Recording> {
        let first = (0..self.spec.persons).map(|p| (p, 0));
        let second = self.duplicated.iter().map(|&p| (p, 1));
        first
            .chain(second)
            .enumerate()
            .map(|(i, (person, capture))| Recording {
                index: i as u64,
                person,
                office: self.office(person, capture),
                capture,
            })
            .collect()
    }

    /// The office of a recording; a second recording is always at another office.
    fn office(&self, person: u64, capture: u64) -> u32 {
        let n = self.spec.offices.max(2) as u64;
        let home = mix(self.spec.seed ^ 0x0FF1, person) % n;
        if capture == 0 {
            home as u32
        } else {
            ((home + 1 + mix(self.spec.seed ^ 0x0FF2, person) % (n - 1)) % n) as u32
        }
    }

    /// The biometrics of a recording (`capture` 0 or 1 of `person`; another capture number gives
    /// yet another impression, for fresh probes).
    pub fn person(&self, person: u64, capture: u64) -> Person {
        let seed_person = mix(self.spec.seed, person);
        let mut p = Person::new();
        for &position in FingerPosition::TEN.iter().take(self.spec.fingers) {
            let t = match self.real.get(person as usize) {
                Some(real) if position == FingerPosition::RightIndex => {
                    real[(capture as usize).min(real.len() - 1)].clone()
                }
                _ => self.finger.template(seed_person, position, capture),
            };
            p.set_finger(position, t);
        }
        if self.spec.irises {
            for eye in [Eye::Right, Eye::Left] {
                p = p.with_iris(eye, self.iris.capture(seed_person, eye, capture));
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_duplicates_are_recorded_again_elsewhere() {
        let d = District::new(DistrictSpec {
            persons: 5_000,
            duplicate_share: 0.02,
            ..DistrictSpec::default()
        });
        let n = d.duplicated().len();
        assert!((60..=140).contains(&n), "{n}");
        let recs = d.recordings();
        assert_eq!(recs.len(), 5_000 + n);
        for r in &recs[5_000..] {
            assert_eq!(r.capture, 1);
            let first = recs[r.person as usize];
            assert_eq!((first.person, first.capture), (r.person, 0));
            assert_ne!(
                first.office, r.office,
                "a second recording is at another office"
            );
            assert!(r.office < 15);
        }
        assert_eq!(d.recordings(), recs, "the same seed, the same district");
    }

    #[test]
    fn a_person_has_what_the_spec_captures() {
        let d = District::new(DistrictSpec {
            fingers: 2,
            ..DistrictSpec::default()
        });
        let p = d.person(3, 0);
        assert!(p.finger(FingerPosition::RightThumb).is_some());
        assert!(p.finger(FingerPosition::RightIndex).is_some());
        assert!(p.finger(FingerPosition::RightMiddle).is_none());
        assert!(p.iris(Eye::Left).is_some() && p.iris(Eye::Right).is_some());
    }
}
