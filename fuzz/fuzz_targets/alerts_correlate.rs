//! Fuzz the correlator: any bytes as `palisade.alert/v1` JSON lines (what `palisade
//! incidents` and `palisade report` read) → a streaming correlator, with `close_idle` at
//! times taken from the input, then `finish`; every incident serialised. Never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_attack::{AttackVersion, Catalogue};
use palisade_core::AlertRecord;
use palisade_correlate::{Correlator, Options, Timestamp};

fuzz_target!(|data: &[u8]| {
    let catalogue = Catalogue::builtin(AttackVersion::V18_1);
    let options = Options {
        // Small numbers, so that caps and evidence trimming are reached.
        max_evidence: 2,
        max_link_fanout: 1,
        ..Options::default()
    };
    let mut c = Correlator::new(catalogue, options);
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("close ") {
            if let Some(t) = Timestamp::parse_rfc3339(rest) {
                out.extend(c.close_idle(t));
            }
            continue;
        }
        if let Ok(alert) = serde_json::from_str::<AlertRecord>(line) {
            let _ = c.push_alert(&alert);
        }
    }
    out.extend(c.finish());
    for incident in &out {
        std::hint::black_box(serde_json::to_string(incident).ok());
    }
});
