//! Typed options shared by the commands: the one error type (with its exit code), the
//! parsers of exact numbers and lists, case loading with the separability check, and the
//! numerics a job runs with. The commands (`cli`) and the figure layer (`plot`) validate
//! their options through these, once, into exact types; nothing below sees strings.

use crate::case::Case;
use crate::flow::{default_stages, Numerics};
use crate::lp::{separability, Separability};
use crate::model::{MAX_DEPTH, MIN_DEPTH};
use crate::num::exact::parse_rational;
use crate::num::{MAX_PRECISION, MIN_PRECISION};
use crate::ode::tableau::MAX_STAGES;
use rug::Rational;
use std::path::Path;

/// An error with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> CliError {
        CliError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl CliError {
    /// The process exit code: 2 bad input, 1 a computation that failed or was stopped.
    pub fn exit_code(&self) -> i32 {
        self.code
    }
}

pub fn arg_rational(name: &str, s: &str) -> Result<Rational, CliError> {
    parse_rational(s).map_err(|e| CliError::input(format!("{name}: {e}")))
}

pub fn positive(name: &str, q: Rational) -> Result<Rational, CliError> {
    if q <= 0 {
        return Err(CliError::input(format!(
            "{name}: must be positive, got {q}"
        )));
    }
    Ok(q)
}

/// The `--fit-from` value: `auto` (the asymptotic tail, see [`crate::table::FitFrom`]),
/// `all`, or the smallest alpha^D fitted (exact, positive).
pub fn fit_from(name: &str, s: &str) -> Result<crate::table::FitFrom, CliError> {
    use crate::table::FitFrom;
    match s.trim() {
        "auto" => Ok(FitFrom::Auto),
        "all" => Ok(FitFrom::All),
        "" => Err(CliError::input(format!(
            "{name}: empty; give auto, all or the smallest alpha^D to fit (a positive number)"
        ))),
        v => {
            let q = arg_rational(name, v).map_err(|_| {
                CliError::input(format!(
                    "{name}: expected auto, all or the smallest alpha^D to fit (a positive number), got {v:?}"
                ))
            })?;
            Ok(FitFrom::From(positive(name, q)?))
        }
    }
}

/// `--fit-from ALPHA_D` must leave at least two of the given alpha^D at every depth.
pub fn fit_range_check(
    name: &str,
    from: &crate::table::FitFrom,
    depths: &[u32],
    scales: &[crate::flow::Scale],
) -> Result<(), CliError> {
    let crate::table::FitFrom::From(lo) = from else {
        return Ok(());
    };
    for &d in depths {
        let n = scales.iter().filter(|s| s.alpha_pow_d(d) >= *lo).count();
        if n < 2 {
            return Err(CliError::input(format!(
                "{name}: {n} of the given alpha^D at D = {d} are >= {lo}; the line needs at least two (lower the bound, or use auto or all)"
            )));
        }
    }
    Ok(())
}

/// Load a case for a command that integrates the classification flow (run, trace,
/// compare-losses, table, plot): a regression case is refused ([`flow_case`]), a
/// classification case's data must be linearly separable (exact LP).
pub fn load_case(path: &Path) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let case = Case::load(path).map_err(|e| CliError::input(e.to_string()))?;
    flow_case(path, case)
}

/// Load a case of either task (`solve`, `check`): a classification case's data must be
/// linearly separable; a regression case's were found interpolable when it was read. The
/// rows are [`Case::z`].
pub fn load_any_case(path: &Path) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let case = Case::load(path).map_err(|e| CliError::input(e.to_string()))?;
    any_case(path, case)
}

/// The case with its rows, whatever its task.
fn any_case(path: &Path, case: Case) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    match case.task {
        crate::case::Task::Regression => {
            let z = case.z();
            Ok((case, z))
        }
        crate::case::Task::Classification => separable(path, case),
    }
}

/// The one place where the commands that integrate the classification flow refuse
/// regression cases (`ibcert run` dispatches on the task first: [`load_run_case`]).
pub fn flow_case(path: &Path, case: Case) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    if case.task == crate::case::Task::Regression {
        return Err(CliError::input(format!(
            "{}: task: a regression case (task = \"regression\") cannot be run by this command yet: trace, compare-losses and the flow figures of plot integrate the classification flow; `ibcert run` (the square-loss flow), `ibcert solve` (the interpolators and Q^D_alpha limits), `ibcert check` (regression-kernel, regression-rich, regression-limit), `ibcert table` (the alpha each regime needs) and `ibcert plot --kind regression-norms|q-ratio` handle regression cases",
            path.display()
        )));
    }
    separable(path, case)
}

/// A case as `ibcert run` takes it: a classification case with its rows (separable), or
/// a regression case (the square-loss flow).
pub enum RunCase {
    Classification(Case, Vec<Vec<Rational>>),
    Regression(Case),
}

/// Load a case for `ibcert run`, whatever its task.
pub fn load_run_case(path: &Path) -> Result<RunCase, CliError> {
    let case = Case::load(path).map_err(|e| CliError::input(e.to_string()))?;
    match case.task {
        crate::case::Task::Regression => Ok(RunCase::Regression(case)),
        crate::case::Task::Classification => {
            let (case, z) = separable(path, case)?;
            Ok(RunCase::Classification(case, z))
        }
    }
}

/// [`load_case`] from a case file read earlier (e.g. kept in a sweep), with the data
/// files kept with it: no file is read again.
pub fn load_case_source(
    source: &crate::sweep::CaseSource,
) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let (path, case) = case_of_source(source)?;
    flow_case(path, case)
}

/// [`load_any_case`] from a case file read earlier (a check sweep).
pub fn load_any_case_source(
    source: &crate::sweep::CaseSource,
) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let (path, case) = case_of_source(source)?;
    any_case(path, case)
}

/// The case of a source, with its path.
fn case_of_source(source: &crate::sweep::CaseSource) -> Result<(&Path, Case), CliError> {
    let path = Path::new(&source.file);
    let files = source.data_bytes().map_err(CliError::input)?;
    let mut case = Case::from_toml_str_with(
        &source.text,
        &source.file,
        crate::case::DataFiles::Given {
            dir: Case::dir_of(path),
            files: &files,
        },
    )
    .map_err(|e| CliError::input(e.to_string()))?;
    case.path = Some(path.to_path_buf());
    Ok((path, case))
}

/// The case with its data z = y_n x_n, refused when not linearly separable.
fn separable(path: &Path, case: Case) -> Result<(Case, Vec<Vec<Rational>>), CliError> {
    let z = case.z();
    if let Separability::NotSeparable { lambda } = separability(&z) {
        let l: Vec<String> = lambda.iter().map(|q| q.to_string()).collect();
        return Err(CliError::input(format!(
            "{}: data: not linearly separable: no w has y_n x_n^T w > 0 for every n; certificate: \
             lambda = [{}] (lambda >= 0, sum 1) gives sum_n lambda_n y_n x_n = 0",
            path.display(),
            l.join(", ")
        )));
    }
    Ok((case, z))
}

/// `--loss-fn`: the loss a flow is trained with.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LossFn {
    Exp,
    Logistic,
}

impl LossFn {
    pub fn loss(self) -> crate::flow::Loss {
        match self {
            LossFn::Exp => crate::flow::Loss::Exp,
            LossFn::Logistic => crate::flow::Loss::Logistic,
        }
    }
}

/// The numerics options of every command that integrates (`--precision`, `--tol`,
/// `--stages`), declared once and flattened into each command's arguments.
#[derive(clap::Args, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NumericsArgs {
    /// MPFR precision in bits (>= 64); default: the case's numerics.precision.
    #[arg(long)]
    pub precision: Option<u32>,
    /// Local error tolerance in (0, 1); default: the case's numerics.tolerance.
    #[arg(long, allow_hyphen_values = true)]
    pub tol: Option<String>,
    /// Radau IIA stages (1..=48); default: the case's, else chosen from the tolerance.
    #[arg(long)]
    pub stages: Option<usize>,
    /// `--digits K` ([`DigitsArg`], on the commands where `--digits` means this)
    #[arg(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<u32>,
}

/// `--digits K` of run, trace, check, plan and plot, beside [`NumericsArgs`] (table and
/// compare-losses have a `--digits` of their own: the digits printed, the agreement
/// asked; there `--verified-digits K`, or a case's `numerics.digits`, chooses the
/// numerics).
#[derive(clap::Args, Debug, Clone, Default, PartialEq)]
pub struct DigitsArg {
    /// Verified digits of w_hat wanted: ibcert chooses precision, tolerance and stages
    /// (tolerance 10^-K), and when the verification shows fewer digits, tightens them
    /// and runs again (at most 3 attempts; the report says so). Replaces the case's
    /// numerics and its `digits`.
    #[arg(long, conflicts_with_all = ["precision", "tol", "stages"])]
    pub digits: Option<u32>,
}

impl DigitsArg {
    /// The numerics options with this `--digits`.
    pub fn with(&self, n: &NumericsArgs) -> NumericsArgs {
        NumericsArgs {
            digits: self.digits,
            ..n.clone()
        }
    }
}

impl NumericsArgs {
    /// The numerics of a job on `case` with `--verified-digits K` where given (table and
    /// compare-losses, whose own `--digits` means something else; clap keeps it apart from
    /// `--precision`, `--tol` and `--stages`), else [`NumericsArgs::of`].
    pub fn of_verified_digits(&self, case: &Case, k: Option<u32>) -> Result<Numerics, CliError> {
        match k {
            Some(k) => digits_numerics("--verified-digits", k),
            None => self.of(case),
        }
    }

    /// The numerics of a job on `case`: these options, else the case's, else the defaults.
    pub fn of(&self, case: &Case) -> Result<Numerics, CliError> {
        if let Some(k) = self.digits {
            return digits_numerics("--digits", k);
        }
        numerics_of(case, self.precision, self.tol.as_deref(), self.stages)
    }

    /// The verified digits asked for: `--digits`, else the case's `numerics.digits`
    /// unless `--precision`, `--tol` or `--stages` replace the case's numerics.
    pub fn digits_asked(&self, case: &Case) -> Option<u32> {
        let replaced = self.precision.is_some() || self.tol.is_some() || self.stages.is_some();
        self.digits
            .or(if replaced { None } else { case.numerics.digits })
    }

    /// Whether any option replaces the case's numerics.
    pub fn any(&self) -> bool {
        self.precision.is_some()
            || self.tol.is_some()
            || self.stages.is_some()
            || self.digits.is_some()
    }
}

/// The numerics of `--digits K` (or `option` K), or a clear refusal (exit 2, naming
/// `option`) of a K the precision cap cannot reach.
pub fn digits_numerics(option: &str, k: u32) -> Result<Numerics, CliError> {
    Numerics::for_digits(k).ok_or_else(|| {
        let need = if k == 0 {
            "must be at least 1".to_string()
        } else {
            format!(
                "{k} digits need more than the precision cap of {MAX_PRECISION} bits (at most about 301000 digits)"
            )
        };
        CliError::input(format!("{option}: {need}"))
    })
}

/// The numerics of a job: the options given, else the case's, else the defaults.
pub fn numerics_of(
    case: &Case,
    precision: Option<u32>,
    tol: Option<&str>,
    stages: Option<usize>,
) -> Result<Numerics, CliError> {
    let prec = precision.unwrap_or(case.numerics.precision);
    if !(MIN_PRECISION..=MAX_PRECISION).contains(&prec) {
        return Err(CliError::input(format!(
            "--precision: must be between {MIN_PRECISION} and {MAX_PRECISION} bits, got {prec}"
        )));
    }
    let tol = match tol {
        Some(t) => {
            let q = arg_rational("--tol", t)?;
            if q <= 0 || q >= 1 {
                return Err(CliError::input(format!(
                    "--tol: must be in (0, 1), got {t}"
                )));
            }
            q
        }
        None => case.numerics.tolerance.clone(),
    };
    let stages = stages
        .or(case.numerics.stages)
        .unwrap_or_else(|| default_stages(&tol));
    if !(1..=MAX_STAGES).contains(&stages) {
        return Err(CliError::input(format!(
            "--stages: must be between 1 and {MAX_STAGES}, got {stages}"
        )));
    }
    Ok(Numerics { prec, tol, stages })
}

/// A depth D the networks can have ([`MIN_DEPTH`] to [`MAX_DEPTH`]), for option `name`.
pub fn depth(name: &str, d: u32) -> Result<u32, CliError> {
    if !(MIN_DEPTH..=MAX_DEPTH).contains(&d) {
        return Err(CliError::input(format!(
            "{name}: depth {d} is out of range: the networks have a depth D from \
             {MIN_DEPTH} to {MAX_DEPTH}"
        )));
    }
    Ok(d)
}

/// The trimmed entries of a comma-separated list option (clap splits at the commas).
/// One rule for every list: an empty list and an empty entry are refused, naming the
/// option and the entry.
fn entries<'a>(name: &str, items: &'a [String]) -> Result<Vec<&'a str>, CliError> {
    if items.iter().all(|s| s.trim().is_empty()) {
        return Err(CliError::input(format!(
            "{name}: the list is empty; give at least one value"
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| match s.trim() {
            "" => Err(CliError::input(format!(
                "{name}: entry {} of {} is empty",
                i + 1,
                items.len()
            ))),
            t => Ok(t),
        })
        .collect()
}

/// The error for an entry whose value an earlier entry already gave.
fn repeated(name: &str, entry: &str, earlier: &str) -> CliError {
    if entry == earlier {
        CliError::input(format!("{name}: '{entry}' appears twice"))
    } else {
        CliError::input(format!(
            "{name}: '{entry}' is the same value as '{earlier}', which the list already has"
        ))
    }
}

/// A comma-separated list of depths (see [`depth`]), in the order given; an empty list,
/// an empty entry and a repeated depth are refused.
pub fn depth_list(name: &str, items: &[String]) -> Result<Vec<u32>, CliError> {
    let texts = entries(name, items)?;
    let mut out: Vec<u32> = Vec::new();
    for t in &texts {
        let d: u32 = t
            .parse()
            .map_err(|_| CliError::input(format!("{name}: '{t}' is not a whole number")))?;
        let d = depth(name, d)?;
        if let Some(j) = out.iter().position(|&e| e == d) {
            return Err(repeated(name, t, texts[j]));
        }
        out.push(d);
    }
    Ok(out)
}

/// A comma-separated list of exact positive values, in the order given; an empty list,
/// an empty entry and a repeated value (`10` and `10.0` are one value) are refused.
pub fn positive_list(name: &str, items: &[String]) -> Result<Vec<Rational>, CliError> {
    let texts = entries(name, items)?;
    let mut out: Vec<Rational> = Vec::new();
    for t in &texts {
        let q = positive(name, arg_rational(name, t)?)?;
        if let Some(j) = out.iter().position(|e| *e == q) {
            return Err(repeated(name, t, texts[j]));
        }
        out.push(q);
    }
    Ok(out)
}

/// [`positive_list`] for an optional list (none given: no values).
pub fn optional_positive_list(name: &str, items: &[String]) -> Result<Vec<Rational>, CliError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    positive_list(name, items)
}

/// `MIN,MAX` of log10 alpha: integers with MIN < 0 < MAX, both within ±100000 (as the
/// exponents of numbers in case files).
pub fn log10_range(flag: &str, r: &str) -> Result<(i32, i32), CliError> {
    const MAX_DECADES: i32 = 100_000;
    let bad = || {
        CliError::input(format!(
            "{flag}: expected two integers MIN,MAX with MIN < 0 < MAX and both within ±{MAX_DECADES}, got {r:?}"
        ))
    };
    let parts: Vec<&str> = r.split(',').map(str::trim).collect();
    let [lo, hi] = parts.as_slice() else {
        return Err(bad());
    };
    let lo: i32 = lo.parse().map_err(|_| bad())?;
    let hi: i32 = hi.parse().map_err(|_| bad())?;
    if !(lo < 0 && hi > 0 && lo >= -MAX_DECADES && hi <= MAX_DECADES) {
        return Err(bad());
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &str) -> Vec<String> {
        s.split(',').map(String::from).collect()
    }

    fn err<T: std::fmt::Debug>(r: Result<T, CliError>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code, 2);
        e.message
    }

    #[test]
    fn depth_lists() {
        assert_eq!(
            depth_list("--depths", &list("2, 3,1000")).unwrap(),
            [2, 3, 1000]
        );
        assert_eq!(
            err(depth_list("--depths", &list("2,1"))),
            "--depths: depth 1 is out of range: the networks have a depth D from 2 to 1000"
        );
        assert_eq!(
            err(depth_list("--depths", &list("1001"))),
            "--depths: depth 1001 is out of range: the networks have a depth D from 2 to 1000"
        );
        assert_eq!(
            err(depth_list("--depths", &list("2,3,2"))),
            "--depths: '2' appears twice"
        );
        assert_eq!(
            err(depth_list("--depths", &list("3,03"))),
            "--depths: '03' is the same value as '3', which the list already has"
        );
        assert_eq!(
            err(depth_list("--depths", &list("2,,3"))),
            "--depths: entry 2 of 3 is empty"
        );
        assert!(err(depth_list("--depths", &list(" , "))).contains("the list is empty"));
        assert!(err(depth_list("--depths", &list("two"))).contains("'two' is not a whole number"));
        assert!(err(depth_list("--depths", &list("-2"))).contains("'-2'"));
    }

    #[test]
    fn positive_lists() {
        let v = positive_list("--alphas", &list("10, 1/2,0.25")).unwrap();
        assert_eq!(
            v,
            [
                Rational::from(10),
                Rational::from((1, 2)),
                Rational::from((1, 4))
            ]
        );
        assert_eq!(
            err(positive_list("--mu", &list("1,,2"))),
            "--mu: entry 2 of 3 is empty"
        );
        assert_eq!(
            err(positive_list("--mu", &list("1,"))),
            "--mu: entry 2 of 2 is empty"
        );
        assert_eq!(
            err(positive_list("--alphas", &list("10,100,10"))),
            "--alphas: '10' appears twice"
        );
        assert_eq!(
            err(positive_list("--alpha-d", &list("0.5,1/2"))),
            "--alpha-d: '1/2' is the same value as '0.5', which the list already has"
        );
        assert!(err(positive_list("--alphas", &list(""))).contains("--alphas: the list is empty"));
        assert!(err(positive_list("--alphas", &list("0"))).contains("must be positive"));
        assert!(err(positive_list("--alphas", &list("x"))).starts_with("--alphas: "));
        assert!(optional_positive_list("--mu", &[]).unwrap().is_empty());
    }
}
