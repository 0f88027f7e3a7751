//! RFC 3339 timestamps (`2024-05-01T12:34:56.123456789Z`, `...+02:00`) to Unix nanoseconds.

/// Parse an RFC 3339 date-time into nanoseconds since the Unix epoch.
///
/// Accepts `T`, `t` or a space between date and time, `Z`/`z` or a `±HH:MM` offset, and any
/// number of fraction digits (digits past nanoseconds are ignored). Returns `None` for
/// anything else, for impossible dates, and for instants outside the `i64` nanosecond range
/// (years 1678 to 2261).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs: i64 = match *b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if b[i + 3] != b':' || oh > 23 || om > 59 {
                return None;
            }
            let v = (oh * 3600 + om * 60) as i64;
            if sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    let days = days_from_civil(year as i64, month, day);
    let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(at..at + n)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339_nanos as p;

    #[test]
    fn valid() {
        assert_eq!(p("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            p("2019-01-08T22:59:23.123456Z"),
            Some(1_546_988_363_123_456_000)
        );
        assert_eq!(
            p("2019-01-08T22:59:23.123456789Z"),
            Some(1_546_988_363_123_456_789)
        );
        assert_eq!(
            p("2019-01-08T22:59:23.1234567891Z"),
            Some(1_546_988_363_123_456_789)
        );
        assert_eq!(
            p("2019-01-09T00:59:23+02:00"),
            Some(1_546_988_363_000_000_000)
        );
        assert_eq!(
            p("2019-01-08t20:59:23-02:00"),
            Some(1_546_988_363_000_000_000)
        );
        assert_eq!(p("2024-02-29 00:00:00z"), Some(1_709_164_800_000_000_000));
        assert_eq!(p("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "2019-01-08",
            "2019-01-08T22:59:23",
            "2019-13-08T22:59:23Z",
            "2023-02-29T00:00:00Z",
            "2019-01-08T24:00:00Z",
            "2019-01-08T22:59:23.Z",
            "2019-01-08T22:59:23+0200",
            "2019-01-08T22:59:23Zjunk",
            "9999-12-31T23:59:59Z",
            "2019-01-08T22:59:23.123é",
        ] {
            assert_eq!(p(s), None, "{s}");
        }
    }
}
