//! The docs name real code: every Rust file, test file (`--test NAME`), benchmark
//! (`--bench NAME`) and test-sized function name (a backticked snake_case name of four or more
//! words, the way tests are named here) that README.md or a page under docs/ mentions must
//! exist in the repository. A renamed or deleted test otherwise leaves the docs claiming a
//! check that no longer runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file of the repository (paths relative to its root, with `/`).
fn rust_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                if !name.starts_with('.') && name != "target" && name != "corpus" {
                    stack.push(p);
                }
            } else if name.ends_with(".rs") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    out
}

/// Names after `fn ` in the given sources.
fn functions(root: &Path, files: &[String]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(root.join(f)).unwrap_or_default();
        for part in text.split("fn ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// The documentation pages: README.md and docs/*.md.
fn pages(root: &Path) -> Vec<(String, String)> {
    let mut out = vec![(
        "README.md".to_owned(),
        std::fs::read_to_string(root.join("README.md")).unwrap(),
    )];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            let name = format!("docs/{}", p.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

fn word_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Tokens of `text` made of path-like characters.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !word_chars(c))
        .map(|t| t.trim_matches(|c| c == '.' || c == '-'))
        .filter(|t| !t.is_empty())
}

/// Backticked spans of `text`.
fn code_spans(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

fn is_test_sized_name(s: &str) -> bool {
    s.matches('_').count() >= 3
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

/// What the docs name that the repository lacks, one line each.
fn missing(root: &Path) -> Vec<String> {
    let files = rust_files(root);
    let fns = functions(root, &files);
    let has_file = |t: &str| {
        files
            .iter()
            .any(|f| f == t || f.ends_with(&format!("/{t}")))
    };
    let mut missing = Vec::new();
    for (page, text) in pages(root) {
        for t in tokens(&text).filter(|t| t.ends_with(".rs")) {
            if !has_file(t) {
                missing.push(format!("{page}: file {t}"));
            }
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        for w in words.windows(2) {
            let name = w[1].trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            let dir = match w[0] {
                "--test" => "tests",
                "--bench" => "benches",
                _ => continue,
            };
            if !has_file(&format!("{dir}/{name}.rs")) {
                missing.push(format!("{page}: {} {name}", w[0]));
            }
        }
        for span in code_spans(&text) {
            if is_test_sized_name(span) && !fns.contains(span) {
                missing.push(format!("{page}: function {span}"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    missing
}

#[test]
fn every_test_and_file_the_docs_name_exists() {
    let missing = missing(&repo());
    assert!(
        missing.is_empty(),
        "the docs name what does not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_check_finds_a_stale_reference() {
    // A copy of the docs with one made-up test file, one made-up test and one made-up
    // function: the check must name all three.
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("docs")).unwrap();
    std::fs::create_dir_all(r.join("x/tests")).unwrap();
    std::fs::write(
        r.join("x/tests/ada.rs"),
        "fn ada_yang_benar_ada_di_sini() {}",
    )
    .unwrap();
    std::fs::write(
        r.join("README.md"),
        "See `x/tests/ada.rs` and `ada_yang_benar_ada_di_sini`; `cargo test --test ada`.",
    )
    .unwrap();
    assert!(missing(r).is_empty(), "{:?}", missing(r));
    std::fs::write(
        r.join("docs/testing.md"),
        "Gone: tests/tests/sync_hilang.rs, `cargo test --test hilang`, `tes_yang_sudah_tidak_ada`.",
    )
    .unwrap();
    assert_eq!(
        missing(r),
        vec![
            "docs/testing.md: --test hilang".to_owned(),
            "docs/testing.md: file tests/tests/sync_hilang.rs".to_owned(),
            "docs/testing.md: function tes_yang_sudah_tidak_ada".to_owned(),
        ]
    );
}
