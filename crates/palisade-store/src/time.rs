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
/// nanoseconds since the epoch. Accepts `t`/`z` in lowercase and a space instead of `T`;
/// fractions beyond nanoseconds are truncated. Returns `None` for anything else, including
/// impossible dates and instants outside the `i64` nanosecond range.
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            part.iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    };
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut frac_ns = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000i64;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            frac_ns += i64::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
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

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::rfc3339_utc;

    #[test]
    fn rfc3339_round_trips_with_core_formatter() {
        for ns in [
            0,
            1_795_687_200_123_000_000,
            951_782_400_000_000_000, // 2000-02-29
            -86_400_000_000_000,
            4_102_444_799_999_000_000,
        ] {
            assert_eq!(parse_rfc3339_ns(&rfc3339_utc(ns)), Some(ns), "{ns}");
        }
    }

    #[test]
    fn rfc3339_variants() {
        let base = parse_rfc3339_ns("2026-11-26T10:00:00Z").unwrap();
        assert_eq!(
            parse_rfc3339_ns("2026-11-26T12:00:00+02:00"),
            Some(base),
            "offset"
        );
        assert_eq!(parse_rfc3339_ns("2026-11-26t10:00:00z"), Some(base));
        assert_eq!(parse_rfc3339_ns("2026-11-26 10:00:00Z"), Some(base));
        assert_eq!(
            parse_rfc3339_ns("2026-11-26T10:00:00.123456789123Z"),
            Some(base + 123_456_789)
        );
        for bad in [
            "",
            "2026-11-26",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-26T10:00:00",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:00:00+0200",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_rfc3339_ns(bad), None, "{bad}");
        }
    }

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
