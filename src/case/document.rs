//! The top level of a case file: the format version, name, description and
//! depth, the `[data]` table (points and labels) and the optional
//! `[numerics]` table. The `[[check]]` tables are read in `checks.rs`.

use rug::Rational;
use toml::{Table, Value};

use crate::case::datafile::Answers;
use crate::case::reader::{count, describe, short, shown_number, Parser};
use crate::case::{
    Case, CaseError, NumericsTable, Task, FORMAT_VERSION, MAX_PRECISION, MAX_STAGES, MIN_PRECISION,
};
use crate::model::{MAX_DEPTH, MIN_DEPTH};

const TOP_FIELDS: &[&str] = &[
    "format",
    "name",
    "description",
    "depth",
    "task",
    "loss",
    "data",
    "numerics",
    "check",
];
const DATA_FIELDS: &[&str] = &[
    "points",
    "labels",
    "targets",
    "file",
    "labels_file",
    "targets_file",
    "format",
];
const NUMERICS_FIELDS: &[&str] = &["precision", "tolerance", "stages", "alpha", "digits"];

impl Parser<'_> {
    pub(super) fn case(&self, top: &Table) -> Result<Case, CaseError> {
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
        if depth < i64::from(MIN_DEPTH) {
            return Err(self.err(
                "depth",
                format!("depth must be an integer >= {MIN_DEPTH}, found {depth}"),
            ));
        }
        if depth > i64::from(MAX_DEPTH) {
            return Err(self.err(
                "depth",
                format!("depth {depth} is too large (at most {MAX_DEPTH})"),
            ));
        }
        let depth = depth as u32;
        let task = match top.get("task") {
            None => Task::Classification,
            Some(v) => match self.string(v, "task")?.as_str() {
                "classification" => Task::Classification,
                "regression" => Task::Regression,
                other => {
                    return Err(self.err(
                        "task",
                        format!(
                            "expected \"classification\" or \"regression\", found \"{}\"",
                            crate::case::reader::clip(other)
                        ),
                    ))
                }
            },
        };
        let regression = task == Task::Regression;
        let loss = match top.get("loss") {
            None => crate::flow::Loss::Exp,
            Some(_) if regression => {
                return Err(self.err(
                    "loss",
                    "a regression case (task = \"regression\") is trained with the square loss: `loss` (exp or logistic) is for classification cases",
                ))
            }
            Some(v) => self.loss(v, "loss")?,
        };

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
        // the fields of the other task
        let foreign: &[(&str, &str)] = if regression {
            &[
                ("labels", "labels (+1 or -1) are for classification cases: a regression case (task = \"regression\") gives real-valued data.targets, one per point"),
                ("labels_file", "labels are for classification cases: the targets of a regression case's .npy points come from data.targets_file"),
            ]
        } else {
            &[
                ("targets", "targets are for regression cases: give task = \"regression\" for real-valued targets, or data.labels (+1 or -1) for classification"),
                ("targets_file", "targets are for regression cases: give task = \"regression\" for real-valued targets, or data.labels_file (+1 or -1) for classification"),
            ]
        };
        for (key, why) in foreign {
            if data.contains_key(*key) {
                return Err(self.err(format!("data.{key}"), *why));
            }
        }
        let ((points, answers), data_source) = if ["file", "labels_file", "targets_file", "format"]
            .iter()
            .any(|k| data.contains_key(*k))
        {
            let (data, source) = self.data_file(data, regression)?;
            (data, Some(source))
        } else {
            let points = self.points(self.required(data, "data", "points")?)?;
            let answers = if regression {
                Answers::Targets(
                    self.targets(self.required(data, "data", "targets")?, points.len())?,
                )
            } else {
                Answers::Labels(self.labels(self.required(data, "data", "labels")?, points.len())?)
            };
            ((points, answers), None)
        };
        let (labels, targets) = match answers {
            Answers::Labels(l) => (l, Vec::new()),
            Answers::Targets(t) => (Vec::new(), t),
        };
        if regression {
            let field = if data_source.is_some() {
                "data.file"
            } else {
                "data.targets"
            };
            self.interpolable(&points, &targets, field)?;
        }

        let numerics = match top.get("numerics") {
            None => NumericsTable::default(),
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
                .map(|(i, v)| {
                    self.check(
                        i,
                        v,
                        depth,
                        points[0].len(),
                        loss,
                        regression.then_some((&points[..], &targets[..])),
                    )
                })
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
            task,
            labels,
            targets,
            loss,
            numerics,
            checks,
            data_source,
        })
    }

    /// A `loss` field: "exp" or "logistic".
    pub(super) fn loss(&self, v: &Value, field: &str) -> Result<crate::flow::Loss, CaseError> {
        let s = self.string(v, field)?;
        crate::flow::Loss::parse(&s).ok_or_else(|| {
            self.err(
                field,
                format!(
                    "expected \"exp\" or \"logistic\", found \"{}\"",
                    crate::case::reader::clip(&s)
                ),
            )
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

    /// The targets of a regression case: one exact number per point.
    fn targets(&self, v: &Value, n_points: usize) -> Result<Vec<Rational>, CaseError> {
        let items = match v {
            Value::Array(items) => items,
            other => {
                return Err(self.err(
                    "data.targets",
                    format!(
                        "expected an array of targets (numbers), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        if items.len() != n_points {
            return Err(self.err(
                "data.targets",
                format!(
                    "{} for {}: need exactly one target per point",
                    count(items.len(), "target", "targets"),
                    count(n_points, "point", "points")
                ),
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.number(item, &format!("data.targets[{i}]")))
            .collect()
    }

    /// Refuses regression data that no w interpolates (X^T w = y has no solution), with
    /// the exact certificate: a combination of the points that vanishes while the same
    /// combination of the targets does not (docs/math.md §13.1).
    fn interpolable(
        &self,
        points: &[Vec<Rational>],
        targets: &[Rational],
        field: &str,
    ) -> Result<(), CaseError> {
        use crate::reference::regression::{point_basis, RegressionError};
        match point_basis(points, targets) {
            Ok(_) => Ok(()),
            Err(RegressionError::NotInterpolable { v, vy }) => {
                // the combination with coprime integer coefficients
                let mut den = rug::Integer::from(1);
                for q in &v {
                    den.lcm_mut(q.denom());
                }
                let ints: Vec<rug::Integer> = v
                    .iter()
                    .map(|q| q.numer().clone() * (den.clone() / q.denom()))
                    .collect();
                let mut g = rug::Integer::new();
                for k in &ints {
                    g.gcd_mut(k);
                }
                if g == 0 {
                    g = rug::Integer::from(1);
                }
                // the first coefficient positive
                if ints.iter().find(|k| **k != 0).is_some_and(|k| *k < 0) {
                    g = -g;
                }
                let scale = Rational::from((den, g.clone()));
                let terms = |sym: &str| -> String {
                    let mut out = String::new();
                    for (n, k) in ints.iter().enumerate() {
                        if *k == 0 {
                            continue;
                        }
                        let k = rug::Integer::from(k / &g);
                        let mag = rug::Integer::from(k.abs_ref());
                        let sign = if k < 0 { "-" } else { "+" };
                        if out.is_empty() {
                            if k < 0 {
                                out.push('-');
                            }
                        } else {
                            out += &format!(" {sign} ");
                        }
                        if mag != 1 {
                            out += &format!("{mag} ");
                        }
                        out += &format!("{sym}_{n}");
                    }
                    out
                };
                let combo = Rational::from(&vy * &scale);
                let used: Vec<String> = ints
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| **k != 0)
                    .map(|(n, _)| n.to_string())
                    .collect();
                Err(self.err(
                    field,
                    format!(
                        "not interpolable: no w has x_n^T w = y_n for every point (X^T w = y has no solution): the points {} (counted from 0) are linearly dependent, {} = 0, but the same combination of the targets is {} = {} != 0",
                        used.join(", "),
                        terms("x"),
                        terms("y"),
                        short(&combo)
                    ),
                ))
            }
        }
    }

    fn numerics(&self, t: &Table) -> Result<NumericsTable, CaseError> {
        self.check_unknown(t, "numerics", NUMERICS_FIELDS)?;
        let mut n = NumericsTable::default();
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
        if let Some(v) = t.get("digits") {
            let field = "numerics.digits";
            let k = self.integer(v, field, "an integer number of digits")?;
            let given: Vec<&str> = ["precision", "tolerance", "stages"]
                .into_iter()
                .filter(|f| t.contains_key(*f))
                .collect();
            if !given.is_empty() {
                return Err(self.err(
                    field,
                    format!(
                        "digits chooses the precision, tolerance and stages: give either digits or {}, not both",
                        given.join(", ")
                    ),
                ));
            }
            let ok = u32::try_from(k).is_ok_and(|k| n.ask_digits(k));
            if !ok {
                return Err(self.err(
                    field,
                    format!(
                        "digits must be at least 1 and reachable within the precision cap of {MAX_PRECISION} bits (about 301000 digits), found {k}"
                    ),
                ));
            }
        }
        Ok(n)
    }
}
