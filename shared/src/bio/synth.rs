//! A seeded synthetic iris generator, for demos and load tests of millions of persons.
//!
//! Each person has a stable pair of irises derived from a seed; each capture of an eye is a noisy,
//! slightly rotated copy with its own eyelid and reflection mask. The statistics are modelled on
//! Daugman's published ones ("How iris recognition works", 2004): iris code bits are correlated,
//! so a 2,048-bit code carries about 249 independent binary degrees of freedom; impostor
//! distances are binomial-like around 0.5 before and about 0.45 after the rotation search;
//! genuine distances of the same eye spread around 0.1. Here correlation comes from independent
//! bits each covering a block of neighbouring cells (default 8 columns x 2 rows; as captures are
//! rotated against each other, blocks overlap two others, giving ~250 degrees of freedom per 2,048
//! bits), and capture noise is an independent flip of
//! each bit with a per-capture probability (mean 0.06, so two captures differ in ~0.11). Measured figures are in
//! docs/biometrics.md and checked by tests.
//!
//! Only a small built-in PRNG (SplitMix64) is used: the same seeds give the same codes on every
//! platform and version.

use super::iris::{Eye, IrisShape, IrisTemplate};

/// SplitMix64: a tiny, fast, well-mixed 64-bit PRNG (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Starts from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// Approximately standard normal (sum of 12 uniforms, minus 6).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.next_f64()).sum::<f64>() - 6.0
    }
}

/// Parameters of the generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthParams {
    /// Columns covered by one independent bit.
    pub block_cols: usize,
    /// Rows covered by one independent bit.
    pub block_rows: usize,
    /// Mean and standard deviation of the per-capture bit flip probability.
    pub noise_mean: f64,
    pub noise_sd: f64,
    /// Largest capture rotation, in columns each way.
    pub max_rotation: usize,
    /// Largest fraction of columns an eyelid may cover (in the outer third of the rows).
    pub max_eyelid: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            block_cols: 8,
            block_rows: 2,
            noise_mean: 0.06,
            noise_sd: 0.025,
            max_rotation: 6,
            max_eyelid: 0.35,
        }
    }
}

/// The generator for one code shape.
#[derive(Debug, Clone)]
pub struct IrisSynth {
    shape: IrisShape,
    params: SynthParams,
}

fn mix(a: u64, b: u64) -> u64 {
    SplitMix64::new(a ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

impl IrisSynth {
    /// A generator with the default parameters.
    pub fn new(shape: IrisShape) -> Self {
        Self::with_params(shape, SynthParams::default())
    }

    /// A generator with explicit parameters (block sizes of 0 are treated as 1).
    pub fn with_params(shape: IrisShape, params: SynthParams) -> Self {
        IrisSynth { shape, params }
    }

    /// Shape of the generated codes.
    pub fn shape(&self) -> IrisShape {
        self.shape
    }

    /// The person's true code bit for (r, c, f, p), before any capture noise.
    fn true_bits(&self, person: u64, eye: Eye) -> Vec<bool> {
        let s = self.shape;
        let bc = self.params.block_cols.max(1);
        let br = self.params.block_rows.max(1);
        let seed = mix(person, eye as u64 + 1);
        let mut bits = vec![false; s.bits()];
        let per_col = s.bits_per_col();
        for c in 0..s.cols {
            for r in 0..s.rows {
                for f in 0..s.filters {
                    for p in 0..s.phases {
                        // One random bit per (block, filter, phase).
                        let block = ((r / br) * s.cols.div_ceil(bc) + c / bc) as u64;
                        let key =
                            (block * s.filters as u64 + f as u64) * s.phases as u64 + p as u64;
                        let bit = mix(seed, key) & 1 == 1;
                        bits[c * per_col + (r * s.filters + f) * s.phases + p] = bit;
                    }
                }
            }
        }
        bits
    }

    /// One capture of both of `person`'s eyes in an application document's form (text
    /// templates keyed by [`Eye::kunci`]).
    pub fn capture_dokumen(
        &self,
        person: u64,
        capture: u64,
    ) -> std::collections::BTreeMap<String, String> {
        Eye::BOTH
            .into_iter()
            .map(|e| {
                (
                    e.kunci().to_owned(),
                    self.capture(person, e, capture).to_text(),
                )
            })
            .collect()
    }

    /// One capture of `person`'s `eye`; `capture` seeds the noise, rotation and occlusion.
    pub fn capture(&self, person: u64, eye: Eye, capture: u64) -> IrisTemplate {
        let s = self.shape;
        let truth = self.true_bits(person, eye);
        let mut rng = SplitMix64::new(mix(mix(person, eye as u64 + 1), capture ^ 0x5EED));
        let flip = (self.params.noise_mean + self.params.noise_sd * rng.normal()).clamp(0.0, 0.45);
        let maxr = self.params.max_rotation.min(s.cols / 2) as u64;
        let rot = rng.below(2 * maxr + 1) as i64 - maxr as i64;
        // Eyelids: upper near column cols/4, lower near 3*cols/4, over the outer third of rows.
        let lid_rows = s.rows.div_ceil(3);
        let upper = (rng.next_f64() * self.params.max_eyelid * s.cols as f64) as usize;
        let lower = (rng.next_f64() * self.params.max_eyelid * 0.6 * s.cols as f64) as usize;
        let per_col = s.bits_per_col();
        let n = s.bits();
        let mut code = vec![0u64; s.words()];
        let mut mask = vec![0u64; s.words()];
        for c in 0..s.cols {
            let src_c = (c as i64 - rot).rem_euclid(s.cols as i64) as usize;
            let dist = |centre: usize| {
                let d = c.abs_diff(centre);
                d.min(s.cols - d)
            };
            let under_upper = dist(s.cols / 4) * 2 < upper;
            let under_lower = dist(3 * s.cols / 4) * 2 < lower;
            for r in 0..s.rows {
                let occluded = r >= s.rows - lid_rows && (under_upper || under_lower);
                for q in 0..s.filters * s.phases {
                    let i = c * per_col + r * s.filters * s.phases + q;
                    let mut b = truth[src_c * per_col + r * s.filters * s.phases + q];
                    if rng.next_f64() < flip {
                        b = !b;
                    }
                    // Specular reflections: about 1% of bits.
                    let valid = !occluded && rng.below(100) != 0;
                    if b {
                        code[i / 64] |= 1 << (i % 64);
                    }
                    if valid {
                        mask[i / 64] |= 1 << (i % 64);
                    }
                }
            }
        }
        debug_assert!(n <= s.words() * 64);
        IrisTemplate::from_words(s, code, mask)
    }
}
