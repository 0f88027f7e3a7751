//! Word-boundary matching, used to find tool names in image names and command lines without
//! hitting them inside longer words (`gminer` must not match inside `cgminer`, nor `minerd`
//! inside `minerdashboard`), and identifier splitting for environment variable names.

/// Byte offset of the first case-insensitive occurrence of the ASCII `needle` in `haystack`
/// with no ASCII letter or digit right before or right after it.
pub(crate) fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let hay = haystack.as_bytes();
    let pat = needle.as_bytes();
    if pat.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - pat.len()).find(|&start| {
        hay[start..start + pat.len()].eq_ignore_ascii_case(pat)
            && (start == 0 || !hay[start - 1].is_ascii_alphanumeric())
            && hay
                .get(start + pat.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// Split an identifier into upper-case words: `dbPassword` → `DB PASSWORD`,
/// `APIKey` → `API KEY`, `aws_secret-access.key` → `AWS SECRET ACCESS KEY`.
pub(crate) fn identifier_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next = chars.get(i + 1).copied();
            let lower_to_upper = prev.is_ascii_lowercase() && c.is_ascii_uppercase();
            let acronym_end = prev.is_ascii_uppercase()
                && c.is_ascii_uppercase()
                && next.is_some_and(|n| n.is_ascii_lowercase());
            if (lower_to_upper || acronym_end) && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains_word(haystack: &str, needle: &str) -> bool {
        find_word(haystack, needle).is_some()
    }

    #[test]
    fn words_are_bounded() {
        assert!(contains_word("metal3d/xmrig", "xmrig"));
        assert!(contains_word("XMRig-cuda", "xmrig"));
        assert!(contains_word("./xmrig --donate-level 1", "xmrig"));
        assert!(!contains_word("cgminer", "gminer"));
        assert!(contains_word("cgminer", "cgminer"));
        assert!(!contains_word("minerdashboard", "minerd"));
        assert!(!contains_word("", "x"));
        assert!(!contains_word("abc", ""));
        assert_eq!(find_word("run t-rex now", "t-rex"), Some(4));
    }

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(identifier_words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(identifier_words("APIKey"), ["API", "KEY"]);
        assert_eq!(
            identifier_words("aws_secret-access.key"),
            ["AWS", "SECRET", "ACCESS", "KEY"]
        );
        assert_eq!(identifier_words("GITHUB_TOKEN"), ["GITHUB", "TOKEN"]);
        assert_eq!(identifier_words("__x__"), ["X"]);
    }
}
