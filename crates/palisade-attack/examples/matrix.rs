//! Print the Containers matrix: `cargo run -p palisade-attack --example matrix -- [VERSION] [WIDTH] [ID...]`.
//!
//! Colour follows `NO_COLOR` (set it to disable). Each technique id given is
//! highlighted, with its position in the list as the heat level.

use palisade_attack::matrix::{Highlight, MatrixOptions, render_matrix};
use palisade_attack::{AttackVersion, Catalogue};
use std::collections::BTreeMap;

fn main() {
    let mut args = std::env::args().skip(1);
    let version: AttackVersion = match args.next().map(|v| v.parse()) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
        None => AttackVersion::V18_1,
    };
    let width = args.next().and_then(|w| w.parse().ok()).unwrap_or(120);
    let highlights: BTreeMap<String, Highlight> = args
        .enumerate()
        .map(|(i, id)| {
            let level = u8::try_from(i % 4 + 1).unwrap_or(1);
            let label = Some((i + 1).to_string());
            (id, Highlight { level, label })
        })
        .collect();
    let opts = MatrixOptions {
        width,
        color: std::env::var_os("NO_COLOR").is_none(),
        highlights,
        title: None,
    };
    print!("{}", render_matrix(Catalogue::builtin(version), &opts));
}
