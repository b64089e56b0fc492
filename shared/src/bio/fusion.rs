//! Score fusion: fingerprint and iris scores of two persons to one decision and a verdict.
//!
//! Each available comparison (up to 10 fingers and 2 irises) is first turned into the probability
//! that an impostor scores at least as well, its false match rate (FMR):
//! - fingerprints through [`FingerCalibration`], measured from the impostor score distribution on
//!   FVC2002 (see docs/biometrics.md), with an exponential tail beyond the measured range;
//! - irises through Daugman's binomial model: an impostor Hamming distance is a binomial
//!   proportion over `iris_dof` degrees of freedom (249 for a 2,048-bit code), taken as the best
//!   of `iris_trials` rotations.
//!
//! The FMRs are combined with Fisher's method (the k comparisons are treated as independent
//! p-values; their combined tail probability is `e^-S * sum_{i<k} S^i / i!` with `S = -sum ln p`),
//! so adding weak comparisons never manufactures a match. The decision score is `-log10` of that
//! combined FMR: 6 means "an impostor pair scores this high once in a million". Thresholds are
//! configuration ([`FusionConfig`]).

/// The three outcomes of a comparison of two persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Below the possible-match threshold: different persons.
    NoMatch,
    /// Between the thresholds: a case for a human adjudicator.
    PossibleMatch,
    /// At or above the match threshold: the same person (a duplicate).
    Match,
}

/// Maps a fingerprint score to its false match rate, by interpolating `log10 FMR` between
/// measured points and extrapolating the last segment's slope beyond them.
#[derive(Debug, Clone, PartialEq)]
pub struct FingerCalibration {
    /// `(score, log10 FMR)`, scores ascending, log10 FMR descending.
    pub points: Vec<(f64, f64)>,
}

impl Default for FingerCalibration {
    /// Measured on the 11,520 impostor pairs of FVC2002 DB1-4_B with this matcher (see
    /// docs/biometrics.md, "Calibration"). Beyond the last point: the fitted exponential tail.
    fn default() -> Self {
        FingerCalibration {
            points: DEFAULT_FINGER_POINTS.to_vec(),
        }
    }
}

/// `(score, log10 FMR)` from the 11,520 pooled impostor scores of FVC2002 DB1-4_B, down to FMR
/// 2e-4 (the single most extreme point is left out: beyond the table, the slope of the last
/// segment, about -0.30 decades per score unit, extrapolates). Regenerate with
/// `cargo test --release -p rekam-shared --test bio_accuracy -- --nocapture`.
const DEFAULT_FINGER_POINTS: &[(f64, f64)] = &[
    (0.000, 0.000),
    (0.425, -0.301),
    (0.787, -0.699),
    (1.094, -1.000),
    (1.437, -1.301),
    (1.938, -1.699),
    (2.337, -2.000),
    (2.725, -2.301),
    (3.277, -2.699),
    (4.044, -3.000),
    (4.561, -3.301),
    (5.895, -3.699),
];

impl FingerCalibration {
    /// `log10` of the false match rate of `score` (<= 0).
    pub fn log10_fmr(&self, score: f64) -> f64 {
        let pts = &self.points;
        if pts.is_empty() || !score.is_finite() {
            return 0.0;
        }
        if score <= pts[0].0 {
            return pts[0].1.min(0.0);
        }
        for w in pts.windows(2) {
            let ((s0, l0), (s1, l1)) = (w[0], w[1]);
            if score <= s1 {
                let t = if s1 > s0 {
                    (score - s0) / (s1 - s0)
                } else {
                    1.0
                };
                return (l0 + t * (l1 - l0)).min(0.0);
            }
        }
        let n = pts.len();
        if n < 2 {
            return pts[0].1.min(0.0);
        }
        let ((s0, l0), (s1, l1)) = (pts[n - 2], pts[n - 1]);
        let slope = if s1 > s0 { (l1 - l0) / (s1 - s0) } else { 0.0 };
        (l1 + slope.min(0.0) * (score - s1)).min(0.0)
    }
}

/// Fusion parameters and thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionConfig {
    /// Decision score (-log10 FMR) at or above which the verdict is [`Verdict::Match`].
    pub match_threshold: f64,
    /// ... at or above which it is [`Verdict::PossibleMatch`].
    pub possible_threshold: f64,
    pub finger: FingerCalibration,
    /// Binary degrees of freedom of an iris code (Daugman: 249 for 2,048 bits).
    pub iris_dof: f64,
    /// Effective independent rotations tried in the iris search.
    pub iris_trials: f64,
}

impl Default for FusionConfig {
    fn default() -> Self {
        FusionConfig {
            match_threshold: 12.0,
            possible_threshold: 6.0,
            finger: FingerCalibration::default(),
            iris_dof: 249.0,
            iris_trials: 7.0,
        }
    }
}

/// Scores of one pair of persons: per finger (index = finger position code - 1) and per eye
/// (0 right, 1 left). `None` where either side lacks the sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairScores {
    pub fingers: [Option<f32>; 10],
    /// Iris Hamming distances (0 identical .. ~0.5 unrelated).
    pub irises: [Option<f64>; 2],
}

/// The fused decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// -log10 of the combined false match rate (0 = no evidence; higher = stronger match).
    pub score: f64,
    pub verdict: Verdict,
    /// How many comparisons were available.
    pub comparisons: usize,
}

/// `ln` of the binomial lower tail `P(X <= k)` for `X ~ Bin(n, 1/2)`.
fn ln_binomial_lower_tail(n: u32, k: i64) -> f64 {
    if k < 0 {
        return f64::NEG_INFINITY;
    }
    if k as u64 >= n as u64 {
        return 0.0;
    }
    // Sum C(n, i) for i <= k in log space, starting from the largest term (i = k).
    let mut ln_c = 0.0f64; // ln C(n, 0)
    for i in 0..k {
        ln_c += ((n as i64 - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    let mut sum = 1.0f64; // relative to C(n, k)
    let mut term = 1.0f64;
    let mut i = k;
    while i > 0 {
        // C(n, i-1) / C(n, i) = i / (n - i + 1)
        term *= i as f64 / (n as i64 - i + 1) as f64;
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
        i -= 1;
    }
    ln_c + sum.ln() - n as f64 * std::f64::consts::LN_2
}

impl FusionConfig {
    /// `log10` FMR of an iris Hamming distance under Daugman's binomial model.
    pub fn iris_log10_fmr(&self, hd: f64) -> f64 {
        if !hd.is_finite() {
            return 0.0;
        }
        let n = self.iris_dof.round().clamp(1.0, 1e6) as u32;
        let k = (hd.clamp(0.0, 1.0) * n as f64).floor() as i64;
        let ln_p = ln_binomial_lower_tail(n, k);
        // Best of m trials: 1 - (1 - p)^m, computed stably.
        let m = self.iris_trials.max(1.0);
        let p = ln_p.exp();
        let fmr = if p < 1e-12 {
            (ln_p + m.ln()).exp()
        } else {
            -((m * (-p).ln_1p()).exp_m1())
        };
        if fmr <= 0.0 {
            (ln_p + m.ln()) / std::f64::consts::LN_10
        } else {
            fmr.min(1.0).log10()
        }
    }

    /// Fuses the available scores of a pair of persons.
    pub fn fuse(&self, scores: &PairScores) -> Decision {
        let mut ln_ps: Vec<f64> = Vec::with_capacity(12);
        for s in scores.fingers.iter().flatten() {
            ln_ps.push(self.finger.log10_fmr(*s as f64) * std::f64::consts::LN_10);
        }
        for hd in scores.irises.iter().flatten() {
            ln_ps.push(self.iris_log10_fmr(*hd) * std::f64::consts::LN_10);
        }
        let k = ln_ps.len();
        let score = if k == 0 { 0.0 } else { -fisher_log10(&ln_ps) };
        let verdict = if k > 0 && score >= self.match_threshold {
            Verdict::Match
        } else if k > 0 && score >= self.possible_threshold {
            Verdict::PossibleMatch
        } else {
            Verdict::NoMatch
        };
        Decision {
            score,
            verdict,
            comparisons: k,
        }
    }
}

/// `log10` of Fisher's combined p-value of `k` independent p-values given as `ln p`.
fn fisher_log10(ln_ps: &[f64]) -> f64 {
    let s: f64 = -ln_ps.iter().map(|l| l.min(0.0)).sum::<f64>();
    // P = e^-s * sum_{i<k} s^i / i!, in log space (terms can be huge before the e^-s).
    let mut ln_terms = Vec::with_capacity(ln_ps.len());
    let mut ln_t = 0.0f64;
    for i in 0..ln_ps.len() {
        if i > 0 {
            ln_t += s.max(f64::MIN_POSITIVE).ln() - (i as f64).ln();
        }
        ln_terms.push(ln_t);
    }
    let max = ln_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ln_sum = max + ln_terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln();
    ((-s + ln_sum) / std::f64::consts::LN_10).min(0.0)
}
