//! `rekam-hub bio ...`: command-line access to the matchers, so anyone can check them on their own
//! data.
//!
//! - `fp-score`: lines `PATH_A<TAB>PATH_B` on stdin, one fingerprint score per line on stdout.
//! - `iris-hd --shape R,C,F,P --rotations N A B`: open-iris Hamming distance of two text files
//!   (line 1 the code, line 2 the mask, base64 of numpy `packbits`).
//! - `eval DIR`: all unordered pairs of `FINGER_IMPRESSION.iso` files in DIR; prints EER, FNMR at
//!   FMR 1% and 0.1%, and FNMR at zero false matches.
//! - `one-many --probe FILE.iso --path DIR [--load-factor N] [--threads N]`: one probe against
//!   every `*.iso` under DIR (each loaded N times, shuffled in memory), the best candidate and
//!   the throughput in fingerprint comparisons per second, in the manner of OpenAFIS's
//!   `one-many` command, so both can be compared on identical work.
//! - `district --persons N`: a synthetic district (`rekam_shared::bio::synth_district`) in a 1:N
//!   gallery: memory per person, the planted duplicates' second recordings and as many new
//!   persons searched against it; missed and false duplicates at the configured thresholds and
//!   the search time (p50, p99).
//! - `index-load --data DIR --applications N`: hub start to a complete dedup index (fills a
//!   scratch hub storage, then times the rebuild).
//!
//! Errors name the file (and line) at fault. Nothing prints biometric data.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rekam_shared::bio::eval::{ErrorRates, error_rates, finger_of};
use rekam_shared::bio::fingerprint::{FingerprintMatcher, FingerprintTemplate};
use rekam_shared::bio::iris::{HdOptions, IrisShape, IrisTemplate, hamming_distance_with};
use rekam_shared::bio::iso::FingerprintRecord;
use rekam_shared::bio::synth_district::{District, DistrictSpec};

/// Arguments of `rekam-hub bio`.
#[derive(Debug, clap::Args)]
pub struct BioArgs {
    #[command(subcommand)]
    command: BioCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BioCommand {
    /// Score fingerprint pairs: reads `PATH_A<TAB>PATH_B` lines on stdin, writes one score per line.
    FpScore,
    /// Masked fractional Hamming distance of two iris templates (open-iris text format).
    IrisHd {
        /// Code shape: rows,cols,filters,phases.
        #[arg(long, default_value = "16,256,2,2")]
        shape: String,
        /// Column shifts tried each way.
        #[arg(long, default_value_t = 15)]
        rotations: usize,
        /// Apply open-iris's normalisation (mean 0.45, 12,288 bits).
        #[arg(long)]
        normalise: bool,
        /// Probe template file (two lines: code, mask).
        a: PathBuf,
        /// Gallery template file.
        b: PathBuf,
    },
    /// Accuracy on a folder of FINGER_IMPRESSION.iso files: EER, FNMR at FMR 1%, 0.1% and 0.
    Eval {
        /// Folder of ISO/ANSI minutiae records.
        dir: PathBuf,
        /// Also write every score as `A<TAB>B<TAB>genuine|impostor<TAB>score` to this file.
        #[arg(long)]
        scores: Option<PathBuf>,
    },
    /// One probe against a gallery of every `*.iso` under a folder: best candidate, throughput.
    OneMany {
        /// The probe's ISO/ANSI minutiae record.
        #[arg(long)]
        probe: PathBuf,
        /// Folder searched recursively for `*.iso` records (the gallery).
        #[arg(long)]
        path: PathBuf,
        /// How many times each record is loaded into the gallery (a larger gallery from the
        /// same data, as OpenAFIS's `--load-factor`).
        #[arg(long, default_value_t = 1)]
        load_factor: usize,
        /// Threads searching slices of the gallery at once.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Searches timed (the figure is their total).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Seed of the in-memory shuffle.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Dedup accuracy and speed on a synthetic district.
    District {
        /// Persons in the gallery.
        #[arg(long, default_value_t = 10_000)]
        persons: u64,
        /// Share of them recorded a second time at another office.
        #[arg(long, default_value_t = 0.01)]
        duplicates: f64,
        /// New persons searched to count false duplicates (default: as many as duplicates).
        #[arg(long)]
        new_persons: Option<u64>,
        /// Fingers per person (0..=10).
        #[arg(long, default_value_t = 10)]
        fingers: usize,
        /// Iris code shape (rows,cols,filters,phases); `none` for no irises. The default is
        /// the shape the offices send (open-iris).
        #[arg(long, default_value = "16,256,2,2")]
        iris_shape: String,
        /// Threads building the gallery, and used by each search.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Seed of the district.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Hub start to a complete dedup index: fills DATA (a hub data folder, kept for reruns)
    /// up to N decided synthetic applications, then times the index rebuild a hub start does.
    IndexLoad {
        /// Hub data folder to fill (a scratch folder, never a live hub's).
        #[arg(long)]
        data: PathBuf,
        /// Applications to store.
        #[arg(long)]
        applications: u64,
        /// Fingers per application (0..=10), besides both irises.
        #[arg(long, default_value_t = 10)]
        fingers: usize,
    },
}

/// Runs `rekam-hub bio`.
pub fn run(args: BioArgs) -> anyhow::Result<()> {
    match args.command {
        BioCommand::FpScore => fp_score(),
        BioCommand::IrisHd {
            shape,
            rotations,
            normalise,
            a,
            b,
        } => iris_hd(&shape, rotations, normalise, &a, &b),
        BioCommand::Eval { dir, scores } => eval(&dir, scores.as_deref()),
        BioCommand::OneMany {
            probe,
            path,
            load_factor,
            threads,
            runs,
            seed,
        } => {
            let opts = OneManyOptions {
                load_factor,
                threads,
                runs,
                seed,
            };
            let r = one_many(&probe, &path, &opts)?;
            print!("{}", r.report(&opts));
            Ok(())
        }
        BioCommand::District {
            persons,
            duplicates,
            new_persons,
            fingers,
            iris_shape,
            threads,
            seed,
        } => {
            let irises = iris_shape != "none";
            let spec = DistrictSpec {
                persons,
                duplicate_share: duplicates,
                fingers: fingers.min(10),
                irises,
                iris_shape: if irises {
                    iris_shape.parse().context("--iris-shape")?
                } else {
                    IrisShape::DAUGMAN_2048
                },
                seed,
                ..DistrictSpec::default()
            };
            let r = district(spec, new_persons, threads.max(1));
            print!("{}", r.report());
            Ok(())
        }
        BioCommand::IndexLoad {
            data,
            applications,
            fingers,
        } => {
            if fingers > 10 {
                bail!("--fingers must be 0..=10");
            }
            let _kunci = crate::cli::lock_data(&data)?;
            let r = crate::dedup::index_bench::index_load(&data, applications, fingers)?;
            print!("{}", r.report());
            Ok(())
        }
    }
}

/// Loads and prepares the first finger view of a record file.
pub fn load_template(path: &Path) -> anyhow::Result<FingerprintTemplate> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let record = FingerprintRecord::parse(&bytes)
        .with_context(|| format!("{}: invalid minutiae record", path.display()))?;
    let view = record
        .views
        .first()
        .with_context(|| format!("{}: no finger view", path.display()))?;
    Ok(FingerprintTemplate::new(
        view,
        (record.resolution_x, record.resolution_y),
    ))
}

fn fp_score() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    fp_score_lines(stdin.lock(), &mut out)?;
    out.flush()?;
    Ok(())
}

/// `fp-score` on any input and output: one score per `PATH_A<TAB>PATH_B` line, in order.
pub fn fp_score_lines(input: impl BufRead, mut out: impl Write) -> anyhow::Result<()> {
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("stdin line {}: cannot read", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some((a, b)) = line.split_once('\t') else {
            bail!("stdin line {}: expected PATH_A<TAB>PATH_B", n + 1);
        };
        let ta =
            load_template(Path::new(a.trim())).with_context(|| format!("stdin line {}", n + 1))?;
        let tb =
            load_template(Path::new(b.trim())).with_context(|| format!("stdin line {}", n + 1))?;
        writeln!(out, "{:.4}", FingerprintMatcher::new(&ta).score(&tb))?;
    }
    Ok(())
}

fn read_iris(path: &Path, shape: IrisShape) -> anyhow::Result<IrisTemplate> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let code = lines
        .next()
        .with_context(|| format!("{}: line 1 (code) missing", path.display()))?;
    let mask = lines
        .next()
        .with_context(|| format!("{}: line 2 (mask) missing", path.display()))?;
    IrisTemplate::from_base64(shape, code, mask)
        .with_context(|| format!("{}: invalid iris template", path.display()))
}

fn iris_hd(
    shape: &str,
    rotations: usize,
    normalise: bool,
    a: &Path,
    b: &Path,
) -> anyhow::Result<()> {
    println!("{}", iris_distance(shape, rotations, normalise, a, b)?);
    Ok(())
}

/// The distance `iris-hd` prints.
pub fn iris_distance(
    shape: &str,
    rotations: usize,
    normalise: bool,
    a: &Path,
    b: &Path,
) -> anyhow::Result<f64> {
    let shape: IrisShape = shape.parse().context("--shape")?;
    let ta = read_iris(a, shape)?;
    let tb = read_iris(b, shape)?;
    let opts = HdOptions {
        rotations,
        normalise,
        ..HdOptions::default()
    };
    Ok(hamming_distance_with(&ta, &tb, &opts)?.distance)
}

fn eval(dir: &Path, scores_out: Option<&Path>) -> anyhow::Result<()> {
    let (templates, r, per_second) = eval_dir(dir, scores_out)?;
    println!("templates        {templates}");
    println!("genuine pairs    {}", r.genuine);
    println!("impostor pairs   {}", r.impostor);
    println!(
        "EER              {:.2}% (threshold {:.3})",
        r.eer * 100.0,
        r.eer_threshold
    );
    println!("FNMR@FMR=1%      {:.2}%", r.fnmr_at_fmr_1 * 100.0);
    println!("FNMR@FMR=0.1%    {:.2}%", r.fnmr_at_fmr_01 * 100.0);
    println!("FNMR@FMR=0       {:.2}%", r.fnmr_at_fmr_0 * 100.0);
    println!("matches/s        {per_second:.0} (one thread, wall clock, incl. probe preparation)");
    Ok(())
}

/// `eval`'s measurement: (template count, error rates, matches per second).
pub fn eval_dir(dir: &Path, scores_out: Option<&Path>) -> anyhow::Result<(usize, ErrorRates, f64)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut items = Vec::new();
    for f in &files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let Some(finger) = finger_of(stem) else {
            bail!("{}: name is not FINGER_IMPRESSION", f.display());
        };
        items.push((
            finger.to_string(),
            load_template(f)?,
            f.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        ));
    }
    if items.len() < 2 {
        bail!("{}: need at least two templates", dir.display());
    }
    let mut genuine = Vec::new();
    let mut impostor = Vec::new();
    let mut dump = match scores_out {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        )),
        None => None,
    };
    let start = Instant::now();
    for i in 0..items.len() {
        let mut m = FingerprintMatcher::new(&items[i].1);
        for j in i + 1..items.len() {
            let s = m.score(&items[j].1) as f64;
            let same = items[i].0 == items[j].0;
            if same {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
            if let Some(d) = dump.as_mut() {
                writeln!(
                    d,
                    "{}\t{}\t{}\t{s}",
                    items[i].2,
                    items[j].2,
                    if same { "genuine" } else { "impostor" }
                )?;
            }
        }
    }
    let elapsed = start.elapsed();
    let n = genuine.len() + impostor.len();
    let Some(r) = error_rates(&genuine, &impostor) else {
        bail!("{}: need both genuine and impostor pairs", dir.display());
    };
    Ok((items.len(), r, n as f64 / elapsed.as_secs_f64()))
}

/// How `one-many` builds its gallery and searches it.
#[derive(Debug, Clone)]
pub struct OneManyOptions {
    /// Copies of each record in the gallery (at least 1).
    pub load_factor: usize,
    /// Searching threads (at least 1).
    pub threads: usize,
    /// Timed searches (at least 1).
    pub runs: usize,
    /// Shuffle seed.
    pub seed: u64,
}

/// What `one-many` measured.
#[derive(Debug, Clone)]
pub struct OneManyResult {
    /// Records found under the folder.
    pub records: usize,
    /// Templates in the gallery (records x load factor).
    pub gallery: usize,
    /// File (relative to the folder) of the best-scoring candidate, and its score.
    pub best: (String, f32),
    /// Comparisons made in the timed searches.
    pub comparisons: u64,
    /// Wall-clock seconds of the timed searches.
    pub seconds: f64,
    /// Seconds to load, prepare and shuffle the gallery.
    pub load_seconds: f64,
}

impl OneManyResult {
    /// Comparisons per second over all threads.
    pub fn per_second(&self) -> f64 {
        self.comparisons as f64 / self.seconds
    }

    /// The lines the command prints.
    pub fn report(&self, o: &OneManyOptions) -> String {
        format!(
            "records          {}\n\
             gallery          {} templates (load factor {})\n\
             loaded in        {:.2} s\n\
             best candidate   {} (score {:.3})\n\
             searches         {} x {} comparisons on {} thread(s) in {:.3} s\n\
             throughput       {:.0} comparisons/s ({:.0} per thread)\n",
            self.records,
            self.gallery,
            o.load_factor,
            self.load_seconds,
            self.best.0,
            self.best.1,
            o.runs,
            self.gallery,
            o.threads,
            self.seconds,
            self.per_second(),
            self.per_second() / o.threads as f64,
        )
    }
}

/// Every `*.iso` file under `dir`, sorted.
fn iso_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("{}: cannot list", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("iso")) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `one-many`: loads the gallery, then searches `probe` against all of it `runs` times.
pub fn one_many(probe: &Path, dir: &Path, o: &OneManyOptions) -> anyhow::Result<OneManyResult> {
    use rekam_shared::bio::synth::SplitMix64;
    if o.load_factor == 0 || o.threads == 0 || o.runs == 0 {
        bail!("--load-factor, --threads and --runs must be at least 1");
    }
    let started = Instant::now();
    let probe = load_template(probe)?;
    let files = iso_files(dir)?;
    if files.is_empty() {
        bail!("{}: no *.iso records found", dir.display());
    }
    let mut names = Vec::with_capacity(files.len());
    let mut gallery: Vec<(u32, FingerprintTemplate)> =
        Vec::with_capacity(files.len() * o.load_factor);
    for (i, f) in files.iter().enumerate() {
        let t = load_template(f)?;
        names.push(
            f.strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .into_owned(),
        );
        // Each copy is its own allocation, as separately loaded templates would be.
        for _ in 0..o.load_factor {
            gallery.push((i as u32, t.clone()));
        }
    }
    // Fisher-Yates with a seeded generator: the same seed, the same gallery order.
    let mut rng = SplitMix64::new(o.seed);
    for i in (1..gallery.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        gallery.swap(i, j);
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let chunk = gallery.len().div_ceil(o.threads);
    let mut best = (0u32, f32::MIN);
    let start = Instant::now();
    for _ in 0..o.runs {
        let per_thread: Vec<(u32, f32)> = std::thread::scope(|s| {
            let handles: Vec<_> = gallery
                .chunks(chunk)
                .map(|part| {
                    let probe = &probe;
                    s.spawn(move || {
                        let mut m = FingerprintMatcher::new(probe);
                        let mut best = (0u32, f32::MIN);
                        for (file, t) in part {
                            let score = m.score(t);
                            if score > best.1 {
                                best = (*file, score);
                            }
                        }
                        best
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("search thread"))
                .collect()
        });
        for b in per_thread {
            if b.1 > best.1 || (b.1 == best.1 && b.0 < best.0) {
                best = b;
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(OneManyResult {
        records: files.len(),
        gallery: gallery.len(),
        best: (names[best.0 as usize].clone(), best.1),
        comparisons: (gallery.len() * o.runs) as u64,
        seconds,
        load_seconds,
    })
}

/// What `district` measured.
#[derive(Debug, Clone)]
pub struct DistrictResult {
    /// Persons in the gallery.
    pub persons: usize,
    /// Seconds to generate and prepare the gallery.
    pub build_seconds: f64,
    /// Resident memory the gallery added, bytes per person (`None` where /proc is missing).
    pub bytes_per_person: Option<f64>,
    /// Planted duplicates searched / found as duplicates / left as cases for a person.
    pub duplicates: usize,
    pub found: usize,
    pub duplicate_cases: usize,
    /// New persons searched / wrongly called duplicates / cases for a person.
    pub new_persons: usize,
    pub false_duplicates: usize,
    pub new_cases: usize,
    /// Search time per probe, milliseconds: p50, p99.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Threads each search used.
    pub search_threads: usize,
}

impl DistrictResult {
    /// The lines the command prints.
    pub fn report(&self) -> String {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        let missed = self.duplicates - self.found - self.duplicate_cases;
        format!(
            "gallery          {} persons, built in {:.1} s, {}\n\
             duplicates       {} planted: {} found ({:.2} %), {} cases for a person, {} missed ({:.2} %)\n\
             new persons      {}: {} false duplicates ({:.3} %), {} cases for a person ({:.2} %)\n\
             search           p50 {:.1} ms, p99 {:.1} ms ({} thread(s) per search)\n",
            self.persons,
            self.build_seconds,
            self.bytes_per_person
                .map_or("memory not measured".into(), |b| format!(
                    "{:.0} bytes ({:.1} KiB) per person",
                    b,
                    b / 1024.0
                )),
            self.duplicates,
            self.found,
            pct(self.found, self.duplicates),
            self.duplicate_cases,
            missed,
            pct(missed, self.duplicates),
            self.new_persons,
            self.false_duplicates,
            pct(self.false_duplicates, self.new_persons),
            self.new_cases,
            pct(self.new_cases, self.new_persons),
            self.p50_ms,
            self.p99_ms,
            self.search_threads,
        )
    }
}

/// Resident set size of this process in bytes, from /proc.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// `district`: builds the gallery of every person's first recording, then searches the planted
/// second recordings and `new_persons` persons who are not in it.
pub fn district(spec: DistrictSpec, new_persons: Option<u64>, threads: usize) -> DistrictResult {
    use rekam_shared::bio::fusion::Verdict;
    use rekam_shared::bio::gallery::{Gallery, GalleryConfig};
    let d = District::new(spec.clone());
    let started = Instant::now();
    let before = resident_bytes();
    let chunk = spec.persons.div_ceil(threads as u64).max(1);
    let parts: Vec<Vec<(u64, rekam_shared::bio::gallery::Person)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|t| {
                let d = &d;
                s.spawn(move || {
                    let end = ((t + 1) * chunk).min(d.spec().persons);
                    (t * chunk..end).map(|p| (p, d.person(p, 0))).collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("build thread"))
            .collect()
    });
    let mut gallery = Gallery::new(GalleryConfig {
        search_threads: threads,
        ..GalleryConfig::default()
    });
    for (p, person) in parts.into_iter().flatten() {
        gallery.insert(p, person);
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let bytes_per_person = match (before, resident_bytes()) {
        (Some(a), Some(b)) if spec.persons > 0 => {
            Some(b.saturating_sub(a) as f64 / spec.persons as f64)
        }
        _ => None,
    };
    let mut times = Vec::new();
    let mut search = |probe: &rekam_shared::bio::gallery::Person| {
        let t = Instant::now();
        let found = gallery.search(probe, 5);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        found
    };
    let (mut found, mut duplicate_cases) = (0, 0);
    for &p in d.duplicated() {
        let c = search(&d.person(p, 1));
        if c.iter().any(|c| c.id == p && c.verdict == Verdict::Match) {
            found += 1;
        } else if c.iter().any(|c| c.verdict != Verdict::NoMatch) {
            duplicate_cases += 1;
        }
    }
    let n_new = new_persons.unwrap_or(d.duplicated().len() as u64);
    let (mut false_duplicates, mut new_cases) = (0, 0);
    for p in spec.persons..spec.persons + n_new {
        let c = search(&d.person(p, 0));
        if c.iter().any(|c| c.verdict == Verdict::Match) {
            false_duplicates += 1;
        } else if c.iter().any(|c| c.verdict == Verdict::PossibleMatch) {
            new_cases += 1;
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let q = |f: f64| {
        times
            .get(((times.len().max(1) - 1) as f64 * f) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    DistrictResult {
        persons: gallery.len(),
        build_seconds,
        bytes_per_person,
        duplicates: d.duplicated().len(),
        found,
        duplicate_cases,
        new_persons: n_new as usize,
        false_duplicates,
        new_cases,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        search_threads: threads,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tests/fixtures")
    }

    #[test]
    fn fp_score_scores_each_line_in_order_and_names_bad_lines() {
        let db = fixtures().join("fingerprints/fvc2002-iso/DB1_B");
        let input = format!(
            "{a}\t{b}\n\n{a}\t{c}\n",
            a = db.join("101_1.iso").display(),
            b = db.join("101_2.iso").display(),
            c = db.join("102_2.iso").display()
        );
        let mut out = Vec::new();
        fp_score_lines(input.as_bytes(), &mut out).unwrap();
        let scores: Vec<f64> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(scores.len(), 2);
        assert!(scores[0] > 10.0 && scores[1] < 3.0, "{scores:?}");
        let bad = fixtures().join("fingerprints/invalid-iso/101_1_truncate_2_bytes.iso");
        let err = fp_score_lines(
            format!(
                "{a}\t{b}\n",
                a = db.join("101_1.iso").display(),
                b = bad.display()
            )
            .as_bytes(),
            Vec::new(),
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("line 1") && msg.contains("truncate_2_bytes") && msg.contains("30 bytes"),
            "{msg}"
        );
        let err = fp_score_lines("just one path\n".as_bytes(), Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("line 1: expected PATH_A<TAB>PATH_B"));
    }

    #[test]
    fn eval_reports_the_documented_eer() {
        let (n, r, _) = eval_dir(&fixtures().join("fingerprints/fvc2002-iso/DB4_B"), None).unwrap();
        assert_eq!((n, r.genuine, r.impostor), (80, 280, 2880));
        assert!(r.eer < 0.02, "{r:?}");
        assert!(eval_dir(&fixtures().join("fingerprints/invalid-iso"), None).is_err());
    }

    #[test]
    fn one_many_finds_the_probe_itself_in_a_shuffled_gallery() {
        let dir = fixtures().join("fingerprints/fvc2002-iso");
        let probe = dir.join("DB2_B/105_3.iso");
        let o = OneManyOptions {
            load_factor: 3,
            threads: 2,
            runs: 2,
            seed: 7,
        };
        let r = one_many(&probe, &dir, &o).unwrap();
        assert_eq!(r.records, 320, "every *.iso under the folder, recursively");
        assert_eq!(r.gallery, 960);
        assert_eq!(r.comparisons, 1_920);
        // The probe's own record is in the gallery and scores highest.
        assert_eq!(r.best.0, "DB2_B/105_3.iso", "{r:?}");
        let one = one_many(
            &probe,
            &dir,
            &OneManyOptions {
                threads: 1,
                seed: 8,
                ..o.clone()
            },
        )
        .unwrap();
        assert_eq!(
            one.best, r.best,
            "threads and shuffle do not change the answer"
        );
        assert!(r.report(&o).contains("best candidate   DB2_B/105_3.iso"));
        let err = one_many(&probe, &fixtures().join("iris"), &o).unwrap_err();
        assert!(format!("{err:#}").contains("no *.iso"), "{err:#}");
        let err = one_many(&dir.join("nope.iso"), &dir, &o).unwrap_err();
        assert!(format!("{err:#}").contains("nope.iso"), "{err:#}");
    }

    #[test]
    fn district_finds_planted_duplicates_and_calls_new_persons_new() {
        let spec = DistrictSpec {
            persons: 600,
            duplicate_share: 0.05,
            fingers: 2,
            iris_shape: "8,128,1,2".parse().unwrap(),
            ..DistrictSpec::default()
        };
        let r = district(spec, Some(30), 2);
        assert_eq!(r.persons, 600);
        assert!(r.duplicates > 10, "{r:?}");
        assert_eq!(r.found, r.duplicates, "{}", r.report());
        assert_eq!(r.false_duplicates, 0, "{}", r.report());
        assert_eq!(r.new_persons, 30);
        assert!(r.report().contains("0 missed"), "{}", r.report());
    }

    #[test]
    fn iris_hd_equals_open_iris() {
        let dir = tempfile::tempdir().unwrap();
        let line =
            std::fs::read_to_string(fixtures().join("iris/open_iris_1_11_2_vectors.tsv")).unwrap();
        let f: Vec<&str> = line.lines().nth(4).unwrap().split('\t').collect();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        std::fs::write(&a, format!("{}\n{}\n", f[3], f[4])).unwrap();
        std::fs::write(&b, format!("{}\n{}\n", f[5], f[6])).unwrap();
        let d = iris_distance(f[0], f[1].parse().unwrap(), f[2] == "1", &a, &b).unwrap();
        assert_eq!(d, f[7].parse::<f64>().unwrap());
        let err = iris_distance("16,200,2,2", 15, false, &a, &b).unwrap_err();
        assert!(format!("{err:#}").contains("a.txt"), "{err:#}");
    }
}
