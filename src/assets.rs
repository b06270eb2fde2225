//! Built-in templates and playbooks, overridable from a directory.
//!
//! Both folders are embedded at build time so the binary works from anywhere after
//! `cargo install`. `--templates DIR` / `--playbooks DIR` shadow embedded files that have the
//! same relative path and may add new ones, so text can be corrected or translated without
//! rebuilding.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "templates/"]
struct EmbeddedTemplates;

#[derive(Embed)]
#[folder = "playbooks/"]
struct EmbeddedPlaybooks;

/// Largest asset file read from an override directory.
const MAX_ASSET_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is larger than {MAX_ASSET_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
}

/// Which folder of assets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Templates,
    Playbooks,
}

/// The asset folders of one run: embedded files plus optional override directories.
#[derive(Clone, Debug, Default)]
pub struct Assets {
    templates_dir: Option<PathBuf>,
    playbooks_dir: Option<PathBuf>,
}

impl Assets {
    pub fn new(templates_dir: Option<PathBuf>, playbooks_dir: Option<PathBuf>) -> Self {
        Assets {
            templates_dir,
            playbooks_dir,
        }
    }

    fn dir(&self, kind: Kind) -> Option<&Path> {
        match kind {
            Kind::Templates => self.templates_dir.as_deref(),
            Kind::Playbooks => self.playbooks_dir.as_deref(),
        }
    }

    /// Every file under `prefix` (e.g. "findings/"), override directory winning, by path.
    pub fn files(&self, kind: Kind, prefix: &str) -> Result<BTreeMap<String, String>, AssetError> {
        let mut out = BTreeMap::new();
        let embedded: Vec<Cow<'static, str>> = match kind {
            Kind::Templates => EmbeddedTemplates::iter().collect(),
            Kind::Playbooks => EmbeddedPlaybooks::iter().collect(),
        };
        for path in embedded.iter().filter(|p| p.starts_with(prefix)) {
            if let Some(text) = embedded_text(kind, path) {
                out.insert(path.to_string(), text);
            }
        }
        if let Some(dir) = self.dir(kind) {
            for rel in list_dir(dir)? {
                if rel.starts_with(prefix) {
                    let text = read_bounded(&dir.join(&rel))?;
                    out.insert(rel, text);
                }
            }
        }
        Ok(out)
    }

    /// One file by relative path, override directory first.
    pub fn file(&self, kind: Kind, path: &str) -> Result<Option<String>, AssetError> {
        if let Some(dir) = self.dir(kind) {
            let full = dir.join(path);
            if full.is_file() {
                return read_bounded(&full).map(Some);
            }
        }
        Ok(embedded_text(kind, path))
    }
}

fn embedded_text(kind: Kind, path: &str) -> Option<String> {
    let file = match kind {
        Kind::Templates => EmbeddedTemplates::get(path),
        Kind::Playbooks => EmbeddedPlaybooks::get(path),
    }?;
    String::from_utf8(file.data.into_owned()).ok()
}

fn read_bounded(path: &Path) -> Result<String, AssetError> {
    let meta = std::fs::metadata(path).map_err(|error| AssetError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    if meta.len() > MAX_ASSET_BYTES {
        return Err(AssetError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(|error| AssetError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|_| AssetError::NotText {
        path: path.to_path_buf(),
    })
}

/// Relative paths of the regular files under `dir`, with '/' separators, two levels deep at most.
fn list_dir(dir: &Path) -> Result<Vec<String>, AssetError> {
    let mut out = Vec::new();
    walk(dir, "", 0, &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, rel: &str, depth: u8, out: &mut Vec<String>) -> Result<(), AssetError> {
    let entries = std::fs::read_dir(dir).map_err(|error| AssetError::Read {
        path: dir.to_path_buf(),
        error,
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel_path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            if depth < 3 {
                walk(&path, &rel_path, depth + 1, out)?;
            }
        } else if path.is_file() {
            out.push(rel_path);
        }
    }
    Ok(())
}
