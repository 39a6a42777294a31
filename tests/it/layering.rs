//! The layering of `src/`: a top-level module may use only the modules listed before it
//! in `docs/ARCHITECTURE.md`'s layer order, so the import graph has no cycle.

use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom layer up. A module may depend on those before it.
const LAYERS: &[&str] = &[
    "core",
    "stats",
    "analytic",
    "scenarios",
    "net",
    "strategies",
    "compile",
    "exact",
    "sim",
    "report",
    "checks",
    "run",
    "compare",
    "validation",
    "output",
    "plan",
    "recommend",
    "embed",
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (None for `lib.rs` and `main.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The top-level modules a piece of source names through `crate::`, including the
/// members of a `use crate::{a::…, b::…}` group.
fn crate_references(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let name: String = member
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    found.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

/// Every `file: module -> module` import that points up the layer order. Code after a
/// file's `#[cfg(test)]`, and files that are `#![cfg(test)]` as a whole, are left out:
/// unit tests may build fixtures from any layer.
fn upward_imports(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let rank = |name: &str| LAYERS.iter().position(|layer| *layer == name);
    let mut violations = Vec::new();
    for file in files {
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        let own = rank(&module)
            .unwrap_or_else(|| panic!("{}: module `{module}` is in no layer", file.display()));
        let text = fs::read_to_string(&file).unwrap();
        if text.contains("#![cfg(test)]") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap();
        for used in crate_references(code) {
            if let Some(theirs) = rank(&used) {
                if theirs > own {
                    violations.push(format!("{}: {module} -> {used}", file.display()));
                }
            }
        }
    }
    violations.dedup();
    violations
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let violations = upward_imports(&src);
    assert!(
        violations.is_empty(),
        "imports pointing up the layer order:\n{}",
        violations.join("\n")
    );
}

#[test]
fn an_upward_import_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("core")).unwrap();
    fs::write(
        dir.path().join("core/time.rs"),
        "use crate::sim::engine::Replication;\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("sim.rs"),
        "use crate::{core::time, stats};\n",
    )
    .unwrap();
    assert_eq!(
        upward_imports(dir.path()),
        vec![format!(
            "{}: core -> sim",
            dir.path().join("core/time.rs").display()
        )]
    );
}
