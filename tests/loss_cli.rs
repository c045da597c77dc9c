//! The loss option end to end (issue 13): `--loss-fn` on run and check, the start of the
//! logistic flow at gt_0 = -ln(ln 2), the loss in reports, checkpoints and job ids.

mod common;
use common::{assert_bad, json, run, temp_path};

const FAST: [&str; 5] = ["--precision", "128", "--tol", "1e-20", "--no-progress"];

fn args<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend(FAST);
    v.extend(extra);
    v
}

#[test]
fn a_logistic_run_starts_at_gt0_and_says_so() {
    let tp = common::case_path("three_point.toml");
    let base = ["run", tp.as_str(), "--alpha", "2"];
    // gt_0 = -ln(ln 2) = 0.3665...: a target at or before it is refused
    for gt in ["0.3", "0.36651"] {
        let o = run(&args(&base, &["--gt", gt, "--loss-fn", "logistic"]));
        assert_bad(&o, &["gt_0", "-ln(ln 2)", "logistic"]);
    }
    // ... but fine for the exp-loss, which starts at 0
    let o = run(&args(&base, &["--gt", "0.3"]));
    common::ok_stdout(&o);
    let o = run(&args(
        &base,
        &["--gt", "0.37", "--loss-fn", "logistic", "--format", "json"],
    ));
    let v = json(&o);
    assert_eq!(v["loss_fn"], "logistic");
    let o = run(&args(&base, &["--gt", "10", "--loss-fn", "logistic"]));
    assert!(common::ok_stdout(&o).contains("loss function   logistic"));
    // exp reports are as before: no loss_fn field
    let o = run(&args(&base, &["--gt", "10", "--format", "json"]));
    assert!(json(&o).get("loss_fn").is_none());
    assert_bad(
        &run(&args(&base, &["--gt", "10", "--loss-fn", "hinge"])),
        &["--loss-fn", "hinge"],
    );
}

#[test]
fn the_two_losses_give_different_predictors_that_approach_each_other() {
    let tp = common::case_path("three_point.toml");
    let w_hat = |loss: &str, gt: &str| -> Vec<f64> {
        let o = run(&args(
            &[
                "run",
                tp.as_str(),
                "--alpha",
                "1",
                "--gt",
                gt,
                "--loss-fn",
                loss,
                "--format",
                "json",
            ],
            &[],
        ));
        json(&o)["w_hat"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().parse::<f64>().unwrap())
            .collect()
    };
    let dist = |gt: &str| -> f64 {
        let (a, b) = (w_hat("exp", gt), w_hat("logistic", gt));
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (d1, d2) = (dist("3"), dist("300"));
    assert!(d1 > 1e-6, "the losses differ early: {d1}");
    assert!(d2 < d1 / 10.0, "and approach each other: {d1} -> {d2}");
}

#[test]
fn check_loss_fn_overrides_every_check_and_refuses_bounds() {
    let tp = common::case_path("three_point.toml");
    // three_point has a bounds check: its lemmas are exp-loss lemmas
    let o = run(&[
        "check",
        &tp,
        "--loss-fn",
        "logistic",
        "--no-verify",
        "--list-jobs",
    ]);
    assert_bad(&o, &["--loss-fn logistic", "bounds", "exp-loss"]);
    let fig3b = common::case_path("fig3b.toml");
    let ids = |extra: &[&str]| -> Vec<String> {
        let mut a = vec!["check", fig3b.as_str(), "--list-jobs", "--format", "json"];
        a.extend(extra);
        json(&run(&a))["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    let exp = ids(&[]);
    assert_eq!(
        exp,
        ids(&["--loss-fn", "exp"]),
        "exp is the default: same ids"
    );
    let log = ids(&["--loss-fn", "logistic"]);
    assert_eq!(exp.len(), log.len());
    assert!(
        exp.iter().all(|i| !log.contains(i)),
        "the loss is part of every id"
    );
}

#[test]
fn a_checkpoint_of_one_loss_does_not_resume_the_other() {
    let tp = common::case_path("three_point.toml");
    let ck = temp_path("loss-ckpt", "c.json");
    let cks = ck.display().to_string();
    let base = [
        "run",
        tp.as_str(),
        "--alpha",
        "2",
        "--gt",
        "1000",
        "--no-verify",
    ];
    let o = run(&args(
        &base,
        &[
            "--loss-fn",
            "logistic",
            "--max-steps",
            "2",
            "--checkpoint",
            &cks,
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let o = run(&args(&base, &["--resume", &cks]));
    assert_bad(&o, &["--resume", "loss"]);
    let whole = run(&args(
        &base,
        &["--loss-fn", "logistic", "--format", "json", "--no-timing"],
    ));
    let resumed = run(&args(
        &base,
        &[
            "--loss-fn",
            "logistic",
            "--resume",
            &cks,
            "--format",
            "json",
            "--no-timing",
        ],
    ));
    assert_eq!(common::ok_stdout(&whole), common::ok_stdout(&resumed));
}
