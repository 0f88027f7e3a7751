//! The condition parser: Falco's filter grammar, written from the behaviour described in the
//! design notes (§2.3), not from Falco's code.
//!
//! The boolean structure (`and`, `or`, `not`, parentheses) is parsed with an explicit stack,
//! so hostile input such as 100 000 opening parentheses fails with a [`MAX_DEPTH`] error and
//! never endangers the thread's stack. Only transformer applications recurse, at most
//! 64 deep.

use std::fmt;

use crate::ast::{FieldRef, Modifier, Op, Operand, Pos, Rhs, Test, Transformer};

/// Most nested parser levels, counted as Falco counts them (Falco sets 1000 too): four for
/// the condition and five for each parenthesised group, so 199 nested parentheses fit.
pub const MAX_DEPTH: u32 = 1000;

/// Longest condition accepted, in bytes, after list substitution and exceptions.
pub const MAX_CONDITION_BYTES: usize = 4 << 20;

/// Why a condition could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// Byte offset in the condition text where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// What the parser would have accepted at `offset`, if that is a useful hint.
    pub expected: Option<String>,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.message)?;
        if let Some(expected) = &self.expected {
            write!(f, " (expected {expected})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConditionError {}

/// A parsed condition that may still refer to macros.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Test(Box<Test>),
    /// A dot-less identifier: a macro reference, at `offset` in the condition text.
    Macro {
        name: String,
        offset: usize,
    },
}

/// Parses a whole condition. `pos_of` turns a byte offset of `text` into the position stored
/// in each [`Test`].
pub(crate) fn parse(text: &str, pos_of: &dyn Fn(usize) -> Pos) -> Result<Cond, ConditionError> {
    if text.len() > MAX_CONDITION_BYTES {
        return Err(ConditionError {
            offset: 0,
            message: format!(
                "the condition is {} bytes long, more than the limit of {} bytes",
                text.len(),
                MAX_CONDITION_BYTES
            ),
            expected: None,
        });
    }
    let mut p = Parser::new(text, pos_of);
    p.blank();
    if p.at_end() {
        return Err(p.err("the condition is empty", None));
    }
    p.parse_bool()
}

/// Parses an operand (a field or a transformer application) at the start of `text` and
/// returns it with the number of bytes it used. Used by the output format parser.
pub(crate) fn parse_operand_prefix(text: &str) -> Result<Option<(Operand, usize)>, ConditionError> {
    let pos_of = |_| Pos::default();
    let mut p = Parser::new(text, &pos_of);
    if let Some(op) = p.try_transformer(false)? {
        return Ok(Some((op, p.i)));
    }
    if let Some(end) = p.field_name_end(0) {
        // A field argument that does not parse is left to the caller as literal text.
        return Ok(Some(match p.field() {
            Ok(field) => (Operand::Field(field), p.i),
            Err(_) => (
                Operand::Field(FieldRef {
                    name: text[..end].to_owned(),
                    arg: None,
                }),
                end,
            ),
        }));
    }
    Ok(None)
}

/// Parses a field reference (`name` or `name[arg]`) that must make up all of `text` apart
/// from surrounding blanks.
pub(crate) fn parse_field_ref(text: &str) -> Result<FieldRef, ConditionError> {
    let pos_of = |_| Pos::default();
    let mut p = Parser::new(text, &pos_of);
    p.blank();
    if p.field_name_end(p.i).is_none() {
        let found = p.found();
        return Err(p.err(
            format!("expected a field name, found {found}"),
            Some("a field such as `ka.user.name` or `jevt.value[/sourceIPs/0]`"),
        ));
    }
    let field = p.field()?;
    p.blank();
    if !p.at_end() {
        let found = p.found();
        return Err(p.err(format!("unexpected {found} after the field"), None));
    }
    Ok(field)
}

/// Transformers, as written before their `(`.
const TRANSFORMERS: [(&str, Transformer); 8] = [
    ("tolower", Transformer::ToLower),
    ("toupper", Transformer::ToUpper),
    ("b64", Transformer::B64),
    ("basename", Transformer::Basename),
    ("len", Transformer::Len),
    ("join", Transformer::Join),
    ("concat", Transformer::Concat),
    ("getopt", Transformer::Getopt),
];

/// Word operators that take a single string value (or a list with a modifier).
const STR_WORD_OPS: [(&str, Op); 9] = [
    ("contains", Op::Contains),
    ("icontains", Op::IContains),
    ("bcontains", Op::BContains),
    ("startswith", Op::StartsWith),
    ("bstartswith", Op::BStartsWith),
    ("endswith", Op::EndsWith),
    ("glob", Op::Glob),
    ("iglob", Op::IGlob),
    ("regex", Op::Regex),
];

/// Operators that take a list; `intersects` is tried before `in`.
const LIST_OPS: [(&str, Op); 3] = [
    ("intersects", Op::Intersects),
    ("in", Op::In),
    ("pmatch", Op::PMatch),
];

const MODIFIERS: [(&str, Modifier); 3] = [
    ("oneof", Modifier::OneOf),
    ("anyof", Modifier::AnyOf),
    ("allof", Modifier::AllOf),
];

/// Parses an exception `comps` entry: an operator, optionally followed by a modifier
/// (`startswith anyof`). Returns the operator and whether it takes a list.
pub(crate) fn parse_comp(text: &str) -> Option<(Op, Option<Modifier>)> {
    let mut words = text.split_ascii_whitespace();
    let op_word = words.next()?;
    let modifier_word = words.next();
    if words.next().is_some() {
        return None;
    }
    let op = match op_word {
        "=" | "==" => Op::Eq,
        "!=" => Op::Ne,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "exists" => Op::Exists,
        w => STR_WORD_OPS
            .iter()
            .chain(LIST_OPS.iter())
            .find(|(name, _)| *name == w)
            .map(|(_, op)| *op)?,
    };
    let modifier = match modifier_word {
        None => None,
        Some(m) => {
            if !accepts_modifier(op) {
                return None;
            }
            Some(
                MODIFIERS
                    .iter()
                    .find(|(name, _)| *name == m)
                    .map(|(_, x)| *x)?,
            )
        }
    };
    Some((op, modifier))
}

/// Whether `op` takes a list on its right (`in`, `intersects`, `pmatch`).
pub(crate) fn is_list_op(op: Op) -> bool {
    matches!(op, Op::In | Op::Intersects | Op::PMatch)
}

/// Whether `op` can carry a `oneof`/`anyof`/`allof` modifier.
pub(crate) fn accepts_modifier(op: Op) -> bool {
    matches!(
        op,
        Op::Eq
            | Op::Ne
            | Op::Contains
            | Op::IContains
            | Op::BContains
            | Op::StartsWith
            | Op::BStartsWith
            | Op::EndsWith
            | Op::Glob
            | Op::IGlob
            | Op::Regex
    )
}

/// Blanks, as the condition language defines them.
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Ends a bare string value: blanks, parentheses, comma, `=` and quotes.
fn ends_bare(b: u8) -> bool {
    is_blank(b) || matches!(b, b'(' | b')' | b',' | b'=' | b'"' | b'\'')
}

/// Ends a bare field argument: blanks, brackets and quotes.
fn ends_bare_arg(b: u8) -> bool {
    is_blank(b) || matches!(b, b'[' | b']' | b'"' | b'\'')
}

/// Whether `s` matches the identifier shape (`[a-zA-Z][a-zA-Z0-9_]*`), which macro names
/// must have.
pub(crate) fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|&c| is_word_byte(c))
}

/// Whether `s` is a valid bare string (what a list name must look like to be usable).
pub(crate) fn is_bare_string(s: &str) -> bool {
    !s.is_empty() && !s.bytes().any(ends_bare)
}

/// Whether `s` is exactly a field name (`word.word...`).
pub(crate) fn is_field_name(s: &str) -> bool {
    let pos_of = |_| Pos::default();
    let p = Parser::new(s, &pos_of);
    p.field_name_end(0) == Some(s.len())
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    transformers: u32,
    pos_of: &'a dyn Fn(usize) -> Pos,
}

type R<T> = Result<T, ConditionError>;

/// A parenthesised group being parsed.
struct Group {
    /// Offset of its `(`; `None` for the whole condition.
    open: Option<usize>,
    /// Whether `not` applies to the group.
    negate: bool,
    /// Finished `and` chains, to be joined with `or`.
    ors: Vec<Cond>,
    /// Operands of the current `and` chain.
    ands: Vec<Cond>,
}

impl Group {
    fn new(open: Option<usize>, negate: bool) -> Self {
        Group {
            open,
            negate,
            ors: Vec::new(),
            ands: Vec::new(),
        }
    }

    fn end_and_chain(&mut self) {
        let mut ands = std::mem::take(&mut self.ands);
        let chain = if ands.len() == 1 {
            ands.pop().unwrap_or(Cond::And(Vec::new()))
        } else {
            Cond::And(ands)
        };
        self.ors.push(chain);
    }

    fn finish(mut self) -> Cond {
        self.end_and_chain();
        if self.ors.len() == 1 {
            self.ors.pop().unwrap_or(Cond::Or(Vec::new()))
        } else {
            Cond::Or(self.ors)
        }
    }
}

/// Deepest nesting of transformers (`tolower(toupper(...))`).
const MAX_TRANSFORMER_NESTING: u32 = 64;

// The functions on the recursive path (`parse_or` → `parse_and` → `parse_not` →
// `parse_check` → `embedded` → `parse_or`) keep their frames small, so that MAX_DEPTH levels
// fit in a 2 MiB thread stack even in debug builds: everything else, and every error message,
// lives in separate functions that are not inlined.
impl<'a> Parser<'a> {
    fn new(s: &'a str, pos_of: &'a dyn Fn(usize) -> Pos) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            i: 0,
            transformers: 0,
            pos_of,
        }
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[cold]
    #[inline(never)]
    fn err(&self, message: impl Into<String>, expected: Option<&str>) -> ConditionError {
        self.err_at(self.i, message, expected)
    }

    #[cold]
    #[inline(never)]
    fn err_at(
        &self,
        offset: usize,
        message: impl Into<String>,
        expected: Option<&str>,
    ) -> ConditionError {
        ConditionError {
            offset,
            message: message.into(),
            expected: expected.map(str::to_owned),
        }
    }

    /// "`what`, found `<text at cursor>`".
    #[cold]
    #[inline(never)]
    fn err_found(&self, what: &str, expected: Option<&str>) -> ConditionError {
        let found = self.found();
        self.err(format!("{what}, found {found}"), expected)
    }

    /// A bracket opened at `open` is not closed at the cursor.
    #[cold]
    #[inline(never)]
    fn err_unclosed(&self, open: usize, what: &str, expected: &str) -> ConditionError {
        if self.at_end() {
            return self.err(
                format!("the {what} at offset {open} is never closed"),
                Some(expected),
            );
        }
        let found = self.found();
        self.err(
            format!("unexpected {found}: the {what} at offset {open} is not closed"),
            Some(expected),
        )
    }

    #[cold]
    #[inline(never)]
    fn err_keyword(&self, at: usize, kw: &str) -> ConditionError {
        self.err_at(
            at,
            format!("`{kw}` must be followed by a blank or `(`"),
            Some("`and`, `or` or the end of the condition"),
        )
    }

    /// A short description of the text at the cursor, for messages.
    fn found(&self) -> String {
        if self.at_end() {
            return "end of condition".to_owned();
        }
        let rest = &self.s[self.i..];
        let mut end = 0;
        for (k, c) in rest.char_indices() {
            if k >= 24 || (k > 0 && c.is_ascii() && is_blank(c as u8)) {
                break;
            }
            end = k + c.len_utf8();
        }
        format!("`{}`", rest[..end].escape_debug())
    }

    #[cold]
    #[inline(never)]
    fn err_depth(&self) -> ConditionError {
        self.err(
            format!(
                "the condition nests too deeply (more than {MAX_DEPTH} parser levels; each \
                 parenthesis takes five)"
            ),
            None,
        )
    }

    /// Skips blanks; tells whether there were any.
    fn blank(&mut self) -> bool {
        let start = self.i;
        while self.peek().is_some_and(is_blank) {
            self.i += 1;
        }
        self.i > start
    }

    fn starts_with(&self, lit: &str) -> bool {
        self.b[self.i..].starts_with(lit.as_bytes())
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    /// Whether the word `w` is at the cursor and not followed by a word character.
    fn word_at(&self, w: &str) -> bool {
        self.starts_with(w)
            && self
                .b
                .get(self.i + w.len())
                .is_none_or(|&b| !is_word_byte(b))
    }

    fn ident_end(&self, at: usize) -> Option<usize> {
        let b = self.b;
        if !b.get(at)?.is_ascii_alphabetic() {
            return None;
        }
        let mut j = at + 1;
        while b.get(j).is_some_and(|&c| is_word_byte(c)) {
            j += 1;
        }
        Some(j)
    }

    /// End of a field name (`ident(.ident)+`) starting at `at`.
    fn field_name_end(&self, at: usize) -> Option<usize> {
        let mut end = self.ident_end(at)?;
        let mut dots = 0;
        while self.b.get(end) == Some(&b'.') {
            match self.ident_end(end + 1) {
                Some(next) => {
                    end = next;
                    dots += 1;
                }
                None => break,
            }
        }
        (dots > 0).then_some(end)
    }

    /// The transformer whose name and `(` are at the cursor.
    fn transformer_at(&self) -> Option<(&'static str, Transformer)> {
        TRANSFORMERS
            .iter()
            .find(|(name, _)| {
                self.starts_with(name) && self.b.get(self.i + name.len()) == Some(&b'(')
            })
            .copied()
    }

    /// The boolean structure of a condition, parsed without recursion: an explicit stack holds
    /// the parenthesised groups still open, so nesting is limited by [`MAX_DEPTH`] and not by
    /// the thread's stack.
    ///
    /// condition := and_expr { "or" and_expr }
    /// and_expr  := not_expr { "and" not_expr }
    /// not_expr  := { "not" } ( "(" condition ")" | "not(" condition ")" | check )
    ///
    /// `and(` and `or(` start a parenthesised group directly.
    fn parse_bool(&mut self) -> R<Cond> {
        let mut stack: Vec<Group> = vec![Group::new(None, false)];
        'operand: loop {
            // An operand is expected.
            self.blank();
            let mut negate = false;
            while self.starts_with("not") && self.b.get(self.i + 3).is_some_and(|&b| is_blank(b)) {
                self.i += 3;
                self.blank();
                negate = !negate;
            }
            if self.starts_with("not(") {
                self.i += 4;
                self.open_group(&mut stack, self.i - 1, !negate)?;
                continue 'operand;
            }
            if self.peek() == Some(b'(') {
                self.i += 1;
                self.open_group(&mut stack, self.i - 1, negate)?;
                continue 'operand;
            }
            let mut operand = self.parse_check()?;
            if negate {
                operand = Cond::Not(Box::new(operand));
            }
            // After an operand: `and`, `or`, `)` or the end.
            loop {
                let Some(group) = stack.last_mut() else {
                    return Err(self.err("internal error: no open group", None));
                };
                group.ands.push(operand);
                self.blank();
                let kw = self.i;
                let (is_and, len) = if self.starts_with("and") {
                    (true, 3)
                } else if self.starts_with("or") {
                    (false, 2)
                } else {
                    (false, 0)
                };
                if len > 0 {
                    if !is_and {
                        group.end_and_chain();
                    }
                    self.i += len;
                    if self.blank() {
                        continue 'operand;
                    }
                    if self.eat("(") {
                        self.open_group(&mut stack, kw + len, false)?;
                        continue 'operand;
                    }
                    return Err(self.err_keyword(kw, if is_and { "and" } else { "or" }));
                }
                if stack.len() > 1 {
                    let Some(group) = stack.pop() else { break };
                    if !self.eat(")") {
                        return Err(self.err_unclosed(
                            group.open.unwrap_or(0),
                            "`(`",
                            "`)`, `and` or `or`",
                        ));
                    }
                    let negate = group.negate;
                    operand = group.finish();
                    if negate {
                        operand = Cond::Not(Box::new(operand));
                    }
                    continue;
                }
                if !self.at_end() {
                    let found = self.found();
                    return Err(self.err(
                        format!("unexpected {found}"),
                        Some("`and`, `or` or the end of the condition"),
                    ));
                }
                break;
            }
            break;
        }
        match stack.pop() {
            Some(group) => Ok(group.finish()),
            None => Err(self.err("internal error: no group", None)),
        }
    }

    /// Opens a parenthesised group whose `(` is at `open`.
    fn open_group(&mut self, stack: &mut Vec<Group>, open: usize, negate: bool) -> R<()> {
        // Counted as Falco's parser counts its recursion: four levels for the top, five for
        // each group.
        if 4 + 5 * stack.len() > MAX_DEPTH as usize {
            return Err(self.err_depth());
        }
        stack.push(Group::new(Some(open), negate));
        self.blank();
        if self.peek() == Some(b')') {
            return Err(self.err("empty parentheses", Some("a condition")));
        }
        Ok(())
    }

    /// A test or a macro name.
    fn parse_check(&mut self) -> R<Cond> {
        let start = self.i;
        if self.field_name_end(self.i).is_some() || self.transformer_at().is_some() {
            self.test_cond(start)
        } else {
            self.macro_ref(start)
        }
    }

    #[inline(never)]
    fn test_cond(&mut self, start: usize) -> R<Cond> {
        let lhs = if self.field_name_end(self.i).is_some() {
            Operand::Field(self.field()?)
        } else {
            match self.try_transformer(false)? {
                Some(t) => t,
                None => return Err(self.err_found("expected a field", None)),
            }
        };
        Ok(Cond::Test(Box::new(self.test(lhs, start)?)))
    }

    #[inline(never)]
    fn macro_ref(&mut self, start: usize) -> R<Cond> {
        if self.starts_with("val(") {
            return Err(self.err(
                "`val(...)` can only be used on the right-hand side of a comparison",
                None,
            ));
        }
        if let Some(end) = self.ident_end(self.i) {
            let name = &self.s[start..end];
            if name == "and" || name == "or" {
                return Err(self.err(
                    format!("expected a condition, found `{name}`"),
                    Some("a field, a macro name, `not` or `(`"),
                ));
            }
            self.i = end;
            return Ok(Cond::Macro {
                name: name.to_owned(),
                offset: start,
            });
        }
        Err(self.err_found(
            "expected a condition",
            Some("a field, a macro name, `not` or `(`"),
        ))
    }

    /// A field name with its optional `[argument]`; the cursor is on the name.
    fn field(&mut self) -> R<FieldRef> {
        let start = self.i;
        let Some(end) = self.field_name_end(start) else {
            return Err(self.err_found("expected a field name", None));
        };
        self.i = end;
        let name = self.s[start..end].to_owned();
        let arg = self.bracket_arg()?;
        Ok(FieldRef { name, arg })
    }

    /// An optional `[argument]` at the cursor.
    fn bracket_arg(&mut self) -> R<Option<String>> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        let open = self.i;
        self.i += 1;
        let value = if let Some(q) = self.quoted()? {
            q
        } else {
            let s = self.i;
            while self.peek().is_some_and(|b| !ends_bare_arg(b)) {
                self.i += 1;
            }
            if self.i == s {
                return Err(self.err_found(
                    "expected a field argument after `[`",
                    Some("a quoted string or a bare argument without blanks, brackets or quotes"),
                ));
            }
            self.s[s..self.i].to_owned()
        };
        if !self.eat("]") {
            return Err(self.err_unclosed(open, "`[`", "`]`"));
        }
        Ok(Some(value))
    }

    /// `lhs op rhs` after the left-hand side; `start` is where the test began.
    fn test(&mut self, lhs: Operand, start: usize) -> R<Test> {
        self.blank();
        let pos = (self.pos_of)(start);
        let (op, modifier, rhs) = self.op_and_rhs()?;
        Ok(Test {
            lhs,
            op,
            modifier,
            rhs,
            pos,
        })
    }

    fn op_and_rhs(&mut self) -> R<(Op, Option<Modifier>, Rhs)> {
        if self.word_at("exists") {
            self.i += "exists".len();
            return Ok((Op::Exists, None, Rhs::None));
        }
        for (lit, op) in [("<=", Op::Le), ("<", Op::Lt), (">=", Op::Ge), (">", Op::Gt)] {
            if self.eat(lit) {
                return Ok((op, None, self.num_rhs()?));
            }
        }
        for (lit, op) in [("==", Op::Eq), ("=", Op::Eq), ("!=", Op::Ne)] {
            if self.eat(lit) {
                let (modifier, rhs) = self.str_rhs()?;
                return Ok((op, modifier, rhs));
            }
        }
        for (word, op) in STR_WORD_OPS {
            if self.starts_with(word) {
                match self.b.get(self.i + word.len()) {
                    Some(&c) if is_blank(c) => {
                        self.i += word.len();
                        let (modifier, rhs) = self.str_rhs()?;
                        return Ok((op, modifier, rhs));
                    }
                    Some(&c) if !is_word_byte(c) => {
                        return Err(self.err_at(
                            self.i + word.len(),
                            format!("`{word}` must be followed by a blank"),
                            None,
                        ));
                    }
                    _ => {}
                }
            }
        }
        for (word, op) in LIST_OPS {
            if self.word_at(word) {
                self.i += word.len();
                return Ok((op, None, self.list_rhs(true)?));
            }
        }
        Err(self.err_found(
            "expected an operator",
            Some(
                "one of `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, `icontains`, \
                 `bcontains`, `startswith`, `bstartswith`, `endswith`, `glob`, `iglob`, `regex`, \
                 `in`, `intersects`, `pmatch`, `exists`",
            ),
        ))
    }

    fn num_rhs(&mut self) -> R<Rhs> {
        self.blank();
        if let Some(op) = self.try_transformer(true)? {
            return Ok(Rhs::Operand(op));
        }
        if let Some(n) = self.number() {
            return Ok(Rhs::Value(n));
        }
        Err(self.err_found(
            "expected a number",
            Some("a number, `val(field)` or a transformer"),
        ))
    }

    /// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?` or `0[xX][0-9a-zA-Z]+`.
    fn number(&mut self) -> Option<String> {
        let b = self.b;
        let start = self.i;
        if b.get(start) == Some(&b'0')
            && matches!(b.get(start + 1), Some(b'x' | b'X'))
            && b.get(start + 2).is_some_and(u8::is_ascii_alphanumeric)
        {
            let mut j = start + 2;
            while b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
                j += 1;
            }
            self.i = j;
            return Some(self.s[start..j].to_owned());
        }
        let mut j = start;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let digits = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == digits {
            return None;
        }
        if b.get(j) == Some(&b'.') {
            j += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if matches!(b.get(j), Some(b'e' | b'E'))
            && matches!(b.get(j + 1), Some(b'+' | b'-'))
            && b.get(j + 2).is_some_and(u8::is_ascii_digit)
        {
            j += 2;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
        }
        self.i = j;
        Some(self.s[start..j].to_owned())
    }

    fn str_rhs(&mut self) -> R<(Option<Modifier>, Rhs)> {
        self.blank();
        for (word, modifier) in MODIFIERS {
            if self.word_at(word) {
                // Taken as a modifier only if a list or a list name follows.
                let save = self.i;
                self.i += word.len();
                self.blank();
                let list_follows = self.peek() == Some(b'(')
                    || self
                        .ident_end(self.i)
                        .is_some_and(|end| !matches!(&self.s[self.i..end], "and" | "or" | "not"));
                if list_follows {
                    return Ok((Some(modifier), self.list_rhs(false)?));
                }
                self.i = save;
            }
        }
        if let Some(op) = self.try_transformer(true)? {
            return Ok((None, Rhs::Operand(op)));
        }
        if let Some(v) = self.value()? {
            return Ok((None, Rhs::Value(v)));
        }
        Err(self.err_found(
            "expected a value",
            Some("a quoted or bare string, `val(field)` or a transformer"),
        ))
    }

    /// A quoted string or a bare word.
    fn value(&mut self) -> R<Option<String>> {
        if let Some(q) = self.quoted()? {
            return Ok(Some(q));
        }
        let start = self.i;
        while self.peek().is_some_and(|b| !ends_bare(b)) {
            self.i += 1;
        }
        Ok((self.i > start).then(|| self.s[start..self.i].to_owned()))
    }

    /// A `( ... )` list or a list name; also `val()` or a transformer if `allow_operand`.
    fn list_rhs(&mut self, allow_operand: bool) -> R<Rhs> {
        self.blank();
        if self.peek() == Some(b'(') {
            let open = self.i;
            self.i += 1;
            self.blank();
            let mut items = Vec::new();
            if let Some(v) = self.value()? {
                items.push(v);
                self.blank();
                while self.eat(",") {
                    self.blank();
                    match self.value()? {
                        Some(v) => items.push(v),
                        None => {
                            return Err(self.err_found(
                                "expected a list item after `,`",
                                Some("a quoted or bare string"),
                            ));
                        }
                    }
                    self.blank();
                }
            }
            if !self.eat(")") {
                let found = self.found();
                return Err(self.err(
                    format!("unexpected {found} in the list opened at offset {open}"),
                    Some("`,` or `)`"),
                ));
            }
            return Ok(Rhs::List(items));
        }
        if allow_operand && let Some(op) = self.try_transformer(true)? {
            return Ok(Rhs::Operand(op));
        }
        if let Some(end) = self.ident_end(self.i) {
            // A list name that no list replaced: a one-item list.
            let name = self.s[self.i..end].to_owned();
            self.i = end;
            return Ok(Rhs::List(vec![name]));
        }
        Err(self.err_found(
            "expected a list",
            Some("`(item, ...)`, a list name, `val(field)` or a transformer"),
        ))
    }

    /// `val(field)` (if `allow_val`) or `transformer(args)[arg]` at the cursor.
    fn try_transformer(&mut self, allow_val: bool) -> R<Option<Operand>> {
        if allow_val && self.starts_with("val(") {
            return self.val().map(Some);
        }
        match self.transformer_at() {
            Some((name, func)) => {
                self.transformers += 1;
                if self.transformers > MAX_TRANSFORMER_NESTING {
                    return Err(self.err(
                        format!("transformers nest too deeply (more than {MAX_TRANSFORMER_NESTING} levels)"),
                        None,
                    ));
                }
                let t = self.transformer(name, func)?;
                self.transformers -= 1;
                Ok(Some(t))
            }
            None => Ok(None),
        }
    }

    #[inline(never)]
    fn val(&mut self) -> R<Operand> {
        let open = self.i + 3;
        self.i += 4;
        self.blank();
        if self.field_name_end(self.i).is_none() {
            return Err(self.err_found("expected a field inside `val(...)`", Some("a field name")));
        }
        let field = self.field()?;
        self.blank();
        if !self.eat(")") {
            return Err(self.err_unclosed(open, "`(` of `val`", "`)`"));
        }
        Ok(Operand::Field(field))
    }

    #[inline(never)]
    fn transformer(&mut self, name: &'static str, func: Transformer) -> R<Operand> {
        let open = self.i + name.len();
        self.i = open + 1;
        let multi = matches!(
            func,
            Transformer::Join | Transformer::Concat | Transformer::Getopt
        );
        let mut args = Vec::new();
        loop {
            self.blank();
            args.push(self.transformer_arg(name, multi)?);
            self.blank();
            if multi && self.eat(",") {
                continue;
            }
            break;
        }
        if !self.eat(")") {
            return Err(self.err_unclosed(
                open,
                &format!("`(` of `{name}`"),
                if multi { "`,` or `)`" } else { "`)`" },
            ));
        }
        let arg = self.bracket_arg()?;
        Ok(Operand::Transform { func, args, arg })
    }

    fn transformer_arg(&mut self, name: &str, multi: bool) -> R<Operand> {
        if let Some(t) = self.try_transformer(false)? {
            return Ok(t);
        }
        if self.field_name_end(self.i).is_some() {
            return Ok(Operand::Field(self.field()?));
        }
        if multi {
            if let Some(q) = self.quoted()? {
                return Ok(Operand::Literal(q));
            }
            if let Some(n) = self.number() {
                return Ok(Operand::Literal(n));
            }
            if self.peek() == Some(b'(') {
                return Err(self.err(
                    format!("list arguments to `{name}` are not supported"),
                    Some("a field, a transformer, a quoted string or a number"),
                ));
            }
        }
        Err(self.err_found(
            &format!("expected an argument for `{name}`"),
            Some(if multi {
                "a field, a transformer, a quoted string or a number"
            } else {
                "a field or a transformer"
            }),
        ))
    }

    /// A `'...'` or `"..."` string at the cursor, unescaped.
    fn quoted(&mut self) -> R<Option<String>> {
        let Some(delim @ (b'"' | b'\'')) = self.peek() else {
            return Ok(None);
        };
        let open = self.i;
        let mut j = open + 1;
        loop {
            match self.b.get(j) {
                None => {
                    return Err(self.err_at(
                        open,
                        "this string is never closed",
                        Some(if delim == b'"' { "`\"`" } else { "`'`" }),
                    ));
                }
                Some(b'\\') => j += 2,
                Some(&c) if c == delim => break,
                Some(_) => j += 1,
            }
        }
        let body = &self.s[open + 1..j];
        let value = unescape(body, delim)
            .map_err(|(k, message)| self.err_at(open + 1 + k, message, None))?;
        self.i = j + 1;
        Ok(Some(value))
    }
}

/// Applies the string escapes; on error returns the offset of the backslash within `body`.
fn unescape(body: &str, delim: u8) -> Result<String, (usize, String)> {
    if !body.contains('\\') {
        return Ok(body.to_owned());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let b = body.as_bytes();
    let mut k = 0;
    while k < b.len() {
        let c = b[k];
        if c != b'\\' {
            out.push(c);
            k += 1;
            continue;
        }
        let Some(&e) = b.get(k + 1) else {
            return Err((k, "a string cannot end with a lone `\\`".to_owned()));
        };
        match e {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            // `\ ` is read as a backslash, a legacy quirk kept for old rules.
            b'\\' | b' ' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' | b'\'' if e == delim => out.push(e),
            b'"' => {
                return Err((
                    k,
                    "`\\\"` is only allowed inside a `\"...\"` string".to_owned(),
                ));
            }
            b'\'' => {
                return Err((
                    k,
                    "`\\'` is only allowed inside a `'...'` string".to_owned(),
                ));
            }
            b'x' => {
                let hex = b.get(k + 2..k + 4).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        k += 4;
                        continue;
                    }
                    None => {
                        return Err((
                            k,
                            "`\\x` must be followed by two hexadecimal digits".to_owned(),
                        ));
                    }
                }
            }
            _ => {
                let shown = body[k + 1..].chars().next().unwrap_or('?');
                return Err((
                    k,
                    format!(
                        "unsupported escape `\\{}` (allowed: \\b \\f \\n \\r \\t \\\\ \\/ \\\" \\' \\xHH)",
                        shown.escape_debug()
                    ),
                ));
            }
        }
        k += 2;
    }
    String::from_utf8(out).map_err(|_| (0, "the `\\x` escapes do not form valid UTF-8".to_owned()))
}
