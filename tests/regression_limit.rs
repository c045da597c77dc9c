//! The square-loss flow through the CLI: the `regression-limit` check (Woodworth et al.
//! 2020, Theorems 1 and 3: the flow's limit is argmin Q^D_alpha s.t. X^T w = y) and
//! `ibcert run` on regression cases. Each answer is compared with an independent one:
//! the check with the Q^D_alpha reference (Newton on the dual, `q_alpha_limit`), `run`'s
//! limit with the single-sample bisection of tests/common/single_sample.rs. Nothing is
//! pinned to an earlier output of the same code.

use ibcert::num::from_rational;
use rug::{Float, Rational};

mod common;

/// A regression case: the single sample x = (1/2, 1, -1/4), y = 1 at `depth`, with
/// `extra` appended (numerics, checks).
fn single(depth: u32, extra: &str) -> String {
    format!(
        "format = 1\nname = \"rl\"\ndepth = {depth}\ntask = \"regression\"\n[data]\npoints = [[\"1/2\", 1, \"-1/4\"]]\ntargets = [1]\n{extra}"
    )
}

/// A regression-limit check at `alphas` with `tolerance` (and `expect` when given).
fn limit_check(alphas: &str, tolerance: &str, expect: Option<&str>) -> String {
    let mut s = format!(
        "[[check]]\nname = \"limit\"\nkind = \"regression-limit\"\nalphas = {alphas}\ntolerance = \"{tolerance}\"\n"
    );
    if let Some(e) = expect {
        s += &format!("expect = \"{e}\"\n");
    }
    s
}

/// `ibcert check FILE --format json --no-timing` (verified unless `no_verify`): exit code
/// and the first check's result.
fn check(p: &std::path::Path, no_verify: bool) -> (Option<i32>, serde_json::Value) {
    let mut args = vec![
        "check",
        p.to_str().unwrap(),
        "--no-progress",
        "--no-timing",
        "--format",
        "json",
    ];
    if no_verify {
        args.push("--no-verify");
    }
    let o = common::run(&args);
    let v = common::json(&o);
    (o.status.code(), v["results"][0].clone())
}

// ------------------------------------------------------------- regression-limit

/// D = 2 and 3 on the single sample at 128 bits, tolerance 1e-15 (18 digits asked),
/// verified: the check passes, and every alpha carries its digits (tail bound,
/// verification, reference) and the work of both runs.
#[test]
fn regression_limit_passes_with_its_digits_and_work() {
    for (depth, alphas) in [(2, "[\"1/100\", 100]"), (3, "[10]")] {
        let text = single(
            depth,
            &format!(
                "[numerics]\nprecision = 128\n{}",
                limit_check(alphas, "1e-15", None)
            ),
        );
        let p = common::temp_file("reglimit", "case.toml", &text);
        let (code, r) = check(&p, false);
        assert_eq!(code, Some(0), "D = {depth}: {r}");
        assert_eq!(r["kind"], "regression-limit");
        assert_eq!(r["passed"], true, "{r}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap()
                .contains("the flow's limit equals argmin Q^D_alpha at every alpha"),
            "{r}"
        );
        for a in r["alphas"].as_array().unwrap() {
            let l = &a["limit"];
            assert_eq!(l["asked_digits"], 18, "{a}");
            for k in ["tail_digits", "flow_digits", "reference_digits"] {
                assert!(l[k].as_u64().unwrap() >= 18, "D = {depth}: {k}: {a}");
            }
            assert!(a["digits"].as_u64().unwrap() >= 18, "{a}");
            assert_eq!(a["gt"], "limit");
            for w in ["work", "verification_work"] {
                for c in [
                    "accepted",
                    "rejected",
                    "rhs_evals",
                    "jac_evals",
                    "lu_decomps",
                    "newton_iters",
                ] {
                    assert!(l[w][c].is_u64(), "{w}.{c}: {a}");
                }
                assert!(l[w]["rhs_evals"].as_u64().unwrap() > 0);
            }
            // the metric is below its error bound: shown as <bound, no digit claimed
            assert!(a["metric"].as_str().unwrap().starts_with('<'), "{a}");
            assert!(l["metric_error"].is_string());
        }
    }
}

/// Mutations: a tolerance tighter than the 128 bits can certify (29 digits at most) is
/// undecided, so the check fails, and with expect = "fail" it meets its expectation.
/// (A wrong reference failing is `checks::reglimit::tests::a_wrong_reference_fails`.)
#[test]
fn regression_limit_fails_when_the_digits_cannot_carry_the_tolerance() {
    let num = "[numerics]\nprecision = 128\n";
    let text = single(
        2,
        &format!("{num}{}", limit_check("[1]", "1e-40", Some("fail"))),
    );
    let p = common::temp_file("reglimit", "case.toml", &text);
    let (code, r) = check(&p, true);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["passed"], false);
    let why = r["reason"].as_str().unwrap();
    assert!(
        why.contains("fails as expected: undecided at alpha = 1"),
        "{why}"
    );
    assert_eq!(r["alphas"][0]["limit"]["asked_digits"], 29);
    // the same check expected to pass: exit 1
    let text = single(2, &format!("{num}{}", limit_check("[1]", "1e-40", None)));
    let p = common::temp_file("reglimit", "case.toml", &text);
    let (code, r) = check(&p, true);
    assert_eq!(code, Some(1), "{r}");
    assert_eq!(r["meets_expectation"], false);
}

/// Bad regression-limit declarations: exit 2, the file and the field named, no report
/// written.
#[test]
fn bad_regression_checks_are_refused() {
    let out = common::temp_path("reglimit", "out.json");
    let cases = [
        (
            limit_check("[1]", "1e-10", None) + "eps = \"1/10\"\n",
            vec![
                ".eps",
                "only regression-kernel and regression-rich checks take `eps`",
            ],
        ),
        (
            limit_check("[1]", "1e-10", None) + "mu = 1\n",
            vec![
                ".mu",
                "a regression-limit check integrates the square-loss flow",
            ],
        ),
        (
            "[[check]]\nname = \"k\"\nkind = \"kernel\"\nalphas = [1]\ntolerance = \"1e-3\"\n"
                .to_string(),
            vec![
                "check[0] (k).kind",
                "takes the checks regression-kernel, regression-rich and regression-limit",
                "\"kernel\" is a classification check",
            ],
        ),
        (limit_check("[0, 1]", "1e-10", None), vec!["alphas[0]"]),
    ];
    for (check_text, fragments) in cases {
        let p = common::temp_file("reglimit", "bad.toml", &single(2, &check_text));
        let o = common::run(&[
            "check",
            p.to_str().unwrap(),
            "--no-progress",
            "-o",
            out.to_str().unwrap(),
        ]);
        let mut f = fragments.clone();
        let name = p.to_str().unwrap().to_string();
        f.push(&name);
        common::assert_bad(&o, &f);
        assert!(!out.exists(), "a report was written for {check_text}");
    }
    // a regression kind on a classification case
    let text = "format = 1\nname = \"c\"\ndepth = 2\n[data]\npoints = [[1, 0]]\nlabels = [1]\n"
        .to_string()
        + &limit_check("[1]", "1e-10", None);
    let p = common::temp_file("reglimit", "bad.toml", &text);
    let o = common::run(&["check", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    common::assert_bad(
        &o,
        &[
            "check[0] (limit).kind",
            "regression-limit checks are for regression cases",
        ],
    );
    assert!(!out.exists());
}

// ------------------------------------------------------------------ ibcert run

/// The components of a reported vector (`0(±1e-k)` reads as 0).
fn floats(v: &serde_json::Value, p: u32) -> Vec<Float> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = s.as_str().unwrap();
            if s.starts_with("0(") {
                Float::new(p)
            } else {
                Float::with_val(p, Float::parse(s).unwrap())
            }
        })
        .collect()
}

/// `run` to the limit on the single sample against the bisection of
/// tests/common/single_sample.rs: every shown digit of w is right (the error is below
/// ||w||_inf 10^(1 - k) for the k digits claimed), k >= the digits asked, and the tail
/// bound certifies them. D = 2 at alpha = 1/100 with --precision 192 --tol 1e-32 (the
/// default stop: the tolerance's 32 digits), D = 3 at alpha = 1 with --limit-digits 30
/// --tol 1e-32.
#[test]
fn run_to_the_limit_matches_the_bisection() {
    let x = vec![
        Rational::from((1, 2)),
        Rational::from(1),
        Rational::from((-1, 4)),
    ];
    let y = Rational::from(1);
    let d3 = common::temp_file("reglimit", "d3.toml", &single(3, ""));
    let runs: [(u32, Rational, Vec<&str>, u64); 2] = [
        (
            2,
            Rational::from((1, 100)),
            vec!["--precision", "192", "--tol", "1e-32"],
            32,
        ),
        (
            3,
            Rational::from(1),
            vec!["--limit-digits", "30", "--tol", "1e-32"],
            30,
        ),
    ];
    for (depth, alpha, extra, asked) in runs {
        let case = if depth == 2 {
            common::case_path("regression_single.toml")
        } else {
            d3.to_str().unwrap().to_string()
        };
        let a = alpha.to_string();
        let mut args = vec![
            "run",
            case.as_str(),
            "--alpha",
            a.as_str(),
            "--format",
            "json",
        ];
        args.extend(extra);
        let o = common::run(&args);
        let v = common::json(&o);
        assert_eq!(o.status.code(), Some(0), "{v}");
        assert_eq!(v["schema"], "ibcert.run-regression/1");
        assert_eq!(
            v["stop"],
            format!("the limit to {asked} digits (tail bound)")
        );
        let k = v["verified_digits"].as_u64().unwrap();
        assert!(k >= asked, "D = {depth}: {k} digits");
        assert!(v["tail_digits"].as_u64().unwrap() >= asked);
        let p = 640;
        let (w_ref, _) = common::single_sample::single_sample(depth, &alpha, &x, &y, p);
        let w = floats(&v["w"], p);
        let wmax = ibcert::num::max_abs(p, &w_ref);
        let allowed = wmax * from_rational(p, &ibcert::num::ten_pow_neg(k as u32 - 1));
        for (a, b) in w.iter().zip(&w_ref) {
            let e = Float::with_val(p, a - b).abs();
            assert!(e <= allowed, "D = {depth}: {a} vs {b}");
        }
        // the residual of the limit is below w's error level
        assert!(v["residual"].as_str().unwrap().starts_with('<'), "{v}");
        assert_eq!(v["time"]["status"], "stop step");
    }
}

/// The JSON report of a time stop and a residual stop: every field there, t exact for
/// --time and verified for --residual, the work counters of both runs.
#[test]
fn run_report_fields() {
    let case = common::case_path("regression_single.toml");
    let o = common::run(&[
        "run",
        &case,
        "--alpha",
        "1",
        "--time",
        "3",
        "--tol",
        "1e-20",
        "--format",
        "json",
        "--no-timing",
    ]);
    let v = common::json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    for f in [
        "schema",
        "case",
        "task",
        "alpha",
        "stop",
        "time",
        "w",
        "verified_digits",
        "residual",
        "tail_digits",
        "numerics",
        "work_precision",
        "verification",
        "work",
    ] {
        assert!(v.get(f).is_some(), "{f} missing: {v}");
    }
    assert_eq!(v["task"], "regression");
    assert_eq!(v["stop"], "t = 3");
    assert_eq!(v["time"]["t"], "3");
    assert_eq!(v["time"]["status"], "exact");
    assert_eq!(v["time"]["clock"], "t");
    assert!(v["verified_digits"].as_u64().unwrap() >= 18, "{v}");
    for run in ["main", "verification"] {
        let s = &v["work"][run]["stats"];
        for c in [
            "accepted",
            "rhs_evals",
            "jac_evals",
            "lu_decomps",
            "newton_iters",
        ] {
            assert!(s[c].as_u64().unwrap() > 0, "{run}.{c}: {v}");
        }
        assert!(v["work"][run].get("wall_seconds").is_none());
    }
    // a residual stop: t verified
    let o = common::run(&[
        "run",
        &case,
        "--alpha",
        "1",
        "--residual",
        "1e-6",
        "--tol",
        "1e-20",
        "--format",
        "json",
    ]);
    let v = common::json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(v["time"]["status"], "verified");
    assert!(v["time"]["digits"].as_u64().unwrap() >= 10, "{v}");
    // text: the same quantities
    let o = common::run(&[
        "run", &case, "--alpha", "1", "--time", "3", "--tol", "1e-20",
    ]);
    let t = common::ok_stdout(&o);
    for f in [
        "regression (square loss)",
        "stop            t = 3",
        "residual        ||X^T w - y||_2 = ",
        "tail bound      ",
        "verification    ",
        "work (main)     ",
        "Newton iterations",
        "work (verify)   ",
    ] {
        assert!(t.contains(f), "{f}: {t}");
    }
}

/// Bad input to `run` on a regression case: exit 2, the option named, nothing on stdout.
#[test]
fn run_refuses_bad_regression_input() {
    let case = common::case_path("regression_single.toml");
    let three = common::case_path("three_point.toml");
    let bad: [(Vec<&str>, Vec<&str>); 8] = [
        (
            vec!["run", &case],
            vec!["--alpha: required for a regression case"],
        ),
        (
            vec!["run", &case, "--alpha", "0"],
            vec!["--alpha: must be positive"],
        ),
        (
            vec!["run", &case, "--alpha", "-1/2"],
            vec!["--alpha: must be positive"],
        ),
        (
            vec!["run", &case, "--alpha", "1", "--gt", "10"],
            vec!["--gt:", "is a regression case"],
        ),
        (
            vec!["run", &case, "--alpha", "1", "--loss-fn", "logistic"],
            vec!["--loss-fn:", "square loss"],
        ),
        (
            vec![
                "run",
                &case,
                "--alpha",
                "1",
                "--time",
                "1",
                "--residual",
                "1",
            ],
            vec!["at most one stop rule"],
        ),
        (
            vec!["run", &case, "--alpha", "1", "--limit-digits", "100"],
            vec!["--limit-digits: must be between 1 and 68"],
        ),
        (
            vec!["run", &three, "--alpha", "1", "--time", "1"],
            vec!["--time:", "is a classification case"],
        ),
    ];
    for (args, fragments) in bad {
        let o = common::run(&args);
        common::assert_bad(&o, &fragments);
        assert!(o.stdout.is_empty(), "{args:?} wrote {}", common::stdout(&o));
    }
}

// ------------------------------------------------------------------------ tier 2

/// The acceptance on the sparse case (N = 10, d = 40): regression-limit met to at
/// least 30 verified digits (tolerance 1e-30: 33 digits asked of the tail bound, the
/// verification run asks 39) at alpha = 10^-100, 10^-3, 1 and 10^3 for D = 2 and 3, against
/// the independent Q^D_alpha reference. At D = 3 and 10^-100 the ball bound certifies
/// nothing (the Hessian's smallest eigenvalue is ~alpha^4); the Bregman bound against the
/// min-l1 interpolator with its support solve does (docs/math.md §12.3), after about 1,400
/// steps (t ~ 2e100).
#[test]
#[ignore = "slow: the sparse case's flow to 33 digits of its limit at alpha = 1e-100, 1e-3, 1, 1000, D = 2 and 3, verified (about 9 min)"]
fn sparse_limit_meets_q_alpha_to_30_digits() {
    let text = std::fs::read_to_string(common::case_path("regression_sparse.toml")).unwrap();
    let head = &text[..text.find("[[check]]").unwrap()];
    for (depth, alphas) in [
        (2, "[\"1e-100\", \"1/1000\", 1, 1000]"),
        (3, "[\"1e-100\", \"1/1000\", 1, 1000]"),
    ] {
        let case = head.replace("depth = 2", &format!("depth = {depth}"))
            + &limit_check(alphas, "1e-30", None);
        let p = common::temp_file("reglimit", "sparse.toml", &case);
        let t0 = std::time::Instant::now();
        let o = common::bin()
            .env("RAYON_NUM_THREADS", "2")
            .args([
                "check",
                p.to_str().unwrap(),
                "--no-progress",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let v = common::json(&o);
        let r = &v["results"][0];
        for a in r["alphas"].as_array().unwrap() {
            let l = &a["limit"];
            println!(
                "D = {depth}, alpha = {}: metric {}, digits {} (tail {}, verification {}, reference {}), main {} steps / {} RHS, verification {} steps / {} RHS, {:.1} s",
                a["alpha"], a["metric"], a["digits"], l["tail_digits"], l["flow_digits"],
                l["reference_digits"], l["work"]["accepted"], l["work"]["rhs_evals"],
                l["verification_work"]["accepted"], l["verification_work"]["rhs_evals"],
                a["wall_seconds"].as_f64().unwrap_or(0.0)
            );
            assert!(a["digits"].as_u64().unwrap_or(0) >= 30, "D = {depth}: {a}");
        }
        println!("D = {depth}: {:.1} s", t0.elapsed().as_secs_f64());
        assert_eq!(o.status.code(), Some(0), "D = {depth}: {r}");
        assert_eq!(r["passed"], true, "{r}");
    }
}
