//! Docker Compose files: services with spans, after `${VAR:-default}` interpolation.

use crate::spot::{Cursor, Origin};
use palisade_core::ObjectRef;
use palisade_yaml::{Node, Value};
use std::collections::HashMap;

/// One service of a Compose file.
#[derive(Debug)]
pub struct ComposeService {
    /// File and `services.<name>` identity.
    pub origin: Origin,
    /// Service name.
    pub name: String,
    /// The service node.
    pub node: Node,
}

impl ComposeService {
    /// Cursor at the service, pointer `/services/<name>`.
    pub fn cursor(&self) -> Cursor<'_> {
        let mut c = Cursor::root(&self.node, &self.origin);
        c.pointer = format!(
            "/services/{}",
            palisade_core::escape_pointer_token(&self.name)
        );
        c
    }
}

/// Is this file name a Compose file by convention?
pub fn is_compose_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(stem) = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"))
    else {
        return false;
    };
    stem == "compose"
        || stem == "docker-compose"
        || stem.starts_with("docker-compose.")
        || stem.starts_with("compose.")
        || stem.ends_with(".compose")
}

/// Does this document look like a Compose file (top-level `services` map, no `kind`)?
pub fn looks_like_compose(root: &Node) -> bool {
    root.get("services").is_some_and(Node::is_map) && root.get("kind").is_none()
}

/// Apply Compose interpolation to every scalar of `node`. Unknown variables without a
/// default become empty strings, as `docker compose` does; `${VAR:?msg}` errors are returned.
pub fn interpolate_tree(
    node: &mut Node,
    env: &HashMap<String, String>,
    errors: &mut Vec<(u32, u32, String)>,
) {
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                interpolate_tree(item, env, errors);
            }
        }
        Value::Map(entries) => {
            for (_, value) in entries {
                interpolate_tree(value, env, errors);
            }
        }
        Value::Str(s) if s.contains('$') => match interpolate(s, env) {
            Ok(new) => {
                // A plain scalar that interpolates to a boolean is a boolean to Compose.
                node.value = match new.as_str() {
                    "true" | "True" | "TRUE" => Value::Bool(true),
                    "false" | "False" | "FALSE" => Value::Bool(false),
                    _ => Value::Str(new.clone()),
                };
                node.raw = Some(new.into_boxed_str());
            }
            Err(message) => errors.push((node.span.line, node.span.column, message)),
        },
        _ => {}
    }
}

/// Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$` for a literal `$`.
/// Defaults may themselves contain interpolations.
pub fn interpolate(text: &str, env: &HashMap<String, String>) -> Result<String, String> {
    interpolate_depth(text, env, 0)
}

fn interpolate_depth(
    text: &str,
    env: &HashMap<String, String>,
    depth: u8,
) -> Result<String, String> {
    if depth > 8 {
        return Err("interpolation nested too deeply".into());
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                // Find the matching brace, allowing nested `${...}` in defaults.
                let mut level = 0usize;
                let mut end = None;
                for (j, b) in bytes.iter().enumerate().skip(i + 1) {
                    match b {
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    return Err(format!("unclosed `${{` in `{text}`"));
                };
                let inner = &text[i + 2..end];
                out.push_str(&expand(inner, env, depth)?);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                out.push_str(env.get(&text[start..end]).map_or("", String::as_str));
                i = end;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

fn expand(inner: &str, env: &HashMap<String, String>, depth: u8) -> Result<String, String> {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(name_end);
    let value = env.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let rest = |prefix: usize| interpolate_depth(&op[prefix..], env, depth + 1);
    let current = || value.cloned().unwrap_or_default();
    if op.is_empty() {
        return Ok(current());
    }
    if op.starts_with(":-") {
        return if non_empty { Ok(current()) } else { rest(2) };
    }
    if op.starts_with('-') {
        return if set { Ok(current()) } else { rest(1) };
    }
    if op.starts_with(":?") || op.starts_with('?') {
        let ok = if op.starts_with(':') { non_empty } else { set };
        let skip = if op.starts_with(':') { 2 } else { 1 };
        return if ok {
            Ok(current())
        } else {
            Err(format!(
                "required variable `{name}` is not set: {}",
                &op[skip..]
            ))
        };
    }
    if op.starts_with(":+") {
        return if non_empty {
            rest(2)
        } else {
            Ok(String::new())
        };
    }
    if op.starts_with('+') {
        return if set { rest(1) } else { Ok(String::new()) };
    }
    Err(format!("invalid interpolation `${{{inner}}}`"))
}

/// Split a Compose document into its services.
pub fn services_from_document(path: &str, document: usize, mut root: Node) -> Vec<ComposeService> {
    let mut out = Vec::new();
    let Value::Map(entries) = &mut root.value else {
        return out;
    };
    let Some((_, services)) = entries
        .iter_mut()
        .find(|(k, _)| k.text() == Some("services"))
    else {
        return out;
    };
    let Value::Map(services) = std::mem::replace(&mut services.value, Value::Null) else {
        return out;
    };
    for (key, node) in services {
        let name = key.text().unwrap_or("?").to_owned();
        out.push(ComposeService {
            origin: Origin {
                path: path.to_owned(),
                object: Some(ObjectRef {
                    api_version: "compose".into(),
                    kind: "ComposeService".into(),
                    namespace: None,
                    name: Some(name.clone()),
                    document,
                }),
            },
            name,
            node,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HashMap<String, String> {
        [("TAG", "1.2"), ("EMPTY", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn interpolation_follows_compose_rules() {
        let env = env();
        assert_eq!(interpolate("app:${TAG}", &env).unwrap(), "app:1.2");
        assert_eq!(interpolate("app:$TAG-x", &env).unwrap(), "app:1.2-x");
        assert_eq!(interpolate("${NOPE:-latest}", &env).unwrap(), "latest");
        assert_eq!(interpolate("${EMPTY:-d}", &env).unwrap(), "d");
        assert_eq!(interpolate("${EMPTY-d}", &env).unwrap(), "");
        assert_eq!(interpolate("${NOPE:-${TAG}}", &env).unwrap(), "1.2");
        assert_eq!(interpolate("$$HOME", &env).unwrap(), "$HOME");
        assert_eq!(interpolate("${TAG:+set}", &env).unwrap(), "set");
        assert!(interpolate("${NOPE:?must be set}", &env).is_err());
        assert!(interpolate("${TAG", &env).is_err());
    }

    #[test]
    fn compose_file_names() {
        assert!(is_compose_file_name("compose.yaml"));
        assert!(is_compose_file_name("docker-compose.prod.yml"));
        assert!(!is_compose_file_name("deployment.yaml"));
    }
}
