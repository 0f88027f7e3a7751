//! The condition AST shared by the loader (which builds it) and the engine (which compiles
//! it against a source's fields). Macros are already expanded and lists already substituted
//! when a `Rule` reaches the engine.

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// A comparison or `exists` test.
    Test(Test),
}

/// `lhs op [modifier] rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// Left-hand side: a field or a transformer over fields.
    pub lhs: Operand,
    /// Operator.
    pub op: Op,
    /// `oneof` / `anyof` / `allof` (Falco 0.44), with a list RHS.
    pub modifier: Option<Modifier>,
    /// Right-hand side (`Rhs::None` for `exists`).
    pub rhs: Rhs,
    /// Where the test starts in the condition text (1-based line and column in the rules
    /// file when known, else within the condition).
    pub pos: Pos,
}

/// A position in a rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Operators of the Falco condition language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains` (hex bytes)
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith` (hex bytes)
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `in`
    In,
    /// `intersects`
    Intersects,
    /// `pmatch`
    PMatch,
    /// `exists`
    Exists,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `regex`
    Regex,
}

impl Op {
    /// The operator as written in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
        }
    }
}

/// List modifiers after a string operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Exactly one list element matches.
    OneOf,
    /// At least one matches.
    AnyOf,
    /// All match.
    AllOf,
}

/// A field reference: `ka.req.pod.containers.image[0]`, `ka.uri.param[user]`,
/// `jevt.value[/requestObject/spec]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// Field name (contains a dot).
    pub name: String,
    /// The raw `[argument]`, without brackets and quotes.
    pub arg: Option<String>,
}

impl std::fmt::Display for FieldRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.arg {
            Some(arg) => write!(f, "{}[{}]", self.name, arg),
            None => f.write_str(&self.name),
        }
    }
}

/// Field transformers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformer {
    /// `tolower(f)`
    ToLower,
    /// `toupper(f)`
    ToUpper,
    /// `b64(f)`: base64-decode
    B64,
    /// `basename(f)`
    Basename,
    /// `len(f)`
    Len,
    /// `join(sep, ...)`
    Join,
    /// `concat(...)`
    Concat,
    /// `getopt(...)`
    Getopt,
}

/// A value producer: a field, a transformer application, or (inside `join`/`concat`) a
/// literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A field.
    Field(FieldRef),
    /// `transformer(args...)[arg]`.
    Transform {
        /// Which transformer.
        func: Transformer,
        /// Its arguments.
        args: Vec<Operand>,
        /// Optional trailing `[arg]`.
        arg: Option<String>,
    },
    /// A literal string argument of `join`/`concat`.
    Literal(String),
}

/// Right-hand side of a test.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// Nothing (`exists`).
    None,
    /// One value (quoted strings already unescaped).
    Value(String),
    /// A `( ... )` list (lists already substituted).
    List(Vec<String>),
    /// `val(field)` or a transformer: compare with another field's value.
    Operand(Operand),
}
