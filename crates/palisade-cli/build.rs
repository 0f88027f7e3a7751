//! Embeds the built-in rule packs (`rules/<source>/*.yaml`, tests excluded) into the binary,
//! so `palisade detect` works without any file next to it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from(
        "/// (pack, file name, contents) of every built-in rules file, in load order.\npub const BUILTIN_RULES: &[(&str, &str, &str)] = &[\n",
    );
    let mut packs: Vec<_> = std::fs::read_dir(&root)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    packs.sort();
    for pack in packs {
        println!("cargo:rerun-if-changed={}", pack.display());
        let mut files: Vec<_> = std::fs::read_dir(&pack)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if !file.is_file()
                || !(name.ends_with(".yaml") || name.ends_with(".yml"))
                || name.contains(".tests.")
            {
                continue;
            }
            println!("cargo:rerun-if-changed={}", file.display());
            let pack_name = pack
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let _ = writeln!(
                code,
                "    ({pack_name:?}, {name:?}, include_str!({:?})),",
                file.canonicalize()
                    .unwrap_or(file.clone())
                    .display()
                    .to_string()
            );
        }
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"))
        .join("builtin_rules.rs");
    std::fs::write(out, code).expect("write builtin_rules.rs");
}
