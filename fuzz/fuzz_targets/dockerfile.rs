//! Fuzz the Dockerfile front-end and every Dockerfile check: never panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_scan::{FileKind, ScanOptions, Source, scan_sources};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let df = palisade_scan::dockerfile::parse_dockerfile("Dockerfile", &text);
    for instruction in &df.instructions {
        let _ = instruction.command_text();
    }
    let mut source = Source::new("Dockerfile", text.into_owned());
    source.kind = Some(FileKind::Dockerfile);
    let _ = scan_sources(vec![source], &ScanOptions::default());
});
