//! Terminal text helpers: display width, sanitising untrusted text, word wrapping.

use anstyle::Style;

// One measure of width for every terminal view (the ATT&CK matrix and the tables).
pub(crate) use palisade_attack::text::{char_width, width};

/// Makes text from inputs safe to print: whitespace controls become spaces, other control
/// characters and bidirectional overrides are shown escaped (`\u{1b}`), so a manifest cannot
/// move the cursor, recolour the terminal or reorder what the reader sees.
pub(crate) fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

/// Splits a word into pieces: the first at most `first` columns wide, the others at most
/// `others`. Prefers to break after a path separator or punctuation in the second half of a
/// piece. Every piece holds at least one character.
fn break_word(word: &str, first: usize, others: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = word.chars().collect();
    let mut cols = first.max(1);
    while width_of(&rest) > cols {
        let mut used = 0;
        let mut end = 0;
        let mut soft = None;
        for (i, &c) in rest.iter().enumerate() {
            let w = char_width(c);
            if used + w > cols && i > 0 {
                break;
            }
            used += w;
            end = i + 1;
            if matches!(c, '/' | '-' | '_' | '.' | ':' | ',' | '=') && used * 2 >= cols {
                soft = Some(i + 1);
            }
        }
        let cut = soft.unwrap_or(end).max(1);
        pieces.push(rest[..cut].iter().collect());
        rest.drain(..cut);
        cols = others.max(1);
    }
    pieces.push(rest.into_iter().collect());
    pieces
}

fn width_of(chars: &[char]) -> usize {
    chars.iter().copied().map(char_width).sum()
}

/// Word-wraps plain text to `cols` columns (long words are broken). Never returns an empty
/// list: empty text gives one empty line.
pub(crate) fn wrap(text: &str, cols: usize) -> Vec<String> {
    let words: Vec<Word> = text.split_whitespace().map(Word::plain).collect();
    wrap_words(&words, "", "", cols, false)
}

/// A word of a styled paragraph.
pub(crate) struct Word {
    pub text: String,
    pub style: Option<Style>,
    /// Pad the word (outside its style) to this many columns.
    pub min_cols: usize,
}

impl Word {
    pub(crate) fn plain(text: &str) -> Self {
        Word {
            text: text.to_owned(),
            style: None,
            min_cols: 0,
        }
    }

    pub(crate) fn styled(text: &str, style: Style) -> Self {
        Word {
            style: Some(style),
            ..Word::plain(text)
        }
    }

    pub(crate) fn padded(mut self, cols: usize) -> Self {
        self.min_cols = cols;
        self
    }
}

/// Plain words from text (split on whitespace).
pub(crate) fn words(text: &str) -> Vec<Word> {
    text.split_whitespace().map(Word::plain).collect()
}

/// Wraps styled words into lines of at most `cols` display columns: the first line starts
/// with `first`, the others with `rest` (both plain). Styles are applied only when `color`.
pub(crate) fn wrap_words(
    words: &[Word],
    first: &str,
    rest: &str,
    cols: usize,
    color: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut used = width(first);
    let mut empty = true; // nothing but the prefix on this line yet
    let mut pending_pad = 0; // padding owed by the previous word, written before the next one
    for word in words {
        let w = width(&word.text);
        let sep = usize::from(!empty);
        if !empty && used + pending_pad + sep + w > cols {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            used = width(rest);
        } else if !empty {
            line.extend(std::iter::repeat_n(' ', pending_pad + sep));
            used += pending_pad + sep;
        }
        let room = cols.saturating_sub(used);
        let fresh = cols.saturating_sub(width(rest));
        let pieces = if w <= room {
            vec![word.text.clone()]
        } else {
            break_word(&word.text, room, fresh)
        };
        let mut last = 0;
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                lines.push(std::mem::replace(&mut line, rest.to_owned()));
                used = width(rest);
            }
            last = width(piece);
            used += last;
            push_styled(&mut line, piece, word.style, color);
        }
        pending_pad = word.min_cols.saturating_sub(last);
        empty = false;
    }
    lines.push(line);
    lines.into_iter().map(|l| l.trim_end().to_owned()).collect()
}

/// Appends `text`, wrapped in `style` when colour is on.
pub(crate) fn push_styled(out: &mut String, text: &str, style: Option<Style>, color: bool) {
    match style {
        Some(style) if color && !text.is_empty() => {
            out.push_str(&format!(
                "{}{}{}",
                style.render(),
                text,
                style.render_reset()
            ));
        }
        _ => out.push_str(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_on_words_and_breaks_long_ones() {
        assert_eq!(wrap("a bb ccc dddd", 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), vec![""]);
        assert_eq!(
            wrap("see deploy/base/app.yaml", 10),
            vec!["see", "deploy/", "base/app.", "yaml"]
        );
        for line in wrap(&"x".repeat(25), 10) {
            assert!(width(&line) <= 10);
        }
    }

    #[test]
    fn hanging_indent_and_padding() {
        let ws = vec![
            Word::plain("high").padded(8),
            Word::plain("PAL-K8S-001"),
            Word::plain("alpha"),
            Word::plain("beta"),
        ];
        assert_eq!(
            wrap_words(&ws, "  ", "    ", 30, false),
            vec!["  high     PAL-K8S-001 alpha", "    beta"]
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb c");
        assert_eq!(sanitize("x\u{202E}y"), "x\\u{202e}y");
    }

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(width("日本"), 4);
        for line in wrap("日本語のメッセージはとても長いです", 7) {
            assert!(width(&line) <= 7, "{line}");
        }
    }
}
