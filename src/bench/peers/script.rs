//! The peer's subprocess: whether python3 can run it, its input files, and the run itself
//! (with its deadline and its JSON report).

use super::{PeerJacobian, INSTALL_HINT, PEER_RTOL, SCRIPT_ENV};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why the peer cannot run (the ibcert side runs anyway).
pub(super) fn unavailable(script: &Path) -> Option<String> {
    if !script.is_file() {
        return Some(format!(
            "the peer script {} does not exist (give --peer-script PATH or set {SCRIPT_ENV})",
            script.display()
        ));
    }
    let probe = Command::new("python3")
        .args([
            "-c",
            "import sys, numpy, scipy; assert sys.version_info >= (3, 11)",
        ])
        .stdin(Stdio::null())
        .output();
    match probe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "python3 is not on PATH: the float64 peer needs Python 3.11 or later with numpy and scipy; install Python, then: {INSTALL_HINT}"
        )),
        Err(e) => Some(format!("python3 cannot be started ({e}); the peer needs Python 3.11+ with numpy and scipy: {INSTALL_HINT}")),
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let why = err.lines().last().unwrap_or("").trim().to_string();
            Some(format!(
                "python3 cannot import numpy and scipy, or is older than 3.11 ({why}); install them with: {INSTALL_HINT}"
            ))
        }
        Ok(_) => None,
    }
}

/// A file in the temporary directory, removed when dropped.
pub(super) struct TempFile(pub(super) PathBuf);

impl TempFile {
    pub(super) fn write(tag: &str, ext: &str, text: &str) -> Result<TempFile, String> {
        let p =
            std::env::temp_dir().join(format!("ibcert-peer-{}-{tag}.{ext}", std::process::id()));
        std::fs::write(&p, text).map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
        Ok(TempFile(p))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run the peer script on a case (it has printed its own JSON report, or failed).
pub(super) fn run_peer(
    script: &Path,
    case: &Path,
    alpha: &str,
    gt: &str,
    against: &Path,
    timeout_secs: u32,
    rounds: u32,
    jacobian: PeerJacobian,
) -> Result<serde_json::Value, String> {
    let mut child = Command::new("python3")
        .arg(script)
        .arg(case)
        .args(["--alpha", alpha, "--gt", gt, "--rtol", PEER_RTOL, "--json"])
        .args(["--timeout", &timeout_secs.to_string()])
        .args(["--rounds", &rounds.to_string()])
        .args(["--jacobian", jacobian.arg()])
        .arg("--against")
        .arg(against)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("python3 cannot be started: {e}"))?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    // three methods (each once or twice), each round stopped by the script at its
    // timeout; past that (a method stuck inside one call) the subprocess this function
    // started is killed
    let limit = 3 * jacobian.variants() * timeout_secs as u64 * rounds as u64 + 60;
    let deadline = Instant::now() + Duration::from_secs(limit);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for the peer: {e}")),
        }
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).to_string();
    match status {
        None => Err(format!(
            "the peer did not finish within {limit} s and was stopped"
        )),
        Some(s) if !s.success() => Err(format!(
            "the peer failed (exit {:?}): {}",
            s.code(),
            stderr.trim()
        )),
        Some(_) => serde_json::from_slice(&stdout)
            .map_err(|e| format!("the peer's output is not JSON ({e}): {}", stderr.trim())),
    }
}
