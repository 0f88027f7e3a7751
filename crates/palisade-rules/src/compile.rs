//! Compilation of the collected definitions: list flattening and textual substitution,
//! exception text, condition parsing, macro expansion with visibility, output checks, and the
//! unused-definition warnings.

use std::collections::HashMap;

use crate::ast::Expr;
use crate::condition::{self, Cond, MAX_CONDITION_BYTES, is_list_op, parse_comp};
use crate::load::{Collected, Ctx, Ent, ExcDef, ListDef, MacroDef, Skip};
use crate::output;
use crate::text::{LText, Loc};
use crate::{Rule, Severity};

/// Most nodes in one expanded condition (the official rules need at most a few hundred).
pub(crate) const MAX_EXPANDED_NODES: usize = 100_000;
/// Most nodes in all expanded macros and rules together.
pub(crate) const MAX_TOTAL_NODES: usize = 2_000_000;
/// Deepest expanded condition tree.
pub(crate) const MAX_EXPANDED_DEPTH: usize = 1000;
/// Most items in one list after flattening.
pub(crate) const MAX_LIST_ITEMS: usize = 1_000_000;
/// Deepest chain of macros being expanded at once.
const MAX_MACRO_CHAIN: usize = 200;
/// Deepest nesting of the expansion itself (condition trees of all macros being expanded).
const MAX_EXPAND_RECURSION: usize = 1500;

/// A flattened list, ready for substitution.
struct FlatList {
    name: String,
    items: Vec<String>,
    /// Items joined with `", "`, quoted where they contain a space.
    text: String,
    used: bool,
    ok: bool,
}

enum MState {
    Pending,
    Busy,
    Done {
        expr: Expr,
        depth: usize,
        size: usize,
    },
    Failed,
}

/// Who a condition belongs to, for messages.
#[derive(Clone, Copy)]
enum Owner<'n> {
    Rule(&'n str),
    Macro(&'n str),
}

impl Owner<'_> {
    fn name(self) -> &'static str {
        match self {
            Owner::Rule(_) => "rule",
            Owner::Macro(_) => "macro",
        }
    }
    fn item(&self) -> &str {
        match self {
            Owner::Rule(n) | Owner::Macro(n) => n,
        }
    }
}

pub(crate) struct Compiler<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    lists: Vec<FlatList>,
    macros: &'c [MacroDef],
    macro_idx: &'c HashMap<String, usize>,
    parsed: Vec<Option<(Cond, LText)>>,
    macro_texts: Vec<String>,
    state: Vec<MState>,
    macro_used: Vec<bool>,
    chain: usize,
    /// Nesting of `expand` calls, across macros.
    depth: usize,
    total_nodes: usize,
}

/// Wraps an item in double quotes if it contains a space and is not quoted already.
fn quote_item(s: &str) -> String {
    if s.contains(' ') && !s.starts_with('"') && !s.starts_with('\'') {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

/// Wraps an item in parentheses unless it already starts with one.
fn paren_item(s: &str) -> String {
    if s.starts_with('(') {
        s.to_owned()
    } else {
        format!("({s})")
    }
}

/// Replaces every delimited occurrence of `name` in `t` by `sub`, the way Falco does it
/// (including its quirks: blanks around the name are eaten, the replacement is surrounded by
/// single spaces, an empty list takes a neighbouring comma with it, and after a replacement at
/// the very start of the text the search resumes one character later).
///
/// Falco edits the text in place; this builds the result in one pass, which gives the same
/// text in linear time. Returns `None` if nothing was replaced, and the place of the offending
/// occurrence if the result would be too long.
fn substitute(t: &LText, name: &str, sub: &str) -> Result<Option<LText>, Loc> {
    const DELIMS: &[u8] = b" \t\n\r(),=";
    let is_blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if name.is_empty() || !t.s.contains(name) {
        return Ok(None);
    }
    let s = t.s.as_str();
    let b = s.as_bytes();
    let mut out = LText::empty(t.anchor);
    let mut copied = 0;
    let mut search = 0;
    let mut used = false;
    loop {
        while search < s.len() && !s.is_char_boundary(search) {
            search += 1;
        }
        let Some(k) = s
            .get(search..)
            .and_then(|r| r.find(name))
            .map(|k| k + search)
        else {
            break;
        };
        let end = k + name.len();
        let before = if k > copied {
            Some(b[k - 1])
        } else {
            out.last_byte()
        };
        let delimited = before.is_none_or(|c| DELIMS.contains(&c))
            && b.get(end).is_none_or(|c| DELIMS.contains(c));
        if !delimited {
            search = k + 1;
            continue;
        }
        let loc = t.loc(k);
        out.push_from(t, copied..k);
        while out.last_byte().is_some_and(is_blank) {
            out.pop_ascii();
        }
        let mut end = end;
        while end < b.len() && is_blank(b[end]) {
            end += 1;
        }
        if sub.is_empty() {
            if out.last_byte() == Some(b',') {
                out.pop_ascii();
            } else if b.get(end) == Some(&b',') {
                end += 1;
            }
        }
        let at_start = out.s.is_empty();
        if !at_start {
            out.push(" ", loc);
        }
        out.push(sub, loc);
        out.push(" ", loc);
        if out.len() + (s.len() - end) > MAX_CONDITION_BYTES {
            return Err(loc);
        }
        used = true;
        copied = end;
        search = if at_start { end + 1 } else { end };
    }
    if !used {
        return Ok(None);
    }
    out.push_from(t, copied..s.len());
    Ok(Some(out))
}

/// Builds `(cond) and not (exc1) and not (exc2) ...` as Falco writes it.
fn with_exceptions(cond: &LText, exceptions: &[ExcDef]) -> LText {
    let mut out = LText::at("(", cond.loc(0));
    out.append(cond);
    out.push(")", cond.loc(cond.len()));
    for ex in exceptions {
        let at = ex.loc;
        let mut icond = LText::empty(at);
        let default_comp = |default: &str| Ent::Item(default.to_owned(), at);
        match &ex.fields {
            Some(Ent::Item(field, floc)) => {
                let comp = ex.comps.clone().unwrap_or_else(|| default_comp("in"));
                let (comp, cloc) = match &comp {
                    Ent::Item(c, l) => (c.clone(), *l),
                    Ent::List(_, l) => (String::new(), *l),
                };
                for v in &ex.values {
                    let Ent::Item(v, vloc) = v else { continue };
                    if icond.s.is_empty() {
                        icond.push("(", at);
                        icond.push(field, *floc);
                        icond.push(" ", at);
                        icond.push(&comp, cloc);
                        icond.push(" (", at);
                    } else {
                        icond.push(", ", at);
                    }
                    icond.push(&quote_item(v), *vloc);
                }
                if !icond.s.is_empty() {
                    icond.push("))", at);
                }
            }
            Some(Ent::List(fields, _)) => {
                let comps: Vec<Ent> = match &ex.comps {
                    Some(Ent::List(c, _)) => c.clone(),
                    _ => fields.iter().map(|_| default_comp("=")).collect(),
                };
                icond.push("(", at);
                let mut first_tuple = true;
                for tuple in &ex.values {
                    let Ent::List(items, _) = tuple else { continue };
                    if !first_tuple {
                        icond.push(" or ", at);
                    }
                    first_tuple = false;
                    icond.push("(", at);
                    for (k, (field, value)) in fields.iter().zip(items).enumerate() {
                        if k > 0 {
                            icond.push(" and ", at);
                        }
                        let (Ent::Item(field, floc), Some(Ent::Item(comp, cloc))) =
                            (field, comps.get(k))
                        else {
                            continue;
                        };
                        icond.push(" ", at);
                        icond.push(field, *floc);
                        icond.push(" ", at);
                        icond.push(comp, *cloc);
                        icond.push(" ", at);
                        match value {
                            Ent::List(vals, vloc) => {
                                icond.push("(", *vloc);
                                for (j, v) in vals.iter().enumerate() {
                                    if j > 0 {
                                        icond.push(", ", *vloc);
                                    }
                                    if let Ent::Item(v, l) = v {
                                        icond.push(&quote_item(v), *l);
                                    }
                                }
                                icond.push(")", *vloc);
                            }
                            Ent::Item(v, vloc) => {
                                let list_comp = parse_comp(comp)
                                    .is_some_and(|(op, m)| is_list_op(op) || m.is_some());
                                let v = if list_comp {
                                    paren_item(v)
                                } else {
                                    quote_item(v)
                                };
                                icond.push(&v, *vloc);
                            }
                        }
                    }
                    icond.push(")", at);
                }
                icond.push(")", at);
                if icond.s == "()" {
                    icond = LText::empty(at);
                }
            }
            None => {}
        }
        if !icond.s.is_empty() {
            out.push(" and not ", at);
            out.append(&icond);
        }
    }
    out
}

/// Flattens lists one level deep, as Falco does: an item naming a list defined before this
/// list's last definition is replaced by that list's own items (not flattened further).
fn flatten_lists(
    ctx: &mut Ctx<'_>,
    lists: &[ListDef],
    idx: &HashMap<String, usize>,
) -> Vec<FlatList> {
    let mut used = vec![false; lists.len()];
    let mut out = Vec::with_capacity(lists.len());
    for list in lists {
        let mut items: Vec<&str> = Vec::new();
        let mut ok = true;
        for item in &list.items {
            match idx.get(item.as_str()) {
                Some(&r) if lists[r].index < list.visibility => {
                    used[r] = true;
                    items.extend(lists[r].items.iter().map(String::as_str));
                }
                _ => items.push(item),
            }
            if items.len() > MAX_LIST_ITEMS {
                ctx.error(
                    list.loc,
                    Some(&list.name),
                    format!(
                        "list `{}` has more than {MAX_LIST_ITEMS} items after flattening",
                        list.name
                    ),
                );
                ok = false;
                break;
            }
        }
        let text = if ok {
            items
                .iter()
                .map(|i| quote_item(i))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            String::new()
        };
        out.push(FlatList {
            name: list.name.clone(),
            items: items.iter().map(|s| (*s).to_owned()).collect(),
            text,
            used: false,
            ok,
        });
    }
    for (l, u) in out.iter_mut().zip(used) {
        l.used |= u;
    }
    out
}

impl<'c, 'a> Compiler<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>, col: &'c Collected) -> Self {
        let lists = flatten_lists(ctx, &col.lists, &col.list_idx);
        Compiler {
            ctx,
            lists,
            macros: &col.macros,
            macro_idx: &col.macro_idx,
            parsed: Vec::new(),
            macro_texts: Vec::new(),
            state: Vec::new(),
            macro_used: vec![false; col.macros.len()],
            chain: 0,
            depth: 0,
            total_nodes: 0,
        }
    }

    /// Substitutes every list into `t`; an overflow is reported.
    fn substitute_lists(&mut self, t: &mut LText, owner: Owner<'_>) -> Result<(), Skip> {
        for list in &mut self.lists {
            if !list.ok {
                continue;
            }
            match substitute(t, &list.name, &list.text) {
                Ok(Some(replaced)) => {
                    *t = replaced;
                    list.used = true;
                }
                Ok(None) => {}
                Err(loc) => {
                    return Err(self.ctx.error(
                        loc,
                        Some(owner.item()),
                        format!(
                            "the condition of {} `{}` is longer than {MAX_CONDITION_BYTES} bytes after list substitution",
                            owner.name(),
                            owner.item()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse(&mut self, t: &LText, owner: Owner<'_>) -> Result<Cond, Skip> {
        let ctx = &*self.ctx;
        let pos_of = |off: usize| ctx.pos(t.loc(off));
        match condition::parse(&t.s, &pos_of) {
            Ok(c) => Ok(c),
            Err(e) => {
                let loc = t.loc(e.offset);
                self.ctx.report(
                    Severity::Error,
                    loc,
                    Some(owner.item()),
                    format!(
                        "in the condition of {} `{}`: {}",
                        owner.name(),
                        owner.item(),
                        e.message
                    ),
                    e.expected,
                );
                Err(Skip)
            }
        }
    }

    /// Parses every macro, then expands them in load order.
    pub fn compile_macros(&mut self) {
        let macros = self.macros;
        self.state = macros.iter().map(|_| MState::Pending).collect();
        for m in macros {
            let owner = Owner::Macro(&m.name);
            let mut t = m.cond.clone();
            let substituted = self.substitute_lists(&mut t, owner);
            self.macro_texts.push(t.s.clone());
            let parsed = substituted
                .and_then(|()| self.parse(&t, owner))
                .ok()
                .map(|c| (c, t));
            self.parsed.push(parsed);
        }
        for i in 0..macros.len() {
            let _ = self.resolve_macro(i);
        }
    }

    fn resolve_macro(&mut self, i: usize) -> Result<(), ()> {
        match self.state[i] {
            MState::Done { .. } => return Ok(()),
            MState::Failed | MState::Busy => return Err(()),
            MState::Pending => {}
        }
        let Some((cond, text)) = self.parsed[i].take() else {
            self.state[i] = MState::Failed;
            return Err(());
        };
        self.state[i] = MState::Busy;
        let macros = self.macros;
        let m = &macros[i];
        let owner = Owner::Macro(&m.name);
        let result = self.expand(&cond, owner, m.visibility, &text);
        self.state[i] = match result {
            Ok((expr, depth, size)) => MState::Done { expr, depth, size },
            Err(Skip) => MState::Failed,
        };
        match self.state[i] {
            MState::Done { .. } => Ok(()),
            _ => Err(()),
        }
    }

    /// Replaces macro references by the macros' trees. Returns the tree, its depth and size.
    fn expand(
        &mut self,
        cond: &Cond,
        owner: Owner<'_>,
        visibility: usize,
        text: &LText,
    ) -> Result<(Expr, usize, usize), Skip> {
        if self.depth >= MAX_EXPAND_RECURSION {
            return Err(self.ctx.error(
                text.loc(0),
                Some(owner.item()),
                format!(
                    "the condition of {} `{}` nests too deeply through its macros",
                    owner.name(),
                    owner.item()
                ),
            ));
        }
        self.depth += 1;
        let r = self.expand_inner(cond, owner, visibility, text);
        self.depth -= 1;
        r
    }

    fn expand_inner(
        &mut self,
        cond: &Cond,
        owner: Owner<'_>,
        visibility: usize,
        text: &LText,
    ) -> Result<(Expr, usize, usize), Skip> {
        let (expr, depth, size) = match cond {
            Cond::And(kids) | Cond::Or(kids) => {
                let mut out = Vec::with_capacity(kids.len());
                let (mut depth, mut size) = (0, 1);
                for k in kids {
                    let (e, d, s) = self.expand(k, owner, visibility, text)?;
                    depth = depth.max(d);
                    size += s;
                    out.push(e);
                }
                let e = if matches!(cond, Cond::And(_)) {
                    Expr::And(out)
                } else {
                    Expr::Or(out)
                };
                (e, depth + 1, size)
            }
            Cond::Not(k) => {
                let (e, d, s) = self.expand(k, owner, visibility, text)?;
                (Expr::Not(Box::new(e)), d + 1, s + 1)
            }
            Cond::Test(t) => (Expr::Test((**t).clone()), 1, 1),
            Cond::Macro { name, offset } => {
                let loc = text.loc(*offset);
                let item = Some(owner.item());
                let Some(&j) = self.macro_idx.get(name.as_str()) else {
                    return Err(self.ctx.error(
                        loc,
                        item,
                        format!(
                            "undefined macro `{name}` used in {} `{}`",
                            owner.name(),
                            owner.item()
                        ),
                    ));
                };
                self.macro_used[j] = true;
                if self.macros[j].index >= visibility {
                    return Err(self.ctx.error(
                        loc,
                        item,
                        format!(
                            "undefined macro `{name}` used in {} `{}` (`{name}` is defined later; a \
                             macro can only use macros defined before it)",
                            owner.name(),
                            owner.item()
                        ),
                    ));
                }
                if matches!(self.state[j], MState::Busy) {
                    return Err(self.ctx.error(
                        loc,
                        item,
                        format!("macro `{name}` refers to itself through the macros it uses"),
                    ));
                }
                if self.chain >= MAX_MACRO_CHAIN {
                    return Err(self.ctx.error(
                        loc,
                        item,
                        format!("macros nest more than {MAX_MACRO_CHAIN} levels deep"),
                    ));
                }
                self.chain += 1;
                let r = self.resolve_macro(j);
                self.chain -= 1;
                match (r, &self.state[j]) {
                    (Ok(()), MState::Done { expr, depth, size }) => (expr.clone(), *depth, *size),
                    _ => {
                        return Err(self.ctx.error(
                            loc,
                            item,
                            format!(
                                "{} `{}` uses macro `{name}`, which has errors",
                                owner.name(),
                                owner.item()
                            ),
                        ));
                    }
                }
            }
        };
        if depth > MAX_EXPANDED_DEPTH || size > MAX_EXPANDED_NODES {
            let loc = text.loc(0);
            return Err(self.ctx.error(
                loc,
                Some(owner.item()),
                format!(
                    "the condition of {} `{}` is too large after macro expansion (more than \
                     {MAX_EXPANDED_NODES} nodes or {MAX_EXPANDED_DEPTH} levels)",
                    owner.name(),
                    owner.item()
                ),
            ));
        }
        if matches!(cond, Cond::Macro { .. }) {
            self.total_nodes += size;
            if self.total_nodes > MAX_TOTAL_NODES {
                return Err(self.ctx.error(
                    text.loc(0),
                    Some(owner.item()),
                    format!("the rules are too large after macro expansion (more than {MAX_TOTAL_NODES} nodes in all)"),
                ));
            }
        }
        Ok((expr, depth, size))
    }

    pub fn compile_rule(&mut self, r: &crate::load::RuleDef) -> Result<Rule, Skip> {
        let owner = Owner::Rule(&r.name);
        let mut text = if r.exceptions.is_empty() {
            r.cond.clone()
        } else {
            with_exceptions(&r.cond, &r.exceptions)
        };
        self.substitute_lists(&mut text, owner)?;
        let cond = self.parse(&text, owner)?;
        let (condition, _, _) = self.expand(&cond, owner, usize::MAX, &text)?;
        if let Err((offset, message)) = output::parse_at(&r.output.s, None) {
            let loc = r.output.loc(offset);
            return Err(self.ctx.error(
                loc,
                Some(&r.name),
                format!("in the output of rule `{}`: {message}", r.name),
            ));
        }
        let first = r.first_loc;
        Ok(Rule {
            name: r.name.clone(),
            desc: r.desc.clone(),
            condition,
            condition_text: text.s,
            output: r.output.s.clone(),
            priority: r.priority,
            tags: r.tags.clone(),
            source: r.source.clone(),
            enabled: r.enabled,
            warn_evttypes: r.warn_evttypes,
            skip_if_unknown_filter: r.skip_if_unknown_filter,
            threshold: r.threshold.clone(),
            path: self
                .ctx
                .sources
                .get(first.file)
                .map_or_else(String::new, |s| s.path.to_owned()),
            pos: self.ctx.pos(first),
        })
    }

    /// What the caller gets to see of macros and lists.
    pub fn infos(&self, col: &Collected) -> (Vec<crate::MacroInfo>, Vec<crate::ListInfo>) {
        let place = |loc: Loc| {
            (
                self.ctx
                    .sources
                    .get(loc.file)
                    .map_or_else(String::new, |s| s.path.to_owned()),
                self.ctx.pos(loc),
            )
        };
        let macros = col
            .macros
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let (path, pos) = place(m.loc);
                crate::MacroInfo {
                    name: m.name.clone(),
                    condition_text: self.macro_texts.get(i).cloned().unwrap_or_default(),
                    ok: matches!(self.state.get(i), Some(MState::Done { .. })),
                    used: self.macro_used.get(i).copied().unwrap_or(false),
                    path,
                    pos,
                }
            })
            .collect();
        let lists = col
            .lists
            .iter()
            .zip(&self.lists)
            .map(|(l, flat)| {
                let (path, pos) = place(l.loc);
                crate::ListInfo {
                    name: l.name.clone(),
                    items: flat.items.clone(),
                    used: flat.used,
                    path,
                    pos,
                }
            })
            .collect();
        (macros, lists)
    }

    /// Warns about macros and lists nothing refers to.
    pub fn unused_warnings(&mut self, col: &Collected) {
        for (m, used) in col.macros.iter().zip(&self.macro_used) {
            if !used {
                self.ctx.warn(
                    m.loc,
                    Some(&m.name),
                    format!("macro `{}` is never used", m.name),
                );
            }
        }
        for (l, flat) in col.lists.iter().zip(&self.lists) {
            if !flat.used {
                self.ctx.warn(
                    l.loc,
                    Some(&l.name),
                    format!("list `{}` is never used", l.name),
                );
            }
        }
    }
}
