//! Scalar resolution: from the text of a scalar to a [`Value`], per [`Schema`].

use crate::{ScalarStyle, Schema, Value};

/// Resolves one scalar. `tag` is already shortened (`!!int`, `!foo`). The error is a
/// plain-English message for a tag that does not fit the text.
pub(crate) fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    schema: Schema,
) -> Result<Value, String> {
    let Some(tag) = tag else {
        // Both go-yaml and YAML 1.2 only guess the type of plain scalars.
        return Ok(if style == ScalarStyle::Plain {
            resolve_plain(text, schema)
        } else {
            Value::Str(text.to_owned())
        });
    };
    // An explicit core tag applies whatever the quoting, as in go-yaml's resolve().
    let wanted = match tag {
        "!!null" => return Ok(Value::Null),
        "!!bool" | "!!int" | "!!float" => tag,
        // `!!str`, `!!binary`, `!!timestamp`, `!!merge`, the non-specific `!` and any local
        // tag (`!Ref`, ...): keep the text as written.
        _ => return Ok(Value::Str(text.to_owned())),
    };
    match (wanted, resolve_plain(text, schema)) {
        ("!!bool", v @ Value::Bool(_))
        | ("!!int", v @ Value::Int(_))
        | ("!!float", v @ Value::Float(_)) => Ok(v),
        // YAML allows an integer where a float is asked for.
        #[allow(clippy::cast_precision_loss)]
        ("!!float", Value::Int(i)) => Ok(Value::Float(i as f64)),
        _ => Err(format!("cannot decode `{}` as {wanted}", shorten(text))),
    }
}

/// Resolves an untagged plain scalar.
pub(crate) fn resolve_plain(text: &str, schema: Schema) -> Value {
    match schema {
        Schema::Kubernetes => resolve_yaml11(text),
        Schema::Compose => resolve_core(text),
    }
}

/// go-yaml v2 `resolve()`: a table of fixed spellings, then numbers for texts that start
/// with a digit, a sign or a dot.
fn resolve_yaml11(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    if let Some(v) = special_float(text) {
        return v;
    }
    match text.as_bytes().first() {
        Some(b'.') => float_value(text).unwrap_or_else(|| Value::Str(text.to_owned())),
        Some(b'0'..=b'9' | b'+' | b'-') => {
            // go-yaml strips every underscore before trying the number parsers.
            let stripped;
            let plain = if text.contains('_') {
                stripped = text.replace('_', "");
                stripped.as_str()
            } else {
                text
            };
            if let Some(i) = go_parse_int(plain) {
                return Value::Int(i);
            }
            // go-yaml yields a uint64 here; the nearest thing we have is a float.
            #[allow(clippy::cast_precision_loss)]
            if let Some(u) = go_parse_uint(plain) {
                return Value::Float(u as f64);
            }
            // Note that `08` and `09` end up here: invalid octal, but a fine float.
            float_value(plain).unwrap_or_else(|| Value::Str(text.to_owned()))
        }
        _ => Value::Str(text.to_owned()),
    }
}

/// YAML 1.2 core schema (10.3.2).
fn resolve_core(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(v) = special_float(text) {
        return v;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        // Leading zeros are decimal in YAML 1.2; too large for i64 falls through to float.
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
    } else if let Some(v) = text.strip_prefix("0o").and_then(|d| radix_value(d, 8)) {
        return v;
    } else if let Some(v) = text.strip_prefix("0x").and_then(|d| radix_value(d, 16)) {
        return v;
    }
    float_value(text).unwrap_or_else(|| Value::Str(text.to_owned()))
}

/// `.inf`, `-.Inf`, `.NaN` and friends, spelled the same in both schemas.
fn special_float(text: &str) -> Option<Value> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(Value::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => Some(Value::Float(f64::NAN)),
        _ => None,
    }
}

/// Unsigned digits in `radix` (YAML 1.2 `0o`/`0x` forms) as Int, or Float past `i64`.
fn radix_value(digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = u128::from_str_radix(digits, radix).ok()?;
    #[allow(clippy::cast_precision_loss)]
    Some(i64::try_from(n).map_or(Value::Float(n as f64), Value::Int))
}

/// Parses `text` as a float if it matches
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, the float pattern shared by
/// go-yaml v2 and the YAML 1.2 core schema.
fn float_value(text: &str) -> Option<Value> {
    if !is_float_syntax(text.as_bytes()) {
        return None;
    }
    text.parse::<f64>().ok().map(Value::Float)
}

fn is_float_syntax(b: &[u8]) -> bool {
    let digits = |b: &[u8], i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = digits(b, i);
    i += int;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = digits(b, i);
        if int == 0 && frac == 0 {
            return false;
        }
        i += frac;
    } else if int == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(b, i);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// Splits Go's base-0 integer syntax: `0x`/`0X`, `0b`/`0B`, `0o`/`0O` prefixes and a bare
/// leading `0` for octal. Returns the radix and the digits, which must be non-empty and valid.
fn go_radix(s: &str) -> Option<(u32, &str)> {
    let b = s.as_bytes();
    let (radix, digits) = match b {
        [b'0', b'x' | b'X', ..] => (16, &s[2..]),
        [b'0', b'b' | b'B', ..] => (2, &s[2..]),
        [b'0', b'o' | b'O', ..] => (8, &s[2..]),
        [b'0', _, ..] => (8, &s[1..]),
        _ => (10, s),
    };
    (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))).then_some((radix, digits))
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = go_radix(rest)?;
    let magnitude = i128::try_from(u128::from_str_radix(digits, radix).ok()?).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

/// Go's `strconv.ParseUint(s, 0, 64)`: no sign allowed.
fn go_parse_uint(s: &str) -> Option<u64> {
    let (radix, digits) = go_radix(s)?;
    u64::from_str_radix(digits, radix).ok()
}

/// Keeps error messages readable when the offending scalar is huge.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_syntax() {
        for ok in ["1", "1.", ".5", "+.5", "-1.5e3", "1E+3", "08", "0.0"] {
            assert!(is_float_syntax(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "", ".", "+", "e3", "1e", "1.2.3", "1_0", "0x10", "inf", ".e3", "1e+",
        ] {
            assert!(!is_float_syntax(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn go_int_syntax() {
        assert_eq!(go_parse_int("0644"), Some(420));
        assert_eq!(go_parse_int("-0x1F"), Some(-31));
        assert_eq!(go_parse_int("+0b101"), Some(5));
        assert_eq!(go_parse_int("0O17"), Some(15));
        assert_eq!(go_parse_int("0"), Some(0));
        assert_eq!(go_parse_int("00"), Some(0));
        assert_eq!(go_parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(go_parse_int("9223372036854775808"), None);
        assert_eq!(go_parse_int("08"), None);
        assert_eq!(go_parse_int("0x"), None);
        assert_eq!(go_parse_int("0x+1"), None);
        assert_eq!(go_parse_int("--1"), None);
        assert_eq!(go_parse_uint("18446744073709551615"), Some(u64::MAX));
        assert_eq!(go_parse_uint("+1"), None);
    }

    #[test]
    fn shorten_long_text() {
        let long = "é".repeat(100);
        assert_eq!(shorten(&long).chars().count(), 63);
        assert_eq!(shorten("abc"), "abc");
    }
}
