//! Masked popcount kernels for iris matching, with runtime CPU dispatch.
//!
//! The iris matcher spends its time counting, for each rotation, the bits where two codes differ
//! inside their common mask, and the bits of that common mask. The kernels below are the same safe
//! Rust loop over `u64` words, compiled three times: portable, AVX2+POPCNT and AVX-512 (BW, for
//! the byte-shuffle popcount LLVM emits without VPOPCNTDQ). The only `unsafe` is calling a
//! `#[target_feature]` function after `is_x86_feature_detected!` confirmed the CPU has it.
#![allow(unsafe_code)]

/// A kernel implementation, selectable for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust, any CPU.
    Portable,
    /// x86-64 AVX2 + POPCNT.
    Avx2,
    /// x86-64 AVX-512F/BW + POPCNT.
    Avx512,
}

impl Kernel {
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
            // preferred; AVX-512 stays selectable for machines where it pays.
            if Kernel::Avx2.available() {
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn counts_avx2(
    probe_codes: &[u64],
    probe_masks: &[u64],
    code: &[u64],
    mask: &[u64],
    out: &mut [(u32, u32)],
) {
    counts_generic(probe_codes, probe_masks, code, mask, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx2,popcnt")]
fn counts_avx512(
    probe_codes: &[u64],
    probe_masks: &[u64],
    code: &[u64],
    mask: &[u64],
    out: &mut [(u32, u32)],
) {
    counts_generic(probe_codes, probe_masks, code, mask, out)
}
