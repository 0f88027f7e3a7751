//! Fuzz the audit side: any bytes as an audit log (JSON lines, a JSON array, an
//! `EventList`, gzip) → the reader → event parsing → the built-in rule pack, outputs
//! rendered. Never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_engine::k8s_audit::{AuditEvent, K8sAuditFields, split_events};
use palisade_engine::{Engine, EngineOptions};
use std::sync::OnceLock;

/// The built-in pack (`rules/k8s_audit/*.yaml`), loaded once.
fn pack() -> &'static palisade_rules::Loaded {
    static PACK: OnceLock<palisade_rules::Loaded> = OnceLock::new();
    PACK.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/k8s_audit");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("rules/k8s_audit")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        let texts: Vec<(String, String)> = paths
            .iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(p).expect("rules"),
                )
            })
            .collect();
        let files: Vec<palisade_rules::RulesFile<'_>> = texts
            .iter()
            .map(|(path, text)| palisade_rules::RulesFile { path, text })
            .collect();
        palisade_rules::load(&files)
    })
}

static TABLE: K8sAuditFields = K8sAuditFields;

thread_local! {
    // Compiled once (compiling every input would make each run milliseconds); its
    // threshold and de-duplication state carries over from input to input, which only
    // widens what is exercised.
    static ENGINE: std::cell::RefCell<Engine<'static>> =
        std::cell::RefCell::new(Engine::new(pack(), &TABLE, &EngineOptions::default()).0);
}

fuzz_target!(|data: &[u8]| {
    ENGINE.with(|engine| {
        let mut engine = engine.borrow_mut();
        for (_, item) in split_events(std::io::Cursor::new(data)) {
            let Ok(text) = item else { continue };
            if let Ok(event) = AuditEvent::parse(&text) {
                engine.process(&event, |alert| {
                    std::hint::black_box(&alert.output);
                });
            }
        }
    });
});
