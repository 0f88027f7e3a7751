//! String matchers with Falco's semantics: `glob` (fnmatch without FNM_PATHNAME, so `*`
//! crosses `/`), `iglob`, `pmatch` (component-wise path prefixes, globs allowed inside a
//! component), hex byte strings for `bcontains`/`bstartswith`, IP networks for the fields
//! Falco compares by network (`fd.net`, `fd.snet`).

use std::net::IpAddr;

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

/// An IP network (`10.0.0.0/8`, `fd00::/8`; a plain address is a network of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    base: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Parse `address` or `address/prefix`. The address need not be the network's first
    /// (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(text: &str) -> Result<IpNetwork, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let base: IpAddr = addr.parse().map_err(|_| {
            format!("`{text}` is not an IP address or network (such as 10.0.0.0/8)")
        })?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpNetwork { base, prefix })
    }

    /// Whether `addr` is in this network (an IPv4 address never is in an IPv6 network,
    /// except as an IPv4-mapped address `::ffff:a.b.c.d`, which is compared as IPv4).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.base, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod network_tests {
    use super::IpNetwork;

    fn within(net: &str, addr: &str) -> bool {
        IpNetwork::parse(net)
            .unwrap()
            .contains(addr.parse().unwrap())
    }

    #[test]
    fn networks_contain_their_addresses_and_nothing_else() {
        assert!(within("10.0.0.0/8", "10.255.1.2"));
        assert!(!within("10.0.0.0/8", "11.0.0.1"));
        assert!(within("172.16.0.0/12", "172.31.255.255"));
        assert!(!within("172.16.0.0/12", "172.32.0.0"));
        assert!(within("192.168.1.7", "192.168.1.7"));
        assert!(!within("192.168.1.7", "192.168.1.8"));
        assert!(within("0.0.0.0/0", "203.0.113.9"));
        assert!(within("10.1.2.3/8", "10.9.9.9"));
        assert!(within("fd00::/8", "fd12:3456::1"));
        assert!(!within("fd00::/8", "fe80::1"));
        assert!(within("::/0", "2001:db8::1"));
        // IPv4-mapped IPv6 addresses compare as IPv4; IPv4 is not in an IPv6 network.
        assert!(within("127.0.0.0/8", "::ffff:127.0.0.1"));
        assert!(!within("::/0", "10.0.0.1"));
        assert!(!within("0.0.0.0/0", "2001:db8::1"));
    }

    #[test]
    fn bad_networks_are_refused_with_the_text() {
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "fd00::/129",
            "10.0.0.0/x",
            "host",
        ] {
            let e = IpNetwork::parse(bad).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
    }
}
