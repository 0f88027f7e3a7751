//! Time helpers: the store keeps every instant as nanoseconds since the Unix epoch (`i64`,
//! good for the years 1678–2262), and these convert to and from what users type.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

/// Parse an RFC 3339 timestamp (`2026-11-26T10:00:00.123Z`, `2026-11-26T12:00:00+02:00`) into
/// nanoseconds since the epoch (see [`palisade_core::time::parse_rfc3339_nanos`]).
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    palisade_core::time::parse_rfc3339_nanos(s)
}

/// Parse a duration such as `90s`, `15m`, `1h`, `7d`, `2w` or `1h30m` into nanoseconds.
/// Units: `ms`, `s`, `m`, `h`, `d`, `w`. Returns `None` for anything else.
pub fn parse_duration_ns(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = 0i64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "d" => 86_400 * 1_000_000_000,
            "w" => 7 * 86_400 * 1_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    Some(total)
}

/// Resolve a `--since`/`--until` argument: either a duration back from `now_ns` (`1h`) or an
/// RFC 3339 instant. Returns nanoseconds since the epoch.
pub fn parse_since(s: &str, now_ns: i64) -> Option<i64> {
    parse_duration_ns(s)
        .and_then(|d| now_ns.checked_sub(d))
        .or_else(|| parse_rfc3339_ns(s.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("1h"), Some(3_600_000_000_000));
        assert_eq!(parse_duration_ns("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_duration_ns("250ms"), Some(250_000_000));
        assert_eq!(parse_duration_ns("2w"), Some(14 * 86_400_000_000_000));
        for bad in ["", "h", "1", "1y", "-1h", "1.5h"] {
            assert_eq!(parse_duration_ns(bad), None, "{bad}");
        }
        assert_eq!(
            parse_since("1h", 10_000_000_000_000),
            Some(6_400_000_000_000)
        );
        assert_eq!(parse_since("1970-01-01T00:00:01Z", 0), Some(1_000_000_000));
    }
}
