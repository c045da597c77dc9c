//! Helpers shared by the integration tests: the binary and its output, temporary files,
//! bundled cases, a seeded random generator, proptest case counts, and the single-point
//! answer computed independently of `ibcert::model` and of the integrator.
#![allow(dead_code)]

pub mod single_sample;

use ibcert::case::Case;
use rug::ops::Pow;
use rug::Float;
use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

// ------------------------------------------------------------------ the binary

/// The `ibcert` binary with one worker thread: the test harness already runs tests in
/// parallel, one per core, and a spawned job using every core on top of that only
/// oversubscribes them. A test about thread counts sets `RAYON_NUM_THREADS` itself
/// (a later `.env` replaces this one).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ibcert"));
    c.env("RAYON_NUM_THREADS", "1");
    c
}

/// Run `ibcert ARGS` (one worker thread) and capture its output.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// The path of a bundled case file.
pub fn case_path(name: &str) -> String {
    format!("{}/cases/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Standard output parsed as JSON (the report), or a panic showing what it was.
/// Standard output of a run that must succeed (exit code 0; stderr shown otherwise).
pub fn ok_stdout(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    stdout(o)
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}\nstderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}

/// Exit code 2, no panic, and a message on stderr containing every fragment.
pub fn assert_bad(o: &Output, fragments: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit code for: {e}");
    assert!(!e.contains("panicked"), "panic: {e}");
    for f in fragments {
        assert!(e.contains(f), "message lacks {f:?}: {e}");
    }
}

// --------------------------------------------------------------- temporary files

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty directory `ibcert-TAG-PID-K` under the system's temporary directory,
/// removed with everything in it when the guard is dropped: at the end of the test, and
/// also when the test fails (the panic unwinds through the guard). It dereferences to its
/// [`Path`]: `dir.join(..)`, `&dir`, `dir.display()` and `Command::arg(&dir)` work as on
/// a path. Keep the guard in a variable while the directory is used:
/// `temp_dir("x").join("y")` would remove the directory at once.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for TempDir {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

/// A path in a fresh [`TempDir`], which lives (and is removed) with it.
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
    _dir: TempDir,
}

impl TempPath {
    /// The path itself.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Deref for TempPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TempPath {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

/// A fresh, empty directory `ibcert-TAG-PID-K` under the system's temporary directory
/// (removed when the guard is dropped, see [`TempDir`]).
pub fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "ibcert-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A path `NAME` in a fresh directory (nothing is written; the directory is removed
/// when the guard is dropped).
pub fn temp_path(tag: &str, name: &str) -> TempPath {
    let dir = temp_dir(tag);
    TempPath {
        path: dir.join(name),
        _dir: dir,
    }
}

/// A file `NAME` with this text in a fresh directory (removed, with the file, when the
/// guard is dropped).
pub fn temp_file(tag: &str, name: &str, text: &str) -> TempPath {
    let p = temp_path(tag, name);
    std::fs::write(&p, text).unwrap();
    p
}

// ------------------------------------------------------- randomness and proptest

/// A seeded 64-bit linear congruential generator (Knuth's MMIX constants): the same
/// seed gives the same data on every machine.
pub struct Lcg(pub u64);

impl Lcg {
    /// 31 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// The number of proptest cases: `PROPTEST_CASES` from the environment when set (to run
/// more, or fewer, than a test's default), else the default.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

// ----------------------------------------------------------------- bundled cases

/// A bundled case by file name.
pub fn load(name: &str) -> Case {
    Case::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases")
            .join(name),
    )
    .expect("bundled case loads")
}

/// The data rows z_n = y_n x_n of a bundled case.
pub fn rows(name: &str) -> Vec<Vec<rug::Rational>> {
    load(name).z()
}

/// w_i(beta) computed independently of `ibcert::model`, from the parameters
/// u± (D = 2: u± = α e^{±2β}; D ≥ 3: u± = α (1 ∓ s)^(-1/(D-2)), s = α^(D-2) D (D-2) β)
/// through w = u+^D - u-^D, with powers taken as exp(k ln x).
pub fn w_independent(depth: u32, alpha: &Float, beta: &Float) -> Float {
    let p = beta.prec();
    let (up, um) = if depth == 2 {
        let e = Float::with_val(p, beta * 2u32).exp();
        (
            Float::with_val(p, alpha * &e),
            Float::with_val(p, alpha / &e),
        )
    } else {
        let c = Float::with_val(p, alpha.clone().pow(depth - 2)) * (depth * (depth - 2));
        let s = Float::with_val(p, &c * beta);
        let k = Float::with_val(p, -1) / (depth - 2);
        let rp = (Float::with_val(p, 1 - s.clone()).ln() * &k).exp();
        let rm = (Float::with_val(p, 1 + s).ln() * &k).exp();
        (rp * alpha, rm * alpha)
    };
    let d = Float::with_val(p, depth);
    (Float::with_val(p, up.ln() * &d).exp()) - (Float::with_val(p, um.ln() * &d).exp())
}

/// The single-point answer: nu solving sum_i z_i w_i(z_i nu) = gt, by bisection then
/// Newton (with a numerical derivative) at `prec` bits.
pub fn single_point_nu(z: &[Float], depth: u32, alpha: &Float, gt: &Float, prec: u32) -> Float {
    let g = |nu: &Float| -> Float {
        let mut acc = Float::new(prec);
        for zi in z {
            let b = Float::with_val(prec, zi * nu);
            acc += Float::with_val(prec, zi * w_independent(depth, alpha, &b));
        }
        acc - gt
    };
    // bracket: g(0) = -gt < 0; for D >= 3 nu is bounded by |s| < 1
    let mut lo = Float::new(prec);
    let mut hi = Float::with_val(prec, Float::i_exp(1, -40));
    if depth > 2 {
        let c = Float::with_val(prec, alpha.clone().pow(depth - 2)) * (depth * (depth - 2));
        let zmax = z
            .iter()
            .map(|v| Float::with_val(prec, v.abs_ref()))
            .fold(Float::new(prec), |a, b| a.max(&b));
        let bound = Float::with_val(prec, &c * &zmax).recip();
        hi = Float::with_val(
            prec,
            &bound * (1 - Float::with_val(prec, Float::i_exp(1, -(prec as i32 / 2)))),
        );
    } else {
        // w_i(b) >= w_i'(0) b = 8 alpha^2 b for b >= 0 (sinh x >= x), so the root is at
        // most gt / (8 alpha^2 sum_i z_i^2), whatever the scale of the data
        let mut zz = Float::new(prec);
        for zi in z {
            zz += Float::with_val(prec, zi.square_ref());
        }
        let lin =
            Float::with_val(prec, gt / zz) / Float::with_val(prec, alpha.clone().square() * 8u32);
        if lin > hi {
            hi = lin;
        }
        while g(&hi) < 0 {
            hi *= 2u32;
        }
    }
    // the root can be many orders of magnitude below the bracket's upper end (data of
    // size 10^300): bisect geometrically first, from a lower end 2^-4096 of the upper
    let far = Float::with_val(prec, &hi * Float::with_val(prec, Float::i_exp(1, -4096)));
    if g(&far) < 0 {
        lo = far;
        while Float::with_val(prec, &hi / &lo) > 2u32 {
            let mid = Float::with_val(prec, &lo * &hi).sqrt();
            if g(&mid) < 0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    for _ in 0..(prec / 2) {
        let mid = Float::with_val(prec, &lo + &hi) / 2u32;
        if g(&mid) < 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut x = Float::with_val(prec, &lo + &hi) / 2u32;
    let eps = Float::with_val(prec, Float::i_exp(1, -(prec as i32 / 3)));
    for _ in 0..8 {
        let gx = g(&x);
        let xp = Float::with_val(prec, &x * (1 + eps.clone()));
        let dg = Float::with_val(prec, g(&xp) - &gx) / Float::with_val(prec, &x * &eps);
        x -= gx / dg;
    }
    x
}

/// The digits of a flow's single-point `nu` (one point z, alpha, gt) that agree with
/// the exact root computed here at `rp` bits (relative, capped at `cap`), and that root.
pub fn single_point_nu_digits(
    z: &[rug::Rational],
    depth: u32,
    alpha: &rug::Rational,
    gt: &rug::Rational,
    nu: &Float,
    rp: u32,
    cap: u32,
) -> (u32, Float) {
    use ibcert::num::{digits_from_rel_error, from_rational};
    let zf: Vec<Float> = z.iter().map(|q| from_rational(rp, q)).collect();
    let exact = single_point_nu(
        &zf,
        depth,
        &from_rational(rp, alpha),
        &from_rational(rp, gt),
        rp,
    );
    let err = Float::with_val(rp, nu - &exact).abs() / &exact;
    (digits_from_rel_error(&err, cap), exact)
}

/// Integrate `ode` from x = 0 to `x_end` with an s-stage Radau IIA at the ODE's precision
/// and tolerance `tol`: the final state and the work counters.
pub fn solve<O: ibcert::ode::Ode>(
    ode: &O,
    stages: usize,
    tol: &rug::Rational,
    x_end: &rug::Rational,
    y0: &[rug::Rational],
) -> (Vec<Float>, ibcert::ode::radau::Stats) {
    solve_with(ode, stages, tol, |_| {}, x_end, y0)
}

/// [`solve`] with the default options changed by `adjust`.
pub fn solve_with<O: ibcert::ode::Ode>(
    ode: &O,
    stages: usize,
    tol: &rug::Rational,
    adjust: impl FnOnce(&mut ibcert::ode::radau::RadauOptions),
    x_end: &rug::Rational,
    y0: &[rug::Rational],
) -> (Vec<Float>, ibcert::ode::radau::Stats) {
    let p = ode.prec();
    let tab = ibcert::ode::tableau::RadauTableau::new(stages, p);
    let mut opts = ibcert::ode::radau::RadauOptions::new(ibcert::num::from_rational(p, tol));
    adjust(&mut opts);
    let solver = ibcert::ode::radau::Radau::new(ode, &tab, opts);
    let y0: Vec<Float> = y0
        .iter()
        .map(|q| ibcert::num::from_rational(p, q))
        .collect();
    let out = solver
        .integrate(
            &Float::new(p),
            &y0,
            &ibcert::num::from_rational(p, x_end),
            |_| ibcert::ode::radau::Control::Continue,
        )
        .expect("integration succeeds");
    (out.y, out.stats)
}

/// `ibcert check PATH --no-verify --no-timing --format json`: the exit code and the results.
pub fn check_json(p: &Path) -> (Option<i32>, Vec<serde_json::Value>) {
    let o = run(&[
        "check",
        p.to_str().unwrap(),
        "--no-verify",
        "--no-timing",
        "--format",
        "json",
    ]);
    let v = json(&o);
    (o.status.code(), v["results"].as_array().unwrap().clone())
}
