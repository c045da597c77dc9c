//! The one way files are written: whole or not at all. The bytes go to a temporary file
//! beside the target, are flushed to disk, and the temporary file is renamed over the
//! target (a reader sees the old file or the new one, never a part). The temporary name
//! is unique per target and per process (and per write within a process), so outputs
//! written at the same time, `a.json` and `a.csv` or two runs of one command, never
//! share one. On failure the temporary file is removed and the target is untouched.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file that could not be written: the target and the reason. Displayed as
/// "cannot write PATH: REASON"; callers put the option or file it came from in front.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The writes of this process so far (part of the temporary names).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary path for a write of `path`: `.NAME.ibcert-partial-PID-K` in the
/// same directory (a rename within one file system is atomic), K counting this
/// process's writes.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_else(|| "output".as_ref()));
    name.push(format!(
        ".ibcert-partial-{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    path.with_file_name(name)
}

/// Write `bytes` to `path` whole (see the module doc): temporary file, fsync, rename.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    if path.file_name().is_none() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        )));
    }
    let tmp = partial_path(path);
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes.as_ref())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(err)
}

/// Check, before any work, that `path` can be written: it is not empty and not a
/// directory, its directory exists, and a file can be created there (one is created
/// and removed). The message is the reason alone (callers name the option).
pub fn check_target(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("empty path".into());
    }
    if path.is_dir() {
        return Err(format!(
            "cannot write {}: it is a directory",
            path.display()
        ));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "cannot write {}: the directory {} does not exist",
            path.display(),
            parent.display()
        ));
    }
    let tmp = partial_path(path);
    std::fs::File::create(&tmp)
        .and_then(|_| std::fs::remove_file(&tmp))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed with its contents when dropped (also when the test
    /// panics).
    struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    impl std::ops::Deref for TempDir {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn temp_dir(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!(
            "ibcert-output-{tag}-{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn outputs_differing_in_extension_do_not_share_a_temporary_name() {
        let (json, csv) = (Path::new("d/a.json"), Path::new("d/a.csv"));
        let (tj, tc) = (partial_path(json), partial_path(csv));
        assert_ne!(tj, tc);
        assert_eq!(tj.parent(), Some(Path::new("d")));
        assert!(tj
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".a.json."));
        assert!(tc
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".a.csv."));
        // nor two writes of one target
        assert_ne!(partial_path(json), partial_path(json));
    }

    #[test]
    fn writes_whole_and_replaces() {
        let dir = temp_dir("whole");
        let (json, csv) = (dir.join("a.json"), dir.join("a.csv"));
        std::thread::scope(|s| {
            s.spawn(|| write_atomic(&json, "{}\n").unwrap());
            s.spawn(|| write_atomic(&csv, "x,y\n").unwrap());
        });
        write_atomic(&json, b"{\"a\": 1}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&json).unwrap(), "{\"a\": 1}\n");
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "x,y\n");
        assert_eq!(names(&dir), ["a.csv", "a.json"]);
    }

    #[test]
    fn a_failed_write_leaves_neither_target_nor_temporary_file() {
        let dir = temp_dir("fail");
        // the target is a directory (not empty): the rename fails
        let target = dir.join("out.svg");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "x").unwrap();
        let e = write_atomic(&target, "text").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(e.to_string().contains("out.svg"), "{e}");
        assert_eq!(names(&dir), ["out.svg"]);
        assert_eq!(names(&target), ["keep"]);
        // the directory does not exist: nothing is created
        let missing = dir.join("no/such/a.json");
        assert!(write_atomic(&missing, "text").is_err());
        assert_eq!(names(&dir), ["out.svg"]);
        // no file name at all
        assert!(write_atomic(Path::new("/"), "text").is_err());
    }

    #[test]
    fn targets_are_checked_before_any_work() {
        let dir = temp_dir("check");
        assert_eq!(check_target(Path::new("")).unwrap_err(), "empty path");
        let e = check_target(&dir).unwrap_err();
        assert!(e.ends_with("it is a directory"), "{e}");
        let e = check_target(&dir.join("no/a.svg")).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        check_target(&dir.join("a.svg")).unwrap();
        assert!(names(&dir).is_empty(), "the probe is removed");
    }
}
