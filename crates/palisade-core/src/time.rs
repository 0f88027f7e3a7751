//! RFC 3339 times to and from nanoseconds since the Unix epoch (`i64`: the years 1678 to
//! 2261), the one implementation the engine, the store and the correlator share.

/// Parse an RFC 3339 date-time (`2026-11-26T10:00:00Z`, `2026-11-26T10:00:00.123456Z`,
/// `2026-11-26T12:00:00+02:00`) into nanoseconds since the Unix epoch.
///
/// Accepts `T`, `t` or a space between date and time, `Z`/`z` or a `±HH:MM` offset, and any
/// number of fraction digits (digits past nanoseconds are ignored). A leap second (`:60`)
/// counts as the first instant of the next minute. Returns `None` for anything else
/// (surrounding whitespace included), for impossible dates and for instants outside the
/// `i64` nanosecond range.
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
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
    let mut pos = 19;
    let mut nanos: i64 = 0;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        let mut scale: i64 = 100_000_000;
        while let Some(c) = b.get(pos).filter(|c| c.is_ascii_digit()) {
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let offset_secs = match b.get(pos) {
        Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if pos + 6 == b.len() && b.get(pos + 3) == Some(&b':') => {
            let oh = digits(b, pos + 1, 2)?;
            let om = digits(b, pos + 4, 2)?;
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
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Nanoseconds since the epoch as RFC 3339 UTC with milliseconds
/// (`2026-11-26T10:00:00.123Z`), the form of `palisade.alert/v1` times.
pub fn rfc3339_utc(time_ns: i64) -> String {
    let secs = time_ns.div_euclid(1_000_000_000);
    let millis = time_ns.rem_euclid(1_000_000_000) / 1_000_000;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date (year, month 1–12, day 1–31) of a day count since
/// 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of
/// [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// The number written with exactly `len` ASCII digits at `from`.
fn digits(b: &[u8], from: usize, len: usize) -> Option<i64> {
    let part = b.get(from..from.checked_add(len)?)?;
    part.iter().try_fold(0i64, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid() {
        let p = parse_rfc3339_nanos;
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
        // A leap second is the first instant of the next minute.
        assert_eq!(p("2016-12-31T23:59:60Z"), p("2017-01-01T00:00:00Z"));
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
            "2019-01-08T22:59:23+24:00",
            "2019-01-08T22:59:23Zjunk",
            " 2019-01-08T22:59:23Z",
            "9999-12-31T23:59:59Z",
            "2019-01-08T22:59:23.123é",
            "2019-01-08T22:59:2é",
            "+019-01-08T22:59:23Z",
        ] {
            assert_eq!(parse_rfc3339_nanos(s), None, "{s}");
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_utc(1_795_687_200_123_456_789),
            "2026-11-26T10:00:00.123Z"
        );
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
    }

    proptest! {
        /// Formatting then parsing gives the instant back, to the millisecond.
        #[test]
        fn round_trip(ns in -8_000_000_000_000_000_000i64..9_000_000_000_000_000_000) {
            let ms = ns.div_euclid(1_000_000) * 1_000_000;
            prop_assert_eq!(parse_rfc3339_nanos(&rfc3339_utc(ns)), Some(ms));
        }

        /// Day counts and dates are inverse.
        #[test]
        fn civil_round_trip(days in -200_000i64..200_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        /// No input makes the parser panic.
        #[test]
        fn any_text(s in "\\PC{0,40}") {
            let _ = parse_rfc3339_nanos(&s);
        }
    }
}
