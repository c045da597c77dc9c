//! The `ibcert` binary end to end: bad input gives a clear message and exit code 2
//! (never a panic); good input gives the documented reports.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::{assert_bad, bin, case_path, check_json, run, stderr, temp_dir, TempPath};

fn temp_case(text: &str) -> TempPath {
    common::temp_file("cli", "case.toml", text)
}

const GOOD: &str = r#"
format = 1
name = "t"
description = "test case"
depth = 2
[data]
points = [["1", "1/2"], ["-1/2", "1"]]
labels = [1, 1]
"#;

fn with(replace: &str, by: &str) -> TempPath {
    assert!(GOOD.contains(replace));
    temp_case(&GOOD.replace(replace, by))
}

#[test]
fn bad_case_files_are_refused_with_the_field_named() {
    let cases: Vec<(TempPath, Vec<&str>)> = vec![
        (
            temp_case("format = 1\nname = \"x\"\n[data\n"),
            vec!["malformed TOML"],
        ),
        (with("depth = 2", "depth = 2\ncolour = 3"), vec!["colour"]),
        (
            with(r#"["-1/2", "1"]"#, r#"["-1/2"]"#),
            vec!["data.points[1]"],
        ),
        (
            with("labels = [1, 1]", "labels = [1, 2]"),
            vec!["data.labels[1]"],
        ),
        (
            with(r#"points = [["1", "1/2"], ["-1/2", "1"]]"#, "points = []"),
            vec!["data.points"],
        ),
        (with("depth = 2", "depth = 1"), vec!["depth"]),
        (
            with(r#""1/2"]"#, r#""abc"]"#),
            vec!["data.points[0][1]", "abc"],
        ),
        (
            with("depth = 2", "depth = 2\n[numerics]\nprecision = 32"),
            vec!["numerics.precision"],
        ),
        (
            with("depth = 2", "depth = 2\n[numerics]\nalpha = \"-1\""),
            vec!["numerics.alpha"],
        ),
    ];
    for (p, frags) in cases {
        let o = run(&["run", p.to_str().unwrap(), "--alpha", "1", "--gt", "1"]);
        let mut all = frags.clone();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        all.push(&name);
        assert_bad(&o, &all);
    }
}

/// `ibcert ARGS` (a run) is refused by the option validation, in-process (clap's
/// parse, then `FlowArgs::validate`, as the binary does before any computation), with
/// exit code 2 and a message containing every fragment.
fn assert_run_refused(args: &[&str], fragments: &[&str]) {
    use clap::Parser;
    use ibcert::cli::{Cli, Command};
    let cli = Cli::try_parse_from(std::iter::once("ibcert").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let Command::Run(a) = &cli.command else {
        panic!("{args:?} is not a run")
    };
    let Err(e) = a.flow.validate() else {
        panic!("{args:?} is accepted")
    };
    assert_eq!(e.code, 2, "{args:?}: {}", e.message);
    for f in fragments {
        assert!(e.message.contains(f), "message lacks {f:?}: {}", e.message);
    }
}

#[test]
fn bad_arguments_are_refused_with_the_argument_named() {
    // validated in-process (clap, then FlowArgs::validate, as the binary does)
    let good = with("depth = 2", "depth = 2");
    let g = good.to_str().unwrap();
    assert_run_refused(
        &["run", g, "--alpha", "0", "--gt", "1"],
        &["--alpha", "positive"],
    );
    assert_run_refused(&["run", g, "--alpha", "-3", "--gt", "1"], &["--alpha"]);
    assert_run_refused(
        &["run", g, "--alpha", "x1", "--gt", "1"],
        &["--alpha", "not a number"],
    );
    assert_run_refused(
        &["run", g, "--alpha", "1", "--gt", "-5"],
        &["--gt", "positive"],
    );
    assert_run_refused(
        &["run", g, "--alpha", "1", "--loss", "2"],
        &["--loss", "below 1"],
    );
    assert_run_refused(&["run", g, "--alpha", "1", "--loss", "-1e-5"], &["--loss"]);
    assert_run_refused(
        &["run", g, "--alpha", "1", "--mu", "0"],
        &["--mu", "positive"],
    );
    assert_run_refused(
        &["run", g, "--alpha", "1", "--gt", "1", "--precision", "32"],
        &["--precision", "64"],
    );
    assert_run_refused(
        &["run", g, "--alpha", "1", "--gt", "1", "--tol", "2"],
        &["--tol"],
    );
    assert_run_refused(&["run", g, "--alpha", "1"], &["--gt", "--loss", "--mu"]);
    assert_run_refused(&["run", g, "--gt", "1"], &["--alpha", "numerics.alpha"]);
    // a target a fixed precision cannot carry: gt = 1e100 at 256 bits with 40 digits
    // (without --precision it would be raised automatically)
    assert_bad(
        &run(&[
            "run",
            g,
            "--alpha",
            "1",
            "--gt",
            "1e100",
            "--precision",
            "256",
        ]),
        &[
            "--precision",
            "needs at least",
            "bits",
            "give --precision 512",
        ],
    );
    assert_bad(
        &run(&["run", "/nonexistent/case.toml", "--gt", "1"]),
        &["/nonexistent/case.toml"],
    );
}

#[test]
fn non_separable_data_is_refused_with_a_certificate() {
    // z_1 = (1, 0), z_2 = (-1, 0) and z_3 = (0, 1): lambda = (1/2, 1/2, 0)
    let p = temp_case(
        r#"
format = 1
name = "nonsep"
description = "not separable"
depth = 2
[data]
points = [[1, 0], [1, 0], [0, 1]]
labels = [1, -1, 1]
"#,
    );
    let o = run(&["run", p.to_str().unwrap(), "--alpha", "1", "--gt", "10"]);
    assert_bad(&o, &["not linearly separable", "lambda = [1/2, 1/2, 0]"]);
}

#[test]
fn run_reports_verified_digits_in_text_and_json() {
    let o = run(&[
        "run",
        &case_path("single_point.toml"),
        "--gt",
        "100",
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for key in [
        "gamma",
        "ln t",
        "w_hat",
        "||w_hat||_1",
        "invariant drift",
        "verification",
        "correct digits",
    ] {
        assert!(text.contains(key), "text lacks {key}: {text}");
    }
    let o = run(&[
        "run",
        &case_path("three_point.toml"),
        "--gt",
        "50",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "ibcert.run/1");
    let digits = v["digits"]["w_hat"].as_u64().unwrap();
    assert!(digits >= 30, "digits {digits}");
    // every printed w_hat component carries at most the verified digits (plus sign/point/exponent)
    for c in v["w_hat"].as_array().unwrap() {
        let s = c.as_str().unwrap();
        let mant = s.split('e').next().unwrap();
        let sig: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
        let sig = sig.trim_start_matches('0');
        assert!(
            sig.len() as u64 <= digits + 1,
            "{s} has more than {digits} digits"
        );
    }
    // --loss is parsed exactly: 1e-20 is gt = 20 ln 10
    let o = run(&[
        "run",
        &case_path("three_point.toml"),
        "--loss",
        "1e-20",
        "--format",
        "json",
        "--no-verify",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["loss_exp10"]
            .as_str()
            .unwrap()
            .starts_with("20.0000000000"),
        "{}",
        v["loss_exp10"]
    );
    assert!(v["digits"].is_null());
}

#[test]
fn trace_writes_csv_and_json_from_dense_output() {
    let out = common::temp_path("cli-trace", "trace.csv");
    let o = run(&[
        "trace",
        &case_path("three_point.toml"),
        "--gt",
        "1000",
        "--points",
        "7",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 8, "{csv}");
    assert!(lines[0].starts_with("gt,loss_exp10,digits,gamma"));
    assert!(lines[7].starts_with("1000"), "{}", lines[7]);
    let o = run(&[
        "trace",
        &case_path("three_point.toml"),
        "--gt",
        "1000",
        "--at",
        "1,10,100",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "ibcert.trace/1");
    let samples = v["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3);
    for s in samples {
        assert!(s["digits"].as_u64().unwrap() >= 15, "{s}");
    }
    // a sample beyond the stop is refused
    assert_bad(
        &run(&[
            "trace",
            &case_path("three_point.toml"),
            "--gt",
            "10",
            "--at",
            "20",
        ]),
        &["--at"],
    );
    // an output path that cannot be written leaves nothing behind
    assert_bad(
        &run(&[
            "trace",
            &case_path("three_point.toml"),
            "--gt",
            "10",
            "--output",
            "/nonexistent/dir/x.csv",
        ]),
        &["--output"],
    );
}

#[test]
fn version_names_the_commit() {
    let o = run(&["--version"]);
    assert!(o.status.success());
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(
        s.contains("commit") && s.contains("MPFR 4.") && s.contains("GMP 6."),
        "{s}"
    );
}

/// The same job gives the same report byte for byte, timing fields left out by
/// --no-timing, run after run and with 1 and 2 threads (`run` as JSON and text, and
/// `trace`).
/// `run` (JSON and text) and `trace` on random10 to gt = 200 give the same bytes on
/// 1 and 2 threads (`jobs` of them: the JSON run alone, or with the text run and the
/// trace). `--threads N` (which takes precedence over RAYON_NUM_THREADS, set to 1 by
/// common::bin) sizes the pool.
fn identical_across_thread_counts(numerics: &[&str], n_jobs: usize) {
    let out = |args: &[&str], threads: &str| -> Vec<u8> {
        let o = bin()
            .arg("--threads")
            .arg(threads)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let case = case_path("random10.toml");
    let jobs: [Vec<&str>; 3] = [
        vec![
            "run",
            &case,
            "--gt",
            "20",
            "--format",
            "json",
            "--no-timing",
        ],
        vec!["run", &case, "--gt", "20", "--no-timing"],
        vec![
            "trace", &case, "--gt", "20", "--points", "4", "--format", "json",
        ],
    ];
    for (k, job) in jobs.iter().take(n_jobs).enumerate() {
        let mut args = job.clone();
        args.extend(numerics);
        let one = out(&args, "1");
        let two = out(&args, "2");
        assert!(!one.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&one),
            String::from_utf8_lossy(&two),
            "{args:?}"
        );
        if k == 0 {
            assert_eq!(one, out(&args, "2"), "{args:?}");
        }
    }
}

/// At 256 bits and 1e-40 (24 stages, with verification): the JSON run (every number
/// the text run and the trace print comes from the same integration, compared at 128
/// bits in tier 1).
#[test]
#[ignore = "slow: about 1 min"]
fn identical_results_whatever_the_thread_count_full_numerics() {
    identical_across_thread_counts(&["--precision", "256", "--tol", "1e-40"], 1);
}

/// `check`'s report is the same byte for byte on 1, 2 and 3 threads: with several jobs
/// (run in parallel on the workers, each job's verification in lockstep) and with one
/// (run on the calling thread, its verification following it concurrently on a worker).
#[test]
fn check_is_identical_whatever_the_thread_count() {
    // one check at one alpha of three_point's
    let text = std::fs::read_to_string(case_path("three_point.toml")).unwrap();
    let first = text.find("[[check]]").unwrap();
    let second = first + 1 + text[first + 1..].find("[[check]]").unwrap();
    let one = text[..second].replacen("alphas = [3, 10, 30, 100]", "alphas = [100]", 1);
    assert_ne!(one, text[..second]);
    let one_job = common::temp_file("check_threads", "one.toml", &one);
    for case in [case_path("random10.toml"), one_job.display().to_string()] {
        let out = |threads: &str| -> Vec<u8> {
            let o = bin()
                .args(["--threads", threads, "check", &case])
                .args(["--format", "json", "--no-timing", "--no-progress"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            o.stdout
        };
        let reference = out("1");
        assert!(!reference.is_empty());
        for threads in ["2", "3"] {
            assert_eq!(
                String::from_utf8_lossy(&reference),
                String::from_utf8_lossy(&out(threads)),
                "{case} on {threads} threads"
            );
        }
    }
}

#[test]
fn identical_results_whatever_the_thread_count() {
    // 128 bits and 1e-12 (with the verification run): the point is the thread count
    identical_across_thread_counts(&["--precision", "128", "--tol", "1e-12"], 3);
    let case = case_path("random10.toml");
    assert_bad(
        &run(&["--threads", "0", "run", &case, "--gt", "1"]),
        &["--threads"],
    );
    // --no-timing leaves out exactly the timing fields
    let timed = run(&[
        "run",
        &case,
        "--gt",
        "20",
        "--format",
        "json",
        "--no-verify",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&timed.stdout).unwrap();
    assert!(v["work"]["main"]["wall_seconds"].is_number());
    let untimed = run(&[
        "--threads",
        "2",
        "run",
        &case,
        "--gt",
        "20",
        "--format",
        "json",
        "--no-verify",
        "--no-timing",
    ])
    .stdout;
    let mut v = v;
    v["work"]["main"]
        .as_object_mut()
        .unwrap()
        .remove("wall_seconds");
    // the wall time of the main run and verification together, a timing field too
    assert!(v["work"]["elapsed_seconds"].is_number());
    v["work"].as_object_mut().unwrap().remove("elapsed_seconds");
    let u: serde_json::Value = serde_json::from_slice(&untimed).unwrap();
    assert_eq!(v, u);
}

#[test]
fn solve_reports_certified_references() {
    let o = run(&[
        "solve",
        &case_path("three_point.toml"),
        "--mu",
        "1/2,0.01",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "ibcert.solve/1");
    assert_eq!(v["l2"]["certificate"], "verified");
    assert_eq!(v["l1"]["certificate"], "verified");
    assert_eq!(v["l2"]["w"]["fractions"][0], "4920/8921");
    assert_eq!(
        v["l1"]["w"]["fractions"],
        serde_json::json!(["5/9", "8/9", "0"])
    );
    assert_eq!(v["l1"]["face"]["unique"], true);
    let q = v["qmu"].as_array().unwrap();
    assert_eq!(q.len(), 2);
    for s in q {
        assert_eq!(s["certified"], true, "{s}");
        assert!(s["digits"].as_u64().unwrap() >= 25);
    }
    let o = run(&["solve", &case_path("three_point.toml")]);
    let text = String::from_utf8(o.stdout).unwrap();
    for key in [
        "l2 max-margin",
        "l1 max-margin",
        "gamma_2^2 = 8921/9800",
        "unique optimum",
    ] {
        assert!(text.contains(key), "text lacks {key}: {text}");
    }
}

#[test]
fn solve_refuses_bad_arguments() {
    let c = case_path("three_point.toml");
    assert_bad(&run(&["solve", &c, "--mu", "0"]), &["--mu", "positive"]);
    assert_bad(&run(&["solve", &c, "--mu", "-1"]), &["--mu", "positive"]);
    assert_bad(
        &run(&["solve", &c, "--mu", "abc"]),
        &["--mu", "not a number"],
    );
    assert_bad(&run(&["solve", &c, "--precision", "32"]), &["--precision"]);
    assert_bad(&run(&["solve", &c, "--depth", "1"]), &["--depth"]);
    let p = temp_case(
        r#"
format = 1
name = "nonsep"
description = "not separable"
depth = 2
[data]
points = [[1, 0], [1, 0]]
labels = [1, -1]
"#,
    );
    assert_bad(
        &run(&["solve", p.to_str().unwrap()]),
        &["not linearly separable", "lambda"],
    );
}

/// The bundled three-point case at 128 bits and tolerance 1e-20: the checks' metrics
/// (1e-2 to 1e-5 at the largest alpha) do not need the case's 256 bits and 1e-40.
fn cheap_three_point() -> String {
    let base = std::fs::read_to_string(case_path("three_point.toml")).unwrap();
    let cheap = base
        .replace("precision = 256", "precision = 128")
        .replace("tolerance = \"1e-40\"", "tolerance = \"1e-20\"");
    assert_ne!(base, cheap);
    cheap
}

/// A three-point case with one transition check, optionally mutated.
fn check_case_text(mu: &str, tolerance: &str, expect: &str) -> String {
    let data = cheap_three_point()
        .split("# Theorem checks")
        .next()
        .unwrap()
        .to_string();
    format!(
        "{data}\n[[check]]\nname = \"transition\"\nkind = \"transition\"\nalphas = [10, 30]\nmu = \"{mu}\"\ntolerance = \"{tolerance}\"\nexpect = \"{expect}\"\n"
    )
}

#[test]
fn check_passes_and_mutations_fail_with_reasons() {
    let good = temp_case(&check_case_text("1/2", "2e-3", "pass"));
    let o = run(&[
        "check",
        good.to_str().unwrap(),
        "--no-verify",
        "--no-timing",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    // a tolerance too tight for alpha = 30
    let tight = temp_case(&check_case_text("1/2", "1e-9", "pass"));
    let o = run(&["check", tight.to_str().unwrap(), "--no-verify"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("above the tolerance"), "{text}");
    // the wrong mu: the path stopped at gt = alpha^D / (1/2) is near w_{1/2}, not w_{1/50}
    let wrong_mu = temp_case(&check_case_text("1/50", "2e-3", "pass").replace(
        "kind = \"transition\"",
        "kind = \"transition\"\nstop = \"2 * alpha^D\"",
    ));
    let o = run(&[
        "check",
        wrong_mu.to_str().unwrap(),
        "--no-verify",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "ibcert.check/1");
    assert_eq!(v["results"][0]["passed"], false);
    assert!(v["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("distance to w_mu"));
    // expecting a failure that does not happen is a suite failure
    let unexpected = temp_case(&check_case_text("1/2", "2e-3", "fail"));
    let o = run(&["check", unexpected.to_str().unwrap(), "--no-verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("UNEXPECTED PASS"));
    // a swapped label changes the data: on the bundled checks, the rich-regime check
    // (w_hat -> w_l1 by gt = alpha^(2D)) no longer holds within its tolerance
    let bundled = cheap_three_point();
    let p = temp_case(&bundled.replace("labels = [1, -1, 1]", "labels = [1, 1, 1]"));
    let o = run(&[
        "check",
        p.to_str().unwrap(),
        "--no-verify",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let failed: Vec<&serde_json::Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["meets_expectation"] == false)
        .collect();
    // the rich check misses w_l1 (with either loss), and point 3 comes within
    // rho_0 ~ 1.04 of the support
    assert_eq!(failed.len(), 3, "{v}");
    assert_eq!(failed[2]["kind"], "rich");
    assert_eq!(failed[2]["loss"], "logistic");
    assert!(
        failed[0].get("loss").is_none(),
        "exp checks do not name the loss"
    );
    assert_eq!(failed[0]["kind"], "rich");
    assert!(
        failed[0]["reason"]
            .as_str()
            .unwrap()
            .contains("distance to w_l1"),
        "{}",
        failed[0]
    );
    assert_eq!(failed[1]["kind"], "condition5");
    assert!(
        failed[1]["reason"]
            .as_str()
            .unwrap()
            .contains("Condition 5 fails"),
        "{}",
        failed[1]
    );
}

#[test]
fn check_junit_is_well_formed_and_json_is_deterministic() {
    let good = temp_case(&check_case_text("1/2", "2e-3", "pass"));
    let bad = temp_case(&check_case_text("1/2", "1e-9", "pass"));
    let o = run(&[
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--no-verify",
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8(o.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("failures"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert!(!suites.is_empty());
    let mut failures = 0;
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        for a in ["name", "tests", "failures", "errors"] {
            assert!(s.attribute(a).is_some(), "testsuite lacks {a}");
        }
        for tc in s.children().filter(|n| n.is_element()) {
            assert_eq!(tc.tag_name().name(), "testcase");
            assert!(tc.attribute("name").is_some() && tc.attribute("classname").is_some());
            for f in tc.children().filter(|n| n.has_tag_name("failure")) {
                assert!(f
                    .attribute("message")
                    .unwrap()
                    .contains("above the tolerance"));
                assert!(f.attribute("type").is_some());
                failures += 1;
            }
        }
    }
    assert_eq!(failures, 1);
    let json = |threads: &str| {
        bin()
            .args([
                "check",
                good.to_str().unwrap(),
                "--format",
                "json",
                "--no-timing",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(
        json("1"),
        json("2"),
        "reports differ between 1 and 2 threads"
    );
}

#[test]
fn check_refuses_bad_declarations() {
    let text = check_case_text("1/2", "2e-3", "pass")
        .replace("kind = \"transition\"", "kind = \"transitional\"");
    let p = temp_case(&text);
    let o = run(&["check", p.to_str().unwrap()]);
    assert_bad(&o, &["check[0] (transition).kind", "unknown check kind"]);
    let text =
        check_case_text("1/2", "2e-3", "pass").replace("alphas = [10, 30]", "alphas = [30, 10]");
    let p = temp_case(&text);
    assert_bad(
        &run(&["check", p.to_str().unwrap()]),
        &["alphas", "strictly increasing"],
    );
    let text = check_case_text("1/2", "0", "pass");
    let p = temp_case(&text);
    assert_bad(
        &run(&["check", p.to_str().unwrap()]),
        &["tolerance", "positive"],
    );
    assert_bad(
        &run(&["check", "/nonexistent-dir-ibcert"]),
        &["/nonexistent-dir-ibcert"],
    );
}

/// The Fig. 4(b) data of cases/fig4b.toml (without its checks) followed by `checks`.
fn fig4b_with(checks: &str) -> TempPath {
    let base = std::fs::read_to_string(case_path("fig4b.toml")).unwrap();
    let data = base.split("# Theorem checks").next().unwrap().to_string();
    temp_case(&format!("{data}\n{checks}"))
}

fn limit_check(name: &str, point: &str, optimum: Option<&str>) -> String {
    let optimum = optimum.map_or(String::new(), |o| format!("optimum = \"{o}\"\n"));
    format!(
        "[[check]]\nname = \"{name}\"\nkind = \"limit\"\nstop = \"10^4 * alpha\"\nalphas = [\"1/20\"]\npoint = {point}\n{optimum}tolerance = \"1e-4\"\n\n"
    )
}

fn reason(r: &serde_json::Value) -> String {
    r["reason"].as_str().unwrap().to_string()
}

/// kind = "limit": at alpha = 1/20 the Fig. 4(b) flow sits at e_1 = (5/3, 0, 0), a strict
/// local (not global) minimum of the l_{2/3} max-margin problem. The check verifies the
/// point before comparing; every mutation fails with a reason that names what is wrong.
#[test]
fn limit_check_verifies_its_point_and_mutations_fail_with_reasons() {
    let good = fig4b_with(&limit_check("e1", "[\"5/3\", 0, 0]", Some("local")));
    let (code, results) = check_json(&good);
    assert_eq!(code, Some(0), "{results:?}");
    let r = reason(&results[0]);
    for key in [
        "support {1}, active points {3}",
        "a strict local minimum",
        "the global minimum over the 7 feasible vertices is 1.2114137 at (0, 4/3, 0)",
        "w_l1 = (0, 1, 2/9)",
        "is not a KKT point of the l_{2/3} problem",
    ] {
        assert!(r.contains(key), "reason lacks {key:?}: {r}");
    }
    let mutations = [
        // a point off the margin-1 boundary
        ("scaled", "[2, 0, 0]", None, "its smallest margin is 6/5"),
        // w_l1: the l1 optimum, but not l_{2/3}-stationary
        ("w_l1", "[0, 1, \"2/9\"]", None, "not a KKT point"),
        // e_1 is a KKT point, but not the global minimum
        (
            "e1 global",
            "[\"5/3\", 0, 0]",
            Some("global"),
            "not the global minimum",
        ),
        // the global minimum is not local-but-not-global
        (
            "global local",
            "[0, \"4/3\", 0]",
            Some("local"),
            "it is a global one",
        ),
        // a KKT point the flow at alpha = 1/20 does not reach
        (
            "wrong limit",
            "[0, \"4/3\", 0]",
            Some("global"),
            "above the tolerance",
        ),
    ];
    let checks: String = mutations
        .iter()
        .map(|(n, p, o, _)| limit_check(n, p, *o))
        .collect();
    let (code, results) = check_json(&fig4b_with(&checks));
    assert_eq!(code, Some(1));
    assert_eq!(results.len(), mutations.len());
    for (r, (n, _, _, why)) in results.iter().zip(&mutations) {
        assert_eq!(r["name"], *n);
        assert_eq!(r["passed"], false, "{n}: {r}");
        assert!(reason(r).contains(why), "{n}: reason lacks {why:?}: {r}");
    }
    // a swapped label: point 3 becomes -(3/5, 4/5, 9/10), on which e_1 has margin -1
    let base = std::fs::read_to_string(good).unwrap();
    let swapped = temp_case(&base.replace("labels = [1, 1, 1]", "labels = [1, 1, -1]"));
    let (code, results) = check_json(&swapped);
    assert_eq!(code, Some(1));
    assert!(
        reason(&results[0]).contains("its smallest margin is -1"),
        "{}",
        results[0]
    );
}

/// condition5 with support_of = "flow": below mu_0 ~ 0.064 the Fig. 4(b) flow releases
/// point 2, which was a support vector earlier in the window (the watched points are {1, 2}:
/// point 1 is off the support all along), so Condition 5 read on the
/// flow's own w_hat fails (rho_0 = 1) while read on w_mu's non-support point 1 it holds;
/// above mu_0 both hold.
#[test]
fn condition5_on_the_flows_own_support() {
    let c5 = |name: &str, mu: &str, support_of: &str| {
        format!(
            "[[check]]\nname = \"{name}\"\nkind = \"condition5\"\nalphas = [10]\nmu = \"{mu}\"\nsupport_of = \"{support_of}\"\ntolerance = \"1/50\"\n\n"
        )
    };
    let checks = c5("flow below", "1/100", "flow")
        + &c5("w_mu below", "1/100", "w_mu")
        + &c5("flow above", "1/10", "flow");
    let (code, results) = check_json(&fig4b_with(&checks));
    assert_eq!(code, Some(1));
    assert_eq!(results[0]["passed"], false, "{}", results[0]);
    let r = reason(&results[0]);
    assert!(r.contains("the flow's own w_hat"), "{r}");
    assert!(r.contains("rho_0 = 1.00000 "), "{r}");
    let name = results[0]["alphas"][0]["metric_name"].as_str().unwrap();
    assert!(name.contains("k in {1, 2}"), "{name}");
    assert_eq!(results[1]["passed"], true, "{}", results[1]);
    assert!(
        reason(&results[1]).contains("rho_0 = 1.345"),
        "{}",
        results[1]
    );
    assert_eq!(results[2]["passed"], true, "{}", results[2]);
    assert!(
        reason(&results[2]).contains("rho_0 = 1.814"),
        "{}",
        results[2]
    );
}

/// The JUnit report validates against the JUnit XSD that Surefire, Jenkins and pytest use
/// (`junit-10.xsd`, from pytest's source distribution). `.ci/run` fetches the schema,
/// installs `xmllint` and sets IBCERT_JUNIT_XSD; elsewhere the test runs when the
/// variable names the schema and `xmllint` is on the PATH, and is required under CI.
#[test]
fn check_junit_validates_against_the_junit_schema() {
    let xsd = std::env::var_os("IBCERT_JUNIT_XSD").map(PathBuf::from);
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    let (Some(xsd), true) = (xsd.filter(|p| p.is_file()), xmllint) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI the JUnit schema test must run: set IBCERT_JUNIT_XSD to junit-10.xsd and install xmllint (.ci/run does both)"
        );
        eprintln!(
            "skipped: IBCERT_JUNIT_XSD (junit-10.xsd) or xmllint missing; .ci/run provides both"
        );
        return;
    };
    let validate = |xml: &str| -> Output {
        let p = common::temp_file("cli", "report.xml", xml);
        Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(&xsd)
            .arg(&p)
            .output()
            .unwrap()
    };
    // a check that passes, one that fails (with <, & and quotes in its reason and name),
    // and one that passes unexpectedly
    let good = temp_case(&check_case_text("1/2", "2e-3", "pass"));
    let bad = temp_case(&check_case_text("1/2", "1e-9", "pass").replace(
        "name = \"transition\"",
        "name = \"a <tight> & \\\"quoted\\\" one\"",
    ));
    let unexpected = temp_case(&check_case_text("1/2", "2e-3", "fail"));
    for timing in [true, false] {
        let mut args = vec![
            "check",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            unexpected.to_str().unwrap(),
            "--no-verify",
            "--format",
            "junit",
        ];
        if !timing {
            args.push("--no-timing");
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let xml = String::from_utf8(o.stdout).unwrap();
        assert!(xml.contains("unexpected-pass") && xml.contains("check-failed"));
        assert!(xml.contains("a &lt;tight&gt; &amp; &quot;quoted&quot; one"));
        let v = validate(&xml);
        assert!(
            v.status.success(),
            "JUnit report (timing {timing}) does not validate against {}:\n{}\n{xml}",
            xsd.display(),
            stderr(&v)
        );
        // the validator does reject what the schema forbids: a testsuite without `tests`
        let start = xml.find("<testsuite ").unwrap();
        let attr = start + xml[start..].find(" tests=\"").unwrap();
        let end = attr + 8 + xml[attr + 8..].find('"').unwrap() + 1;
        let broken = format!("{}{}", &xml[..attr], &xml[end..]);
        assert!(roxmltree::Document::parse(&broken).is_ok());
        assert!(
            !validate(&broken).status.success(),
            "xmllint accepted a testsuite without `tests`"
        );
    }
}

/// `ibcert bench --filter "f: scale"`: the exact references of N = 50 points in d = 1000
/// run with their certificates checked (a few seconds; the timing is not asserted).
#[test]
#[ignore = "slow tier: the N = 50, d = 1000 references (about 10 s)"]
fn bench_scale_references_run() {
    let o = run(&["bench", "--filter", "f: scale"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("f: scale N=50 d=1000"), "{out}");
    assert!(out.contains("(certificates checked)"), "{out}");
}

/// `ibcert bench --filter h:`: workload a2 at the numerics of `--digits 100` (448
/// bits, 48 stages, its verification 512 bits and 50 stages) verifies at least 100
/// digits; its steps are deterministic (345 and 2 rejected with the flows' embedded
/// estimate and their 64-bit Newton matrices, which fail twice early at 48 stages and
/// hand the run to the working precision, docs/math.md §9.7; 344 and none before that,
/// step doubling took 140, and 6,230 at 24 stages).
#[test]
#[ignore = "slow tier: a2 at 100 digits (about 6 s)"]
fn bench_high_digits_workload_runs() {
    let o = run(&["bench", "--filter", "h:"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("workload (448 bits, 1e-100, 48 stages)"),
        "{out}"
    );
    assert!(out.contains("(verification: 512 bits, 50 stages)"), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("h:"))
        .unwrap_or_else(|| panic!("no h row: {out}"));
    let cols: Vec<&str> = row.split_whitespace().rev().take(5).collect();
    let (digits, rejected, steps) = (cols[1], cols[2], cols[3]);
    assert_eq!((steps, rejected), ("345", "2"), "{row}");
    assert!(digits.parse::<u32>().unwrap() >= 100, "{row}");
}

/// `ibcert bench`: the workload list, a filter that selects nothing (exit 2 naming the
/// workloads), and the cheapest workload run for real (its step count is deterministic).
#[test]
fn bench_lists_filters_and_runs_a_workload() {
    let o = run(&["bench", "--list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = String::from_utf8(o.stdout).unwrap();
    let names: Vec<&str> = list.lines().collect();
    assert_eq!(names.len(), 10, "{list}");
    for key in ["a1:", "a2:", "b:", "c:", "d:", "h:", "r:", "e:", "f:", "g:"] {
        assert!(
            names.iter().any(|n| n.starts_with(key)),
            "{key} missing: {list}"
        );
    }
    let o = run(&["bench", "--filter", "a2", "--list"]);
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 1);
    assert_bad(
        &run(&["bench", "--filter", "no such workload"]),
        &["--filter", "a1: three_point"],
    );
    // a1: three_point alpha = 100 to gt = 2e4, 256 bits, with verification
    let o = run(&["bench", "--filter", "a1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let row = out
        .lines()
        .find(|l| l.starts_with("a1:"))
        .unwrap_or_else(|| panic!("no a1 row: {out}"));
    // wall, steps, rejected, digits, RHS evaluations
    let cols: Vec<&str> = row.split_whitespace().rev().take(5).collect();
    let (rhs, digits, rejected, steps) = (cols[0], cols[1], cols[2], cols[3]);
    assert_eq!((steps, rejected, rhs), ("56", "0", "3560"), "{row}");
    assert!(digits.parse::<u32>().unwrap() >= 40, "{row}");
}

/// The list options follow one rule in `table` and `plot` (crate::options): a depth
/// from 2 to 1000, no empty entry, no repeated entry; the same message from both
/// commands. In-process (clap's parse, then each command's validation); `solve --depth`,
/// `solve --mu` and `trace --at` through the binary.
#[test]
fn list_options_follow_one_rule_in_table_and_plot() {
    use clap::Parser;
    use ibcert::cli::{table_spec, Cli, Command};
    let case = case_path("three_point.toml");
    let out = common::temp_path("lists", "p.svg");
    let refusal = |command: &str, extra: &[&str]| -> String {
        let mut a = vec!["ibcert", command, case.as_str(), "--no-progress"];
        if command == "plot" {
            a.extend(["--kind", "excess-l1", "-o", out.to_str().unwrap()]);
        }
        a.extend(extra);
        let cli = Cli::try_parse_from(&a).unwrap_or_else(|e| panic!("{a:?}: {e}"));
        let r = match &cli.command {
            Command::Table(t) => table_spec(t).map(|_| ()),
            Command::Plot(p) => p.validate().map(|_| ()),
            _ => unreachable!(),
        };
        let e = r.expect_err(&format!("{a:?} is accepted"));
        assert_eq!(e.code, 2, "{a:?}: {}", e.message);
        e.message
    };
    let out_of_range = |d: u32| {
        format!("--depths: depth {d} is out of range: the networks have a depth D from 2 to 1000")
    };
    for (extra, message) in [
        (
            vec!["--depths", "2,3,2"],
            "--depths: '2' appears twice".to_string(),
        ),
        (vec!["--depths", "1"], out_of_range(1)),
        (vec!["--depths", "1001"], out_of_range(1001)),
        (
            vec!["--depths", "2,,3"],
            "--depths: entry 2 of 3 is empty".into(),
        ),
        (
            vec!["--depths", ""],
            "--depths: the list is empty; give at least one value".into(),
        ),
        (
            vec!["--alphas", "10,1,10"],
            "--alphas: '10' appears twice".into(),
        ),
        (
            vec!["--alphas", "10,1e1"],
            "--alphas: '1e1' is the same value as '10', which the list already has".into(),
        ),
        (
            vec!["--alphas", "1,"],
            "--alphas: entry 2 of 2 is empty".into(),
        ),
        (
            vec!["--alpha-d", ",1"],
            "--alpha-d: entry 1 of 2 is empty".into(),
        ),
        (vec!["--mu", "1,,2"], "--mu: entry 2 of 3 is empty".into()),
        (
            vec!["--mu", "1/2,0.5"],
            "--mu: '0.5' is the same value as '1/2', which the list already has".into(),
        ),
    ] {
        for command in ["table", "plot"] {
            assert_eq!(refusal(command, &extra), message, "{command} {extra:?}");
        }
    }
    assert!(!out.exists());
    // the other list and depth options
    assert_bad(
        &run(&["solve", &case, "--depth", "1001"]),
        &["--depth: depth 1001 is out of range"],
    );
    assert_bad(
        &run(&["solve", &case, "--mu", "1,1"]),
        &["--mu: '1' appears twice"],
    );
    assert_bad(
        &run(&["trace", &case, "--gt", "10", "--at", "1,,2"]),
        &["--at: entry 2 of 3 is empty"],
    );
}

/// An `--output` that cannot be written is refused before any work (exit 2, the option
/// named): each job below takes minutes when computed, so a refusal that came only
/// after the computation would show as a tier-1 test taking minutes.
#[test]
fn an_unwritable_output_is_refused_before_the_computation() {
    let dir = temp_dir("unwritable");
    let missing = dir.join("no-such-dir").join("out.json");
    let missing = missing.to_str().unwrap();
    let as_dir = dir.to_str().unwrap();
    for target in [missing, as_dir] {
        for args in [
            vec!["check", "cases/", "--format", "json", "-o", target],
            vec![
                "table",
                "cases/fig5_d2.toml",
                "--depths",
                "2,3,10",
                "--alpha-d",
                "1e-3,1,1e3,1e6",
                "-o",
                target,
            ],
            vec![
                "trace",
                "cases/random10.toml",
                "--alpha",
                "1",
                "--gt",
                "1e9",
                "-o",
                target,
            ],
        ] {
            let o = run(&args);
            assert_bad(&o, &["--output", "cannot write"]);
        }
    }
}
