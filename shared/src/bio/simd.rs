//! Masked popcount kernels for iris matching, with runtime CPU dispatch.
//!
//! The iris matcher spends its time counting, for each rotation, the bits where two codes differ
//! inside their common mask, and the bits of that common mask. [`rotation_counts`] is the same
//! safe Rust loop over `u64` words compiled four times: portable, AVX2+POPCNT, AVX-512 (BW, for
//! the byte-shuffle popcount LLVM emits without VPOPCNTDQ) and AVX-512 with VPOPCNTDQ. On CPUs
//! with VPOPCNTDQ (Ice Lake, Zen 4 and later) [`best_rotation`] does the whole comparison with
//! intrinsics instead (module `vpopcnt`), 3x faster (figures in docs/biometrics.md).
//!
//! `unsafe` here: calling a `#[target_feature]` function after `is_x86_feature_detected!`
//! confirmed the CPU has the feature, and the 64-byte vector loads in `vpopcnt` (from `&[u64;
//! 8]`, so always in bounds). The rest of the crate denies `unsafe`.
#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
mod vpopcnt;

/// A kernel implementation, selectable for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust, any CPU.
    Portable,
    /// x86-64 AVX2 + POPCNT.
    Avx2,
    /// x86-64 AVX-512F/BW + POPCNT.
    Avx512,
    /// x86-64 AVX-512 with VPOPCNTDQ: a popcount instruction on 512-bit vectors (Ice Lake,
    /// Zen 4 and later).
    Avx512Vpopcnt,
}

impl Kernel {
    /// Every kernel, available here or not.
    pub const ALL: [Kernel; 4] = [
        Kernel::Portable,
        Kernel::Avx2,
        Kernel::Avx512,
        Kernel::Avx512Vpopcnt,
    ];

    /// Whether this CPU can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vpopcnt => {
                Kernel::Avx512.available()
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512vpopcntdq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best kernel this CPU can run.
    pub fn best() -> Kernel {
        use std::sync::OnceLock;
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| {
            // AVX-512 without VPOPCNTDQ (byte-lookup popcount on 512-bit vectors, which run on
            // fewer ports) measured no faster than AVX2 (docs/biometrics.md), so AVX2 is
            // preferred to it; AVX-512 stays selectable for machines where it pays.
            if Kernel::Avx512Vpopcnt.available() {
                Kernel::Avx512Vpopcnt
            } else if Kernel::Avx2.available() {
                Kernel::Avx2
            } else {
                Kernel::Portable
            }
        })
    }
}

/// For each rotation `r` (probe words `probe_codes[r*w..(r+1)*w]`, same for masks), counts the
/// differing bits inside the common mask and the common mask bits against one gallery code, into
/// `out[r] = (iris_bits, mask_bits)`. Uses `kernel` if available, else the portable one.
pub fn rotation_counts(
    kernel: Kernel,
    probe_codes: &[u64],
    probe_masks: &[u64],
    code: &[u64],
    mask: &[u64],
    out: &mut [(u32, u32)],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if kernel == Kernel::Avx512Vpopcnt && Kernel::Avx512Vpopcnt.available() {
            // SAFETY: the CPU supports avx512f, avx512bw, avx512vpopcntdq and popcnt (checked
            // just above).
            unsafe { counts_avx512_vpopcnt(probe_codes, probe_masks, code, mask, out) };
            return;
        }
        if kernel == Kernel::Avx512 && Kernel::Avx512.available() {
            // SAFETY: the CPU supports avx512f, avx512bw and popcnt (checked just above).
            unsafe { counts_avx512(probe_codes, probe_masks, code, mask, out) };
            return;
        }
        if kernel == Kernel::Avx2 && Kernel::Avx2.available() {
            // SAFETY: the CPU supports avx2 and popcnt (checked just above).
            unsafe { counts_avx2(probe_codes, probe_masks, code, mask, out) };
            return;
        }
    }
    let _ = kernel;
    counts_generic(probe_codes, probe_masks, code, mask, out);
}

/// The number of set bits in `words`, with the VPOPCNTDQ kernel where the CPU has it (else
/// the portable loop). Not used by the matcher: the benchmark's yardstick of what popcounting
/// alone costs on this machine (a comparison with 31 shifts of a 2,048-bit code and mask counts
/// 31 x 4,096 bits).
pub fn popcount(words: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if Kernel::Avx512Vpopcnt.available() {
            // SAFETY: the CPU supports avx512f and avx512vpopcntdq (checked just above).
            return unsafe { vpopcnt::popcount(words) };
        }
    }
    words.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Normalisation of [`best_rotation`], open-iris's linear term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    /// Peak of the non-match distribution.
    pub mean: f64,
    /// Gradient per common mask bit.
    pub gradient: f64,
}

/// Eight words on one 64-byte cache line, so that a 512-bit load of them never spans two
/// lines (a plain `Vec<u64>` did, depending on where the allocator put it, and the comparison
/// then ran 10% slower: 6.2 instead of 6.8 million a second, measured).
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([u64; 8]);

/// A probe's rotations laid out for the VPOPCNTDQ comparison ([`best_rotation`]): groups of
/// eight rotations, word-major, so that one 512-bit vector holds the same word of eight
/// rotations and each popcount lane counts one rotation (no horizontal sums). Word `b` of
/// rotation `8g + j` is at `(g * words + b) * 8 + j`; lanes past the last rotation are zero
/// (an empty mask, which never counts). Each group-word's eight lanes share one 64-byte
/// cache line.
#[derive(Clone)]
pub struct Interleaved {
    words: usize,
    rotations: usize,
    codes: Vec<Line>,
    masks: Vec<Line>,
    /// Per lane, the position of its shift in open-iris's order 0, -1, 1, -2, 2, ...
    keys: Vec<i64>,
}

impl Interleaved {
    /// From rotations laid out one after the other as for [`rotation_counts`]: `2 * rotations
    /// + 1` of `words` words each, shift `s` at index `s + rotations`.
    pub fn new(probe_codes: &[u64], probe_masks: &[u64], words: usize, rotations: usize) -> Self {
        let n = 2 * rotations + 1;
        let groups = n.div_ceil(8);
        let mut codes = vec![Line::default(); groups * words];
        let mut masks = vec![Line::default(); groups * words];
        let mut keys = vec![i64::MAX; groups * 8];
        for r in 0..n.min(probe_codes.len() / words.max(1)) {
            let (g, j) = (r / 8, r % 8);
            for b in 0..words {
                codes[g * words + b].0[j] = probe_codes[r * words + b];
                masks[g * words + b].0[j] = probe_masks[r * words + b];
            }
            let shift = r as i64 - rotations as i64;
            keys[r] = 2 * shift.abs() - i64::from(shift < 0);
        }
        Interleaved {
            words,
            rotations,
            codes,
            masks,
            keys,
        }
    }

    /// Rotations each way.
    pub fn rotations(&self) -> usize {
        self.rotations
    }
}

/// The whole comparison in the vector unit, for kernels that do it (today VPOPCNTDQ): the
/// minimum masked fractional distance over the probe's shifts and the shift that gave it,
/// with open-iris's rule (order 0, -1, 1, ...; only a strictly smaller distance replaces the
/// best, which starts at 1.0 at shift 0), identical bit for bit to the scalar path. `None`
/// when `kernel` does not do this: then use [`rotation_counts`].
pub fn best_rotation(
    kernel: Kernel,
    probe: &Interleaved,
    code: &[u64],
    mask: &[u64],
    norm: Option<Normalisation>,
) -> Option<(f64, i64)> {
    #[cfg(target_arch = "x86_64")]
    {
        if kernel == Kernel::Avx512Vpopcnt && Kernel::Avx512Vpopcnt.available() {
            // SAFETY: the CPU supports avx512f, avx512dq and avx512vpopcntdq (checked just
            // above).
            return Some(unsafe { vpopcnt::best(probe, code, mask, norm) });
        }
    }
    let _ = (kernel, probe, code, mask, norm);
    None
}

/// [`best_rotation`] against many gallery templates (`(code, mask)` pairs), into `out[i]`
/// for `gallery[i]`: the same answers, faster per template (the VPOPCNTDQ kernel overlaps
/// one comparison's minimum with the others'). Returns `false`, writing nothing, when
/// `kernel` does not do whole comparisons: then use [`rotation_counts`].
pub fn best_rotation_many(
    kernel: Kernel,
    probe: &Interleaved,
    gallery: &[(&[u64], &[u64])],
    norm: Option<Normalisation>,
    out: &mut [(f64, i64)],
) -> bool {
    assert_eq!(gallery.len(), out.len(), "one answer per gallery template");
    #[cfg(target_arch = "x86_64")]
    {
        if kernel == Kernel::Avx512Vpopcnt && Kernel::Avx512Vpopcnt.available() {
            // SAFETY: the CPU supports avx512f, avx512dq and avx512vpopcntdq (checked just
            // above).
            unsafe { vpopcnt::best_many(probe, gallery, norm, out) };
            return true;
        }
    }
    let _ = (kernel, probe, gallery, norm, out);
    false
}

#[inline(always)]
fn counts_generic(
    probe_codes: &[u64],
    probe_masks: &[u64],
    code: &[u64],
    mask: &[u64],
    out: &mut [(u32, u32)],
) {
    let w = code.len();
    if w == 0 {
        out.fill((0, 0));
        return;
    }
    let mask = &mask[..w];
    for ((pc, pm), o) in probe_codes
        .chunks_exact(w)
        .zip(probe_masks.chunks_exact(w))
        .zip(out.iter_mut())
    {
        // Iterators, not indices: no bounds checks, so LLVM vectorizes the loop (u64 lane
        // accumulators, vector popcount by byte lookup).
        let mut iris = 0u64;
        let mut common = 0u64;
        for (((p, q), g), h) in pc.iter().zip(pm).zip(code).zip(mask) {
            let m = q & h;
            iris += ((p ^ g) & m).count_ones() as u64;
            common += m.count_ones() as u64;
        }
        *o = (iris as u32, common as u32);
    }
}

/// The generic loop compiled for a set of CPU features (callers check them at run time).
macro_rules! counts_for {
    ($name:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name(
            probe_codes: &[u64],
            probe_masks: &[u64],
            code: &[u64],
            mask: &[u64],
            out: &mut [(u32, u32)],
        ) {
            counts_generic(probe_codes, probe_masks, code, mask, out)
        }
    };
}

counts_for!(counts_avx2, "avx2,popcnt");
counts_for!(counts_avx512, "avx512f,avx512bw,avx2,popcnt");
counts_for!(
    counts_avx512_vpopcnt,
    "avx512f,avx512bw,avx512vpopcntdq,avx2,popcnt"
);
