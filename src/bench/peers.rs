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
//! stops. When no method finished, the summary line says so. Timing is measured here
//! only; the peer's JSON is parsed for display (no f64 reaches ibcert's numerics).

use crate::case::Case;
use crate::flow::{default_stages, run_verified, Numerics, StopRule, Verified};
use crate::num::exact::parse_rational;
use crate::report::run::{CaseInfo, RunReport};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        include_str!("../../cases/random10b.toml"),
        "1",
        "10000000",
    ),
    (
        "r2: random10 seed 1602 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1602.toml",
        include_str!("../../benches/peers/cases/random10_s1602.toml"),
        "1",
        "10000000",
    ),
    (
        "r3: random10 seed 1603 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1603.toml",
        include_str!("../../benches/peers/cases/random10_s1603.toml"),
        "1",
        "10000000",
    ),
    (
        "r4: random10 seed 1604 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1604.toml",
        include_str!("../../benches/peers/cases/random10_s1604.toml"),
        "1",
        "10000000",
    ),
    (
        "r5: random10 seed 1605 alpha=1 gt=1e7",
        "benches/peers/cases/random10_s1605.toml",
        include_str!("../../benches/peers/cases/random10_s1605.toml"),
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
        include_str!("../../cases/random10.toml"),
        "1",
        "1000000000",
    ),
    (
        "b11: random10 alpha=1 gt=1e11",
        "cases/random10.toml",
        include_str!("../../cases/random10.toml"),
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
}

/// `--rounds` at most.
pub const MAX_ROUNDS: u32 = 100;

/// Why the peer cannot run (the ibcert side runs anyway).
fn unavailable(script: &Path) -> Option<String> {
    if !script.is_file() {
        return Some(format!(
            "the peer script {} does not exist (give --peer-script PATH or set {SCRIPT_ENV})",
            script.display()
        ));
    }
    let probe = Command::new("python3")
        .args([
            "-c",
            "import sys, numpy, scipy; assert sys.version_info >= (3, 11)",
        ])
        .stdin(Stdio::null())
        .output();
    match probe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "python3 is not on PATH: the float64 peer needs Python 3.11 or later with numpy and scipy; install Python, then: {INSTALL_HINT}"
        )),
        Err(e) => Some(format!("python3 cannot be started ({e}); the peer needs Python 3.11+ with numpy and scipy: {INSTALL_HINT}")),
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let why = err.lines().last().unwrap_or("").trim().to_string();
            Some(format!(
                "python3 cannot import numpy and scipy, or is older than 3.11 ({why}); install them with: {INSTALL_HINT}"
            ))
        }
        Ok(_) => None,
    }
}

/// Milliseconds of wall time per digit (display only): None without a digit.
fn per_digit(wall_seconds: f64, digits: Option<u64>) -> Option<f64> {
    digits
        .filter(|&d| d > 0)
        .map(|d| wall_seconds * 1000.0 / d as f64)
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn write(tag: &str, ext: &str, text: &str) -> Result<TempFile, String> {
        let p =
            std::env::temp_dir().join(format!("ibcert-peer-{}-{tag}.{ext}", std::process::id()));
        std::fs::write(&p, text).map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
        Ok(TempFile(p))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run the peer script on a case (it has printed its own JSON report, or failed).
fn run_peer(
    script: &Path,
    case: &Path,
    alpha: &str,
    gt: &str,
    against: &Path,
    timeout_secs: u32,
    rounds: u32,
) -> Result<serde_json::Value, String> {
    let mut child = Command::new("python3")
        .arg(script)
        .arg(case)
        .args(["--alpha", alpha, "--gt", gt, "--rtol", PEER_RTOL, "--json"])
        .args(["--timeout", &timeout_secs.to_string()])
        .args(["--rounds", &rounds.to_string()])
        .arg("--against")
        .arg(against)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    // three methods, each round stopped by the script at its timeout; past that (a
    // method stuck inside one call) the subprocess this function started is killed
    let limit = 3 * timeout_secs as u64 * rounds as u64 + 60;
    let deadline = Instant::now() + Duration::from_secs(limit);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for the peer: {e}")),
        }
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).to_string();
    match status {
        None => Err(format!(
            "the peer did not finish within {limit} s and was stopped"
        )),
        Some(s) if !s.success() => Err(format!(
            "the peer failed (exit {:?}): {}",
            s.code(),
            stderr.trim()
        )),
        Some(_) => serde_json::from_slice(&stdout)
            .map_err(|e| format!("the peer's output is not JSON ({e}): {}", stderr.trim())),
    }
}

/// One ibcert run of a workload at one setting (`bits`: the precision asked for; the
/// guard may have raised it).
struct Ours {
    label: &'static str,
    bits: u32,
    v: Verified,
    main_wall: Duration,
    total_wall: Duration,
}

impl Ours {
    /// Milliseconds of verified wall time per verified digit (display only).
    fn per_digit(&self) -> Option<f64> {
        per_digit(self.total_wall.as_secs_f64(), self.v.digits.map(u64::from))
    }
}

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
            "peer: {} (python3, scipy solve_ivp in float64, rtol {PEER_RTOL}, up to {} s per method)",
            script.display(),
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
        let mut best: Vec<Option<f64>> = vec![None; ours.len()];
        // with no method finished: ibcert's wall over the longest timeout, a bound above
        let mut bound: Vec<Option<f64>> = vec![None; ours.len()];
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
                        let wall = m["wall_seconds"].as_f64().unwrap_or(0.0);
                        let ok = m["status"] == "ok";
                        let ratios: Vec<String> = ours
                            .iter()
                            .enumerate()
                            .map(|(i, o)| {
                                let ours_s = o.total_wall.as_secs_f64();
                                if ok && wall > 0.0 {
                                    let r = ours_s / wall;
                                    if best[i].is_none_or(|b| r > b) {
                                        best[i] = Some(r);
                                    }
                                    format!("{r:.2}")
                                } else if m["status"] == "timeout" && wall > 0.0 {
                                    let r = ours_s / wall;
                                    if bound[i].is_none_or(|b| r < b) {
                                        bound[i] = Some(r);
                                    }
                                    format!("<{r:.2}")
                                } else {
                                    "-".to_string()
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
                                cheapest =
                                    Some((c, m["method"].as_str().unwrap_or("?").to_string()));
                            }
                        }
                        println!(
                            "  {:<8} {:<8} {:>9.3} {:>9} {:>6} {:>7} {:>10} {:>10} {:>10}",
                            m["method"].as_str().unwrap_or("?"),
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
                    let b: Vec<String> = best
                        .iter()
                        .zip(&bound)
                        .zip(&ours)
                        .map(|((r, u), o)| {
                            let r = match (r, u) {
                                (Some(r), _) if *r < 1.0 => {
                                    format!("{r:.2} (ibcert {:.1} times faster)", 1.0 / r)
                                }
                                (Some(r), _) => format!("{r:.2}"),
                                (None, Some(u)) if *u < 1.0 => {
                                    format!("<{u:.2} (ibcert over {:.1} times faster)", 1.0 / u)
                                }
                                (None, Some(u)) => format!("<{u:.2}"),
                                (None, None) => "-".to_string(),
                            };
                            format!("{} {r}", o.label)
                        })
                        .collect();
                    let none_finished =
                        best.iter().all(Option::is_none) && bound.iter().any(Option::is_some);
                    println!(
                        "  ibcert / fastest peer: {}{}",
                        b.join(", "),
                        if none_finished {
                            " (no peer method finished within its timeout)"
                        } else {
                            ""
                        }
                    );
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
        fastest.push((name, best));
        per_digit_ratios.push((name, pd_best));
    }
    // the median over the fresh random datasets (r1, r2, ...), per setting
    let medians = |rows: &[(&str, Vec<Option<f64>>)]| -> Option<(usize, String)> {
        let random: Vec<&Vec<Option<f64>>> = rows
            .iter()
            .filter(|(n, _)| n.starts_with('r'))
            .map(|(_, b)| b)
            .collect();
        (random.len() >= 2).then(|| {
            let med: Vec<String> = SETTINGS
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut v: Vec<f64> = random.iter().filter_map(|b| b[i]).collect();
                    v.sort_by(|a, b| a.total_cmp(b));
                    let m = match v.len() {
                        0 => "-".to_string(),
                        n if n % 2 == 1 => format!("{:.2}", v[n / 2]),
                        n => format!("{:.2}", (v[n / 2 - 1] + v[n / 2]) / 2.0),
                    };
                    format!("{} {m}", s.0)
                })
                .collect();
            (random.len(), med.join(", "))
        })
    };
    if missing.is_none() {
        if let Some((count, med)) = medians(&fastest) {
            println!();
            println!(
                "median over the {count} fresh random datasets of ibcert / fastest peer: {med}"
            );
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
        let why = unavailable(Path::new("/no/such/dir/scipy_flow.py")).expect("missing");
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
