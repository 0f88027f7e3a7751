//! Terminal text helpers: display width (public: the report's tables use the same
//! measure), sanitizing, truncation, wrapping.
//!
//! Width is approximated without a Unicode table crate: control characters and
//! combining marks are removed by `sanitize`, East Asian wide/fullwidth and emoji
//! ranges count 2 columns, everything else 1. That is exact for ATT&CK data (ASCII plus
//! a few Latin-1 letters) and conservative enough for user-supplied labels.

/// Display width of one character in terminal columns: 0 for control, zero-width and
/// combining characters, 2 for East Asian wide characters and emoji, 1 otherwise.
pub fn char_width(c: char) -> usize {
    let cp = c as u32;
    if is_zero_width(c) {
        0
    } else if matches!(cp,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD)
    {
        2
    } else {
        1
    }
}

fn is_zero_width(c: char) -> bool {
    let cp = c as u32;
    c.is_control()
        || matches!(cp,
            0x0300..=0x036F
            | 0x0483..=0x0489
            | 0x0591..=0x05BD
            | 0x0610..=0x061A
            | 0x064B..=0x065F
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x206F
            | 0x20D0..=0x20FF
            | 0xFE00..=0xFE0F
            | 0xFE20..=0xFE2F
            | 0xFEFF
            | 0xE0000..=0xE01EF)
}

/// Remove control characters (including ESC, so labels cannot inject terminal
/// sequences), zero-width and combining characters; turn tabs and newlines into spaces.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if is_zero_width(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Display width of a string in terminal columns (see [`char_width`]).
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cut `s` to at most `max` columns, ending with `…` when something was cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

/// Pad `s` with spaces to `w` columns (no-op if already as wide).
pub(crate) fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    let cur = width(s);
    if cur < w {
        out.extend(std::iter::repeat_n(' ', w - cur));
    }
    out
}

/// Word-wrap `s` into at most `max_lines` lines of at most `w` columns; the last line
/// is truncated with `…` if text remains.
pub(crate) fn wrap(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    if w == 0 || max_lines == 0 {
        return Vec::new();
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if lines.len() + 1 == max_lines {
            lines.push(truncate(&words[i..].join(" "), w));
            return lines;
        }
        let mut line = String::new();
        while i < words.len() {
            let candidate = if line.is_empty() {
                words[i].to_string()
            } else {
                format!("{line} {}", words[i])
            };
            if width(&candidate) <= w {
                line = candidate;
                i += 1;
            } else {
                break;
            }
        }
        if line.is_empty() {
            // A single word longer than the line.
            line = truncate(words[i], w);
            i += 1;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("Escape to Host", 20), "Escape to Host");
        assert_eq!(truncate("Escape to Host", 8), "Escape…");
        assert_eq!(truncate("Escape to Host", 1), "…");
        assert_eq!(truncate("Escape to Host", 0), "");
        assert_eq!(width(&truncate("漢字漢字", 5)), 5);
        assert!(width(&truncate("漢字漢字", 4)) <= 4);
    }

    #[test]
    fn wraps_words() {
        assert_eq!(
            wrap("Privilege Escalation", 11, 2),
            ["Privilege", "Escalation"]
        );
        assert_eq!(wrap("Command and Control", 8, 2), ["Command", "and Con…"]);
        assert_eq!(wrap("Execution", 4, 2), ["Exe…"]);
        assert!(wrap("x", 0, 2).is_empty());
    }

    #[test]
    fn sanitizes_escapes() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "a[31mb c");
    }
}
