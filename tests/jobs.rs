//! Stable job identity (`--list-jobs` on check and table): every job has an id derived
//! from what determines its result, the same in every invocation and for any thread
//! count, changed by what changes the result and by nothing else.

mod common;
use common::{assert_bad, json, run, temp_file};
use std::collections::BTreeSet;

fn ids(args: &[&str]) -> Vec<String> {
    let o = run(args);
    common::ok_stdout(&o);
    let v = json(&o);
    assert_eq!(v["schema"], "ibcert.jobs/1");
    v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_jobs_have_stable_distinct_ids() {
    let base = [
        "check",
        "cases/three_point.toml",
        "--list-jobs",
        "--format",
        "json",
    ];
    let a = ids(&base);
    // one job per (check, alpha) of the file
    let case = std::fs::read_to_string("cases/three_point.toml").unwrap();
    let doc: toml::Table = toml::from_str(&case).unwrap();
    let expected: usize = doc["check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["alphas"].as_array().unwrap().len())
        .sum();
    assert_eq!(a.len(), expected);
    assert_eq!(
        a.iter().collect::<BTreeSet<_>>().len(),
        a.len(),
        "ids are distinct"
    );
    assert!(a
        .iter()
        .all(|id| id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())));
    // the same in another invocation and with another thread count
    let mut threads = vec!["--threads", "2"];
    threads.extend(base);
    assert_eq!(ids(&threads), a);
    // the numerics and the verification are part of the identity
    let mut prec = base.to_vec();
    prec.extend(["--precision", "320"]);
    assert!(ids(&prec).iter().all(|id| !a.contains(id)));
    let mut nv = base.to_vec();
    nv.push("--no-verify");
    assert!(ids(&nv).iter().all(|id| !a.contains(id)));
    // text: the id first on every line
    let o = run(&["check", "cases/three_point.toml", "--list-jobs"]);
    let text = common::stdout(&o);
    assert_eq!(
        text.lines()
            .map(|l| l[..16].to_string())
            .collect::<Vec<_>>(),
        a
    );
}

/// Editing the description or adding a check leaves the other jobs' ids alone; changing
/// the data or a check's own declaration changes them.
#[test]
fn ids_follow_what_determines_the_result() {
    let original = std::fs::read_to_string("cases/three_point.toml").unwrap();
    let list = |text: &str| {
        let f = temp_file("jobs", "jobs.toml", text);
        ids(&[
            "check",
            f.to_str().unwrap(),
            "--list-jobs",
            "--format",
            "json",
        ])
    };
    let a = list(&original);
    let described = original.replacen("Three points in d = 3", "Three points (edited) in d = 3", 1);
    assert_ne!(described, original);
    assert_eq!(list(&described), a);
    let added = format!(
        "{original}\n[[check]]\nname = \"extra\"\nkind = \"kernel\"\nalphas = [5]\ntolerance = 1\n"
    );
    let b = list(&added);
    assert_eq!(&b[..a.len()], &a[..]);
    assert_eq!(b.len(), a.len() + 1);
    // a check's tolerance belongs to its own jobs only
    let first_check = original.find("[[check]]").unwrap();
    let first_tol = first_check + original[first_check..].find("tolerance = ").unwrap();
    let mut changed = original.clone();
    changed.insert_str(first_tol, "tolerance = \"1/2\"\n# was: ");
    let c = list(&changed);
    assert_eq!(c.len(), a.len());
    assert!(c.iter().zip(&a).any(|(x, y)| x != y));
    assert!(c.iter().zip(&a).any(|(x, y)| x == y));
}

#[test]
fn table_rows_have_stable_distinct_ids() {
    let base = [
        "table",
        "cases/fig3b.toml",
        "--depths",
        "2,3",
        "--alphas",
        "10,100,1000",
        "--list-jobs",
        "--format",
        "json",
    ];
    let a = ids(&base);
    assert_eq!(a.len(), 6);
    assert_eq!(a.iter().collect::<BTreeSet<_>>().len(), 6);
    assert_eq!(ids(&base), a);
    // a row keeps its id when other rows are added
    let more = [
        "table",
        "cases/fig3b.toml",
        "--depths",
        "2,3",
        "--alphas",
        "10,100,1000,10000",
        "--list-jobs",
        "--format",
        "json",
    ];
    let b = ids(&more);
    assert!(a.iter().all(|id| b.contains(id)));
    // what the row depends on is part of it
    let mut delta = base.to_vec();
    delta.extend(["--delta", "0.1"]);
    assert!(ids(&delta).iter().all(|id| !a.contains(id)));
    // bad input is still refused first
    let o = run(&[
        "table",
        "cases/fig3b.toml",
        "--alphas",
        "10,10",
        "--list-jobs",
    ]);
    assert_bad(&o, &["--alphas"]);
}
