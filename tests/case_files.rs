//! Data from files (`[data] file = ...`): a CSV file and NumPy `.npy` arrays give the
//! very case the same data in TOML give; float64 values are the exact binary fractions
//! they are; `run` and `check` work on them end to end; the data files are part of the
//! job ids, of checkpoints and of sweeps (a merge needs no data file); a bad data file
//! is refused with exit 2, naming the file, the line or element, the column and why.
//! Tier 1: every job is tiny.

mod common;

use common::{assert_bad, ok_stdout, run, temp_dir, temp_file, TempPath};
use ibcert::case::Case;
use rug::Rational;
use std::path::Path;

const HEAD: &str = "format = 1\nname = \"files\"\ndepth = 2\n";
const TAIL: &str = "[numerics]\nprecision = 128\ntolerance = \"1e-20\"\n[[check]]\nname = \"rich\"\nkind = \"rich\"\nstop = \"alpha^(2*D)\"\nalphas = [2]\ntolerance = \"0.5\"\n";
/// The data, dyadic (so that float64 holds them exactly).
const TOML_DATA: &str =
    "[data]\npoints = [[1, \"0.5\"], [\"-0.25\", -1], [\"1.5\", \"0.75\"]]\nlabels = [1, -1, 1]\n";
const CSV: &str = "x1,x2,label\n1,0.5,1\n-0.25,-1,-1\n1.5,0.75,1\n";
const POINTS: [[f64; 2]; 3] = [[1.0, 0.5], [-0.25, -1.0], [1.5, 0.75]];
const LABELS: [i64; 3] = [1, -1, 1];

/// A `.npy` file (format 1.0) of `descr` and `shape` holding `data`.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend(data);
    b
}

fn f8(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn i8s(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A directory with `case.toml` (HEAD + `data` + TAIL) and the given files.
/// (The directory is removed when the returned guard is dropped.)
fn case_dir(tag: &str, data: &str, files: &[(&str, &[u8])]) -> TempPath {
    let case = temp_file(tag, "case.toml", &format!("{HEAD}{data}{TAIL}"));
    let dir = case.parent().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    case
}

fn npy_files() -> Vec<(&'static str, Vec<u8>)> {
    let flat: Vec<f64> = POINTS.iter().flatten().copied().collect();
    vec![
        ("X.npy", npy("<f8", "(3, 2)", &f8(&flat))),
        ("y.npy", npy("<i8", "(3,)", &i8s(&LABELS))),
    ]
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn csv_and_npy_give_the_case_the_toml_gives() {
    let toml = Case::load(&case_dir("cf-toml", TOML_DATA, &[])).unwrap();
    assert_eq!(toml.data_source, None);
    let csv = Case::load(&case_dir(
        "cf-csv",
        "[data]\nfile = \"points.csv\"\n",
        &[("points.csv", CSV.as_bytes())],
    ))
    .unwrap();
    let files = npy_files();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let npy = Case::load(&case_dir(
        "cf-npy",
        "[data]\nfile = \"X.npy\"\nlabels_file = \"y.npy\"\n",
        &refs,
    ))
    .unwrap();
    for c in [&csv, &npy] {
        assert_eq!(c.points, toml.points);
        assert_eq!(c.labels, toml.labels);
        assert_eq!(c.checks, toml.checks);
        assert_eq!(c.numerics, toml.numerics);
    }
    assert_eq!(csv.points[1][0], Rational::from((-1, 4)));
    let d = csv.data_source.unwrap();
    assert_eq!(d.files[0].0, "points.csv");
    assert!(d.description.contains("CSV"), "{}", d.description);
    let d = npy.data_source.unwrap();
    assert_eq!(d.files.len(), 2);
    assert!(
        d.description
            .contains("X.npy (float64: values taken as the exact binary fractions they are)"),
        "{}",
        d.description
    );
    assert!(d.description.contains("y.npy (int64: exact)"));
    // the same text without a case file has no directory to read data files from
    let text = format!("{HEAD}[data]\nfile = \"points.csv\"\n{TAIL}");
    let e = Case::from_toml_str(&text, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.toml: data.file: cannot read data file"),
        "{e}"
    );
}

#[test]
fn float64_values_are_the_exact_binary_fractions_they_are() {
    let case = case_dir(
        "cf-f64",
        "[data]\nfile = \"X.npy\"\nlabels_file = \"y.npy\"\n",
        &[
            ("X.npy", &npy("<f8", "(2, 1)", &f8(&[0.1, -3.0]))),
            ("y.npy", &npy("<f8", "(2, 1)", &f8(&[1.0, -1.0]))),
        ],
    );
    let c = Case::load(&case).unwrap();
    assert_eq!(
        c.points[0][0],
        Rational::from((3602879701896397u64, 36028797018963968u64))
    );
    assert_eq!(c.points[1][0], -3);
    assert_eq!(c.labels, [1, -1]);
    // the run report says so
    let o = run(&[
        "run",
        s(&case),
        "--alpha",
        "1/2",
        "--gt",
        "10",
        "--no-verify",
    ]);
    let out = ok_stdout(&o);
    assert!(
        out.contains("data            X.npy (float64: values taken as the exact binary fractions they are), y.npy (float64: values taken as the exact binary fractions they are)"),
        "{out}"
    );
}

/// The JSON report without its `case` (path and data source differ).
fn without_case(o: &std::process::Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&ok_stdout(o)).unwrap();
    v.as_object_mut().unwrap().remove("case");
    v
}

#[test]
fn run_and_check_on_a_csv_case_give_the_numbers_of_the_toml_case() {
    let toml = case_dir("cf-run-toml", TOML_DATA, &[]);
    let csv = case_dir(
        "cf-run-csv",
        "[data]\nfile = \"points.csv\"\n",
        &[("points.csv", CSV.as_bytes())],
    );
    let job = |c: &Path| {
        run(&[
            "run",
            s(c),
            "--alpha",
            "1/2",
            "--gt",
            "100",
            "--no-verify",
            "--no-timing",
            "--format",
            "json",
        ])
    };
    let (a, b) = (job(&toml), job(&csv));
    assert_eq!(without_case(&a), without_case(&b));
    let report: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!(
        report["case"]["data"],
        "points.csv (CSV, numbers read exactly as written)"
    );
    let report: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(report["case"].get("data").is_none(), "{report}");
    let check = |c: &Path| {
        let o = run(&[
            "check",
            s(c),
            "--no-verify",
            "--no-timing",
            "--format",
            "json",
        ]);
        let mut v: serde_json::Value = serde_json::from_str(&ok_stdout(&o)).unwrap();
        let data = v.as_object_mut().unwrap().remove("data");
        (v.to_string().replace(s(c), "CASE"), data)
    };
    let ((a, none), (b, data)) = (check(&toml), check(&csv));
    assert_eq!(a, b);
    assert_eq!(none, None);
    let data = data.unwrap();
    assert_eq!(data[0]["case"], "files");
    assert_eq!(
        data[0]["data"],
        "points.csv (CSV, numbers read exactly as written)"
    );
    let o = run(&["check", s(&csv), "--no-verify"]);
    assert!(
        ok_stdout(&o).contains("data of files: points.csv (CSV, numbers read exactly as written)")
    );
}

fn job_ids(case: &Path) -> Vec<String> {
    let o = run(&["check", s(case), "--list-jobs", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&ok_stdout(&o)).unwrap();
    v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn editing_the_data_file_changes_job_ids_and_refuses_an_old_checkpoint() {
    let case = case_dir(
        "cf-edit",
        "[data]\nfile = \"points.csv\"\n",
        &[("points.csv", CSV.as_bytes())],
    );
    let data = case.parent().unwrap().join("points.csv");
    let ck = case.parent().unwrap().join("run.ckpt");
    let before = job_ids(&case);
    let job = |extra: &[&str]| {
        let mut args = vec![
            "run",
            s(&case),
            "--alpha",
            "1/2",
            "--gt",
            "100",
            "--no-verify",
        ];
        args.extend(extra);
        run(&args)
    };
    let o = job(&["--max-steps", "2", "--checkpoint", s(&ck)]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    std::fs::write(&data, CSV.replace("1.5,0.75", "1.5,0.875")).unwrap();
    let after = job_ids(&case);
    assert_eq!(before.len(), after.len());
    assert!(after.iter().all(|id| !before.contains(id)));
    assert_bad(
        &job(&["--resume", s(&ck)]),
        &["--resume", "belongs to another job", "data_sha256"],
    );
    // the data back as they were: the checkpoint is this job's again
    std::fs::write(&data, CSV).unwrap();
    assert_eq!(job_ids(&case), before);
    ok_stdout(&job(&["--resume", s(&ck)]));
}

#[test]
fn a_merge_needs_no_data_file_and_refuses_other_data() {
    let case = case_dir(
        "cf-sweep",
        "[data]\nfile = \"points.csv\"\n",
        &[("points.csv", CSV.as_bytes())],
    );
    let dir = case.parent().unwrap().to_path_buf();
    let (p, q) = (dir.join("p.json"), dir.join("q.json"));
    let shard = |out: &Path| {
        let o = run(&[
            "check",
            s(&case),
            "--no-verify",
            "--shard",
            "1/1",
            "-o",
            s(out),
        ]);
        ok_stdout(&o);
    };
    shard(&p);
    let direct = run(&["check", s(&case), "--no-verify", "--no-timing"]);
    let direct = ok_stdout(&direct);
    std::fs::write(dir.join("points.csv"), CSV.replace("1,0.5,1", "1,0.625,1")).unwrap();
    shard(&q);
    std::fs::remove_file(dir.join("points.csv")).unwrap();
    let merged = run(&["merge", s(&p), "--no-timing"]);
    assert_eq!(ok_stdout(&merged), direct);
    assert_bad(
        &run(&["merge", s(&p), s(&q)]),
        &["q.json", "the data files of case file", "points.csv"],
    );
    // with the data file gone, the case itself is refused naming it
    assert_bad(
        &run(&["check", s(&case), "--list-jobs"]),
        &["cannot read data file", "points.csv"],
    );
}

/// Each bad CSV file is refused (exit 2) with a message naming the file, the line and
/// the column.
#[test]
fn bad_csv_files_are_refused_naming_file_line_and_column() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["points.csv: line 1: empty file"]),
        ("x1,x2\n1,2\n", &["points.csv: line 1: no `label` column"]),
        ("label\n1\n", &["points.csv: line 1: no feature column"]),
        (
            "x1,label,label\n1,1,1\n",
            &["line 1, column 3 (`label`): two label columns"],
        ),
        (
            "x1,target\n1,0.5\n",
            &[
                "line 1, column 2 (`target`)",
                "regression data, but the case is a classification case",
                "task = \"regression\"",
            ],
        ),
        (
            "x1,x1,label\n1,2,1\n",
            &["line 1, column 2 (`x1`): column name `x1` appears twice"],
        ),
        (
            "x1,,label\n1,2,1\n",
            &["line 1, column 2 (``): empty column name"],
        ),
        (
            "x1,x2,label\n1,2,1\n3,1\n",
            &["points.csv: line 3 (data row 2): ragged row: 2 cells but the header has 3 columns"],
        ),
        (
            "x1,x2,label\n1,,1\n",
            &["line 2 (data row 1), column 2 (`x2`): empty cell"],
        ),
        (
            "x1,x2,label\n1,abc,1\n",
            &["line 2 (data row 1), column 2 (`x2`): not a number \"abc\""],
        ),
        (
            "x1,x2,label\n1,2,1\n\n1,0x1f,-1\n",
            &["line 4 (data row 2), column 2 (`x2`): not a number \"0x1f\""],
        ),
        (
            "x1,x2,label\n1,2,2\n",
            &["line 2 (data row 1), column 3 (`label`): label must be +1 or -1, found 2"],
        ),
        ("x1,x2,label\n", &["line 1: no data rows"]),
        (
            "x1,x2,label\n1,2,0.5\n",
            &["label must be +1 or -1, found 1/2"],
        ),
    ];
    for (text, fragments) in cases {
        let case = case_dir(
            "cf-bad-csv",
            "[data]\nfile = \"points.csv\"\n",
            &[("points.csv", text.as_bytes())],
        );
        let o = run(&["check", s(&case), "--list-jobs"]);
        let mut all = fragments.to_vec();
        all.push("(the data file of ");
        assert_bad(&o, &all);
        let o = run(&["run", s(&case), "--alpha", "1", "--gt", "10"]);
        assert_bad(&o, fragments);
    }
}

/// A `[data]` table, the bytes of X.npy and y.npy, and what the message says.
type BadCase = (&'static str, Vec<u8>, Vec<u8>, Vec<&'static str>);

/// Bad `.npy` files and bad `[data]` tables are refused (exit 2) naming the file, the
/// element or field and the reason.
#[test]
fn bad_npy_files_and_data_tables_are_refused() {
    let labels = npy("<i8", "(3,)", &i8s(&LABELS));
    let mut nan = POINTS.iter().flatten().copied().collect::<Vec<_>>();
    nan[3] = f64::NAN;
    let mut inf = nan.clone();
    inf[3] = f64::NEG_INFINITY;
    let good: Vec<f64> = POINTS.iter().flatten().copied().collect();
    let npy_case = "[data]\nfile = \"X.npy\"\nlabels_file = \"y.npy\"\n";
    let cases: Vec<BadCase> = vec![
        (npy_case, npy("<f8", "(3, 2)", &f8(&nan)), labels.clone(), vec!["X.npy: element [1, 1] (row 1, column 1, counted from 0): NaN is not a number"]),
        (npy_case, npy("<f8", "(3, 2)", &f8(&inf)), labels.clone(), vec!["X.npy: element [1, 1]", "-inf is not a finite number"]),
        (npy_case, npy("<f8", "(6,)", &f8(&good)), labels.clone(), vec!["X.npy: header: the points array has shape [6]"]),
        (npy_case, npy("<f8", "(3, 2)", &f8(&good[..5])), labels.clone(), vec!["X.npy: header: the shape [3, 2] of float64 takes 48 bytes of data, but the file has 40"]),
        (npy_case, b"x1,x2\n".to_vec(), labels.clone(), vec!["X.npy: header: not a NumPy .npy file"]),
        (npy_case, npy("<c16", "(3, 2)", &[0; 96]), labels.clone(), vec!["X.npy: header: unsupported dtype '<c16'"]),
        (npy_case, npy("<f8", "(3, 2)", &f8(&good)), npy("<i8", "(2,)", &i8s(&[1, 1])), vec!["y.npy: header: the labels array has shape [2]: expected (3,)"]),
        (npy_case, npy("<f8", "(3, 2)", &f8(&good)), npy("<i8", "(3,)", &i8s(&[1, 0, 1])), vec!["y.npy: element [1] (counted from 0): label must be +1 or -1, found 0"]),
        ("[data]\nfile = \"X.npy\"\n", npy("<f8", "(3, 2)", &f8(&good)), labels.clone(), vec!["case.toml: data.labels_file: missing required field"]),
        ("[data]\nfile = \"X.npy\"\nlabels_file = \"y.npy\"\npoints = [[1]]\n", Vec::new(), Vec::new(), vec!["case.toml: data.points: give either data.file", "not both"]),
        ("[data]\nfile = \"X.dat\"\n", Vec::new(), Vec::new(), vec!["data.file: cannot tell the format", "data.format"]),
        ("[data]\nfile = \"X.npy\"\nformat = \"xls\"\n", Vec::new(), Vec::new(), vec!["data.format: expected \"csv\" or \"npy\""]),
        ("[data]\nfile = \"missing.csv\"\n", Vec::new(), Vec::new(), vec!["data.file: cannot read data file", "missing.csv"]),
        ("[data]\nfile = \"X.npy\"\nformat = \"csv\"\nlabels_file = \"y.npy\"\n", b"a,label\n1,1\n".to_vec(), Vec::new(), vec!["data.labels_file: a CSV data file holds its labels"]),
        ("[data]\nfile = \"X.npy\"\nlabels_file = \"y.npy\"\nweights = 1\n", Vec::new(), Vec::new(), vec!["data.weights: unknown field"]),
    ];
    for (data, x, y, fragments) in &cases {
        let case = case_dir("cf-bad-npy", data, &[("X.npy", x), ("y.npy", y)]);
        assert_bad(&run(&["check", s(&case), "--list-jobs"]), fragments);
    }
}

/// The tests' temporary directories (`common::temp_dir`, `temp_path`, `temp_file`) are
/// removed, with what was written in them, when their guard is dropped: at the end of a
/// test, and also when the test fails (the panic unwinds through the guard).
#[test]
fn temporary_directories_are_removed_when_their_guard_drops() {
    let dir = temp_dir("guard-drop");
    let path = dir.to_path_buf();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub").join("a.txt"), "x").unwrap();
    assert!(path.join("sub").join("a.txt").is_file());
    drop(dir);
    assert!(!path.exists(), "{} left behind", path.display());

    // a file's guard removes the file's directory
    let file = temp_file("guard-file", "f.txt", "y");
    let parent = file.parent().unwrap().to_path_buf();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "y");
    std::fs::write(parent.join("other.txt"), "z").unwrap();
    drop(file);
    assert!(!parent.exists(), "{} left behind", parent.display());

    // a failing test: the panic unwinds, the guard is dropped on the way
    let mut made = None;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let dir = temp_dir("guard-panic");
        std::fs::write(dir.join("a.txt"), "z").unwrap();
        made = Some(dir.to_path_buf());
        panic!("a failing test (expected)");
    }));
    assert!(r.is_err());
    let made = made.expect("the directory was made");
    assert!(!made.exists(), "{} left behind", made.display());
}
