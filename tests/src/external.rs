//! Programs outside the workspace that some tests need (Chromium and chromedriver today).
//!
//! A test that needs one and cannot find it fails: the README's test command is what CI runs,
//! so a missing program must never turn into a silent pass. Whoever runs the suite on a machine
//! without it, on purpose, says so with `REKAM_SKIP_MISSING=1`; the test then prints `SKIPPED`
//! with what is missing and returns.

use std::path::Path;

/// The environment variable that lets a test skip when a program it needs is missing.
pub const SKIP_VAR: &str = "REKAM_SKIP_MISSING";

/// What to do about the programs a test needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    /// Every program is there: run the test.
    Present,
    /// Something is missing and the person running the tests asked to skip: skip, loudly.
    Skip(String),
}

/// Checks that every path in `programs` exists. Missing ones are an error naming them and how
/// to install them (`install`), unless `REKAM_SKIP_MISSING=1` is set, which gives
/// [`Needed::Skip`] (the caller returns early after printing it).
pub fn require(programs: &[&str], install: &str) -> anyhow::Result<Needed> {
    decide(programs, install, std::env::var(SKIP_VAR).ok().as_deref())
}

fn decide(programs: &[&str], install: &str, skip: Option<&str>) -> anyhow::Result<Needed> {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return Ok(Needed::Present);
    }
    let what = format!("{} not installed ({install})", missing.join(", "));
    if skip == Some("1") {
        let msg = format!("SKIPPED: {what}; {SKIP_VAR}=1 asked to skip");
        eprintln!("{msg}");
        return Ok(Needed::Skip(msg));
    }
    anyhow::bail!("{what}; set {SKIP_VAR}=1 to skip this test on purpose")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_programs_run() {
        let me = std::env::current_exe().unwrap();
        let me = me.to_str().unwrap();
        assert_eq!(decide(&[me], "-", None).unwrap(), Needed::Present);
        assert_eq!(decide(&[me], "-", Some("1")).unwrap(), Needed::Present);
    }

    #[test]
    fn a_missing_program_fails_unless_skipping_is_asked_for() {
        let gone = "/nonexistent/rekam-test-program";
        let err = decide(&[gone], "apt-get install x", None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(gone) && msg.contains("apt-get install x"),
            "{msg}"
        );
        assert!(msg.contains(SKIP_VAR), "{msg}");
        // Only the explicit value skips.
        assert!(decide(&[gone], "-", Some("0")).is_err());
        assert!(decide(&[gone], "-", Some("")).is_err());
        assert!(matches!(
            decide(&[gone], "-", Some("1")).unwrap(),
            Needed::Skip(m) if m.contains("SKIPPED") && m.contains(gone)
        ));
    }
}
