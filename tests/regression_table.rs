//! `ibcert table` on regression cases (src/table/regression.rs): the located alphas
//! against an independent answer, the reports, the options a regression table takes and
//! refuses, and thread-count identity. Tier 1 (a few seconds in all).

use ibcert::num::from_rational;
use ibcert::table::regression::{compute, grid_alpha, RegTableSpec, Threshold};
use rug::{Float, Rational};

mod common;

/// ||w||_1 / opt - 1 and ||w||_2^2 / opt - 1 of the single sample's limit computed by the
/// test's own bisection (tests/common/single_sample.rs), at 256 bits.
fn single_sample_excesses(depth: u32, alpha: &Rational) -> (Float, Float) {
    let c = common::load("regression_single.toml");
    let p = 256 + depth * 64;
    let (w, _) = common::single_sample::single_sample(depth, alpha, &c.points[0], &c.targets[0], p);
    let mut l1 = Float::new(p);
    let mut l2 = Float::new(p);
    for v in &w {
        l1 += Float::with_val(p, v.abs_ref());
        l2 += Float::with_val(p, v.square_ref());
    }
    // ||w_l1||_1 = 1 (w_l1 = (0, 1, 0)); ||w_l2||_2^2 = 16/21 (w_l2 = x / ||x||^2)
    let opt2 = from_rational(p, &Rational::from((16, 21)));
    (l1 - 1u32, l2 / opt2 - 1u32)
}

/// cases/regression_single.toml at D = 2, 3 and eps = 1/10, 1/100: every located alpha
/// satisfies the statement and its grid neighbour does not, by the independent
/// single-sample answer; Theorem 2's alphas (D = 2) lie on the theorem's side of the
/// located ones; the evaluated excesses are monotone.
#[test]
fn single_sample_thresholds_match_the_independent_answer() {
    let c = common::load("regression_single.toml");
    let spec = RegTableSpec {
        depths: vec![2, 3],
        eps: vec![Rational::from((1, 10)), Rational::from((1, 100))],
        prec: 128,
        min_log10: -300,
        max_log10: 300,
        per_decade: 100,
        flow_time: false,
    };
    let t = compute(&c.points, &c.targets, &spec).expect("table");
    assert_eq!(t.norm1_l1, 1);
    assert_eq!(t.norm2_sq_l2, Rational::from((16, 21)));
    assert_eq!(t.rows.len(), 4);
    for row in &t.rows {
        let eps = from_rational(256, &row.eps);
        for (l1, th) in [(true, &row.l1), (false, &row.l2)] {
            let Threshold::Found { inside, outside } = th else {
                panic!("D = {}, eps = {}: {th:?}", row.depth, row.eps);
            };
            assert_eq!((inside.j - outside.j).abs(), 1, "grid neighbours");
            assert_eq!(inside.alpha, grid_alpha(inside.j, 100));
            // the rich side holds below, the kernel side above
            assert_eq!(inside.j < outside.j, l1);
            let pick = |a: &Rational| {
                let (x1, x2) = single_sample_excesses(row.depth, a);
                if l1 {
                    x1
                } else {
                    x2
                }
            };
            let xi = pick(&inside.alpha);
            let xo = pick(&outside.alpha);
            assert!(
                xi <= eps && xo > eps,
                "D = {}, eps = {}, l1 = {l1}: {xi} at {} and {xo} at {}",
                row.depth,
                row.eps,
                inside.alpha,
                outside.alpha
            );
            // the reported excess agrees with the independent one to its error bound
            let x = if l1 { &inside.l1 } else { &inside.l2 };
            let d = Float::with_val(256, &x.value - &xi).abs();
            assert!(d <= x.err, "excess {} vs {xi} (± {})", x.value, x.err);
        }
        if row.depth == 2 {
            // Theorem 2 is sufficient: its alphas are on the far side of the located ones
            let (b1, _) = row.theorem2_l1.clone().unwrap().unwrap();
            let (b2, _) = row.theorem2_l2.clone().unwrap().unwrap();
            assert!(b1 <= row.l1.inside().unwrap().alpha);
            assert!(b2 >= row.l2.inside().unwrap().alpha);
        } else {
            assert!(row.theorem2_l1.is_none() && row.theorem2_l2.is_none());
        }
    }
    for d in &t.depths {
        assert!(d.violation.is_none(), "{:?}", d.violation);
        assert!(d.samples.windows(2).all(|w| w[0].alpha < w[1].alpha));
    }
}

/// A range that ends before the statement holds: "not reached", and one that ends while it
/// still holds: "everywhere"; neither is an error.
#[test]
fn range_ends_are_reported() {
    let c = common::load("regression_single.toml");
    let spec = RegTableSpec {
        depths: vec![2],
        eps: vec![Rational::from((1, 1000))],
        prec: 128,
        min_log10: -1,
        max_log10: 1,
        per_decade: 10,
        flow_time: false,
    };
    let t = compute(&c.points, &c.targets, &spec).expect("table");
    // the l1 statement at eps = 1/1000 needs alpha ~ 10^-2.73
    assert!(
        matches!(&t.rows[0].l1, Threshold::NotReached { last } if last.j == -10),
        "{:?}",
        t.rows[0].l1
    );
    let spec = RegTableSpec {
        eps: vec![Rational::from(10)],
        ..spec
    };
    let t = compute(&c.points, &c.targets, &spec).expect("table");
    // eps = 10: the l1 excess (about 1/3 on the kernel side: ||w_l2||_1 = 4/3) holds
    // everywhere up to alpha = 10
    assert!(
        matches!(&t.rows[0].l1, Threshold::Everywhere { at } if at.j == 10),
        "{:?}",
        t.rows[0].l1
    );
}

fn table(args: &[&str]) -> std::process::Output {
    let case = common::case_path("regression_single.toml");
    let mut v = vec![
        "table",
        case.as_str(),
        "--no-progress",
        "--precision",
        "128",
    ];
    v.extend(args);
    common::run(&v)
}

/// Markdown, CSV and JSON of the same table; the JSON byte-identical on 1 and 2 threads.
#[test]
fn reports_in_every_format_and_thread_count_identity() {
    let md = common::ok_stdout(&table(&[
        "--depths",
        "2,3",
        "--eps",
        "0.1",
        "--per-decade",
        "10",
    ]));
    assert!(
        md.contains("## Rich side: the largest alpha with ||w_alpha||_1 <= (1 + eps) ||w_l1||_1"),
        "{md}"
    );
    assert!(md.contains("## Kernel side"), "{md}");
    assert!(md.contains("| 2 | 0.1 |"), "{md}");
    assert!(md.contains("Both excesses are monotone"), "{md}");
    let csv = common::ok_stdout(&table(&[
        "--eps",
        "0.1,0.01",
        "--format",
        "csv",
        "--per-decade",
        "10",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("depth,eps,side,status,alpha,log10_alpha,excess"));
    assert_eq!(lines.len(), 1 + 2 * 2, "{csv}");
    assert!(lines[1].starts_with("2,0.1,l1,found,"), "{csv}");
    let json_of = |threads: &str| {
        let case = common::case_path("regression_single.toml");
        let o = common::run(&[
            "--threads",
            threads,
            "table",
            &case,
            "--no-progress",
            "--no-timing",
            "--precision",
            "128",
            "--depths",
            "2,3",
            "--eps",
            "0.1",
            "--per-decade",
            "10",
            "--format",
            "json",
        ]);
        common::ok_stdout(&o)
    };
    let one = json_of("1");
    assert_eq!(one, json_of("2"));
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["schema"], "ibcert.table-regression/1");
    assert_eq!(v["norm2_sq_l2"], "16/21");
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert_eq!(v["rows"][0]["l1"]["status"], "found");
    assert!(v["rows"][0]["theorem2_l1"]["alpha"].is_string());
    assert!(v["rows"][1]["theorem2_l1"].is_null(), "D = 3: no Theorem 2");
    assert!(v.get("wall_seconds").is_none());
}

/// Options of the wrong task and bad values: exit 2, the option named, nothing written.
#[test]
fn bad_options_are_refused() {
    let out = common::temp_path("regtable-bad", "t.md");
    let o = out.to_str().unwrap();
    for (args, frag) in [
        (vec!["--eps", "0"], "--eps: must be > 0"),
        (vec!["--eps", "0.1,1/10"], "--eps: 1/10 given twice"),
        (vec!["--eps", "x"], "--eps"),
        (vec!["--mu", "1"], "--mu: not used by a regression table"),
        (
            vec!["--alphas", "1"],
            "--alphas: not used by a regression table",
        ),
        (
            vec!["--delta", "0.1"],
            "--delta: not used by a regression table",
        ),
        (
            vec!["--no-verify"],
            "--no-verify: not used by a regression table",
        ),
        (
            vec!["--shard", "1/2"],
            "--shard: not used by a regression table",
        ),
        (vec!["--log10-alpha-range", "5,10"], "--log10-alpha-range"),
        (vec!["--log10-alpha-range", "-5"], "--log10-alpha-range"),
        (
            vec!["--per-decade", "0"],
            "--per-decade: must be between 1 and 100000",
        ),
        (vec!["--depths", "1"], "--depths"),
        (vec!["--precision", "8"], "--precision"),
    ] {
        let mut a = args.clone();
        a.extend(["--output", o]);
        common::assert_bad(&table(&a), &[frag]);
        assert!(!out.exists(), "{args:?} wrote {o}");
    }
    // regression options on a classification case
    let cls = common::case_path("three_point.toml");
    for opt in ["--eps", "--per-decade"] {
        let val = if opt == "--eps" { "0.1" } else { "10" };
        common::assert_bad(
            &common::run(&["table", &cls, opt, val, "--output", o]),
            &[opt, "only for regression cases"],
        );
        assert!(!out.exists());
    }
    common::assert_bad(
        &common::run(&["table", &cls, "--flow-time", "--output", o]),
        &["--flow-time", "only for regression cases"],
    );
    assert!(!out.exists());
}

/// A statement the verified digits cannot decide (eps = 10^-40 at 128 bits): the row says
/// "undecided", and the table exits 1 (an incomplete table).
#[test]
fn undecided_rows_exit_1() {
    let o = table(&["--eps", "1e-40", "--per-decade", "1", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let csv = common::stdout(&o);
    assert!(csv.contains(",l1,undecided,"), "{csv}");
}

/// The single sample's flow (N = 1: dnu/dt = y - sum_i x_i W(x_i nu), nu(0) = 0) reaches
/// nu at t = integral_0^nu dv / (y - g(v)), g increasing: the time to within eps of the
/// limit is that integral up to the nu_eps where max_i |W(x_i nu) - W(x_i nu*)| first
/// equals eps max_i |W(x_i nu*)| (monotone in nu). Computed here with the test's own
/// mirror map (tests/common/single_sample.rs), bisection and composite Simpson (in
/// sigma = ln(nu* / (nu* - nu)), which takes the pole at nu* out), against
/// `--flow-time`'s t at D = 2 for eps = 1/10, 1/100 on both sides.
#[test]
fn flow_time_matches_the_single_sample_quadrature() {
    let c = common::load("regression_single.toml");
    let spec = RegTableSpec {
        depths: vec![2],
        eps: vec![Rational::from((1, 10)), Rational::from((1, 100))],
        prec: 128,
        min_log10: -300,
        max_log10: 300,
        per_decade: 100,
        flow_time: true,
    };
    let t = compute(&c.points, &c.targets, &spec).expect("table");
    let p = 192;
    let x: Vec<Float> = c.points[0].iter().map(|v| from_rational(p, v)).collect();
    let y = from_rational(p, &c.targets[0]);
    let mut compared = 0;
    for row in &t.rows {
        for (th, ft) in [(&row.l1, &row.flow_time_l1), (&row.l2, &row.flow_time_l2)] {
            let alpha = &th.inside().expect("located").alpha;
            let ft = ft.as_ref().expect("computed").as_ref().expect("flow time");
            let a = from_rational(p, alpha);
            let one = Float::with_val(p, 1);
            let w_at = |nu: &Float| -> Vec<Float> {
                x.iter()
                    .map(|xi| {
                        let b = Float::with_val(p, xi * nu);
                        common::single_sample::w_own(2, &a, &b, &b, &b, &one).0
                    })
                    .collect()
            };
            let g = |nu: &Float| -> Float {
                let mut s = Float::new(p);
                for (xi, wi) in x.iter().zip(w_at(nu)) {
                    s += Float::with_val(p, xi * &wi);
                }
                s
            };
            let (w_star, nu_star) =
                common::single_sample::single_sample(2, alpha, &c.points[0], &c.targets[0], p);
            let radius = w_star
                .iter()
                .map(|v| Float::with_val(p, v.abs_ref()))
                .fold(Float::new(p), |m, v| if v > m { v } else { m })
                * from_rational(p, &row.eps);
            let within = |nu: &Float| {
                w_at(nu)
                    .iter()
                    .zip(&w_star)
                    .all(|(a, b)| Float::with_val(p, a - b).abs() <= radius)
            };
            // nu_eps by bisection on [0, nu*]
            let (mut lo, mut hi) = (Float::new(p), nu_star.clone());
            for _ in 0..150 {
                let mid = Float::with_val(p, &lo + &hi) / 2u32;
                if within(&mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            // t = integral_0^sigma_eps (nu* - nu) / (y - g(nu)) dsigma with
            // nu = nu* (1 - e^-sigma): the pole of 1 / (y - g) at nu* is taken out
            let sigma_end = Float::with_val(p, &nu_star / Float::with_val(p, &nu_star - &hi)).ln();
            let simpson = |n: u32| -> Float {
                let h = Float::with_val(p, &sigma_end / n);
                let f = |sigma: &Float| {
                    let gap = Float::with_val(p, -sigma).exp() * &nu_star;
                    let nu = Float::with_val(p, &nu_star - &gap);
                    gap / Float::with_val(p, &y - g(&nu))
                };
                let mut s = f(&Float::new(p)) + f(&sigma_end);
                for k in 1..n {
                    let v = Float::with_val(p, &h * k);
                    s += f(&v) * if k % 2 == 1 { 4u32 } else { 2u32 };
                }
                s * h / 3u32
            };
            let (t1, t2) = (simpson(4000), simpson(8000));
            let rel = |a: &Float, b: &Float| Float::with_val(p, a - b).abs() / b;
            assert!(rel(&t1, &t2) < 1e-12, "Simpson: {t1} vs {t2}");
            let got = Float::with_val(p, &ft.t);
            println!(
                "D = 2, eps = {}, alpha = {alpha}: flow time {} ({} digits, {} steps), quadrature {}",
                row.eps,
                ibcert::num::fmt_sig(&got, 12),
                ft.digits,
                ft.steps,
                ibcert::num::fmt_sig(&t2, 12)
            );
            assert!(ft.digits >= 8, "{} digits", ft.digits);
            assert!(
                rel(&got, &t2) < 1e-9,
                "eps = {}: flow time {got} vs quadrature {t2}",
                row.eps
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 4);
    // the column in the reports: CSV's flow_time and flow_time_digits, JSON's flow_time
    let case = common::case_path("regression_single.toml");
    let timed = |format: &str| {
        common::run(&[
            "table",
            &case,
            "--eps",
            "0.1",
            "--flow-time",
            "--format",
            format,
        ])
    };
    let csv = common::ok_stdout(&timed("csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",flow_time,flow_time_digits"), "{csv}");
    assert!(lines[1].starts_with("2,0.1,l1,found,"), "{csv}");
    // the flow time and its verified digits (at least the 8 asked of the table's flows)
    let cells: Vec<&str> = lines[1].rsplitn(3, ',').collect();
    assert_eq!(cells[1], "1.53278", "{csv}");
    assert!(cells[0].parse::<u32>().is_ok_and(|d| d >= 8), "{csv}");
    let v = common::json(&timed("json"));
    assert_eq!(v["rows"][0]["l1"]["flow_time"]["t"], "1.53278", "{v}");
    assert_eq!(v["rows"][0]["l2"]["flow_time"]["t"], "1.35837", "{v}");
    // without --flow-time the JSON has no flow_time field and the CSV cells are empty
    let v = common::json(&common::run(&[
        "table", &case, "--eps", "0.1", "--format", "json",
    ]));
    assert!(v["rows"][0]["l1"].get("flow_time").is_none(), "{v}");
}
