//! A seeded synthetic fingerprint (minutiae) generator, for districts of hundreds of thousands
//! of persons in tests and benchmarks, where real data of that size cannot be had.
//!
//! Each (person, finger) has a stable *master* set of minutiae; each capture of it is a new
//! impression: the finger placed again (rotated up to ±15°, shifted), the skin stretched a
//! little (every minutia moved and turned by a small random amount), some minutiae missed and a
//! few spurious ones found, all cropped to the sensor's window. The statistics follow the
//! FVC2002 templates of the test fixtures (300 x 400 px at 500 dpi, measured by
//! `shared/tests/bio_synth_finger.rs`):
//!
//! - minutiae per impression: FVC mean 32, sd 10, 13..69; here the master holds about 40 and a
//!   capture keeps 70-92 % of those inside its window, plus 0-8 spurious;
//! - positions: inside an elliptical print area, never closer than 6 px to each other (FVC's
//!   1st percentile of nearest-neighbour distance is 4 px, its median 20 px);
//! - directions: along a smooth ridge-flow field around a core (a loop) with the 180° ambiguity
//!   of endings and bifurcations, so neighbouring minutiae point alike, as in real prints. Purely
//!   random directions would make impostors *easier* to tell apart than real ones;
//! - close pairs: most minutiae have a partner 5-13 px across the ridges, pointing the other way
//!   (short ridges, bridges, spurs). These local look-alikes are what real impostors share; without
//!   them synthetic impostors scored half as high as real ones.
//!
//! Measured against FVC2002 (320 templates each side, `cargo test -p rekam-shared --release
//! --test bio_synth_finger -- --nocapture`): impostor mean score 0.43 (real 0.48), genuine
//! median 13 (real 30), false non-match rate at the real 0.1 % threshold 10.6 % (real 8.2 %), and
//! distinct synthetic persons pass the real data's 1 % / 0.1 % thresholds 0.23 % / 0.004 % of the
//! time: they match each other *less* often than real impostors, so a synthetic district is no
//! harder for dedup than real fingers, but its false-match tail is lighter than real (fusion with
//! the irises is what dedup's false duplicates depend on; see docs/biometrics.md).
//!
//! Only [`SplitMix64`] is used: the same seeds give the same minutiae everywhere.

use super::fingerprint::FingerprintTemplate;
use super::iso::{
    FingerPosition, FingerView, FingerprintRecord, Minutia, MinutiaKind, RecordFormat,
};
use super::synth::SplitMix64;

/// Sensor window width in pixels (FVC2002 DB1/DB2-like).
pub const WIDTH: u16 = 300;
/// Sensor window height in pixels.
pub const HEIGHT: u16 = 400;
/// Resolution in pixels per centimetre (500 dpi).
pub const RESOLUTION: u16 = 197;

/// Parameters of the generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FingerSynthParams {
    /// Mean and standard deviation of the master's minutiae count.
    pub count_mean: f64,
    pub count_sd: f64,
    /// Smallest distance between two minutiae of a master, in pixels.
    pub min_spacing: f64,
    /// Largest placement rotation of a capture, in degrees each way.
    pub max_rotation_deg: f64,
    /// Standard deviation of a capture's placement shift, in pixels.
    pub shift_sd: f64,
    /// Standard deviation of each minutia's displacement (skin distortion), in pixels.
    pub jitter_px: f64,
    /// Standard deviation of each minutia's direction error, in degrees.
    pub jitter_deg: f64,
    /// Range of the fraction of minutiae a capture misses.
    pub miss: (f64, f64),
    /// Most spurious minutiae a capture adds.
    pub max_spurious: u64,
    /// Probability that a minutia of the master has a close partner (a short ridge or bridge).
    pub pairs: f64,
}

impl Default for FingerSynthParams {
    fn default() -> Self {
        FingerSynthParams {
            count_mean: 40.0,
            count_sd: 11.0,
            min_spacing: 6.0,
            max_rotation_deg: 15.0,
            shift_sd: 20.0,
            jitter_px: 3.0,
            jitter_deg: 7.0,
            miss: (0.08, 0.3),
            max_spurious: 8,
            pairs: 0.9,
        }
    }
}

/// The generator.
#[derive(Debug, Clone, Default)]
pub struct FingerSynth {
    params: FingerSynthParams,
}

/// One minutia in floating point (master coordinates).
#[derive(Debug, Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
    /// Direction in radians.
    dir: f64,
    kind: MinutiaKind,
}

fn mix(a: u64, b: u64) -> u64 {
    SplitMix64::new(a ^ b.wrapping_mul(0x9FB2_1C65_1E98_DF25)).next_u64()
}

/// Ridge flow of a loop: the orientation (mod π) at (x, y) around a core at (cx, cy), turned by
/// `turn`; half the angle around the core, as a loop's ridges turn half as fast as the
/// direction to the core.
fn flow(x: f64, y: f64, cx: f64, cy: f64, turn: f64) -> f64 {
    0.5 * (y - cy).atan2(x - cx) + turn
}

impl FingerSynth {
    /// A generator with the default parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A generator with explicit parameters.
    pub fn with_params(params: FingerSynthParams) -> Self {
        FingerSynth { params }
    }

    /// The master minutiae of `person`'s `finger`.
    fn master(&self, person: u64, finger: FingerPosition) -> Vec<Point> {
        let p = &self.params;
        let mut rng = SplitMix64::new(mix(person, 0xF1 + finger.code() as u64));
        let n = (p.count_mean + p.count_sd * rng.normal())
            .round()
            .clamp(12.0, 90.0) as usize;
        // Print area: an ellipse a little larger than the window (a capture sees part of it).
        let (ex, ey) = (f64::from(WIDTH) / 2.0, f64::from(HEIGHT) / 2.0 + 10.0);
        let (ax, ay) = (f64::from(WIDTH) * 0.5, f64::from(HEIGHT) * 0.48);
        let cx = ex + 25.0 * rng.normal();
        let cy = ey - 30.0 + 25.0 * rng.normal();
        // Fingers share their general flow (ridges across the finger, a loop near the middle):
        // only the core's place and a little of the flow's turn differ between fingers.
        let turn = std::f64::consts::FRAC_PI_2 + 0.3 * rng.normal();
        let mut pts: Vec<Point> = Vec::with_capacity(n);
        let mut tries = 0;
        while pts.len() < n && tries < n * 200 {
            tries += 1;
            let x = ex + ax * (2.0 * rng.next_f64() - 1.0);
            let y = ey + ay * (2.0 * rng.next_f64() - 1.0);
            if ((x - ex) / ax).powi(2) + ((y - ey) / ay).powi(2) > 1.0 {
                continue;
            }
            if pts.iter().any(|q| (q.x - x).hypot(q.y - y) < p.min_spacing) {
                continue;
            }
            let ambiguity = if rng.below(2) == 0 {
                0.0
            } else {
                std::f64::consts::PI
            };
            let dir = flow(x, y, cx, cy, turn) + ambiguity + 0.05 * rng.normal();
            let kind = if rng.below(2) == 0 {
                MinutiaKind::RidgeEnding
            } else {
                MinutiaKind::Bifurcation
            };
            pts.push(Point { x, y, dir, kind });
            // Real prints have many close pairs (a short ridge, a bridge, a spur: an ending and a
            // bifurcation a ridge apart, pointing opposite ways); they are what makes distinct
            // fingers look alike locally.
            if pts.len() < n && rng.next_f64() < p.pairs {
                let d = 5.0 + 8.0 * rng.next_f64();
                let across = dir + std::f64::consts::FRAC_PI_2;
                let (qx, qy) = (x + d * across.cos(), y - d * across.sin());
                let other = match kind {
                    MinutiaKind::RidgeEnding => MinutiaKind::Bifurcation,
                    _ => MinutiaKind::RidgeEnding,
                };
                pts.push(Point {
                    x: qx,
                    y: qy,
                    dir: dir + std::f64::consts::PI + 0.1 * rng.normal(),
                    kind: other,
                });
            }
        }
        pts
    }

    /// The view of one capture (`capture` seeds the placement, distortion, misses and spurious
    /// minutiae) of `person`'s `finger`.
    pub fn view(&self, person: u64, finger: FingerPosition, capture: u64) -> FingerView {
        let p = &self.params;
        let master = self.master(person, finger);
        let mut rng = SplitMix64::new(mix(mix(person, finger.code() as u64), capture ^ 0xCA97));
        let rot = p.max_rotation_deg.to_radians() * (2.0 * rng.next_f64() - 1.0);
        let (dx, dy) = (p.shift_sd * rng.normal(), p.shift_sd * rng.normal());
        let miss = p.miss.0 + (p.miss.1 - p.miss.0) * rng.next_f64();
        let (cx, cy) = (f64::from(WIDTH) / 2.0, f64::from(HEIGHT) / 2.0);
        let (sin, cos) = rot.sin_cos();
        let mut out = Vec::with_capacity(master.len() + p.max_spurious as usize);
        for m in &master {
            let keep = rng.next_f64() >= miss;
            // Draw the noise whether kept or not: the draws stay aligned across captures.
            let (jx, jy, ja) = (rng.normal(), rng.normal(), rng.normal());
            if !keep {
                continue;
            }
            let (rx, ry) = (m.x - cx, m.y - cy);
            let x = cx + rx * cos - ry * sin + dx + p.jitter_px * jx;
            let y = cy + rx * sin + ry * cos + dy + p.jitter_px * jy;
            // ISO directions turn counter-clockwise as seen, with y pointing down: a rotation
            // that turns positions by `rot` in image coordinates turns directions by `-rot`.
            let dir = m.dir - rot + p.jitter_deg.to_radians() * ja;
            out.push(Point {
                x,
                y,
                dir,
                kind: m.kind,
            });
        }
        for _ in 0..rng.below(p.max_spurious + 1) {
            out.push(Point {
                x: f64::from(WIDTH) * rng.next_f64(),
                y: f64::from(HEIGHT) * rng.next_f64(),
                dir: std::f64::consts::TAU * rng.next_f64(),
                kind: MinutiaKind::RidgeEnding,
            });
        }
        let minutiae = out
            .into_iter()
            .filter(|m| {
                m.x >= 4.0
                    && m.y >= 4.0
                    && m.x < f64::from(WIDTH) - 4.0
                    && m.y < f64::from(HEIGHT) - 4.0
            })
            .take(255)
            .map(|m| Minutia {
                kind: m.kind,
                x: m.x as u16,
                y: m.y as u16,
                angle: ((m.dir.rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU) * 256.0)
                    as u32 as u8,
                quality: 60,
            })
            .collect();
        FingerView {
            position: finger,
            view_number: 0,
            impression_type: 0,
            quality: 60,
            minutiae,
            extended_data: Vec::new(),
        }
    }

    /// One capture as an ISO/IEC 19794-2:2005 record of one view (what a device sends).
    pub fn record(&self, person: u64, finger: FingerPosition, capture: u64) -> FingerprintRecord {
        FingerprintRecord {
            format: RecordFormat::Iso2005,
            capture_equipment: 0,
            width: WIDTH,
            height: HEIGHT,
            resolution_x: RESOLUTION,
            resolution_y: RESOLUTION,
            views: vec![self.view(person, finger, capture)],
        }
    }

    /// One capture, prepared for matching.
    pub fn template(
        &self,
        person: u64,
        finger: FingerPosition,
        capture: u64,
    ) -> FingerprintTemplate {
        FingerprintTemplate::new(
            &self.view(person, finger, capture),
            (RESOLUTION, RESOLUTION),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seeds_same_minutiae_other_captures_differ() {
        let s = FingerSynth::new();
        let f = FingerPosition::RightIndex;
        assert_eq!(s.view(7, f, 1), s.view(7, f, 1));
        assert_ne!(s.view(7, f, 1), s.view(7, f, 2));
        assert_ne!(s.view(7, f, 1), s.view(8, f, 1));
        assert_ne!(s.view(7, f, 1), s.view(7, FingerPosition::LeftIndex, 1));
        let bytes = s.record(7, f, 1).to_iso_bytes().unwrap();
        let back = FingerprintRecord::parse(&bytes).unwrap();
        assert_eq!(back.views[0], s.view(7, f, 1));
    }

    #[test]
    fn minutiae_stay_in_the_window_and_apart() {
        let s = FingerSynth::new();
        for person in 0..50 {
            let v = s.view(person, FingerPosition::LeftThumb, 0);
            assert!(!v.minutiae.is_empty());
            for m in &v.minutiae {
                assert!(m.x < WIDTH && m.y < HEIGHT);
            }
        }
    }
}
