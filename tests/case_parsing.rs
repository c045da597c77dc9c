//! Integration tests for case-file parsing (format version 1).

use ibcert::case::spec::{CheckKind, KindSpec, Optimum, SupportOf};
use ibcert::case::*;
use rug::{Integer, Rational};

mod common;

const ORIGIN: &str = "cases/test.toml";

const HEADER: &str = r#"format = 1
name = "t"
description = "test case"
depth = 2
"#;

const DATA: &str = r#"[data]
points = [[1, "0.5"], ["1/3", 2]]
labels = [1, -1]
"#;

fn parse(text: &str) -> Result<Case, CaseError> {
    Case::from_toml_str(text, ORIGIN)
}

/// Parses `text`, expects an `Invalid` error at `field` whose message
/// contains every string in `needles`.
fn expect_invalid(text: &str, field: &str, needles: &[&str]) {
    let err = match parse(text) {
        Ok(c) => panic!("expected an error at {field}, got {c:?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert_eq!(err.field(), Some(field), "wrong field in: {msg}");
    assert!(
        msg.starts_with(&format!("{ORIGIN}: {field}: ")),
        "message should start with file and field: {msg}"
    );
    for n in needles {
        assert!(msg.contains(n), "message {msg:?} should contain {n:?}");
    }
}

fn with_header(header_replace: (&str, &str)) -> String {
    format!(
        "{}{DATA}",
        HEADER.replace(header_replace.0, header_replace.1)
    )
}

fn with_data(data: &str) -> String {
    format!("{HEADER}{data}")
}

fn with_numerics(numerics: &str) -> String {
    format!("{HEADER}{DATA}[numerics]\n{numerics}\n")
}

fn pow10(e: u32) -> Integer {
    Integer::from(Integer::u_pow_u(10, e))
}

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

#[test]
fn valid_case_round_trips_exact_values() {
    let text = r#"
format = 1
name = "exact"
description = "exactness of every entry form"
depth = 3

[data]
points = [
  [0.1, "1/3", 1e300],
  ["-2.5e-3", -7, "1e300"],
  [1e-300, " -22 / 7 ", 2.5],
]
labels = [1, -1, 1]

[numerics]
precision = 512
tolerance = "1e-60"
stages = 5
alpha = "100"
"#;
    let c = parse(text).expect("valid case");
    assert_eq!(c.name, "exact");
    assert_eq!(c.description, "exactness of every entry form");
    assert_eq!(c.depth, 3);
    assert_eq!(c.path, None);
    assert_eq!(c.n_points(), 3);
    assert_eq!(c.dim(), 3);
    assert_eq!(c.labels, vec![1, -1, 1]);

    assert_eq!(c.points[0][0], q(1, 10), "TOML float 0.1 is exactly 1/10");
    assert_eq!(c.points[0][1], q(1, 3));
    assert_eq!(
        c.points[0][2],
        Rational::from(pow10(300)),
        "1e300 is 10^300"
    );
    assert_eq!(c.points[1][0], q(-1, 400), "-2.5e-3 is -1/400");
    assert_eq!(c.points[1][1], -7);
    assert_eq!(c.points[1][2], Rational::from(pow10(300)));
    assert_eq!(
        c.points[2][0],
        Rational::from((Integer::from(1), pow10(300)))
    );
    assert_eq!(c.points[2][1], q(-22, 7));
    assert_eq!(c.points[2][2], q(5, 2));

    assert_eq!(c.numerics.precision, 512);
    assert_eq!(
        c.numerics.tolerance,
        Rational::from((Integer::from(1), pow10(60)))
    );
    assert_eq!(c.numerics.stages, Some(5));
    assert_eq!(c.numerics.alpha, Some(Rational::from(100)));

    // z_n = y_n x_n
    let z = c.z();
    assert_eq!(z.len(), 3);
    assert_eq!(z[0][1], q(1, 3));
    assert_eq!(z[1][0], q(1, 400));
    assert_eq!(z[1][1], 7);
}

#[test]
fn numerics_defaults() {
    let c = parse(&format!("{HEADER}{DATA}")).unwrap();
    assert_eq!(c.numerics.precision, 256);
    assert_eq!(
        c.numerics.tolerance,
        Rational::from((Integer::from(1), pow10(40)))
    );
    assert_eq!(c.numerics.stages, None);
    assert_eq!(c.numerics.alpha, None);
    assert_eq!(c.numerics, NumericsTable::default());
    // an empty [numerics] table is the same
    let c2 = parse(&with_numerics("")).unwrap();
    assert_eq!(c2.numerics, NumericsTable::default());
}

#[test]
fn float_tolerance_and_alpha_are_exact() {
    let c = parse(&with_numerics("tolerance = 1e-40\nalpha = 0.3")).unwrap();
    assert_eq!(
        c.numerics.tolerance,
        Rational::from((Integer::from(1), pow10(40)))
    );
    assert_eq!(c.numerics.alpha, Some(q(3, 10)));
}

#[test]
fn load_from_file_sets_path() {
    let dir = common::temp_dir("case-test");
    let file = dir.join("ok.toml");
    std::fs::write(&file, format!("{HEADER}{DATA}")).unwrap();
    let c = Case::load(&file).unwrap();
    assert_eq!(c.path.as_deref(), Some(file.as_path()));

    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        format!("{HEADER}{DATA}").replace("depth = 2", "depth = 1"),
    )
    .unwrap();
    let msg = Case::load(&bad).unwrap_err().to_string();
    assert!(msg.starts_with(&bad.display().to_string()), "{msg}");
    assert!(msg.contains("depth"), "{msg}");
}

#[test]
fn io_error_names_path() {
    let path = std::path::Path::new("/nonexistent/dir/missing-case.toml");
    let err = Case::load(path).unwrap_err();
    assert!(matches!(err, CaseError::Io { .. }));
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/dir/missing-case.toml"), "{msg}");
    assert!(msg.contains("cannot read"), "{msg}");
}

#[test]
fn malformed_toml() {
    let err = parse("format = 1\nname = \"unterminated\ndepth = 2\n").unwrap_err();
    assert!(matches!(err, CaseError::Syntax { .. }));
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{ORIGIN}: malformed TOML")),
        "{msg}"
    );
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("column"), "{msg}");
}

#[test]
fn missing_required_fields() {
    for field in ["name", "depth"] {
        let text = format!(
            "{}{DATA}",
            HEADER
                .lines()
                .filter(|l| !l.starts_with(field))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        );
        expect_invalid(&text, field, &["missing required field"]);
    }
    expect_invalid(HEADER, "data", &["missing required field"]);
    // the description is optional (an empty one is still refused)
    let text = format!(
        "{}{DATA}",
        HEADER
            .lines()
            .filter(|l| !l.starts_with("description"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    );
    assert_eq!(
        parse(&text)
            .expect("valid without a description")
            .description,
        ""
    );
    expect_invalid(
        &with_data("[data]\nlabels = [1]\n"),
        "data.points",
        &["missing required field"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1]]\n"),
        "data.labels",
        &["missing required field"],
    );
    expect_invalid(
        &with_header(("format = 1\n", "")),
        "format",
        &["missing required field"],
    );
}

#[test]
fn unknown_fields() {
    expect_invalid(
        &format!("{HEADER}colour = \"red\"\n{DATA}"),
        "colour",
        &["unknown field `colour`", "allowed fields"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1]]\nlabels = [1]\nweights = [1]\n"),
        "data.weights",
        &["unknown field `weights`", "points, labels"],
    );
    expect_invalid(
        &with_numerics("precison = 128"),
        "numerics.precison",
        &["unknown field `precison`", "precision"],
    );
    expect_invalid(
        &format!("{HEADER}{DATA}[[check]]\nname = \"c\"\nkind = \"kernel\"\ncolour = 1\n"),
        "check[0].colour",
        &["unknown field `colour`"],
    );
}

fn check_case(body: &str) -> String {
    format!("{HEADER}{DATA}[[check]]\nname = \"c\"\n{body}")
}

/// The `[[check]]` tables: every bad declaration names the file, the check and the field.
#[test]
fn checks_are_validated() {
    let ok =
        check_case("kind = \"transition\"\nalphas = [1, 10]\nmu = \"1/2\"\ntolerance = \"1e-3\"\n");
    let c = parse(&ok).unwrap();
    assert_eq!(c.checks.len(), 1);
    assert_eq!(c.checks[0].stop.to_string(), "alpha^D / mu");
    assert_eq!(
        c.checks[0].alphas,
        vec![Rational::from(1), Rational::from(10)]
    );
    expect_invalid(
        &check_case("kind = \"quantum\"\nalphas = [1]\ntolerance = 1\n"),
        "check[0] (c).kind",
        &["unknown check kind \"quantum\""],
    );
    expect_invalid(
        &check_case("kind = \"transition\"\nalphas = [1, 10]\ntolerance = 1\n"),
        "check[0] (c).mu",
        &["needs mu"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [10, 3]\ntolerance = 1\n"),
        "check[0] (c).alphas",
        &["strictly increasing"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = []\ntolerance = 1\n"),
        "check[0] (c).alphas",
        &["empty"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [-1, 3]\ntolerance = 1\n"),
        "check[0] (c).alphas[0]",
        &["positive"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\ntolerance = 0\n"),
        "check[0] (c).tolerance",
        &["positive"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\n"),
        "check[0] (c).tolerance",
        &["missing"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\nstop = \"alpha^\"\ntolerance = 1\n"),
        "check[0] (c).stop",
        &["does not parse"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\nstop = \"1/alpha\"\ntolerance = 1\n"),
        "check[0] (c).stop",
        &["not increasing in alpha"],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\ntolerance = 1\nexpect = \"maybe\"\n"),
        "check[0] (c).expect",
        &["\"pass\" or \"fail\""],
    );
}

/// The fields of the limit and condition5 kinds: `point` (limit only, d exact entries,
/// required), `optimum` (limit only), `support_of` (condition5 only), and a limit check
/// must give its stopping rule.
#[test]
fn limit_and_condition5_fields_are_validated() {
    let ok = check_case(
        "kind = \"limit\"\nalphas = [\"1/10\", 1]\nstop = \"10^4 * alpha\"\npoint = [\"3/2\", 0]\noptimum = \"local\"\ntolerance = \"1e-3\"\n",
    );
    let c = parse(&ok).unwrap();
    let k = &c.checks[0];
    assert_eq!(k.kind.tag(), CheckKind::Limit);
    assert_eq!(
        k.kind,
        KindSpec::Limit {
            point: vec![Rational::from((3, 2)), Rational::from(0)],
            optimum: Some(Optimum::Local),
        }
    );
    let c5 = parse(&check_case(
        "kind = \"condition5\"\nalphas = [10]\nmu = \"1/2\"\nsupport_of = \"flow\"\ntolerance = \"1/50\"\n",
    ))
    .unwrap();
    match &c5.checks[0].kind {
        KindSpec::Condition5 {
            mu,
            window,
            support_of,
        } => {
            assert_eq!(*mu, Rational::from((1, 2)));
            assert_eq!(*support_of, SupportOf::Flow);
            assert_eq!(window.to_string(), "alpha^D / log(alpha)");
        }
        other => panic!("expected a condition5 check, got {other:?}"),
    }
    // the default of support_of is w_mu
    let c5 = parse(&check_case(
        "kind = \"condition5\"\nalphas = [10]\nmu = \"1/2\"\ntolerance = \"1/50\"\n",
    ))
    .unwrap();
    assert!(matches!(
        c5.checks[0].kind,
        KindSpec::Condition5 {
            support_of: SupportOf::WMu,
            ..
        }
    ));
    let limit = |extra: &str| {
        check_case(&format!(
            "kind = \"limit\"\nalphas = [1]\ntolerance = 1\n{extra}"
        ))
    };
    expect_invalid(
        &limit("stop = \"alpha\"\n"),
        "check[0] (c).point",
        &["missing required field"],
    );
    expect_invalid(
        &limit("point = [1, 0]\n"),
        "check[0] (c).stop",
        &["limit check needs a stopping rule"],
    );
    expect_invalid(
        &limit("stop = \"alpha\"\npoint = [1, 0, 0]\n"),
        "check[0] (c).point",
        &["3 entries", "d = 2"],
    );
    expect_invalid(
        &limit("stop = \"alpha\"\npoint = [1, \"x\"]\n"),
        "check[0] (c).point[1]",
        &["not a number"],
    );
    expect_invalid(
        &limit("stop = \"alpha\"\npoint = \"1, 0\"\n"),
        "check[0] (c).point",
        &["expected an array of numbers"],
    );
    expect_invalid(
        &limit("stop = \"alpha\"\npoint = [1, 0]\noptimum = \"best\"\n"),
        "check[0] (c).optimum",
        &["\"global\" or \"local\""],
    );
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\ntolerance = 1\npoint = [1, 0]\n"),
        "check[0] (c).point",
        &["only limit checks take `point`", "kernel"],
    );
    expect_invalid(
        &check_case("kind = \"bounds\"\nalphas = [2, 3]\ntolerance = 1\noptimum = \"global\"\n"),
        "check[0] (c).optimum",
        &["only limit checks take `optimum`"],
    );
    expect_invalid(
        &check_case(
            "kind = \"transition\"\nalphas = [2, 3]\nmu = 1\ntolerance = 1\nsupport_of = \"flow\"\n",
        ),
        "check[0] (c).support_of",
        &["only condition5 checks take `support_of`"],
    );
    expect_invalid(
        &check_case(
            "kind = \"condition5\"\nalphas = [2, 3]\nmu = 1\ntolerance = 1\nsupport_of = \"both\"\n",
        ),
        "check[0] (c).support_of",
        &["\"w_mu\" or \"flow\""],
    );
    // fields of one kind given to another are refused, not ignored
    expect_invalid(
        &check_case("kind = \"kernel\"\nalphas = [2, 3]\ntolerance = 1\nkkt_tolerance = 1\n"),
        "check[0] (c).kkt_tolerance",
        &["only transition checks take `kkt_tolerance`", "kernel"],
    );
    expect_invalid(
        &check_case("kind = \"bounds\"\nalphas = [2, 3]\ntolerance = 1\nwindow = \"alpha\"\n"),
        "check[0] (c).window",
        &["only condition5 checks take `window`", "bounds"],
    );
    let t = parse(&check_case(
        "kind = \"transition\"\nalphas = [2, 3]\nmu = 1\ntolerance = 1\nkkt_tolerance = \"1e-3\"\n",
    ))
    .unwrap();
    assert_eq!(
        t.checks[0].kind,
        KindSpec::Transition {
            mu: Rational::from(1),
            kkt_tolerance: Some(Rational::from((1, 1000))),
        }
    );
}

#[test]
fn wrong_types() {
    expect_invalid(
        &with_header(("name = \"t\"", "name = 3")),
        "name",
        &["expected a non-empty string", "integer 3"],
    );
    expect_invalid(
        &with_header(("description = \"test case\"", "description = true")),
        "description",
        &["expected a non-empty string", "boolean true"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = \"2\"")),
        "depth",
        &["expected an integer", "string \"2\""],
    );
    expect_invalid(
        &format!("{HEADER}data = 3\n"),
        "data",
        &["expected a table", "integer 3"],
    );
    expect_invalid(
        &with_data("[data]\npoints = \"1,2\"\nlabels = [1]\n"),
        "data.points",
        &["expected an array of points", "string"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1], 2]\nlabels = [1, 1]\n"),
        "data.points[1]",
        &["expected an array of numbers", "integer 2"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1, true]]\nlabels = [1]\n"),
        "data.points[0][1]",
        &["expected a number", "boolean true"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1]]\nlabels = 1\n"),
        "data.labels",
        &["expected an array of labels", "integer 1"],
    );
    expect_invalid(
        &format!("{HEADER}numerics = 5\n{DATA}"),
        "numerics",
        &["expected a table", "integer 5"],
    );
    expect_invalid(
        &with_numerics("precision = \"256\""),
        "numerics.precision",
        &["expected an integer", "string \"256\""],
    );
    expect_invalid(
        &with_numerics("stages = 2.0"),
        "numerics.stages",
        &["expected an integer", "float 2.0"],
    );
    expect_invalid(
        &with_numerics("tolerance = [1]"),
        "numerics.tolerance",
        &["expected a number", "an array"],
    );
}

#[test]
fn format_version() {
    expect_invalid(
        &with_header(("format = 1", "format = 2")),
        "format",
        &["unsupported format version 2", "format 1"],
    );
    expect_invalid(
        &with_header(("format = 1", "format = \"1\"")),
        "format",
        &["expected the integer 1", "string \"1\""],
    );
    // a future-version file with unknown fields reports the version, not the fields
    expect_invalid(
        &format!(
            "{}newfield = 1\n{DATA}",
            HEADER.replace("format = 1", "format = 2")
        ),
        "format",
        &["unsupported format version 2"],
    );
}

#[test]
fn empty_name_and_description() {
    expect_invalid(
        &with_header(("name = \"t\"", "name = \"\"")),
        "name",
        &["must not be empty"],
    );
    expect_invalid(
        &with_header(("name = \"t\"", "name = \"   \"")),
        "name",
        &["must not be empty"],
    );
    expect_invalid(
        &with_header(("description = \"test case\"", "description = \"\"")),
        "description",
        &["must not be empty"],
    );
}

#[test]
fn bad_depth() {
    expect_invalid(
        &with_header(("depth = 2", "depth = 1")),
        "depth",
        &["depth must be an integer >= 2", "found 1"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = -3")),
        "depth",
        &[">= 2", "found -3"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = 2.5")),
        "depth",
        &["expected an integer depth >= 2", "float 2.5"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = 99999999999")),
        "depth",
        &["too large"],
    );
}

#[test]
fn empty_data() {
    expect_invalid(
        &with_data("[data]\npoints = []\nlabels = []\n"),
        "data.points",
        &["no points"],
    );
}

#[test]
fn ragged_rows() {
    expect_invalid(
        &with_data("[data]\npoints = [[1, 2], [3, 4], [5, 6, 7]]\nlabels = [1, 1, -1]\n"),
        "data.points[2]",
        &["ragged rows", "row 2 has 3 entries", "row 0 has 2"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1, 2], [3]]\nlabels = [1, 1]\n"),
        "data.points[1]",
        &["ragged rows", "row 1 has 1 entry", "row 0 has 2"],
    );
}

#[test]
fn zero_dimensional_points() {
    expect_invalid(
        &with_data("[data]\npoints = [[], []]\nlabels = [1, -1]\n"),
        "data.points[0]",
        &["zero-dimensional"],
    );
}

#[test]
fn labels_count_mismatch() {
    expect_invalid(
        &with_data("[data]\npoints = [[1], [2], [3]]\nlabels = [1, -1]\n"),
        "data.labels",
        &["2 labels for 3 points", "one label"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1]]\nlabels = [1, -1]\n"),
        "data.labels",
        &["2 labels for 1 point:"],
    );
}

#[test]
fn labels_not_plus_minus_one() {
    expect_invalid(
        &with_data("[data]\npoints = [[1], [2]]\nlabels = [1, 0]\n"),
        "data.labels[1]",
        &["+1 or -1", "found 0"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1], [2]]\nlabels = [2, 1]\n"),
        "data.labels[0]",
        &["+1 or -1", "found 2"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1], [2]]\nlabels = [1, -1.0]\n"),
        "data.labels[1]",
        &["+1 or -1", "float -1.0"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[1], [2]]\nlabels = [\"1\", -1]\n"),
        "data.labels[0]",
        &["+1 or -1", "string \"1\""],
    );
}

#[test]
fn non_numeric_strings() {
    expect_invalid(
        &with_data("[data]\npoints = [[1, 2], [3, 4], [5, \"abc\"]]\nlabels = [1, 1, -1]\n"),
        "data.points[2][1]",
        &[
            "not a number \"abc\"",
            "expected a decimal like 0.25, 1e-3 or a fraction like 1/3",
        ],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[\"1/0\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["\"1/0\"", "zero denominator"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[\"nan\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["\"nan\"", "NaN"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[\"1e\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["\"1e\"", "exponent"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[\"0x10\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["not a number \"0x10\""],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[\"\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["not a number \"\"", "empty"],
    );
    // memory-bomb guard
    expect_invalid(
        &with_data("[data]\npoints = [[\"1e1000000\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["exponent", "out of range", "100000"],
    );
    // TOML nan / inf literals
    expect_invalid(
        &with_data("[data]\npoints = [[nan]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["NaN and infinity are not allowed"],
    );
    expect_invalid(
        &with_data("[data]\npoints = [[-inf]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["NaN and infinity are not allowed"],
    );
    expect_invalid(
        &with_numerics("alpha = \"lots\""),
        "numerics.alpha",
        &["not a number \"lots\""],
    );
}

#[test]
fn bad_precision() {
    expect_invalid(
        &with_numerics("precision = 32"),
        "numerics.precision",
        &["between 64 and 1000000", "found 32"],
    );
    expect_invalid(
        &with_numerics("precision = 1000001"),
        "numerics.precision",
        &["between 64 and 1000000", "found 1000001"],
    );
    assert_eq!(
        parse(&with_numerics("precision = 64"))
            .unwrap()
            .numerics
            .precision,
        64
    );
    assert_eq!(
        parse(&with_numerics("precision = 1000000"))
            .unwrap()
            .numerics
            .precision,
        1_000_000
    );
}

#[test]
fn bad_tolerance() {
    for (tol, shown) in [
        ("0", "0"),
        ("1", "1"),
        ("\"-1e-3\"", "\"-1e-3\""),
        ("2.5", "2.5"),
        ("\"3/2\"", "\"3/2\""),
    ] {
        expect_invalid(
            &with_numerics(&format!("tolerance = {tol}")),
            "numerics.tolerance",
            &["0 < tolerance < 1", &format!("found {shown}")],
        );
    }
    expect_invalid(
        &with_numerics("tolerance = \"tiny\""),
        "numerics.tolerance",
        &["not a number \"tiny\""],
    );
    assert_eq!(
        parse(&with_numerics("tolerance = \"1/3\""))
            .unwrap()
            .numerics
            .tolerance,
        q(1, 3)
    );
}

#[test]
fn bad_stages() {
    expect_invalid(
        &with_numerics("stages = 0"),
        "numerics.stages",
        &["between 1 and 48", "found 0"],
    );
    expect_invalid(
        &with_numerics("stages = 49"),
        "numerics.stages",
        &["between 1 and 48", "found 49"],
    );
    assert_eq!(
        parse(&with_numerics("stages = 48"))
            .unwrap()
            .numerics
            .stages,
        Some(48)
    );
    assert_eq!(
        parse(&with_numerics("stages = 1")).unwrap().numerics.stages,
        Some(1)
    );
}

#[test]
fn bad_alpha() {
    expect_invalid(
        &with_numerics("alpha = 0"),
        "numerics.alpha",
        &["alpha must be > 0", "found 0"],
    );
    expect_invalid(
        &with_numerics("alpha = \"-1/2\""),
        "numerics.alpha",
        &["alpha must be > 0", "found \"-1/2\""],
    );
    assert_eq!(
        parse(&with_numerics("alpha = \"1e-5\""))
            .unwrap()
            .numerics
            .alpha,
        Some(q(1, 100_000))
    );
}

// ---------------------------------------------------------------------------
// Hostile input (issue "Reliability: hostile input"): every rejection is an
// `Invalid` error naming the field, or a TOML syntax error; never a panic,
// a hang or a huge allocation. The inputs the fuzzer (fuzz/, target
// `case_file`) found are at the end of this section.

/// A valid case with one transition check; `{STOP}`, `{ALPHAS}` and `{MU}`
/// are replaced by the test.
const CHECK_CASE: &str = r#"format = 1
name = "t"
description = "test case"
depth = 2
[data]
points = [[1, "0.5"], ["1/3", 2]]
labels = [1, -1]
[[check]]
name = "c"
kind = "transition"
alphas = {ALPHAS}
mu = {MU}
stop = {STOP}
tolerance = 0.1
"#;

fn hostile_case(stop: &str, alphas: &str, mu: &str) -> String {
    CHECK_CASE
        .replace("{STOP}", stop)
        .replace("{ALPHAS}", alphas)
        .replace("{MU}", mu)
}

/// The error message of `text`, which must be rejected; at most `max_len`
/// bytes long (the offending text is quoted in an excerpt, not in full).
fn short_error(text: &str, max_len: usize) -> CaseError {
    let err = parse(text).expect_err("hostile input must be rejected");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{ORIGIN}: ")), "{msg}");
    assert!(
        msg.len() <= max_len,
        "message of {} bytes: {}...",
        msg.len(),
        &msg[..200]
    );
    err
}

#[test]
fn hostile_exponents_in_numbers() {
    for bomb in [
        "1e999999999",
        "1e-999999999",
        "-1e99999999999999999999999999",
        "1e100001",
    ] {
        expect_invalid(
            &with_data(&format!("[data]\npoints = [[\"{bomb}\"]]\nlabels = [1]\n")),
            "data.points[0][0]",
            &["exponent", "out of range", "at most 100000"],
        );
    }
    // Power towers are not numbers (only stopping rules have `^`).
    expect_invalid(
        &with_data("[data]\npoints = [[\"10^10^10\"]]\nlabels = [1]\n"),
        "data.points[0][0]",
        &["not a number \"10^10^10\""],
    );
    expect_invalid(
        &with_numerics("alpha = \"1e999999999\""),
        "numerics.alpha",
        &["out of range"],
    );
    expect_invalid(
        &with_numerics("tolerance = \"1e-999999999\""),
        "numerics.tolerance",
        &["out of range"],
    );
    // TOML floats beyond f64 are a TOML error, not a panic
    let err = parse(&with_numerics("alpha = 1e999999999")).unwrap_err();
    assert!(
        matches!(err, CaseError::Syntax { .. }) || err.field().is_some(),
        "{err}"
    );
}

#[test]
fn hostile_integer_fields() {
    for (field, value) in [
        ("precision", "9223372036854775807"),
        ("precision", "-9223372036854775808"),
        ("precision", "4294967360"),
        ("stages", "9223372036854775807"),
        ("stages", "-1"),
        ("stages", "0"),
    ] {
        expect_invalid(
            &with_numerics(&format!("{field} = {value}")),
            &format!("numerics.{field}"),
            &["must be between", value],
        );
    }
    expect_invalid(
        &with_numerics("precision = 1e300"),
        "numerics.precision",
        &["expected an integer number of bits"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = 4294967296")),
        "depth",
        &["too large", "at most 1000"],
    );
    // the bound of --depths and --depth too (crate::model::MAX_DEPTH)
    expect_invalid(
        &with_header(("depth = 2", "depth = 1001")),
        "depth",
        &["depth 1001 is too large (at most 1000)"],
    );
    expect_invalid(
        &with_header(("depth = 2", "depth = -9223372036854775808")),
        "depth",
        &[">= 2"],
    );
    expect_invalid(
        &with_header(("format = 1", "format = 9223372036854775807")),
        "format",
        &["unsupported format version"],
    );
}

#[test]
fn hostile_stopping_rules() {
    let ok = hostile_case("\"alpha^D / mu\"", "[1, 2]", "0.5");
    parse(&ok).expect("the template is valid");
    // A power tower overflows: an evaluation error, not a 10^(10^10) number.
    expect_invalid(
        &hostile_case("\"10^10^10 * alpha\"", "[1, 2]", "0.5"),
        "check[0] (c).stop",
        &["cannot be evaluated", "overflow"],
    );
    expect_invalid(
        &hostile_case("\"exp(exp(exp(exp(alpha))))\"", "[1, 2]", "0.5"),
        "check[0] (c).stop",
        &["overflow"],
    );
    expect_invalid(
        &hostile_case("\"alpha^-999999999999999999\"", "[2, 3]", "0.5"),
        "check[0] (c).stop",
        &["underflow"],
    );
    expect_invalid(
        &hostile_case("\"1e999999999 * alpha\"", "[1, 2]", "0.5"),
        "check[0] (c).stop",
        &["does not parse", "bad number", "out of range"],
    );
    // Deep nesting is refused before any recursion.
    let deep = format!("\"{}alpha{}\"", "(".repeat(400), ")".repeat(400));
    let err = short_error(&hostile_case(&deep, "[1, 2]", "0.5"), 400);
    assert_eq!(err.field(), Some("check[0] (c).stop"));
    assert!(err.to_string().contains("nested more than 64"), "{err}");
    let deep = format!("\"{}alpha\"", "-".repeat(100_000));
    let err = short_error(&hostile_case(&deep, "[1, 2]", "0.5"), 400);
    assert_eq!(err.field(), Some("check[0] (c).stop"));
    assert!(err.to_string().contains("too long"), "{err}");
    // A long left-associative chain within the length limit is fine.
    let chain = format!("\"alpha{}\"", " + 1".repeat(240));
    parse(&hostile_case(&chain, "[1, 2]", "0.5")).expect("a 965-character rule");
    // A megabyte rule is refused with a short message.
    let long = format!("\"alpha{}\"", "+1".repeat(500_000));
    let err = short_error(&hostile_case(&long, "[1, 2]", "0.5"), 400);
    assert_eq!(err.field(), Some("check[0] (c).stop"));
    assert!(err.to_string().contains("too long"), "{err}");
    let long = format!("\"{}\"", "alpha".repeat(200_000));
    let err = short_error(&hostile_case(&long, "[1, 2]", "0.5"), 400);
    assert_eq!(err.field(), Some("check[0] (c).stop"));
}

#[test]
fn hostile_values_are_quoted_in_excerpts() {
    // Numbers with 100000 digits are shown to 12 significant digits.
    let err = short_error(&hostile_case("\"alpha\"", "[1, 2]", "\"-1e100000\""), 300);
    assert_eq!(err.field(), Some("check[0] (c).mu"));
    assert!(
        err.to_string().contains("about -1.00000000000e100000"),
        "{err}"
    );
    let err = short_error(
        &hostile_case("\"alpha\"", "[\"2e99999\", \"1e99999\"]", "0.5"),
        300,
    );
    assert_eq!(err.field(), Some("check[0] (c).alphas"));
    assert!(err.to_string().contains("strictly increasing"), "{err}");
    // Long strings and keys are cut.
    let big = "x".repeat(1_000_000);
    let err = short_error(&with_numerics(&format!("{big} = 1")), 400);
    assert!(err.to_string().contains("unknown field"), "{err}");
    let text =
        hostile_case("\"alpha\"", "[1, 2]", "0.5").replace("\"transition\"", &format!("\"{big}\""));
    let err = short_error(&text, 400);
    assert!(err.to_string().contains("unknown check kind"), "{err}");
    let text = hostile_case("\"alpha\"", "[1, 2]", "0.5").replace(
        "name = \"c\"",
        &format!("name = \"{big}\"\nexpect = \"{big}\""),
    );
    let err = short_error(&text, 600);
    assert!(
        err.to_string().contains("expected \"pass\" or \"fail\""),
        "{err}"
    );
    // but a long name or description is accepted as such
    let c = parse(&with_header(("name = \"t\"", &format!("name = \"{big}\"")))).unwrap();
    assert_eq!(c.name.len(), big.len());
}

#[test]
fn exact_data_is_bounded_in_total() {
    // One 1e100000 is ~332000 bits: allowed.
    let c = parse(&with_data(
        "[data]\npoints = [[\"1e100000\", \"1e-100000\"]]\nlabels = [1]\n",
    ))
    .unwrap();
    assert_eq!(c.points[0][0], Rational::from(pow10(100_000)));
    // 300 of them (3 KB of text, 12 MB of integers) exceed MAX_NUMBER_BITS.
    let row = vec!["\"1e100000\""; 300].join(", ");
    let text = with_data(&format!("[data]\npoints = [[{row}]]\nlabels = [1]\n"));
    let err = short_error(&text, 300);
    let field = err.field().expect("an Invalid error").to_string();
    assert!(field.starts_with("data.points[0]["), "{field}");
    assert!(
        err.to_string()
            .contains(&format!("more than {MAX_NUMBER_BITS} bits")),
        "{err}"
    );
    // The literals of stopping rules count too.
    let lit = vec!["1e99999"; 90].join(" + ");
    let mut text = format!("{HEADER}{DATA}");
    for i in 0..3 {
        text.push_str(&format!(
            "[[check]]\nname = \"c{i}\"\nkind = \"kernel\"\nalphas = [1, 2]\nstop = \"alpha * ({lit})\"\ntolerance = 0.1\n"
        ));
    }
    let err = short_error(&text, 300);
    assert_eq!(err.field(), Some("check[2] (c2).stop"), "{err}");
    assert!(err.to_string().contains("too much exact data"), "{err}");
}

#[test]
fn hostile_toml_structure() {
    // Deep nesting is a TOML error (the toml crate's depth limit), not a
    // stack overflow.
    for text in [
        format!(
            "format = 1\nx = {}1{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!(
            "format = 1\nx = {}1{}\n",
            "{a = ".repeat(100_000),
            "}".repeat(100_000)
        ),
        format!("format = 1\n{} = 1\n", vec!["a"; 100_000].join(".")),
        format!("format = 1\n[{}]\n", vec!["a"; 100_000].join(".")),
        format!("format = 1\n[[{}]]\n", vec!["a"; 100_000].join(".")),
    ] {
        // The TOML message quotes the offending line, cut to a readable length.
        let err = short_error(&text, 1000);
        assert!(matches!(err, CaseError::Syntax { .. }), "{err}");
    }
    // Deep but legal nesting where a number is expected: a type error.
    let text = with_data(&format!(
        "[data]\npoints = [[{}1{}]]\nlabels = [1]\n",
        "[".repeat(60),
        "]".repeat(60)
    ));
    expect_invalid(
        &text,
        "data.points[0][0]",
        &["expected a number", "an array"],
    );
    // Empty, whitespace, NUL bytes, BOM.
    for text in [
        "",
        " ",
        "\0",
        "\u{feff}",
        "format = 1\0",
        "\u{feff}format = 1",
    ] {
        let _ = short_error(text, 1000);
    }
    // Many points: linear, fine.
    let row = vec!["[1]"; 20_000].join(", ");
    let labels = vec!["1"; 20_000].join(", ");
    let c = parse(&with_data(&format!(
        "[data]\npoints = [{row}]\nlabels = [{labels}]\n"
    )))
    .unwrap();
    assert_eq!(c.n_points(), 20_000);
}

// ---------------------------------------------------------------------------
// Mutation property test: the bundled case files with random edits. A
// cheap stand-in for the `case_file` fuzz target that runs with the
// ordinary `cargo test`.

mod mutation {
    use super::*;
    use proptest::prelude::*;

    /// The bundled case files.
    fn bundled() -> &'static [String] {
        static CASES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        CASES.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .expect("cases/ exists")
                .map(|e| e.expect("readable entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            paths
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("readable case"))
                .collect()
        })
    }

    /// Values that have broken (or could break) a parser.
    const HOSTILE: &[&str] = &[
        "\"1e999999999\"",
        "\"1e-999999999\"",
        "\"1e100000\"",
        "\"-1e100000\"",
        "\"10^10^10\"",
        "\"10^10^10 * alpha\"",
        "\"exp(exp(exp(exp(alpha))))\"",
        "\"alpha^-999999999999999999\"",
        "\"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((alpha))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\"",
        "\"1/0\"",
        "\"0/0\"",
        "\"\"",
        "\"nan\"",
        "nan",
        "-inf",
        "1e308",
        "-0.0",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "4294967296",
        "1000000",
        "[]",
        "[[]]",
        "[[1], [1, 2]]",
        "{}",
        "true",
        "1979-05-27T07:32:00Z",
        "\"alpha\"",
        "\"mu\"",
        "\"log(alpha - 1)\"",
        "\"sqrt(-alpha)\"",
        "\"alpha / 0\"",
        "\"limit\"",
        "\"condition5\"",
        "\"flow\"",
        "\"local\"",
        "\"fail\"",
    ];

    const SNIPPETS: &[&str] = &[
        "\n[[check]]\n",
        "\n[numerics]\n",
        "\n[data]\n",
        "=",
        "[",
        "]",
        "\"",
        ",",
        "\n",
        "#",
        "'",
        "\\",
        "{",
        "}",
        "\u{0}",
        "é",
        "\nstop = \"alpha\"\n",
        "\nmu = 0\n",
        "\nprecision = 64\n",
        "\nstages = 49\n",
    ];

    #[derive(Debug, Clone)]
    enum Edit {
        /// Replace the value of the k-th `key = value` line.
        Value(prop::sample::Index, &'static str),
        /// Delete the k-th line.
        DeleteLine(prop::sample::Index),
        /// Duplicate the k-th line.
        DuplicateLine(prop::sample::Index),
        /// Delete a byte range (lossily re-decoded as UTF-8).
        DeleteBytes(prop::sample::Index, usize),
        /// Insert a snippet at a byte offset.
        Insert(prop::sample::Index, &'static str),
        /// Overwrite a byte.
        Byte(prop::sample::Index, u8),
    }

    fn arb_edit() -> impl Strategy<Value = Edit> {
        let idx = any::<prop::sample::Index>;
        prop_oneof![
            3 => (idx(), prop::sample::select(HOSTILE)).prop_map(|(i, v)| Edit::Value(i, v)),
            1 => idx().prop_map(Edit::DeleteLine),
            1 => idx().prop_map(Edit::DuplicateLine),
            1 => (idx(), 1usize..40).prop_map(|(i, n)| Edit::DeleteBytes(i, n)),
            2 => (idx(), prop::sample::select(SNIPPETS)).prop_map(|(i, s)| Edit::Insert(i, s)),
            1 => (idx(), any::<u8>()).prop_map(|(i, b)| Edit::Byte(i, b)),
        ]
    }

    fn apply(text: &str, edit: &Edit) -> String {
        let lines: Vec<&str> = text.lines().collect();
        let mut bytes = text.as_bytes().to_vec();
        match edit {
            Edit::Value(k, v) => {
                let assigns: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].contains(" = "))
                    .collect();
                if assigns.is_empty() {
                    return text.to_string();
                }
                let i = assigns[k.index(assigns.len())];
                let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                let key = lines[i].split(" = ").next().unwrap_or("");
                out[i] = format!("{key} = {v}");
                return out.join("\n");
            }
            Edit::DeleteLine(k) | Edit::DuplicateLine(k) => {
                if lines.is_empty() {
                    return text.to_string();
                }
                let i = k.index(lines.len());
                let mut out: Vec<&str> = lines.clone();
                if matches!(edit, Edit::DeleteLine(_)) {
                    out.remove(i);
                } else {
                    out.insert(i, lines[i]);
                }
                return out.join("\n");
            }
            Edit::DeleteBytes(k, n) => {
                let i = k.index(bytes.len() + 1);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Insert(k, s) => {
                let i = k.index(bytes.len() + 1);
                bytes.splice(i..i, s.bytes());
            }
            Edit::Byte(k, b) => {
                if !bytes.is_empty() {
                    let i = k.index(bytes.len());
                    bytes[i] = *b;
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: common::proptest_cases(300), ..ProptestConfig::default() })]

        #[test]
        fn mutated_bundled_cases_never_panic(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec(arb_edit(), 1..5),
        ) {
            let cases = bundled();
            let mut text = cases[which.index(cases.len())].clone();
            for e in &edits {
                text = apply(&text, e);
            }
            match Case::from_toml_str(&text, ORIGIN) {
                Ok(c) => {
                    prop_assert!(c.n_points() >= 1 && c.dim() >= 1);
                    // one label per point (classification) or one target (regression)
                    match c.task {
                        ibcert::case::Task::Classification => {
                            prop_assert_eq!(c.labels.len(), c.n_points());
                            prop_assert!(c.targets.is_empty());
                        }
                        ibcert::case::Task::Regression => {
                            prop_assert_eq!(c.targets.len(), c.n_points());
                            prop_assert!(c.labels.is_empty());
                        }
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    prop_assert!(msg.starts_with(&format!("{ORIGIN}: ")), "{}", msg);
                    if let CaseError::Invalid { field, reason, .. } = &e {
                        prop_assert!(!field.is_empty() && !reason.is_empty(), "{}", msg);
                    }
                    prop_assert!(msg.len() < 4000, "long message: {}", msg);
                }
            }
        }
    }
}

#[test]
fn the_loss_is_exp_by_default_and_may_be_set_per_case_and_per_check() {
    use ibcert::flow::Loss;
    let check = |extra: &str| {
        format!(
            "[[check]]\nname = \"k\"\nkind = \"kernel\"\nalphas = [2, 3]\ntolerance = \"1e-3\"\n{extra}"
        )
    };
    let c = parse(&format!("{HEADER}{DATA}{}", check(""))).unwrap();
    assert_eq!(c.loss, Loss::Exp);
    assert_eq!(c.checks[0].loss, Loss::Exp);
    let header = HEADER.replace("depth = 2\n", "depth = 2\nloss = \"logistic\"\n");
    let c = parse(&format!("{header}{DATA}{}", check(""))).unwrap();
    assert_eq!(c.loss, Loss::Logistic);
    assert_eq!(c.checks[0].loss, Loss::Logistic);
    let c = parse(&format!("{header}{DATA}{}", check("loss = \"exp\"\n"))).unwrap();
    assert_eq!(c.checks[0].loss, Loss::Exp);
    expect_invalid(
        &with_header(("depth = 2\n", "depth = 2\nloss = \"hinge\"\n")),
        "loss",
        &["\"exp\" or \"logistic\"", "hinge"],
    );
    expect_invalid(
        &format!("{HEADER}{DATA}{}", check("loss = 1\n")),
        "check[0] (k).loss",
        &["string"],
    );
    // the path bounds are exp-loss lemmas: refused for logistic, per check or per case
    let bounds =
        "[[check]]\nname = \"b\"\nkind = \"bounds\"\nalphas = [2, 3]\ntolerance = \"1e-20\"\n";
    expect_invalid(
        &format!("{HEADER}{DATA}{bounds}loss = \"logistic\"\n"),
        "check[0] (b).loss",
        &["Lemma 3", "exp-loss"],
    );
    expect_invalid(
        &format!("{header}{DATA}{bounds}"),
        "check[0] (b).loss",
        &["Lemma 3"],
    );
}
