//! String matchers with Falco's semantics: `glob` (fnmatch without FNM_PATHNAME, so `*`
//! crosses `/`), `iglob`, `pmatch` (component-wise path prefixes, globs allowed inside a
//! component), hex byte strings for `bcontains`/`bstartswith`.

/// fnmatch(3) without flags: `*`, `?`, `[...]`/`[!...]` classes, `\` escapes; full match.
pub fn glob_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| {
        if case_insensitive {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    // Iterative matcher with single-star backtracking: linear in practice, never recursive.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, t[ti], case_insensitive) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if eq('[', t[ti]) {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() => {
                    if eq(p[pi + 1], t[ti]) {
                        pi += 2;
                        ti += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, t[ti]) {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match one character against the class starting at `p[start] == '['`. Returns
/// (matched, index after the class), or None when the class is not terminated.
fn class_match(p: &[char], start: usize, c: char, ci: bool) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    let norm = |x: char| if ci { x.to_ascii_lowercase() } else { x };
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            let hi = p[i + 2];
            if norm(lo) <= norm(c) && norm(c) <= norm(hi) {
                matched = true;
            }
            i += 3;
        } else {
            if norm(lo) == norm(c) {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// `pmatch`: does `path` equal or live under one of the prefixes, compared component by
/// component (`/tmp/hello` matches `/tmp/hello/x`, not `/tmp/hello_world`)? Components of a
/// prefix may be globs.
pub fn path_prefix_match(prefixes: &[String], path: &str) -> bool {
    let path_parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    prefixes.iter().any(|prefix| {
        let parts: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        parts.len() <= path_parts.len()
            && parts
                .iter()
                .zip(&path_parts)
                .all(|(p, c)| p == c || glob_match(p, c, false))
    })
}

/// Decode a hex byte string (`CAFEBABE`, spaces allowed).
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "`{text}` is not a hex byte string (odd number of digits)"
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| format!("`{text}` is not hex"))?;
            u8::from_str_radix(s, 16).map_err(|_| format!("`{text}` is not a hex byte string"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_star_crosses_slashes_like_fnmatch_without_pathname() {
        assert!(glob_match("/etc/*", "/etc/kubernetes/admin.conf", false));
        assert!(glob_match(
            "*.sock",
            "/run/containerd/containerd.sock",
            false
        ));
        assert!(glob_match("a?c", "abc", false));
        assert!(glob_match("[a-c]x", "bx", false));
        assert!(!glob_match("[!a-c]x", "bx", false));
        assert!(glob_match("AB*", "abc", true));
        assert!(!glob_match("AB*", "abc", false));
        assert!(glob_match("\\*", "*", false));
        assert!(!glob_match("a*b", "aXc", false));
    }

    #[test]
    fn pmatch_is_component_wise() {
        let prefixes = vec!["/tmp/hello".to_owned(), "/var/*/log".to_owned()];
        assert!(path_prefix_match(&prefixes, "/tmp/hello/x"));
        assert!(path_prefix_match(&prefixes, "/tmp/hello"));
        assert!(!path_prefix_match(&prefixes, "/tmp/hello_world"));
        assert!(path_prefix_match(&prefixes, "/var/app/log/x"));
    }

    #[test]
    fn hex() {
        assert_eq!(
            decode_hex("CAFE babe").unwrap(),
            vec![0xca, 0xfe, 0xba, 0xbe]
        );
        assert!(decode_hex("ABC").is_err());
    }
}
