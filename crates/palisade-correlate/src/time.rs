//! Timestamps: RFC 3339 parsing into nanoseconds since the Unix epoch, and the few
//! renderings the incident text needs.

use std::fmt;

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z (UTC).
///
/// Alert times are parsed into this ([`Timestamp::parse_rfc3339`]); [`crate::Correlator::close_idle`]
/// takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Nanoseconds since the epoch.
    pub fn from_nanos(ns: i64) -> Timestamp {
        Timestamp(ns)
    }

    /// Nanoseconds since the epoch.
    pub fn as_nanos(self) -> i64 {
        self.0
    }

    /// Parse an RFC 3339 date-time: `2026-11-26T10:00:00Z`, `2026-11-26T10:00:00.123456Z`,
    /// `2026-11-26T12:00:00+02:00`; `t`/`z` and a space separator are accepted too.
    /// Fractions beyond nanoseconds are truncated. `None` for anything else, including
    /// out-of-range fields (month 13, hour 24, ...) and instants the nanoseconds of an
    /// `i64` cannot hold (before 1678, after 2261). Surrounding whitespace is ignored.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        palisade_core::time::parse_rfc3339_nanos(s.trim()).map(Timestamp)
    }

    /// RFC 3339 in UTC with milliseconds, as in `palisade.alert/v1` (the same text as
    /// `palisade_core::rfc3339_utc`, written without the formatting machinery: the
    /// correlator renders several per alert).
    pub fn to_rfc3339(self) -> String {
        rfc3339(self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Append `v` in decimal, zero-padded to `width` digits.
fn push_unsigned(out: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut n = v;
    let mut i = buf.len();
    while n > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(buf.len().saturating_sub(width));
    for &b in &buf[start..] {
        out.push(char::from(b));
    }
}

/// A number in decimal.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    push_unsigned(out, n, 1);
}

/// Write `v` as exactly `N` zero-padded digits (the lowest ones).
fn put<const N: usize>(buf: &mut [u8], at: usize, v: u64) {
    let mut v = v;
    for i in (0..N).rev() {
        if let Some(b) = buf.get_mut(at + i) {
            *b = b'0' + (v % 10) as u8;
        }
        v /= 10;
    }
}

thread_local! {
    /// The last day rendered and its `YYYY-MM-DD` (alert times come in runs of one day).
    static LAST_DAY: std::cell::Cell<(i64, [u8; 10])> =
        const { std::cell::Cell::new((i64::MIN, [0; 10])) };
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` as bytes; `None` for years outside 0000 to 9999.
fn rfc3339_bytes(ns: i64) -> Option<[u8; 24]> {
    let secs = ns.div_euclid(1_000_000_000);
    let millis = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let mut b = *b"0000-00-00T00:00:00.000Z";
    match LAST_DAY.with(|c| c.get()) {
        (day, date) if day == days => b[..10].copy_from_slice(&date),
        _ => {
            let (year, month, day) = palisade_core::time::civil_from_days(days);
            if !(0..=9999).contains(&year) {
                return None;
            }
            put::<4>(&mut b, 0, year as u64);
            put::<2>(&mut b, 5, month as u64);
            put::<2>(&mut b, 8, day as u64);
            let mut date = [0u8; 10];
            date.copy_from_slice(&b[..10]);
            LAST_DAY.with(|c| c.set((days, date)));
        }
    }
    let rem = secs.rem_euclid(86_400) as u64;
    put::<2>(&mut b, 11, rem / 3600);
    put::<2>(&mut b, 14, (rem % 3600) / 60);
    put::<2>(&mut b, 17, rem % 60);
    put::<3>(&mut b, 20, millis as u64);
    Some(b)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn rfc3339(ns: i64) -> String {
    let mut out = String::with_capacity(24);
    push_rfc3339(&mut out, ns);
    out
}

/// Append [`rfc3339`].
pub(crate) fn push_rfc3339(out: &mut String, ns: i64) {
    match rfc3339_bytes(ns) {
        Some(b) => out.push_str(std::str::from_utf8(&b).unwrap_or_default()),
        None => out.push_str(&palisade_core::rfc3339_utc(ns)),
    }
}

/// Append `2026-11-26 10:02:18 UTC`.
pub(crate) fn push_datetime(out: &mut String, ns: i64) {
    match rfc3339_bytes(ns) {
        Some(b) => {
            let s = std::str::from_utf8(&b).unwrap_or_default();
            out.push_str(s.get(0..10).unwrap_or_default());
            out.push(' ');
            out.push_str(s.get(11..19).unwrap_or_default());
            out.push_str(" UTC");
        }
        None => {
            let s = rfc3339(ns);
            match (s.get(0..10), s.get(11..19)) {
                (Some(date), Some(time)) => {
                    out.push_str(date);
                    out.push(' ');
                    out.push_str(time);
                    out.push_str(" UTC");
                }
                _ => out.push_str(&s),
            }
        }
    }
}

/// Append `10:02:18 UTC` when `ns` falls on the same UTC day as `reference`, else the
/// full [`push_datetime`].
pub(crate) fn push_time_near(out: &mut String, ns: i64, reference: i64) {
    const DAY: i64 = 86_400_000_000_000;
    if ns.div_euclid(DAY) == reference.div_euclid(DAY) {
        if let Some(b) = rfc3339_bytes(ns) {
            let s = std::str::from_utf8(&b).unwrap_or_default();
            out.push_str(s.get(11..19).unwrap_or_default());
            out.push_str(" UTC");
            return;
        }
        let s = rfc3339(ns);
        if let Some(time) = s.get(11..19) {
            out.push_str(time);
            out.push_str(" UTC");
            return;
        }
    }
    push_datetime(out, ns);
}

#[cfg(test)]
pub(crate) fn human_datetime(ns: i64) -> String {
    let mut s = String::new();
    push_datetime(&mut s, ns);
    s
}

#[cfg(test)]
pub(crate) fn human_time_near(ns: i64, reference: i64) -> String {
    let mut s = String::new();
    push_time_near(&mut s, ns, reference);
    s
}

/// `3m 42s`, `1h 05m`, `2d 03h`, `0s`.
#[cfg(test)]
pub(crate) fn human_duration(ns: i64) -> String {
    let mut out = String::new();
    push_duration(&mut out, ns);
    out
}

/// Append `3m 42s`, `1h 05m`, `2d 03h`, `0s`.
pub(crate) fn push_duration(out: &mut String, ns: i64) {
    let secs = (ns.max(0) / 1_000_000_000) as u64;
    let (d, h, m, s) = (
        secs / 86_400,
        (secs % 86_400) / 3600,
        (secs % 3600) / 60,
        secs % 60,
    );
    let (big, big_unit, small, small_unit) = if d > 0 {
        (d, "d ", h, 'h')
    } else if h > 0 {
        (h, "h ", m, 'm')
    } else if m > 0 {
        (m, "m ", s, 's')
    } else {
        push_u64(out, s);
        out.push('s');
        return;
    };
    push_u64(out, big);
    out.push_str(big_unit);
    push_unsigned(out, small, 2);
    out.push(small_unit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_alert_format_and_offsets() {
        let t = Timestamp::parse_rfc3339("2026-11-26T10:00:00.123Z").map(|t| t.0);
        assert_eq!(t, Some(1_795_687_200_123_000_000));
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-26T12:00:00.123+02:00"),
            Timestamp::parse_rfc3339("2026-11-26T10:00:00.123Z")
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-26T10:00:00.123456789987Z").map(|t| t.0 % 1000),
            Some(789)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:00Z"),
            Some(Timestamp(0))
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1969-12-31T23:59:59Z"),
            Some(Timestamp(-1_000_000_000))
        );
        let rendered = Timestamp(1_795_687_200_123_000_000).to_rfc3339();
        assert_eq!(rendered, "2026-11-26T10:00:00.123Z");
    }

    #[test]
    fn fast_formatting_matches_palisade_core() {
        let mut x: u64 = 0x1234_5678;
        let mut samples = vec![0, -1, 1, i64::MIN, i64::MAX, -6_000_000_000_000_000_000];
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            samples.push(x as i64 >> (x % 8));
        }
        for ns in samples {
            assert_eq!(rfc3339(ns), palisade_core::rfc3339_utc(ns), "{ns}");
        }
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T10:00:00Zjunk",
            "2026-11-26T10:00:00+2:00",
            "２０２６-11-26T10:00:00Z",
            "2026-11-26T10:00:00+99:00",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
        assert!(Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn numbers_render() {
        let mut s = String::new();
        push_u64(&mut s, u64::MAX);
        s.push(' ');
        push_u64(&mut s, 0);
        assert_eq!(s, "18446744073709551615 0");
    }

    #[test]
    fn human_renderings() {
        assert_eq!(human_duration(222 * 1_000_000_000), "3m 42s");
        assert_eq!(human_duration(3900 * 1_000_000_000), "1h 05m");
        assert_eq!(human_duration(-5), "0s");
        let t = 1_795_687_338_008_000_000;
        assert_eq!(human_datetime(t), "2026-11-26 10:02:18 UTC");
        assert_eq!(human_time_near(t, t), "10:02:18 UTC");
    }
}
