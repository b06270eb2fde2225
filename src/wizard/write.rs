//! Writing the kit: all of it or none of it.
//!
//! A new directory is filled under a temporary name beside it and renamed into place in one
//! step, so an interruption (a signal, a full disk) leaves either the complete directory or
//! nothing under its name. Into an existing directory, [`output::write_all`] checks every
//! conflict before the first write and writes each file atomically.

use std::fs;
use std::path::{Path, PathBuf};

use crate::output::{self, OutputError, OutputFile};

/// Write `files` into `dir`; see the module documentation.
pub fn write_kit(dir: &Path, files: &[OutputFile], force: bool) -> Result<(), OutputError> {
    if dir.exists() {
        output::write_all(dir, files, force)?;
        return Ok(());
    }
    let io = |error| OutputError::Io {
        path: dir.to_path_buf(),
        error,
    };
    let temp = temp_beside(dir);
    if let Some(parent) = temp.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    if temp.exists() {
        // Left by an earlier run that was killed: never ours to keep.
        fs::remove_dir_all(&temp).map_err(io)?;
    }
    let result = output::write_all(&temp, files, false).and_then(|_| {
        fs::rename(&temp, dir).map_err(|error| OutputError::Io {
            path: dir.to_path_buf(),
            error,
        })
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result
}

/// `.NAME.mxdoctor-PID.tmp` in the same parent directory (a rename across file systems
/// would not be atomic).
fn temp_beside(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kit".into());
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.join(format!(".{name}.mxdoctor-{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Mode;

    #[test]
    fn a_new_directory_appears_whole_and_conflicts_write_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("kit");
        let files = vec![
            OutputFile::new("plan.md", "plan", Mode::Public),
            OutputFile::new("dkim/mail.private", "key", Mode::Secret),
        ];
        write_kit(&dir, &files, false).unwrap();
        assert_eq!(fs::read_to_string(dir.join("plan.md")).unwrap(), "plan");
        let leftovers: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("kit")]);
        // Again without --force: refused before anything is written.
        let more = vec![
            OutputFile::new("new.txt", "x", Mode::Public),
            OutputFile::new("plan.md", "plan 2", Mode::Public),
        ];
        assert!(write_kit(&dir, &more, false).is_err());
        assert!(!dir.join("new.txt").exists());
        assert_eq!(fs::read_to_string(dir.join("plan.md")).unwrap(), "plan");
        // A bad path fails the whole new directory: nothing appears.
        let bad = vec![
            OutputFile::new("ok.txt", "x", Mode::Public),
            OutputFile::new("../escape", "x", Mode::Public),
        ];
        let other = root.path().join("other");
        assert!(write_kit(&other, &bad, false).is_err());
        assert!(!other.exists());
        let leftovers = fs::read_dir(root.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary directory left behind");
    }
}
