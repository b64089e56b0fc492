//! The fingerprint matcher: minutia-pair ("edge") tables and a greedy pairing grown from root pairs.
//!
//! The approach follows SourceAFIS's design, re-derived here, with MCC's idea of ranking minutia
//! pairs by local similarity (see docs/biometrics.md for the choice and the measurements):
//!
//! 1. **Prepare once** ([`FingerprintTemplate`]): for every minutia, the edges to its nearest
//!    neighbours, each described by three rotation- and translation-invariant numbers: the
//!    length, and the angles of the edge relative to the direction of each end minutia. The
//!    edges are kept in the order of their lookup grid cells (step 2), precomputed.
//! 2. **Probe lookup** ([`FingerprintMatcher`]): the probe's edges go into a 3-D grid
//!    (length x angle x angle) so that a candidate edge finds similar probe edges by reading one
//!    cell. Built once per probe and reused against every candidate (1:N, or 1:1 in a loop).
//! 3. **Votes and roots**: each (probe edge, candidate edge) pair within tolerance votes for the
//!    minutia pairs at both ends; the most-voted minutia pairs are the roots. The matches are kept,
//!    linked into one list per start minutia pair, as the adjacency lists of step 4.
//! 4. **Pairing**: from each root, a priority queue grows a one-to-one pairing along matching
//!    edges of already paired minutiae (most similar first), which tolerates skin distortion
//!    because every step is local. Matching edges between two already paired minutiae count as
//!    support. A root that an earlier pairing already paired with good support is skipped.
//! 5. **Score**: supporting edges x the share of each template's minutiae that are paired with
//!    at least two supports, best root wins. [`crate::bio::fusion::FingerCalibration`] maps
//!    scores to false match rates.
//!
//! Speed: what a score costs is mostly waiting (for the probe's grid, which does not fit the L1
//! cache, and on mispredicted branches), not arithmetic. Hence candidates read the grid in cell
//! order, in two passes (addresses first, so that many loads are in flight), cells are checked
//! four slots at a time into a bit mask, matches and votes are collected without branches, and
//! all scratch space is allocated once per probe and left clean by each score (only touched
//! entries are reset, nothing of size n_p x n_c is ever cleared).

use super::iso::{FingerPosition, FingerView, FingerprintRecord, TemplateError};

/// Most length buckets of the probe lookup grid (fewer when the probe's edges are shorter).
const LEN_BUCKETS: usize = 40;

/// Matcher parameters. The defaults are the tuned values measured in docs/biometrics.md; other
/// values exist for tuning experiments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatcherParams {
    /// Maximum edge length difference, pixels at 500 dpi.
    pub tol_len: i32,
    /// Maximum angle difference, in 1/65536 of a turn (2600 = 14.3 degrees).
    pub tol_angle: i32,
    /// Roots tried per match.
    pub max_roots: usize,
    /// Fewest votes (similar edges around it) a minutia pair needs to be tried as a root.
    pub min_votes: u8,
    /// Supporting edges a pair needs to count in the score.
    pub min_support: u16,
    /// After this many roots, stop if the best score is still below `early_score`.
    pub early_roots: usize,
    /// See `early_roots`.
    pub early_score: f32,
    /// A root is skipped when an earlier root's pairing already paired it with at least this
    /// many supporting edges (it would grow much the same pairing again); `u16::MAX`: never.
    pub cover_support: u16,
    /// Lookup grid bucket = tolerance window / `grid_div`.
    pub grid_div: u8,
    /// Score formula variant (tuning only).
    pub variant: u8,
}

impl Default for MatcherParams {
    fn default() -> Self {
        MatcherParams {
            tol_len: 10,
            tol_angle: 2600,
            max_roots: 15,
            min_votes: 2,
            min_support: 2,
            early_roots: 8,
            early_score: 1.0,
            cover_support: 4,
            grid_div: 2,
            variant: 3,
        }
    }
}

/// Neighbours kept in each minutia's edge table.
pub const DEFAULT_NEIGHBOURS: usize = 9;

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
    /// Each minutia's edges to its nearest neighbours (both directions where mutual), in the
    /// order of their lookup grid cells under the default tolerances: scoring this template as a
    /// candidate then reads a probe's grid from start to end instead of jumping around in it
    /// (that memory traffic, not arithmetic, is what a score costs most).
    edges: Vec<Edge>,
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

#[inline]
fn angle_diff(a: u16, b: u16) -> i32 {
    (a.wrapping_sub(b) as i16 as i32).abs()
}

impl FingerprintTemplate {
    /// Prepares one finger view; `resolution` in pixels per centimetre (x, y) from the record
    /// header, used to bring coordinates to 500 dpi. At most 255 minutiae are used.
    pub fn new(view: &FingerView, resolution: (u16, u16)) -> Self {
        Self::with_neighbours(view, resolution, DEFAULT_NEIGHBOURS)
    }

    /// [`Self::new`] with another edge table size (tuning).
    pub fn with_neighbours(view: &FingerView, resolution: (u16, u16), neighbours: usize) -> Self {
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
        let mut edges: Vec<Edge> = Vec::with_capacity(n * neighbours.min(n.saturating_sub(1)));
        // Squared distances in i64: a record may declare a tiny resolution (1 px/cm), which
        // scales coordinates up to ~3.2 M and their squares past i32 (found by cargo-fuzz).
        let mut near: Vec<(i64, usize)> = Vec::with_capacity(n);
        for (i, p) in points.iter().enumerate() {
            near.clear();
            near.extend(
                points
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, q)| {
                        let (dx, dy) = ((q.x - p.x) as i64, (q.y - p.y) as i64);
                        (dx * dx + dy * dy, j)
                    }),
            );
            // The `neighbours` nearest (by distance, then index); their order does not matter,
            // the edges are sorted below.
            let k = neighbours.min(near.len());
            if k > 0 && k < near.len() {
                near.select_nth_unstable(k - 1);
            }
            for &(_, j) in &near[..k] {
                edges.push(edge(&points, i, j));
            }
        }
        // In cell order (then by ends, so the order is fully determined): sort packed
        // `cell | from | to | index` (at most 255 x 254 edges: the index fits 16 bits).
        let geo = Geometry::new(&MatcherParams::default());
        let mut order: Vec<u64> = edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (geo.cell_of(e) as u64) << 32
                    | (e.from as u64) << 24
                    | (e.to as u64) << 16
                    | i as u64
            })
            .collect();
        order.sort_unstable();
        let edges = order.iter().map(|&o| edges[o as u16 as usize]).collect();
        FingerprintTemplate { points, edges }
    }

    /// Parses a minutiae record (ISO 19794-2:2005 or ANSI 378-2004) and prepares every view,
    /// with its finger position.
    pub fn from_record(bytes: &[u8]) -> Result<Vec<(FingerPosition, Self)>, TemplateError> {
        let r = FingerprintRecord::parse(bytes)?;
        let res = (r.resolution_x, r.resolution_y);
        Ok(r.views
            .iter()
            .map(|v| (v.position, Self::new(v, res)))
            .collect())
    }

    /// Number of minutiae used.
    pub fn minutiae_count(&self) -> usize {
        self.points.len()
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

/// The grid cells within tolerance of an edge: length buckets `len.0..=len.1`, and the first
/// `alpha.0` (`beta.0`) buckets of `alpha.1` (`beta.1`).
struct Window {
    len: (usize, usize),
    alpha: (usize, [usize; 8]),
    beta: (usize, [usize; 8]),
}

impl Window {
    fn cells(&self) -> usize {
        (self.len.1 - self.len.0 + 1) * self.alpha.0 * self.beta.0
    }
}

/// Tolerances and the lookup grid geometry derived from them.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    tol_len: i32,
    tol_angle: i32,
    /// Length buckets in use.
    len_buckets: usize,
    /// Weight of one pixel of length error against one angle unit.
    len_weight: i32,
    /// Bucket division as multiplication: `ceil(2^32 / width)`.
    len_inv: u64,
    angle_inv: u64,
    angle_buckets: usize,
}

impl Geometry {
    fn new(p: &MatcherParams) -> Self {
        let tol_len = p.tol_len.clamp(1, 200);
        let tol_angle = p.tol_angle.clamp(16, 16000);
        // Buckets of (2 * tol + 1) / grid_div: finer buckets mean fewer probe edges to check
        // per candidate edge, and more cells to fill per probe edge.
        let div = p.grid_div.clamp(1, 4) as i32;
        let angle_width = ((2 * tol_angle + 1) / div).max(1);
        let len_width = ((2 * tol_len + 1) / div).max(1);
        Geometry {
            tol_len,
            tol_angle,
            len_buckets: LEN_BUCKETS,
            len_weight: tol_angle / tol_len,
            len_inv: (1u64 << 32).div_ceil(len_width as u64),
            angle_inv: (1u64 << 32).div_ceil(angle_width as u64),
            angle_buckets: 65536usize.div_ceil(angle_width as usize),
        }
    }

    /// Which of `FIXED` slots are within tolerance of `b`, as a bit mask, written lane by lane
    /// so that the compiler can use vector instructions. Same test as [`Self::edge_fit`]:
    /// lengths differ by less than 2^15, so their 16-bit wrapping difference is the true one.
    #[inline(always)]
    fn fit_mask(&self, block: &[Slot; FIXED], b: &Edge) -> usize {
        let (tl, ta) = (self.tol_len as u16, self.tol_angle as u16);
        let mut mask = 0;
        for (i, a) in block.iter().enumerate() {
            let dl = (a.len.wrapping_sub(b.len) as i16).unsigned_abs();
            let da = (a.alpha.wrapping_sub(b.alpha) as i16).unsigned_abs();
            let db = (a.beta.wrapping_sub(b.beta) as i16).unsigned_abs();
            let over = dl.saturating_sub(tl) | da.saturating_sub(ta) | db.saturating_sub(ta);
            mask |= ((over == 0) as usize) << i;
        }
        mask
    }

    /// Whether probe edge `a` is within tolerance of candidate edge `b` (without a branch), and
    /// their error (weighted length difference plus both angle differences), which orders the
    /// pairing's queue.
    #[inline(always)]
    fn edge_fit(&self, a: &Slot, b: &Edge) -> (bool, u32) {
        let dl = (a.len as i32 - b.len as i32).abs();
        let da = angle_diff(a.alpha, b.alpha);
        let db = angle_diff(a.beta, b.beta);
        let ok = (dl <= self.tol_len) & (da <= self.tol_angle) & (db <= self.tol_angle);
        (ok, (dl * self.len_weight + da + db) as u32)
    }

    /// The cell a candidate edge `e` looks up.
    #[inline(always)]
    fn cell_of(&self, e: &Edge) -> usize {
        self.cell(
            self.len_bucket(e.len as i32),
            self.angle_bucket(e.alpha),
            self.angle_bucket(e.beta),
        )
    }

    fn len_bucket(&self, len: i32) -> usize {
        ((len.max(0) as u64 * self.len_inv) >> 32).min(self.len_buckets as u64 - 1) as usize
    }
    fn angle_bucket(&self, a: u16) -> usize {
        ((a as u64 * self.angle_inv) >> 32) as usize
    }
    fn cells(&self) -> usize {
        self.len_buckets * self.angle_buckets * self.angle_buckets
    }
    fn cell(&self, l: usize, a: usize, b: usize) -> usize {
        (l * self.angle_buckets + a) * self.angle_buckets + b
    }
    /// The cells within tolerance of `e`.
    #[inline(always)]
    fn window(&self, e: &Edge) -> Window {
        let mut w = Window {
            len: (
                self.len_bucket(e.len as i32 - self.tol_len),
                self.len_bucket(e.len as i32 + self.tol_len),
            ),
            alpha: (0, [0; 8]),
            beta: (0, [0; 8]),
        };
        w.alpha.0 = self.angle_buckets(e.alpha, &mut w.alpha.1);
        w.beta.0 = self.angle_buckets(e.beta, &mut w.beta.1);
        w
    }

    /// Calls `f` with every cell within tolerance of `e`.
    #[inline(always)]
    fn for_cells(&self, e: &Edge, mut f: impl FnMut(usize)) {
        let w = self.window(e);
        for l in w.len.0..=w.len.1 {
            for &a in &w.alpha.1[..w.alpha.0] {
                for &b in &w.beta.1[..w.beta.0] {
                    f(self.cell(l, a, b));
                }
            }
        }
    }

    /// Buckets covering `[a - tol, a + tol]` on the circle.
    fn angle_buckets(&self, a: u16, out: &mut [usize; 8]) -> usize {
        let n = self.angle_buckets;
        let lo = self.angle_bucket(a.wrapping_sub(self.tol_angle as u16));
        let hi = self.angle_bucket(a.wrapping_add(self.tol_angle as u16));
        let count = if hi >= lo {
            hi - lo + 1
        } else {
            hi + n - lo + 1
        }
        .min(n)
        .min(8);
        let mut b = lo;
        for slot in out.iter_mut().take(count) {
            *slot = b;
            b += 1;
            if b == n {
                b = 0;
            }
        }
        count
    }
}

/// A probe prepared for matching against many candidates (its edge lookup grid and scratch space).
pub struct FingerprintMatcher<'a> {
    probe: &'a FingerprintTemplate,
    params: MatcherParams,
    lookup: Lookup,
    scratch: Scratch,
}

/// The probe's edge lookup grid.
struct Lookup {
    geo: Geometry,
    /// CSR over grid cells: entries of cell `c` are `grid[starts[c]..starts[c + 1]]` (copies, so a
    /// lookup reads one contiguous run).
    starts: Starts,
    /// Most entries in one cell.
    widest: usize,
    grid: Vec<Slot>,
}

impl std::fmt::Debug for FingerprintMatcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FingerprintMatcher {{ probe: {:?} }}", self.probe)
    }
}

/// A probe edge in the lookup grid: [`Edge`] with its two ends packed as `from << 8 | to`, the
/// shape they take in a [`Scratch::raw`] match.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Slot {
    len: u16,
    alpha: u16,
    beta: u16,
    ends: u16,
}

/// Per-probe working memory, sized once in [`FingerprintMatcher::with_params`]. Every array
/// indexed by minutia (pair) is back to its resting state (0 / [`NONE`]) after each `score`, and
/// only the touched entries are reset, so no call clears or allocates anything of size n_p x n_c.
struct Scratch {
    /// Root candidates, `(255 - votes) << 16 | p << 8 | c`.
    roots: Vec<u32>,
    /// Matching edge pairs, packed `candidate start << 40 | error << 24 | probe start << 16 |
    /// probe end << 8 | candidate end`.
    raw: Vec<u64>,
    /// Linked lists of the matches by start pair: the first is `raw[head[p << 8 | c] - 1]`,
    /// the one after `raw[i]` is `raw[next[i] - 1]`; 0 ends a list.
    head: Vec<u32>,
    next: Vec<u32>,
    /// Votes of minutia pair (p, c) at `p << 8 | c`; during the pairings (the votes are all
    /// taken by then), 1 marks a pair an earlier pairing covered (`cover_support`).
    votes: Vec<u8>,
    pair_p: Vec<u8>,
    pair_c: Vec<u8>,
    support: Vec<u16>,
    /// The pairing's queue ([`MinQueue`]): candidate pairs packed as `error << 16 | p << 8 | c`,
    /// smallest first.
    heap: Vec<u32>,
    paired: Vec<u8>,
}

impl Scratch {
    fn new(np: usize) -> Self {
        Scratch {
            roots: Vec::new(),
            raw: Vec::new(),
            head: vec![0; np << 8],
            next: Vec::new(),
            votes: vec![0; np << 8],
            pair_p: vec![NONE; np],
            pair_c: vec![NONE; 256],
            support: vec![0; np],
            heap: Vec::new(),
            paired: Vec::new(),
        }
    }
}

const NONE: u8 = u8::MAX;

/// Grid cell offsets: 16 bits whenever the grid is small enough (almost always; half the
/// memory to read), else 32.
enum Starts {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

trait Offset: Copy {
    fn at(self) -> usize;
    /// Only called with values that fit.
    fn from_usize(x: usize) -> Self;
}
impl Offset for u16 {
    #[inline(always)]
    fn at(self) -> usize {
        self as usize
    }
    #[inline(always)]
    fn from_usize(x: usize) -> Self {
        x as u16
    }
}
impl Offset for u32 {
    #[inline(always)]
    fn at(self) -> usize {
        self as usize
    }
    #[inline(always)]
    fn from_usize(x: usize) -> Self {
        x as u32
    }
}

/// The start pair `p << 8 | c` and the end pair of a match in [`Scratch::raw`].
#[inline(always)]
fn start_end(m: u64) -> (usize, usize) {
    (
        (m >> 8) as usize & 0xff00 | (m >> 40) as usize & 0xff,
        m as usize & 0xffff,
    )
}

/// Grid slots every lookup checks without a loop (see [`FingerprintMatcher::score`]).
const FIXED: usize = 4;

/// What a pairing found.
#[derive(Debug, Clone, Copy, Default)]
struct Pairing {
    pairs: u32,
    supported: u32,
    supports: u32,
}

impl Lookup {
    /// Cell offsets, widest cell and grid of `edges` (`total` cell insertions) by a counting
    /// sort: count cell c's entries into `starts[c + 2]`, prefix sums (`starts[c + 1]` is now
    /// where cell c starts), place each entry at `starts[c + 1]`, advancing it: it ends as the
    /// start of c + 1, so `starts[c]` is where c starts, with no shift back.
    fn build<O: Offset>(
        geo: &Geometry,
        edges: &[Edge],
        total: usize,
    ) -> (Vec<O>, usize, Vec<Slot>) {
        let cells = geo.cells();
        let mut starts = vec![O::from_usize(0); cells + 2];
        let mut widest = 0;
        for e in edges {
            geo.for_cells(e, |c| {
                let count = starts[c + 2].at() + 1;
                widest = widest.max(count);
                starts[c + 2] = O::from_usize(count);
            });
        }
        let mut sum = 0;
        for x in &mut starts[2..] {
            sum += x.at();
            *x = O::from_usize(sum);
        }
        let mut grid = vec![Slot::default(); total + FIXED];
        for e in edges {
            let slot = Slot {
                len: e.len,
                alpha: e.alpha,
                beta: e.beta,
                ends: (e.from as u16) << 8 | e.to as u16,
            };
            geo.for_cells(e, |c| {
                let at = starts[c + 1].at();
                grid[at] = slot;
                starts[c + 1] = O::from_usize(at + 1);
            });
        }
        starts.truncate(cells + 1);
        (starts, widest, grid)
    }

    /// Step 1 of [`FingerprintMatcher::score`]: writes every (probe edge, candidate edge) pair
    /// within tolerance to `raw` (packed as [`Scratch::raw`] says), returns how many.
    ///
    /// Branch-free: the outcome of each check is unpredictable, a branch would mispredict
    /// often. Most cells hold at most `FIXED` edges: those are checked all at once (the grid
    /// has `FIXED` slots of padding at its end; slots past the cell are masked off), and the
    /// matching ones written with a table of bit positions, so that neither the varying length
    /// of the cells nor the matches cost a branch; longer cells finish in a loop. The scan only
    /// writes where the matches are (`cell slot | candidate edge << 32`); a last pass over the
    /// (few) matches packs them with their error.
    fn scan<O: Offset>(
        &self,
        starts: &[O],
        candidate: &FingerprintTemplate,
        raw: &mut Vec<u64>,
    ) -> usize {
        let geo = self.geo;
        let grid = &self.grid[..];
        let mut n = 0usize;
        // Room for a block of candidate edges is made before the block, so that the loop
        // writes into a plain slice.
        const BLOCK: usize = 64;
        let room = BLOCK * self.widest.max(FIXED);
        for (b, edges) in candidate.edges.chunks(BLOCK).enumerate() {
            if raw.len() < n + room {
                raw.resize(n + room, 0);
            }
            // Two passes per block: first every cell's range, then the checks. The first pass
            // is a short loop of independent loads, so the processor has many of them in
            // flight at once: the grid does not fit the L1 cache.
            let mut ranges = [(0u32, 0u32, 0u32); BLOCK];
            let mut filled = 0;
            for (j, ce) in edges.iter().enumerate() {
                // (The probe's `geo`: edges longer than its grid go to its last length bucket.)
                let c = geo.cell_of(ce);
                let (start, end) = (starts[c].at() as u32, starts[c + 1].at() as u32);
                // Empty cells (a quarter of them) are dropped here, without a branch.
                ranges[filled] = (start, end, j as u32);
                filled += (end > start) as usize;
            }
            let out = &mut raw[..];
            for &(start, end, j) in &ranges[..filled] {
                let ce = &edges[j as usize];
                let edge = ((b * BLOCK + j as usize) as u64) << 32;
                let (start, end) = (start as usize, end as usize);
                let len = end - start;
                let fixed: &[Slot; FIXED] = grid[start..start + FIXED].try_into().unwrap();
                let mask = geo.fit_mask(fixed, ce) & ((1 << len.min(FIXED)) - 1);
                let at = &MASK_BITS[mask];
                for i in 0..FIXED {
                    out[n + i] = edge | (start + at[i] as usize) as u64;
                }
                n += mask.count_ones() as usize;
                if len > FIXED {
                    for (k, pe) in grid[start + FIXED..end].iter().enumerate() {
                        out[n] = edge | (start + FIXED + k) as u64;
                        n += geo.edge_fit(pe, ce).0 as usize;
                    }
                }
            }
        }
        for m in &mut raw[..n] {
            let (pe, ce) = (
                &grid[*m as u32 as usize],
                &candidate.edges[(*m >> 32) as usize],
            );
            let err = geo.edge_fit(pe, ce).1;
            *m = (ce.from as u64) << 40 | (err as u64) << 24 | (pe.ends as u64) << 8 | ce.to as u64;
        }
        n
    }
}

/// For each mask of `FIXED` bits, the positions of its set bits, in order (then anything).
const MASK_BITS: [[u8; FIXED]; 1 << FIXED] = {
    let mut table = [[0u8; FIXED]; 1 << FIXED];
    let mut mask = 0;
    while mask < 1 << FIXED {
        let (mut bit, mut k) = (0, 0);
        while bit < FIXED {
            if mask & (1 << bit) != 0 {
                table[mask][k] = bit as u8;
                k += 1;
            }
            bit += 1;
        }
        mask += 1;
    }
    table
};

impl<'a> FingerprintMatcher<'a> {
    /// Builds the lookup grid of `probe`.
    pub fn new(probe: &'a FingerprintTemplate) -> Self {
        Self::with_params(probe, MatcherParams::default())
    }

    /// [`Self::new`] with explicit parameters.
    pub fn with_params(probe: &'a FingerprintTemplate, params: MatcherParams) -> Self {
        let mut geo = Geometry::new(&params);
        // Only as many length buckets as the probe's longest edge (plus tolerance) needs: a
        // longer candidate edge lands in the last bucket and is rejected by the exact check.
        let longest = probe.edges.iter().map(|e| e.len as i32).max().unwrap_or(0);
        geo.len_buckets = LEN_BUCKETS;
        geo.len_buckets = (geo.len_bucket(longest + geo.tol_len) + 1).min(LEN_BUCKETS);
        let geo = geo;
        // Each edge goes into every cell within tolerance of it: count them first, so that the
        // offsets can be 16 bits whenever the grid is small enough.
        let total: usize = probe.edges.iter().map(|e| geo.window(e).cells()).sum();
        let starts;
        let (widest, grid);
        if total + FIXED <= u16::MAX as usize {
            let (s, w, g) = Lookup::build::<u16>(&geo, &probe.edges, total);
            (starts, widest, grid) = (Starts::Narrow(s), w, g);
        } else {
            let (s, w, g) = Lookup::build::<u32>(&geo, &probe.edges, total);
            (starts, widest, grid) = (Starts::Wide(s), w, g);
        }
        FingerprintMatcher {
            probe,
            params,
            lookup: Lookup {
                geo,
                starts,
                widest,
                grid,
            },
            scratch: Scratch::new(probe.points.len()),
        }
    }

    /// Similarity score of the probe and `candidate`: 0 for nothing in common, growing with the
    /// number of consistently paired minutiae.
    pub fn score(&mut self, candidate: &FingerprintTemplate) -> f32 {
        let probe = self.probe;
        let (np, nc) = (probe.points.len(), candidate.points.len());
        if np < 2 || nc < 2 {
            return 0.0;
        }
        let s = &mut self.scratch;
        // 1. Every (probe edge, candidate edge) pair within tolerance.
        let n = match &self.lookup.starts {
            Starts::Narrow(starts) => self.lookup.scan(starts, candidate, &mut s.raw),
            Starts::Wide(starts) => self.lookup.scan(starts, candidate, &mut s.raw),
        };
        let raw = &s.raw[..n];
        // 2. Roots: each match votes for the minutia pairs at both its ends; pairs with the most
        //    votes (the most similar neighbourhoods) go first. The same pass links each match
        //    into the list of its start pair (p, c) (`head`, `next`): the pairing's adjacency.
        if s.next.len() < n {
            s.next.resize(n, 0);
        }
        // (Plain slices here and below: through `s`, the compiler would reload each vector's
        // address after every byte written.)
        let (votes, head, next) = (&mut s.votes[..], &mut s.head[..], &mut s.next[..n]);
        for ((i, &r), next) in raw.iter().enumerate().zip(next) {
            let (a, b) = start_end(r);
            votes[a] = votes[a].saturating_add(1);
            votes[b] = votes[b].saturating_add(1);
            *next = head[a];
            head[a] = i as u32 + 1;
        }
        // Collect each voted pair once (taking its count resets it to zero for the next call),
        // as `(255 - votes) << 16 | p << 8 | c`: most votes first, then smallest (p, c).
        // Branch-free: every pair is written, kept only if it has enough votes.
        let min_votes = self.params.min_votes.max(1);
        if s.roots.len() < 2 * n {
            s.roots.resize(2 * n, 0);
        }
        let mut nr = 0usize;
        let roots = &mut s.roots[..];
        for &r in raw {
            let (a, b) = start_end(r);
            for pc in [a, b] {
                let v = std::mem::take(&mut votes[pc]);
                roots[nr] = ((u8::MAX - v) as u32) << 16 | pc as u32;
                nr += (v >= min_votes) as usize;
            }
        }
        let k = self.params.max_roots.max(1);
        if nr > k {
            // The k smallest keys: most votes, then smallest (p, c).
            s.roots[..nr].select_nth_unstable(k - 1);
            nr = k;
        }
        let roots = &mut s.roots[..nr];
        roots.sort_unstable();
        // 3. Pairing from each root.
        let mut best = 0.0f32;
        for r in 0..nr {
            // Early exit: when the best-voted roots found nothing at all, the weaker ones will
            // not either (most comparisons in a 1:N search are such impostors).
            if r == self.params.early_roots && best < self.params.early_score {
                break;
            }
            let root = s.roots[r];
            // A root that an earlier pairing already paired, and supported well, would grow
            // much the same pairing again.
            if s.votes[root as usize & 0xffff] != 0 {
                continue;
            }
            let found = pair_from(
                (root >> 8) as u8,
                root as u8,
                n,
                self.params.min_support,
                self.params.cover_support,
                s,
            );
            best = best.max(score_of(found, np, nc, self.params.variant));
        }
        for &r in &s.raw[..n] {
            let (a, b) = start_end(r);
            s.head[a] = 0;
            s.votes[a] = 0;
            s.votes[b] = 0;
        }
        best
    }
}

fn score_of(f: Pairing, np: usize, nc: usize, variant: u8) -> f32 {
    let (np, nc) = (np as f32, nc as f32);
    let k = f.supported as f32;
    let m = f.pairs as f32;
    match variant {
        1 => m * (m / np + m / nc) * 0.5,
        2 => k * k / (np * nc).sqrt(),
        3 => (f.supports as f32) * (k / np + k / nc) * 0.5,
        4 => k * (k / np.min(nc)),
        5 => k * (k / np + k / nc) * 0.5 + 0.1 * f.supports as f32,
        6 => (f.supports as f32) * k / (np * nc).sqrt(),
        7 => (f.supports as f32) * (m / np + m / nc) * 0.5,
        8 => (f.supports as f32 + k) * (k / np + k / nc) * 0.5,
        9 => (f.supports as f32).sqrt() * k * (k / np + k / nc) * 0.5,
        _ => k * (k / np + k / nc) * 0.5,
    }
}

/// Grows a pairing from root (p0, c0) along the first `n` matches of `s.raw`; leaves the scratch
/// arrays reset, except `s.votes`: 1 at each pair paired with at least `cover_support`
/// supporting edges.
fn pair_from(
    p0: u8,
    c0: u8,
    n: usize,
    min_support: u16,
    cover_support: u16,
    s: &mut Scratch,
) -> Pairing {
    // Every match is pushed at most once per pairing (when its start pair gets paired), so the
    // queue never holds more than n + 1 entries.
    if s.heap.len() < n + 1 {
        s.heap.resize(n + 1, 0);
    }
    // Plain slices, so the compiler keeps their addresses in registers.
    let (pair_p, pair_c, support) = (&mut s.pair_p[..], &mut s.pair_c[..], &mut s.support[..]);
    let (raw, next, head) = (&s.raw[..n], &s.next[..n], &s.head[..]);
    let mut queue = MinQueue {
        keys: &mut s.heap[..],
        len: 0,
    };
    s.paired.clear();
    queue.push(((p0 as u32) << 8) | c0 as u32);
    let mut supports = 0u32;
    while let Some(packed) = queue.pop() {
        let (p, c) = ((packed >> 8) as u8, packed as u8);
        let (pu, cu) = (p as usize, c as usize);
        if pair_p[pu] != NONE || pair_c[cu] != NONE {
            continue;
        }
        pair_p[pu] = c;
        pair_c[cu] = p;
        s.paired.push(p);
        // Expand along the matching edges that start at (p, c).
        let mut at = head[pu << 8 | cu];
        while at != 0 {
            let m = raw[at as usize - 1];
            at = next[at as usize - 1];
            let (pn, cn) = ((m >> 8) as u8, m as u8);
            let (a, b) = (pair_p[pn as usize], pair_c[cn as usize]);
            if a == NONE && b == NONE {
                // error << 16 | pn << 8 | cn
                queue.push(((m >> 24) as u32 & 0xffff) << 16 | (m as u32 & 0xffff));
            } else if a == cn {
                support[pn as usize] += 1;
                support[pu] += 1;
                supports += 1;
            }
        }
    }
    let mut supported = 0u32;
    for &p in &s.paired {
        let pu = p as usize;
        supported += (support[pu] >= min_support) as u32;
        // Mark well-supported pairs as covered (`votes` is all zeros during the pairings).
        s.votes[pu << 8 | pair_p[pu] as usize] |= (support[pu] >= cover_support) as u8;
        pair_c[pair_p[pu] as usize] = NONE;
        pair_p[pu] = NONE;
        support[pu] = 0;
    }
    Pairing {
        pairs: s.paired.len() as u32,
        supported,
        supports,
    }
}

/// A binary min-heap of packed keys in a slice sized beforehand (no growth checks).
struct MinQueue<'a> {
    keys: &'a mut [u32],
    len: usize,
}

impl MinQueue<'_> {
    #[inline(always)]
    fn push(&mut self, key: u32) {
        let hole = self.len;
        self.len += 1;
        self.sift_up(hole, key);
    }

    /// Puts `key` into the heap at the empty slot `hole` or above, moving larger parents down.
    #[inline(always)]
    fn sift_up(&mut self, mut hole: usize, key: u32) {
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[hole] = self.keys[parent];
            hole = parent;
        }
        self.keys[hole] = key;
    }

    /// Takes the smallest key. Bottom-up: the hole left at the root goes down to a leaf along
    /// the smaller children (one branch-free choice per level, and a loop whose length is the
    /// heap's depth), then the last key moves up into it from there (rarely far).
    #[inline(always)]
    fn pop(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let top = self.keys[0];
        self.len -= 1;
        let len = self.len;
        let key = self.keys[len];
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < len {
            child += (self.keys[child + 1] < self.keys[child]) as usize;
            self.keys[hole] = self.keys[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child + 1 == len {
            self.keys[hole] = self.keys[child];
            hole = child;
        }
        self.sift_up(hole, key);
        Some(top)
    }
}

/// One-off 1:1 score (builds the probe's lookup grid; prefer [`FingerprintMatcher`] for many).
pub fn match_score(probe: &FingerprintTemplate, candidate: &FingerprintTemplate) -> f32 {
    FingerprintMatcher::new(probe).score(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bio::iso::{Minutia, MinutiaKind};
    use crate::bio::synth::SplitMix64;

    fn view(minutiae: Vec<Minutia>) -> FingerView {
        FingerView {
            position: FingerPosition::RightIndex,
            view_number: 0,
            impression_type: 0,
            quality: 60,
            minutiae,
            extended_data: Vec::new(),
        }
    }

    fn random_minutiae(rng: &mut SplitMix64, n: usize) -> Vec<Minutia> {
        (0..n)
            .map(|_| Minutia {
                kind: MinutiaKind::RidgeEnding,
                x: (rng.next_u64() % 400) as u16,
                y: (rng.next_u64() % 500) as u16,
                angle: rng.next_u64() as u8,
                quality: 60,
            })
            .collect()
    }

    /// Another impression of the same finger: shifted, slightly rotated and jittered, with a
    /// few minutiae lost and a few spurious ones.
    fn impression(rng: &mut SplitMix64, of: &[Minutia]) -> Vec<Minutia> {
        let (c, s) = (0.1f32.cos(), 0.1f32.sin());
        let jitter = |r: u64| (r % 5) as f32 - 2.0;
        let mut out = Vec::new();
        for m in of {
            if rng.next_u64().is_multiple_of(8) {
                continue;
            }
            let (x, y) = (m.x as f32 - 200.0, m.y as f32 - 250.0);
            out.push(Minutia {
                x: (x * c - y * s + 230.0 + jitter(rng.next_u64())).clamp(0.0, 600.0) as u16,
                y: (x * s + y * c + 240.0 + jitter(rng.next_u64())).clamp(0.0, 600.0) as u16,
                // 0.1 rad counter-clockwise on screen (y down) is -0.1 rad in the minutia
                // convention: about -4 units of 1/256 turn.
                angle: m
                    .angle
                    .wrapping_sub(4)
                    .wrapping_add((rng.next_u64() % 3) as u8),
                ..*m
            });
        }
        out.extend(random_minutiae(rng, 4));
        out
    }

    fn template(minutiae: Vec<Minutia>, neighbours: usize) -> FingerprintTemplate {
        FingerprintTemplate::with_neighbours(&view(minutiae), (197, 197), neighbours)
    }

    /// (probe, candidate) pairs: genuine-like and impostor.
    fn pairs(neighbours: usize, n: usize) -> Vec<(FingerprintTemplate, FingerprintTemplate)> {
        let mut rng = SplitMix64::new(7);
        (0..6)
            .map(|k| {
                let a = random_minutiae(&mut rng, n);
                let b = if k % 2 == 0 {
                    impression(&mut rng, &a)
                } else {
                    random_minutiae(&mut rng, n)
                };
                (template(a, neighbours), template(b, neighbours))
            })
            .collect()
    }

    #[test]
    fn genuine_impressions_score_higher_than_impostors() {
        let scores: Vec<f32> = pairs(DEFAULT_NEIGHBOURS, 40)
            .iter()
            .map(|(a, b)| match_score(a, b))
            .collect();
        for k in (0..scores.len()).step_by(2) {
            assert!(scores[k] > 5.0, "{scores:?}");
            assert!(scores[k + 1] < scores[k], "{scores:?}");
        }
    }

    /// The lookup grid is only an index: its geometry (bucket sizes, whether the candidate's edges
    /// come in its cell order) must not change any score.
    #[test]
    fn grid_geometry_does_not_change_scores() {
        for (a, b) in pairs(DEFAULT_NEIGHBOURS, 40) {
            let expected = match_score(&a, &b);
            for grid_div in [1, 3, 4] {
                let params = MatcherParams {
                    grid_div,
                    ..MatcherParams::default()
                };
                let got = FingerprintMatcher::with_params(&a, params).score(&b);
                assert_eq!(got.to_bits(), expected.to_bits(), "grid_div {grid_div}");
            }
        }
    }

    /// A grid too big for 16-bit cell offsets uses 32-bit ones, with the same scores.
    #[test]
    fn wide_grid_offsets_give_the_same_scores() {
        for (a, b) in pairs(30, 255).into_iter().take(2) {
            let wide = FingerprintMatcher::new(&a);
            assert!(matches!(wide.lookup.starts, Starts::Wide(_)));
            let params = MatcherParams {
                grid_div: 1,
                ..MatcherParams::default()
            };
            let narrow = FingerprintMatcher::with_params(&a, params);
            assert!(matches!(narrow.lookup.starts, Starts::Narrow(_)));
            let (mut wide, mut narrow) = (wide, narrow);
            assert_eq!(wide.score(&b).to_bits(), narrow.score(&b).to_bits());
        }
    }

    /// Scratch space is left clean by every score: scoring others in between changes nothing.
    #[test]
    fn scores_do_not_depend_on_earlier_scores() {
        let all = pairs(DEFAULT_NEIGHBOURS, 40);
        let probe = &all[0].0;
        let fresh: Vec<f32> = all.iter().map(|(_, b)| match_score(probe, b)).collect();
        let mut m = FingerprintMatcher::new(probe);
        for _ in 0..2 {
            for ((a, b), expected) in all.iter().zip(&fresh) {
                assert_eq!(m.score(b).to_bits(), expected.to_bits());
                m.score(a);
            }
        }
    }

    #[test]
    fn tiny_templates_score_zero() {
        let mut rng = SplitMix64::new(3);
        let big = template(random_minutiae(&mut rng, 30), DEFAULT_NEIGHBOURS);
        for n in 0..2 {
            let small = template(random_minutiae(&mut rng, n), DEFAULT_NEIGHBOURS);
            assert_eq!(match_score(&small, &big), 0.0);
            assert_eq!(match_score(&big, &small), 0.0);
        }
        // Two minutiae: one edge each way, nothing to pair beyond it; must not panic.
        let two = template(random_minutiae(&mut rng, 2), DEFAULT_NEIGHBOURS);
        assert!(match_score(&two, &two).is_finite());
    }
}
