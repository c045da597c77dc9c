//! Case files: TOML descriptions of a binary classification dataset for a
//! depth-D diagonal linear network (format version 1, documented in
//! `docs/case-format.md`).
//!
//! Every number is read exactly (see [`crate::num::exact`]). Validation is
//! strict: unknown fields, wrong types and out-of-range values are errors
//! whose message names the file, the field path (e.g. `data.points[2][1]`)
//! and the reason. Linear separability is *not* checked here.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use rug::{Integer, Rational};
use toml::{Table, Value};

pub mod spec;

use crate::case::spec::{CheckKind, CheckSpec, Expect, Optimum, SupportOf};
use crate::num::exact::{parse_rational, rational_to_decimal_string};
use crate::rule::{Expr, Node, Var};

/// The only case-file format version this build reads.
pub const FORMAT_VERSION: i64 = 1;
/// Default MPFR precision in bits.
pub const DEFAULT_PRECISION: u32 = 256;
/// Smallest accepted `numerics.precision`.
pub const MIN_PRECISION: u32 = 64;
/// Largest accepted `numerics.precision`.
pub const MAX_PRECISION: u32 = 1_000_000;
/// Largest accepted `numerics.stages`.
pub use crate::ode::tableau::MAX_STAGES;
/// Default integrator tolerance as written in documentation: 1e-40.
pub const DEFAULT_TOLERANCE: &str = "1e-40";
/// Largest total size, in bits (numerators plus denominators), of all the
/// exact numbers of one case file: the data points, alphas, mu, tolerances,
/// limit points and the literals of the stopping rules (2^26 bits, about 20
/// million decimal digits). One number is already bounded by the exponent
/// limit of [`parse_rational`] (`1e100000` is about 330000 bits), but a file
/// repeating such numbers could otherwise make a kilobyte of text cost
/// hundreds of megabytes.
pub const MAX_NUMBER_BITS: u64 = 1 << 26;
/// Longest excerpt of user text quoted in an error message, in characters.
const MAX_QUOTED: usize = 60;
/// Longest line of a TOML syntax error message, in characters.
const MAX_LINE: usize = 160;

const TOP_FIELDS: &[&str] = &[
    "format",
    "name",
    "description",
    "depth",
    "data",
    "numerics",
    "check",
];
const CHECK_FIELDS: &[&str] = &[
    "name",
    "kind",
    "alphas",
    "mu",
    "stop",
    "tolerance",
    "kkt_tolerance",
    "window",
    "support_of",
    "point",
    "optimum",
    "expect",
];
const DATA_FIELDS: &[&str] = &["points", "labels"];
const NUMERICS_FIELDS: &[&str] = &["precision", "tolerance", "stages", "alpha"];

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
    /// One label per point, each +1 or -1.
    pub labels: Vec<i32>,
    pub numerics: Numerics,
    /// The `[[check]]` tables, validated (empty when the file declares none).
    pub checks: Vec<CheckSpec>,
}

/// The optional `[numerics]` table, with defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Numerics {
    /// MPFR precision in bits, in [64, 1_000_000]; default 256.
    pub precision: u32,
    /// Local error tolerance of the integrator, 0 < tolerance < 1; default 1e-40.
    pub tolerance: Rational,
    /// Radau IIA stages in 1..=24; `None` = chosen from the tolerance.
    pub stages: Option<usize>,
    /// Default initialization scale alpha > 0, if given.
    pub alpha: Option<Rational>,
}

/// The default tolerance 10^-40 as an exact rational.
pub fn default_tolerance() -> Rational {
    Rational::from((Integer::from(1), Integer::from(Integer::u_pow_u(10, 40))))
}

impl Default for Numerics {
    fn default() -> Self {
        Numerics {
            precision: DEFAULT_PRECISION,
            tolerance: default_tolerance(),
            stages: None,
            alpha: None,
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
    /// Reads and validates a case file.
    pub fn load(path: &Path) -> Result<Case, CaseError> {
        let text = std::fs::read_to_string(path).map_err(|error| CaseError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let mut case = Case::from_toml_str(&text, &path.display().to_string())?;
        case.path = Some(path.to_path_buf());
        Ok(case)
    }

    /// Parses and validates case-file text. `origin` (usually the file name)
    /// prefixes every error message. The returned case has `path == None`.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Case, CaseError> {
        let table: Table = toml::from_str(text).map_err(|e| CaseError::Syntax {
            origin: origin.to_string(),
            message: clip_lines(e.to_string().trim_end()),
        })?;
        Parser {
            origin,
            bits: Cell::new(0),
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

    /// z_n = y_n x_n: N rows of length d.
    pub fn z(&self) -> Vec<Vec<Rational>> {
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

/// Short description of a TOML value for error messages.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let ellipsis = if s.chars().count() > 40 { "..." } else { "" };
            format!("string \"{shown}{ellipsis}\"")
        }
        Value::Integer(i) => format!("integer {i}"),
        Value::Float(x) => format!("float {x:?}"),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Datetime(d) => format!("datetime {d}"),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// "1 entry", "3 entries".
fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// At most [`MAX_QUOTED`] characters of `s`, with `...` when cut.
fn clip(s: &str) -> String {
    let shown: String = s.chars().take(MAX_QUOTED).collect();
    if shown.len() < s.len() {
        format!("{shown}...")
    } else {
        shown
    }
}

/// `message` with every line cut to at most [`MAX_LINE`] characters (the
/// toml crate quotes the offending line, which may be a megabyte long).
fn clip_lines(message: &str) -> String {
    message
        .lines()
        .map(|line| {
            let shown: String = line.chars().take(MAX_LINE).collect();
            if shown.len() < line.len() {
                format!("{shown}...")
            } else {
                shown
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An exact number for an error message: in full when short, else its
/// value to 12 significant digits (a number may have 100000 digits).
fn short(q: &Rational) -> String {
    let full = q.to_string();
    if full.len() <= MAX_QUOTED {
        full
    } else {
        format!("about {}", rational_to_decimal_string(q, 12))
    }
}

/// Size of an exact number in bits, as charged against [`MAX_NUMBER_BITS`].
fn number_bits(q: &Rational) -> u64 {
    u64::from(q.numer().significant_bits()) + u64::from(q.denom().significant_bits())
}

struct Parser<'a> {
    origin: &'a str,
    /// Bits of the exact numbers read so far (see [`MAX_NUMBER_BITS`]).
    bits: Cell<u64>,
}

impl Parser<'_> {
    fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> CaseError {
        CaseError::Invalid {
            origin: self.origin.to_string(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn check_unknown(
        &self,
        table: &Table,
        prefix: &str,
        allowed: &[&str],
    ) -> Result<(), CaseError> {
        if let Some(key) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
            let key = clip(key);
            let where_ = if prefix.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{prefix}]")
            };
            return Err(self.err(
                join(prefix, &key),
                format!(
                    "unknown field `{key}` {where_} (allowed fields: {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn required<'v>(
        &self,
        table: &'v Table,
        prefix: &str,
        key: &str,
    ) -> Result<&'v Value, CaseError> {
        table
            .get(key)
            .ok_or_else(|| self.err(join(prefix, key), "missing required field"))
    }

    fn string(&self, v: &Value, field: &str) -> Result<String, CaseError> {
        match v {
            Value::String(s) if s.trim().is_empty() => Err(self.err(field, "must not be empty")),
            Value::String(s) => Ok(s.clone()),
            other => Err(self.err(
                field,
                format!("expected a non-empty string, found {}", describe(other)),
            )),
        }
    }

    fn integer(&self, v: &Value, field: &str, what: &str) -> Result<i64, CaseError> {
        match v {
            Value::Integer(i) => Ok(*i),
            other => Err(self.err(field, format!("expected {what}, found {}", describe(other)))),
        }
    }

    /// Adds `bits` to the running total of the case, erroring at `field`
    /// when the total exceeds [`MAX_NUMBER_BITS`].
    fn charge(&self, field: &str, bits: u64) -> Result<(), CaseError> {
        let total = self.bits.get().saturating_add(bits);
        self.bits.set(total);
        if total > MAX_NUMBER_BITS {
            return Err(self.err(
                field,
                format!(
                    "too much exact data: the numbers of this case file take more than {MAX_NUMBER_BITS} bits in total (about 20 million decimal digits)"
                ),
            ));
        }
        Ok(())
    }

    /// An exact number: TOML integer, TOML float (read as its shortest
    /// decimal form) or a string parsed by [`parse_rational`]. Its size is
    /// charged against [`MAX_NUMBER_BITS`].
    fn number(&self, v: &Value, field: &str) -> Result<Rational, CaseError> {
        let q = self.number_uncharged(v, field)?;
        self.charge(field, number_bits(&q))?;
        Ok(q)
    }

    /// A stopping or window rule (`what`) at `field`: parses `text` and
    /// charges its literals against [`MAX_NUMBER_BITS`].
    fn rule(&self, text: &str, field: &str, what: &str) -> Result<Expr, CaseError> {
        let e = Expr::parse(text).map_err(|e| {
            self.err(
                field,
                format!("{what} \"{}\" does not parse: {e}", clip(text)),
            )
        })?;
        let mut bits = 0u64;
        let mut stack = vec![e.node()];
        while let Some(n) = stack.pop() {
            match n {
                Node::Num(q) => bits = bits.saturating_add(number_bits(q)),
                Node::Var(_) => {}
                Node::Neg(x) | Node::Func(_, x) => stack.push(x),
                Node::Bin(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
        self.charge(field, bits)?;
        Ok(e)
    }

    fn number_uncharged(&self, v: &Value, field: &str) -> Result<Rational, CaseError> {
        match v {
            Value::Integer(i) => Ok(Rational::from(*i)),
            Value::Float(x) => {
                if !x.is_finite() {
                    return Err(self.err(
                        field,
                        format!("not a number ({x}): NaN and infinity are not allowed"),
                    ));
                }
                // The one permitted use of f64: the toml crate hands us TOML
                // floats as f64, and we take the *shortest decimal string that
                // round-trips* to that f64 (Rust's `{:e}` formatting, e.g.
                // 0.1 -> "1e-1", 1e300 -> "1e300") and parse that string
                // exactly. So a TOML float 0.1 means exactly 1/10, which is
                // what the author wrote whenever they wrote at most ~15
                // significant digits. Strings avoid the question entirely.
                let shortest = format!("{x:e}");
                parse_rational(&shortest)
                    .map_err(|reason| self.err(field, format!("float {x}: {reason}")))
            }
            Value::String(s) => parse_rational(s).map_err(|reason| {
                let detail = reason.strip_prefix("not a number: ").unwrap_or(&reason);
                let shown: String = s.chars().take(60).collect();
                let ellipsis = if s.chars().count() > 60 { "..." } else { "" };
                self.err(field, format!("not a number \"{shown}{ellipsis}\": {detail}"))
            }),
            other => Err(self.err(
                field,
                format!(
                    "expected a number (integer, float, or a string such as \"0.1\" or \"1/3\"), found {}",
                    describe(other)
                ),
            )),
        }
    }

    fn case(&self, top: &Table) -> Result<Case, CaseError> {
        // The format version first: a file written for another version is
        // best reported as such rather than by its unknown fields.
        let format = self.required(top, "", "format")?;
        let format = self.integer(format, "format", "the integer 1")?;
        if format != FORMAT_VERSION {
            return Err(self.err(
                "format",
                format!(
                    "unsupported format version {format}: this version of ibcert reads format {FORMAT_VERSION}"
                ),
            ));
        }
        self.check_unknown(top, "", TOP_FIELDS)?;

        let name = self.string(self.required(top, "", "name")?, "name")?;
        // optional (quick cases need none); when given it must say something
        let description = match top.get("description") {
            Some(v) => self.string(v, "description")?,
            None => String::new(),
        };

        let depth_v = self.required(top, "", "depth")?;
        let depth = self.integer(depth_v, "depth", "an integer depth >= 2")?;
        if depth < 2 {
            return Err(self.err(
                "depth",
                format!("depth must be an integer >= 2, found {depth}"),
            ));
        }
        let depth = u32::try_from(depth).map_err(|_| {
            self.err(
                "depth",
                format!("depth {depth} is too large (at most {})", u32::MAX),
            )
        })?;

        let data = match self.required(top, "", "data")? {
            Value::Table(t) => t,
            other => {
                return Err(self.err(
                    "data",
                    format!("expected a table [data], found {}", describe(other)),
                ))
            }
        };
        self.check_unknown(data, "data", DATA_FIELDS)?;
        let points = self.points(self.required(data, "data", "points")?)?;
        let labels = self.labels(self.required(data, "data", "labels")?, points.len())?;

        let numerics = match top.get("numerics") {
            None => Numerics::default(),
            Some(Value::Table(t)) => self.numerics(t)?,
            Some(other) => {
                return Err(self.err(
                    "numerics",
                    format!("expected a table [numerics], found {}", describe(other)),
                ))
            }
        };

        let checks = match top.get("check") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| self.check(i, v, depth, points[0].len()))
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => {
                return Err(self.err(
                    "check",
                    format!(
                        "expected an array of tables [[check]], found {}",
                        describe(other)
                    ),
                ))
            }
        };

        Ok(Case {
            path: None,
            name,
            description,
            depth,
            points,
            labels,
            numerics,
            checks,
        })
    }

    /// One `[[check]]` table; errors name it as `check[i]` (with its name when known).
    fn check(&self, i: usize, v: &Value, depth: u32, dim: usize) -> Result<CheckSpec, CaseError> {
        let t = match v {
            Value::Table(t) => t,
            other => {
                return Err(self.err(
                    format!("check[{i}]"),
                    format!("expected a table, found {}", describe(other)),
                ))
            }
        };
        let base = format!("check[{i}]");
        self.check_unknown(t, &base, CHECK_FIELDS)?;
        let name = self.string(self.required(t, &base, "name")?, &format!("{base}.name"))?;
        let prefix = format!("check[{i}] ({})", clip(&name));
        let field = |f: &str| format!("{prefix}.{f}");
        let kind_s = self.string(self.required(t, &prefix, "kind")?, &field("kind"))?;
        let kind = CheckKind::parse(&kind_s).ok_or_else(|| {
            self.err(
                field("kind"),
                format!("unknown check kind \"{}\" (known kinds: kernel, transition, rich, bounds, condition5, limit)", clip(&kind_s)),
            )
        })?;
        let alphas = match self.required(t, &prefix, "alphas")? {
            Value::Array(a) if a.is_empty() => {
                return Err(self.err(field("alphas"), "the list of alphas is empty"))
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(k, x)| self.number(x, &format!("{prefix}.alphas[{k}]")))
                .collect::<Result<Vec<_>, _>>()?,
            other => {
                return Err(self.err(
                    field("alphas"),
                    format!("expected an array of numbers, found {}", describe(other)),
                ))
            }
        };
        for (k, a) in alphas.iter().enumerate() {
            if *a <= 0 {
                return Err(self.err(
                    format!("{prefix}.alphas[{k}]"),
                    format!("alpha must be positive, found {}", short(a)),
                ));
            }
            if k > 0 && *a <= alphas[k - 1] {
                return Err(self.err(
                    field("alphas"),
                    format!(
                        "alphas must be strictly increasing: alphas[{k}] = {} follows {}",
                        short(a),
                        short(&alphas[k - 1])
                    ),
                ));
            }
        }
        let mu = match t.get("mu") {
            None => None,
            Some(v) => {
                let m = self.number(v, &field("mu"))?;
                if m <= 0 {
                    return Err(self.err(
                        field("mu"),
                        format!("mu must be positive, found {}", short(&m)),
                    ));
                }
                Some(m)
            }
        };
        let stop_text = match t.get("stop") {
            None if kind == CheckKind::Limit => {
                return Err(self.err(
                    field("stop"),
                    "missing: a limit check needs a stopping rule (the accuracy gt(alpha) at which w_hat is compared with the point)",
                ))
            }
            None => kind.default_stop().to_string(),
            Some(v) => self.string(v, &field("stop"))?,
        };
        let stop = self.rule(&stop_text, &field("stop"), "stopping rule")?;
        // Parsed, so at most MAX_LEN characters; still quoted in excerpt.
        let stop_text = clip(&stop_text);
        if mu.is_none() && (kind.needs_mu() || stop.uses(Var::Mu)) {
            return Err(self.err(
                field("mu"),
                format!(
                    "missing: the {} check with stopping rule \"{stop_text}\" needs mu",
                    kind.name()
                ),
            ));
        }
        match stop.increasing_on(&alphas, depth, mu.as_ref(), 128) {
            Ok(true) => {}
            Ok(false) => {
                return Err(self.err(
                    field("stop"),
                    format!(
                    "stopping rule \"{stop_text}\" is not increasing in alpha on the listed alphas"
                ),
                ))
            }
            Err(e) => {
                return Err(self.err(
                    field("stop"),
                    format!(
                    "stopping rule \"{stop_text}\" cannot be evaluated on the listed alphas: {e}"
                ),
                ))
            }
        }
        for (k, a) in alphas.iter().enumerate() {
            let g = stop.eval(a, depth, mu.as_ref(), 128).map_err(|e| {
                self.err(field("stop"), format!("at alphas[{k}] = {}: {e}", short(a)))
            })?;
            if !g.is_sign_positive() || g.is_zero() {
                return Err(self.err(
                    field("stop"),
                    format!(
                        "stopping rule \"{stop_text}\" gives gt <= 0 at alphas[{k}] = {}",
                        short(a)
                    ),
                ));
            }
        }
        let positive = |key: &str, required: bool| -> Result<Option<Rational>, CaseError> {
            let v = match t.get(key) {
                None if required => return Err(self.err(field(key), "missing required field")),
                None => return Ok(None),
                Some(v) => v,
            };
            let x = self.number(v, &field(key))?;
            if x <= 0 {
                return Err(self.err(field(key), format!("must be positive, found {}", short(&x))));
            }
            Ok(Some(x))
        };
        let tolerance = positive("tolerance", true)?.expect("required");
        let kkt_tolerance = positive("kkt_tolerance", false)?;
        let window = match t.get("window") {
            None if kind == CheckKind::Condition5 => {
                Some(Expr::parse("alpha^D / log(alpha)").expect("the default window rule parses"))
            }
            None => None,
            Some(v) => {
                let text = self.string(v, &field("window"))?;
                Some(self.rule(&text, &field("window"), "window rule")?)
            }
        };
        // fields that belong to one kind only
        for (key, owner) in [
            ("support_of", CheckKind::Condition5),
            ("point", CheckKind::Limit),
            ("optimum", CheckKind::Limit),
        ] {
            if t.contains_key(key) && kind != owner {
                return Err(self.err(
                    field(key),
                    format!(
                        "only {} checks take `{key}` (this check is {})",
                        owner.name(),
                        kind.name()
                    ),
                ));
            }
        }
        let support_of = match t.get("support_of") {
            None => SupportOf::WMu,
            Some(v) => match self.string(v, &field("support_of"))?.as_str() {
                "w_mu" => SupportOf::WMu,
                "flow" => SupportOf::Flow,
                other => {
                    return Err(self.err(
                        field("support_of"),
                        format!("expected \"w_mu\" or \"flow\", found \"{}\"", clip(other)),
                    ))
                }
            },
        };
        let point = match t.get("point") {
            None if kind == CheckKind::Limit => {
                return Err(self.err(field("point"), "missing required field"))
            }
            None => None,
            Some(Value::Array(a)) => {
                if a.len() != dim {
                    return Err(self.err(
                        field("point"),
                        format!(
                            "the point has {} entries but the data points have d = {dim}",
                            a.len()
                        ),
                    ));
                }
                Some(
                    a.iter()
                        .enumerate()
                        .map(|(k, x)| self.number(x, &format!("{prefix}.point[{k}]")))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
            Some(other) => {
                return Err(self.err(
                    field("point"),
                    format!("expected an array of numbers, found {}", describe(other)),
                ))
            }
        };
        let optimum = match t.get("optimum") {
            None => None,
            Some(v) => match self.string(v, &field("optimum"))?.as_str() {
                "global" => Some(Optimum::Global),
                "local" => Some(Optimum::Local),
                other => {
                    return Err(self.err(
                        field("optimum"),
                        format!(
                            "expected \"global\" or \"local\", found \"{}\"",
                            clip(other)
                        ),
                    ))
                }
            },
        };
        let expect = match t.get("expect") {
            None => Expect::Pass,
            Some(v) => match self.string(v, &field("expect"))?.as_str() {
                "pass" => Expect::Pass,
                "fail" => Expect::Fail,
                other => {
                    return Err(self.err(
                        field("expect"),
                        format!("expected \"pass\" or \"fail\", found \"{}\"", clip(other)),
                    ))
                }
            },
        };
        Ok(CheckSpec {
            index: i,
            name,
            kind,
            alphas,
            mu,
            stop,
            tolerance,
            kkt_tolerance,
            window,
            support_of,
            point,
            optimum,
            expect,
        })
    }

    fn points(&self, v: &Value) -> Result<Vec<Vec<Rational>>, CaseError> {
        let rows = match v {
            Value::Array(rows) => rows,
            other => {
                return Err(self.err(
                    "data.points",
                    format!(
                        "expected an array of points (arrays of numbers), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        if rows.is_empty() {
            return Err(self.err(
                "data.points",
                "no points: the dataset needs at least one point",
            ));
        }
        let mut points = Vec::with_capacity(rows.len());
        let mut dim = 0;
        for (i, row) in rows.iter().enumerate() {
            let field = format!("data.points[{i}]");
            let entries = match row {
                Value::Array(entries) => entries,
                other => {
                    return Err(self.err(
                        field,
                        format!(
                            "expected an array of numbers (one point), found {}",
                            describe(other)
                        ),
                    ))
                }
            };
            if i == 0 {
                if entries.is_empty() {
                    return Err(self.err(
                        field,
                        "zero-dimensional point: each point needs at least one coordinate",
                    ));
                }
                dim = entries.len();
            } else if entries.len() != dim {
                return Err(self.err(
                    field,
                    format!(
                        "ragged rows: row {i} has {} but row 0 has {}",
                        count(entries.len(), "entry", "entries"),
                        count(dim, "entry", "entries")
                    ),
                ));
            }
            let point = entries
                .iter()
                .enumerate()
                .map(|(j, e)| self.number(e, &format!("data.points[{i}][{j}]")))
                .collect::<Result<Vec<_>, _>>()?;
            points.push(point);
        }
        Ok(points)
    }

    fn labels(&self, v: &Value, n_points: usize) -> Result<Vec<i32>, CaseError> {
        let items = match v {
            Value::Array(items) => items,
            other => {
                return Err(self.err(
                    "data.labels",
                    format!(
                        "expected an array of labels (+1 or -1), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        if items.len() != n_points {
            return Err(self.err(
                "data.labels",
                format!(
                    "{} for {}: need exactly one label (+1 or -1) per point",
                    count(items.len(), "label", "labels"),
                    count(n_points, "point", "points")
                ),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("data.labels[{i}]");
                match item {
                    Value::Integer(1) => Ok(1),
                    Value::Integer(-1) => Ok(-1),
                    Value::Integer(k) => {
                        Err(self.err(field, format!("label must be +1 or -1, found {k}")))
                    }
                    other => Err(self.err(
                        field,
                        format!("expected the integer +1 or -1, found {}", describe(other)),
                    )),
                }
            })
            .collect()
    }

    fn numerics(&self, t: &Table) -> Result<Numerics, CaseError> {
        self.check_unknown(t, "numerics", NUMERICS_FIELDS)?;
        let mut n = Numerics::default();
        if let Some(v) = t.get("precision") {
            let field = "numerics.precision";
            let p = self.integer(v, field, "an integer number of bits")?;
            if !(i64::from(MIN_PRECISION)..=i64::from(MAX_PRECISION)).contains(&p) {
                return Err(self.err(
                    field,
                    format!(
                        "precision must be between {MIN_PRECISION} and {MAX_PRECISION} bits, found {p}"
                    ),
                ));
            }
            n.precision = p as u32;
        }
        if let Some(v) = t.get("tolerance") {
            let field = "numerics.tolerance";
            let tol = self.number(v, field)?;
            if tol <= 0 || tol >= 1 {
                return Err(self.err(
                    field,
                    format!(
                        "tolerance must satisfy 0 < tolerance < 1, found {}",
                        shown_number(v)
                    ),
                ));
            }
            n.tolerance = tol;
        }
        if let Some(v) = t.get("stages") {
            let field = "numerics.stages";
            let s = self.integer(v, field, "an integer number of stages")?;
            if !(1..=MAX_STAGES as i64).contains(&s) {
                return Err(self.err(
                    field,
                    format!("stages must be between 1 and {MAX_STAGES}, found {s}"),
                ));
            }
            n.stages = Some(s as usize);
        }
        if let Some(v) = t.get("alpha") {
            let field = "numerics.alpha";
            let a = self.number(v, field)?;
            if a <= 0 {
                return Err(self.err(
                    field,
                    format!("alpha must be > 0, found {}", shown_number(v)),
                ));
            }
            n.alpha = Some(a);
        }
        Ok(n)
    }
}

/// The number as the user wrote it (for messages about its value).
fn shown_number(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", clip(s)),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => format!("{x:?}"),
        other => describe(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(c.numerics, Numerics::default());
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
