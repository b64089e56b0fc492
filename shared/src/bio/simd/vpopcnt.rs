//! The AVX-512 VPOPCNTDQ kernels (Ice Lake, Zen 4 and later), written with intrinsics.
//!
//! [`best`] takes the probe as [`Interleaved`]: one 512-bit vector holds word `b` of eight
//! rotations and the gallery word is broadcast, so each 64-bit lane counts one rotation and no
//! horizontal sums are needed. Per word and group of eight rotations: one AND (common mask), one
//! ternary-logic op (differing bits inside it), two VPOPCNTQ and two adds. The word loop runs
//! over up to four groups at once so that each gallery word is loaded once for 32 rotations:
//! that took the load port off the critical path (14 instead of 16.5 cycles a rotation,
//! measured). The minimum is kept per lane in vector registers too, comparing fractions by
//! cross-multiplication, and the groups are merged as a tree (their latency is what the end
//! of a comparison costs).
//!
//! Per-rotation counts ([`super::rotation_counts`], used when fewer shifts are asked than the
//! probe was prepared for) use the generic loop compiled for this CPU instead (`super`).
//!
//! No closures over vectors in hot loops and no `std::array::from_fn` of vectors: either made
//! LLVM keep vectors on the stack, at half the speed.

use std::arch::x86_64::*;

use super::{Interleaved, Normalisation};

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
    let mut best = BestLanes::new();
    macro_rules! run {
        ($g0:expr, $groups:literal) => {{
            let (iris, common) = pass::<$groups>(probe, $g0, code, mask);
            let mut c = [BestLanes::new(); $groups];
            for g in 0..$groups {
                let at = ($g0 + g) * 8;
                let keys = load8i(probe.keys[at..at + 8].try_into().unwrap());
                c[g] = BestLanes::from_counts(iris[g], common[g], keys, norm);
            }
            // A tree, not a chain: the comparisons' latency is what this part costs.
            let mut n = $groups;
            while n > 1 {
                for g in 0..n / 2 {
                    c[g] = c[2 * g].merge(c[2 * g + 1]);
                }
                if n % 2 == 1 {
                    c[n / 2] = c[n - 1];
                }
                n = n.div_ceil(2);
            }
            best = best.merge(c[0]);
        }};
    }
    let mut g0 = 0;
    while g0 < groups {
        match groups - g0 {
            1 => run!(g0, 1),
            2 => run!(g0, 2),
            3 => run!(g0, 3),
            _ => run!(g0, 4),
        }
        g0 += GROUPS_PER_PASS;
    }
    best.result()
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
    let w = probe.words;
    let (code, mask) = (&code[..w], &mask[..w]);
    // Each group's words as `[u64; 8]`s, exactly `w` of them (asserted, so that the indexing
    // below needs no bounds checks in the loop).
    let mut pcs: [&[[u64; 8]]; G] = [&[]; G];
    let mut pms: [&[[u64; 8]]; G] = [&[]; G];
    for g in 0..G {
        pcs[g] = group_words(&probe.codes, g0 + g, w);
        pms[g] = group_words(&probe.masks, g0 + g, w);
    }
    let mut iris = [_mm512_setzero_si512(); G];
    let mut common = [_mm512_setzero_si512(); G];
    for b in 0..w {
        let (gc, gm) = (
            _mm512_set1_epi64(code[b] as i64),
            _mm512_set1_epi64(mask[b] as i64),
        );
        for g in 0..G {
            let m = _mm512_and_si512(load8(&pms[g][b]), gm);
            // 0x28 = (a ^ b) & c.
            let d = _mm512_ternarylogic_epi64::<0x28>(load8(&pcs[g][b]), gc, m);
            iris[g] = _mm512_add_epi64(iris[g], _mm512_popcnt_epi64(d));
            common[g] = _mm512_add_epi64(common[g], _mm512_popcnt_epi64(m));
        }
    }
    (iris, common)
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
fn group_words(v: &[u64], g: usize, w: usize) -> &[[u64; 8]] {
    let words = v[g * w * 8..(g + 1) * w * 8].as_chunks::<8>().0;
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

/// Eight keys into a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load8i(keys: &[i64; 8]) -> __m512i {
    // SAFETY: `keys` is 64 readable bytes; the unaligned load has no alignment requirement.
    unsafe { _mm512_loadu_si512(keys.as_ptr().cast()) }
}
