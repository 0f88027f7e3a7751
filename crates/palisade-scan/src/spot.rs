//! Where a finding points, and the cursor used by checks to walk a YAML object while keeping
//! the JSON pointer of every node it visits.

use palisade_core::{ObjectRef, escape_pointer_token};
use palisade_yaml::Node;

/// The file and object a node belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Input path as given.
    pub path: String,
    /// The object (Kubernetes object, Compose service...).
    pub object: Option<ObjectRef>,
}

/// A concrete place: file, object, line, column and pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot<'a> {
    /// File and object.
    pub origin: &'a Origin,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// RFC 6901 pointer inside the object.
    pub pointer: String,
}

/// A YAML node together with its JSON pointer and origin. Checks navigate with [`Cursor::get`]
/// and report on the cursor they stopped at, so a missing field is reported at its nearest
/// existing parent for free.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    /// The node.
    pub node: &'a Node,
    /// Its RFC 6901 pointer inside the object.
    pub pointer: String,
    /// File and object.
    pub origin: &'a Origin,
}

impl<'a> Cursor<'a> {
    /// A cursor at the root of an object.
    pub fn root(node: &'a Node, origin: &'a Origin) -> Self {
        Cursor {
            node,
            pointer: String::new(),
            origin,
        }
    }

    /// The child under `key` of a map.
    pub fn get(&self, key: &str) -> Option<Cursor<'a>> {
        let node = self.node.get(key)?;
        Some(self.child(node, key))
    }

    /// Follow several keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<Cursor<'a>> {
        let mut cur = self.clone();
        for key in keys {
            cur = cur.get(key)?;
        }
        Some(cur)
    }

    /// The items of a sequence (empty when this is not a sequence).
    pub fn items(&self) -> impl Iterator<Item = Cursor<'a>> + '_ {
        self.node
            .items()
            .iter()
            .enumerate()
            .map(move |(i, node)| self.child(node, &i.to_string()))
    }

    /// The entries of a map as (key, value cursor).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Cursor<'a>)> + '_ {
        self.node
            .entries()
            .map(move |(key, _, value)| (key, self.child(value, key)))
    }

    fn child(&self, node: &'a Node, token: &str) -> Cursor<'a> {
        let mut pointer = String::with_capacity(self.pointer.len() + token.len() + 1);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(token));
        Cursor {
            node,
            pointer,
            origin: self.origin,
        }
    }

    /// Scalar text (any scalar type), if this is a scalar.
    pub fn text(&self) -> Option<&'a str> {
        self.node.text()
    }

    /// Kubernetes boolean (YAML 1.1 spellings already resolved by the parser).
    pub fn as_bool(&self) -> Option<bool> {
        self.node.as_bool()
    }

    /// `true` when the child `key` is a boolean true.
    pub fn is_true(&self, key: &str) -> bool {
        self.node.get(key).and_then(Node::as_bool) == Some(true)
    }

    /// Text of the child `key`.
    pub fn text_of(&self, key: &str) -> Option<&'a str> {
        self.node.get(key).and_then(Node::text)
    }

    /// Text of the node at `keys` below this one.
    pub fn text_of_path(&self, keys: &[&str]) -> Option<&'a str> {
        self.node.get_path(keys).and_then(Node::text)
    }

    /// The place of this node.
    pub fn spot(&self) -> Spot<'a> {
        Spot {
            origin: self.origin,
            line: self.node.span.line,
            column: self.node.span.column,
            pointer: self.pointer.clone(),
        }
    }
}
