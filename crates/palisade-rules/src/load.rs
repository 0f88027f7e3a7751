//! Reading rules files: YAML items into definitions of lists, macros and rules, applying
//! redefinitions, appends and overrides in load order. Compilation (list substitution, parsing,
//! macro expansion) happens afterwards in `compile`.

use std::collections::{HashMap, HashSet};

use palisade_yaml::{Limits, Node, Schema, Value, YamlErrorKind, parse_stream};

use crate::ast::Pos;
use crate::condition::{self, accepts_modifier, is_list_op, parse_comp};
use crate::text::{LText, Loc, Source, scalar_text};
use crate::{Diagnostic, Priority, Severity, Threshold};

/// Marks a failed item; the diagnostic has already been recorded.
#[derive(Debug)]
pub(crate) struct Skip;

type Res<T> = Result<T, Skip>;

/// Sources and the diagnostics collected so far.
pub(crate) struct Ctx<'a> {
    pub sources: Vec<Source<'a>>,
    /// Diagnostics with the index of their file, for sorting.
    pub diags: Vec<(usize, Diagnostic)>,
}

impl Ctx<'_> {
    pub fn pos(&self, loc: Loc) -> Pos {
        self.sources
            .get(loc.file)
            .map_or(Pos { line: 1, column: 1 }, |s| s.pos(loc.offset))
    }

    pub fn report(
        &mut self,
        severity: Severity,
        loc: Loc,
        item: Option<&str>,
        message: String,
        expected: Option<String>,
    ) {
        let pos = self.pos(loc);
        let (path, snippet) = match self.sources.get(loc.file) {
            Some(src) => (src.path.to_owned(), src.line(pos.line).map(str::to_owned)),
            None => (String::new(), None),
        };
        self.diags.push((
            loc.file,
            Diagnostic {
                severity,
                path,
                line: pos.line,
                column: pos.column,
                message,
                snippet,
                expected,
                item: item.map(str::to_owned),
            },
        ));
    }

    pub fn error(&mut self, loc: Loc, item: Option<&str>, message: impl Into<String>) -> Skip {
        self.report(Severity::Error, loc, item, message.into(), None);
        Skip
    }

    pub fn warn(&mut self, loc: Loc, item: Option<&str>, message: impl Into<String>) {
        self.report(Severity::Warning, loc, item, message.into(), None);
    }
}

/// A `list` definition as collected.
#[derive(Debug, Clone)]
pub(crate) struct ListDef {
    pub name: String,
    pub items: Vec<String>,
    /// Order of the first definition (shared counter with macros and rules).
    pub index: usize,
    /// Counter value of the last definition or append.
    pub visibility: usize,
    pub loc: Loc,
}

/// A `macro` definition as collected.
#[derive(Debug, Clone)]
pub(crate) struct MacroDef {
    pub name: String,
    pub cond: LText,
    pub index: usize,
    pub visibility: usize,
    pub loc: Loc,
}

/// An exceptions entry value: a scalar or a (possibly nested) sequence.
#[derive(Debug, Clone)]
pub(crate) enum Ent {
    Item(String, Loc),
    List(Vec<Ent>, Loc),
}

/// One exception of a rule.
#[derive(Debug, Clone)]
pub(crate) struct ExcDef {
    pub name: String,
    pub loc: Loc,
    pub fields: Option<Ent>,
    pub comps: Option<Ent>,
    pub values: Vec<Ent>,
}

/// A `rule` as collected.
#[derive(Debug, Clone)]
pub(crate) struct RuleDef {
    pub name: String,
    /// Where `rule:` of the first definition is.
    pub first_loc: Loc,
    pub cond: LText,
    pub output: LText,
    pub desc: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub source: String,
    pub enabled: bool,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub threshold: Option<Threshold>,
    pub exceptions: Vec<ExcDef>,
}

/// Everything read from the files, in load order.
pub(crate) struct Collected {
    pub lists: Vec<ListDef>,
    pub list_idx: HashMap<String, usize>,
    pub macros: Vec<MacroDef>,
    pub macro_idx: HashMap<String, usize>,
    pub rules: Vec<RuleDef>,
    pub rule_idx: HashMap<String, usize>,
    pub engine_version: Option<(u64, u64, u64)>,
    pub plugins: Vec<(String, String)>,
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "desc",
    "condition",
    "output",
    "priority",
    "tags",
    "enabled",
    "exceptions",
    "override",
    "append",
    "source",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    "threshold",
];
const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "threshold",
];

/// Keys to append to and keys to replace, with the places of their names.
type Overrides = (Vec<(String, Loc)>, Vec<(String, Loc)>);

/// Where the nodes of the document being read are: the file, and the line of the file where
/// the parsed text starts (not 1 when recovering item by item after a YAML error).
///
/// Places are computed from the nodes' lines and columns, which is what the YAML reader
/// guarantees for diagnostics, rather than from their byte offsets.
#[derive(Clone, Copy)]
struct Doc<'d> {
    file: usize,
    first_line: u32,
    text: &'d str,
    line_starts: &'d [usize],
}

impl Doc<'_> {
    fn loc(self, node: &Node) -> Loc {
        let line = self.first_line as usize + node.span.line.max(1) as usize - 1;
        let offset = match self.line_starts.get(line.saturating_sub(1)) {
            Some(&start) => {
                let col = node.span.column.max(1) as usize - 1;
                self.text[start..]
                    .char_indices()
                    .take_while(|&(_, c)| c != '\n')
                    .nth(col)
                    .map_or_else(
                        || {
                            self.text[start..]
                                .find('\n')
                                .map_or(self.text.len(), |k| start + k)
                        },
                        |(k, _)| start + k,
                    )
            }
            None => self.text.len(),
        };
        Loc {
            file: self.file,
            offset,
        }
    }
}

/// Reads values the way Falco's YAML library decodes booleans.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// `x.y.z` with decimal components.
fn parse_semver(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split('.');
    let mut next = || -> Option<u64> {
        let part = it.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let v = (next()?, next()?, next()?);
    it.next().is_none().then_some(v)
}

fn describe(node: &Node) -> &'static str {
    match node.value {
        Value::Seq(_) => "a sequence",
        Value::Map(_) => "a mapping",
        Value::Null => "empty",
        _ => "a single value",
    }
}

pub(crate) struct Collector<'a> {
    pub ctx: Ctx<'a>,
    counter: usize,
    pub out: Collected,
}

impl<'a> Collector<'a> {
    pub fn new(sources: Vec<Source<'a>>) -> Self {
        Collector {
            ctx: Ctx {
                sources,
                diags: Vec::new(),
            },
            counter: 0,
            out: Collected {
                lists: Vec::new(),
                list_idx: HashMap::new(),
                macros: Vec::new(),
                macro_idx: HashMap::new(),
                rules: Vec::new(),
                rule_idx: HashMap::new(),
                engine_version: None,
                plugins: Vec::new(),
            },
        }
    }

    /// Reads one file. After a YAML error, the file is read again item by item (each
    /// top-level `- ` line starts an item) so that the items around the error still load.
    pub fn read_file(&mut self, file: usize) {
        let text = self.ctx.sources[file].text;
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let doc_at = |first_line| Doc {
            file,
            first_line,
            text,
            line_starts: &line_starts,
        };
        let limits = Limits::default();
        let stream = parse_stream(text, Schema::Compose, &limits);
        let Some(err) = stream.error else {
            for doc in &stream.documents {
                self.read_root(doc_at(1), &doc.root);
            }
            return;
        };
        let whole = &self.ctx.sources[file];
        let err_loc = Loc {
            file,
            offset: whole.offset_of(err.line, err.column),
        };
        self.ctx
            .error(err_loc, None, format!("invalid YAML: {}", err.message));
        if err.kind == YamlErrorKind::Limit && err.line == 1 && err.column == 1 {
            return;
        }
        for (start, end) in item_chunks(text) {
            let chunk = &text[start..end];
            let first_line = self.ctx.sources[file].pos(start).line;
            let stream = parse_stream(chunk, Schema::Compose, &limits);
            for doc in &stream.documents {
                self.read_root(doc_at(first_line), &doc.root);
            }
            if let Some(e) = stream.error {
                let line = first_line + e.line.max(1) - 1;
                if line != err.line {
                    let loc = Loc {
                        file,
                        offset: self.ctx.sources[file].offset_of(line, e.column),
                    };
                    self.ctx
                        .error(loc, None, format!("invalid YAML: {}", e.message));
                }
            }
        }
    }

    fn read_root(&mut self, doc: Doc<'_>, root: &Node) {
        if root.is_null() {
            return;
        }
        if !root.is_seq() {
            self.ctx.error(
                doc.loc(root),
                None,
                "a rules file must be a sequence of items such as `- rule: ...`, `- macro: ...` \
                 or `- list: ...`",
            );
            return;
        }
        for item in root.items() {
            if item.is_null() {
                continue;
            }
            // Errors are recorded; the item is skipped and loading goes on.
            let _ = self.read_item(doc, item);
        }
    }

    fn read_item(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        let loc = doc.loc(item);
        if !item.is_map() {
            return Err(self.ctx.error(
                loc,
                None,
                format!(
                    "each item must be a mapping such as `- rule: ...`, but this one is {}",
                    describe(item)
                ),
            ));
        }
        if item.get("required_engine_version").is_some() {
            self.engine_version(doc, item)
        } else if item.get("required_plugin_versions").is_some() {
            self.plugin_versions(doc, item)
        } else if item.get("list").is_some() {
            self.list(doc, item)
        } else if item.get("macro").is_some() {
            self.macro_item(doc, item)
        } else if item.get("rule").is_some() {
            self.rule(doc, item)
        } else {
            let first = item.entries().next().map_or("", |(k, _, _)| k);
            self.ctx.warn(
                loc,
                None,
                format!(
                    "unknown item `{first}`, ignored (expected `rule`, `macro`, `list`, \
                     `required_engine_version` or `required_plugin_versions`)"
                ),
            );
            Ok(())
        }
    }

    /// Warns about keys not in `allowed`.
    fn check_keys(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        allowed: &[&str],
        what: &str,
        name: Option<&str>,
    ) {
        for (key, key_node, _) in item.entries() {
            if !allowed.contains(&key) {
                let in_what = match name {
                    Some(n) => format!("{what} `{n}`"),
                    None => what.to_owned(),
                };
                self.ctx.warn(
                    doc.loc(key_node),
                    name,
                    format!("unknown key `{key}` in {in_what}, ignored"),
                );
            }
        }
    }

    /// An optional scalar value: absent gives `None`; empty, non-scalar or blank values are
    /// errors.
    fn scalar<'n>(
        &mut self,
        doc: Doc<'_>,
        item: &'n Node,
        key: &str,
        name: Option<&str>,
    ) -> Res<Option<&'n Node>> {
        let Some(node) = item.get(key) else {
            return Ok(None);
        };
        let loc = doc.loc(node);
        match (&node.value, node.text()) {
            (Value::Seq(_) | Value::Map(_), _) => Err(self.ctx.error(
                loc,
                name,
                format!("`{key}` must be a single value, not {}", describe(node)),
            )),
            (Value::Null, _) | (_, None) => {
                Err(self.ctx.error(loc, name, format!("`{key}` is empty")))
            }
            (_, Some("")) => Err(self
                .ctx
                .error(loc, name, format!("`{key}` must not be empty"))),
            _ => Ok(Some(node)),
        }
    }

    fn req_scalar<'n>(
        &mut self,
        doc: Doc<'_>,
        item: &'n Node,
        key: &str,
        name: Option<&str>,
        what: &str,
    ) -> Res<&'n Node> {
        match self.scalar(doc, item, key, name)? {
            Some(n) => Ok(n),
            None => Err(self.ctx.error(
                doc.loc(item),
                name,
                format!("{what} is missing the required key `{key}`"),
            )),
        }
    }

    fn opt_bool(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        key: &str,
        name: Option<&str>,
    ) -> Res<Option<bool>> {
        let Some(node) = self.scalar(doc, item, key, name)? else {
            return Ok(None);
        };
        let text = node.text().unwrap_or("");
        match node.as_bool().or_else(|| parse_bool(text)) {
            Some(b) => Ok(Some(b)),
            None => Err(self.ctx.error(
                doc.loc(node),
                name,
                format!("`{key}` must be `true` or `false`, not `{text}`"),
            )),
        }
    }

    fn opt_uint(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        key: &str,
        name: Option<&str>,
    ) -> Res<Option<u64>> {
        let Some(node) = self.scalar(doc, item, key, name)? else {
            return Ok(None);
        };
        let text = node.text().unwrap_or("").trim();
        match text.parse::<u64>() {
            Ok(v) => Ok(Some(v)),
            Err(_) => Err(self.ctx.error(
                doc.loc(node),
                name,
                format!("`{key}` must be a whole number, not `{text}`"),
            )),
        }
    }

    fn scalar_ltext(&self, doc: Doc<'_>, node: &Node) -> LText {
        scalar_text(doc.file, doc.text, doc.loc(node).offset, node)
    }

    /// Reads `override:`; returns the keys to append and to replace, with their positions.
    fn overrides(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        appendable: &[&str],
        replaceable: &[&str],
        name: &str,
    ) -> Res<Overrides> {
        let (mut app, mut rep) = (Vec::new(), Vec::new());
        let Some(ov) = item.get("override") else {
            return Ok((app, rep));
        };
        if !ov.is_map() {
            return Err(self.ctx.error(
                doc.loc(ov),
                Some(name),
                format!(
                    "`override` must be a mapping such as `{{condition: append}}`, not {}",
                    describe(ov)
                ),
            ));
        }
        for (key, key_node, op_node) in ov.entries() {
            let kloc = doc.loc(key_node);
            match op_node.text() {
                Some("append") if appendable.contains(&key) => app.push((key.to_owned(), kloc)),
                Some("replace") if replaceable.contains(&key) => rep.push((key.to_owned(), kloc)),
                Some("append") => {
                    let hint = if replaceable.contains(&key) {
                        "; use `replace` instead"
                    } else {
                        ""
                    };
                    return Err(self.ctx.error(
                        kloc,
                        Some(name),
                        format!("key `{key}` cannot be appended to{hint}"),
                    ));
                }
                Some("replace") => {
                    return Err(self.ctx.error(
                        kloc,
                        Some(name),
                        format!("key `{key}` cannot be replaced"),
                    ));
                }
                other => {
                    let allowed: Vec<&str> = [
                        appendable.contains(&key).then_some("`append`"),
                        replaceable.contains(&key).then_some("`replace`"),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    let allowed = if allowed.is_empty() {
                        format!("key `{key}` cannot be overridden")
                    } else {
                        format!("allowed: {}", allowed.join(" or "))
                    };
                    return Err(self.ctx.error(
                        doc.loc(op_node),
                        Some(name),
                        format!(
                            "invalid override operation `{}` for key `{key}` ({allowed})",
                            other.unwrap_or("")
                        ),
                    ));
                }
            }
        }
        Ok((app, rep))
    }

    fn deprecated_append(&mut self, doc: Doc<'_>, item: &Node, name: &str, key: &str) {
        let loc = item
            .entries()
            .find(|(k, _, _)| *k == "append")
            .map_or(doc.loc(item), |(_, kn, _)| doc.loc(kn));
        self.ctx.warn(
            loc,
            Some(name),
            format!("`append: true` is deprecated; use `override: {{{key}: append}}` instead"),
        );
    }

    fn engine_version(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        self.check_keys(
            doc,
            item,
            &["required_engine_version"],
            "`required_engine_version` item",
            None,
        );
        let node = self.req_scalar(doc, item, "required_engine_version", None, "this item")?;
        let text = node.text().unwrap_or("").trim();
        let version = match text.parse::<u32>() {
            Ok(n) => Some((0, u64::from(n), 0)),
            Err(_) => parse_semver(text),
        };
        let Some(version) = version else {
            return Err(self.ctx.error(
                doc.loc(node),
                None,
                format!(
                    "invalid engine version `{text}`: expected a number (meaning 0.N.0) or a \
                     version such as `0.31.0`"
                ),
            ));
        };
        if self.out.engine_version.is_none_or(|v| v < version) {
            self.out.engine_version = Some(version);
        }
        Ok(())
    }

    fn plugin_versions(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        self.check_keys(
            doc,
            item,
            &["required_plugin_versions"],
            "`required_plugin_versions` item",
            None,
        );
        let Some(list) = item.get("required_plugin_versions") else {
            return Ok(());
        };
        if !list.is_seq() {
            return Err(self.ctx.error(
                doc.loc(list),
                None,
                format!(
                    "`required_plugin_versions` must be a sequence, not {}",
                    describe(list)
                ),
            ));
        }
        let mut failed = false;
        for entry in list.items() {
            match self.plugin_entry(doc, entry) {
                Ok(v) => self.out.plugins.push(v),
                Err(Skip) => failed = true,
            }
        }
        if failed { Err(Skip) } else { Ok(()) }
    }

    fn plugin_entry(&mut self, doc: Doc<'_>, entry: &Node) -> Res<(String, String)> {
        let mut names = HashSet::new();
        let what = "a plugin requirement";
        let first = self.plugin_req(doc, entry, what, &["name", "version", "alternatives"])?;
        names.insert(first.0.clone());
        if let Some(alts) = entry.get("alternatives") {
            if !alts.is_seq() {
                return Err(self.ctx.error(
                    doc.loc(alts),
                    Some(&first.0),
                    format!("`alternatives` must be a sequence, not {}", describe(alts)),
                ));
            }
            for alt in alts.items() {
                let (name, _) =
                    self.plugin_req(doc, alt, "a plugin alternative", &["name", "version"])?;
                if !names.insert(name.clone()) {
                    return Err(self.ctx.error(
                        doc.loc(alt),
                        Some(&first.0),
                        format!("plugin `{name}` appears more than once in one requirement"),
                    ));
                }
            }
        }
        Ok(first)
    }

    fn plugin_req(
        &mut self,
        doc: Doc<'_>,
        node: &Node,
        what: &str,
        keys: &[&str],
    ) -> Res<(String, String)> {
        if !node.is_map() {
            return Err(self.ctx.error(
                doc.loc(node),
                None,
                format!(
                    "{what} must be a mapping with `name` and `version`, not {}",
                    describe(node)
                ),
            ));
        }
        self.check_keys(doc, node, keys, what, None);
        let name = self
            .req_scalar(doc, node, "name", None, what)?
            .text()
            .unwrap_or("")
            .to_owned();
        let vnode = self.req_scalar(doc, node, "version", Some(&name), what)?;
        let version = vnode.text().unwrap_or("").to_owned();
        if parse_semver(&version).is_none() {
            return Err(self.ctx.error(
                doc.loc(vnode),
                Some(&name),
                format!("invalid version `{version}` for plugin `{name}`: expected `x.y.z`"),
            ));
        }
        Ok((name, version))
    }

    fn list(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        let name_node = self.req_scalar(doc, item, "list", None, "this list")?;
        let name = name_node.text().unwrap_or("").to_owned();
        let loc = key_loc(doc, item, "list");
        let n = Some(name.as_str());
        self.check_keys(
            doc,
            item,
            &["list", "items", "append", "override"],
            "list",
            n,
        );
        if !condition::is_bare_string(&name) {
            self.ctx.warn(
                loc,
                n,
                format!(
                    "list name `{name}` contains blanks, parentheses, commas, `=` or quotes, so \
                     conditions cannot refer to it"
                ),
            );
        }
        let Some(items_node) = item.get("items") else {
            return Err(self.ctx.error(
                loc,
                n,
                format!("list `{name}` is missing the required key `items`"),
            ));
        };
        if !items_node.is_seq() {
            return Err(self.ctx.error(
                doc.loc(items_node),
                n,
                format!("`items` must be a sequence, not {}", describe(items_node)),
            ));
        }
        let mut items = Vec::with_capacity(items_node.items().len());
        for it in items_node.items() {
            match (&it.value, it.text()) {
                (Value::Seq(_) | Value::Map(_), _) | (_, None) => {
                    return Err(self.ctx.error(
                        doc.loc(it),
                        n,
                        format!("list items must be single values, not {}", describe(it)),
                    ));
                }
                (_, Some(t)) => items.push(t.to_owned()),
            }
        }
        let append = self.opt_bool(doc, item, "append", n)?.unwrap_or(false);
        let (app, rep) = self.overrides(doc, item, &["items"], &["items"], &name)?;
        if append && !(app.is_empty() && rep.is_empty()) {
            return Err(self
                .ctx
                .error(loc, n, "`append` and `override` cannot be used together"));
        }
        if append {
            self.deprecated_append(doc, item, &name, "items");
        }
        let id = self.counter;
        if append || !app.is_empty() {
            let Some(&i) = self.out.list_idx.get(&name) else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "cannot append to list `{name}`: no list with that name is defined before"
                    ),
                ));
            };
            let prev = &mut self.out.lists[i];
            prev.items.extend(items);
            prev.visibility = id;
        } else if let Some(&i) = self.out.list_idx.get(&name) {
            let prev = &mut self.out.lists[i];
            prev.items = items;
            prev.visibility = id;
            prev.loc = loc;
        } else {
            self.out.list_idx.insert(name.clone(), self.out.lists.len());
            self.out.lists.push(ListDef {
                name,
                items,
                index: id,
                visibility: id,
                loc,
            });
        }
        self.counter += 1;
        Ok(())
    }

    fn macro_item(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        let name = self
            .req_scalar(doc, item, "macro", None, "this macro")?
            .text()
            .unwrap_or("")
            .to_owned();
        let loc = key_loc(doc, item, "macro");
        let n = Some(name.as_str());
        self.check_keys(
            doc,
            item,
            &["macro", "condition", "append", "override"],
            "macro",
            n,
        );
        if !condition::is_identifier(&name) {
            return Err(self.ctx.error(
                loc,
                n,
                format!(
                    "invalid macro name `{name}`: a macro name must start with a letter and \
                     contain only letters, digits and `_`"
                ),
            ));
        }
        let cond_node = self.req_scalar(doc, item, "condition", n, &format!("macro `{name}`"))?;
        let cond = self.scalar_ltext(doc, cond_node);
        let append = self.opt_bool(doc, item, "append", n)?.unwrap_or(false);
        let (app, rep) = self.overrides(doc, item, &["condition"], &["condition"], &name)?;
        if append && !(app.is_empty() && rep.is_empty()) {
            return Err(self
                .ctx
                .error(loc, n, "`append` and `override` cannot be used together"));
        }
        if append {
            self.deprecated_append(doc, item, &name, "condition");
        }
        let id = self.counter;
        if append || !app.is_empty() {
            let Some(&i) = self.out.macro_idx.get(&name) else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "cannot append to macro `{name}`: no macro with that name is defined before"
                    ),
                ));
            };
            let prev = &mut self.out.macros[i];
            prev.cond.push(" ", cond.loc(0));
            prev.cond.append(&cond);
            prev.visibility = id;
        } else if let Some(&i) = self.out.macro_idx.get(&name) {
            let prev = &mut self.out.macros[i];
            prev.cond = cond;
            prev.visibility = id;
            prev.loc = loc;
        } else {
            self.out
                .macro_idx
                .insert(name.clone(), self.out.macros.len());
            self.out.macros.push(MacroDef {
                name,
                cond,
                index: id,
                visibility: id,
                loc,
            });
        }
        self.counter += 1;
        Ok(())
    }

    fn rule(&mut self, doc: Doc<'_>, item: &Node) -> Res<()> {
        let name = self
            .req_scalar(doc, item, "rule", None, "this rule")?
            .text()
            .unwrap_or("")
            .to_owned();
        let loc = key_loc(doc, item, "rule");
        let n = Some(name.as_str());
        self.check_keys(doc, item, RULE_KEYS, "rule", n);
        let legacy_append = self.opt_bool(doc, item, "append", n)?.unwrap_or(false);
        let (app, rep) = self.overrides(doc, item, RULE_APPENDABLE, RULE_REPLACEABLE, &name)?;
        let has_overrides = !(app.is_empty() && rep.is_empty());
        if legacy_append && has_overrides {
            return Err(self
                .ctx
                .error(loc, n, "`append` and `override` cannot be used together"));
        }
        if legacy_append {
            self.deprecated_append(doc, item, &name, "condition");
        }
        let prev = self.out.rule_idx.get(&name).copied();
        if has_overrides {
            let Some(i) = prev else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "cannot override rule `{name}`: no rule with that name is defined before"
                    ),
                ));
            };
            self.rule_override(doc, item, &name, i, &app, &rep)?;
        } else if legacy_append {
            let Some(i) = prev else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "cannot append to rule `{name}`: no rule with that name is defined before"
                    ),
                ));
            };
            let has_cond = item.get("condition").is_some();
            let has_exc = item.get("exceptions").is_some();
            if !has_cond && !has_exc {
                return Err(self.ctx.error(
                    loc,
                    n,
                    "a rule with `append: true` must have `condition` or `exceptions`",
                ));
            }
            for (key, key_node, _) in item.entries() {
                if !matches!(key, "rule" | "append" | "condition" | "exceptions")
                    && RULE_KEYS.contains(&key)
                {
                    self.ctx.warn(
                        doc.loc(key_node),
                        n,
                        format!("`{key}` is ignored in a rule with `append: true`; use `override` to change it"),
                    );
                }
            }
            let mut keys = Vec::new();
            if has_cond {
                keys.push(("condition".to_owned(), loc));
            }
            if has_exc {
                keys.push(("exceptions".to_owned(), loc));
            }
            let upd = self.rule_update(doc, item, &name, &keys, true)?;
            let mut rule = self.out.rules[i].clone();
            self.apply_append(&mut rule, upd)?;
            self.out.rules[i] = rule;
        } else if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            // The old "enabled only" form toggles an existing rule.
            let Some(enabled) = self.opt_bool(doc, item, "enabled", n)? else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "rule `{name}` has none of `condition`, `output`, `desc` and `priority`, so it \
                         must be an `enabled` toggle, but it has no `enabled` key"
                    ),
                ));
            };
            self.ctx.warn(
                loc,
                n,
                "an item with only `rule` and `enabled` is deprecated; use `override: {enabled: replace}`",
            );
            let Some(i) = prev else {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "rule `{name}` has `enabled`, but no rule with that name is defined before"
                    ),
                ));
            };
            for (key, key_node, _) in item.entries() {
                if !matches!(key, "rule" | "enabled") && RULE_KEYS.contains(&key) {
                    self.ctx.warn(
                        doc.loc(key_node),
                        n,
                        format!("`{key}` is ignored in an item that only toggles `enabled`"),
                    );
                }
            }
            self.out.rules[i].enabled = enabled;
        } else {
            let def = self.rule_define(doc, item, &name, loc)?;
            match prev {
                Some(i) => {
                    let old = &self.out.rules[i];
                    if old.source != def.source {
                        return Err(self.ctx.error(
                            loc,
                            n,
                            format!(
                                "rule `{name}` is redefined with source `{}`, but it was defined with source `{}`",
                                def.source, old.source
                            ),
                        ));
                    }
                    let first_loc = old.first_loc;
                    self.out.rules[i] = RuleDef { first_loc, ..def };
                }
                None => {
                    self.out.rule_idx.insert(name.clone(), self.out.rules.len());
                    self.out.rules.push(def);
                }
            }
        }
        self.counter += 1;
        Ok(())
    }

    fn rule_define(&mut self, doc: Doc<'_>, item: &Node, name: &str, loc: Loc) -> Res<RuleDef> {
        let n = Some(name);
        let what = format!("rule `{name}`");
        let cond_node = self.req_scalar(doc, item, "condition", n, &what)?;
        let cond = self.scalar_ltext(doc, cond_node);
        let out_node = self.req_scalar(doc, item, "output", n, &what)?;
        let output = self.scalar_ltext(doc, out_node);
        let desc = self
            .req_scalar(doc, item, "desc", n, &what)?
            .text()
            .unwrap_or("")
            .to_owned();
        let priority = self.priority(doc, item, name)?;
        let source = self
            .scalar(doc, item, "source", n)?
            .and_then(Node::text)
            .unwrap_or("syscall")
            .to_owned();
        let enabled = self.opt_bool(doc, item, "enabled", n)?.unwrap_or(true);
        let warn_evttypes = self
            .opt_bool(doc, item, "warn_evttypes", n)?
            .unwrap_or(true);
        let skip_if_unknown_filter = self
            .opt_bool(doc, item, "skip-if-unknown-filter", n)?
            .unwrap_or(false);
        let _capture = self.opt_bool(doc, item, "capture", n)?;
        let _capture_duration = self.opt_uint(doc, item, "capture_duration", n)?;
        let tags = self.tags(doc, item, name)?.unwrap_or_default();
        let exceptions = self.exceptions(doc, item, name, false)?;
        for ex in &exceptions {
            self.validate_exception(ex, name)?;
        }
        let threshold = match item.get("threshold") {
            Some(t) => Some(self.threshold(doc, t, name)?),
            None => None,
        };
        let mut output = output;
        output.trim();
        Ok(RuleDef {
            name: name.to_owned(),
            first_loc: loc,
            cond,
            output,
            desc,
            priority,
            tags,
            source,
            enabled,
            warn_evttypes,
            skip_if_unknown_filter,
            threshold,
            exceptions,
        })
    }

    fn priority(&mut self, doc: Doc<'_>, item: &Node, name: &str) -> Res<Priority> {
        let node = self.req_scalar(doc, item, "priority", Some(name), &format!("rule `{name}`"))?;
        let text = node.text().unwrap_or("");
        text.parse::<Priority>().map_err(|_| {
            self.ctx.error(
                doc.loc(node),
                Some(name),
                format!(
                    "invalid priority `{text}`: expected one of emergency, alert, critical, error, \
                     warning, notice, informational (or info), debug"
                ),
            )
        })
    }

    fn tags(&mut self, doc: Doc<'_>, item: &Node, name: &str) -> Res<Option<Vec<String>>> {
        let Some(node) = item.get("tags") else {
            return Ok(None);
        };
        if node.is_null() {
            return Ok(Some(Vec::new()));
        }
        if !node.is_seq() {
            return Err(self.ctx.error(
                doc.loc(node),
                Some(name),
                format!("`tags` must be a sequence, not {}", describe(node)),
            ));
        }
        let mut tags: Vec<String> = Vec::new();
        for t in node.items() {
            match (&t.value, t.text()) {
                (Value::Seq(_) | Value::Map(_), _) | (_, None) => {
                    return Err(self.ctx.error(
                        doc.loc(t),
                        Some(name),
                        format!("tags must be single values, not {}", describe(t)),
                    ));
                }
                (_, Some(text)) => {
                    if !tags.iter().any(|x| x == text) {
                        tags.push(text.to_owned());
                    }
                }
            }
        }
        Ok(Some(tags))
    }

    fn threshold(&mut self, doc: Doc<'_>, node: &Node, name: &str) -> Res<Threshold> {
        let n = Some(name);
        let loc = doc.loc(node);
        if !node.is_map() {
            return Err(self.ctx.error(
                loc,
                n,
                format!(
                    "`threshold` must be a mapping such as `{{count: 20, window: 60s, group_by: \
                     [ka.user.name]}}`, not {}",
                    describe(node)
                ),
            ));
        }
        self.check_keys(
            doc,
            node,
            &["count", "window", "group_by"],
            "threshold of rule",
            n,
        );
        let count_node = self.req_scalar(doc, node, "count", n, "`threshold`")?;
        let count_text = count_node.text().unwrap_or("").trim();
        let count = match count_text.parse::<u64>() {
            Ok(c) if c >= 1 => c,
            _ => {
                return Err(self.ctx.error(
                    doc.loc(count_node),
                    n,
                    format!(
                        "`threshold.count` must be a whole number of at least 1, not `{count_text}`"
                    ),
                ));
            }
        };
        let window_node = self.req_scalar(doc, node, "window", n, "`threshold`")?;
        let window_text = window_node.text().unwrap_or("").trim();
        let window_secs = match parse_window(window_text) {
            Some(w) if w > 0 => w,
            _ => {
                return Err(self.ctx.error(
                    doc.loc(window_node),
                    n,
                    format!(
                        "`threshold.window` must be a positive duration such as `60`, `90s`, `5m` \
                         or `1h`, not `{window_text}`"
                    ),
                ));
            }
        };
        let mut group_by = Vec::new();
        if let Some(g) = node.get("group_by") {
            let items: Vec<&Node> = match &g.value {
                Value::Seq(items) => items.iter().collect(),
                Value::Map(_) | Value::Null => {
                    return Err(self.ctx.error(
                        doc.loc(g),
                        n,
                        format!(
                            "`threshold.group_by` must be a sequence of fields, not {}",
                            describe(g)
                        ),
                    ));
                }
                _ => vec![g],
            };
            for f in items {
                let text = f.text().unwrap_or("");
                match condition::parse_field_ref(text) {
                    Ok(field) if f.text().is_some() => group_by.push(field),
                    Ok(_) => {
                        return Err(self.ctx.error(
                            doc.loc(f),
                            n,
                            format!(
                                "`threshold.group_by` items must be field names, not {}",
                                describe(f)
                            ),
                        ));
                    }
                    Err(e) => {
                        let loc = self.scalar_ltext(doc, f).loc(e.offset);
                        return Err(self.ctx.error(
                            loc,
                            n,
                            format!(
                                "invalid field `{text}` in `threshold.group_by`: {}",
                                e.message
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Threshold {
            count,
            window_secs,
            group_by,
        })
    }

    /// Reads `exceptions:`. In `update` mode (appending or overriding) `fields` may be left
    /// out to add values to an existing exception.
    fn exceptions(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        rule: &str,
        update: bool,
    ) -> Res<Vec<ExcDef>> {
        let n = Some(rule);
        let Some(exs) = item.get("exceptions") else {
            return Ok(Vec::new());
        };
        if exs.is_null() {
            return Ok(Vec::new());
        }
        if !exs.is_seq() {
            return Err(self.ctx.error(
                doc.loc(exs),
                n,
                format!("`exceptions` must be a sequence, not {}", describe(exs)),
            ));
        }
        let mut out: Vec<ExcDef> = Vec::new();
        for ex in exs.items() {
            let loc = doc.loc(ex);
            if !ex.is_map() {
                return Err(self.ctx.error(
                    loc,
                    n,
                    format!(
                        "each exception must be a mapping with `name`, `fields`, `comps` and \
                         `values`, not {}",
                        describe(ex)
                    ),
                ));
            }
            self.check_keys(
                doc,
                ex,
                &["name", "fields", "comps", "values"],
                "exception of rule",
                n,
            );
            let name = self
                .req_scalar(doc, ex, "name", n, "this exception")?
                .text()
                .unwrap_or("")
                .to_owned();
            if out.iter().any(|e| e.name == name) {
                self.ctx.warn(
                    loc,
                    n,
                    format!("rule `{rule}` has more than one exception named `{name}`"),
                );
            }
            let fields = match ex.get("fields") {
                Some(f) => Some(self.entry(doc, f, 1, rule, "fields")?),
                None if update => None,
                None => {
                    return Err(self.ctx.error(
                        loc,
                        n,
                        format!("exception `{name}` of rule `{rule}` has no `fields`"),
                    ));
                }
            };
            let comps = match ex.get("comps") {
                Some(c) => Some(self.entry(doc, c, 1, rule, "comps")?),
                None => None,
            };
            let mut values = Vec::new();
            match ex.get("values") {
                Some(v) if v.is_seq() => {
                    for val in v.items() {
                        values.push(self.entry(doc, val, 2, rule, "values")?);
                    }
                }
                Some(v) if v.is_null() => {}
                Some(v) => {
                    return Err(self.ctx.error(
                        doc.loc(v),
                        n,
                        format!(
                            "`values` of exception `{name}` must be a sequence, not {}",
                            describe(v)
                        ),
                    ));
                }
                None if update => self.ctx.warn(
                    loc,
                    n,
                    format!("exception `{name}` is appended or overridden without `values`"),
                ),
                None => {}
            }
            out.push(ExcDef {
                name,
                loc,
                fields,
                comps,
                values,
            });
        }
        Ok(out)
    }

    /// A scalar, or a sequence nested at most `depth` levels.
    fn entry(&mut self, doc: Doc<'_>, node: &Node, depth: u32, rule: &str, key: &str) -> Res<Ent> {
        let loc = doc.loc(node);
        match (&node.value, node.text()) {
            (Value::Seq(items), _) => {
                if depth == 0 {
                    return Err(self.ctx.error(
                        loc,
                        Some(rule),
                        format!("`{key}` of an exception is nested too deeply"),
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(self.entry(doc, it, depth - 1, rule, key)?);
                }
                Ok(Ent::List(out, loc))
            }
            (Value::Map(_), _) => Err(self.ctx.error(
                loc,
                Some(rule),
                format!("`{key}` of an exception cannot contain a mapping"),
            )),
            (Value::Null, _) | (_, None | Some("")) => Err(self.ctx.error(
                loc,
                Some(rule),
                format!("`{key}` of an exception cannot contain an empty value"),
            )),
            (_, Some(t)) => Ok(Ent::Item(t.to_owned(), loc)),
        }
    }

    /// Checks the shape of a complete exception (after defaults and appends).
    pub(crate) fn validate_exception(&mut self, ex: &ExcDef, rule: &str) -> Res<()> {
        let n = Some(rule);
        let name = &ex.name;
        let Some(fields) = &ex.fields else {
            return Err(self.ctx.error(
                ex.loc,
                n,
                format!("exception `{name}` of rule `{rule}` has no `fields`"),
            ));
        };
        match fields {
            Ent::List(fields, _) => {
                for f in fields {
                    if let Ent::List(_, l) = f {
                        return Err(self.ctx.error(
                            *l,
                            n,
                            format!("`fields` of exception `{name}` must be a list of field names"),
                        ));
                    }
                }
                match &ex.comps {
                    None => {}
                    Some(Ent::Item(_, l)) => {
                        return Err(self.ctx.error(
                            *l,
                            n,
                            format!(
                                "`comps` of exception `{name}` must be a list, since `fields` is a list"
                            ),
                        ));
                    }
                    Some(Ent::List(comps, l)) => {
                        if comps.len() != fields.len() {
                            return Err(self.ctx.error(
                                *l,
                                n,
                                format!(
                                    "exception `{name}` has {} fields but {} comps; they must have the same length",
                                    fields.len(),
                                    comps.len()
                                ),
                            ));
                        }
                        for c in comps {
                            let (text, l) = match c {
                                Ent::Item(t, l) => (t.as_str(), *l),
                                Ent::List(_, l) => ("a list", *l),
                            };
                            match parse_comp(text) {
                                Some((crate::ast::Op::Exists, _)) | None => {
                                    return Err(self.ctx.error(
                                        l,
                                        n,
                                        format!("`{text}` is not a comparison operator usable in exception `{name}`"),
                                    ));
                                }
                                Some(_) => {}
                            }
                        }
                    }
                }
                for (k, v) in ex.values.iter().enumerate() {
                    match v {
                        Ent::List(items, l) if items.len() != fields.len() => {
                            return Err(self.ctx.error(
                                *l,
                                n,
                                format!(
                                    "value {} of exception `{name}` has {} items, but there are {} fields",
                                    k + 1,
                                    items.len(),
                                    fields.len()
                                ),
                            ));
                        }
                        Ent::List(items, _) => {
                            for it in items {
                                if let Ent::List(inner, l) = it
                                    && inner.iter().any(|x| matches!(x, Ent::List(..)))
                                {
                                    return Err(self.ctx.error(
                                        *l,
                                        n,
                                        format!(
                                            "values of exception `{name}` are nested too deeply"
                                        ),
                                    ));
                                }
                            }
                        }
                        Ent::Item(_, l) => {
                            return Err(self.ctx.error(
                                *l,
                                n,
                                format!(
                                    "value {} of exception `{name}` must be a list with one item per field",
                                    k + 1
                                ),
                            ));
                        }
                    }
                }
            }
            Ent::Item(..) => {
                match &ex.comps {
                    None => {}
                    Some(Ent::List(_, l)) => {
                        return Err(self.ctx.error(
                            *l,
                            n,
                            format!("`comps` of exception `{name}` must be a single operator, since `fields` is a single field"),
                        ));
                    }
                    Some(Ent::Item(text, l)) => {
                        let ok = parse_comp(text).is_some_and(|(op, m)| {
                            is_list_op(op) && m.is_none() || m.is_some() && accepts_modifier(op)
                        });
                        if !ok {
                            return Err(self.ctx.error(
                                *l,
                                n,
                                format!(
                                    "when `fields` is a single field, `comps` must be `in`, `pmatch`, \
                                     `intersects` or an operator with a modifier such as `startswith anyof`, not `{text}`"
                                ),
                            ));
                        }
                    }
                }
                for v in &ex.values {
                    if let Ent::List(_, l) = v {
                        return Err(self.ctx.error(
                            *l,
                            n,
                            format!(
                                "when `fields` of exception `{name}` is a single field, each value must be a single value"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads the values an override or legacy append carries for `keys`.
    fn rule_update(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        name: &str,
        keys: &[(String, Loc)],
        append: bool,
    ) -> Res<RuleUpdate> {
        let n = Some(name);
        let mut u = RuleUpdate::default();
        for (key, _) in keys {
            match key.as_str() {
                "condition" => {
                    let node =
                        self.req_scalar(doc, item, "condition", n, &format!("rule `{name}`"))?;
                    u.cond = Some(self.scalar_ltext(doc, node));
                }
                "output" => {
                    let node =
                        self.req_scalar(doc, item, "output", n, &format!("rule `{name}`"))?;
                    let mut t = self.scalar_ltext(doc, node);
                    t.trim();
                    u.output = Some(t);
                }
                "desc" => {
                    let node = self.req_scalar(doc, item, "desc", n, &format!("rule `{name}`"))?;
                    u.desc = Some(node.text().unwrap_or("").to_owned());
                }
                "priority" => u.priority = Some(self.priority(doc, item, name)?),
                "tags" => u.tags = Some(self.tags(doc, item, name)?.unwrap_or_default()),
                "exceptions" => u.exceptions = Some(self.exceptions(doc, item, name, append)?),
                "enabled" => u.enabled = self.opt_bool(doc, item, "enabled", n)?,
                "warn_evttypes" => {
                    u.warn_evttypes = self.opt_bool(doc, item, "warn_evttypes", n)?
                }
                "skip-if-unknown-filter" => {
                    u.skip = self.opt_bool(doc, item, "skip-if-unknown-filter", n)?
                }
                "capture" => {
                    self.opt_bool(doc, item, "capture", n)?;
                }
                "capture_duration" => {
                    self.opt_uint(doc, item, "capture_duration", n)?;
                }
                "threshold" => {
                    if let Some(t) = item.get("threshold") {
                        u.threshold = Some(self.threshold(doc, t, name)?);
                    }
                }
                _ => {}
            }
        }
        Ok(u)
    }

    fn rule_override(
        &mut self,
        doc: Doc<'_>,
        item: &Node,
        name: &str,
        i: usize,
        app: &[(String, Loc)],
        rep: &[(String, Loc)],
    ) -> Res<()> {
        let n = Some(name);
        // Every key named in `override` must be present, and every overridable key present
        // must be named in `override`.
        for (list, how) in [(app, "an `append`"), (rep, "a `replace`")] {
            for (key, kloc) in list {
                if item.get(key).is_none() {
                    return Err(self.ctx.error(
                        *kloc,
                        n,
                        format!("{how} override is given for `{key}`, but the item has no `{key}`"),
                    ));
                }
            }
        }
        for (key, key_node, _) in item.entries() {
            let overridable = RULE_APPENDABLE.contains(&key) || RULE_REPLACEABLE.contains(&key);
            let named = app.iter().chain(rep).any(|(k, _)| k == key);
            if overridable && !named {
                return Err(self.ctx.error(
                    doc.loc(key_node),
                    n,
                    format!(
                        "key `{key}` is present, but `override` does not say whether to append or \
                         replace it"
                    ),
                ));
            }
        }
        let upd_app = self.rule_update(doc, item, name, app, true)?;
        let upd_rep = self.rule_update(doc, item, name, rep, true)?;
        let mut rule = self.out.rules[i].clone();
        self.apply_append(&mut rule, upd_app)?;
        if let Some(c) = upd_rep.cond {
            rule.cond = c;
        }
        if let Some(o) = upd_rep.output {
            rule.output = o;
        }
        if let Some(d) = upd_rep.desc {
            rule.desc = d;
        }
        if let Some(t) = upd_rep.tags {
            rule.tags = t;
        }
        if let Some(e) = upd_rep.exceptions {
            for ex in &e {
                self.validate_exception(ex, name)?;
            }
            rule.exceptions = e;
        }
        if let Some(p) = upd_rep.priority {
            rule.priority = p;
        }
        if let Some(e) = upd_rep.enabled {
            rule.enabled = e;
        }
        if let Some(w) = upd_rep.warn_evttypes {
            rule.warn_evttypes = w;
        }
        if let Some(s) = upd_rep.skip {
            rule.skip_if_unknown_filter = s;
        }
        if let Some(t) = upd_rep.threshold {
            rule.threshold = Some(t);
        }
        self.out.rules[i] = rule;
        Ok(())
    }

    fn apply_append(&mut self, rule: &mut RuleDef, u: RuleUpdate) -> Res<()> {
        let name = rule.name.clone();
        let n = Some(name.as_str());
        if let Some(c) = u.cond
            && !c.s.is_empty()
        {
            rule.cond.push(" ", c.loc(0));
            rule.cond.append(&c);
        }
        if let Some(o) = u.output
            && !o.s.is_empty()
        {
            rule.output.push(" ", o.loc(0));
            rule.output.append(&o);
        }
        if let Some(d) = u.desc
            && !d.is_empty()
        {
            rule.desc.push(' ');
            rule.desc.push_str(&d);
        }
        if let Some(tags) = u.tags {
            for t in tags {
                if !rule.tags.contains(&t) {
                    rule.tags.push(t);
                }
            }
        }
        if let Some(exs) = u.exceptions {
            for ex in exs {
                match rule.exceptions.iter_mut().find(|e| e.name == ex.name) {
                    Some(prev) => {
                        if ex.fields.is_some() || ex.comps.is_some() {
                            return Err(self.ctx.error(
                                ex.loc,
                                n,
                                format!(
                                    "exception `{}` already exists in rule `{name}`: only `values` \
                                     can be appended to it, not `fields` or `comps`",
                                    ex.name
                                ),
                            ));
                        }
                        prev.values.extend(ex.values);
                        let prev = prev.clone();
                        self.validate_exception(&prev, &name)?;
                    }
                    None => {
                        if ex.fields.is_none() {
                            return Err(self.ctx.error(
                                ex.loc,
                                n,
                                format!(
                                    "exception `{}` is new in rule `{name}`, so it needs `fields`",
                                    ex.name
                                ),
                            ));
                        }
                        if ex.values.is_empty() {
                            return Err(self.ctx.error(
                                ex.loc,
                                n,
                                format!(
                                    "exception `{}` is new in rule `{name}`, so it needs `values`",
                                    ex.name
                                ),
                            ));
                        }
                        self.validate_exception(&ex, &name)?;
                        rule.exceptions.push(ex);
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct RuleUpdate {
    cond: Option<LText>,
    output: Option<LText>,
    desc: Option<String>,
    tags: Option<Vec<String>>,
    exceptions: Option<Vec<ExcDef>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip: Option<bool>,
    threshold: Option<Threshold>,
}

/// Position of `key`'s key node in a mapping, else of the mapping.
fn key_loc(doc: Doc<'_>, item: &Node, key: &str) -> Loc {
    item.entries()
        .find(|(k, _, _)| *k == key)
        .map_or(doc.loc(item), |(_, kn, _)| doc.loc(kn))
}

/// `60`, `60s`, `5m`, `1h` in seconds.
fn parse_window(s: &str) -> Option<u64> {
    let (digits, mult) = match s.as_bytes().last()? {
        b's' => (&s[..s.len() - 1], 1),
        b'm' => (&s[..s.len() - 1], 60),
        b'h' => (&s[..s.len() - 1], 3600),
        _ => (s, 1),
    };
    let digits = digits.trim_end();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Splits a file into top-level items for recovery after a YAML error: a line starting with
/// `-` followed by a blank (or nothing) starts an item; `---` and `...` lines end one.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let is_marker = (body.starts_with("---") || body.starts_with("..."))
            && body[3..].chars().next().is_none_or(char::is_whitespace);
        let is_item = !is_marker
            && body.starts_with('-')
            && body[1..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\t');
        if is_marker || is_item {
            if let Some(s) = current.take() {
                chunks.push((s, start));
            }
            if is_item {
                current = Some(start);
            }
        } else if current.is_none() {
            current = Some(start);
        }
    }
    if let Some(s) = current {
        chunks.push((s, offset));
    }
    chunks
}
