//! Terminal facts: colour, width, today's date.

use clap::ValueEnum;
use std::io::IsTerminal;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--color` and `--width`: every command that draws for a terminal has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct TermOpts {
    /// Colour output (`auto`: when writing to a terminal and NO_COLOR is not set).
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
    /// Render for this many columns (default: `COLUMNS`, the terminal's width, or 120).
    #[arg(long)]
    pub width: Option<usize>,
}

impl TermOpts {
    /// Should output be coloured (`to_file`: stdout is redirected by `--output`)?
    pub fn color(&self, to_file: bool) -> bool {
        use_color(self.color, to_file)
    }

    /// Columns to render for.
    pub fn width(&self) -> usize {
        width(self.width)
    }
}

/// Should output written to stdout be coloured?
pub fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Width to render for: `--width`, else `COLUMNS`, else the terminal's, else 120.
pub fn width(explicit: Option<usize>) -> usize {
    explicit
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .unwrap_or(120)
        .clamp(40, 400)
}

/// Today's date as `YYYY-MM-DD` (UTC), for suppression expiry. `PALISADE_TODAY` overrides it
/// so results can be reproduced.
pub fn today() -> String {
    if let Ok(day) = std::env::var("PALISADE_TODAY") {
        return day;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn civil_date(days: i64) -> String {
    let (year, month, day) = palisade_core::time::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), "1970-01-01");
        assert_eq!(super::civil_date(20_418), "2025-11-26");
        assert_eq!(super::civil_date(11_016), "2000-02-29");
    }
}
