//! Loading rules files: items, lists, macros, exceptions, overrides, thresholds, diagnostics.

mod common;

use common::*;
use palisade_rules::ast::{Expr, Op, Pos, Rhs};
use palisade_rules::{Diagnostic, Loaded, Priority, RulesFile, Severity, load};

fn load_one(yaml: &str) -> Loaded {
    load(&[RulesFile {
        path: "rules.yaml",
        text: yaml,
    }])
}

fn errors(l: &Loaded) -> Vec<&Diagnostic> {
    l.errors().collect()
}

fn warnings(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect()
}

fn no_errors(l: &Loaded) {
    let errs: Vec<String> = l.errors().map(ToString::to_string).collect();
    assert!(errs.is_empty(), "unexpected errors:\n{}", errs.join("\n"));
}

fn has_error(l: &Loaded, needle: &str) -> Diagnostic {
    match l.errors().find(|d| d.message.contains(needle)) {
        Some(d) => d.clone(),
        None => panic!(
            "no error containing `{needle}`; diagnostics:\n{}",
            l.diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn has_warning(l: &Loaded, needle: &str) -> Diagnostic {
    match warnings(l).into_iter().find(|d| d.message.contains(needle)) {
        Some(d) => d.clone(),
        None => panic!(
            "no warning containing `{needle}`; diagnostics:\n{}",
            l.diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn rule<'a>(l: &'a Loaded, name: &str) -> &'a palisade_rules::Rule {
    l.rule(name).unwrap_or_else(|| {
        panic!(
            "rule `{name}` not loaded; diagnostics: {:#?}",
            l.diagnostics
        )
    })
}

const BASIC: &str = "\
- rule: Shell
  desc: a shell ran
  condition: proc.name = bash
  output: \"  shell %proc.name  \"
  priority: warning
  tags: [shell, mitre, shell]
";

#[test]
fn a_basic_rule() {
    let l = load_one(BASIC);
    no_errors(&l);
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let r = rule(&l, "Shell");
    assert_eq!(r.desc, "a shell ran");
    assert_eq!(strip(&r.condition), eq("proc.name", "bash"));
    assert_eq!(r.condition_text, "proc.name = bash");
    assert_eq!(r.output, "shell %proc.name");
    assert_eq!(r.priority, Priority::Warning);
    assert_eq!(r.tags, vec!["shell", "mitre"]);
    assert_eq!(r.source, "syscall");
    assert!(r.enabled && r.warn_evttypes && !r.skip_if_unknown_filter);
    assert_eq!(r.threshold, None);
    assert_eq!(r.path, "rules.yaml");
    assert_eq!(r.pos, Pos { line: 1, column: 3 });
    let Expr::Test(t) = &r.condition else {
        panic!()
    };
    assert_eq!(
        t.pos,
        Pos {
            line: 3,
            column: 14
        }
    );
}

#[test]
fn priorities() {
    for (text, p) in [
        ("EMERGENCY", Priority::Emergency),
        ("Alert", Priority::Alert),
        ("critical", Priority::Critical),
        ("ERROR", Priority::Error),
        ("Warning", Priority::Warning),
        ("NOTICE", Priority::Notice),
        ("INFO", Priority::Informational),
        ("informational", Priority::Informational),
        ("debug", Priority::Debug),
    ] {
        assert_eq!(text.parse::<Priority>(), Ok(p));
    }
    assert_eq!(Priority::Informational.as_str(), "informational");
    assert!(Priority::Emergency < Priority::Debug);
    assert!("urgent".parse::<Priority>().is_err());
    let l = load_one(&BASIC.replace("priority: warning", "priority: urgent"));
    let d = has_error(&l, "invalid priority `urgent`");
    assert_eq!((d.line, d.column), (5, 13));
    assert_eq!(d.item.as_deref(), Some("Shell"));
    assert!(l.rules.is_empty());
}

#[test]
fn missing_keys_skip_the_item_only() {
    let yaml = "\
- rule: No Output
  desc: d
  condition: a.b exists
  priority: INFO
- rule: Fine
  desc: d
  condition: a.b exists
  output: o
  priority: INFO
";
    let l = load_one(yaml);
    let d = has_error(&l, "rule `No Output` is missing the required key `output`");
    assert_eq!((d.line, d.column), (1, 3));
    assert_eq!(l.rules.len(), 1);
    assert_eq!(l.rules[0].name, "Fine");
}

#[test]
fn unknown_keys_and_items_are_warnings() {
    let yaml = "\
- rule: R
  desc: d
  condition: a.b exists
  output: o
  priority: INFO
  colour: blue
- widget: w
- macro: m
  condition: a.b exists
  params: x
";
    let l = load_one(yaml);
    no_errors(&l);
    let d = has_warning(&l, "unknown key `colour` in rule `R`");
    assert_eq!((d.line, d.column), (6, 3));
    has_warning(&l, "unknown item `widget`");
    has_warning(&l, "unknown key `params` in macro `m`");
    has_warning(&l, "macro `m` is never used");
    assert_eq!(l.rules.len(), 1);
}

fn with_rule(defs: &str, condition: &str) -> String {
    format!(
        "{defs}\n- rule: R\n  desc: d\n  condition: {condition}\n  output: o\n  priority: INFO\n"
    )
}

#[test]
fn list_substitution_is_textual() {
    let defs = "\
- list: shells
  items: [bash, sh]
- list: spaced
  items: [\"my app\", \"'quoted one'\"]
- list: empty
  items: []
";
    let cases: &[(&str, &str)] = &[
        ("proc.name in (shells)", "proc.name in ( bash, sh )"),
        ("proc.name in shells", "proc.name in bash, sh "),
        ("proc.name in (a, shells)", "proc.name in (a, bash, sh )"),
        (
            "proc.name in (spaced)",
            "proc.name in ( \"my app\", 'quoted one' )",
        ),
        // An empty list takes a neighbouring comma with it.
        ("proc.name in (a, empty)", "proc.name in (a  )"),
        ("proc.name in (empty, b)", "proc.name in (   b)"),
        ("proc.name in (empty)", "proc.name in (  )"),
        // Not delimited: left alone.
        (
            "proc.name in (shells_x, xshells)",
            "proc.name in (shells_x, xshells)",
        ),
        ("proc.name = \"shells\"", "proc.name = \"shells\""),
        // Delimited by blanks inside a quoted string: replaced, as Falco does.
        (
            "proc.cmdline contains \"run shells now\"",
            "proc.cmdline contains \"run bash, sh now\"",
        ),
        // After `=`.
        ("proc.name=shells", "proc.name= bash, sh "),
    ];
    for (cond, expected) in cases {
        let l = load_one(&with_rule(defs, cond));
        let r = l.rule("R");
        match r {
            Some(r) => assert_eq!(&r.condition_text, expected, "{cond}"),
            None => {
                // Some substitutions make the condition invalid; the text is still checked
                // through the diagnostic.
                assert!(
                    [
                        "proc.name in shells",
                        "proc.name=shells",
                        "proc.cmdline contains \"run shells now\""
                    ]
                    .contains(cond),
                    "{cond}: {:?}",
                    l.diagnostics
                );
            }
        }
    }
    let l = load_one(&with_rule(defs, "proc.name in (spaced)"));
    assert_eq!(
        strip(&rule(&l, "R").condition),
        test(field("proc.name"), Op::In, list(&["my app", "quoted one"]))
    );
    let l = load_one(&with_rule(defs, "proc.cmdline contains \"run shells now\""));
    assert_eq!(
        strip(&rule(&l, "R").condition),
        test(
            field("proc.cmdline"),
            Op::Contains,
            Rhs::Value("run bash, sh now".into())
        )
    );
}

#[test]
fn lists_flatten_earlier_lists_one_level() {
    let yaml = "\
- list: a
  items: [x, later]
- list: b
  items: [a, y]
- list: c
  items: [b, z]
- list: later
  items: [w]
";
    let l = load_one(&with_rule(yaml, "p.n in (c)"));
    no_errors(&l);
    // `b` is flattened into `c` with its own items (`a`, `y`), not further; `a` was
    // substituted before `c`, so it stays the literal string `a`.
    assert_eq!(rule(&l, "R").condition_text, "p.n in ( a, y, z )");
    let lists: Vec<(&str, Vec<&str>)> = l
        .lists
        .iter()
        .map(|x| {
            (
                x.name.as_str(),
                x.items.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(lists[0], ("a", vec!["x", "later"]));
    assert_eq!(lists[1], ("b", vec!["x", "later", "y"]));
    assert_eq!(lists[2], ("c", vec!["a", "y", "z"]));
    // `later` is not flattened into `a` (defined after it), but substituted textually.
    let l = load_one(&with_rule(yaml, "p.n in (a)"));
    assert_eq!(rule(&l, "R").condition_text, "p.n in ( x, w )");
    has_warning(&l, "list `c` is never used");
    assert!(
        !l.diagnostics
            .iter()
            .any(|d| d.message.contains("list `b` is never used"))
    );
}

#[test]
fn list_append_override_and_redefinition() {
    let yaml = "\
- list: l
  items: [a]
- list: l
  items: [b]
  append: true
- list: l
  items: [c]
  override:
    items: append
- list: m
  items: [x]
- list: m
  items: [y]
- list: n
  items: [x]
- list: n
  items: [z]
  override:
    items: replace
";
    let l = load_one(&with_rule(yaml, "p.n in (l, m, n)"));
    no_errors(&l);
    assert_eq!(rule(&l, "R").condition_text, "p.n in ( a, b, c , y , z )");
    has_warning(&l, "`append: true` is deprecated");
    let l = load_one("- list: nope\n  items: [a]\n  append: true\n");
    has_error(&l, "cannot append to list `nope`");
    let l = load_one("- list: l\n  items: [a]\n  override: {items: merge}\n");
    has_error(&l, "invalid override operation `merge` for key `items`");
    let l = load_one("- list: l\n  items: a\n");
    has_error(&l, "`items` must be a sequence");
}

#[test]
fn macro_visibility() {
    let yaml = "\
- macro: first
  condition: second
- macro: second
  condition: a.b exists
- rule: R
  desc: d
  condition: later and second
  output: o
  priority: INFO
- macro: later
  condition: c.d exists
";
    let l = load_one(yaml);
    let d = has_error(&l, "undefined macro `second` used in macro `first`");
    assert!(d.message.contains("defined later"), "{d}");
    assert_eq!((d.line, d.column), (2, 14));
    // Rules see every macro, including later ones.
    assert_eq!(
        strip(&rule(&l, "R").condition),
        and(vec![exists("c.d"), exists("a.b")])
    );
    assert_eq!(rule(&l, "R").condition_text, "later and second");
}

#[test]
fn redefining_a_macro_changes_what_it_can_see() {
    let yaml = "\
- macro: m
  condition: a.a exists
- macro: helper
  condition: b.b exists
- macro: m
  condition: helper or c.c exists
";
    let l = load_one(&with_rule(yaml, "m"));
    no_errors(&l);
    assert_eq!(
        strip(&rule(&l, "R").condition),
        or(vec![exists("b.b"), exists("c.c")])
    );
}

#[test]
fn macro_cycles_through_redefinition_are_errors() {
    let yaml = "\
- macro: a
  condition: x.x exists
- macro: b
  condition: a
- macro: a
  condition: b
";
    let l = load_one(&with_rule(yaml, "a"));
    has_error(&l, "refers to itself");
    assert!(l.rules.is_empty());
}

#[test]
fn undefined_macro_in_a_rule() {
    let l = load_one(&with_rule("", "a.b exists and\n    not user_known_thing"));
    let d = has_error(&l, "undefined macro `user_known_thing` used in rule `R`");
    assert_eq!((d.line, d.column), (5, 9));
    assert_eq!(d.item.as_deref(), Some("R"));
    assert!(l.rules.is_empty());
}

#[test]
fn macro_append_and_override() {
    let yaml = "\
- macro: m
  condition: a.a exists
- macro: m
  condition: or b.b exists
  append: true
- macro: m
  condition: or c.c exists
  override:
    condition: append
- macro: r
  condition: x.x exists
- macro: r
  condition: y.y exists
  override:
    condition: replace
";
    let l = load_one(&with_rule(yaml, "m and r"));
    no_errors(&l);
    assert_eq!(
        strip(&rule(&l, "R").condition),
        and(vec![
            or(vec![exists("a.a"), exists("b.b"), exists("c.c")]),
            exists("y.y")
        ])
    );
    let m = l.macros.iter().find(|m| m.name == "m").expect("macro m");
    assert_eq!(m.condition_text, "a.a exists or b.b exists or c.c exists");
    assert!(m.ok && m.used);
    let l = load_one("- macro: 1bad\n  condition: a.b exists\n");
    has_error(&l, "invalid macro name `1bad`");
    let l = load_one("- macro: m\n  condition: or a.b exists\n  append: true\n");
    has_error(&l, "cannot append to macro `m`");
}

#[test]
fn a_broken_macro_breaks_its_users_only() {
    let yaml = "\
- macro: broken
  condition: a.b = = x
- macro: fine
  condition: c.d exists
- rule: Uses Broken
  desc: d
  condition: broken
  output: o
  priority: INFO
- rule: Uses Fine
  desc: d
  condition: fine
  output: o
  priority: INFO
";
    let l = load_one(yaml);
    let d = has_error(&l, "in the condition of macro `broken`");
    assert_eq!((d.line, d.column), (2, 20));
    has_error(
        &l,
        "rule `Uses Broken` uses macro `broken`, which has errors",
    );
    assert_eq!(l.rules.len(), 1);
    assert_eq!(l.rules[0].name, "Uses Fine");
    assert!(!l.macros[0].ok);
}

const TWO_RULES: &str = "\
- rule: A
  desc: first a
  condition: a.a exists
  output: out a
  priority: INFO
  tags: [t1]
- rule: B
  desc: b
  condition: b.b exists
  output: out b
  priority: INFO
";

#[test]
fn redefinition_replaces_but_keeps_the_first_position() {
    let yaml = format!(
        "{TWO_RULES}- rule: A\n  desc: second a\n  condition: c.c exists\n  output: new\n  priority: ERROR\n"
    );
    let l = load_one(&yaml);
    no_errors(&l);
    let names: Vec<&str> = l.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    let a = rule(&l, "A");
    assert_eq!(a.desc, "second a");
    assert_eq!(a.priority, Priority::Error);
    assert!(a.tags.is_empty());
    assert_eq!(strip(&a.condition), exists("c.c"));
    assert_eq!(a.pos, Pos { line: 1, column: 3 });
    // The condition's own positions are those of the new definition.
    let Expr::Test(t) = &a.condition else {
        panic!()
    };
    assert_eq!(t.pos.line, 14);

    let yaml = format!(
        "{TWO_RULES}- rule: A\n  desc: d\n  condition: c.c exists\n  output: o\n  priority: INFO\n  source: k8s_audit\n"
    );
    let l = load_one(&yaml);
    has_error(
        &l,
        "redefined with source `k8s_audit`, but it was defined with source `syscall`",
    );
    assert_eq!(rule(&l, "A").desc, "first a");
}

#[test]
fn redefinition_across_files_keeps_the_first_path() {
    let user = "- rule: A\n  desc: mine\n  condition: z.z exists\n  output: o\n  priority: INFO\n";
    let l = load(&[
        RulesFile {
            path: "base.yaml",
            text: TWO_RULES,
        },
        RulesFile {
            path: "user.yaml",
            text: user,
        },
    ]);
    no_errors(&l);
    let a = rule(&l, "A");
    assert_eq!((a.path.as_str(), a.desc.as_str()), ("base.yaml", "mine"));
}

#[test]
fn legacy_append() {
    let yaml = format!(
        "{TWO_RULES}- rule: A\n  condition: and c.c exists\n  append: true\n  output: ignored\n"
    );
    let l = load_one(&yaml);
    no_errors(&l);
    has_warning(&l, "`append: true` is deprecated");
    has_warning(&l, "`output` is ignored");
    let a = rule(&l, "A");
    assert_eq!(a.condition_text, "a.a exists and c.c exists");
    assert_eq!(a.output, "out a");
    let l = load_one("- rule: Z\n  condition: and x.x exists\n  append: true\n");
    has_error(&l, "cannot append to rule `Z`");
    let l = load_one(&format!(
        "{TWO_RULES}- rule: A\n  append: true\n  desc: x\n"
    ));
    has_error(&l, "must have `condition` or `exceptions`");
}

#[test]
fn override_append_and_replace() {
    let yaml = format!(
        "{TWO_RULES}\
- rule: A
  condition: and c.c exists
  output: (more)
  desc: extended
  tags: [t2, t1]
  priority: CRITICAL
  enabled: false
  override:
    condition: append
    output: append
    desc: append
    tags: append
    priority: replace
    enabled: replace
"
    );
    let l = load_one(&yaml);
    no_errors(&l);
    let a = rule(&l, "A");
    assert_eq!(a.condition_text, "a.a exists and c.c exists");
    assert_eq!(a.output, "out a (more)");
    assert_eq!(a.desc, "first a extended");
    assert_eq!(a.tags, ["t1", "t2"]);
    assert_eq!(a.priority, Priority::Critical);
    assert!(!a.enabled);
    assert_eq!(a.pos, Pos { line: 1, column: 3 });

    let yaml = format!(
        "{TWO_RULES}- rule: A\n  condition: z.z exists\n  tags: [new]\n  override:\n    condition: replace\n    tags: replace\n"
    );
    let l = load_one(&yaml);
    no_errors(&l);
    assert_eq!(rule(&l, "A").condition_text, "z.z exists");
    assert_eq!(rule(&l, "A").tags, ["new"]);
}

#[test]
fn override_validation() {
    let cases: &[(&str, &str)] = &[
        (
            "- rule: A\n  condition: x.x exists\n  override:\n    condition: append\n    output: append\n",
            "an `append` override is given for `output`, but the item has no `output`",
        ),
        (
            "- rule: A\n  condition: x.x exists\n  priority: INFO\n  override:\n    condition: append\n",
            "key `priority` is present, but `override` does not say",
        ),
        (
            "- rule: A\n  priority: INFO\n  override:\n    priority: append\n",
            "key `priority` cannot be appended to; use `replace` instead",
        ),
        (
            "- rule: A\n  source: x\n  override:\n    source: replace\n",
            "key `source` cannot be replaced",
        ),
        (
            "- rule: A\n  condition: x.x exists\n  override:\n    condition: merge\n",
            "invalid override operation `merge`",
        ),
        (
            "- rule: A\n  condition: x.x exists\n  append: true\n  override:\n    condition: append\n",
            "`append` and `override` cannot be used together",
        ),
        (
            "- rule: Nope\n  condition: x.x exists\n  override:\n    condition: append\n",
            "cannot override rule `Nope`",
        ),
        (
            "- rule: A\n  condition: x.x exists\n  override: append\n",
            "`override` must be a mapping",
        ),
    ];
    for (item, message) in cases {
        let l = load_one(&format!("{TWO_RULES}{item}"));
        has_error(&l, message);
        // The original rule is untouched.
        assert_eq!(rule(&l, "A").condition_text, "a.a exists", "{item}");
    }
}

#[test]
fn enabled_toggle() {
    let l = load_one(&format!("{TWO_RULES}- rule: B\n  enabled: false\n"));
    no_errors(&l);
    has_warning(&l, "deprecated; use `override: {enabled: replace}`");
    assert!(!rule(&l, "B").enabled);
    let l = load_one(&format!("{TWO_RULES}- rule: Q\n  enabled: false\n"));
    has_error(
        &l,
        "rule `Q` has `enabled`, but no rule with that name is defined before",
    );
    let l = load_one(&format!("{TWO_RULES}- rule: B\n  tags: [x]\n"));
    has_error(
        &l,
        "must be an `enabled` toggle, but it has no `enabled` key",
    );
    let l = load_one(&format!("{TWO_RULES}- rule: B\n  enabled: maybe\n"));
    has_error(&l, "`enabled` must be `true` or `false`, not `maybe`");
    // YAML 1.1 spellings are booleans to Falco.
    let l = load_one(&format!("{TWO_RULES}- rule: B\n  enabled: off\n"));
    assert!(!rule(&l, "B").enabled);
}

fn rule_with(extra: &str, condition: &str) -> String {
    format!(
        "- rule: R\n  desc: d\n  condition: {condition}\n  output: o\n  priority: INFO\n{extra}"
    )
}

#[test]
fn exceptions_list_form() {
    let extra = "  exceptions:
    - name: writer
      fields: [proc.name, fd.directory]
      comps: [in, startswith]
      values:
        - [my-app, /usr/bin]
        - [[a, b], /opt]
    - name: defaulted
      fields: [proc.name, fd.name]
      values:
        - [\"my app\", /var/log]
    - name: listy
      fields: [proc.name, fd.name]
      comps: [in, pmatch]
      values:
        - [shells, /tmp]
    - name: unused
      fields: [proc.name]
";
    let yaml = format!(
        "- list: shells\n  items: [bash, zsh]\n{}",
        rule_with(extra, "evt.type = open")
    );
    let l = load_one(&yaml);
    no_errors(&l);
    let r = rule(&l, "R");
    assert_eq!(
        r.condition_text,
        "(evt.type = open) \
         and not (( proc.name in (my-app) and  fd.directory startswith /usr/bin) or ( proc.name in (a, b) and  fd.directory startswith /opt)) \
         and not (( proc.name = \"my app\" and  fd.name = /var/log)) \
         and not (( proc.name in ( bash, zsh ) and  fd.name pmatch (/tmp)))"
    );
    let Expr::And(kids) = strip(&r.condition) else {
        panic!("{:?}", r.condition)
    };
    assert_eq!(kids.len(), 4);
    assert_eq!(
        kids[1],
        not(or(vec![
            and(vec![
                test(field("proc.name"), Op::In, list(&["my-app"])),
                test(
                    field("fd.directory"),
                    Op::StartsWith,
                    Rhs::Value("/usr/bin".into())
                )
            ]),
            and(vec![
                test(field("proc.name"), Op::In, list(&["a", "b"])),
                test(
                    field("fd.directory"),
                    Op::StartsWith,
                    Rhs::Value("/opt".into())
                )
            ])
        ]))
    );
    assert_eq!(
        kids[2],
        not(and(vec![
            eq("proc.name", "my app"),
            eq("fd.name", "/var/log")
        ]))
    );
    assert_eq!(
        kids[3],
        not(and(vec![
            test(field("proc.name"), Op::In, list(&["bash", "zsh"])),
            test(field("fd.name"), Op::PMatch, list(&["/tmp"]))
        ]))
    );
}

#[test]
fn exceptions_single_field_form() {
    let extra = "  exceptions:
    - name: files
      fields: fd.filename
      values: [python, \"go lang\"]
    - name: prefixes
      fields: fd.name
      comps: startswith anyof
      values: [/etc, /root]
    - name: nothing
      fields: fd.name
";
    let l = load_one(&rule_with(extra, "evt.type = open"));
    no_errors(&l);
    let r = rule(&l, "R");
    assert_eq!(
        r.condition_text,
        "(evt.type = open) and not (fd.filename in (python, \"go lang\")) \
         and not (fd.name startswith anyof (/etc, /root))"
    );
    let Expr::And(kids) = strip(&r.condition) else {
        panic!()
    };
    assert_eq!(
        kids[1],
        not(test(
            field("fd.filename"),
            Op::In,
            list(&["python", "go lang"])
        ))
    );
    let Expr::Not(inner) = &kids[2] else { panic!() };
    let Expr::Test(t) = &**inner else { panic!() };
    assert_eq!(t.modifier, Some(palisade_rules::ast::Modifier::AnyOf));
}

#[test]
fn exception_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "  exceptions:\n    - name: e\n      fields: [a.a, b.b]\n      comps: [=]\n      values: [[x, y]]\n",
            "exception `e` has 2 fields but 1 comps",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: [a.a, b.b]\n      values: [[x]]\n",
            "value 1 of exception `e` has 1 items, but there are 2 fields",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: [a.a]\n      comps: [~]\n      values: [[x]]\n",
            "cannot contain an empty value",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: [a.a]\n      comps: [like]\n      values: [[x]]\n",
            "`like` is not a comparison operator",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: a.a\n      comps: =\n      values: [x]\n",
            "when `fields` is a single field, `comps` must be `in`",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: a.a\n      values: [[x]]\n",
            "each value must be a single value",
        ),
        (
            "  exceptions:\n    - name: e\n      values: [[x]]\n",
            "exception `e` of rule `R` has no `fields`",
        ),
        (
            "  exceptions:\n    - name: e\n      fields: [a.a]\n      comps: =\n      values: [[x]]\n",
            "`comps` of exception `e` must be a list",
        ),
        (
            "  exceptions: {name: e}\n",
            "`exceptions` must be a sequence",
        ),
    ];
    for (extra, message) in cases {
        let l = load_one(&rule_with(extra, "x.x exists"));
        has_error(&l, message);
        assert!(l.rules.is_empty(), "{extra}");
    }
    let l = load_one(&rule_with(
        "  exceptions:\n    - name: e\n      fields: a.a\n      values: [x]\n    - name: e\n      fields: b.b\n      values: [y]\n",
        "x.x exists",
    ));
    has_warning(&l, "more than one exception named `e`");
}

#[test]
fn appending_and_replacing_exceptions() {
    let base = rule_with(
        "  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n",
        "x.x exists",
    );
    let more = "\
- rule: R
  exceptions:
    - name: e
      values: [[b]]
    - name: f
      fields: fd.name
      values: [/tmp]
  override:
    exceptions: append
";
    let l = load_one(&format!("{base}{more}"));
    no_errors(&l);
    assert_eq!(
        rule(&l, "R").condition_text,
        "(x.x exists) and not (( proc.name = a) or ( proc.name = b)) and not (fd.name in (/tmp))"
    );
    let legacy = "- rule: R\n  exceptions:\n    - name: e\n      values: [[c]]\n  append: true\n";
    let l = load_one(&format!("{base}{legacy}"));
    no_errors(&l);
    assert!(rule(&l, "R").condition_text.contains("( proc.name = c)"));

    let bad = "- rule: R\n  exceptions:\n    - name: e\n      fields: [fd.name]\n      values: [[b]]\n  override:\n    exceptions: append\n";
    let l = load_one(&format!("{base}{bad}"));
    has_error(&l, "only `values` can be appended");
    let bad = "- rule: R\n  exceptions:\n    - name: g\n      values: [[b]]\n  override:\n    exceptions: append\n";
    let l = load_one(&format!("{base}{bad}"));
    has_error(&l, "exception `g` is new in rule `R`, so it needs `fields`");
    let bad = "- rule: R\n  exceptions:\n    - name: e\n      values: [[b, c]]\n  override:\n    exceptions: append\n";
    let l = load_one(&format!("{base}{bad}"));
    has_error(&l, "has 2 items, but there are 1 fields");

    let replace = "- rule: R\n  exceptions:\n    - name: z\n      fields: fd.name\n      values: [/x]\n  override:\n    exceptions: replace\n";
    let l = load_one(&format!("{base}{replace}"));
    no_errors(&l);
    assert_eq!(
        rule(&l, "R").condition_text,
        "(x.x exists) and not (fd.name in (/x))"
    );
}

#[test]
fn threshold_extension() {
    let block = "  threshold:\n    count: 20\n    window: 5m\n    group_by:\n      - jevt.value[/sourceIPs/0]\n      - ka.user.name\n";
    let l = load_one(&rule_with(block, "ka.response.code in (401, 403)"));
    no_errors(&l);
    let t = rule(&l, "R").threshold.clone().expect("threshold");
    assert_eq!((t.count, t.window_secs), (20, 300));
    assert_eq!(t.group_by.len(), 2);
    assert_eq!(t.group_by[0].name, "jevt.value");
    assert_eq!(t.group_by[0].arg.as_deref(), Some("/sourceIPs/0"));
    assert_eq!(t.group_by[1].name, "ka.user.name");

    let flow = "  threshold: {count: 3, window: 60, group_by: [\"jevt.value[/sourceIPs/0]\"]}\n";
    let l = load_one(&rule_with(flow, "x.x exists"));
    no_errors(&l);
    let t = rule(&l, "R").threshold.clone().expect("threshold");
    assert_eq!((t.count, t.window_secs, t.group_by.len()), (3, 60, 1));

    let one = "  threshold: {count: 1, window: 2h, group_by: ka.user.name}\n";
    let l = load_one(&rule_with(one, "x.x exists"));
    let t = rule(&l, "R").threshold.clone().expect("threshold");
    assert_eq!((t.window_secs, t.group_by.len()), (7200, 1));

    let no_group = "  threshold: {count: 5, window: 10s}\n";
    let l = load_one(&rule_with(no_group, "x.x exists"));
    assert!(
        rule(&l, "R")
            .threshold
            .as_ref()
            .is_some_and(|t| t.group_by.is_empty())
    );

    let cases: &[(&str, &str)] = &[
        (
            "  threshold: {count: 0, window: 10s}\n",
            "`threshold.count` must be a whole number of at least 1",
        ),
        (
            "  threshold: {count: -3, window: 10s}\n",
            "`threshold.count`",
        ),
        (
            "  threshold: {count: 2, window: 0}\n",
            "`threshold.window` must be a positive duration",
        ),
        (
            "  threshold: {count: 2, window: 10d}\n",
            "`threshold.window`",
        ),
        (
            "  threshold: {count: 2, window: 1.5m}\n",
            "`threshold.window`",
        ),
        (
            "  threshold: {count: 2}\n",
            "`threshold` is missing the required key `window`",
        ),
        (
            "  threshold: {count: 2, window: 1s, group_by: [user]}\n",
            "invalid field `user`",
        ),
        (
            "  threshold: {count: 2, window: 1s, group_by: [\"a.b[x\"]}\n",
            "invalid field `a.b[x`",
        ),
        ("  threshold: 20\n", "`threshold` must be a mapping"),
    ];
    for (extra, message) in cases {
        let l = load_one(&rule_with(extra, "x.x exists"));
        has_error(&l, message);
        assert!(l.rules.is_empty(), "{extra}");
    }
    let l = load_one(&rule_with(
        "  threshold: {count: 2, window: 1s, every: 3}\n",
        "x.x exists",
    ));
    has_warning(&l, "unknown key `every`");

    let replace =
        "- rule: R\n  threshold: {count: 9, window: 1m}\n  override:\n    threshold: replace\n";
    let l = load_one(&format!("{}{replace}", rule_with(block, "x.x exists")));
    no_errors(&l);
    let t = rule(&l, "R").threshold.clone().expect("threshold");
    assert_eq!((t.count, t.window_secs, t.group_by.len()), (9, 60, 0));
}

#[test]
fn condition_errors_point_into_the_file() {
    // Plain scalar.
    let l = load_one(&rule_with("", "proc.name = bash and evt.type ="));
    let d = has_error(&l, "in the condition of rule `R`: expected a value");
    assert_eq!((d.line, d.column), (3, 45));
    assert_eq!(
        d.snippet.as_deref(),
        Some("  condition: proc.name = bash and evt.type =")
    );
    // Quoted scalar.
    let l = load_one(&rule_with("", "'proc.name = bash and evt.type ~ x'"));
    let d = has_error(&l, "expected an operator");
    assert_eq!((d.line, d.column), (3, 45));
    // Folded block scalar.
    let yaml = "\
- rule: R
  desc: d
  condition: >
    proc.name = bash and
      (evt.type = open or
       evt.type ?? x)
  output: o
  priority: INFO
";
    let l = load_one(yaml);
    let d = has_error(&l, "expected an operator");
    assert_eq!((d.line, d.column), (6, 17));
    // Literal block scalar.
    let l = load_one(&yaml.replace("condition: >", "condition: |"));
    let d = has_error(&l, "expected an operator");
    assert_eq!((d.line, d.column), (6, 17));
    // Display, compiler style.
    let text = d.to_string();
    assert_eq!(
        text,
        "rules.yaml:6:17: error: in the condition of rule `R`: expected an operator, found `??`\n   \
         |        evt.type ?? x)\n   \
         |                 ^ expected one of `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, \
         `icontains`, `bcontains`, `startswith`, `bstartswith`, `endswith`, `glob`, `iglob`, \
         `regex`, `in`, `intersects`, `pmatch`, `exists`"
    );
}

#[test]
fn errors_from_substituted_text_point_at_the_list_name() {
    let yaml = "- list: bad\n  items: [\"a=b\"]\n";
    let l = load_one(&with_rule(yaml, "p.n in (x, bad)"));
    let d = has_error(&l, "in the condition of rule `R`: unexpected `=b`");
    assert_eq!((d.line, d.column), (6, 25));
}

#[test]
fn errors_in_exceptions_point_at_the_exception() {
    let extra = "  exceptions:\n    - name: e\n      fields: [proc.name]\n      comps: [in]\n      values: [[\"x y\"]]\n";
    let l = load_one(&rule_with(extra, "x.x exists"));
    // A single value with a list operator is wrapped in parentheses but not quoted, as Falco
    // does, so `x y` breaks the condition; the error points at the value.
    let d = has_error(&l, "in the list");
    assert_eq!((d.line, d.column), (10, 17));
    let extra =
        "  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[\"a'b\"]]\n";
    let l = load_one(&rule_with(extra, "x.x exists"));
    let d = has_error(&l, "is not closed");
    assert_eq!((d.line, d.column), (9, 17));
}

#[test]
fn output_errors() {
    let l = load_one(
        "- rule: R\n  desc: d\n  condition: a.b exists\n  output: \"x=%proc.name %\"\n  priority: INFO\n",
    );
    let d = has_error(
        &l,
        "in the output of rule `R`: the output cannot end with `%`",
    );
    assert_eq!((d.line, d.column), (4, 25));
    let l = load_one(
        "- rule: R\n  desc: d\n  condition: a.b exists\n  output: 100% sure\n  priority: INFO\n",
    );
    let d = has_error(&l, "`%` must be followed by a field name");
    assert_eq!((d.line, d.column), (4, 15));
}

#[test]
fn yaml_errors_do_not_stop_the_file() {
    let yaml = "\
- rule: A
  desc: d
  condition: a.a exists
  output: o
  priority: INFO
- rule: Broken
  desc: d
  condition: x: y: z
  output: o
  priority: INFO
- rule: C
  desc: d
  condition: c.c exists
  output: o
  priority: INFO
  priority: INFO
- rule: D
  desc: d
  condition: d.d exists
  output: o
  priority: INFO
";
    let l = load_one(yaml);
    let names: Vec<&str> = l.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["A", "D"]);
    let errs = errors(&l);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].message.starts_with("invalid YAML"));
    assert_eq!(errs[0].line, 8);
    assert!(errs[1].message.contains("duplicate key"), "{:?}", errs[1]);
    assert_eq!(errs[1].line, 16);
}

#[test]
fn closing_bracket_at_key_indentation_is_accepted() {
    let yaml =
        "- list: l\n  items: [\n    \"a\",\n    \"b\"\n  ]\n- macro: m\n  condition: p.n in (l)\n";
    let l = load_one(&with_rule(yaml, "m"));
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    assert_eq!(rule(&l, "R").condition_text, "m");
    assert_eq!(l.macros[0].condition_text, "p.n in ( a, b )");
    let Expr::Test(t) = &rule(&l, "R").condition else {
        panic!()
    };
    assert_eq!(
        t.pos,
        Pos {
            line: 7,
            column: 14
        }
    );
}

#[test]
fn not_a_rules_file() {
    let l = load_one("rule: x\n");
    has_error(&l, "a rules file must be a sequence of items");
    let l = load_one("- just a string\n- [a, b]\n");
    assert_eq!(errors(&l).len(), 2);
    has_error(&l, "each item must be a mapping");
    let l = load_one("");
    assert!(l.diagnostics.is_empty() && l.rules.is_empty());
    let l = load_one("# only comments\n---\n---\n");
    assert!(l.diagnostics.is_empty());
}

#[test]
fn versions() {
    let yaml = "\
- required_engine_version: 15
- required_engine_version: 0.31.0
- required_plugin_versions:
    - name: k8saudit
      version: 0.18.0
      alternatives:
        - name: k8saudit-eks
          version: 0.12.0
    - name: json
      version: 0.7.0
";
    let l = load_one(yaml);
    no_errors(&l);
    assert_eq!(l.required_engine_version.as_deref(), Some("0.31.0"));
    assert_eq!(
        l.required_plugin_versions,
        [
            ("k8saudit".to_owned(), "0.18.0".to_owned()),
            ("json".to_owned(), "0.7.0".to_owned())
        ]
    );
    let l = load(&[
        RulesFile {
            path: "a",
            text: "- required_engine_version: 0.57.0\n",
        },
        RulesFile {
            path: "b",
            text: "- required_engine_version: 40\n",
        },
    ]);
    assert_eq!(l.required_engine_version.as_deref(), Some("0.57.0"));
    let l = load_one("- required_engine_version: latest\n");
    has_error(&l, "invalid engine version `latest`");
    let l = load_one("- required_plugin_versions:\n    - name: x\n      version: one\n");
    has_error(&l, "invalid version `one` for plugin `x`");
    let l = load_one(
        "- required_plugin_versions:\n    - name: x\n      version: 1.0.0\n      alternatives:\n        - name: x\n          version: 1.0.0\n",
    );
    has_error(&l, "plugin `x` appears more than once");
}

#[test]
fn later_files_customise_earlier_ones() {
    let base = "\
- macro: user_known_ok
  condition: (never.true exists)
- list: trusted
  items: [a]
- rule: R
  desc: d
  condition: p.n exists and not user_known_ok and not p.n in (trusted)
  output: o
  priority: INFO
";
    let user = "\
- macro: user_known_ok
  condition: (p.n = ok)
- list: trusted
  items: [b]
  override:
    items: append
";
    let l = load(&[
        RulesFile {
            path: "base.yaml",
            text: base,
        },
        RulesFile {
            path: "user.yaml",
            text: user,
        },
    ]);
    no_errors(&l);
    let r = rule(&l, "R");
    assert_eq!(
        strip(&r.condition),
        and(vec![
            exists("p.n"),
            not(eq("p.n", "ok")),
            not(test(field("p.n"), Op::In, list(&["a", "b"])))
        ])
    );
    // A condition error in the user file names the user file.
    let l = load(&[
        RulesFile {
            path: "base.yaml",
            text: base,
        },
        RulesFile {
            path: "user.yaml",
            text: "- macro: user_known_ok\n  condition: p.n = = x\n",
        },
    ]);
    let d = has_error(&l, "in the condition of macro `user_known_ok`");
    assert_eq!((d.path.as_str(), d.line, d.column), ("user.yaml", 2, 20));
}

#[test]
fn positions_of_tests_inside_macros() {
    let yaml = "- macro: m\n  condition: a.a exists\n";
    let l = load_one(&with_rule(yaml, "m"));
    let Expr::Test(t) = &rule(&l, "R").condition else {
        panic!()
    };
    assert_eq!(
        t.pos,
        Pos {
            line: 2,
            column: 14
        }
    );
}

#[test]
fn diagnostics_are_sorted_and_keep_going() {
    let yaml = "\
- rule: A
  desc: d
  condition: a.a = = x
  output: o
  priority: INFO
- rule: B
  desc: d
  condition: b.b exists
  output: o
  priority: LOUD
- rule: C
  desc: d
  condition: undefined_macro
  output: o
  priority: INFO
- rule: D
  desc: d
  condition: d.d exists
  output: o
  priority: INFO
";
    let l = load_one(yaml);
    let lines: Vec<u32> = errors(&l).iter().map(|d| d.line).collect();
    assert_eq!(lines, [3, 10, 13]);
    assert_eq!(l.rules.len(), 1);
}

mod limits {
    use super::*;
    use std::time::{Duration, Instant};

    fn quick(f: impl FnOnce() -> Loaded) -> Loaded {
        let t = Instant::now();
        let l = f();
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "took {:?}",
            t.elapsed()
        );
        l
    }

    #[test]
    fn exponential_macros_are_stopped() {
        let mut y = String::from("- macro: m0\n  condition: a.b exists\n");
        for i in 1..40 {
            y += &format!("- macro: m{i}\n  condition: m{} and m{}\n", i - 1, i - 1);
        }
        let l = quick(|| load_one(&with_rule(&y, "m39")));
        has_error(&l, "too large after macro expansion");
        assert!(l.rules.is_empty());
    }

    #[test]
    fn deep_macros_are_stopped() {
        let mut y = String::from("- macro: m0\n  condition: a.b exists\n");
        for i in 1..1200 {
            y += &format!("- macro: m{i}\n  condition: not (m{})\n", i - 1);
        }
        let l = quick(|| load_one(&with_rule(&y, "m1199")));
        has_error(&l, "too large after macro expansion");
        assert!(l.rules.is_empty());
    }

    #[test]
    fn long_chains_of_redefined_macros_are_stopped() {
        let mut y = String::new();
        for i in 0..=300 {
            y += &format!("- macro: m{i}\n  condition: a.b exists\n");
        }
        for i in 0..300 {
            y += &format!("- macro: m{i}\n  condition: m{}\n", i + 1);
        }
        let l = quick(|| load_one(&with_rule(&y, "m0")));
        has_error(&l, "macros nest more than 200 levels deep");
        assert!(l.rules.is_empty());
    }

    #[test]
    fn exponential_list_substitution_is_stopped() {
        let mut y = String::new();
        for i in 0..15 {
            let n = format!("l{}", i + 1);
            y += &format!("- list: l{i}\n  items: [{n}, {n}, {n}, {n}]\n");
        }
        y += "- list: l15\n  items: [x]\n";
        let l = quick(|| load_one(&with_rule(&y, "p.n in (l0)")));
        has_error(&l, "after list substitution");
        assert!(l.rules.is_empty());
    }

    #[test]
    fn list_flattening_is_bounded() {
        let items: Vec<String> = (0..1001).map(|i| format!("i{i}")).collect();
        let refs = vec!["big"; 1000].join(", ");
        let y = format!(
            "- list: big\n  items: [{}]\n- list: huge\n  items: [{refs}]\n",
            items.join(", ")
        );
        let l = quick(|| load_one(&with_rule(&y, "p.n in (big)")));
        has_error(&l, "list `huge` has more than 1000000 items");
        assert!(l.rule("R").is_some());
    }

    #[test]
    fn many_rules_load_quickly() {
        let mut y =
            String::from("- list: l\n  items: [a, b, c]\n- macro: m\n  condition: p.n in (l)\n");
        for i in 0..2000 {
            y += &format!(
                "- rule: R{i}\n  desc: d\n  condition: m and x.y = {i}\n  output: \"%p.n\"\n  priority: INFO\n"
            );
        }
        let l = quick(|| load_one(&y));
        no_errors(&l);
        assert_eq!(l.rules.len(), 2000);
    }
}
