//! Turning the PATH arguments into a list of files to scan.

use palisade_scan::{is_template_name, kind_from_name};
use std::path::{Path, PathBuf};

/// Files to scan, plus problems met while looking for them.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Files (or `-`), in a stable order.
    pub files: Vec<PathBuf>,
    /// Paths that could not be read, with the reason.
    pub errors: Vec<(String, String)>,
    /// Files passed over on purpose (templates), with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Directories never worth descending into.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    ".terraform",
];

/// Expand the arguments: files are taken as given (whatever their name), directories are
/// walked recursively for YAML/JSON, Dockerfiles and Compose files. Symlinked directories
/// are not followed, so a link loop cannot trap the walk.
pub fn collect(paths: &[PathBuf]) -> Inputs {
    let mut inputs = Inputs::default();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.files.push(path.clone());
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut inputs),
            Ok(_) => inputs.files.push(path.clone()),
            Err(e) => inputs
                .errors
                .push((path.display().to_string(), e.to_string())),
        }
    }
    inputs
}

fn walk_dir(dir: &Path, inputs: &mut Inputs) {
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                inputs
                    .errors
                    .push((dir.display().to_string(), e.to_string()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if file_type.is_dir() {
                if !SKIP_DIRS.contains(&name.as_ref()) {
                    stack.push(path);
                }
            } else if (file_type.is_file() || file_type.is_symlink())
                && kind_from_name(&name).is_some()
            {
                found.push(path);
            } else if file_type.is_file()
                && is_template_name(&name)
                && looks_scannable_template(&name)
            {
                inputs.skipped.push((
                    path.display().to_string(),
                    "template file: render it first, then scan the output".into(),
                ));
            }
        }
    }
    found.sort();
    inputs.files.extend(found);
}

/// A template of something Palisade reads (`Dockerfile.template`, `deploy.yaml.tmpl`).
fn looks_scannable_template(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("dockerfile") || lower.contains(".yaml") || lower.contains(".yml")
}
