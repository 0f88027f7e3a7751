//! Helpers shared by the object checks: the credential heuristics (one for key names, one for
//! literal values, one for credentials inside larger values), the sensitive-UI catalogue,
//! Service exposure and small formatting helpers. Never return or print a secret value.

use crate::k8s::K8sObject;
use crate::spot::Cursor;
use palisade_core::ObjectRef;

// ---------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------

/// Words that make a key name a credential on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
    "credential",
    "credentials",
];

/// `<word>_key` pairs that name a credential (`api_key`, `private_key`...).
const KEY_PREFIXES: &[&str] = &[
    "api",
    "private",
    "access",
    "signing",
    "encryption",
    "master",
];

/// A key ending with one of these words names something *about* a credential (where it is,
/// how long it lives), not the credential itself.
const NOT_A_SECRET_SUFFIXES: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "host",
    "name",
    "names",
    "ref",
    "id",
    "ids",
    "enabled",
    "enable",
    "disabled",
    "length",
    "ttl",
    "expiry",
    "expiration",
    "expires",
    "timeout",
    "interval",
    "period",
    "seconds",
    "minutes",
    "hours",
    "days",
    "ms",
    "type",
    "header",
    "policy",
    "mode",
    "size",
    "lifetime",
    "duration",
    "format",
    "algorithm",
    "alg",
    "issuer",
    "audience",
    "location",
    "field",
    "env",
    "source",
    "mount",
    "version",
    "prefix",
    "provider",
    "store",
    "backend",
    "namespace",
    "required",
    "rotation",
    "min",
    "max",
    "count",
    "regex",
    "pattern",
    "hint",
    "label",
];

/// Split a key into lowercase words: `dbPassword` → `db password`, `API_KEY` → `api key`,
/// `client.secret` → `client secret`.
pub(crate) fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Does this key name (ConfigMap key, env var, property) look like it holds a credential?
pub(crate) fn looks_like_secret_key(key: &str) -> bool {
    let words = key_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if NOT_A_SECRET_SUFFIXES.contains(&last.as_str()) {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|pair| pair[1] == "key" && KEY_PREFIXES.contains(&pair[0].as_str()))
}

/// Is this value a literal that could be the credential itself, rather than empty, a flag,
/// a reference to something else (`${VAR}`, `{{ .Values.x }}`, `vault:...`) or a file path?
pub(crate) fn is_literal_secret_value(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < 4 {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "null" | "none" | "enabled" | "disabled"
    ) {
        return false;
    }
    const REFERENCE_PREFIXES: &[&str] = &[
        "${",
        "$(",
        "{{",
        "%(",
        "#{",
        "/",
        "./",
        "~/",
        "file:",
        "vault:",
        "ref+",
        "secret://",
        "secretref",
        "env:",
        "arn:aws:secretsmanager",
        "projects/",
        "azurekeyvault",
    ];
    if REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    !(v.starts_with('<') && v.ends_with('>'))
}

/// What kind of credential is embedded in a larger value (a config file, a connection
/// string), if any. The description never contains the value.
pub(crate) fn embedded_credential(value: &str) -> Option<String> {
    if has_private_key(value) {
        return Some("a private key".into());
    }
    if has_aws_access_key_id(value) {
        return Some("an AWS access key id".into());
    }
    if has_url_with_password(value) {
        return Some("a URL with an embedded password".into());
    }
    credential_line(value)
        .map(|(line, key)| format!("a literal credential (`{key}`, line {line} of the value)"))
}

fn has_private_key(value: &str) -> bool {
    value.lines().any(|line| {
        let line = line.trim();
        line.starts_with("-----BEGIN ") && line.contains("PRIVATE KEY")
    })
}

/// `AKIA`/`ASIA`/`ABIA`/`ACCA` followed by 16 upper-case letters or digits, as a word.
fn has_aws_access_key_id(value: &str) -> bool {
    let bytes = value.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric();
    (0..bytes.len().saturating_sub(19)).any(|i| {
        let prefix = &bytes[i..i + 4];
        matches!(prefix, b"AKIA" | b"ASIA" | b"ABIA" | b"ACCA")
            && (i == 0 || !is_word(bytes[i - 1]))
            && bytes[i + 4..i + 20]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && bytes.get(i + 20).is_none_or(|b| !is_word(*b))
    })
}

/// `scheme://user:password@host`, with a literal password.
fn has_url_with_password(value: &str) -> bool {
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '/' | '?' | '#'))
            .unwrap_or(after.len());
        let authority = &after[..end];
        if let Some((userinfo, _host)) = authority.rsplit_once('@')
            && let Some((_user, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !password.starts_with(['$', '{', '<', '%'])
        {
            return true;
        }
        rest = after;
    }
    false
}

/// The first `key = value` / `key: value` line (1-based) of a multi-line value whose key looks
/// like a credential and whose value is a literal.
fn credential_line(value: &str) -> Option<(usize, String)> {
    if !value.contains('\n') {
        return None;
    }
    value.lines().enumerate().find_map(|(i, line)| {
        let line = line.trim();
        if line.starts_with(['#', ';']) || line.starts_with("//") {
            return None;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let split = line.find(['=', ':'])?;
        let key = line[..split].trim().trim_matches(['"', '\'']);
        let raw = line[split + 1..].trim();
        let raw = raw.strip_suffix(',').unwrap_or(raw).trim();
        let literal = raw.trim_matches(['"', '\'']);
        let key_ok = !key.is_empty() && !key.contains(char::is_whitespace);
        (key_ok && looks_like_secret_key(key) && is_literal_secret_value(literal))
            .then(|| (i + 1, key.to_owned()))
    })
}

// ---------------------------------------------------------------------------------------
// Services and sensitive UIs
// ---------------------------------------------------------------------------------------

/// Is this a core `Service`?
pub(crate) fn is_service(object: &K8sObject) -> bool {
    object.kind() == "Service" && object.api_group().is_empty()
}

/// The `spec.type` cursor and value of a Service reachable from outside the cluster.
pub(crate) fn exposed_type<'a>(object: &'a K8sObject) -> Option<(Cursor<'a>, &'a str)> {
    if !is_service(object) {
        return None;
    }
    let ty = object.cursor().get_path(&["spec", "type"])?;
    let text = ty.text()?;
    matches!(text, "NodePort" | "LoadBalancer").then_some((ty, text))
}

/// Admin UIs and control APIs that deploy containers or list cluster resources, as name
/// patterns (matched at the start of a word) and a description.
///
/// Left out on purpose: Grafana and Kibana, which are routinely published behind their own
/// login and neither deploy containers nor query the Kubernetes API.
pub(crate) const SENSITIVE_UIS: &[(&str, &str)] = &[
    ("kubernetes-dashboard", "the Kubernetes Dashboard"),
    ("k8s-dashboard", "the Kubernetes Dashboard"),
    ("headlamp", "the Headlamp Kubernetes UI"),
    ("argocd-server", "the Argo CD API server"),
    ("jupyter", "Jupyter (runs arbitrary code)"),
    ("kubeflow", "Kubeflow"),
    ("centraldashboard", "the Kubeflow central dashboard"),
    ("ml-pipeline-ui", "the Kubeflow Pipelines UI"),
    ("ray-dashboard", "the Ray dashboard (job submission API)"),
    (
        "ray-head",
        "the Ray head node (dashboard and job submission API)",
    ),
    (
        "ray.io/node-type=head",
        "the Ray head node (dashboard and job submission API)",
    ),
    (
        "tiller",
        "Helm v2 Tiller (installs charts with its own cluster rights)",
    ),
    ("weave-scope", "Weave Scope (can exec into containers)"),
    ("portainer", "Portainer"),
    ("rancher", "Rancher"),
];

/// `pattern` occurs in `text` at the start of a word (start of text or after a character
/// that is not a letter or digit), case-insensitively.
pub(crate) fn contains_word_start(text: &str, pattern: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.match_indices(pattern).any(|(i, _)| {
        i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The sensitive UI (description) any of `names` points to.
pub(crate) fn sensitive_ui<'n>(names: impl IntoIterator<Item = &'n str>) -> Option<&'static str> {
    let names: Vec<&str> = names.into_iter().collect();
    SENSITIVE_UIS
        .iter()
        .find(|(pattern, _)| names.iter().any(|n| contains_word_start(n, pattern)))
        .map(|(_, description)| *description)
}

// ---------------------------------------------------------------------------------------
// Formatting and numbers
// ---------------------------------------------------------------------------------------

/// `Deployment/shop/web` for an object reference.
pub(crate) fn object_label(object: Option<&ObjectRef>) -> String {
    match object {
        Some(o) => match (&o.namespace, &o.name) {
            (Some(ns), Some(name)) => format!("{}/{ns}/{name}", o.kind),
            (None, Some(name)) => format!("{}/{name}", o.kind),
            _ => o.kind.clone(),
        },
        None => "object".into(),
    }
}

/// A port number written as an integer or a string of digits.
pub(crate) fn port_number(cursor: &Cursor<'_>) -> Option<u32> {
    cursor
        .node
        .as_i64()
        .and_then(|n| u32::try_from(n).ok())
        .or_else(|| cursor.text()?.trim().parse().ok())
}

/// `a, b, c` or `a, b, c and 2 more`.
pub(crate) fn list_some(items: &[&str], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_words_split_case_and_separators() {
        assert_eq!(key_words("dbPassword"), ["db", "password"]);
        assert_eq!(
            key_words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
        assert_eq!(key_words("APIKey"), ["apikey"]);
        assert_eq!(key_words("client.secret"), ["client", "secret"]);
        assert_eq!(key_words("oauth2-token"), ["oauth2", "token"]);
    }

    #[test]
    fn secret_key_names() {
        for yes in [
            "password",
            "DB_PASSWORD",
            "dbPassword",
            "api_key",
            "apiKey",
            "X-API-KEY",
            "client_secret",
            "AWS_SECRET_ACCESS_KEY",
            "githubToken",
            "private_key",
            "ssh.passphrase",
            "credentials",
        ] {
            assert!(looks_like_secret_key(yes), "{yes}");
        }
        for no in [
            "PASSWORD_FILE",
            "secretName",
            "token_url",
            "tokenizer",
            "password_min_length",
            "AWS_ACCESS_KEY_ID",
            "secrets_path",
            "tls.key",
            "log_level",
            "token_ttl",
            "keycloak_url",
        ] {
            assert!(!looks_like_secret_key(no), "{no}");
        }
    }

    #[test]
    fn literal_values() {
        assert!(is_literal_secret_value("hunter22"));
        assert!(is_literal_secret_value("changeme"));
        for no in [
            "",
            "   ",
            "true",
            "${DB_PASSWORD}",
            "$(TOKEN)",
            "{{ .Values.password }}",
            "/run/secrets/db",
            "<your-token-here>",
            "vault:secret/data/db#password",
            "abc",
        ] {
            assert!(!is_literal_secret_value(no), "{no:?}");
        }
    }

    #[test]
    fn embedded_credentials() {
        assert_eq!(
            embedded_credential("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n").as_deref(),
            Some("a private key")
        );
        assert_eq!(
            embedded_credential("-----BEGIN CERTIFICATE-----\nMIIE...\n"),
            None
        );
        assert_eq!(
            embedded_credential("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n").as_deref(),
            Some("an AWS access key id")
        );
        assert_eq!(embedded_credential("AKIAIOSFODNN7EXAMPLEX"), None);
        assert_eq!(
            embedded_credential("url: postgres://app:s3cret@db:5432/app").as_deref(),
            Some("a URL with an embedded password")
        );
        assert_eq!(
            embedded_credential("url: postgres://app:${PASS}@db:5432/app"),
            None
        );
        assert_eq!(embedded_credential("url: https://user@example.com/x"), None);
        assert_eq!(
            embedded_credential("server.port=8080\nspring.datasource.password=hunter22\n")
                .as_deref(),
            Some("a literal credential (`spring.datasource.password`, line 2 of the value)")
        );
        assert_eq!(
            embedded_credential("{\n  \"apiToken\": \"abcd1234\",\n}").as_deref(),
            Some("a literal credential (`apiToken`, line 2 of the value)")
        );
        assert_eq!(
            embedded_credential("password: ${DB_PASSWORD}\n# token: example\nsecretName: db\n"),
            None
        );
    }

    #[test]
    fn sensitive_ui_names_match_at_word_start() {
        assert!(sensitive_ui(["kubernetes-dashboard"]).is_some());
        assert!(sensitive_ui(["app=jupyterhub"]).is_some());
        assert!(sensitive_ui(["ray.io/node-type=head"]).is_some());
        assert!(sensitive_ui(["name=tiller"]).is_some());
        assert!(sensitive_ui(["distiller"]).is_none());
        assert!(sensitive_ui(["grafana", "kibana", "web"]).is_none());
    }

    #[test]
    fn list_some_truncates() {
        assert_eq!(list_some(&["a", "b"], 3), "a, b");
        assert_eq!(list_some(&["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
