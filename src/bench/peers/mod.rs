//! `ibcert bench --peers`: the flow workloads side by side with a float64 peer, scipy's
//! solve_ivp (BDF, Radau, LSODA) integrating the same flow (benches/peers/scipy_flow.py,
//! docs/benchmarks.md).
//!
//! Each workload runs ibcert at two settings standing for "30 digits" (128 bits, tol
//! 1e-30) and "40 digits" (192 bits, tol 1e-40), with verification (the precision guard
//! raises the bits when the target needs more; the table shows the bits used). The peer
//! runs once per workload, in a subprocess (`python3` from PATH), with `--against` a
//! report of ibcert's most accurate run, so the digits it prints are those of its w_hat
//! that agree with ibcert's verified answer. The ratio ibcert/peer is ibcert's verified
//! wall time (main run plus verification) over the peer method's wall time. For a method
//! stopped at its timeout it is a bound, `<r`: BDF and Radau on b9 and b11, where float64
//! stops. When no method finished, the summary line says so. The peer's methods get the
//! analytic Jacobian; with `--peer-jacobian fd` none (scipy's default: finite
//! differences, rows `BDF/fd`, ...), with `both` each method runs both ways and a second
//! summary line and median give ibcert's ratio to the fastest `/fd` row. Timing is
//! measured here only; the peer's JSON is parsed for display (no f64 reaches ibcert's
//! numerics).

mod script;
mod summary;

use crate::case::Case;
use crate::flow::{default_stages, run_verified, Numerics, StopRule};
use crate::num::exact::parse_rational;
use crate::report::run::{CaseInfo, RunReport};
use script::{run_peer, unavailable, TempFile};
use std::path::PathBuf;
use std::time::Instant;
use summary::{per_digit, Fastest, Ours};

/// The peer script in the source tree the binary was built from.
pub const DEFAULT_SCRIPT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/scipy_flow.py");
/// The environment variable that names another peer script (`--peer-script` wins).
pub const SCRIPT_ENV: &str = "IBCERT_PEER_SCRIPT";
/// What to tell a user whose machine lacks the peer's packages.
pub const INSTALL_HINT: &str = "pip install numpy scipy";

/// The fresh random datasets, run after the flow workloads of `ibcert bench`
/// (name, origin, case text, alpha, gt).
const FRESH: &[(&str, &str, &str, &str, &str)] = &[
    (
        "r1: random10b (seed 1601) alpha=1 gt=1e7",
        "cases/random10b.toml",
        include_str!("../../../cases/random10b.toml"),
        "1",
        "10000000",
    ),
    (
        "r2: random10 seed 1602 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1602.toml",
        include_str!("../../../benches/peers/cases/random10_s1602.toml"),
        "1",
        "10000000",
    ),
    (
        "r3: random10 seed 1603 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1603.toml",
        include_str!("../../../benches/peers/cases/random10_s1603.toml"),
        "1",
        "10000000",
    ),
    (
        "r4: random10 seed 1604 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1604.toml",
        include_str!("../../../benches/peers/cases/random10_s1604.toml"),
        "1",
        "10000000",
    ),
    (
        "r5: random10 seed 1605 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1605.toml",
        include_str!("../../../benches/peers/cases/random10_s1605.toml"),
        "1",
        "10000000",
    ),
];

/// The bundled random10 at larger γ̃, where float64 stops (the same shape as
/// [`FRESH`]): the margins grow like γ̃ while the softmax needs their O(1) differences,
/// which float64 resolves only to about γ̃ 2^-53, so the peer's right-hand side is noisy
/// far above its rtol and its step sizes collapse (docs/benchmarks.md, "Where float64
/// stops").
const GROWTH: &[(&str, &str, &str, &str, &str)] = &[
    (
        "b9: random10 alpha=1 gt=1e9",
        "cases/random10.toml",
        include_str!("../../../cases/random10.toml"),
        "1",
        "1000000000",
    ),
    (
        "b11: random10 alpha=1 gt=1e11",
        "cases/random10.toml",
        include_str!("../../../cases/random10.toml"),
        "1",
        "100000000000",
    ),
];

/// The side-by-side workloads: the flow workloads of `ibcert bench`, [`FRESH`], then
/// [`GROWTH`].
fn workloads() -> impl Iterator<
    Item = &'static (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
> {
    super::WORKLOADS.iter().chain(FRESH).chain(GROWTH)
}

/// ibcert's settings: (label, bits, tolerance); the stages follow from the tolerance.
/// Kept fixed (not `--digits K`'s choice, which takes 192 bits for both) so that the
/// ratios stay comparable with the earlier measurements in docs/benchmarks.md.
pub const SETTINGS: &[(&str, u32, &str)] =
    &[("30 digits", 128, "1e-30"), ("40 digits", 192, "1e-40")];

/// The peer's relative tolerance (its absolute one is chosen by the script).
const PEER_RTOL: &str = "1e-10";

/// The names of the side-by-side workloads.
pub fn workload_names() -> Vec<&'static str> {
    workloads().map(|w| w.0).collect()
}

/// The side-by-side workloads whose name contains `filter` (all without one).
pub fn selected(filter: Option<&str>) -> Vec<&'static str> {
    workload_names()
        .into_iter()
        .filter(|n| filter.is_none_or(|f| n.contains(f)))
        .collect()
}

/// How the peer's methods get the flow's Jacobian (the script's `--jacobian`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PeerJacobian {
    /// The analytic Jacobian of docs/math.md §3.3, passed to every method.
    Exact,
    /// None: each method forms it by finite differences of the right-hand side (scipy's
    /// default, what a float64 user who does not derive the Jacobian gets; rows `BDF/fd`).
    Fd,
    /// Each method both ways.
    Both,
}

impl PeerJacobian {
    /// The value of the script's `--jacobian`.
    pub fn arg(self) -> &'static str {
        match self {
            PeerJacobian::Exact => "exact",
            PeerJacobian::Fd => "fd",
            PeerJacobian::Both => "both",
        }
    }

    /// How many runs of each method it asks for.
    fn variants(self) -> u64 {
        match self {
            PeerJacobian::Both => 2,
            _ => 1,
        }
    }

    /// The header's words for it.
    fn describe(self) -> &'static str {
        match self {
            PeerJacobian::Exact => "the analytic Jacobian",
            PeerJacobian::Fd => "finite-difference Jacobians (rows METHOD/fd)",
            PeerJacobian::Both => {
                "each method with the analytic Jacobian and with finite differences (rows METHOD/fd)"
            }
        }
    }
}

/// Where the peer comes from and how long a method may take.
#[derive(Clone, Debug)]
pub struct PeerOptions {
    /// `--peer-script`; else `$IBCERT_PEER_SCRIPT`; else [`DEFAULT_SCRIPT`]
    pub script: Option<PathBuf>,
    /// seconds per method (the script's `--timeout`)
    pub timeout_secs: u32,
    /// each ibcert run and peer method timed this many times, the fastest reported
    /// (`--rounds`, 1 to [`MAX_ROUNDS`])
    pub rounds: u32,
    /// how the peer's methods get the Jacobian (`--peer-jacobian`)
    pub jacobian: PeerJacobian,
}

/// `--rounds` at most.
pub const MAX_ROUNDS: u32 = 100;

fn describe_numerics(asked: u32, n: &Numerics) -> String {
    let bits = if asked == n.prec {
        format!("{asked}")
    } else {
        format!("{asked}->{}", n.prec)
    };
    format!(
        "{bits} bits, tol 1e-{}, {} stages",
        crate::flow::tol_digits(&n.tol),
        n.stages
    )
}

/// Run the side-by-side workloads selected by `filter`. Returns whether the peer ran
/// (false: python3, numpy, scipy or the script missing; the ibcert side ran anyway and
/// a message said how to install the peer's packages).
pub fn run(filter: Option<&str>, opts: &PeerOptions) -> Result<bool, String> {
    let script = opts
        .script
        .clone()
        .or_else(|| std::env::var_os(SCRIPT_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SCRIPT));
    let missing = unavailable(&script);
    println!("machine: {}", super::machine());
    if let Some(why) = &missing {
        eprintln!("ibcert bench --peers: no float64 peer: {why}");
        eprintln!("ibcert bench --peers: running the ibcert side alone");
    } else {
        println!(
            "peer: {} (python3, scipy solve_ivp in float64, rtol {PEER_RTOL}, {}, up to {} s per method)",
            script.display(),
            opts.jacobian.describe(),
            opts.timeout_secs
        );
        println!(
            "ratio x30, x40 = ibcert verified wall (main run and verification, elapsed) at 30, 40 digits / peer wall; peer digits = digits of w_hat agreeing with ibcert's {} run",
            SETTINGS.last().map_or("", |s| s.0)
        );
        println!(
            "ms/digit = wall time per digit: ibcert's verified wall over its verified digits, a peer's wall over its digits"
        );
    }
    if opts.rounds > 1 {
        println!(
            "times: the fastest of {} rounds of each ibcert run and each peer method",
            opts.rounds
        );
    }
    let mut fastest: Vec<(&str, Vec<Option<f64>>)> = Vec::new();
    // the same over the rows without the Jacobian (`--peer-jacobian both`)
    let mut fastest_fd: Vec<(&str, Vec<Option<f64>>)> = Vec::new();
    // per workload and setting: ibcert's cost per certified digit over the cheapest peer's
    let mut per_digit_ratios: Vec<(&str, Vec<Option<f64>>)> = Vec::new();
    for (k, (name, origin, text, alpha_s, gt_s)) in workloads().enumerate() {
        if filter.is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let case = Case::from_toml_str(text, origin).map_err(|e| e.to_string())?;
        let alpha = parse_rational(alpha_s)?;
        let gt = parse_rational(gt_s)?;
        let rule = StopRule::Gt(gt);
        let mut ours = Vec::new();
        for (label, bits, tol) in SETTINGS {
            let tol = parse_rational(tol)?;
            let numerics = Numerics {
                prec: *bits,
                stages: default_stages(&tol),
                tol,
            };
            // the fastest of the rounds (each the same computation, bit for bit)
            let mut best: Option<Ours> = None;
            for _ in 0..opts.rounds {
                let t = Instant::now();
                let v = run_verified(
                    &case.z(),
                    case.depth,
                    &alpha,
                    &rule,
                    &numerics,
                    &[],
                    true,
                    |_, _| {},
                )
                .map_err(|e| format!("{name}: {e}"))?;
                let total_wall = t.elapsed();
                let main_wall = v.main.wall;
                best = Some(match best {
                    Some(b) => Ours {
                        main_wall: b.main_wall.min(main_wall),
                        total_wall: b.total_wall.min(total_wall),
                        ..b
                    },
                    None => Ours {
                        label,
                        bits: *bits,
                        v,
                        main_wall,
                        total_wall,
                    },
                });
            }
            ours.push(best.expect("at least one round"));
        }
        println!();
        println!(
            "{name}  (N = {}, d = {}, D = {})",
            case.n_points(),
            case.dim(),
            case.depth
        );
        println!(
            "  {:<76} {:>9} {:>13} {:>7} {:>10}",
            "ibcert", "main [s]", "verified [s]", "digits", "ms/digit"
        );
        for o in &ours {
            let check = o.v.check.as_ref().map_or(String::new(), |c| {
                format!(
                    "; verify {} bits, tol 1e-{}, {} stages",
                    c.numerics.prec,
                    crate::flow::tol_digits(&c.numerics.tol),
                    c.numerics.stages
                )
            });
            println!(
                "  {:<76} {:>9.3} {:>13.3} {:>7} {:>10}",
                format!(
                    "{}: {}{check}",
                    o.label,
                    describe_numerics(o.bits, &o.v.main.numerics)
                ),
                o.main_wall.as_secs_f64(),
                o.total_wall.as_secs_f64(),
                o.v.digits.map_or("-".to_string(), |d| d.to_string()),
                o.per_digit().map_or("-".to_string(), |c| format!("{c:.2}"))
            );
        }
        // over every peer row, and over those without the Jacobian (`--peer-jacobian both`)
        let mut all = Fastest::new(ours.len());
        let mut fd = Fastest::new(ours.len());
        let mut pd_best: Vec<Option<f64>> = vec![None; ours.len()];
        if missing.is_none() {
            let best_run = ours.last().expect("at least one setting");
            let info = CaseInfo {
                name: case.name.clone(),
                path: Some(origin.to_string()),
                points: case.n_points(),
                dim: case.dim(),
                depth: case.depth,
                data: None,
            };
            let report = RunReport::build(info, &alpha, &rule, &best_run.v).to_json();
            let case_file = TempFile::write(&format!("{k}"), "toml", text)?;
            let report_file = TempFile::write(&format!("{k}-report"), "json", &report)?;
            match run_peer(
                &script,
                &case_file.0,
                alpha_s,
                gt_s,
                &report_file.0,
                opts.timeout_secs,
                opts.rounds,
                opts.jacobian,
            ) {
                Err(e) => println!("  peer: {e}"),
                Ok(peer) => {
                    let labels: Vec<String> =
                        ours.iter().map(|o| format!("x{}", &o.label[..2])).collect();
                    println!(
                        "  {:<8} {:<8} {:>9} {:>9} {:>6} {:>7} {:>10} {:>10} {:>10}",
                        "peer",
                        "status",
                        "wall [s]",
                        "nfev",
                        "njev",
                        "digits",
                        "ms/digit",
                        labels[0],
                        labels.get(1).map_or("", |s| s.as_str())
                    );
                    // the cheapest certified digit among the peers: (ms, method)
                    let mut cheapest: Option<(f64, String)> = None;
                    let methods = peer["methods"].as_array().cloned().unwrap_or_default();
                    for m in &methods {
                        // `BDF`, or `BDF/fd` with finite differences (an older script
                        // without labels: the method's name)
                        let label = m["label"]
                            .as_str()
                            .or_else(|| m["method"].as_str())
                            .unwrap_or("?");
                        let wall = m["wall_seconds"].as_f64().unwrap_or(0.0);
                        let ok = m["status"] == "ok";
                        let timeout = m["status"] == "timeout";
                        let by_fd = m["jacobian"] == "fd";
                        let ratios: Vec<String> = ours
                            .iter()
                            .enumerate()
                            .map(|(i, o)| {
                                if !(ok || timeout) || wall <= 0.0 {
                                    return "-".to_string();
                                }
                                let r = o.total_wall.as_secs_f64() / wall;
                                all.record(i, r, ok);
                                if by_fd {
                                    fd.record(i, r, ok);
                                }
                                if ok {
                                    format!("{r:.2}")
                                } else {
                                    format!("<{r:.2}")
                                }
                            })
                            .collect();
                        let cost = if ok {
                            per_digit(wall, m["digits"].as_u64())
                        } else {
                            None
                        };
                        if let Some(c) = cost {
                            if cheapest.as_ref().is_none_or(|(b, _)| c < *b) {
                                cheapest = Some((c, label.to_string()));
                            }
                        }
                        println!(
                            "  {:<8} {:<8} {:>9.3} {:>9} {:>6} {:>7} {:>10} {:>10} {:>10}",
                            label,
                            m["status"].as_str().unwrap_or("?"),
                            wall,
                            m["nfev"].as_u64().map_or("-".into(), |n| n.to_string()),
                            m["njev"].as_u64().map_or("-".into(), |n| n.to_string()),
                            m["digits"].as_u64().map_or("-".into(), |n| n.to_string()),
                            cost.map_or("-".to_string(), |c| format!("{c:.2}")),
                            ratios[0],
                            ratios.get(1).map_or("", |s| s.as_str())
                        );
                        if !ok {
                            println!("           {}", m["message"].as_str().unwrap_or(""));
                        }
                    }
                    println!(
                        "  ibcert / fastest peer: {}",
                        all.describe(&ours, "no peer method finished within its timeout")
                    );
                    if opts.jacobian == PeerJacobian::Both {
                        println!(
                            "  ibcert / fastest peer without its Jacobian (the /fd rows): {}",
                            fd.describe(&ours, "none finished within its timeout")
                        );
                    }
                    if let Some((c, method)) = &cheapest {
                        let r: Vec<String> = ours
                            .iter()
                            .zip(pd_best.iter_mut())
                            .map(|(o, slot)| {
                                let r = o.per_digit().map(|x| x / c);
                                *slot = r;
                                let r = r.map_or("-".to_string(), |x| format!("{x:.2}"));
                                format!("{} {r}", o.label)
                            })
                            .collect();
                        println!(
                            "  per certified digit, ibcert / cheapest peer ({method}, {c:.2} ms): {}",
                            r.join(", ")
                        );
                    }
                }
            }
        }
        fastest.push((name, all.best));
        fastest_fd.push((name, fd.best));
        per_digit_ratios.push((name, pd_best));
    }
    let medians = |rows: &[(&str, Vec<Option<f64>>)]| summary::medians(rows, SETTINGS);
    if missing.is_none() {
        if let Some((count, med)) = medians(&fastest) {
            println!();
            println!(
                "median over the {count} fresh random datasets of ibcert / fastest peer: {med}"
            );
        }
        if opts.jacobian == PeerJacobian::Both {
            if let Some((count, med)) = medians(&fastest_fd) {
                println!(
                    "median over the {count} fresh random datasets of ibcert / fastest peer without its Jacobian: {med}"
                );
            }
        }
        if let Some((count, med)) = medians(&per_digit_ratios) {
            println!(
                "median over the {count} fresh random datasets of ibcert / cheapest peer per certified digit: {med}"
            );
        }
    }
    if let Some(why) = &missing {
        eprintln!("ibcert bench --peers: the peer did not run: {why}");
    }
    Ok(missing.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer script that is not there is named, with the two ways to give another.
    #[test]
    fn a_missing_peer_script_is_named() {
        let why = unavailable(std::path::Path::new("/no/such/dir/scipy_flow.py")).expect("missing");
        for needle in [
            "/no/such/dir/scipy_flow.py",
            "does not exist",
            "--peer-script",
            SCRIPT_ENV,
        ] {
            assert!(why.contains(needle), "{needle:?}: {why}");
        }
    }

    /// Every side-by-side workload's case parses and names a distinct job.
    #[test]
    fn the_side_by_side_workloads_parse() {
        let mut names = std::collections::BTreeSet::new();
        for (name, origin, text, alpha, gt) in workloads() {
            let case = Case::from_toml_str(text, origin).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((case.n_points() > 0, case.depth), (true, 2), "{name}");
            assert!(
                parse_rational(alpha).is_ok() && parse_rational(gt).is_ok(),
                "{name}"
            );
            assert!(names.insert(name.split(':').next().unwrap()), "{name}");
        }
        assert_eq!(
            selected(Some("seed")).len(),
            5,
            "the five fresh random datasets"
        );
    }
}
