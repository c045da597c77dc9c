//! `ibcert plot`: every kind's SVG parses, has its axis labels, title and legend,
//! one polyline per curve and only finite coordinates; the geometry agrees with
//! exact reference points; bad input exits with code 2 and leaves no file.

use ibcert::plot::figure::{curve_color, FigureError};
use ibcert::plot::required::{render_required_accuracy, required_accuracy_figure, RequiredSeries};
use std::path::Path;
use std::process::Output;

mod common;
use common::{bin, case_path, run};

/// A fresh empty directory for one test.
fn temp_dir() -> common::TempDir {
    common::temp_dir("plot")
}

/// Small, fast settings on the three-point case.
const FAST: &[&str] = &[
    "--alphas",
    "1,2",
    "--gt-max",
    "30",
    "--samples",
    "12",
    "--tol",
    "1e-20",
    "--precision",
    "128",
    "--mu",
    "1/2",
    "--no-progress",
];

fn plot(kind: &str, extra: &[&str]) -> (String, common::TempPath) {
    let out = common::temp_path("plot", &format!("{kind}.svg"));
    let dir = out.parent().unwrap();
    let mut args = vec![
        "plot".to_string(),
        case_path("three_point.toml"),
        "--kind".into(),
        kind.into(),
        "-o".into(),
        out.display().to_string(),
    ];
    args.extend(FAST.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = run(&a);
    assert!(
        o.status.success(),
        "plot {kind} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let svg = std::fs::read_to_string(&out).expect("svg written");
    // nothing but the svg in the directory (no temporary file left)
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
    (svg, out)
}

/// (stroke colour, dashed, points)
type Polyline = (String, bool, Vec<(f64, f64)>);

struct Parsed {
    texts: Vec<String>,
    /// x of the (leftmost) legend's heading: everything left of it is the chart
    legend_x: f64,
    polylines: Vec<Polyline>,
    /// (fill, cx, cy, r)
    circles: Vec<(String, f64, f64, f64)>,
    /// (fill, x, y, w, h)
    rects: Vec<(String, f64, f64, f64, f64)>,
}

fn num(s: &str) -> f64 {
    let v: f64 = s
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s}"));
    assert!(v.is_finite(), "non-finite coordinate {s}");
    v
}

/// Parse the SVG; every numeric attribute must be a finite number.
fn parse(svg: &str) -> Parsed {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut p = Parsed {
        texts: Vec::new(),
        legend_x: f64::INFINITY,
        polylines: Vec::new(),
        circles: Vec::new(),
        rects: Vec::new(),
    };
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            if [
                "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height",
            ]
            .contains(&a.name())
            {
                num(a.value());
            }
        }
        match n.tag_name().name() {
            "text" => {
                let t = n.text().unwrap_or("").trim().to_string();
                if t == "Legend" {
                    // the leftmost legend (Fig. 5b has a second panel with its own)
                    p.legend_x = p.legend_x.min(num(n.attribute("x").unwrap()));
                }
                p.texts.push(t);
            }
            "polyline" | "polygon" => {
                let pts: Vec<(f64, f64)> = n
                    .attribute("points")
                    .expect("points")
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').expect("x,y");
                        (num(x), num(y))
                    })
                    .collect();
                if n.tag_name().name() == "polyline" {
                    p.polylines.push((
                        n.attribute("stroke").unwrap_or("").to_string(),
                        n.attribute("stroke-dasharray").is_some(),
                        pts,
                    ));
                }
            }
            "circle" => p.circles.push((
                n.attribute("fill").unwrap_or("").to_string(),
                num(n.attribute("cx").unwrap()),
                num(n.attribute("cy").unwrap()),
                num(n.attribute("r").unwrap()),
            )),
            "rect" => p.rects.push((
                n.attribute("fill").unwrap_or("").to_string(),
                num(n.attribute("x").unwrap()),
                num(n.attribute("y").unwrap()),
                num(n.attribute("width").unwrap()),
                num(n.attribute("height").unwrap()),
            )),
            _ => {}
        }
    }
    p
}

fn hex(i: usize) -> String {
    let c = curve_color(i);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

impl Parsed {
    fn has_text(&self, t: &str) {
        assert!(
            self.texts.iter().any(|x| x.contains(t)),
            "no text containing {t:?} in {:?}",
            self.texts
        );
    }

    /// Polylines of a colour with more than two points (curves, not legend samples).
    fn curves(&self, color: &str) -> Vec<&Vec<(f64, f64)>> {
        self.polylines
            .iter()
            .filter(|(c, _, p)| c == color && p.len() > 2)
            .map(|(_, _, p)| p)
            .collect()
    }

    /// Exactly one curve and one legend sample per data curve (colours 0..n).
    fn one_polyline_per_curve(&self, n: usize) {
        for i in 0..n {
            assert_eq!(self.curves(&hex(i)).len(), 1, "curve {i}");
            let samples = self
                .polylines
                .iter()
                .filter(|(c, _, p)| *c == hex(i) && p.len() == 2)
                .count();
            assert_eq!(samples, 1, "legend sample of curve {i}");
        }
        assert!(self.curves(&hex(n)).is_empty(), "no extra curve");
    }

    fn dashed_curves(&self) -> usize {
        self.polylines
            .iter()
            .filter(|(_, d, p)| *d && p.len() > 2)
            .count()
    }

    fn common(&self, title: &str, x: &str, y: &str) {
        self.has_text(title);
        self.has_text(x);
        self.has_text(y);
        self.has_text("Legend");
        self.has_text("α = 1");
        self.has_text("α = 2");
        self.has_text("γ̃ = α^D/μ, μ = 0.5");
        self.has_text("case three_point");
    }
}

#[test]
fn excess_l1_svg() {
    let (svg, _) = plot("excess-l1", &[]);
    let p = parse(&svg);
    p.common(
        "Excess ℓ1 norm",
        "training accuracy γ̃ = −log(loss)",
        "excess ℓ1 norm",
    );
    p.has_text("w_ℓ2 (kernel limit)");
    p.one_polyline_per_curve(2);
    // 12 samples per curve, all with a positive margin on this data
    for i in 0..2 {
        assert_eq!(p.curves(&hex(i))[0].len(), 12);
    }
    // x increases along a curve (log axis of gt)
    let c = p.curves(&hex(0))[0];
    assert!(c.windows(2).all(|w| w[1].0 >= w[0].0));
}

#[test]
fn excess_plane_svg() {
    let (svg, _) = plot("excess-plane", &[]);
    let p = parse(&svg);
    p.common(
        "Excess ℓ1 against excess ℓ2",
        "excess ℓ2 norm",
        "excess ℓ1 norm",
    );
    for t in [
        "Q_μ path",
        "w_μ, μ = 0.5",
        "start: data mean",
        "w_ℓ2",
        "w_ℓ1",
    ] {
        p.has_text(t);
    }
    p.one_polyline_per_curve(2);
    assert_eq!(p.dashed_curves(), 1, "one dashed Q_mu path");
}

#[test]
fn kernel_distance_svg() {
    let (svg, _) = plot("kernel-distance", &[]);
    let p = parse(&svg);
    p.common(
        "Tangent-kernel distance",
        "training accuracy γ̃",
        "kernel distance  1 − ⟨K_t, K_0⟩",
    );
    p.one_polyline_per_curve(2);
    // two depths: one curve per (D, alpha), the legend names the depth
    let (svg, _) = plot("kernel-distance", &["--depths", "2,3"]);
    let p = parse(&svg);
    p.has_text("α = 1, D = 2");
    p.has_text("α = 2, D = 3");
    p.one_polyline_per_curve(4);
}

/// The rect of a square marker: its centre.
fn square_centre(p: &Parsed, fill: &str, size: f64) -> Vec<(f64, f64)> {
    p.rects
        .iter()
        .filter(|r| r.0 == fill && (r.3 - size).abs() < 0.5 && (r.4 - size).abs() < 0.5)
        .filter(|r| r.1 < p.legend_x)
        .map(|r| (r.1 + r.3 / 2.0, r.2 + r.4 / 2.0))
        .collect()
}

#[test]
fn sphere_svg_and_the_start_is_the_data_mean() {
    // start the paths at gt = 1e-6: the direction is then the data mean up to O(gt)
    let (svg, _) = plot("sphere", &["--from", "1e-6"]);
    let p = parse(&svg);
    p.common(
        "Direction w/‖w‖₂",
        "azimuth  atan2(w₂, w₁)  [degrees]",
        "pitch",
    );
    for t in [
        "Q_μ path",
        "start: data mean",
        "w_ℓ2 (kernel limit)",
        "w_ℓ1 (rich limit)",
    ] {
        p.has_text(t);
    }
    p.one_polyline_per_curve(2);
    assert_eq!(p.dashed_curves(), 1);
    // the start marker (a 12 px square in the chart, drawn from the exact mean)
    // sits where both curves begin
    let starts = square_centre(&p, "#1E1E1E", 12.0);
    assert_eq!(starts.len(), 1, "{:?}", p.rects);
    let s = starts[0];
    for i in 0..2 {
        let first = p.curves(&hex(i))[0][0];
        let dist = ((first.0 - s.0).powi(2) + (first.1 - s.1).powi(2)).sqrt();
        assert!(
            dist <= 2.0,
            "curve {i} starts at {first:?}, start marker at {s:?}"
        );
    }
}

#[test]
fn sphere_in_ten_dimensions_projects_and_says_so() {
    let dir = temp_dir();
    let out = dir.join("s.svg");
    let o = run(&[
        "plot",
        &case_path("random10.toml"),
        "--kind",
        "sphere",
        "-o",
        out.to_str().unwrap(),
        "--alphas",
        "1",
        "--gt-max",
        "20",
        "--samples",
        "10",
        "--tol",
        "1e-16",
        "--precision",
        "128",
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = parse(&std::fs::read_to_string(&out).unwrap());
    p.has_text("projected on span{w_ℓ2, w_ℓ1, data mean}");
    p.has_text("azimuth from w_ℓ2 toward w_ℓ1");
    p.one_polyline_per_curve(1);
}

fn synthetic() -> Vec<RequiredSeries> {
    // exactly on the lines gt = e^b (alpha^D)^a
    let line = |a: f64, b: f64| -> Vec<(f64, f64)> {
        [0.01, 0.1, 1.0, 10.0, 1e4]
            .iter()
            .map(|&x: &f64| (x, (a * x.ln() + b).exp()))
            .collect()
    };
    vec![
        RequiredSeries {
            depth: 2,
            points: line(1.0, 2.0),
            fit: Some((1.0, 2.0)),
            ..Default::default()
        },
        RequiredSeries {
            depth: 3,
            points: line(1.0, 1.0),
            fit: Some((1.0, 1.0)),
            ..Default::default()
        },
        RequiredSeries {
            depth: 10,
            points: line(0.9, -0.5),
            fit: None,
            ..Default::default()
        },
    ]
}

#[test]
fn required_accuracy_renderer() {
    let dir = temp_dir();
    let out = dir.join("req.svg");
    let series = synthetic();
    render_required_accuracy(&series, &out).unwrap();
    let p = parse(&std::fs::read_to_string(&out).unwrap());
    p.has_text("Training accuracy required");
    p.has_text("α^D");
    p.has_text("required accuracy γ̃");
    p.has_text("D = 2: required γ̃");
    p.has_text("D = 2: fit a = 1.000, b = 2.000 on [0.01, 10⁴]");
    p.has_text("D = 3: fit a = 1.000, b = 1.000 on [0.01, 10⁴]");
    // no local slopes given: no second panel, no point outside a fitted range
    assert!(!p.texts.iter().any(|t| t.contains("Local slopes")));
    assert!(!p.texts.iter().any(|t| t.contains("not fitted")));
    p.has_text("D = 10: required γ̃");
    assert!(!p.texts.iter().any(|t| t.contains("D = 10: fit")));
    // one fitted line per depth with a fit
    assert_eq!(p.curves(&hex(0)).len(), 1);
    assert_eq!(p.curves(&hex(1)).len(), 1);
    assert!(p.curves(&hex(2)).is_empty());
    // every point of a fitted depth is a filled marker on its line (within 2 px)
    for (i, s) in series.iter().enumerate().take(2) {
        let line = p.curves(&hex(i))[0];
        let dots: Vec<(f64, f64)> = p
            .circles
            .iter()
            .filter(|c| c.0 == hex(i))
            .map(|c| (c.1, c.2))
            .collect();
        // chart markers plus the legend marker
        assert_eq!(dots.len(), s.points.len() + 1);
        let on_line = |q: (f64, f64)| {
            line.windows(2).any(|w| {
                let (a, b) = (w[0], w[1]);
                if q.0 < a.0.min(b.0) - 1.0 || q.0 > a.0.max(b.0) + 1.0 {
                    return false;
                }
                let t = if b.0 == a.0 {
                    0.0
                } else {
                    ((q.0 - a.0) / (b.0 - a.0)).clamp(0.0, 1.0)
                };
                let y = a.1 + t * (b.1 - a.1);
                (y - q.1).abs() <= 2.0
            })
        };
        let in_chart: Vec<_> = dots.iter().filter(|d| d.0 < p.legend_x).collect();
        assert_eq!(in_chart.len(), s.points.len());
        for d in in_chart {
            assert!(
                on_line(*d),
                "depth {}: marker {d:?} off the fitted line",
                s.depth
            );
        }
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

/// The command end to end: the required gt of `ibcert table` per depth, one marker per
/// alpha^D and one fitted line per depth, all coordinates finite.
#[test]
fn required_accuracy_svg_from_the_table() {
    let (o, out) = plot_case(
        "fig5_d2.toml",
        "required-accuracy",
        &["--depths", "2,3", "--alpha-d", "1,10"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = parse(&std::fs::read_to_string(&out).expect("svg written"));
    p.has_text("Training accuracy required");
    p.has_text("D = 2: required γ̃");
    p.has_text("D = 3: required γ̃");
    p.has_text("D = 2: fit a = ");
    p.has_text("D = 3: fit a = ");
    // two points: the auto rule fits both; their local slope in the lower panel
    p.has_text("on [1, 10]");
    p.has_text("fitted over the largest alpha^D whose local slopes agree within 0.05");
    p.has_text("Local slopes");
    p.has_text("D = 2: local slope");
    p.has_text("slope 1 (Fig. 5b, large α^D)");
    for i in 0..2 {
        assert_eq!(p.curves(&hex(i)).len(), 1, "one fitted line per depth");
        let dots = p
            .circles
            .iter()
            .filter(|c| c.0 == hex(i) && c.1 < p.legend_x)
            .count();
        assert_eq!(dots, 2, "one marker per alpha^D");
    }
    assert!(p
        .polylines
        .iter()
        .all(|l| l.2.iter().all(|(x, y)| x.is_finite() && y.is_finite())));
}

/// The fitted range: the line is drawn over it only, the points outside it are rings
/// ("not fitted" in the legend), and the local slopes get a panel of their own.
#[test]
fn required_accuracy_marks_the_fitted_range() {
    let dir = temp_dir();
    let out = dir.join("req.svg");
    // flat below alpha^D = 1, slope 1 above; fitted over [1, 10^4]
    let xs = [0.01, 0.1, 1.0, 10.0, 100.0, 1e4];
    let y = |x: f64| (x.ln().max(0.0) + 3.0).exp();
    let points: Vec<(f64, f64)> = xs.iter().map(|&x| (x, y(x))).collect();
    let local_slopes: Vec<(f64, f64)> = points
        .windows(2)
        .map(|w| {
            let m = ((w[0].0.ln() + w[1].0.ln()) / 2.0).exp();
            (m, (w[1].1.ln() - w[0].1.ln()) / (w[1].0.ln() - w[0].0.ln()))
        })
        .collect();
    let s = vec![RequiredSeries {
        depth: 2,
        points,
        fit: Some((1.0, 3.0)),
        fit_range: Some((1.0, 1e4)),
        local_slopes,
    }];
    render_required_accuracy(&s, &out).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    let p = parse(&svg);
    p.has_text("D = 2: fit a = 1.000, b = 3.000 on [1, 10⁴]");
    p.has_text("D = 2: required γ̃, not fitted");
    p.has_text("Local slopes d ln γ̃ / d ln α^D");
    p.has_text("D = 2: local slope");
    p.has_text("slope 1 (Fig. 5b, large α^D)");
    // the line spans the fitted range only: its x extent is that of the filled dots
    let line = p.curves(&hex(0));
    assert_eq!(line.len(), 1);
    let (lx0, lx1) = line[0]
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), q| {
            (a.min(q.0), b.max(q.0))
        });
    let dots: Vec<f64> = p
        .circles
        .iter()
        .filter(|c| c.0 == hex(0) && c.1 < p.legend_x)
        .map(|c| c.1)
        .collect();
    // 4 fitted dots in the chart (1, 10, 100, 10^4)
    assert_eq!(dots.len(), 4, "{dots:?}");
    let (d0, d1) = dots
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    assert!(
        (lx0 - d0).abs() <= 1.0 && (lx1 - d1).abs() <= 1.0,
        "line {lx0}..{lx1}, dots {d0}..{d1}"
    );
    // the two points outside as rings (white filled circles), left of the line
    let rings = p
        .circles
        .iter()
        .filter(|c| c.0 == "#FFFFFF" && c.1 < lx0 - 1.0)
        .count();
    assert!(rings >= 2, "rings left of the fitted line: {rings}");
    // the slope panel: a nested svg below the main one
    assert!(svg.matches("<svg").count() == 2, "two panels");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn required_accuracy_bad_input_writes_nothing() {
    let dir = temp_dir();
    let out = dir.join("req.svg");
    assert!(matches!(
        required_accuracy_figure(&[]),
        Err(FigureError::Empty(_))
    ));
    assert!(render_required_accuracy(&[], &out).is_err());
    let mut s = synthetic();
    s[1].points[2].1 = 0.0;
    let e = render_required_accuracy(&s, &out).unwrap_err();
    assert!(e.contains("depth 3"), "{e}");
    let mut s = synthetic();
    s[0].fit = Some((f64::NAN, 1.0));
    assert!(render_required_accuracy(&s, &out).is_err());
    // an unwritable path (its directory does not exist)
    let e = render_required_accuracy(&synthetic(), &dir.join("no/such/dir/r.svg")).unwrap_err();
    assert!(e.contains("cannot write"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

/// Exit code 2, no panic, the message names the problem, and the output
/// directory is left empty.
fn assert_bad(args: &[&str], dir: &Path, fragments: &[&str]) {
    let o = run(args);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "exit code for {args:?}: {e}");
    assert!(!e.contains("panicked"), "panic: {e}");
    for f in fragments {
        assert!(e.contains(f), "message lacks {f:?}: {e}");
    }
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn bad_input_exits_2_and_leaves_no_file() {
    let dir = temp_dir();
    let out = dir.join("p.svg");
    let o = out.to_str().unwrap();
    let case = case_path("three_point.toml");
    let base = |kind: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["plot", &case, "--kind", kind, "-o", o, "--no-progress"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let check = |v: Vec<String>, frags: &[&str]| {
        let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        assert_bad(&a, &dir, frags);
    };
    // (kind, extra arguments, fragments of the message)
    let cases: &[(&str, &[&str], &[&str])] = &[
        // unknown kind (clap's value enum)
        ("histogram", &[], &["invalid value 'histogram'", "--kind"]),
        // delta outside (0, 1) for the Fig. 5b plot
        ("required-accuracy", &["--delta", "1"], &["--delta"]),
        ("required-accuracy", &["--delta", "0"], &["--delta"]),
        // the fitted range: a word, zero, or fewer than two points left
        (
            "required-accuracy",
            &["--fit-from", "tail"],
            &["--fit-from", "auto, all"],
        ),
        (
            "required-accuracy",
            &["--fit-from", "0"],
            &["--fit-from", "positive"],
        ),
        (
            "required-accuracy",
            &["--fit-from", "2"],
            &["--fit-from", "at least two"],
        ),
        // empty or non-positive alpha lists
        ("excess-l1", &["--alphas", ""], &["--alphas", "empty"]),
        ("excess-l1", &["--alphas", ",,"], &["--alphas", "empty"]),
        ("excess-l1", &["--alphas", "0"], &["--alphas", "positive"]),
        // a depth the case cannot take
        ("excess-l1", &["--depths", "1"], &["--depths", "depth 1"]),
        ("excess-l1", &["--depths", "2,0"], &["--depths", "depth 0"]),
        ("excess-l1", &["--depths", "two"], &["--depths", "'two'"]),
        (
            "excess-l1",
            &["--depths", "1001"],
            &["--depths", "depth 1001"],
        ),
        // repeated and empty entries (one rule with table: crate::options)
        (
            "excess-l1",
            &["--depths", "2,2"],
            &["--depths", "'2' appears twice"],
        ),
        (
            "excess-l1",
            &["--alphas", "1,2,1"],
            &["--alphas", "'1' appears twice"],
        ),
        (
            "excess-l1",
            &["--mu", "1,,2"],
            &["--mu", "entry 2 of 3 is empty"],
        ),
        // an end the paths cannot reach at this precision (fails inside the integration)
        (
            "excess-l1",
            &["--gt-max", "1e30", "--precision", "64", "--tol", "1e-20"],
            &["--precision", "too low"],
        ),
        // a stop rule that is not positive, and one that uses mu
        (
            "excess-l1",
            &["--stop", "1 - alpha"],
            &["--stop", "not a positive"],
        ),
        ("excess-l1", &["--stop", "alpha^D / mu"], &["--stop", "mu"]),
        (
            "excess-l1",
            &["--from", "100", "--gt-max", "10"],
            &["--from", "below"],
        ),
        ("excess-l1", &["--samples", "1"], &["--samples"]),
        ("excess-l1", &["--tol", "2"], &["--tol"]),
    ];
    for (kind, extra, frags) in cases {
        check(base(kind, extra), frags);
    }
    // output paths that cannot be written
    let missing = dir.join("missing/p.svg");
    let v: Vec<String> = [
        "plot",
        &case,
        "--kind",
        "excess-l1",
        "-o",
        missing.to_str().unwrap(),
        "--no-progress",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    check(v, &["--output", "does not exist"]);
    let v: Vec<String> = [
        "plot",
        &case,
        "--kind",
        "excess-l1",
        "-o",
        dir.to_str().unwrap(),
        "--no-progress",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    check(v, &["--output", "directory"]);
}

#[test]
fn sphere_needs_three_dimensions() {
    let dir = temp_dir();
    let case = dir.join("flat.toml");
    std::fs::write(
        &case,
        "format = 1\nname = \"flat\"\ndescription = \"d = 2\"\ndepth = 2\n[data]\n\
         points = [[\"1\", \"1/2\"], [\"-1/2\", \"1\"]]\nlabels = [1, 1]\n[numerics]\nalpha = \"1\"\n",
    )
    .unwrap();
    let out_dir = temp_dir();
    let out = out_dir.join("s.svg");
    assert_bad(
        &[
            "plot",
            case.to_str().unwrap(),
            "--kind",
            "sphere",
            "-o",
            out.to_str().unwrap(),
            "--no-progress",
        ],
        &out_dir,
        &["sphere", "d >= 3", "d = 2"],
    );
}

fn plot_case(case: &str, kind: &str, extra: &[&str]) -> (Output, common::TempPath) {
    let out = common::temp_path("plot", &format!("{kind}.svg"));
    let mut args: Vec<String> = vec![
        "plot".into(),
        case_path(case),
        "--kind".into(),
        kind.into(),
        "-o".into(),
        out.display().to_string(),
        "--tol".into(),
        "1e-20".into(),
        "--precision".into(),
        "128".into(),
        "--no-progress".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    (run(&a), out)
}

/// Fig. 3(c) data: the l1 optimum is the segment from (0, 1, 0) to (0, 0, 1). On the
/// sphere it runs along azimuth 90 from pitch 0 to the pole (the pole keeps the
/// segment's azimuth); in the excess plane it lies on excess l1 = 0 with excess l2
/// from sqrt(1/2) / (2/3) - 1 (its least-norm point (0, 1/2, 1/2); ||w_l2|| = 2/3)
/// to 1 / (2/3) - 1 = 1/2 (the vertices).
#[test]
fn non_unique_l1_face_is_drawn_as_a_segment() {
    let fast = ["--alphas", "1", "--gt-max", "30", "--samples", "10"];
    let (o, out) = plot_case("fig3c.toml", "sphere", &fast);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = parse(&std::fs::read_to_string(&out).unwrap());
    p.has_text("ℓ1 optimal face (a segment)");
    p.has_text("vertices of the ℓ1 optimal face (dim 1)");
    let seg: Vec<&Vec<(f64, f64)>> = p
        .polylines
        .iter()
        .filter(|(c, _, pts)| c == "#1E1E1E" && pts.len() > 2)
        .map(|(_, _, pts)| pts)
        .collect();
    assert_eq!(seg.len(), 1);
    // a vertical line in the chart: one x pixel, y from pitch 0 to pitch 90
    let xs: Vec<f64> = seg[0].iter().map(|q| q.0).collect();
    assert!(xs.iter().all(|&x| x == xs[0]), "{xs:?}");
    p.one_polyline_per_curve(1);

    let (o, out) = plot_case("fig3c.toml", "excess-plane", &fast);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = parse(&std::fs::read_to_string(&out).unwrap());
    let lo = (0.5f64).sqrt() * 1.5 - 1.0;
    p.has_text(&format!(
        "ℓ1 optimal face (a segment): excess ℓ2 {} to 0.5",
        ibcert::plot::figure::short_number(lo)
    ));
    p.one_polyline_per_curve(1);
    assert_eq!(p.dashed_curves(), 1);
}

#[test]
fn curves_by_alpha_to_the_depth() {
    let (o, out) = plot_case(
        "three_point.toml",
        "excess-l1",
        &[
            "--alpha-d",
            "1/4,1",
            "--depths",
            "2,3",
            "--gt-max",
            "20",
            "--samples",
            "8",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = parse(&std::fs::read_to_string(&out).unwrap());
    for t in [
        "α^D = 0.25, D = 2",
        "α^D = 1, D = 2",
        "α^D = 0.25, D = 3",
        "α^D = 1, D = 3",
    ] {
        p.has_text(t);
    }
    p.one_polyline_per_curve(4);
    // --alpha-d and --alphas exclude each other; an empty list is refused
    let dir = temp_dir();
    let o = dir.join("x.svg");
    let base = [
        "plot",
        &case_path("three_point.toml"),
        "--kind",
        "excess-l1",
        "-o",
        o.to_str().unwrap(),
    ];
    let mut a = base.to_vec();
    a.extend(["--alpha-d", "1", "--alphas", "2"]);
    assert_bad(&a, &dir, &["--alpha-d", "--alphas"]);
    let mut a = base.to_vec();
    a.extend(["--alpha-d", ""]);
    assert_bad(&a, &dir, &["--alpha-d", "empty"]);
}

/// The same figure with one thread and with two: identical bytes.
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let mut svgs = Vec::new();
    for threads in ["1", "2"] {
        let dir = temp_dir();
        let out = dir.join("k.svg");
        let o = bin()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "plot",
                &case_path("three_point.toml"),
                "--kind",
                "kernel-distance",
                "-o",
                out.to_str().unwrap(),
                "--alphas",
                "1,2,3",
                "--gt-max",
                "20",
                "--samples",
                "10",
                "--tol",
                "1e-20",
                "--precision",
                "128",
                "--no-progress",
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
        svgs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(svgs[0], svgs[1]);
}

/// `plot` of a regression figure on a bundled regression case.
fn regression_plot(case: &str, kind: &str, extra: &[&str]) -> Parsed {
    let dir = temp_dir();
    let out = dir.join(format!("{kind}.svg"));
    let mut args = vec![
        "plot".to_string(),
        case_path(case),
        "--kind".into(),
        kind.into(),
        "-o".into(),
        out.display().to_string(),
        "--precision".into(),
        "128".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = run(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    parse(&std::fs::read_to_string(&out).unwrap())
}

/// Fig. 1b on the single sample: a solid (l1) and a dashed (l2) curve per depth, each
/// with one point per alpha where the excess is certainly positive.
#[test]
fn regression_norms_svg() {
    let p = regression_plot(
        "regression_single.toml",
        "regression-norms",
        &[
            "--depths",
            "2,3",
            "--samples",
            "9",
            "--log10-alpha-range",
            "-6,2",
        ],
    );
    assert!(
        p.texts.iter().any(|t| t.contains("Fig. 1b")),
        "{:?}",
        p.texts
    );
    for label in [
        "excess ℓ1, D = 2",
        "excess ℓ2, D = 2",
        "excess ℓ1, D = 3",
        "excess ℓ2, D = 3",
    ] {
        assert!(p.texts.iter().any(|t| t == label), "{label}: {:?}", p.texts);
    }
    let solid: Vec<_> = p
        .polylines
        .iter()
        .filter(|l| !l.1 && l.2.len() == 9)
        .collect();
    let dashed: Vec<_> = p
        .polylines
        .iter()
        .filter(|l| l.1 && l.2.len() >= 5)
        .collect();
    assert_eq!(solid.len(), 2, "{:?}", p.polylines);
    assert_eq!(dashed.len(), 2, "{:?}", p.polylines);
    // the excess l1 norm falls as alpha decreases: SVG y grows downwards, x with alpha
    for (_, _, pts) in solid {
        assert!(
            pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1),
            "{pts:?}"
        );
    }
}

/// Fig. 2b on the sparse case (d = 40): one curve per depth.
#[test]
fn q_ratio_svg() {
    let p = regression_plot(
        "regression_sparse.toml",
        "q-ratio",
        &[
            "--depths",
            "2,3,5",
            "--samples",
            "11",
            "--log10-alpha-range",
            "-20,5",
        ],
    );
    assert!(
        p.texts.iter().any(|t| t.contains("Fig. 2b")),
        "{:?}",
        p.texts
    );
    let curves: Vec<_> = p.polylines.iter().filter(|l| l.2.len() == 11).collect();
    assert_eq!(curves.len(), 3, "{:?}", p.polylines);
}

/// The regression figures refuse classification cases and flow options; the flow figures
/// refuse regression cases and the regression range; nothing is written.
#[test]
fn regression_figures_bad_input() {
    let dir = temp_dir();
    let out = dir.join("x.svg");
    let o = out.to_str().unwrap();
    let reg = case_path("regression_single.toml");
    let cls = case_path("three_point.toml");
    assert_bad(
        &["plot", &cls, "--kind", "regression-norms", "-o", o],
        &dir,
        &["--kind: regression-norms is drawn for regression cases"],
    );
    assert_bad(
        &["plot", &reg, "--kind", "excess-l1", "-o", o],
        &dir,
        &["regression case"],
    );
    assert_bad(
        &[
            "plot",
            &cls,
            "--kind",
            "excess-l1",
            "--log10-alpha-range",
            "-1,1",
            "-o",
            o,
        ],
        &dir,
        &["--log10-alpha-range: only for the regression figures"],
    );
    assert_bad(
        &["plot", &reg, "--kind", "q-ratio", "--alphas", "1", "-o", o],
        &dir,
        &["--alphas: not used by the regression figures"],
    );
    assert_bad(
        &[
            "plot",
            &reg,
            "--kind",
            "q-ratio",
            "--log10-alpha-range",
            "3,5",
            "-o",
            o,
        ],
        &dir,
        &["--log10-alpha-range: expected two integers"],
    );
    assert_bad(
        &[
            "plot",
            &reg,
            "--kind",
            "regression-norms",
            "--samples",
            "1",
            "-o",
            o,
        ],
        &dir,
        &["--samples"],
    );
}
