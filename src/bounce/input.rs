//! Reading the input, bounded: a file, or standard input for `-` or no argument.

use std::io::Read;
use std::path::Path;

/// Largest input read: 16 MiB. Bounces quote at most the headers or a part of the
/// returned message (Postfix keeps 50 kB, Exim 100 kB), so a larger input is not a bounce.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what}: {error}")]
    Read { what: String, error: std::io::Error },
    #[error(
        "{what} is larger than {} MiB, the limit for a bounce: give the bounce itself, or \
         paste only the error reply",
        MAX_INPUT_BYTES / 1024 / 1024
    )]
    TooLarge { what: String },
}

/// Read `path` (`-` or `None`: standard input) without ever holding more than the limit.
pub fn read_input(path: Option<&Path>) -> Result<Vec<u8>, InputError> {
    read_bounded(path, MAX_INPUT_BYTES)
}

fn read_bounded(path: Option<&Path>, limit: u64) -> Result<Vec<u8>, InputError> {
    let stdin = path.is_none_or(|p| p.as_os_str() == "-");
    let what = if stdin {
        "standard input".to_string()
    } else {
        path.map(|p| p.display().to_string()).unwrap_or_default()
    };
    let io = |error| InputError::Read {
        what: what.clone(),
        error,
    };
    let mut buf = Vec::new();
    if stdin {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(io)?;
    } else if let Some(path) = path {
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::other("it is a directory")));
        }
        if meta.is_file() && meta.len() > limit {
            return Err(InputError::TooLarge { what });
        }
        file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    }
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge { what });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_large_files_before_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.eml");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(1024).unwrap();
        let err = read_bounded(Some(&path), 100).unwrap_err();
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        assert!(read_bounded(Some(&path), 2048).is_ok());
        let err = read_bounded(Some(dir.path()), 100).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let err = read_bounded(Some(&dir.path().join("missing")), 100).unwrap_err();
        assert!(matches!(err, InputError::Read { .. }));
    }
}
