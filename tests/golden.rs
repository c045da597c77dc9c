//! Reproducibility across builds (issue "Reliability: hostile input, long runs,
//! reproducibility"): the JSON report of one small fixed job, pinned byte for byte to a
//! committed golden file. The numbers depend only on MPFR's correctly rounded operations
//! and the fixed order of every sum (docs/long-runs.md, "Reproducibility"), so another
//! machine, compiler or optimization level must give the same bytes; a change of a single
//! bit of any reported number fails here.
//!
//! When the numeric path is changed on purpose (step control, the precision guard, the
//! report's digits), regenerate the file deliberately with
//!     IBCERT_BLESS=1 cargo test --release --test golden
//! and commit it with the change that explains it.

use std::path::Path;
use std::process::Command;

const GOLDEN: &str = "tests/golden/three_point_run.json";

/// The fixed job: the bundled three-point case, alpha = 1, gt = 100, 128 bits, tolerance
/// 1e-20, with its verification run; run from the crate root so that the report's case
/// path is the relative `cases/three_point.toml`.
const ARGS: [&str; 13] = [
    "run",
    "cases/three_point.toml",
    "--alpha",
    "1",
    "--gt",
    "100",
    "--precision",
    "128",
    "--tol",
    "1e-20",
    "--format",
    "json",
    "--no-timing",
];

/// Fields that name the build rather than the computation (none in `ibcert.run/1` today;
/// removed should a version or commit field be added).
fn strip_build_fields(report: &str) -> String {
    report
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            ![
                "\"version\":",
                "\"commit\":",
                "\"written_by\":",
                "\"build\":",
            ]
            .iter()
            .any(|k| t.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn report(bin: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let o = Command::new(bin)
        .args(ARGS)
        .current_dir(root)
        .output()
        .expect("binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    strip_build_fields(&String::from_utf8(o.stdout).expect("UTF-8 report"))
}

#[test]
fn run_report_matches_the_golden_file_byte_for_byte() {
    let got = report(env!("CARGO_BIN_EXE_ibcert"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("IBCERT_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        eprintln!("blessed {GOLDEN}");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{GOLDEN}: {e}; create it with IBCERT_BLESS=1 cargo test --release --test golden")
    });
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}: got {a:?}, golden {b:?}", i + 1))
            .unwrap_or_else(|| "the reports differ in length".to_string());
        panic!(
            "the report of `ibcert {}` differs from {GOLDEN} ({first}).\n\
             This build computes different numbers from the one that wrote the golden file. \
             If the numeric path was changed on purpose (step control, precision guard, \
             reported digits), regenerate it deliberately with\n    \
             IBCERT_BLESS=1 cargo test --release --test golden\n\
             and commit the new file with the change; otherwise this build (compiler, \
             optimization, machine, MPFR/GMP version) is not reproducing the results.",
            ARGS.join(" ")
        );
    }
}

/// The same job from a binary of another build profile, when one is given: e.g.
/// `IBCERT_OTHER_BIN=target/debug/ibcert` after `cargo build` (the dev profile); skipped
/// otherwise (a second full build is too slow to do here).
#[test]
fn another_build_profile_gives_the_same_bytes() {
    let Some(other) = std::env::var_os("IBCERT_OTHER_BIN") else {
        eprintln!("IBCERT_OTHER_BIN not set: skipped");
        return;
    };
    let other = other.to_string_lossy().to_string();
    assert_eq!(report(&other), report(env!("CARGO_BIN_EXE_ibcert")));
}
