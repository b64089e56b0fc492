//! `rekam-hub bio ...`: command-line access to the matchers, so anyone can check them on their own
//! data.
//!
//! - `fp-score`: lines `PATH_A<TAB>PATH_B` on stdin, one fingerprint score per line on stdout.
//! - `iris-hd --shape R,C,F,P --rotations N A B`: open-iris Hamming distance of two text files
//!   (line 1 the code, line 2 the mask, base64 of numpy `packbits`).
//! - `eval DIR`: all unordered pairs of `FINGER_IMPRESSION.iso` files in DIR; prints EER, FNMR at
//!   FMR 1% and 0.1%, and FNMR at zero false matches.
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
