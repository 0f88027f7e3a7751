//! Read-only accessors on [`Node`].

use crate::{Node, Value};

impl Node {
    /// Looks `key` up in a mapping by the key's text. `None` if this is not a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        let Value::Map(entries) = &self.value else {
            return None;
        };
        // Last wins, like a decoder that tolerated duplicates would behave.
        entries
            .iter()
            .rev()
            .find(|(k, _)| k.raw.as_deref() == Some(key))
            .map(|(_, v)| v)
    }

    /// Follows `path` through nested mappings; an empty path gives `self`.
    #[must_use]
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// `(key text, key node, value node)` for each entry of a mapping, in source order; empty
    /// for anything else. A key without text (a null written as nothing, or a collection used
    /// as a key) gives `""`.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node, &Node)> {
        let entries: &[(Node, Node)] = match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (k.text().unwrap_or(""), k, v))
    }

    /// Items of a sequence; empty for anything else.
    #[must_use]
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The boolean, if the value resolved to one.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if the value resolved to one.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as a float, for both floats and integers.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Float(f) => Some(f),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(i as f64),
            _ => None,
        }
    }

    /// The string, if the value resolved to a string (not for `80` or `true`; see [`Self::text`]).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar as written (after quote processing), so `image: 1.0`,
    /// `port: 80` and `on` all give their text. `None` for collections and for a null written
    /// as nothing.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// Whether the value is null.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Whether the value is a mapping.
    #[must_use]
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether the value is a sequence.
    #[must_use]
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The resolved value as JSON. Mapping keys become their text (a collection used as a key
    /// becomes a short flow-style summary such as `[a, b]`); infinities and NaN, which JSON
    /// cannot hold, become their YAML text.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or_else(
                || J::String(self.text().map_or_else(|| f.to_string(), str::to_owned)),
                J::Number,
            ),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (json_key(k), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn json_key(key: &Node) -> String {
    match (&key.value, key.text()) {
        (Value::Seq(_) | Value::Map(_), _) => {
            let mut out = String::new();
            summarize(key, &mut out);
            out
        }
        (_, text) => text.unwrap_or("").to_owned(),
    }
}

/// Longest text produced for a collection used as a mapping key.
const KEY_SUMMARY_MAX: usize = 200;

/// Writes a collection key in flow style, e.g. `[a, {b: c}]`, stopping after
/// [`KEY_SUMMARY_MAX`] bytes. Embedding the key's JSON instead would escape the quotes of
/// nested keys again at every level, and a chain of keys that are themselves maps keyed by
/// maps (`? ? ? ? a`) would grow exponentially.
fn summarize(node: &Node, out: &mut String) {
    if out.len() > KEY_SUMMARY_MAX {
        return;
    }
    match &node.value {
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                summarize(item, out);
                if out.len() > KEY_SUMMARY_MAX {
                    break;
                }
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                summarize(k, out);
                out.push_str(": ");
                summarize(v, out);
                if out.len() > KEY_SUMMARY_MAX {
                    break;
                }
            }
            out.push('}');
        }
        _ => out.push_str(node.text().unwrap_or("null")),
    }
}
