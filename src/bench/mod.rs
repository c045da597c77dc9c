//! `ibcert bench`: fixed workloads on bundled cases (embedded in the binary), each run
//! at 256 bits with verification; prints wall time, steps, RHS evaluations and the
//! verified digits of w_hat. Timing is measured here, never in tests.

pub mod peers;
pub mod scale;

use crate::case::Case;
use crate::flow::{default_stages, run_verified, Numerics, StopRule};
use crate::num::exact::parse_rational;
use rug::ops::Pow;
use rug::{Integer, Rational};

/// (name, case file, case text, alpha, gt)
type Workload = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const WORKLOADS: &[Workload] = &[
    (
        "a1: three_point alpha=100 gt=2e4",
        "cases/three_point.toml",
        include_str!("../../cases/three_point.toml"),
        "100",
        "20000",
    ),
    (
        "a2: three_point alpha=100 gt=1e7",
        "cases/three_point.toml",
        include_str!("../../cases/three_point.toml"),
        "100",
        "10000000",
    ),
    (
        "b: random10 alpha=1 gt=1e7",
        "cases/random10.toml",
        include_str!("../../cases/random10.toml"),
        "1",
        "10000000",
    ),
];

const REFERENCE_WORKLOAD: &str = "c: reference random20";
const TABLE_WORKLOAD: &str = "d: table fig5b";
const REGRESSION_WORKLOAD: &str = "r: regression_sparse limit";
const HIGH_DIGITS_WORKLOAD: &str = "h: three_point gt=1e7, 100 digits";

/// The names of the workloads, in the order `run` runs them.
pub fn workload_names() -> Vec<&'static str> {
    let mut v = vec![REFERENCE_WORKLOAD];
    v.extend(WORKLOADS.iter().map(|w| w.0));
    v.push(HIGH_DIGITS_WORKLOAD);
    v.push(TABLE_WORKLOAD);
    v.push(REGRESSION_WORKLOAD);
    v.extend([scale::SCALE_100, scale::SCALE_50X1000, scale::GROWTH]);
    v
}

/// The workloads whose name contains `filter` (all without one).
pub fn selected(filter: Option<&str>) -> Vec<&'static str> {
    workload_names()
        .into_iter()
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .collect()
}

/// The machine the timings are taken on, for a bench's first line: the CPU's model
/// (from Linux's /proc/cpuinfo; "unknown CPU" where there is none) and the cores this
/// process may use. Timings, and ratios to a peer, move with the machine
/// (docs/benchmarks.md, "The rounding, Newton's buffers and the second core").
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find_map(cpu_model))
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let noun = if cores == 1 { "core" } else { "cores" };
    format!("{model}, {cores} {noun} available")
}

/// The value of a /proc/cpuinfo line "model name : ...", when it is one and not empty.
fn cpu_model(line: &str) -> Option<String> {
    let (key, value) = line.split_once(':')?;
    let value = value.trim();
    (key.trim() == "model name" && !value.is_empty()).then(|| value.to_string())
}

pub fn run(filter: Option<&str>) -> Result<(), String> {
    println!("machine: {}", machine());
    if filter.is_none_or(|f| REFERENCE_WORKLOAD.contains(f)) {
        reference_workload()?;
    }
    flow_workloads(filter)?;
    if filter.is_none_or(|f| HIGH_DIGITS_WORKLOAD.contains(f)) {
        high_digits_workload()?;
    }
    if filter.is_none_or(|f| TABLE_WORKLOAD.contains(f)) {
        table_workload()?;
    }
    if filter.is_none_or(|f| REGRESSION_WORKLOAD.contains(f)) {
        regression_workload()?;
    }
    let wanted = |name: &str| filter.is_none_or(|f| name.contains(f));
    if wanted(scale::SCALE_100) {
        scale::scale_100()?;
    }
    if wanted(scale::SCALE_50X1000) {
        scale::scale_50x1000()?;
    }
    if wanted(scale::GROWTH) {
        scale::growth()?;
    }
    Ok(())
}

/// (d) the Fig. 5b table: D in {2, 3, 10} and 8 values of alpha^D log-spaced in
/// [0.01, 10], at 256 bits and tolerance 1e-40, with verification (24 rows in parallel).
/// The numerics of workloads a, b and d, whatever their case files ask: 256 bits,
/// tolerance 1e-40 and its default stages.
fn bench_numerics() -> Numerics {
    let tol = Rational::from((1, Integer::from(10).pow(40)));
    Numerics {
        prec: 256,
        stages: default_stages(&tol),
        tol,
    }
}

fn table_workload() -> Result<(), String> {
    use crate::flow::Scale;
    use crate::table::{compute, references, TableSpec};
    use std::time::Instant;
    let case = Case::from_toml_str(
        include_str!("../../cases/fig5_d2.toml"),
        "cases/fig5_d2.toml",
    )
    .map_err(|e| e.to_string())?;
    let z = case.z();
    let scales = crate::flow::log_spaced(&parse_rational("1/100")?, &parse_rational("10")?, 8, 64)
        .into_iter()
        .map(Scale::AlphaPowD)
        .collect();
    let spec = TableSpec {
        losses: vec![crate::flow::Loss::Exp],
        depths: vec![2, 3, 10],
        scales,
        delta: parse_rational("0.05")?,
        mus: Vec::new(),
        after: parse_rational("10")?,
        gt_max: None,
        numerics: bench_numerics(),
        verify: true,
        fit_from: crate::table::FitFrom::Auto,
    };
    let t = Instant::now();
    let refs = references(&z, &spec).map_err(|e| e.to_string())?;
    let table = compute(&z, &spec, &refs, || {}).map_err(|e| e.to_string())?;
    let wall = t.elapsed();
    let steps: u64 = table
        .rows
        .iter()
        .map(|r| r.stats.accepted + r.locate_steps)
        .sum();
    let min_digits = table
        .rows
        .iter()
        .filter_map(|r| r.required.as_ref().and_then(|c| c.digits))
        .min()
        .unwrap_or(0);
    let found = table.rows.iter().filter(|r| r.required.is_some()).count();
    println!(
        "d: table fig5b (D = 2, 3, 10; 8 alpha^D in [0.01, 10]; 256 bits, 1e-40, verified): {:.2} s, {} rows ({} with the required gt), {} main-run steps incl. event location, >= {} digits",
        wall.as_secs_f64(),
        table.rows.len(),
        found,
        steps,
        min_digits
    );
    Ok(())
}

/// (c) the reference solutions of the d = N = 20 random case: exact l2 and l1, and a
/// 50-point Q_mu path (mu log-spaced in [1e-4, 1e4]) at 256 bits.
fn reference_workload() -> Result<(), String> {
    use crate::reference::{l1, l2, qmu};
    use std::time::Instant;
    let case = Case::from_toml_str(
        include_str!("../../cases/random20.toml"),
        "cases/random20.toml",
    )
    .map_err(|e| e.to_string())?;
    let z = case.z();
    let t = Instant::now();
    let s2 = l2::l2_max_margin(&z).map_err(|e| e.to_string())?;
    let t2 = t.elapsed();
    let t = Instant::now();
    let s1 = l1::l1_max_margin(&z).map_err(|e| e.to_string())?;
    let t1 = t.elapsed();
    let mus = crate::flow::log_spaced(
        &parse_rational("1/10000")?,
        &parse_rational("10000")?,
        50,
        256,
    );
    let t = Instant::now();
    let path = qmu::qmu_path(&z, 2, &mus, 256).map_err(|e| e.to_string())?;
    let tq = t.elapsed();
    let certified = path.iter().filter(|s| s.residuals.certified(256)).count();
    println!("c: reference solutions, random20 (d = N = 20)");
    println!(
        "  l2 exact: {:.3} s ({} support vectors); l1 exact: {:.3} s (unique: {}, support {}); Q_mu path, 50 mu at 256 bits: {:.3} s ({certified}/50 certified); total {:.3} s",
        t2.as_secs_f64(),
        s2.support.len(),
        t1.as_secs_f64(),
        s1.face.unique,
        s1.support.len(),
        tq.as_secs_f64(),
        (t2 + t1 + tq).as_secs_f64()
    );
    Ok(())
}

/// Workload r: the square-loss flow of the bundled sparse regression case (N = 10,
/// d = 40) to its limit, 30 digits by the tail bound, with the verification run, at
/// D = 2 and alpha = 1 (the kernel side), 1/1000 and 10^-100 (towards the rich regime,
/// where the saddle plateaus and the slow relaxation of the inactive coordinates make the
/// flow costly; the workload): 256 bits, tolerance 1e-32.
fn regression_workload() -> Result<(), String> {
    use crate::flow::regression::{regression_verified, RegProblem, RegStop};
    let case = Case::from_toml_str(
        include_str!("../../cases/regression_sparse.toml"),
        "cases/regression_sparse.toml",
    )
    .map_err(|e| e.to_string())?;
    let tol = Rational::from((1, Integer::from(10).pow(32)));
    let numerics = Numerics {
        prec: 256,
        stages: default_stages(&tol),
        tol,
    };
    println!(
        "{:<36} {:>9} {:>7} {:>9} {:>7} {:>11}",
        format!("{REGRESSION_WORKLOAD} (D = 2, 30 digits)"),
        "wall [s]",
        "steps",
        "rejected",
        "digits",
        "RHS evals"
    );
    let anchors = crate::reference::regression::limit_anchors(&case.points, &case.targets);
    for alpha in ["1", "1/1000", "1e-100"] {
        let a = parse_rational(alpha)?;
        let problem = RegProblem {
            points: &case.points,
            y: &case.targets,
            depth: 2,
            alpha: &a,
            anchors: &anchors,
        };
        let v = regression_verified(&problem, &numerics, &RegStop::Limit(30), true)
            .map_err(|e| e.to_string())?;
        let digits = match (v.tail_digits(), v.digits) {
            (Some(t), Some(d)) => t.min(d).to_string(),
            _ => "-".to_string(),
        };
        for (label, r, dg) in [
            (format!("  alpha = {alpha}"), Some(&v.main), digits),
            (
                format!(
                    "  (verification: {} bits, {} stages)",
                    v.check.as_ref().map_or(0, |c| c.numerics.prec),
                    v.check.as_ref().map_or(0, |c| c.numerics.stages)
                ),
                v.check.as_ref(),
                String::new(),
            ),
        ] {
            if let Some(r) = r {
                println!(
                    "{:<36} {:>9.3} {:>7} {:>9} {:>7} {:>11}",
                    label,
                    r.wall.as_secs_f64(),
                    r.stats.accepted,
                    r.stats.rejected,
                    dg,
                    r.stats.rhs_evals
                );
            }
        }
        // the verification runs beside the main run with two or more threads
        println!(
            "{:<36} {:>9.3}",
            "  (main run and verification, elapsed)",
            v.elapsed.as_secs_f64()
        );
    }
    Ok(())
}

fn flow_workloads(filter: Option<&str>) -> Result<(), String> {
    if !WORKLOADS
        .iter()
        .any(|w| filter.is_none_or(|f| w.0.contains(f)))
    {
        return Ok(());
    }
    print_flow_header("workload (256 bits, tol 1e-40)");
    for w in WORKLOADS {
        if filter.is_some_and(|f| !w.0.contains(f)) {
            continue;
        }
        // the bench's own numerics, whatever the case file asks
        let v = run_workload(w, &bench_numerics())?;
        print_flow_rows(w.0, &v);
    }
    Ok(())
}

/// One of [`WORKLOADS`] run with verification at `numerics`.
fn run_workload(w: &Workload, numerics: &Numerics) -> Result<crate::flow::Verified, String> {
    let (_, origin, text, alpha, gt) = *w;
    let case = Case::from_toml_str(text, origin).map_err(|e| e.to_string())?;
    run_verified(
        &case.z(),
        case.depth,
        &parse_rational(alpha)?,
        &StopRule::Gt(parse_rational(gt)?),
        numerics,
        &[],
        true,
        |_, _| {},
    )
    .map_err(|e| e.to_string())
}

/// The header of the flow workloads' rows, `title` in the first column.
fn print_flow_header(title: &str) {
    println!(
        "{:<36} {:>9} {:>7} {:>9} {:>7} {:>11}",
        title, "wall [s]", "steps", "rejected", "digits", "RHS evals"
    );
}

/// The rows of one verified flow workload: the main run (wall, steps, rejected, verified
/// digits, RHS evaluations), its verification, and the elapsed time of the two.
fn print_flow_rows(name: &str, v: &crate::flow::Verified) {
    let m = &v.main;
    println!(
        "{:<36} {:>9.3} {:>7} {:>9} {:>7} {:>11}",
        name,
        m.wall.as_secs_f64(),
        m.stats.accepted,
        m.stats.rejected,
        v.digits.map_or("-".to_string(), |d| d.to_string()),
        m.stats.rhs_evals
    );
    if let Some(c) = &v.check {
        println!(
            "{:<36} {:>9.3} {:>7} {:>9} {:>7} {:>11}",
            format!(
                "  (verification: {} bits, {} stages)",
                c.numerics.prec, c.numerics.stages
            ),
            c.wall.as_secs_f64(),
            c.stats.accepted,
            c.stats.rejected,
            "",
            c.stats.rhs_evals
        );
        // with two or more threads the verification runs beside the main run
        if let Some(t) = v.elapsed {
            println!(
                "{:<36} {:>9.3}",
                "  (main run and verification, elapsed)",
                t.as_secs_f64()
            );
        }
    }
}

/// (h) Workload a2 at the numerics `--digits 100` chooses (448 bits, tol 1e-100, 48
/// stages): where the stages beyond 24 count (docs/benchmarks.md, "Stages beyond 24").
fn high_digits_workload() -> Result<(), String> {
    let a2 = WORKLOADS
        .iter()
        .find(|w| w.0.starts_with("a2:"))
        .ok_or("workload a2 is missing")?;
    let numerics = Numerics::for_digits(100).ok_or("100 digits exceed the precision cap")?;
    print_flow_header(&format!(
        "workload ({} bits, 1e-100, {} stages)",
        numerics.prec, numerics.stages
    ));
    let v = run_workload(a2, &numerics)?;
    print_flow_rows(HIGH_DIGITS_WORKLOAD, &v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model is read from its /proc/cpuinfo line alone; other lines, and an empty
    /// model, give none.
    #[test]
    fn cpu_model_reads_the_model_name_line() {
        assert_eq!(
            cpu_model("model name\t: AMD EPYC 7B13").as_deref(),
            Some("AMD EPYC 7B13")
        );
        assert_eq!(cpu_model("model\t\t: 1"), None);
        assert_eq!(cpu_model("model name\t: "), None);
        assert_eq!(cpu_model("flags\t\t: fpu vme model name"), None);
        assert_eq!(cpu_model("no colon here"), None);
        let m = machine();
        assert!(m.ends_with(" available"), "{m}");
    }
}
