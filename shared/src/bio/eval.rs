//! Accuracy measurement: error rates from genuine and impostor score sets.
//!
//! Used by `rekam-hub bio eval`, the EER regression test and the calibration figures in
//! docs/biometrics.md. Scores are similarities: higher means "more likely the same finger".
//! A comparison is a (false) match when its score is `>= threshold`.

/// Error rates of one experiment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorRates {
    pub genuine: usize,
    pub impostor: usize,
    /// Equal error rate, as a fraction (0.05 = 5%).
    pub eer: f64,
    /// Threshold at the EER.
    pub eer_threshold: f64,
    /// False non-match rate at a false match rate of at most 1%.
    pub fnmr_at_fmr_1: f64,
    /// ... at most 0.1%.
    pub fnmr_at_fmr_01: f64,
    /// ... at no false match at all ("zero FMR").
    pub fnmr_at_fmr_0: f64,
}

/// FMR at `t`: share of impostor scores `>= t` (`impostor` sorted ascending).
fn fmr(impostor: &[f64], t: f64) -> f64 {
    let below = impostor.partition_point(|&s| s < t);
    (impostor.len() - below) as f64 / impostor.len() as f64
}
/// FNMR at `t`: share of genuine scores `< t` (`genuine` sorted ascending).
fn fnmr(genuine: &[f64], t: f64) -> f64 {
    genuine.partition_point(|&s| s < t) as f64 / genuine.len() as f64
}

/// The thresholds worth looking at: every distinct score, plus one above the maximum.
fn thresholds(genuine: &[f64], impostor: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = genuine
        .iter()
        .chain(impostor)
        .copied()
        .filter(|s| s.is_finite())
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    let top = t.last().copied().unwrap_or(0.0);
    t.push(top + 1.0);
    t
}

/// Lowest FNMR over thresholds whose FMR is at most `target`.
pub fn fnmr_at_fmr(genuine: &[f64], impostor: &[f64], target: f64) -> f64 {
    let (g, i) = sorted(genuine, impostor);
    thresholds(&g, &i)
        .into_iter()
        .filter(|&t| fmr(&i, t) <= target)
        .map(|t| fnmr(&g, t))
        .fold(1.0, f64::min)
}

fn sorted(genuine: &[f64], impostor: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut g = genuine.to_vec();
    let mut i = impostor.to_vec();
    g.sort_by(f64::total_cmp);
    i.sort_by(f64::total_cmp);
    (g, i)
}

/// Computes all rates. Returns `None` when either set is empty.
pub fn error_rates(genuine: &[f64], impostor: &[f64]) -> Option<ErrorRates> {
    if genuine.is_empty() || impostor.is_empty() {
        return None;
    }
    let (g, i) = sorted(genuine, impostor);
    let ts = thresholds(&g, &i);
    // EER: at the threshold where FMR and FNMR cross, the mean of the two (the usual FVC rule
    // uses the crossing interval; on these discrete sets the midpoint is the honest figure).
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for &t in &ts {
        let (a, b) = (fmr(&i, t), fnmr(&g, t));
        let gap = (a - b).abs();
        if gap < best.0 {
            best = (gap, (a + b) / 2.0, t);
        }
    }
    let at = |target: f64| {
        ts.iter()
            .filter(|&&t| fmr(&i, t) <= target)
            .map(|&t| fnmr(&g, t))
            .fold(1.0, f64::min)
    };
    Some(ErrorRates {
        genuine: g.len(),
        impostor: i.len(),
        eer: best.1,
        eer_threshold: best.2,
        fnmr_at_fmr_1: at(0.01),
        fnmr_at_fmr_01: at(0.001),
        fnmr_at_fmr_0: at(0.0),
    })
}

/// Genuine and impostor scores of every unordered pair of `items` (finger label, template):
/// a pair is genuine when both labels are equal. Each template is prepared as a probe once.
pub fn pair_scores<L: PartialEq>(
    items: &[(L, &super::fingerprint::FingerprintTemplate)],
) -> (Vec<f64>, Vec<f64>) {
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for (a, (la, ta)) in items.iter().enumerate() {
        let mut m = super::fingerprint::FingerprintMatcher::new(ta);
        for (lb, tb) in &items[a + 1..] {
            let s = f64::from(m.score(tb));
            if la == lb {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
        }
    }
    (genuine, impostor)
}

/// Name of an FVC-style file `FINGER_IMPRESSION.ext`: the finger part, if the name has that form.
pub fn finger_of(file_stem: &str) -> Option<&str> {
    let (finger, impression) = file_stem.rsplit_once('_')?;
    (!finger.is_empty() && !impression.is_empty()).then_some(finger)
}
