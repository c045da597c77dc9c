//! The layering of the crate: data flow in one direction, readable from the folder names.
//! Every top-level module of src/ has a layer; a module may refer (`crate::NAME`, in code
//! or tests inside it) only to modules of strictly lower layers, so no two modules import
//! each other and there are no cycles. A new top-level module must be given a layer here.
//! Also: no source file over 700 lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: &[&[&str]] = &[
    // MPFR and rational kernels; the terminal (progress bars, atomic writes)
    &["num", "output"],
    // exact LP, the mirror maps, the generic integrator, the stop-rule language
    &["lp", "model", "ode", "rule"],
    // exact and MPFR references; the networks' flows as Odes and their driver
    &["reference", "flow"],
    // case files: schema, exact data, check declarations
    &["case"],
    // theorem checks; tables of required accuracy; the exp/logistic comparison
    &["checks", "table", "compare"],
    // reports (one exporter per format); sweeps (shards, job results, merging)
    &["report", "sweep"],
    // typed options shared by the commands and the figures
    &["options"],
    // figures
    &["plot"],
    // the benchmark workloads
    &["bench"],
    // the commands
    &["cli", "main", "lib"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of src/ belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules named as `crate::NAME` in a text (comments excluded).
fn referenced(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            } else if rest.starts_with('{') {
                // crate::{a, b::c}
                let inner = &rest[1..rest.find('}').unwrap_or(rest.len())];
                for part in inner.split(',') {
                    let n: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.push(n);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn modules_depend_only_on_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        let Some(lm) = layer_of(&m) else {
            violations.push(format!("{}: module {m} has no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for r in referenced(&text) {
            if r == m || r == "VERSION_LONG" || r == "version_line" {
                continue;
            }
            match layer_of(&r) {
                Some(lr) if lr < lm => edges.entry(m.clone()).or_default().push(r),
                Some(_) => violations.push(format!(
                    "{}: {m} (layer {lm}) refers to crate::{r}, which is not below it",
                    f.display()
                )),
                None => violations.push(format!(
                    "{}: crate::{r} is not a module with a layer",
                    f.display()
                )),
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // the check can fail: a known lower module is seen
    assert!(edges
        .get("flow")
        .is_some_and(|v| v.iter().any(|r| r == "ode")));
}

/// The longest a source file may be: a file that needs more holds several concerns.
const MAX_LINES: usize = 700;

#[test]
fn no_source_file_over_700_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let n = std::fs::read_to_string(f).unwrap().lines().count();
        if n > MAX_LINES {
            bad.push(format!("{rel}: {n} lines (at most {MAX_LINES})"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_reference_scanner_sees_grouped_imports() {
    assert_eq!(
        referenced("use crate::{num::x, ode};\nlet a = crate::flow::y; // crate::cli"),
        vec!["num", "ode", "flow"]
    );
}

/// The terminal is drawn on in one place: progress bars come from `crate::output`
/// (GtProgress, JobProgress), so `indicatif` appears in no other module.
#[test]
fn progress_bars_only_in_output() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let users: Vec<String> = files
        .iter()
        .filter(|f| module_of(&src, f) != "output")
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("indicatif"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        users.is_empty(),
        "indicatif used outside src/output: {users:?}"
    );
    // the check can fail: output itself uses it
    assert!(files
        .iter()
        .filter(|f| module_of(&src, f) == "output")
        .any(|f| std::fs::read_to_string(f).unwrap().contains("indicatif")));
}
