//! Heuristics for environment variables that carry a credential: by name (`DB_PASSWORD`,
//! `apiKey`) and by value (an AWS access key id, a PEM private key, a GitHub or Slack token, a
//! URL with a password in it).

use super::words::identifier_words;

/// Words that mark a secret wherever they appear in a name.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "AUTHTOKEN",
    "CLIENTSECRET",
];

/// Endings that mark a secret inside one word (`DBPASSWORD`, `MYAPIKEY`).
const SECRET_SUFFIXES: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "APIKEY",
    "SECRETKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
];

/// Two-word phrases that mark a secret (`API_KEY`, `aws_access_key`, `signingKey`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"),
    ("AUTH", "KEY"),
    ("LICENSE", "KEY"),
];

/// Words too common to mark a secret anywhere but at the end (`REDIS_AUTH`, `DB_PWD`,
/// `SMTP_PASS`), where they name the value itself.
const SECRET_LAST_WORDS: &[&str] = &["AUTH", "PWD", "PASS", "CREDS"];

/// Last words that say the value is about a secret, not the secret: `PASSWORD_FILE`,
/// `TOKEN_URL`, `SECRET_NAME`, `AUTH_ENABLED`, `PASSWORD_MIN_LENGTH`.
const NOT_SECRET_LAST_WORDS: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "FILENAME",
    "LOCATION",
    "MOUNT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "LENGTH",
    "LEN",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRATION",
    "EXPIRES",
    "LIFETIME",
    "DURATION",
    "TYPE",
    "MODE",
    "NAME",
    "ID",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "HEADER",
    "FIELD",
    "REF",
    "POLICY",
    "METHOD",
    "SCOPE",
    "SCOPES",
    "ISSUER",
    "AUDIENCE",
    "ALGORITHM",
    "USER",
    "USERNAME",
    "PROVIDER",
    "VERSION",
    "FORMAT",
    "REGION",
    "COUNT",
    "SIZE",
    "MIN",
    "MAX",
    "LIMIT",
    "INTERVAL",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "PREFIX",
    "SUFFIX",
];

/// Whether an environment variable name says it holds a secret.
pub(crate) fn secret_like_name(name: &str) -> bool {
    let words = identifier_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if NOT_SECRET_LAST_WORDS.contains(&last.as_str()) {
        return false;
    }
    SECRET_LAST_WORDS.contains(&last.as_str())
        || words.iter().any(|w| {
            SECRET_WORDS.contains(&w.as_str()) || SECRET_SUFFIXES.iter().any(|s| w.ends_with(s))
        })
        || words
            .windows(2)
            .any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
}

/// Whether a literal value is something other than a credential whatever its name says:
/// empty, a boolean or number, a file path, or built from `$(VAR)` references to other
/// variables.
pub(crate) fn trivially_not_secret(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.contains("$(")
        || v.starts_with('/')
        || v.parse::<f64>().is_ok()
        || [
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "none", "nil",
        ]
        .iter()
        .any(|b| v.eq_ignore_ascii_case(b))
}

/// What a literal value looks like, if it looks like a credential whatever its name.
pub(crate) fn credential_like_value(value: &str) -> Option<&'static str> {
    if contains_aws_key_id(value) {
        return Some("an AWS access key id");
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a PEM private key");
    }
    if contains_token(value, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], 36, false)
        || contains_token(value, &["github_pat_"], 22, true)
    {
        return Some("a GitHub token");
    }
    if contains_token(
        value,
        &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"],
        10,
        true,
    ) {
        return Some("a Slack token");
    }
    if url_with_password(value) {
        return Some("a URL with a password in it");
    }
    None
}

/// `AKIA` (long-term) or `ASIA` (temporary) followed by 16 upper-case letters or digits, as a
/// whole word.
fn contains_aws_key_id(value: &str) -> bool {
    let b = value.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        (b[i..].starts_with(b"AKIA") || b[i..].starts_with(b"ASIA"))
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 20).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// One of `prefixes` followed by at least `min` token characters (letters and digits, plus
/// `_` and `-` when `extended`).
fn contains_token(value: &str, prefixes: &[&str], min: usize, extended: bool) -> bool {
    prefixes.iter().any(|prefix| {
        value.match_indices(prefix).any(|(i, _)| {
            let before_ok = value[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let body = value[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || (extended && (*c == '_' || *c == '-')))
                .count();
            before_ok && body >= min
        })
    })
}

/// `scheme://user:password@host`, where the password is not a `$(VAR)` reference.
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let rest = &value[i + 3..];
        let authority_end = rest
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some((userinfo, host)) = authority.rsplit_once('@') else {
            return false;
        };
        let Some((_, password)) = userinfo.split_once(':') else {
            return false;
        };
        !host.is_empty() && !password.is_empty() && !password.starts_with("$(")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "POSTGRES_PASSWORD",
            "dbPassword",
            "MYSQLPASSWORD",
            "API_KEY",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "client-secret",
            "REDIS_AUTH",
            "SMTP_PASS",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "JWT_SIGNING_KEY",
            "PRIVATE_KEY",
            "Passphrase",
        ] {
            assert!(secret_like_name(name), "{name} should look secret");
        }
        for name in [
            "PASSWORD_FILE",
            "DB_PASSWORD_PATH",
            "TOKEN_URL",
            "SECRET_NAME",
            "AUTH_ENABLED",
            "AUTH_TYPE",
            "TOKENIZERS_PARALLELISM",
            "KEYCLOAK_URL",
            "AWS_ACCESS_KEY_ID",
            "PASSWORD_MIN_LENGTH",
            "HOME",
            "PATH",
            "PWD_DIR",
            "OAUTH_SCOPES",
            "SORT_KEY",
            "",
        ] {
            assert!(!secret_like_name(name), "{name} should not look secret");
        }
    }

    #[test]
    fn trivial_values() {
        for v in [
            "",
            "  ",
            "true",
            "OFF",
            "42",
            "3.5",
            "/run/secrets/db",
            "$(DB_PASSWORD)",
            "Bearer $(TOKEN)",
        ] {
            assert!(trivially_not_secret(v), "{v:?}");
        }
        for v in ["hunter2", "changeme", "s3cr3t!"] {
            assert!(!trivially_not_secret(v), "{v:?}");
        }
    }

    #[test]
    fn credential_values() {
        assert_eq!(
            credential_like_value("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert_eq!(
            credential_like_value("key=ASIAIOSFODNN7EXAMPLE;"),
            Some("an AWS access key id")
        );
        assert_eq!(credential_like_value("XAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(credential_like_value("AKIAIOSFODNN7EXAMPL"), None);
        assert_eq!(
            credential_like_value("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n"),
            Some("a PEM private key")
        );
        assert_eq!(credential_like_value("-----BEGIN CERTIFICATE-----"), None);
        let ghp = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        assert_eq!(credential_like_value(&ghp), Some("a GitHub token"));
        assert_eq!(credential_like_value("ghp_short"), None);
        assert_eq!(
            credential_like_value("xoxb-1234567890-abcdefghij"),
            Some("a Slack token")
        );
        assert_eq!(
            credential_like_value("postgres://app:hunter2@db:5432/app"),
            Some("a URL with a password in it")
        );
        assert_eq!(
            credential_like_value("postgres://app:$(DB_PASSWORD)@db/app"),
            None
        );
        assert_eq!(credential_like_value("postgres://app@db/app"), None);
        assert_eq!(credential_like_value("http://example.com:8080/x@y"), None);
        assert_eq!(credential_like_value("plain value"), None);
    }
}
