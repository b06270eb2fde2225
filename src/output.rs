//! Writing into `--out DIR`: atomic (temp file + rename), never over an existing file
//! without `--force`, secrets created 0600 from the start.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "these files already exist (use --force to overwrite them):\n  {}",
        .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n  ")
    )]
    Exists(Vec<PathBuf>),
    #[error("cannot write {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0:?} is not a relative path inside the output directory")]
    BadPath(String),
}

/// Who may read a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 0644: records, configs, reports.
    Public,
    /// 0600: private keys, SASL passwords.
    Secret,
    /// 0755: scripts.
    Executable,
}

/// One file to write, relative to the output directory.
#[derive(Clone, Debug)]
pub struct OutputFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: Mode,
}

impl OutputFile {
    pub fn new(path: impl Into<String>, contents: impl Into<Vec<u8>>, mode: Mode) -> Self {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
            mode,
        }
    }
}

/// Write every file or none: conflicts are checked for all files before the first write.
pub fn write_all(
    root: &Path,
    files: &[OutputFile],
    force: bool,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut targets = Vec::new();
    for file in files {
        let rel = Path::new(&file.path);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(OutputError::BadPath(file.path.clone()));
        }
        targets.push(root.join(rel));
    }
    if !force {
        let existing: Vec<PathBuf> = targets.iter().filter(|p| p.exists()).cloned().collect();
        if !existing.is_empty() {
            return Err(OutputError::Exists(existing));
        }
    }
    for (file, target) in files.iter().zip(&targets) {
        write_atomic(target, &file.contents, file.mode)?;
    }
    Ok(targets)
}

fn write_atomic(target: &Path, contents: &[u8], mode: Mode) -> Result<(), OutputError> {
    let io = |error| OutputError::Io {
        path: target.to_path_buf(),
        error,
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = open_with_mode(&temp, mode)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(io)
}

#[cfg(unix)]
fn open_with_mode(path: &Path, mode: Mode) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let bits = match mode {
        Mode::Public => 0o644,
        Mode::Secret => 0o600,
        Mode::Executable => 0o755,
    };
    let _ = fs::remove_file(path);
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(bits)
        .open(path)
}

#[cfg(not(unix))]
fn open_with_mode(path: &Path, _mode: Mode) -> std::io::Result<fs::File> {
    let _ = fs::remove_file(path);
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Read a user-supplied file, refusing anything larger than `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read;
    let file = fs::File::open(path)?;
    let mut buf = Vec::new();
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than the limit of {limit} bytes"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_and_writes_secrets_0600() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            OutputFile::new("a/report.json", "{}", Mode::Public),
            OutputFile::new("dkim/key.pem", "secret", Mode::Secret),
        ];
        write_all(dir.path(), &files, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("dkim/key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = write_all(dir.path(), &files, false).unwrap_err();
        assert!(matches!(err, OutputError::Exists(ref v) if v.len() == 2));
        write_all(dir.path(), &files, true).unwrap();
        assert!(
            write_all(
                dir.path(),
                &[OutputFile::new("../x", "", Mode::Public)],
                true
            )
            .is_err()
        );
    }
}
