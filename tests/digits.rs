//! `--digits K` and a case's `numerics.digits` (issue 16, item 4): ibcert chooses the
//! numerics for K verified digits of w_hat, tightens and reruns when the verification
//! shows fewer (bounded, reported), and refuses a K the precision cap cannot reach.

use ibcert::flow::{
    run_job, Job, JobOutcome, Loss, Numerics, RunControl, StopRule, MAX_DIGIT_ATTEMPTS,
};
use ibcert::num::ten_pow_neg;
use rug::Rational;

mod common;
use common::{assert_bad, case_path, load, run, temp_file, temp_path, text, TempPath};

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON report")
}

/// `--digits 30` delivers at least 30 verified digits at the numerics it chose (192
/// bits, 1e-30), in one attempt.
fn digits_30_delivered_on(jobs: &[(&str, &str, &str)]) {
    for &(case, alpha, gt) in jobs {
        let r = json(&[
            "run",
            &case_path(case),
            "--alpha",
            alpha,
            "--gt",
            gt,
            "--digits",
            "30",
            "--format",
            "json",
        ]);
        let got = r["digits"]["w_hat"].as_u64().unwrap();
        assert!(got >= 30, "{case}: {got} digits");
        assert_eq!(r["digits_asked"]["asked"], 30, "{case}");
        assert_eq!(r["digits_asked"]["met"], true, "{case}");
        assert_eq!(r["numerics"]["precision"], 192, "{case}");
        assert_eq!(r["numerics"]["tolerance"], "1.00e-30", "{case}");
        assert_eq!(
            r["digits_asked"]["earlier_attempts"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
    }
}

/// On three_point (and the text report's line).
#[test]
fn digits_30_delivered() {
    digits_30_delivered_on(&[("three_point.toml", "10", "1000")]);
    // the text report says so in one line
    let o = run(&[
        "run",
        &case_path("three_point.toml"),
        "--alpha",
        "10",
        "--gt",
        "1000",
        "--digits",
        "20",
    ]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("digits asked    20 asked: met ("),
        "{}",
        text(&o.stdout)
    );
}

/// Beyond 48 digits the stages grow past 24 and the precision carries the bits their
/// tableau's eigenvector basis loses: `--digits 60` runs at 30 stages and 320 bits (200
/// bits for the digits, 48 spare, 12 for the stages), its verification follows with 34
/// at the same 320 bits (1e-66: 220 bits for its digits, 48 spare, 20 for its stages),
/// and it delivers the 60 digits in one attempt.
#[test]
fn digits_60_run_at_30_stages() {
    let r = json(&[
        "run",
        &case_path("three_point.toml"),
        "--alpha",
        "10",
        "--gt",
        "100",
        "--digits",
        "60",
        "--format",
        "json",
    ]);
    assert_eq!(r["numerics"]["stages"], 30);
    assert_eq!(r["numerics"]["precision"], 320);
    assert_eq!(r["numerics"]["tolerance"], "1.00e-60");
    assert_eq!(r["verification"]["stages"], 32);
    assert_eq!(r["verification"]["precision"], 320);
    let got = r["digits"]["w_hat"].as_u64().unwrap();
    assert!(got >= 60, "{got} digits");
    assert_eq!(r["digits_asked"]["met"], true);
    assert_eq!(
        r["digits_asked"]["earlier_attempts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

/// On random10 and a D = 3 case.
#[test]
#[ignore = "slow: about 12 s (tier 1: three_point)"]
fn digits_30_delivered_random10_and_depth_3() {
    digits_30_delivered_on(&[("random10.toml", "1", "100"), ("fig5_d3.toml", "1", "100")]);
}

/// A first attempt that falls short is tightened and run again: asked 20 digits from
/// numerics good for about 9 (128 bits, 1e-6), the second attempt (tolerance 10^-19,
/// 192 bits) has them, and the first is kept in the result.
#[test]
fn a_short_attempt_is_tightened_and_rerun() {
    let z = load("three_point.toml").z();
    let alpha = Rational::from(10);
    let rule = StopRule::Gt(Rational::from(1000));
    let tol = ten_pow_neg(6);
    let numerics = Numerics {
        prec: 128,
        stages: ibcert::flow::default_stages(&tol),
        tol,
    };
    let job = Job {
        z: &z,
        depth: 2,
        alpha: &alpha,
        rule: &rule,
        numerics: &numerics,
        sample_at: &[],
        verify: true,
        loss: Loss::Exp,
    };
    let ctl = RunControl {
        digits: Some(20),
        ..RunControl::default()
    };
    let JobOutcome::Done(v) = run_job(&job, ctl, |_, _| {}).unwrap() else {
        panic!("no limits were set")
    };
    let asked = v.asked.as_ref().expect("digits asked recorded");
    assert_eq!(asked.k, 20);
    assert!(asked.met(&v), "{:?} {:?}", v.digits, asked);
    assert_eq!(asked.earlier.len(), 1, "{asked:?}");
    let first = &asked.earlier[0];
    assert!(first.digits < 20);
    assert_eq!((first.prec, first.tol.clone()), (128, ten_pow_neg(6)));
    let more = 20 - first.digits + 2;
    assert_eq!(v.main.numerics.tol, ten_pow_neg(6 + more));
    assert!(v.main.numerics.prec > 128);
    assert!(asked.earlier.len() < MAX_DIGIT_ATTEMPTS);
    // without verification nothing is asked of the runs
    let unverified = Job {
        verify: false,
        ..job
    };
    let ctl = RunControl {
        digits: Some(20),
        ..RunControl::default()
    };
    let JobOutcome::Done(u) = run_job(&unverified, ctl, |_, _| {}).unwrap() else {
        panic!()
    };
    assert!(u.asked.is_none());
}

/// A K beyond the precision cap, or 0, is refused (exit 2, naming the option), and
/// `--digits` does not combine with the options it replaces.
#[test]
fn bad_digits_are_refused() {
    let case = case_path("three_point.toml");
    for (k, what) in [("400000", "precision cap"), ("0", "at least 1")] {
        for cmd in ["run", "check"] {
            let mut args = vec![cmd, &case, "--digits", k];
            if cmd == "run" {
                args.extend(["--gt", "10"]);
            }
            assert_bad(&run(&args), &["--digits", what]);
        }
    }
    assert_bad(
        &run(&[
            "run",
            &case,
            "--gt",
            "10",
            "--digits",
            "30",
            "--precision",
            "256",
        ]),
        &["--digits", "--precision"],
    );
}

/// three_point.toml with its `[numerics]` table replaced by `table`.
fn three_point_with(table: &str) -> String {
    let base = std::fs::read_to_string(case_path("three_point.toml")).unwrap();
    let numerics_at = base.find("[numerics]").expect("three_point has [numerics]");
    let end = base[numerics_at..]
        .find("\n\n")
        .map_or(base.len(), |e| numerics_at + e);
    format!("{}{}{}", &base[..numerics_at], table, &base[end..])
}

/// `digits = K` in a case file: the numerics of --digits K, recorded in the run; with
/// precision, tolerance or stages beside it, or unreachable, the file is refused.
#[test]
fn digits_in_a_case_file() {
    let with = three_point_with;
    let good = temp_file(
        "digits",
        "good.toml",
        &with("[numerics]\ndigits = 25\nalpha = 10"),
    );
    let r = json(&[
        "run",
        good.to_str().unwrap(),
        "--gt",
        "1000",
        "--format",
        "json",
    ]);
    assert_eq!(r["numerics"]["tolerance"], "1.00e-25");
    assert_eq!(r["digits_asked"]["asked"], 25);
    assert!(r["digits"]["w_hat"].as_u64().unwrap() >= 25);
    // --precision replaces the case's numerics and its digits
    let r = json(&[
        "run",
        good.to_str().unwrap(),
        "--gt",
        "1000",
        "--precision",
        "128",
        "--format",
        "json",
    ]);
    assert!(r.get("digits_asked").is_none());
    for (table, what) in [
        (
            "[numerics]\ndigits = 25\nprecision = 256",
            "give either digits or precision",
        ),
        ("[numerics]\ndigits = 0", "at least 1"),
        ("[numerics]\ndigits = 400000", "precision cap"),
    ] {
        let f = temp_file("digits", "bad.toml", &with(table));
        assert_bad(
            &run(&["run", f.to_str().unwrap(), "--gt", "10", "--alpha", "1"]),
            &["numerics.digits", what],
        );
    }
}

/// `--verified-digits K` of table and compare-losses, whose `--digits` is the digits
/// printed and the agreement asked: the numerics of `digits = K` in the case file (128
/// bits, 1e-20 and 14 stages for K = 20), the same rows and runs, also through two
/// shards and a merge (a shard made without it does not merge with them); refused
/// beside the options it replaces, at 0 and past the precision cap (naming it), and by
/// a regression table.
#[test]
fn verified_digits_on_table_and_compare_losses() {
    let plain = case_path("three_point.toml");
    let k20 = temp_file(
        "digits",
        "k20.toml",
        &three_point_with("[numerics]\ndigits = 20\nalpha = 100"),
    );
    let k20 = k20.to_str().unwrap();
    // the JSON report of `args` with `extra`
    let report = |args: &[&str], extra: &[&str]| {
        let common = ["--format", "json", "--no-timing", "--no-progress"];
        json(&[args, extra, &common].concat())
    };
    let table = |case: &str, alphas: &str, extra: &[&str]| {
        report(&["table", case, "--alphas", alphas], extra)
    };
    let flag = table(&plain, "1", &["--verified-digits", "20"]);
    let file = table(k20, "1", &[]);
    let numerics = &flag["settings"]["numerics"];
    assert_eq!(numerics["precision"], 128);
    assert_eq!(numerics["tolerance"], "1.00e-20");
    assert_eq!(numerics["stages"], 14);
    assert_eq!(flag["settings"], file["settings"]);
    assert_eq!(flag["rows"], file["rows"]);
    assert!(flag["rows"][0]["required"]["digits"].as_u64().unwrap() >= 20);
    // the case's own numerics (256 bits) are not these
    assert_ne!(table(&plain, "1", &[])["settings"]["numerics"], *numerics);
    // sharded (the option travels in the partial reports): the merge is the table, and
    // shards made without it do not merge with those made with it
    let shard = |k: &str, extra: &[&str]| {
        let out = temp_path("digits", "shard.json");
        let args = [
            &["table", &plain, "--alphas", "1,2", "--shard", k][..],
            extra,
            &["--no-timing", "--no-progress", "-o", out.to_str().unwrap()],
        ]
        .concat();
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        out
    };
    let flag20 = ["--verified-digits", "20"];
    let (first, second) = (shard("1/2", &flag20), shard("2/2", &flag20));
    let merge = |a: &TempPath, b: &TempPath| {
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        run(&["merge", a, b, "--format", "json", "--no-timing"])
    };
    let merged = merge(&first, &second);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(merged, table(&plain, "1,2", &flag20));
    assert_bad(&merge(&first, &shard("2/2", &[])), &["other options"]);

    let compare = |case: &str, extra: &[&str]| {
        report(
            &["compare-losses", case, "--alpha", "1", "--gt", "10,100"],
            extra,
        )
    };
    let flag = compare(&plain, &["--verified-digits", "20"]);
    let file = compare(k20, &[]);
    for run in flag["runs"].as_array().unwrap() {
        assert_eq!(run["numerics"]["tolerance"], "1.00e-20");
        assert_eq!(run["numerics"]["precision"], 128);
    }
    for key in ["runs", "points", "agree", "rate"] {
        assert_eq!(flag[key], file[key], "{key}");
    }

    for base in [
        vec!["table", &plain, "--alphas", "1"],
        vec!["compare-losses", &plain, "--alpha", "1", "--gt", "10"],
    ] {
        for (k, what) in [("0", "at least 1"), ("400000", "precision cap")] {
            let args = [&base[..], &["--verified-digits", k]].concat();
            assert_bad(&run(&args), &["--verified-digits", what]);
        }
        let args = [&base[..], &["--verified-digits", "20", "--tol", "1e-9"]].concat();
        assert_bad(&run(&args), &["--verified-digits", "--tol"]);
    }
    assert_bad(
        &run(&[
            "table",
            &case_path("regression_single.toml"),
            "--verified-digits",
            "20",
        ]),
        &["--verified-digits", "regression table"],
    );
}
