//! Recordings: a header line ([`RecordingHeader`]) then one [`RuntimeEvent`] per line.
//!
//! Reading never stops at a bad line: each problem is reported with its line number and the
//! rest is read. Lines over [`MAX_LINE_BYTES`] are refused without being parsed.

use crate::event::{RECORDING_SCHEMA, RecordingHeader, RuntimeEvent};

/// Longest line accepted (an event with 1 KiB of argv is about 3 KiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A problem on one line of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, when the JSON parser knows it.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingLine {
    /// The header.
    Header(Box<RecordingHeader>),
    /// An event.
    Event(Box<RuntimeEvent>),
    /// Blank line.
    Blank,
}

/// Parse one line (1-based `line` for messages).
pub fn parse_line(text: &str, line: usize) -> Result<RecordingLine, LineProblem> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(RecordingLine::Blank);
    }
    if text.len() > MAX_LINE_BYTES {
        return Err(LineProblem {
            line,
            column: 1,
            message: format!(
                "line of {} bytes is over the {MAX_LINE_BYTES}-byte limit",
                text.len()
            ),
        });
    }
    let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| LineProblem {
        line,
        column: e.column(),
        message: format!("not JSON: {e}"),
    })?;
    if value.get("schema").is_some() {
        let header: RecordingHeader = serde_json::from_value(value).map_err(|e| LineProblem {
            line,
            column: 1,
            message: format!("bad recording header: {e}"),
        })?;
        if header.schema != RECORDING_SCHEMA {
            return Err(LineProblem {
                line,
                column: 1,
                message: format!(
                    "recording schema `{}` is not `{RECORDING_SCHEMA}`",
                    header.schema
                ),
            });
        }
        return Ok(RecordingLine::Header(Box::new(header)));
    }
    let event: RuntimeEvent = serde_json::from_value(value).map_err(|e| LineProblem {
        line,
        column: 1,
        message: format!("not a runtime event: {e}"),
    })?;
    Ok(RecordingLine::Event(Box::new(event)))
}

/// Serialize an event as one recording line (without the newline).
pub fn event_line(event: &RuntimeEvent) -> String {
    serde_json::to_string(event).unwrap_or_default()
}

/// Serialize the header line.
pub fn header_line(header: &RecordingHeader) -> String {
    serde_json::to_string(header).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Process;

    #[test]
    fn round_trip_and_problems() {
        let header = RecordingHeader {
            schema: RECORDING_SCHEMA.into(),
            hostname: "n1".into(),
            ..RecordingHeader::default()
        };
        let event = RuntimeEvent {
            num: 1,
            time_ns: 5,
            evt_type: "execve".into(),
            proc: Process {
                pid: 3,
                name: "sh".into(),
                ..Process::default()
            },
            ..RuntimeEvent::default()
        };
        assert_eq!(
            parse_line(&header_line(&header), 1).unwrap(),
            RecordingLine::Header(Box::new(header))
        );
        assert_eq!(
            parse_line(&event_line(&event), 2).unwrap(),
            RecordingLine::Event(Box::new(event))
        );
        assert_eq!(parse_line("  ", 3).unwrap(), RecordingLine::Blank);
        let p = parse_line("{\"num\": ", 4).unwrap_err();
        assert_eq!(p.line, 4);
        assert!(p.message.starts_with("not JSON"), "{}", p.message);
        let p = parse_line("{\"num\": 1}", 5).unwrap_err();
        assert!(p.message.contains("not a runtime event"), "{}", p.message);
        let p = parse_line("{\"schema\": \"other/v9\"}", 6).unwrap_err();
        assert!(p.message.contains("other/v9"));
        let long = format!("\"{}\"", "x".repeat(MAX_LINE_BYTES + 1));
        assert!(parse_line(&long, 7).unwrap_err().message.contains("limit"));
    }
}
