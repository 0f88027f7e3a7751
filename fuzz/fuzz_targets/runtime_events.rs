//! Fuzz the runtime side: sensor records (decode → tracker → every field of the event) and
//! recording lines. Never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_engine::field::{Event, FieldTable};
use palisade_runtime::raw::decode;
use palisade_runtime::recording::{RecordingLine, parse_line};
use palisade_runtime::{NoDirectory, RuntimeFields, Tracker, TrackerOptions};

fuzz_target!(|data: &[u8]| {
    let mut tracker = Tracker::new(TrackerOptions::default());
    let table = RuntimeFields;
    // The input as a run of records of the sizes the kernel side writes.
    for chunk in data.chunks(1832) {
        if let Ok(raw) = decode(chunk) {
            let event = tracker.process(&raw, &mut NoDirectory);
            for info in table.fields() {
                let arg = match (info.arg_required, info.arg_index) {
                    (Some(_), true) => Some("1"),
                    (Some(_), false) => Some("flags"),
                    (None, _) => None,
                };
                if let Ok(field) = table.resolve(info.name, arg) {
                    let _ = event.get(&field).render();
                }
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    for (i, line) in text.lines().enumerate() {
        if let Ok(RecordingLine::Event(event)) = parse_line(line, i + 1) {
            let _ = event.proc.cmdline();
        }
    }
});
