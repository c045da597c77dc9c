//! `ibcert plan`: the generated scripts are valid shell (or a well-formed workflow), run
//! every shard K of N exactly once with `--shard K/N` (ibcert replaced by a stub that logs
//! its arguments), split a Slurm sweep into arrays of at most `--max-array-size` tasks with
//! a merge job depending on all of them (a fake `sbatch`), and bad input fails at plan
//! time with exit 2. `slurm_real_sweep` (ignored) runs a sweep on a local Slurm.

mod common;

use common::{assert_bad, case_path, ok_stdout, run, stderr, temp_dir};
use ibcert::cli::{shell_line, shell_quote};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[test]
fn shell_words_are_quoted() {
    assert_eq!(shell_quote("cases/fig3b.toml"), "cases/fig3b.toml");
    assert_eq!(shell_quote("--tol=1e-20"), "--tol=1e-20");
    assert_eq!(shell_quote(""), "''");
    assert_eq!(shell_quote("my cases"), "'my cases'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote("$HOME"), "'$HOME'");
    assert_eq!(shell_quote("a*b"), "'a*b'");
}

/// Quoted words come back unchanged through a real shell.
#[test]
fn shell_words_round_trip() {
    let words = ["a b", "it's", "x'y'z", "$(date)", "tab\there", "", "ok"];
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\n' {}", shell_line(&words)))
        .output()
        .unwrap();
    assert_eq!(common::text(&out.stdout), words.join("\n") + "\n");
}

// ------------------------------------------------------------------- helpers

/// A directory with a stub `ibcert` (appends its arguments, joined by `|`, as one line
/// to `log`, and exits with $STUB_EXIT, default 0) and a case file whose path has a
/// space and a single quote in it.
struct Sandbox {
    dir: common::TempDir,
    stub: PathBuf,
    log: PathBuf,
    case: PathBuf,
}

fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn sandbox(tag: &str) -> Sandbox {
    let dir = temp_dir(tag);
    let log = dir.join("stub.log");
    let stub = dir.join("stub ibcert.sh");
    write_exec(
        &stub,
        &format!(
            "#!/bin/bash\n(IFS='|'; echo \"$*\") >> {}\nexit \"${{STUB_EXIT:-0}}\"\n",
            shell_quote(log.to_str().unwrap())
        ),
    );
    let cases = dir.join("my cases");
    std::fs::create_dir_all(&cases).unwrap();
    let case = cases.join("it's.toml");
    std::fs::copy(case_path("fig3b.toml"), &case).unwrap();
    Sandbox {
        dir,
        stub,
        log,
        case,
    }
}

impl Sandbox {
    /// `ibcert plan CASE --ibcert STUB --results-dir "r 'd" --output FILE EXTRA...`
    fn plan(&self, file: &str, extra: &[&str]) -> PathBuf {
        let out = self.dir.join(file);
        let mut args = vec![
            "plan",
            self.case.to_str().unwrap(),
            "--ibcert",
            self.stub.to_str().unwrap(),
            "--results-dir",
            "r 'd",
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ok_stdout(&run(&args));
        out
    }

    fn bash(&self, script: &Path, env: &[(&str, &str)]) -> Output {
        let mut c = Command::new("bash");
        c.arg(script).current_dir(&self.dir);
        c.env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("IBCERT_SHARD_OFFSET");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('|').map(String::from).collect())
            .collect()
    }

    /// How often each shard K of `n` was run, with the shard's arguments checked.
    fn shard_counts(&self, n: usize) -> BTreeMap<usize, usize> {
        let mut counts = BTreeMap::new();
        for c in self.calls().iter().filter(|c| c.contains(&"check".into())) {
            assert!(
                c.contains(&self.case.to_str().unwrap().to_string()),
                "{c:?}"
            );
            let i = c.iter().position(|w| w == "--shard").expect("--shard");
            let (k, of) = c[i + 1].split_once('/').unwrap();
            assert_eq!(of, n.to_string());
            let k: usize = k.parse().unwrap();
            let at = |flag: &str| c[c.iter().position(|w| w == flag).unwrap() + 1].clone();
            assert_eq!(at("--results-dir"), "r 'd");
            assert_eq!(at("--output"), format!("r 'd/shard-{k}-of-{n}.json"));
            assert!(c.contains(&"--no-progress".into()));
            *counts.entry(k).or_insert(0) += 1;
        }
        counts
    }
}

fn bash_n(script: &Path) {
    let o = Command::new("bash").arg("-n").arg(script).output().unwrap();
    assert!(o.status.success(), "bash -n: {}", stderr(&o));
}

fn once(n: usize) -> BTreeMap<usize, usize> {
    (1..=n).map(|k| (k, 1)).collect()
}

// --------------------------------------------------------------------- slurm

/// Array tasks 0..N-1 run shards 1..N once each with the given threads and options;
/// IBCERT_SHARD_OFFSET shifts them, a task beyond N does nothing; a shard's exit 1
/// (some check did not hold) counts as completed, exit 2 is kept.
#[test]
fn slurm_tasks_run_every_shard_once() {
    let s = sandbox("plan-slurm");
    let script = s.plan(
        "sweep.sh",
        &[
            "--engine",
            "slurm",
            "--shards",
            "5",
            "--threads",
            "3",
            "--no-verify",
            "--tol",
            "1e-12",
        ],
    );
    bash_n(&script);
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.starts_with("#!/bin/bash\n"));
    for l in [
        "#SBATCH --job-name=ibcert-sweep",
        "#SBATCH --array=0-4\n",
        "#SBATCH --cpus-per-task=3\n",
        "#SBATCH --output=\"r 'd/logs/%x-%A_%a.out\"",
    ] {
        assert!(text.contains(l), "{l:?} in:\n{text}");
    }
    for task in 0..5 {
        let o = s.bash(&script, &[("SLURM_ARRAY_TASK_ID", &task.to_string())]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(s.shard_counts(5), once(5));
    let calls = s.calls();
    assert!(calls.iter().all(|c| c[..3] == ["--threads", "3", "check"]));
    assert!(calls.iter().all(|c| c.contains(&"--no-verify".into())));
    assert!(calls
        .iter()
        .all(|c| c.windows(2).any(|w| w == ["--tol", "1e-12"])));
    assert!(s.dir.join("r 'd").is_dir());

    // the threads follow the allocation; offsets; beyond N
    std::fs::remove_file(&s.log).unwrap();
    let env = |t: &'static str, off: &'static str| {
        [
            ("SLURM_ARRAY_TASK_ID", t),
            ("IBCERT_SHARD_OFFSET", off),
            ("SLURM_CPUS_PER_TASK", "2"),
        ]
    };
    for (t, off) in [("0", "4"), ("1", "4"), ("1", "2")] {
        let o = s.bash(&script, &env(t, off));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert_eq!(s.shard_counts(5), BTreeMap::from([(4, 1), (5, 1)]));
    assert!(s.calls().iter().all(|c| c[..2] == ["--threads", "2"]));

    let exit = |code: &str| {
        s.bash(
            &script,
            &[("SLURM_ARRAY_TASK_ID", "0"), ("STUB_EXIT", code)],
        )
        .status
        .code()
    };
    assert_eq!(exit("1"), Some(0));
    assert_eq!(exit("2"), Some(2));
}

/// `bash SCRIPT` submits N = 5 shards with M = 2 as arrays of 2, 2 and 1 tasks (offsets
/// 0, 2, 4), then a merge job after all three; running the tasks as submitted covers
/// every shard once, and the merge job's command merges the results directory.
#[test]
fn slurm_submitter_splits_into_arrays_then_merges() {
    let s = sandbox("plan-sbatch");
    let script = s.plan(
        "sweep.sh",
        &[
            "--engine",
            "slurm",
            "--shards",
            "5",
            "--max-array-size",
            "2",
        ],
    );
    assert!(std::fs::read_to_string(&script)
        .unwrap()
        .contains("#SBATCH --array=0-1\n"));
    let bin = s.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = s.dir.join("sbatch-calls");
    std::fs::create_dir_all(&calls).unwrap();
    write_exec(
        &bin.join("sbatch"),
        &format!(
            "#!/bin/bash\nd={}\nn=$(ls \"$d\" | wc -l)\nn=$((n + 1))\n\
             printf '%s\\n' \"$@\" > \"$d/$n\"\necho \"$((100 + n));cluster\"\n",
            shell_quote(calls.to_str().unwrap())
        ),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let o = s.bash(&script, &[("PATH", &path)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(
        out.contains("array job 101") && out.contains("merge: job 104"),
        "{out}"
    );
    assert!(s.dir.join("r 'd/logs").is_dir());
    let call = |n: usize| -> Vec<String> {
        std::fs::read_to_string(calls.join(n.to_string()))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    assert!(!calls.join("5").exists());
    for (n, (array, offset)) in [("0-1", 0), ("0-1", 2), ("0-0", 4)].iter().enumerate() {
        let c = call(n + 1);
        assert!(c.contains(&"--parsable".into()), "{c:?}");
        assert!(c.contains(&format!("--array={array}")), "{c:?}");
        assert!(c.contains(&format!("--export=ALL,IBCERT_SHARD_OFFSET={offset}")));
        assert!(
            c.contains(&"--output=r 'd/logs/%x-%A_%a.out".into()),
            "{c:?}"
        );
        assert_eq!(Path::new(c.last().unwrap()), script);
        // run the array's tasks as Slurm would
        let tasks: usize = array[2..].parse::<usize>().unwrap() + 1;
        for t in 0..tasks {
            let o = s.bash(
                &script,
                &[
                    ("SLURM_ARRAY_TASK_ID", &t.to_string()),
                    ("IBCERT_SHARD_OFFSET", &offset.to_string()),
                ],
            );
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
    }
    assert_eq!(s.shard_counts(5), once(5));
    let m = call(4);
    assert!(
        m.contains(&"--dependency=afterany:101:102:103".into()),
        "{m:?}"
    );
    let wrap = &m[m.iter().position(|w| w == "--wrap").expect("--wrap") + 1];
    std::fs::remove_file(&s.log).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(wrap)
        .current_dir(&s.dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let merges = s.calls();
    assert_eq!(merges.len(), 3, "{merges:?}");
    for (c, (format, file)) in merges.iter().zip([
        ("junit", "report.xml"),
        ("json", "report.json"),
        ("text", "report.txt"),
    ]) {
        assert_eq!(c[..2], ["merge", "r 'd"]);
        assert!(c.windows(2).any(|w| w == ["--format", format]), "{c:?}");
        assert!(c
            .windows(2)
            .any(|w| w[0] == "--output" && w[1] == format!("r 'd/{file}")));
        assert_eq!(c.contains(&"--no-timing".into()), format != "text");
    }
}

// ------------------------------------------------------------------ parallel

/// GNU parallel runs shards 1..N once each, then the three merges; a second run skips
/// the completed shards (the joblog). Skipped when `parallel` is not installed.
#[test]
fn parallel_script_runs_every_shard_once() {
    let s = sandbox("plan-parallel");
    let script = s.plan(
        "sweep.sh",
        &["--engine", "parallel", "--shards", "4", "--threads", "1"],
    );
    bash_n(&script);
    let have = Command::new("bash")
        .args(["-c", "command -v parallel"])
        .output()
        .unwrap();
    if !have.status.success() {
        eprintln!(
            "parallel_script_runs_every_shard_once: GNU parallel not installed; skipped the run"
        );
        return;
    }
    let o = s.bash(&script, &[("IBCERT_JOBS", "2")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(s.shard_counts(4), once(4));
    let merges = |s: &Sandbox| s.calls().iter().filter(|c| c[0] == "merge").count();
    assert_eq!(merges(&s), 3);
    assert!(s.dir.join("r 'd/joblog").is_file());
    // again, with the checks not all met: no shard reruns, the verdict is exit 1
    let o = s.bash(&script, &[("IBCERT_JOBS", "2"), ("STUB_EXIT", "1")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(s.shard_counts(4), once(4));
    assert_eq!(merges(&s), 6);
}

// -------------------------------------------------------------------- github

/// The workflow: a matrix of exactly N shards, not fail-fast, each uploading its results;
/// a merge job after all of them whatever their outcome, downloading every shard's
/// artifact. The shard step's command, with the matrix value put in, runs shard K of N.
#[test]
fn github_workflow_has_a_matrix_and_a_merge_job() {
    let s = sandbox("plan-github");
    let wf = s.plan("sweep.yml", &["--engine", "github", "--shards", "4"]);
    let text = std::fs::read_to_string(&wf).unwrap();
    assert!(!text.contains('\t'));
    for l in [
        "\non:\n  workflow_dispatch:\n",
        "\njobs:\n  shard:\n",
        "      fail-fast: false\n",
        "        shard: [1, 2, 3, 4]\n",
        "          name: ibcert-shard-${{ matrix.shard }}\n",
        "  merge:\n    needs: shard\n    if: always()\n",
        "          pattern: ibcert-shard-*\n          merge-multiple: true\n",
        "uses: actions/download-artifact@v4",
        "name: ibcert-report",
        "run: |\n          command -v m4 >/dev/null || sudo apt-get install -y m4\n          \
         cargo install --locked --path .\n",
    ] {
        assert!(text.contains(l), "{l:?} in:\n{text}");
    }
    assert_eq!(text.matches("uses: actions/upload-artifact@v4").count(), 2);
    // a YAML parser, where there is one (PyYAML; no Rust YAML crate is a dependency)
    let py = "import sys, yaml\n\
        w = yaml.safe_load(open(sys.argv[1]))\n\
        assert w['jobs']['shard']['strategy']['matrix']['shard'] == [1, 2, 3, 4], w\n\
        assert w['jobs']['merge']['needs'] == 'shard', w\n";
    match Command::new("python3").args(["-c", "import yaml"]).status() {
        Ok(st) if st.success() => {
            let o = Command::new("python3")
                .args(["-c", py])
                .arg(&wf)
                .output()
                .unwrap();
            assert!(o.status.success(), "PyYAML: {}", stderr(&o));
        }
        _ => {
            eprintln!("github_workflow_has_a_matrix_and_a_merge_job: no PyYAML; string checks only")
        }
    }
    let step = text
        .lines()
        .find(|l| l.contains(" check ") && l.contains("--shard"))
        .unwrap()
        .trim()
        .replace("${{ matrix.shard }}", "3");
    let o = Command::new("bash")
        .args(["-e", "-c", &format!("mkdir -p \"r 'd\"\n{step}")])
        .current_dir(&s.dir)
        .env("STUB_EXIT", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(s.shard_counts(4), BTreeMap::from([(3, 1)]));
    // the default program is `ibcert` on PATH
    let o = run(&[
        "plan",
        &case_path("fig3b.toml"),
        "--engine",
        "github",
        "--shards",
        "2",
    ]);
    assert!(ok_stdout(&o).contains("\n          ibcert --threads \"$(nproc)\" check "));
    let o = run(&[
        "plan",
        &case_path("fig3b.toml"),
        "--engine",
        "github",
        "--shards",
        "256",
    ]);
    assert!(ok_stdout(&o).contains(", 256]\n"));
}

// ----------------------------------------------------------------- bad input

#[test]
fn bad_plans_fail_at_plan_time() {
    let case = case_path("fig3b.toml");
    let plan = |extra: &[&str]| {
        let mut a = vec!["plan", case.as_str()];
        a.extend_from_slice(extra);
        run(&a)
    };
    assert_bad(
        &plan(&["--engine", "slurm", "--shards", "0"]),
        &["--shards", "at least 1"],
    );
    assert_bad(
        &plan(&["--engine", "github", "--shards", "257"]),
        &["--shards", "256", "GitHub"],
    );
    assert_bad(
        &plan(&[
            "--engine",
            "slurm",
            "--shards",
            "2",
            "--max-array-size",
            "0",
        ]),
        &["--max-array-size"],
    );
    assert_bad(
        &plan(&["--engine", "pbs", "--shards", "2"]),
        &["--engine", "pbs"],
    );
    assert_bad(&plan(&["--shards", "2"]), &["--engine"]);
    // options passed through to the shards are validated here, as check would
    assert_bad(
        &plan(&[
            "--engine",
            "parallel",
            "--shards",
            "2",
            "--max-time",
            "soon",
        ]),
        &["--max-time"],
    );
    let tp = case_path("three_point.toml");
    assert_bad(
        &run(&[
            "plan",
            &tp,
            "--engine",
            "parallel",
            "--shards",
            "2",
            "--loss-fn",
            "logistic",
        ]),
        &["--loss-fn logistic", "bounds"],
    );
    // ... and written into every shard's command line
    let o = plan(&[
        "--engine",
        "parallel",
        "--shards",
        "2",
        "--loss-fn",
        "logistic",
        "--max-time",
        "2h",
        "--checkpoint-every",
        "5m",
    ]);
    let script = common::ok_stdout(&o);
    for w in [
        "--loss-fn logistic",
        "--max-time 2h",
        "--checkpoint-every 5m",
    ] {
        assert!(script.contains(w), "{w}: {script}");
    }
    assert_bad(
        &plan(&["--engine", "slurm", "--shards", "2", "--tol", "2"]),
        &["--tol"],
    );
    assert_bad(
        &run(&[
            "plan",
            "no/such/case.toml",
            "--engine",
            "parallel",
            "--shards",
            "2",
        ]),
        &["no/such/case.toml"],
    );
    assert_bad(
        &plan(&[
            "--engine",
            "slurm",
            "--shards",
            "2",
            "--results-dir",
            "a\nb",
        ]),
        &["--results-dir", "control characters"],
    );
    assert_bad(
        &plan(&[
            "--engine", "github", "--shards", "2", "--ibcert", "${{ x }}",
        ]),
        &["--ibcert", "expression"],
    );
    let bad = common::temp_file("plan-bad", "bad.toml", "format = 1\nname = \"x\"\n");
    assert_bad(
        &run(&[
            "plan",
            bad.to_str().unwrap(),
            "--engine",
            "slurm",
            "--shards",
            "2",
        ]),
        &["bad.toml"],
    );
    let empty = temp_dir("plan-empty");
    assert_bad(
        &run(&[
            "plan",
            empty.to_str().unwrap(),
            "--engine",
            "slurm",
            "--shards",
            "2",
        ]),
        &["no case files"],
    );
}

// ------------------------------------------------------------ a real cluster

/// Run `cmd` in `dir` to completion, with SLURM_CONF = `conf`; panic with its output
/// otherwise.
fn sh(cmd: &str, dir: &Path, conf: &Path) -> String {
    let o = Command::new("bash")
        .args(["-c", cmd])
        .current_dir(dir)
        .env("SLURM_CONF", conf)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}{}",
        common::stdout(&o),
        stderr(&o)
    );
    common::stdout(&o)
}

/// A 4-shard sweep of five bundled cases on a one-node Slurm started by
/// tests/slurm/local-slurm.sh (needs root, slurm-wlm and munge; skipped otherwise, but
/// not under CI): the merged JSON and JUnit reports are byte-identical to the unsharded
/// `ibcert check CASES --no-verify --precision 128 --tol 1e-12 --no-timing`.
#[test]
#[ignore = "slow: needs a local Slurm (tests/slurm/local-slurm.sh, root, slurm-wlm, munge); about 40 s"]
fn slurm_real_sweep() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let have = Command::new("bash")
        .args([
            "-c",
            "[ \"$(id -u)\" -eq 0 ] && command -v slurmctld slurmd sbatch munged",
        ])
        .output()
        .unwrap();
    if !have.status.success() {
        // CI installs slurm-wlm and munge and runs as root: there it must run
        assert!(
            std::env::var_os("CI").is_none(),
            "slurm_real_sweep: needs root, slurm-wlm and munge (.ci/run installs them)"
        );
        eprintln!("slurm_real_sweep: needs root, slurm-wlm and munge; skipped");
        return;
    }
    let control = root.join("tests/slurm/local-slurm.sh");
    let dir = temp_dir("plan-slurm-real");
    let state = dir.join("slurm");
    let conf = state.join("slurm.conf");
    let start = format!(
        "{} start {}",
        shell_quote(control.to_str().unwrap()),
        shell_quote(state.to_str().unwrap())
    );
    sh(&start, &dir, &conf);
    let stop = format!(
        "{} stop {}",
        shell_quote(control.to_str().unwrap()),
        shell_quote(state.to_str().unwrap())
    );
    struct Stop(String, PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("bash")
                .args(["-c", &self.0])
                .current_dir(&self.1)
                .status();
        }
    }
    let _stop = Stop(stop, dir.to_path_buf());

    // five cases of both tasks (65 jobs; the whole suite is sharded through GNU
    // parallel in tests/sweeps.rs): what is tested here is the engine's round trip
    let cases: Vec<String> = [
        "fig3b.toml",
        "fig3c.toml",
        "single_point.toml",
        "regression_single.toml",
        "regression_nonunique.toml",
    ]
    .iter()
    .map(|c| case_path(c))
    .collect();
    let script = dir.join("sweep.sh");
    let mut args: Vec<&str> = vec!["plan"];
    args.extend(cases.iter().map(String::as_str));
    args.extend([
        "--engine",
        "slurm",
        "--shards",
        "4",
        "--no-verify",
        "--precision",
        "128",
        "--tol",
        "1e-12",
        "--results-dir",
        "results",
        "--output",
        script.to_str().unwrap(),
    ]);
    let o = run(&args);
    ok_stdout(&o);
    let submitted = sh("bash sweep.sh", &dir, &conf);
    let merge_id = submitted
        .lines()
        .find_map(|l| l.strip_prefix("merge: job "))
        .and_then(|l| l.split_whitespace().next())
        .expect("merge job id")
        .to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1800);
    loop {
        let q = sh("squeue --noheader --format=%i", &dir, &conf);
        if q.trim().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "timed out: {q}");
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
    let logs = sh("cat results/logs/*", &dir, &conf);
    for (file, format) in [("report.json", "json"), ("report.xml", "junit")] {
        let merged = std::fs::read(dir.join("results").join(file))
            .unwrap_or_else(|e| panic!("merge job {merge_id}: no {file} ({e}); logs:\n{logs}"));
        let mut args: Vec<&str> = vec!["check"];
        args.extend(cases.iter().map(String::as_str));
        args.extend([
            "--no-verify",
            "--precision",
            "128",
            "--tol",
            "1e-12",
            "--no-timing",
            "--format",
            format,
        ]);
        let whole = run(&args);
        assert!(
            matches!(whole.status.code(), Some(0 | 1)),
            "{}",
            stderr(&whole)
        );
        assert!(
            merged == whole.stdout,
            "merged {file} differs from the unsharded report; logs:\n{logs}"
        );
    }
}
