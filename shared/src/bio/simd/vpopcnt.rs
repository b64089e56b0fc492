//! The AVX-512 VPOPCNTDQ kernels (Ice Lake, Zen 4 and later), written with intrinsics.
//!
//! [`best`] takes the probe as [`Interleaved`]: one 512-bit vector holds word `b` of eight
//! rotations and the gallery word is broadcast, so each 64-bit lane counts one rotation and no
//! horizontal sums are needed. Per word and group of eight rotations: one AND (common mask), one
//! ternary-logic op (differing bits inside it), two VPOPCNTQ and two adds. The word loop runs
//! over up to four groups at once so that each gallery word is loaded once for 32 rotations:
//! that took the load port off the critical path (14 instead of 16.5 cycles a rotation,
//! measured). The probe's words lie on cache-line boundaries ([`Line`]).
//!
//! The minimum over the shifts: for plain distances [`plain_minimum`] approximates every
//! lane, keeps those near the least as candidates and decides between them exactly in
//! integers; for normalised ones, exact per-lane merges ([`BestLanes`], fractions compared by
//! cross-multiplication, groups merged as a tree). [`best_many`] (one probe, many templates,
//! the 1:N search's call) counts a chunk of templates before taking their minimums, so that
//! the minimums, chains of dependent steps, overlap one another instead of holding up the
//! next count; it also prefetches the gallery and, for probes larger than L1, counts two
//! templates per pass.
//!
//! Per-rotation counts ([`super::rotation_counts`], used when fewer shifts are asked than the
//! probe was prepared for) use the generic loop compiled for this CPU instead (`super`).
//!
//! No closures over vectors in hot loops and no `std::array::from_fn` of vectors: either made
//! LLVM keep vectors on the stack, at half the speed.

use std::arch::x86_64::*;

use super::{Interleaved, Line, Normalisation};

/// Groups of eight rotations handled per pass over the gallery template's words.
const GROUPS_PER_PASS: usize = 4;

/// See [`super::best_rotation`].
#[target_feature(enable = "avx512f,avx512dq,avx512vpopcntdq")]
pub(super) fn best(
    probe: &Interleaved,
    code: &[u64],
    mask: &[u64],
    norm: Option<Normalisation>,
) -> (f64, i64) {
    let w = probe.words;
    let groups = probe.keys.len() / 8;
    if code.len() != w || mask.len() != w {
        // Shape checked by the caller; an empty answer rather than a panic.
        return (1.0, 0);
    }
    if groups == GROUPS_PER_PASS {
        // 25 to 32 shifts (12 to 15 rotations each way, open-iris's default among them): one
        // pass, no loop over passes.
        // The vectors from registers, the stored copy for reading lanes (no store to load
        // forwarding on the way to the answer).
        let vectors = pass::<GROUPS_PER_PASS>(probe, 0, code, mask);
        return minimum(probe, vectors, &Counts::store(vectors), norm);
    }
    let mut best = BestLanes::new();
    let mut g0 = 0;
    while g0 < groups {
        let c = match groups - g0 {
            1 => finish(probe, g0, pass::<1>(probe, g0, code, mask), norm),
            2 => finish(probe, g0, pass::<2>(probe, g0, code, mask), norm),
            3 => finish(probe, g0, pass::<3>(probe, g0, code, mask), norm),
            _ => finish(probe, g0, pass::<4>(probe, g0, code, mask), norm),
        };
        best = best.merge(c);
        g0 += GROUPS_PER_PASS;
    }
    best.result()
}

/// See [`super::best_rotation_many`]. With 25 to 32 shifts, the counting passes of up to
/// [`CHUNK`] templates run first and their minimums after: the minimum of one comparison is a
/// chain of dependent steps (about 70 cycles), which the out-of-order core cannot overlap
/// with the next comparison's counting when it comes right after its own, but does overlap
/// with the other minimums of the chunk (figures in docs/biometrics.md).
#[target_feature(enable = "avx512f,avx512dq,avx512vpopcntdq")]
pub(super) fn best_many(
    probe: &Interleaved,
    gallery: &[(&[u64], &[u64])],
    norm: Option<Normalisation>,
    out: &mut [(f64, i64)],
) {
    const G: usize = GROUPS_PER_PASS;
    let w = probe.words;
    if probe.keys.len() / 8 != G {
        for (&(code, mask), o) in gallery.iter().zip(out) {
            *o = best(probe, code, mask, norm);
        }
        return;
    }
    // A probe larger than L1 (32 KiB) is read from L2 once per pass: then two templates a
    // pass, which halves those reads (16,256,2,2: 0.80 -> 0.99 M/s). A smaller probe stays in
    // L1 and pairs gain nothing (2,048 bits: 7.3 -> 7.2 M/s), measured.
    let paired = w * G * 2 * size_of::<Line>() > 32 * 1024;
    let mut counts = [Counts::<G>::new(); CHUNK];
    for (i, (items, outs)) in gallery.chunks(CHUNK).zip(out.chunks_mut(CHUNK)).enumerate() {
        let fits = |&(code, mask): &(&[u64], &[u64])| code.len() == w && mask.len() == w;
        // A template of the wrong size counts as no common bit at any shift: (1.0, 0).
        let count = |item: &(&[u64], &[u64])| {
            if fits(item) {
                Counts::store(pass::<G>(probe, 0, item.0, item.1))
            } else {
                Counts::new()
            }
        };
        let ahead = |k: usize| {
            if let Some(&(code, mask)) = gallery.get(i * CHUNK + k + PREFETCH_AHEAD) {
                prefetch(code);
                prefetch(mask);
            }
        };
        let (pairs, last) = items.as_chunks::<2>();
        if paired {
            // Two templates in one pass: the probe's words loaded once for both.
            for (k, (pair, c)) in pairs.iter().zip(counts.as_chunks_mut::<2>().0).enumerate() {
                ahead(2 * k);
                ahead(2 * k + 1);
                if fits(&pair[0]) && fits(&pair[1]) {
                    let [x, y] = pass_many::<G, 2>(probe, 0, [pair[0], pair[1]]);
                    (c[0], c[1]) = (Counts::store(x), Counts::store(y));
                } else {
                    for (c, item) in c.iter_mut().zip(pair) {
                        *c = count(item);
                    }
                }
            }
            if let Some(item) = last.first() {
                counts[items.len() - 1] = count(item);
            }
        } else {
            for (j, (c, item)) in counts.iter_mut().zip(items).enumerate() {
                ahead(j);
                *c = count(item);
            }
        }
        for (c, o) in counts.iter().zip(outs) {
            *o = minimum(probe, c.load(), c, norm);
        }
    }
}

/// One comparison's counts in memory, a lane per rotation: per group, the differing bits
/// inside the common mask and the common mask bits. Aligned (see [`Line`]), read back both as
/// vectors and lane by lane.
#[derive(Clone, Copy)]
#[repr(C)]
struct Counts<const G: usize> {
    iris: [Line; G],
    common: [Line; G],
}

impl<const G: usize> Counts<G> {
    /// All zero: no common bit at any shift.
    fn new() -> Self {
        Counts {
            iris: [Line::default(); G],
            common: [Line::default(); G],
        }
    }

    /// The counts [`pass`] returns.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn store((iris, common): ([__m512i; G], [__m512i; G])) -> Self {
        let mut c = Counts::new();
        for g in 0..G {
            store8(&mut c.iris[g].0, iris[g]);
            store8(&mut c.common[g].0, common[g]);
        }
        c
    }

    /// As vectors again.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load(&self) -> ([__m512i; G], [__m512i; G]) {
        let zero = _mm512_setzero_si512();
        let (mut iris, mut common) = ([zero; G], [zero; G]);
        for g in 0..G {
            iris[g] = load8(&self.iris[g].0);
            common[g] = load8(&self.common[g].0);
        }
        (iris, common)
    }

    /// Lane `l`'s (differing, common) counts.
    fn lane(&self, l: usize) -> (u64, u64) {
        (self.iris[l / 8].0[l % 8], self.common[l / 8].0[l % 8])
    }
}

/// How many templates ahead [`best_many`] asks for the gallery's words.
const PREFETCH_AHEAD: usize = 4;

/// Asks for `words` (their first 1 KiB) to be brought into the cache ahead of use: a large
/// gallery does not fit in the caches, and its templates lie scattered on the heap where the
/// hardware prefetcher does not guess them.
#[inline]
#[target_feature(enable = "avx512f")]
fn prefetch(words: &[u64]) {
    for line in words.chunks(8).take(16) {
        _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
    }
}

/// Templates counted before their minimums are taken, in [`best_many`]: 16 x 512 bytes of
/// counts stay in L1.
const CHUNK: usize = 16;

/// The minimum of one single-pass comparison from its counts: [`plain_minimum`] for plain
/// distances, the exact vector merges ([`finish`]) for normalised ones.
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn minimum<const G: usize>(
    probe: &Interleaved,
    vectors: ([__m512i; G], [__m512i; G]),
    counts: &Counts<G>,
    norm: Option<Normalisation>,
) -> (f64, i64) {
    match norm {
        None => plain_minimum(probe, vectors, counts),
        Some(_) => finish(probe, 0, vectors, norm).result(),
    }
}

/// The minimum plain distance over groups `0..G` and its shift, by open-iris's rule, in few
/// vector operations: each lane's distance approximated (`VRCP14PD`, relative error below
/// 2^-14), the smallest approximation found, and every lane within 2^-12 of it taken as a
/// candidate. A lane whose exact distance is the minimum is always a candidate (its
/// approximation is at most 2^-13 above the smallest), so deciding between the candidates
/// exactly, by cross-multiplying their counts with the order keys as tie-break, gives the
/// exact answer; usually there is one candidate. A lane with an empty common mask
/// approximates to NaN (0 x inf), which the minimum ignores and no comparison selects.
///
/// Against the exact merges: 30 vector operations instead of about 80, which is what a
/// comparison's end costs when [`best_many`] overlaps it with the others.
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn plain_minimum<const G: usize>(
    probe: &Interleaved,
    (iris, common): ([__m512i; G], [__m512i; G]),
    counts: &Counts<G>,
) -> (f64, i64) {
    let two = _mm512_set1_pd(2.0);
    let mut approx = [two; G];
    let mut least = two;
    for g in 0..G {
        let fm = _mm512_cvtepu64_pd(common[g]);
        approx[g] = _mm512_mul_pd(_mm512_cvtepu64_pd(iris[g]), _mm512_rcp14_pd(fm));
        // NaN in the first operand gives the second: `least` never becomes NaN.
        least = _mm512_min_pd(approx[g], least);
    }
    // The least lane, in every lane.
    least = _mm512_min_pd(least, _mm512_shuffle_f64x2::<0b01_00_11_10>(least, least));
    least = _mm512_min_pd(least, _mm512_shuffle_f64x2::<0b10_11_00_01>(least, least));
    least = _mm512_min_pd(least, _mm512_permute_pd::<0b0101_0101>(least));
    let bound = _mm512_mul_pd(least, _mm512_set1_pd(1.0 + 1.0 / 4096.0));
    let mut candidates = 0u32;
    for (g, a) in approx.iter().enumerate() {
        candidates |= u32::from(_mm512_cmp_pd_mask::<_CMP_LE_OQ>(*a, bound)) << (8 * g);
    }
    if candidates == 0 {
        // No shift with a common valid bit: open-iris's starting point.
        return (1.0, 0);
    }
    // Open-iris's start, 1.0 at shift 0 (order key 0), replaced only by a smaller distance
    // or an equal one earlier in its order.
    let (mut num, mut den, mut key, mut lane) = (1u64, 1u64, 0i64, None);
    while candidates != 0 {
        let l = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        let ((n, d), k) = (counts.lane(l), probe.keys[l]);
        // Counts are below 2^24, so the products fit.
        let (theirs, mine) = (n * den, num * d);
        if theirs < mine || (theirs == mine && k < key) {
            (num, den, key, lane) = (n, d, k, Some(l));
        }
    }
    match lane {
        // One IEEE division: the value open-iris computes for that shift.
        Some(l) => (num as f64 / den as f64, l as i64 - probe.rotations as i64),
        None => (1.0, 0),
    }
}

/// The best (distance, order key) per lane over groups `g0..g0 + G`, from their counts: a
/// tree of merges, not a chain (their latency is what this part costs).
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn finish<const G: usize>(
    probe: &Interleaved,
    g0: usize,
    (iris, common): ([__m512i; G], [__m512i; G]),
    norm: Option<Normalisation>,
) -> BestLanes {
    let mut c = [BestLanes::new(); G];
    for g in 0..G {
        let at = (g0 + g) * 8;
        let keys = load8i(probe.keys[at..at + 8].try_into().unwrap());
        c[g] = BestLanes::from_counts(iris[g], common[g], keys, norm);
    }
    let mut n = G;
    while n > 1 {
        for g in 0..n / 2 {
            c[g] = c[2 * g].merge(c[2 * g + 1]);
        }
        if n % 2 == 1 {
            c[n / 2] = c[n - 1];
        }
        n = n.div_ceil(2);
    }
    // Open-iris's starting point (1.0 at shift 0) takes part too.
    BestLanes::new().merge(c[0])
}

/// Groups `g0..g0 + G` of the probe against the gallery template: per group, the differing
/// bits and the common mask bits of its eight rotations, one rotation per lane.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn pass<const G: usize>(
    probe: &Interleaved,
    g0: usize,
    code: &[u64],
    mask: &[u64],
) -> ([__m512i; G], [__m512i; G]) {
    let [counts] = pass_many::<G, 1>(probe, g0, [(code, mask)]);
    counts
}

/// [`pass`] for `T` gallery templates at once: each probe vector is loaded once for all `T`.
#[inline]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn pass_many<const G: usize, const T: usize>(
    probe: &Interleaved,
    g0: usize,
    gallery: [(&[u64], &[u64]); T],
) -> [([__m512i; G], [__m512i; G]); T] {
    let w = probe.words;
    let gallery = gallery.map(|(code, mask)| (&code[..w], &mask[..w]));
    // Each group's words as [`Line`]s, exactly `w` of them (asserted, so that the indexing
    // below needs no bounds checks in the loop).
    let mut pcs: [&[Line]; G] = [&[]; G];
    let mut pms: [&[Line]; G] = [&[]; G];
    for g in 0..G {
        pcs[g] = group_words(&probe.codes, g0 + g, w);
        pms[g] = group_words(&probe.masks, g0 + g, w);
    }
    let zero = _mm512_setzero_si512();
    let mut counts = [([zero; G], [zero; G]); T];
    for b in 0..w {
        let mut words = [(zero, zero); T];
        for t in 0..T {
            words[t] = (
                _mm512_set1_epi64(gallery[t].0[b] as i64),
                _mm512_set1_epi64(gallery[t].1[b] as i64),
            );
        }
        for g in 0..G {
            let (pc, pm) = (load8(&pcs[g][b].0), load8(&pms[g][b].0));
            for t in 0..T {
                let (gc, gm) = words[t];
                let (iris, common) = &mut counts[t];
                let m = _mm512_and_si512(pm, gm);
                // 0x28 = (a ^ b) & c.
                let d = _mm512_ternarylogic_epi64::<0x28>(pc, gc, m);
                iris[g] = _mm512_add_epi64(iris[g], _mm512_popcnt_epi64(d));
                common[g] = _mm512_add_epi64(common[g], _mm512_popcnt_epi64(m));
            }
        }
    }
    counts
}

/// See [`super::popcount`]: four independent accumulators, so that the adds do not limit it.
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
pub(super) fn popcount(words: &[u64]) -> u64 {
    let (blocks, rest) = words.as_chunks::<32>();
    let mut acc = [_mm512_setzero_si512(); 4];
    for b in blocks {
        for (i, a) in acc.iter_mut().enumerate() {
            let v = load8(b[i * 8..i * 8 + 8].try_into().unwrap());
            *a = _mm512_add_epi64(*a, _mm512_popcnt_epi64(v));
        }
    }
    let sum = _mm512_add_epi64(
        _mm512_add_epi64(acc[0], acc[1]),
        _mm512_add_epi64(acc[2], acc[3]),
    );
    _mm512_reduce_add_epi64(sum) as u64
        + rest.iter().map(|w| u64::from(w.count_ones())).sum::<u64>()
}

/// Group `g`'s `w` words of eight lanes each.
fn group_words(v: &[Line], g: usize, w: usize) -> &[Line] {
    let words = &v[g * w..(g + 1) * w];
    assert_eq!(words.len(), w);
    words
}

/// Per lane, a (distance, open-iris order key) candidate: the distance as the fraction
/// `num / den` (plain distances, compared by cross-multiplication, exact in f64 since both
/// products are below 2^48) or as a value with `den = 1` (normalised distances). A shift that
/// does not count (empty common mask, padding lane) is `1 / 0`, worse than anything.
#[derive(Clone, Copy)]
struct BestLanes {
    num: __m512d,
    den: __m512d,
    key: __m512i,
}

impl BestLanes {
    /// Distance 1.0 at shift 0 (order key 0) in every lane: open-iris's starting point.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new() -> Self {
        BestLanes {
            num: _mm512_set1_pd(1.0),
            den: _mm512_set1_pd(1.0),
            key: _mm512_setzero_si512(),
        }
    }

    /// Eight rotations' counts (`u64` lanes) and their order keys.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn from_counts(
        iris: __m512i,
        common: __m512i,
        keys: __m512i,
        norm: Option<Normalisation>,
    ) -> Self {
        let empty = _mm512_testn_epi64_mask(common, common);
        let (fi, fm) = (_mm512_cvtepu64_pd(iris), _mm512_cvtepu64_pd(common));
        let one = _mm512_set1_pd(1.0);
        let (num, den) = match norm {
            None => (_mm512_mask_mov_pd(fi, empty, one), fm),
            Some(nm) => {
                // As the scalar path: d = iris / mask, then mean - (mean - d) * (g * mask +
                // 0.5), at least 0; separate multiplies and adds, no fused ops.
                let mean = _mm512_set1_pd(nm.mean);
                let slope = _mm512_add_pd(
                    _mm512_mul_pd(_mm512_set1_pd(nm.gradient), fm),
                    _mm512_set1_pd(0.5),
                );
                let d = _mm512_div_pd(fi, fm);
                let d = _mm512_sub_pd(mean, _mm512_mul_pd(_mm512_sub_pd(mean, d), slope));
                let d = _mm512_max_pd(d, _mm512_setzero_pd());
                (
                    _mm512_mask_mov_pd(d, empty, one),
                    _mm512_mask_mov_pd(one, empty, _mm512_setzero_pd()),
                )
            }
        };
        BestLanes {
            num,
            den,
            key: keys,
        }
    }

    /// Per lane, the better of `self` and `other` (smaller distance, then smaller key).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn merge(self, other: BestLanes) -> BestLanes {
        let mine = _mm512_mul_pd(self.num, other.den);
        let theirs = _mm512_mul_pd(other.num, self.den);
        let take = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(theirs, mine)
            | (_mm512_cmp_pd_mask::<_CMP_EQ_OQ>(theirs, mine)
                & _mm512_cmplt_epi64_mask(other.key, self.key));
        BestLanes {
            num: _mm512_mask_mov_pd(self.num, take, other.num),
            den: _mm512_mask_mov_pd(self.den, take, other.den),
            key: _mm512_mask_mov_epi64(self.key, take, other.key),
        }
    }

    /// The smallest (distance, order key) over the lanes, as (distance, shift).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn result(&self) -> (f64, i64) {
        // One IEEE division per lane: the same value open-iris computes for that shift.
        let d = _mm512_div_pd(self.num, self.den);
        let min = _mm512_reduce_min_pd(d);
        let at_min = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(d, _mm512_set1_pd(min));
        let key = _mm512_mask_reduce_min_epi64(at_min, self.key);
        let shift = if key % 2 == 1 {
            -(key / 2) - 1
        } else {
            key / 2
        };
        (min, shift)
    }
}

/// Eight words into a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load8(words: &[u64; 8]) -> __m512i {
    // SAFETY: `words` is 64 readable bytes; the unaligned load has no alignment requirement.
    unsafe { _mm512_loadu_si512(words.as_ptr().cast()) }
}

/// A vector into eight words.
#[inline]
#[target_feature(enable = "avx512f")]
fn store8(words: &mut [u64; 8], v: __m512i) {
    // SAFETY: `words` is 64 writable bytes; the unaligned store has no alignment requirement.
    unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), v) }
}

/// Eight keys into a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load8i(keys: &[i64; 8]) -> __m512i {
    // SAFETY: `keys` is 64 readable bytes; the unaligned load has no alignment requirement.
    unsafe { _mm512_loadu_si512(keys.as_ptr().cast()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Open-iris's loop over counts laid out a lane per rotation (`rotations` each way).
    fn reference(lanes: &[(u64, u64)], rotations: usize) -> (f64, i64) {
        let mut best = (1.0, 0);
        for key in 0..lanes.len() as i64 {
            let shift = if key % 2 == 1 {
                -(key / 2) - 1
            } else {
                key / 2
            };
            let (n, d) = lanes[(shift + rotations as i64) as usize];
            if d > 0 && (n as f64 / d as f64) < best.0 {
                best = (n as f64 / d as f64, shift);
            }
        }
        best
    }

    #[test]
    fn plain_minimum_decides_near_ties_exactly() {
        if !super::super::Kernel::Avx512Vpopcnt.available() {
            return;
        }
        let probe = Interleaved::new(&[0; 31], &[0; 31], 1, 15);
        let mut rng = crate::bio::synth::SplitMix64::new(11);
        // Fractions closer than the approximation's band (2^-12), exact ties between
        // different counts (1/2 = 1000/2000), empty lanes, all equal, all empty, zero.
        let cases: Vec<Vec<(u64, u64)>> = vec![
            (0..31)
                .map(|i| (1000 - (i % 2), 2047 - 2 * (i % 2)))
                .collect(),
            (0..31)
                .map(|i| if i % 3 == 0 { (1, 2) } else { (1000, 2000) })
                .collect(),
            (0..31)
                .map(|i| if i == 7 { (0, 0) } else { (500, 1999) })
                .collect(),
            vec![(700, 1400); 31],
            vec![(0, 0); 31],
            (0..31)
                .map(|i| if i == 20 { (0, 5) } else { (3, 5) })
                .collect(),
            (0..31).map(|_| (2047, 2047)).collect(),
        ];
        let random = (0..2000).map(|_| {
            (0..31)
                .map(|_| {
                    let d = 1990 + rng.below(20);
                    (900 + rng.below(4), d)
                })
                .collect::<Vec<_>>()
        });
        let random: Vec<_> = random.collect();
        // The closest pair of fractions with denominators up to 2,047 around a random one,
        // far closer than the approximation's error, in random lanes.
        let close = (0..300).map(|_| {
            let (n1, d1) = (300 + rng.below(600), 1500 + rng.below(500));
            let (n2, d2) = (1000..2048)
                .map(|d2| ((n1 * d2 + d1 / 2) / d1, d2))
                .filter(|&(n2, d2)| n2 * d1 != n1 * d2)
                .min_by(|a, b| {
                    let gap =
                        |&(n, d): &(u64, u64)| (n as f64 / d as f64 - n1 as f64 / d1 as f64).abs();
                    gap(a).total_cmp(&gap(b))
                })
                .unwrap();
            let mut lanes = vec![(n1 + 100, d1); 31];
            let (a, b) = (rng.below(31) as usize, rng.below(31) as usize);
            lanes[a] = (n1, d1);
            if b != a {
                lanes[b] = (n2, d2);
            }
            lanes
        });
        for lanes in cases.into_iter().chain(random).chain(close) {
            let mut counts = Counts::<4>::new();
            for (l, &(n, d)) in lanes.iter().enumerate() {
                counts.iris[l / 8].0[l % 8] = n;
                counts.common[l / 8].0[l % 8] = d;
            }
            // SAFETY: the CPU has the features (checked above).
            let got = unsafe { plain_minimum(&probe, counts.load(), &counts) };
            let want = reference(&lanes, 15);
            assert_eq!(
                (got.0.to_bits(), got.1),
                (want.0.to_bits(), want.1),
                "{lanes:?}"
            );
        }
    }
}
