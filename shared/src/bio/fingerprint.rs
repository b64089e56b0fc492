//! The fingerprint matcher: minutia-pair ("edge") tables and a greedy pairing grown from root pairs.
//!
//! The approach follows SourceAFIS's design, re-derived here (see docs/biometrics.md for why it
//! was chosen over MCC and Bozorth3):
//!
//! 1. **Prepare once** ([`FingerprintTemplate`]): for every minutia, the edges to its nearest
//!    neighbours, each described by three rotation- and translation-invariant numbers: the
//!    length, and the angles of the edge relative to the direction of each end minutia. Tables
//!    are sorted by length for merge-style comparison.
//! 2. **Probe lookup** ([`FingerprintMatcher`]): the probe's edges go into a coarse 3-D grid
//!    (length x angle x angle) so that a candidate edge finds similar probe edges in O(1). This is
//!    built once per probe and reused against every candidate (1:N, or 1:1 in a loop).
//! 3. **Roots**: candidate edges that look like probe edges give root minutia pairs, best first.
//! 4. **Pairing**: from each root, a priority queue grows the pairing along matching edges of
//!    already paired minutiae (most similar first), which tolerates skin distortion because every
//!    step is local. Edges between paired minutiae that also agree are counted as support.
//! 5. **Score**: from the best root, the count of supported pairs relative to both templates'
//!    minutia counts. [`crate::bio::fusion::FingerCalibration`] maps scores to false match rates.

use super::iso::FingerView;

/// Maximum edge length difference, pixels at 500 dpi.
const TOL_LEN: i32 = 12;
/// Maximum angle difference, in 1/65536 of a turn (about 11 degrees).
const TOL_ANGLE: i32 = 2000;
/// Neighbours kept in each minutia's edge table.
const NEIGHBOURS: usize = 9;
/// Roots tried per match.
const MAX_ROOTS: usize = 25;
/// Length buckets of the probe lookup grid.
const LEN_BUCKETS: usize = 24;
const LEN_BUCKET_WIDTH: i32 = 2 * TOL_LEN + 1;
/// Angle buckets (per angle) of the probe lookup grid.
const ANGLE_BUCKET_WIDTH: i32 = 2 * TOL_ANGLE + 1;
const ANGLE_BUCKETS: usize = 65536_usize.div_ceil(ANGLE_BUCKET_WIDTH as usize);
/// Reference resolution (pixels per centimetre, 500 dpi).
const REFERENCE_PPCM: f32 = 197.0;

#[derive(Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
    dir: u16,
}

/// One directed edge of a minutia's table.
#[derive(Clone, Copy)]
struct Edge {
    len: u16,
    /// Edge direction minus the direction of the `from` minutia.
    alpha: u16,
    /// Edge direction minus the direction of the `to` minutia.
    beta: u16,
    from: u8,
    to: u8,
}

/// A fingerprint prepared for matching (computed once, when it enters a gallery).
#[derive(Clone)]
pub struct FingerprintTemplate {
    points: Vec<Point>,
    /// Edge tables, minutia `i`'s edges at `edges[offsets[i]..offsets[i + 1]]`, sorted by length.
    edges: Vec<Edge>,
    offsets: Vec<u16>,
}

// Biometric data: Debug shows only the size.
impl std::fmt::Debug for FingerprintTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FingerprintTemplate {{ minutiae: {} }}",
            self.points.len()
        )
    }
}

fn angle_diff(a: u16, b: u16) -> i32 {
    (a.wrapping_sub(b) as i16 as i32).abs()
}

impl FingerprintTemplate {
    /// Prepares one finger view; `resolution` in pixels per centimetre (x, y) from the record
    /// header, used to bring coordinates to 500 dpi. At most 255 minutiae are used.
    pub fn new(view: &FingerView, resolution: (u16, u16)) -> Self {
        let sx = if resolution.0 > 0 {
            REFERENCE_PPCM / resolution.0 as f32
        } else {
            1.0
        };
        let sy = if resolution.1 > 0 {
            REFERENCE_PPCM / resolution.1 as f32
        } else {
            1.0
        };
        let points: Vec<Point> = view
            .minutiae
            .iter()
            .take(255)
            .map(|m| Point {
                x: (m.x as f32 * sx).round() as i32,
                y: (m.y as f32 * sy).round() as i32,
                dir: (m.angle as u16) << 8,
            })
            .collect();
        let n = points.len();
        let mut edges = Vec::with_capacity(n * NEIGHBOURS.min(n.saturating_sub(1)));
        let mut offsets = Vec::with_capacity(n + 1);
        let mut near: Vec<(i32, usize)> = Vec::with_capacity(n);
        for (i, p) in points.iter().enumerate() {
            offsets.push(edges.len() as u16);
            near.clear();
            near.extend(
                points
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, q)| {
                        let (dx, dy) = (q.x - p.x, q.y - p.y);
                        (dx * dx + dy * dy, j)
                    }),
            );
            near.sort_unstable();
            let start = edges.len();
            for &(_, j) in near.iter().take(NEIGHBOURS) {
                edges.push(edge(&points, i, j));
            }
            edges[start..].sort_unstable_by_key(|e| e.len);
        }
        offsets.push(edges.len() as u16);
        FingerprintTemplate {
            points,
            edges,
            offsets,
        }
    }

    /// Number of minutiae used.
    pub fn minutiae_count(&self) -> usize {
        self.points.len()
    }

    fn table(&self, i: usize) -> &[Edge] {
        &self.edges[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

fn edge(points: &[Point], i: usize, j: usize) -> Edge {
    let (p, q) = (points[i], points[j]);
    let (dx, dy) = ((q.x - p.x) as f32, (q.y - p.y) as f32);
    let len = (dx * dx + dy * dy).sqrt().round().min(u16::MAX as f32) as u16;
    // Image y points down; minutia angles are counter-clockwise as seen: use -dy.
    let dir = ((-dy).atan2(dx) * (65536.0 / std::f32::consts::TAU)).round() as i32 as u16;
    Edge {
        len,
        alpha: dir.wrapping_sub(p.dir),
        beta: dir.wrapping_sub(q.dir),
        from: i as u8,
        to: j as u8,
    }
}

/// How well two edges agree: `None` if beyond tolerance, else an error (smaller is better).
#[inline]
fn edge_error(a: &Edge, b: &Edge) -> Option<u32> {
    let dl = (a.len as i32 - b.len as i32).abs();
    let da = angle_diff(a.alpha, b.alpha);
    let db = angle_diff(a.beta, b.beta);
    if dl > TOL_LEN || da > TOL_ANGLE || db > TOL_ANGLE {
        return None;
    }
    Some((dl * (TOL_ANGLE / TOL_LEN) + da + db) as u32)
}

fn len_bucket(len: i32) -> usize {
    (len.max(0) / LEN_BUCKET_WIDTH).min(LEN_BUCKETS as i32 - 1) as usize
}
fn angle_bucket(a: u16) -> usize {
    a as usize / ANGLE_BUCKET_WIDTH as usize
}
fn cell(l: usize, a: usize, b: usize) -> usize {
    (l * ANGLE_BUCKETS + a) * ANGLE_BUCKETS + b
}
/// Buckets covering `[a - TOL_ANGLE, a + TOL_ANGLE]` on the circle.
fn angle_buckets(a: u16) -> impl Iterator<Item = usize> {
    let lo = angle_bucket(a.wrapping_sub(TOL_ANGLE as u16));
    let hi = angle_bucket(a.wrapping_add(TOL_ANGLE as u16));
    let count = if hi >= lo {
        hi - lo + 1
    } else {
        hi + ANGLE_BUCKETS - lo + 1
    };
    (0..count).map(move |k| (lo + k) % ANGLE_BUCKETS)
}

/// A probe prepared for matching against many candidates (its edge lookup grid and scratch space).
pub struct FingerprintMatcher<'a> {
    probe: &'a FingerprintTemplate,
    /// CSR over grid cells: edges of cell `c` are `grid[starts[c]..starts[c + 1]]` (edge indices).
    starts: Vec<u16>,
    grid: Vec<u16>,
    scratch: Scratch,
}

impl std::fmt::Debug for FingerprintMatcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FingerprintMatcher {{ probe: {:?} }}", self.probe)
    }
}

#[derive(Default)]
struct Scratch {
    roots: Vec<(u32, u8, u8)>,
    pair_p: Vec<u8>,
    pair_c: Vec<u8>,
    support: Vec<u16>,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(u32, u8, u8)>>,
    paired: Vec<u8>,
}

const NONE: u8 = u8::MAX;

impl<'a> FingerprintMatcher<'a> {
    /// Builds the lookup grid of `probe`.
    pub fn new(probe: &'a FingerprintTemplate) -> Self {
        let cells = LEN_BUCKETS * ANGLE_BUCKETS * ANGLE_BUCKETS;
        let mut counts = vec![0u16; cells + 1];
        let visit = |f: &mut dyn FnMut(usize, usize)| {
            for (k, e) in probe.edges.iter().enumerate() {
                let l0 = len_bucket(e.len as i32 - TOL_LEN);
                let l1 = len_bucket(e.len as i32 + TOL_LEN);
                for l in l0..=l1 {
                    for a in angle_buckets(e.alpha) {
                        for b in angle_buckets(e.beta) {
                            f(cell(l, a, b), k);
                        }
                    }
                }
            }
        };
        visit(&mut |c, _| counts[c + 1] += 1);
        for c in 0..cells {
            counts[c + 1] += counts[c];
        }
        let starts = counts;
        let mut fill = starts.clone();
        let mut grid = vec![0u16; starts[cells] as usize];
        visit(&mut |c, k| {
            grid[fill[c] as usize] = k as u16;
            fill[c] += 1;
        });
        FingerprintMatcher {
            probe,
            starts,
            grid,
            scratch: Scratch::default(),
        }
    }

    /// Similarity score of the probe and `candidate`: 0 for nothing in common, growing with the
    /// number of consistently paired minutiae. Symmetric up to root-order ties.
    pub fn score(&mut self, candidate: &FingerprintTemplate) -> f32 {
        let probe = self.probe;
        let (np, nc) = (probe.points.len(), candidate.points.len());
        if np < 2 || nc < 2 {
            return 0.0;
        }
        let s = &mut self.scratch;
        // 1. Roots: candidate edges similar to probe edges.
        s.roots.clear();
        for ce in &candidate.edges {
            let c = cell(
                len_bucket(ce.len as i32),
                angle_bucket(ce.alpha),
                angle_bucket(ce.beta),
            );
            for &k in &self.grid[self.starts[c] as usize..self.starts[c + 1] as usize] {
                let pe = &probe.edges[k as usize];
                if let Some(err) = edge_error(pe, ce) {
                    s.roots.push((err, pe.from, ce.from));
                }
            }
        }
        s.roots.sort_unstable();
        // 2. Pairing from each distinct root.
        s.pair_p.clear();
        s.pair_p.resize(np, NONE);
        s.pair_c.clear();
        s.pair_c.resize(nc, NONE);
        s.support.clear();
        s.support.resize(np, 0);
        let mut best = 0.0f32;
        let mut tried = 0;
        let mut seen: Vec<(u8, u8)> = Vec::with_capacity(MAX_ROOTS);
        for r in 0..s.roots.len() {
            let (_, p0, c0) = s.roots[r];
            if seen.contains(&(p0, c0)) {
                continue;
            }
            seen.push((p0, c0));
            let sc = pair_from(probe, candidate, p0, c0, s);
            best = best.max(sc);
            tried += 1;
            if tried >= MAX_ROOTS {
                break;
            }
        }
        best
    }
}

/// Grows a pairing from root (p0, c0) and scores it; leaves the scratch arrays reset.
fn pair_from(
    probe: &FingerprintTemplate,
    cand: &FingerprintTemplate,
    p0: u8,
    c0: u8,
    s: &mut Scratch,
) -> f32 {
    use std::cmp::Reverse;
    s.heap.clear();
    s.paired.clear();
    s.heap.push(Reverse((0, p0, c0)));
    let mut supports = 0u32;
    while let Some(Reverse((_, p, c))) = s.heap.pop() {
        let (pu, cu) = (p as usize, c as usize);
        if s.pair_p[pu] == NONE && s.pair_c[cu] == NONE {
            s.pair_p[pu] = c;
            s.pair_c[cu] = p;
            s.paired.push(p);
            // Expand along matching edges.
            let (pt, ct) = (probe.table(pu), cand.table(cu));
            let mut lo = 0;
            for pe in pt {
                while lo < ct.len() && (ct[lo].len as i32) < pe.len as i32 - TOL_LEN {
                    lo += 1;
                }
                for ce in &ct[lo..] {
                    if ce.len as i32 > pe.len as i32 + TOL_LEN {
                        break;
                    }
                    if let Some(err) = edge_error(pe, ce) {
                        let (pn, cn) = (pe.to, ce.to);
                        let (a, b) = (s.pair_p[pn as usize], s.pair_c[cn as usize]);
                        if a == NONE && b == NONE {
                            s.heap.push(Reverse((err, pn, cn)));
                        } else if a == cn {
                            s.support[pn as usize] += 1;
                            s.support[pu] += 1;
                            supports += 1;
                        }
                    }
                }
            }
        }
    }
    let m = s.paired.len() as u32;
    let mut supported = 0u32;
    for &p in &s.paired {
        let pu = p as usize;
        if s.support[pu] > 0 {
            supported += 1;
        }
        s.pair_c[s.pair_p[pu] as usize] = NONE;
        s.pair_p[pu] = NONE;
        s.support[pu] = 0;
    }
    let _ = (m, supports);
    let (np, nc) = (probe.points.len() as f32, cand.points.len() as f32);
    let k = supported as f32;
    // Fraction of each template explained, times the evidence count.
    k * (k / np + k / nc) * 0.5
}

/// One-off 1:1 score (builds the probe's lookup grid; prefer [`FingerprintMatcher`] for many).
pub fn match_score(probe: &FingerprintTemplate, candidate: &FingerprintTemplate) -> f32 {
    FingerprintMatcher::new(probe).score(candidate)
}
