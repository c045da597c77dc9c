//! Case files: TOML descriptions of a dataset for a depth-D diagonal linear network,
//! binary classification (the default) or regression with the square loss
//! (`task = "regression"`), in format version 1, documented in `docs/case-format.md`.
//!
//! Every number is read exactly (see [`crate::num::exact`]). Validation is
//! strict: unknown fields, wrong types and out-of-range values are errors
//! whose message names the file, the field path (e.g. `data.points[2][1]`)
//! and the reason. Linear separability is *not* checked here; the interpolability of a
//! regression case (X^T w = y has a solution) is, exactly.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use rug::{Integer, Rational};
use toml::Table;

mod checks;
mod datafile;
mod document;
pub mod job;
mod npy;
mod reader;
pub mod spec;

pub use datafile::{data_file_names, DataFiles};

use crate::case::reader::{clip_lines, Parser};
use crate::case::spec::CheckSpec;

/// The only case-file format version this build reads.
pub const FORMAT_VERSION: i64 = 1;
/// Default MPFR precision in bits.
pub const DEFAULT_PRECISION: u32 = 256;
pub use crate::num::{MAX_PRECISION, MIN_PRECISION};
/// Largest accepted `numerics.stages`.
pub use crate::ode::tableau::MAX_STAGES;
/// Default integrator tolerance as written in documentation: 1e-40.
pub const DEFAULT_TOLERANCE: &str = "1e-40";
/// Largest total size, in bits (numerators plus denominators), of all the
/// exact numbers of one case file: the data points, alphas, mu, tolerances,
/// limit points and the literals of the stopping rules (2^26 bits, about 20
/// million decimal digits). One number is already bounded by the exponent
/// limit of [`parse_rational`](crate::num::exact::parse_rational) (`1e100000` is about 330000 bits), but a file
/// repeating such numbers could otherwise make a kilobyte of text cost
/// hundreds of megabytes.
pub const MAX_NUMBER_BITS: u64 = 1 << 26;

/// A validated case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The file it came from (`None` when parsed from a string).
    pub path: Option<PathBuf>,
    pub name: String,
    pub description: String,
    /// Network depth D >= 2.
    pub depth: u32,
    /// N rows of d exact entries (the points x_n); N >= 1, d >= 1.
    pub points: Vec<Vec<Rational>>,
    /// Classification or regression (`task`; classification when not given).
    pub task: Task,
    /// Classification: one label per point, each +1 or -1. Regression: empty.
    pub labels: Vec<i32>,
    /// Regression: one exact target y_n per point (`data.targets` or a data file's
    /// `target` column); the data interpolate (X^T w = y has a solution). Classification:
    /// empty.
    pub targets: Vec<Rational>,
    /// The loss (`loss = "exp"` or `"logistic"`; exp when not given).
    pub loss: crate::flow::Loss,
    pub numerics: NumericsTable,
    /// The `[[check]]` tables, validated (empty when the file declares none).
    pub checks: Vec<CheckSpec>,
    /// Where the points and labels came from when a data file holds them (`None`: the
    /// case file's `data.points` and `data.labels`).
    pub data_source: Option<DataSource>,
}

/// What a case's data are for (`task`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Binary classification with labels +1 / -1 (exp or logistic loss): the default.
    Classification,
    /// Regression with the square loss: real targets y_n, the interpolators X^T w = y.
    Regression,
}

impl Task {
    /// The name in case files.
    pub fn name(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }
}

/// The data files of a case (`[data] file = ...`).
#[derive(Clone, Debug, PartialEq)]
pub struct DataSource {
    /// Each file as the case names it (relative to the case file's directory), with the
    /// SHA-256 of its bytes.
    pub files: Vec<(String, String)>,
    /// For reports, e.g. `X.npy (float64: values taken as the exact binary fractions
    /// they are), y.npy (int64: exact)`.
    pub description: String,
}

impl DataSource {
    /// One hash of the data files (their names and contents), for checkpoints.
    pub fn sha256(&self) -> String {
        let text: String = self
            .files
            .iter()
            .map(|(name, sha)| format!("{sha}  {name}\n"))
            .collect();
        crate::num::sha256_hex(text.as_bytes())
    }
}

/// The optional `[numerics]` table of a case file, with defaults filled in (the stages
/// may be left to the tolerance; a run's settings are [`crate::flow::Numerics`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NumericsTable {
    /// MPFR precision in bits, in [64, 1_000_000]; default 256.
    pub precision: u32,
    /// Local error tolerance of the integrator, 0 < tolerance < 1; default 1e-40.
    pub tolerance: Rational,
    /// Radau IIA stages in 1..=48; `None` = chosen from the tolerance.
    pub stages: Option<usize>,
    /// Default initialization scale alpha > 0, if given.
    pub alpha: Option<Rational>,
    /// `digits = K`: the verified digits of w_hat wanted; precision, tolerance and
    /// stages are then those of [`crate::flow::Numerics::for_digits`], and a run whose
    /// verification shows fewer is tightened and rerun (bounded).
    pub digits: Option<u32>,
}

/// The default tolerance 10^-40 as an exact rational.
pub fn default_tolerance() -> Rational {
    Rational::from((Integer::from(1), Integer::from(Integer::u_pow_u(10, 40))))
}

impl NumericsTable {
    /// Ask for `k` verified digits: the numerics of [`crate::flow::Numerics::for_digits`]
    /// (false, nothing changed, when `k` is 0 or needs more than the precision cap).
    pub fn ask_digits(&mut self, k: u32) -> bool {
        match crate::flow::Numerics::for_digits(k) {
            Some(n) => {
                self.precision = n.prec;
                self.tolerance = n.tol;
                self.stages = Some(n.stages);
                self.digits = Some(k);
                true
            }
            None => false,
        }
    }

    /// The settings of a run with these numerics (the stages chosen from the tolerance
    /// when the table leaves them out).
    pub fn for_run(&self) -> crate::flow::Numerics {
        crate::flow::Numerics {
            prec: self.precision,
            tol: self.tolerance.clone(),
            stages: self
                .stages
                .unwrap_or_else(|| crate::flow::default_stages(&self.tolerance)),
        }
    }
}

impl Default for NumericsTable {
    fn default() -> Self {
        NumericsTable {
            precision: DEFAULT_PRECISION,
            tolerance: default_tolerance(),
            stages: None,
            alpha: None,
            digits: None,
        }
    }
}

/// Why a case file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file could not be read (missing, permissions, not UTF-8, ...).
    #[error("{}: cannot read case file: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The text is not valid TOML; `message` is the toml crate's message
    /// including line and column.
    #[error("{origin}: malformed TOML: {message}")]
    Syntax { origin: String, message: String },
    /// Valid TOML that is not a valid case: `field` is the path of the
    /// offending field (e.g. `data.points[2][1]`).
    #[error("{origin}: {field}: {reason}")]
    Invalid {
        origin: String,
        field: String,
        reason: String,
    },
    /// A data file named by the case (`data.file`) is not valid: `location` is the line
    /// or element and column.
    #[error("{file}: {location}: {reason} (the data file of {origin})")]
    DataFile {
        origin: String,
        file: String,
        location: String,
        reason: String,
    },
}

impl CaseError {
    /// The field path for [`CaseError::Invalid`], else `None`.
    pub fn field(&self) -> Option<&str> {
        match self {
            CaseError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl Case {
    /// Reads and validates a case file (and the data files it names, relative to its
    /// directory).
    pub fn load(path: &Path) -> Result<Case, CaseError> {
        let text = std::fs::read_to_string(path).map_err(|error| CaseError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let dir = Case::dir_of(path);
        let mut case =
            Case::from_toml_str_with(&text, &path.display().to_string(), DataFiles::Dir(dir))?;
        case.path = Some(path.to_path_buf());
        Ok(case)
    }

    /// The directory data files are relative to: the case file's (`.` for a bare name).
    pub fn dir_of(path: &Path) -> &Path {
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// Parses and validates case-file text. `origin` (usually the file name)
    /// prefixes every error message. The returned case has `path == None`. Text alone
    /// cannot name data files (`data.file`): see [`Case::from_toml_str_with`].
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Case, CaseError> {
        Case::from_toml_str_with(text, origin, DataFiles::None)
    }

    /// [`Case::from_toml_str`], with the data files read from `files`.
    pub fn from_toml_str_with(
        text: &str,
        origin: &str,
        files: DataFiles,
    ) -> Result<Case, CaseError> {
        let table: Table = toml::from_str(text).map_err(|e| CaseError::Syntax {
            origin: origin.to_string(),
            message: clip_lines(e.to_string().trim_end()),
        })?;
        Parser {
            origin,
            bits: Cell::new(0),
            files,
        }
        .case(&table)
    }

    /// Number of points N.
    pub fn n_points(&self) -> usize {
        self.points.len()
    }

    /// Dimension d of the points.
    pub fn dim(&self) -> usize {
        self.points.first().map_or(0, Vec::len)
    }

    /// The rows the mirror map reads (w = W(Z^T nu)): z_n = y_n x_n for classification;
    /// for regression the points x_n themselves (the targets enter the flow's right-hand
    /// side, not the rows). N rows of length d.
    pub fn z(&self) -> Vec<Vec<Rational>> {
        if self.task == Task::Regression {
            return self.points.clone();
        }
        self.points
            .iter()
            .zip(&self.labels)
            .map(|(x, &y)| {
                x.iter()
                    .map(|v| if y < 0 { Rational::from(-v) } else { v.clone() })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::exact::parse_rational;

    const GOOD: &str = r#"
format = 1
name = "t"
description = "a test"
depth = 3
[data]
points = [[1, "0.5"], [0.1, "-1/3"]]
labels = [1, -1]
"#;

    #[test]
    fn parses_minimal() {
        let c = Case::from_toml_str(GOOD, "t.toml").unwrap();
        assert_eq!(c.depth, 3);
        assert_eq!(c.n_points(), 2);
        assert_eq!(c.dim(), 2);
        assert_eq!(c.points[1][0], Rational::from((1, 10)));
        assert_eq!(c.numerics, NumericsTable::default());
        let z = c.z();
        assert_eq!(z[1][1], Rational::from((1, 3)));
        assert_eq!(z[0][1], Rational::from((1, 2)));
        assert_eq!(c.path, None);
    }

    #[test]
    fn error_display() {
        let text = GOOD.replace("\"0.5\"", "\"abc\"");
        let e = Case::from_toml_str(&text, "cases/foo.toml").unwrap_err();
        assert_eq!(e.field(), Some("data.points[0][1]"));
        let msg = e.to_string();
        assert!(
            msg.starts_with("cases/foo.toml: data.points[0][1]: not a number \"abc\": expected"),
            "{msg}"
        );
    }

    #[test]
    fn default_tolerance_is_exact() {
        assert_eq!(
            default_tolerance(),
            parse_rational(DEFAULT_TOLERANCE).unwrap()
        );
    }
}
