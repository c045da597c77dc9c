//! The `[[check]]` tables of a case file, read into [`CheckSpec`]s: the
//! fields every check has (name, kind, alphas, mu, stopping rule,
//! tolerances, window) and the fields that belong to one kind only
//! (`support_of`, `point`, `optimum`), plus `expect`.

use rug::Rational;
use toml::{Table, Value};

use crate::case::reader::{clip, describe, short, Parser};
use crate::case::spec::{CheckKind, CheckSpec, Expect, KindSpec, Optimum, SupportOf, Theorem2};
use crate::case::CaseError;
use crate::rule::{Expr, Var};

/// The window of a condition5 check that gives none: from gt* = alpha^D / log(alpha).
const DEFAULT_WINDOW: &str = "alpha^D / log(alpha)";

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
    "loss",
    "eps",
];

/// The fields a regression check takes (its other fields belong to the flow's checks).
const REGRESSION_CHECK_FIELDS: &[&str] = &["name", "kind", "alphas", "tolerance", "eps", "expect"];

/// The data of a regression case: points and targets.
type RegressionData<'a> = (&'a [Vec<Rational>], &'a [Rational]);

/// One `[[check]]` table being read: its fields and the prefix that names
/// it in error messages (`check[i] (name)`).
struct CheckTable<'t> {
    t: &'t Table,
    prefix: String,
}

impl CheckTable<'_> {
    /// The path of field `f` of this check.
    fn field(&self, f: &str) -> String {
        format!("{}.{f}", self.prefix)
    }
}

impl Parser<'_> {
    /// One `[[check]]` table; errors name it as `check[i]` (with its name when known).
    pub(super) fn check(
        &self,
        i: usize,
        v: &Value,
        depth: u32,
        dim: usize,
        case_loss: crate::flow::Loss,
        regression: Option<RegressionData>,
    ) -> Result<CheckSpec, CaseError> {
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
        let c = CheckTable {
            t,
            prefix: format!("check[{i}] ({})", clip(&name)),
        };
        // the fields every check has
        let tag = self.check_kind(&c)?;
        match (regression, tag.is_regression()) {
            (Some(data), true) => return self.regression_check(&c, i, name, tag, depth, data),
            (Some(_), false) => {
                return Err(self.err(
                    c.field("kind"),
                    format!(
                        "a regression case (task = \"regression\") takes the checks regression-kernel, regression-rich and regression-limit; \"{}\" is a classification check",
                        tag.name()
                    ),
                ))
            }
            (None, true) => {
                return Err(self.err(
                    c.field("kind"),
                    format!(
                        "{} checks are for regression cases (task = \"regression\" with data.targets); this case is a classification case",
                        tag.name()
                    ),
                ))
            }
            (None, false) => {}
        }
        if c.t.contains_key("eps") {
            return Err(self.err(
                c.field("eps"),
                format!(
                    "only regression-kernel and regression-rich checks take `eps` (this check is {})",
                    tag.name()
                ),
            ));
        }
        let alphas = self.check_alphas(&c, None)?;
        let mu = self.check_mu(&c)?;
        let stop = self.check_stop(&c, tag, &alphas, depth, mu.as_ref())?;
        let tolerance = self.check_tolerance(&c, "tolerance")?;
        // the fields that belong to one kind only
        self.check_kind_only_fields(&c, tag)?;
        let kind = match tag {
            CheckKind::Kernel => KindSpec::Kernel,
            CheckKind::Rich => KindSpec::Rich,
            CheckKind::Bounds => KindSpec::Bounds,
            CheckKind::Transition => KindSpec::Transition {
                mu: self.kind_mu(&c, tag, mu.as_ref())?,
                kkt_tolerance: match c.t.get("kkt_tolerance") {
                    None => None,
                    Some(_) => Some(self.check_tolerance(&c, "kkt_tolerance")?),
                },
            },
            CheckKind::Condition5 => KindSpec::Condition5 {
                mu: self.kind_mu(&c, tag, mu.as_ref())?,
                window: self.check_window(&c)?,
                support_of: self.check_support_of(&c)?,
            },
            CheckKind::Limit => KindSpec::Limit {
                point: self.check_point(&c, dim)?,
                optimum: self.check_optimum(&c)?,
            },
            CheckKind::RegressionKernel
            | CheckKind::RegressionRich
            | CheckKind::RegressionLimit => {
                unreachable!("regression kinds are read by regression_check")
            }
        };
        let expect = self.check_expect(&c)?;
        let loss = match c.t.get("loss") {
            None => case_loss,
            Some(v) => self.loss(v, &c.field("loss"))?,
        };
        if tag == CheckKind::Bounds && loss != crate::flow::Loss::Exp {
            return Err(self.err(
                c.field("loss"),
                "the path bounds (Lemma 3, Lemma 11/13) are derived for the exp-loss; a bounds check cannot be run with the logistic loss (docs/checks.md)".to_string(),
            ));
        }
        Ok(CheckSpec {
            index: i,
            name,
            kind,
            alphas,
            mu,
            stop,
            tolerance,
            expect,
            loss,
        })
    }

    /// mu for a kind that needs it (the stopping rule's check already asked for it).
    fn kind_mu(
        &self,
        c: &CheckTable,
        tag: CheckKind,
        mu: Option<&Rational>,
    ) -> Result<Rational, CaseError> {
        mu.cloned().ok_or_else(|| {
            self.err(
                c.field("mu"),
                format!("missing: a {} check needs mu", tag.name()),
            )
        })
    }

    /// A regression-kernel, regression-rich or regression-limit check: alphas (numbers,
    /// or "theorem2" for Theorem 2's own alpha), tolerance, optional eps (Theorem 2,
    /// D = 2; not for regression-limit), expect.
    fn regression_check(
        &self,
        c: &CheckTable,
        i: usize,
        name: String,
        tag: CheckKind,
        depth: u32,
        (points, targets): RegressionData,
    ) -> Result<CheckSpec, CaseError> {
        for key in c.t.keys() {
            if !REGRESSION_CHECK_FIELDS.contains(&key.as_str()) {
                let what = if tag == CheckKind::RegressionLimit {
                    "integrates the square-loss flow to its limit (t -> infinity, the tail bound) and compares it with argmin Q^D_alpha s.t. X^T w = y"
                } else {
                    "evaluates the limit of the flow (argmin Q^D_alpha s.t. X^T w = y, no integration)"
                };
                return Err(self.err(
                    c.field(key),
                    format!(
                        "a {} check {what} and takes only {}; `{key}` is a field of the classification checks",
                        tag.name(),
                        REGRESSION_CHECK_FIELDS.join(", ")
                    ),
                ));
            }
        }
        let rich = tag == CheckKind::RegressionRich;
        let d = points[0].len();
        let theorem2 = match c.t.get("eps") {
            None => None,
            Some(_) if tag == CheckKind::RegressionLimit => {
                return Err(self.err(
                    c.field("eps"),
                    "only regression-kernel and regression-rich checks take `eps` (Theorem 2); a regression-limit check compares the flow's limit with argmin Q^D_alpha at each alpha",
                ))
            }
            Some(v) => {
                let eps = self.number(v, &c.field("eps"))?;
                if eps <= 0 || eps >= d {
                    return Err(self.err(
                        c.field("eps"),
                        format!("Theorem 2 needs 0 < eps < d = {d}, found {}", short(&eps)),
                    ));
                }
                if depth != 2 {
                    return Err(self.err(
                        c.field("eps"),
                        format!(
                            "Theorem 2 (Woodworth et al. 2020) is stated for D = 2 (Q_alpha with q(z) = 2 - sqrt(4 + z^2) + z asinh(z/2)); this case has depth {depth}: leave out eps (the {} metric is checked at any depth)",
                            tag.name()
                        ),
                    ));
                }
                Some(self.theorem2(c, eps, rich, points, targets)?)
            }
        };
        let alphas = self.check_alphas(c, theorem2.as_ref().map(|t| &t.bound))?;
        let tolerance = self.check_tolerance(c, "tolerance")?;
        let expect = self.check_expect(c)?;
        let stop = self.rule(tag.default_stop(), &c.field("kind"), "stopping rule")?;
        Ok(CheckSpec {
            index: i,
            name,
            kind: match tag {
                CheckKind::RegressionRich => KindSpec::RegressionRich { theorem2 },
                CheckKind::RegressionLimit => KindSpec::RegressionLimit,
                _ => KindSpec::RegressionKernel { theorem2 },
            },
            alphas,
            mu: None,
            stop,
            tolerance,
            expect,
            loss: crate::flow::Loss::Exp,
        })
    }

    /// Theorem 2's bound on alpha for this check's statement (l1 for rich, l2 for
    /// kernel), from the exact minimum norms of the data.
    fn theorem2(
        &self,
        c: &CheckTable,
        eps: Rational,
        rich: bool,
        points: &[Vec<Rational>],
        targets: &[Rational],
    ) -> Result<Theorem2, CaseError> {
        use crate::reference::regression::{min_l1_interpolator, min_l2_interpolator, theorem2};
        let fail = |e: String| self.err(c.field("eps"), e);
        let ln_b = if rich {
            let s = min_l1_interpolator(points, targets).map_err(|e| fail(e.to_string()))?;
            if s.norm1 == 0 {
                return Err(fail(
                    "the targets are all zero (w = 0 interpolates): Theorem 2 has nothing to bound"
                        .to_string(),
                ));
            }
            theorem2::ln_l1_bound(&eps, &s.norm1, points[0].len())
        } else {
            let s = min_l2_interpolator(points, targets).map_err(|e| fail(e.to_string()))?;
            if s.norm2_sq == 0 {
                return Err(fail(
                    "the targets are all zero (w = 0 interpolates): Theorem 2 has nothing to bound"
                        .to_string(),
                ));
            }
            theorem2::ln_l2_bound(&eps, &s.norm2_sq)
        };
        let (bound, log10_bound) =
            theorem2::decimal_bound(&ln_b, !rich).map_err(|e| fail(format!("Theorem 2: {e}")))?;
        Ok(Theorem2 {
            eps,
            bound,
            log10_bound,
        })
    }

    fn check_kind(&self, c: &CheckTable) -> Result<CheckKind, CaseError> {
        let kind_s = self.string(self.required(c.t, &c.prefix, "kind")?, &c.field("kind"))?;
        CheckKind::parse(&kind_s).ok_or_else(|| {
            self.err(
                c.field("kind"),
                format!("unknown check kind \"{}\" (known kinds: kernel, transition, rich, bounds, condition5, limit, regression-kernel, regression-rich, regression-limit)", clip(&kind_s)),
            )
        })
    }

    /// The alphas: a non-empty, strictly increasing list of positive numbers. A
    /// regression check with `eps` may write "theorem2" for `theorem2`, Theorem 2's alpha.
    fn check_alphas(
        &self,
        c: &CheckTable,
        theorem2: Option<&Rational>,
    ) -> Result<Vec<Rational>, CaseError> {
        let prefix = &c.prefix;
        let alphas = match self.required(c.t, prefix, "alphas")? {
            Value::Array(a) if a.is_empty() => {
                return Err(self.err(c.field("alphas"), "the list of alphas is empty"))
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(k, x)| match (x, theorem2) {
                    (Value::String(s), Some(b)) if s.trim() == "theorem2" => Ok(b.clone()),
                    (Value::String(s), None) if s.trim() == "theorem2" => Err(self.err(
                        format!("{prefix}.alphas[{k}]"),
                        "\"theorem2\" (the alpha of Theorem 2's bound) needs a regression-kernel or regression-rich check with `eps`",
                    )),
                    _ => self.number(x, &format!("{prefix}.alphas[{k}]")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            other => {
                return Err(self.err(
                    c.field("alphas"),
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
                    c.field("alphas"),
                    format!(
                        "alphas must be strictly increasing: alphas[{k}] = {} follows {}",
                        short(a),
                        short(&alphas[k - 1])
                    ),
                ));
            }
        }
        Ok(alphas)
    }

    fn check_mu(&self, c: &CheckTable) -> Result<Option<Rational>, CaseError> {
        match c.t.get("mu") {
            None => Ok(None),
            Some(v) => {
                let m = self.number(v, &c.field("mu"))?;
                if m <= 0 {
                    return Err(self.err(
                        c.field("mu"),
                        format!("mu must be positive, found {}", short(&m)),
                    ));
                }
                Ok(Some(m))
            }
        }
    }

    /// The stopping rule (or the kind's default): it must parse, have mu
    /// when it (or the kind) needs it, be increasing in alpha on the alphas
    /// and give gt > 0 at each of them.
    fn check_stop(
        &self,
        c: &CheckTable,
        kind: CheckKind,
        alphas: &[Rational],
        depth: u32,
        mu: Option<&Rational>,
    ) -> Result<Expr, CaseError> {
        let stop_text = match c.t.get("stop") {
            None if kind == CheckKind::Limit => {
                return Err(self.err(
                    c.field("stop"),
                    "missing: a limit check needs a stopping rule (the accuracy gt(alpha) at which w_hat is compared with the point)",
                ))
            }
            None => kind.default_stop().to_string(),
            Some(v) => self.string(v, &c.field("stop"))?,
        };
        let stop = self.rule(&stop_text, &c.field("stop"), "stopping rule")?;
        // Parsed, so at most MAX_LEN characters; still quoted in excerpt.
        let stop_text = clip(&stop_text);
        if mu.is_none() && (kind.needs_mu() || stop.uses(Var::Mu)) {
            return Err(self.err(
                c.field("mu"),
                format!(
                    "missing: the {} check with stopping rule \"{stop_text}\" needs mu",
                    kind.name()
                ),
            ));
        }
        match stop.increasing_on(alphas, depth, mu, 128) {
            Ok(true) => {}
            Ok(false) => {
                return Err(self.err(
                    c.field("stop"),
                    format!(
                    "stopping rule \"{stop_text}\" is not increasing in alpha on the listed alphas"
                ),
                ))
            }
            Err(e) => {
                return Err(self.err(
                    c.field("stop"),
                    format!(
                    "stopping rule \"{stop_text}\" cannot be evaluated on the listed alphas: {e}"
                ),
                ))
            }
        }
        for (k, a) in alphas.iter().enumerate() {
            let g = stop.eval(a, depth, mu, 128).map_err(|e| {
                self.err(
                    c.field("stop"),
                    format!("at alphas[{k}] = {}: {e}", short(a)),
                )
            })?;
            if !g.is_sign_positive() || g.is_zero() {
                return Err(self.err(
                    c.field("stop"),
                    format!(
                        "stopping rule \"{stop_text}\" gives gt <= 0 at alphas[{k}] = {}",
                        short(a)
                    ),
                ));
            }
        }
        Ok(stop)
    }

    /// A positive number at `key` (`tolerance`, `kkt_tolerance`), required.
    fn check_tolerance(&self, c: &CheckTable, key: &str) -> Result<Rational, CaseError> {
        let v =
            c.t.get(key)
                .ok_or_else(|| self.err(c.field(key), "missing required field"))?;
        let x = self.number(v, &c.field(key))?;
        if x <= 0 {
            return Err(self.err(
                c.field(key),
                format!("must be positive, found {}", short(&x)),
            ));
        }
        Ok(x)
    }

    /// The window rule of a condition5 check (default `alpha^D / log(alpha)`).
    fn check_window(&self, c: &CheckTable) -> Result<Expr, CaseError> {
        let text = match c.t.get("window") {
            None => DEFAULT_WINDOW.to_string(),
            Some(v) => self.string(v, &c.field("window"))?,
        };
        self.rule(&text, &c.field("window"), "window rule")
    }

    /// Rejects the fields that belong to another kind of check.
    fn check_kind_only_fields(&self, c: &CheckTable, kind: CheckKind) -> Result<(), CaseError> {
        for (key, owner) in [
            ("kkt_tolerance", CheckKind::Transition),
            ("window", CheckKind::Condition5),
            ("support_of", CheckKind::Condition5),
            ("point", CheckKind::Limit),
            ("optimum", CheckKind::Limit),
        ] {
            if c.t.contains_key(key) && kind != owner {
                return Err(self.err(
                    c.field(key),
                    format!(
                        "only {} checks take `{key}` (this check is {})",
                        owner.name(),
                        kind.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `support_of` (condition5 only): `w_mu` (default) or `flow`.
    fn check_support_of(&self, c: &CheckTable) -> Result<SupportOf, CaseError> {
        match c.t.get("support_of") {
            None => Ok(SupportOf::WMu),
            Some(v) => match self.string(v, &c.field("support_of"))?.as_str() {
                "w_mu" => Ok(SupportOf::WMu),
                "flow" => Ok(SupportOf::Flow),
                other => Err(self.err(
                    c.field("support_of"),
                    format!("expected \"w_mu\" or \"flow\", found \"{}\"", clip(other)),
                )),
            },
        }
    }

    /// `point` (limit only, and required there): d exact numbers.
    fn check_point(&self, c: &CheckTable, dim: usize) -> Result<Vec<Rational>, CaseError> {
        match c.t.get("point") {
            None => Err(self.err(c.field("point"), "missing required field")),
            Some(Value::Array(a)) => {
                if a.len() != dim {
                    return Err(self.err(
                        c.field("point"),
                        format!(
                            "the point has {} entries but the data points have d = {dim}",
                            a.len()
                        ),
                    ));
                }
                let prefix = &c.prefix;
                a.iter()
                    .enumerate()
                    .map(|(k, x)| self.number(x, &format!("{prefix}.point[{k}]")))
                    .collect()
            }
            Some(other) => Err(self.err(
                c.field("point"),
                format!("expected an array of numbers, found {}", describe(other)),
            )),
        }
    }

    /// `optimum` (limit only): `global` or `local`.
    fn check_optimum(&self, c: &CheckTable) -> Result<Option<Optimum>, CaseError> {
        match c.t.get("optimum") {
            None => Ok(None),
            Some(v) => match self.string(v, &c.field("optimum"))?.as_str() {
                "global" => Ok(Some(Optimum::Global)),
                "local" => Ok(Some(Optimum::Local)),
                other => Err(self.err(
                    c.field("optimum"),
                    format!(
                        "expected \"global\" or \"local\", found \"{}\"",
                        clip(other)
                    ),
                )),
            },
        }
    }

    /// `expect`: `pass` (default) or `fail`.
    fn check_expect(&self, c: &CheckTable) -> Result<Expect, CaseError> {
        match c.t.get("expect") {
            None => Ok(Expect::Pass),
            Some(v) => match self.string(v, &c.field("expect"))?.as_str() {
                "pass" => Ok(Expect::Pass),
                "fail" => Ok(Expect::Fail),
                other => Err(self.err(
                    c.field("expect"),
                    format!("expected \"pass\" or \"fail\", found \"{}\"", clip(other)),
                )),
            },
        }
    }
}
