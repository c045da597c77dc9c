//! Data from files: `[data] file = "points.csv"` (a header naming the feature columns
//! and `label`, or `target` for a regression case; numbers read exactly, with the syntax
//! of the case file's strings) or `file = "X.npy"` with `labels_file = "y.npy"` (regression:
//! `targets_file`) (NumPy arrays: an N x d array of points and N labels or targets; floats
//! taken as the exact binary fractions they are). The files are
//! named relative to the case file's directory. An error names the file, the line or
//! element, the column and the reason.

use std::path::Path;

use rug::Rational;
use toml::{Table, Value};

use crate::case::npy;
use crate::case::reader::{clip, count, number_bits, Parser};
use crate::case::{CaseError, DataSource};
use crate::num::exact::parse_rational;
use crate::num::sha256_hex;

/// Where the data files a case names are read from.
#[derive(Clone, Copy, Debug)]
pub enum DataFiles<'a> {
    /// Nowhere: a case given as text alone cannot name data files.
    None,
    /// The directory of the case file (names are relative to it).
    Dir(&'a Path),
    /// Files read earlier (e.g. kept in a sweep), by name as the case gives it; `dir`
    /// is the case file's directory (for messages).
    Given {
        dir: &'a Path,
        files: &'a [(String, Vec<u8>)],
    },
}

impl DataFiles<'_> {
    /// The file `name`: the path to show in messages and its bytes.
    fn read(&self, name: &str) -> Result<(String, Vec<u8>), String> {
        match self {
            DataFiles::None => Err(format!(
                "cannot read data file \"{}\": a case given as text has no directory to read it from (load the case from its file)",
                clip(name)
            )),
            DataFiles::Dir(dir) => {
                let p = dir.join(name);
                let shown = p.display().to_string();
                std::fs::read(&p)
                    .map(|b| (shown.clone(), b))
                    .map_err(|e| format!("cannot read data file {shown}: {e}"))
            }
            DataFiles::Given { dir, files } => {
                let shown = dir.join(name).display().to_string();
                files
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, b)| (shown.clone(), b.clone()))
                    .ok_or_else(|| format!("data file {shown} is not among the files kept"))
            }
        }
    }
}

/// The names of the data files a case file's text names (`data.file`,
/// `data.labels_file`); none when the text does not parse (the parser reports it).
pub fn data_file_names(text: &str) -> Vec<String> {
    let Ok(top) = toml::from_str::<Table>(text) else {
        return Vec::new();
    };
    let Some(Value::Table(data)) = top.get("data") else {
        return Vec::new();
    };
    ["file", "labels_file", "targets_file"]
        .iter()
        .filter_map(|k| data.get(*k).and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The points with their labels (classification) or targets (regression).
pub(super) type Data = (Vec<Vec<Rational>>, Answers);

/// What goes with each point: a label (classification) or a target (regression).
pub(super) enum Answers {
    Labels(Vec<i32>),
    Targets(Vec<Rational>),
}

/// The names a task gives its data: (the CSV column, the npy field).
fn answer_names(regression: bool) -> (&'static str, &'static str) {
    if regression {
        ("target", "targets_file")
    } else {
        ("label", "labels_file")
    }
}

/// A label value: exactly +1 or -1.
fn label(q: &Rational) -> Result<i32, String> {
    if *q == 1 {
        Ok(1)
    } else if *q == -1 {
        Ok(-1)
    } else {
        Err(format!(
            "label must be +1 or -1, found {}",
            crate::case::reader::short(q)
        ))
    }
}

impl Parser<'_> {
    /// An error in the data file `file` at `location`.
    fn data_err(
        &self,
        file: &str,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> CaseError {
        CaseError::DataFile {
            origin: self.origin.to_string(),
            file: file.to_string(),
            location: location.into(),
            reason: reason.into(),
        }
    }

    /// The points and labels (targets for a regression case) of a `[data]` table that
    /// names a file.
    pub(super) fn data_file(
        &self,
        data: &Table,
        regression: bool,
    ) -> Result<(Data, DataSource), CaseError> {
        let (column, answers_file) = answer_names(regression);
        let answers_inline = if regression { "targets" } else { "labels" };
        for k in ["points", answers_inline] {
            if data.contains_key(k) {
                return Err(self.err(
                    format!("data.{k}"),
                    format!("give either data.file (the data from a file) or data.points and data.{answers_inline}, not both"),
                ));
            }
        }
        let name = self.string(self.required(data, "data", "file")?, "data.file")?;
        let format = match data.get("format") {
            Some(v) => match self.string(v, "data.format")?.as_str() {
                f @ ("csv" | "npy") => f.to_string(),
                f => {
                    return Err(self.err(
                        "data.format",
                        format!("expected \"csv\" or \"npy\", found \"{}\"", clip(f)),
                    ))
                }
            },
            None => match Path::new(&name).extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("csv") => "csv".to_string(),
                Some(e) if e.eq_ignore_ascii_case("npy") => "npy".to_string(),
                _ => {
                    return Err(self.err(
                        "data.file",
                        format!(
                            "cannot tell the format of \"{}\" from its extension: give data.format = \"csv\" or \"npy\"",
                            clip(&name)
                        ),
                    ))
                }
            },
        };
        let labels_name = match data.get(answers_file) {
            Some(v) => Some(self.string(v, &format!("data.{answers_file}"))?),
            None => None,
        };
        let read = |field: &str, name: &str| {
            self.files
                .read(name)
                .map_err(|reason| self.err(field, reason))
        };
        let (shown, bytes) = read("data.file", &name)?;
        let mut files = vec![(name.clone(), sha256_hex(&bytes))];
        let (data, description) = if format == "csv" {
            if labels_name.is_some() {
                return Err(self.err(
                    format!("data.{answers_file}"),
                    format!("a CSV data file holds its {answers_inline} in its `{column}` column ({answers_file} is for .npy points)"),
                ));
            }
            let data = self.csv(&shown, &bytes, regression)?;
            (
                data,
                format!("{name} (CSV, numbers read exactly as written)"),
            )
        } else {
            let Some(labels_name) = labels_name else {
                return Err(self.err(
                    format!("data.{answers_file}"),
                    if regression {
                        "missing required field: the targets of .npy points come from data.targets_file (a .npy array of N numbers)"
                    } else {
                        "missing required field: the labels of .npy points come from data.labels_file (a .npy array of N labels, +1 or -1)"
                    },
                ));
            };
            let (labels_shown, labels_bytes) = read(&format!("data.{answers_file}"), &labels_name)?;
            files.push((labels_name.clone(), sha256_hex(&labels_bytes)));
            let (points, kind) = self.npy_points(&shown, &bytes)?;
            let (labels, labels_kind) =
                self.npy_labels(&labels_shown, &labels_bytes, points.len(), regression)?;
            (
                (points, labels),
                format!("{name} ({kind}), {labels_name} ({labels_kind})"),
            )
        };
        Ok((data, DataSource { files, description }))
    }

    /// Points and labels (targets for a regression case) from CSV text.
    fn csv(&self, file: &str, bytes: &[u8], regression: bool) -> Result<Data, CaseError> {
        let (column, _) = answer_names(regression);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            self.data_err(
                file,
                format!("byte {}", e.valid_up_to() + 1),
                "not UTF-8 text (a CSV file is text)",
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let cells = |line: &str| -> Vec<String> {
            line.split(',')
                .map(|c| {
                    let c = c.trim();
                    c.strip_prefix('"')
                        .and_then(|c| c.strip_suffix('"'))
                        .unwrap_or(c)
                        .trim()
                        .to_string()
                })
                .collect()
        };
        let mut lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((h, header)) = lines.next() else {
            return Err(self.data_err(
                file,
                "line 1",
                format!("empty file: a header row (the feature columns and `{column}`) is needed"),
            ));
        };
        let at = |c: usize, names: &[String]| {
            format!("line {}, column {} (`{}`)", h + 1, c + 1, clip(&names[c]))
        };
        let names = cells(header);
        let mut label_col = None;
        let mut seen = std::collections::HashMap::new();
        for (c, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(self.data_err(
                    file,
                    at(c, &names),
                    "empty column name: the header names every column",
                ));
            }
            if !regression && n.eq_ignore_ascii_case("target") {
                return Err(self.data_err(file, at(c, &names), "a `target` column is regression data, but the case is a classification case: give task = \"regression\" in the case file for real-valued targets, or a `label` column of +1 and -1"));
            }
            if regression && n.eq_ignore_ascii_case("label") {
                return Err(self.data_err(file, at(c, &names), "a `label` column is classification data, but the case is a regression case (task = \"regression\"): give the real-valued targets in a `target` column"));
            }
            if n.eq_ignore_ascii_case(column) {
                if let Some(first) = label_col {
                    return Err(self.data_err(file, at(c, &names), format!("two {column} columns (columns {} and {}): give exactly one `{column}` column", first + 1, c + 1)));
                }
                label_col = Some(c);
            }
            if let Some(&first) = seen.get(n.as_str()) {
                return Err(self.data_err(
                    file,
                    at(c, &names),
                    format!(
                        "column name `{}` appears twice (columns {} and {})",
                        clip(n),
                        first + 1,
                        c + 1
                    ),
                ));
            }
            seen.insert(n.as_str(), c);
        }
        let Some(label_col) = label_col else {
            return Err(self.data_err(file, format!("line {}", h + 1), if regression {
                "no `target` column: the header names the feature columns and one column `target` (the real-valued targets)"
            } else {
                "no `label` column: the header names the feature columns and one column `label` (values +1 or -1)"
            }));
        };
        if names.len() == 1 {
            return Err(self.data_err(
                file,
                format!("line {}", h + 1),
                format!("no feature column: the header names at least one feature column besides `{column}`"),
            ));
        }
        let mut points = Vec::new();
        let mut labels = Vec::new();
        let mut targets = Vec::new();
        for (k, (i, line)) in lines.enumerate() {
            let row = cells(line);
            let where_ = |c: usize| {
                format!(
                    "line {} (data row {}), column {} (`{}`)",
                    i + 1,
                    k + 1,
                    c + 1,
                    clip(&names[c])
                )
            };
            if row.len() != names.len() {
                return Err(self.data_err(
                    file,
                    format!("line {} (data row {})", i + 1, k + 1),
                    format!(
                        "ragged row: {} but the header has {}",
                        count(row.len(), "cell", "cells"),
                        count(names.len(), "column", "columns")
                    ),
                ));
            }
            let mut point = Vec::with_capacity(names.len() - 1);
            for (c, cell) in row.iter().enumerate() {
                if cell.is_empty() {
                    return Err(self.data_err(
                        file,
                        where_(c),
                        "empty cell: every cell holds a number",
                    ));
                }
                let q = parse_rational(cell).map_err(|reason| {
                    let detail = reason.strip_prefix("not a number: ").unwrap_or(&reason);
                    self.data_err(
                        file,
                        where_(c),
                        format!("not a number \"{}\": {detail}", clip(cell)),
                    )
                })?;
                self.charge("data.file", number_bits(&q))?;
                if c == label_col && regression {
                    targets.push(q);
                } else if c == label_col {
                    labels.push(label(&q).map_err(|r| self.data_err(file, where_(c), r))?);
                } else {
                    point.push(q);
                }
            }
            points.push(point);
        }
        if points.is_empty() {
            return Err(self.data_err(
                file,
                format!("line {}", h + 1),
                "no data rows: the file has a header but no points",
            ));
        }
        let answers = if regression {
            Answers::Targets(targets)
        } else {
            Answers::Labels(labels)
        };
        Ok((points, answers))
    }

    /// An N x d array of points (`kind`: what the report says of its values).
    fn npy_points(
        &self,
        file: &str,
        bytes: &[u8],
    ) -> Result<(Vec<Vec<Rational>>, String), CaseError> {
        let a = npy::read(bytes).map_err(|r| self.data_err(file, "header", r))?;
        let &[n, d] = a.shape.as_slice() else {
            return Err(self.data_err(file, "header", format!("the points array has shape {:?}: expected 2 dimensions (N points, d coordinates)", a.shape)));
        };
        if n == 0 {
            return Err(self.data_err(file, "header", "no points: the array has 0 rows"));
        }
        if d == 0 {
            return Err(self.data_err(
                file,
                "header",
                "zero-dimensional points: the array has 0 columns",
            ));
        }
        let mut points = Vec::with_capacity(n);
        for i in 0..n {
            let mut p = Vec::with_capacity(d);
            for j in 0..d {
                let q = a.get(&[i, j]).map_err(|r| {
                    self.data_err(
                        file,
                        format!("element [{i}, {j}] (row {i}, column {j}, counted from 0)"),
                        r,
                    )
                })?;
                self.charge("data.file", number_bits(&q))?;
                p.push(q);
            }
            points.push(p);
        }
        Ok((points, kind(a.dtype)))
    }

    /// N labels: an array of shape (N,) or (N, 1) of +1 and -1 (regression: N targets,
    /// any finite numbers).
    fn npy_labels(
        &self,
        file: &str,
        bytes: &[u8],
        n: usize,
        regression: bool,
    ) -> Result<(Answers, String), CaseError> {
        let what = if regression { "targets" } else { "labels" };
        let one = if regression { "target" } else { "label" };
        let a = npy::read(bytes).map_err(|r| self.data_err(file, "header", r))?;
        let column = match a.shape.as_slice() {
            &[m] | &[m, 1] if m == n => a.shape.len() == 2,
            _ => {
                return Err(self.data_err(
                    file,
                    "header",
                    format!(
                        "the {what} array has shape {:?}: expected ({n},), one {one} per point",
                        a.shape
                    ),
                ))
            }
        };
        let value = |i: usize| {
            let index: &[usize] = if column { &[i, 0] } else { &[i] };
            a.get(index)
                .map_err(|r| self.data_err(file, format!("element [{i}] (counted from 0)"), r))
        };
        let answers = if regression {
            let mut targets = Vec::with_capacity(n);
            for i in 0..n {
                let q = value(i)?;
                self.charge("data.file", number_bits(&q))?;
                targets.push(q);
            }
            Answers::Targets(targets)
        } else {
            Answers::Labels(
                (0..n)
                    .map(|i| {
                        value(i).and_then(|q| {
                            label(&q).map_err(|r| {
                                self.data_err(file, format!("element [{i}] (counted from 0)"), r)
                            })
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
        };
        Ok((answers, kind(a.dtype)))
    }
}

/// What a report says of the values of an array of `dtype`.
fn kind(dtype: npy::Dtype) -> String {
    if dtype.kind == 'f' {
        format!(
            "{}: values taken as the exact binary fractions they are",
            dtype.name()
        )
    } else {
        format!("{}: exact", dtype.name())
    }
}
