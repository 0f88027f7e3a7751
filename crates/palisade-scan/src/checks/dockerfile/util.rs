//! Helpers shared by the Dockerfile checks, some of them reused by the Compose checks: image
//! references, secret-looking variable names, a small shell lexer for `RUN` commands, package
//! installs, and Dockerfile variable substitution.

use crate::dockerfile::{Dockerfile, Instruction};
use std::collections::HashMap;

/// The keyword an instruction acts as: `RUN` for both `RUN x` and `ONBUILD RUN x` (an
/// `ONBUILD` step runs in every image built `FROM` this one).
pub(crate) fn effective_keyword(instruction: &Instruction) -> &str {
    instruction
        .onbuild
        .as_deref()
        .unwrap_or(&instruction.keyword)
}

/// Last path component (`/usr/bin/curl` -> `curl`, `C:\x\y.exe` -> `y.exe`).
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

// ---------------------------------------------------------------------------------------
// Image references
// ---------------------------------------------------------------------------------------

/// An image reference split into `[registry[:port]/]repository`, tag and digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Registry and repository (`docker.io/library/python`, `localhost:5000/app`).
    pub name: &'a str,
    /// Tag after the last `:` of the last path component, if any (may be empty: `app:`).
    pub tag: Option<&'a str>,
    /// Digest after `@` (`sha256:...`), if any.
    pub digest: Option<&'a str>,
}

impl ImageRef<'_> {
    /// Pinned to an immutable content digest (`@sha256:...`).
    pub fn has_digest(&self) -> bool {
        self.digest.is_some_and(|d| d.contains(':'))
    }

    /// Why the reference can silently change, if it can because of its tag: no tag and no
    /// digest (Docker pulls `latest`), or `latest` itself. A digest pins the image whatever
    /// the tag says (`app:latest@sha256:...` is immutable).
    pub fn mutable_tag(&self) -> Option<&'static str> {
        if self.has_digest() {
            return None;
        }
        match self.tag {
            None | Some("") => Some("has no tag and no digest, so it resolves to `latest`"),
            Some("latest") => Some("uses the mutable `latest` tag"),
            Some(_) => None,
        }
    }
}

/// Split an image reference. `localhost:5000/app` has no tag (the `:` is the registry port).
pub(crate) fn parse_image_ref(text: &str) -> ImageRef<'_> {
    let text = text.trim();
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    let last = rest.rfind('/').map_or(0, |p| p + 1);
    match rest[last..].rfind(':') {
        Some(p) => ImageRef {
            name: &rest[..last + p],
            tag: Some(&rest[last + p + 1..]),
            digest,
        },
        None => ImageRef {
            name: rest,
            tag: None,
            digest,
        },
    }
}

/// Text left by a template engine instead of a value (`{{ .Version }}`, `%%VERSION%%`): the
/// file is a template to be rendered, not a Dockerfile to judge.
pub(crate) fn is_template_placeholder(text: &str) -> bool {
    text.contains("{{") || text.contains("%%")
}

// ---------------------------------------------------------------------------------------
// Secret-looking names and literal values
// ---------------------------------------------------------------------------------------

/// Whole tokens that name a secret (`DB_PASSWORD`, `GITHUB_TOKEN`, `apiKey`).
const SECRET_TOKENS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "APIKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "PRIVATEKEY",
    "AUTHTOKEN",
];

/// Endings of run-together tokens that name a secret (`DBPASSWORD`, `JWTSECRET`).
const SECRET_ENDINGS: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY"];

/// `<word> KEY` pairs that name a secret (`API_KEY`, `AWS_SECRET_ACCESS_KEY`).
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "PRIVATE",
    "SECRET",
    "ENCRYPTION",
    "SIGNING",
    "MASTER",
    "AUTH",
    "LICENSE",
];

/// Last tokens that make the variable describe a secret rather than hold it
/// (`POSTGRES_PASSWORD_FILE`, `TOKEN_URL`, `PASSWORD_MIN_LENGTH`, `AWS_ACCESS_KEY_ID`).
const DESCRIPTOR_SUFFIXES: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "LOCATION",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "NAME",
    "ID",
    "USER",
    "USERNAME",
    "LENGTH",
    "LEN",
    "SIZE",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TIMEOUT",
    "LIFETIME",
    "HEADER",
    "TYPE",
    "ALGORITHM",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "REQUIRED",
    "POLICY",
    "MIN",
    "MAX",
    "VERSION",
    "COMMAND",
    "CMD",
    "PROVIDER",
    "MODE",
    "METHOD",
    "FORMAT",
];

/// Split a variable name into upper-case tokens at `_`, `-`, `.` and camelCase boundaries.
fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// Does this environment variable / build argument name look like it holds a secret?
/// Token based, so `BYPASS_CACHE`, `GPG_KEY` and `TOKENIZERS_PARALLELISM` do not match, and
/// names that describe a secret without holding it (`*_FILE`, `*_URL`, `*_ID`...) do not
/// either. `PWD` and `OLDPWD` alone are the shell's working directory.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let tokens = name_tokens(name);
    if tokens.is_empty() || matches!(name, "PWD" | "OLDPWD") {
        return false;
    }
    if tokens
        .last()
        .is_some_and(|t| DESCRIPTOR_SUFFIXES.contains(&t.as_str()))
    {
        return false;
    }
    let whole = tokens.iter().any(|t| {
        SECRET_TOKENS.contains(&t.as_str()) || SECRET_ENDINGS.iter().any(|e| t.ends_with(e))
    });
    let pair = tokens
        .windows(2)
        .any(|w| w[1] == "KEY" && KEY_QUALIFIERS.contains(&w[0].as_str()));
    whole || pair
}

/// Is this value a literal (something written into the file), as opposed to empty or only
/// references to other variables (`$TOKEN`, `${TOKEN}`)? A reference with a default
/// (`${PASSWORD:-changeme}`) bakes the default in, so it counts as literal.
pub(crate) fn is_literal_value(value: &str) -> bool {
    let value = unquote(value.trim()).trim();
    if value.is_empty() {
        return false;
    }
    let mut rest = value;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return false;
        }
        let Some(after) = rest.strip_prefix('$') else {
            return true;
        };
        let len = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) if is_var_name(&inner[..end]) => end + 2,
                _ => return true,
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if n == 0 {
                return true;
            }
            n
        };
        rest = &after[len..];
    }
}

/// Could this (already literal) value be a credential? Boolean words are settings, not
/// secrets (`MYSQL_ALLOW_EMPTY_PASSWORD=yes`, `MYSQL_RANDOM_ROOT_PASSWORD=true`).
pub(crate) fn could_be_secret_value(value: &str) -> bool {
    let value = unquote(value.trim()).trim();
    !value.is_empty()
        && !["true", "false", "yes", "no", "on", "off"]
            .iter()
            .any(|w| value.eq_ignore_ascii_case(w))
}

fn is_var_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Strip one pair of matching surrounding quotes.
pub(crate) fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

// ---------------------------------------------------------------------------------------
// A small shell lexer
// ---------------------------------------------------------------------------------------

/// One simple command of a shell script, words unquoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Command {
    /// Words with quotes and backslashes removed; redirection operators are words of their own.
    pub words: Vec<String>,
    /// The command reads the previous command's output through `|`.
    pub piped: bool,
}

/// Split text into words the way a POSIX shell would for quoting (`'...'`, `"..."`, `\x`),
/// without treating `;`, `|` or `&` specially. Used for `ENV`/`ARG` pairs and `EXPOSE`.
pub(crate) fn split_words(text: &str) -> Vec<String> {
    lex(text, false).into_iter().flat_map(|c| c.words).collect()
}

/// Split a shell script into simple commands at `;`, `&`, `&&`, `|`, `||`, newlines,
/// parentheses, backquotes and `$(`. Comments are dropped. `sh -c 'script'` scripts are
/// split too (their commands follow the `sh` command).
pub(crate) fn shell_commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    expand_nested(lex(script, true), &mut out, 0);
    out
}

fn expand_nested(commands: Vec<Command>, out: &mut Vec<Command>, depth: u8) {
    for command in commands {
        let nested = (depth < 4)
            .then(|| invocation(&command.words))
            .flatten()
            .and_then(|inv| shell_c_script(&inv).map(str::to_owned));
        out.push(command);
        if let Some(script) = nested {
            expand_nested(lex(&script, true), out, depth + 1);
        }
    }
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

/// The script of `sh -c 'script'`, `bash -euxc 'script'`.
fn shell_c_script<'a>(inv: &Invocation<'a>) -> Option<&'a str> {
    if !SHELLS.contains(&inv.name) {
        return None;
    }
    let mut args = inv.args.iter();
    if inv.name == "busybox" && args.next().is_none_or(|a| !SHELLS.contains(&a.as_str())) {
        return None;
    }
    let mut seen_c = false;
    for arg in args {
        if arg.starts_with('-') && !arg.starts_with("--") && arg.len() > 1 {
            seen_c |= arg[1..].contains('c');
        } else if arg.starts_with("--") || arg.starts_with('+') {
            continue;
        } else {
            return seen_c.then_some(arg.as_str());
        }
    }
    None
}

fn lex(text: &str, operators: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut command = Command::default();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();

    fn end_word(word: &mut String, in_word: &mut bool, command: &mut Command) {
        if *in_word {
            command.words.push(std::mem::take(word));
            *in_word = false;
        }
    }
    fn end_command(commands: &mut Vec<Command>, command: &mut Command, piped_next: bool) {
        let done = std::mem::take(command);
        if !done.words.is_empty() {
            commands.push(done);
        }
        command.piped = piped_next;
    }

    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(next) => {
                    word.push(next);
                    in_word = true;
                }
            },
            '\'' => {
                in_word = true;
                for next in chars.by_ref() {
                    if next == '\'' {
                        break;
                    }
                    word.push(next);
                }
            }
            '"' => {
                in_word = true;
                while let Some(next) = chars.next() {
                    match next {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\n') => {}
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => {}
                        },
                        other => word.push(other),
                    }
                }
            }
            ' ' | '\t' | '\r' => end_word(&mut word, &mut in_word, &mut command),
            '\n' if !operators => end_word(&mut word, &mut in_word, &mut command),
            '#' if !in_word && operators => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            '\n' | ';' | '&' | '|' | '(' | ')' | '`' if operators => {
                if c == '(' && in_word && word.ends_with('$') {
                    word.pop();
                    in_word = !word.is_empty();
                }
                end_word(&mut word, &mut in_word, &mut command);
                let mut piped = false;
                match c {
                    '|' => match chars.peek() {
                        Some('|') => {
                            chars.next();
                        }
                        Some('&') => {
                            chars.next();
                            piped = true;
                        }
                        _ => piped = true,
                    },
                    '&' | ';' if chars.peek() == Some(&c) => {
                        chars.next();
                    }
                    _ => {}
                }
                end_command(&mut commands, &mut command, piped);
            }
            '<' | '>' if operators => {
                end_word(&mut word, &mut in_word, &mut command);
                let mut op = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n == '<' || n == '>' || (n == '&' && op.ends_with('>')) || n == '-' {
                        op.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                command.words.push(op);
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut command);
    end_command(&mut commands, &mut command, false);
    commands
}

/// A command with its wrappers (`sudo`, `env`, `VAR=x`, `if`, `exec`...) looked through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Invocation<'a> {
    /// Base name of the program (`curl` for `/usr/bin/curl`).
    pub name: &'a str,
    /// Its arguments.
    pub args: &'a [String],
    /// It runs under `sudo` or `doas`.
    pub sudo: bool,
}

/// Is `word` a shell variable assignment (`DEBIAN_FRONTEND=noninteractive`)?
pub(crate) fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(name, _)| is_var_name(name))
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "exec", "command",
    "nohup", "builtin", "export",
];

/// Look through wrappers to the program a simple command runs.
pub(crate) fn invocation(words: &[String]) -> Option<Invocation<'_>> {
    let mut i = 0;
    let mut sudo = false;
    while i < words.len() {
        let word = words[i].as_str();
        let name = basename(word);
        if is_assignment(word) || KEYWORDS.contains(&word) {
            i += 1;
        } else if word.starts_with(['<', '>']) {
            // A redirection before the command (`<<EOF`, `>log cmd`): skip it and its target.
            i += 2;
        } else if name == "sudo" || name == "doas" {
            sudo = true;
            i += 1;
            while i < words.len() && words[i].starts_with('-') {
                let takes_arg = matches!(
                    words[i].as_str(),
                    "-u" | "-g" | "-p" | "-C" | "-D" | "-h" | "-r" | "-t" | "-U" | "-T"
                );
                let end = words[i] == "--";
                i += if takes_arg { 2 } else { 1 };
                if end {
                    break;
                }
            }
        } else if name == "env" {
            i += 1;
            while i < words.len() && (words[i].starts_with('-') || is_assignment(&words[i])) {
                let takes_arg = matches!(words[i].as_str(), "-u" | "-C" | "-S");
                i += if takes_arg { 2 } else { 1 };
            }
        } else if name == "gosu" || name == "su-exec" || name == "chroot" {
            i += 2;
        } else if name == "nice" || name == "stdbuf" || name == "timeout" || name == "xargs" {
            i += 1;
            while i < words.len() && words[i].starts_with('-') {
                let takes_arg = matches!(words[i].as_str(), "-n" | "-s" | "-k" | "-I" | "-P");
                i += if takes_arg { 2 } else { 1 };
            }
            if name == "timeout" {
                i += 1;
            }
        } else {
            return Some(Invocation {
                name,
                args: &words[i + 1..],
                sudo,
            });
        }
    }
    None
}

/// The shell commands a `RUN` runs: the exec-form argv (with `sh -c` scripts split), or the
/// shell text plus every heredoc body that is a shell script (`RUN <<EOF`, `RUN bash <<EOF`,
/// not `RUN python3 <<EOF` nor a body with a non-shell `#!` line).
pub(crate) fn run_commands(instruction: &Instruction) -> Vec<Command> {
    if let Some(argv) = &instruction.exec_form {
        let mut out = Vec::new();
        expand_nested(
            vec![Command {
                words: argv.clone(),
                piped: false,
            }],
            &mut out,
            0,
        );
        return out;
    }
    let mut out = shell_commands(&instruction.args);
    for heredoc in &instruction.heredocs {
        if heredoc_is_shell(&instruction.args, &heredoc.delimiter, &heredoc.body) {
            out.extend(shell_commands(&heredoc.body));
        }
    }
    out
}

fn heredoc_is_shell(args: &str, delimiter: &str, body: &str) -> bool {
    if let Some(shebang) = body.lines().next().and_then(|l| l.strip_prefix("#!")) {
        let mut words = shebang.split_whitespace();
        let program = match words.next().map(basename) {
            Some("env") => words.find(|w| !w.starts_with('-')).map(basename),
            other => other,
        };
        return program.is_some_and(|p| SHELLS.contains(&p));
    }
    // The command the `<<DELIM` belongs to: the text since the last command separator.
    let Some(pos) = args.find(&format!("<<{delimiter}")).or_else(|| {
        ["<<-", "<<\"", "<<'", "<<-\"", "<<-'"]
            .iter()
            .find_map(|p| args.find(&format!("{p}{delimiter}")))
    }) else {
        return true;
    };
    let before = &args[..pos];
    let start = before.rfind([';', '&', '|', '\n']).map_or(0, |p| p + 1);
    let words: Vec<String> = split_words(&before[start..]);
    match invocation(&words) {
        None => true,
        Some(inv) => SHELLS.contains(&inv.name),
    }
}

// ---------------------------------------------------------------------------------------
// Package installs
// ---------------------------------------------------------------------------------------

/// A package manager family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackageManager {
    /// apt-get, apt, aptitude.
    Apt,
    /// Alpine apk.
    Apk,
    /// yum, dnf, microdnf, tdnf.
    Rpm,
    /// zypper.
    Zypper,
    /// pacman.
    Pacman,
}

/// Packages a command installs, with version pins, releases and architectures removed
/// (`sudo=1.9*` -> `sudo`, `pkg/bookworm-backports` -> `pkg`, `curl@edge` -> `curl`).
pub(crate) fn installed_packages(inv: &Invocation<'_>) -> Option<(PackageManager, Vec<String>)> {
    let (manager, subcommands, takes_arg): (PackageManager, &[&str], &[&str]) = match inv.name {
        "apt-get" | "apt" | "aptitude" => (
            PackageManager::Apt,
            &["install"],
            &[
                "-o",
                "-t",
                "-c",
                "--option",
                "--target-release",
                "--config-file",
            ],
        ),
        "apk" => (
            PackageManager::Apk,
            &["add"],
            &[
                "-t",
                "--virtual",
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
                "--repositories-file",
            ],
        ),
        "yum" | "dnf" | "dnf5" | "microdnf" | "tdnf" => (
            PackageManager::Rpm,
            &["install", "reinstall"],
            &[
                "-c",
                "--config",
                "-x",
                "--exclude",
                "--releasever",
                "--installroot",
                "--repo",
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "-d",
                "-e",
            ],
        ),
        "zypper" => (
            PackageManager::Zypper,
            &["install", "in"],
            &["-r", "--repo", "-t", "--type", "--from"],
        ),
        "pacman" => (
            PackageManager::Pacman,
            &[],
            &["--config", "-r", "--root", "-b", "--dbpath", "--cachedir"],
        ),
        _ => return None,
    };
    let mut positional = Vec::new();
    let mut installing = manager == PackageManager::Pacman
        && inv.args.iter().any(|a| {
            (a.starts_with("-S") && !a[2..].contains(['s', 'i', 'c', 'g', 'l', 'p']))
                || a == "--sync"
        });
    let mut subcommand_seen = false;
    let mut i = 0;
    while i < inv.args.len() {
        let arg = inv.args[i].as_str();
        i += 1;
        if arg.starts_with('-') {
            if takes_arg.contains(&arg) {
                i += 1;
            }
            continue;
        }
        if arg.starts_with('<') || arg.starts_with('>') {
            i += 1;
            continue;
        }
        if manager != PackageManager::Pacman && !subcommand_seen {
            subcommand_seen = true;
            installing = subcommands.contains(&arg);
            continue;
        }
        positional.push(arg);
    }
    if !installing {
        return None;
    }
    let packages = positional
        .into_iter()
        .map(|p| {
            if is_local_package_file(p) {
                return p.to_owned();
            }
            let end = p
                .find(['=', '>', '<', '~', '@', '/', ':'])
                .unwrap_or(p.len());
            p[..end].to_ascii_lowercase()
        })
        .filter(|p| !p.is_empty())
        .collect();
    Some((manager, packages))
}

/// A package file on the local disk (`./x.deb`, `/tmp/pkgs/*.apk`) rather than a name to be
/// fetched from a repository.
pub(crate) fn is_local_package_file(arg: &str) -> bool {
    arg.starts_with(['/', '.', '$'])
        || [".deb", ".rpm", ".apk", ".pkg.tar.zst", ".pkg.tar.xz"]
            .iter()
            .any(|ext| arg.ends_with(ext))
}

/// Does an installed package name denote `package` (RPM names may carry a version:
/// `sudo-1.9.5p2`)?
pub(crate) fn package_is(name: &str, package: &str) -> bool {
    name == package
        || name
            .strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------

/// The `(name, value)` pairs of an `ENV` or `ARG`: `ENV K=V K2="v 2"`, legacy `ENV K V`,
/// `ARG K`, `ARG K=V`. A missing value is `None`.
pub(crate) fn assignments(instruction: &Instruction) -> Vec<(String, Option<String>)> {
    let args = instruction.args.trim();
    let words = split_words(args);
    let legacy_env = effective_keyword(instruction) == "ENV"
        && words.first().is_some_and(|w| !w.contains('='))
        && words.len() > 1;
    if legacy_env {
        let value = args[args.find(char::is_whitespace).unwrap_or(args.len())..].trim();
        let value = split_words(value).join(" ");
        return vec![(words[0].clone(), Some(value))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (w, None),
        })
        .collect()
}

/// Defaults of the `ARG`s declared before the first `FROM` (the only ones `FROM` may use).
pub(crate) fn global_args(df: &Dockerfile) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for instruction in df.instructions.iter().filter(|i| i.stage.is_none()) {
        if instruction.keyword == "ARG" {
            for (name, value) in assignments(instruction) {
                if let Some(value) = value {
                    vars.insert(name, value);
                }
            }
        }
    }
    vars
}

/// Variables visible to `instruction` from its own stage: `ARG` (with its default, or the
/// global default when re-declared without one) and `ENV` set earlier in the stage.
pub(crate) fn vars_before(df: &Dockerfile, instruction: &Instruction) -> HashMap<String, String> {
    let global = global_args(df);
    let mut vars = HashMap::new();
    let Some(stage) = instruction.stage else {
        return global;
    };
    for earlier in df
        .stage_instructions(stage)
        .take_while(|i| i.index < instruction.index)
    {
        if !matches!(earlier.keyword.as_str(), "ARG" | "ENV") {
            continue;
        }
        for (name, value) in assignments(earlier) {
            match value.or_else(|| global.get(&name).cloned()) {
                Some(v) => vars.insert(name, v),
                None => vars.remove(&name),
            };
        }
    }
    vars
}

/// Dockerfile variable substitution: `$V`, `${V}`, `${V:-default}`, `${V:+alt}`; `\$` is a
/// literal `$`. `None` when a variable without default is unknown or a modifier is not
/// understood, so callers can stay silent about what they cannot see.
pub(crate) fn substitute(text: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['$', '\\']) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if rest.as_bytes()[pos] == b'\\' {
            match after.strip_prefix('$') {
                Some(tail) => {
                    out.push('$');
                    rest = tail;
                }
                None => {
                    out.push('\\');
                    rest = after;
                }
            }
            continue;
        }
        if let Some(inner_start) = after.strip_prefix('{') {
            let end = inner_start.find('}')?;
            let inner = &inner_start[..end];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            let value = vars.get(name).filter(|v| !v.is_empty());
            let piece = match (op.get(..2), value) {
                (None, _) if op.is_empty() => vars.get(name)?.clone(),
                (Some(":-"), Some(v)) => v.clone(),
                (Some(":-"), None) => op[2..].to_owned(),
                (Some(":+"), Some(_)) => op[2..].to_owned(),
                (Some(":+"), None) => String::new(),
                _ => return None,
            };
            out.push_str(&piece);
            rest = &inner_start[end + 1..];
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if n == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..n])?);
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Is `name` the name of a stage declared before `stage` (so `FROM name` / `COPY --from=name`
/// refers to it rather than to a registry image)?
pub(crate) fn earlier_stage(df: &Dockerfile, name: &str, stage: usize) -> Option<usize> {
    df.stages
        .iter()
        .take(stage)
        .rev()
        .find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|s| s.index)
}

/// The registry image a stage is built `FROM`, after substituting global `ARG` defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseImage {
    /// The reference as resolved (`python:3.12-slim`).
    pub reference: String,
    /// The reference as written, when it differs (`${BASE}`).
    pub written: Option<String>,
}

/// The external image of `stage`, or `None` for `scratch`, an earlier stage's name, a
/// reference using an `ARG` with no default (decided at build time, not knowable here) and
/// template placeholders.
pub(crate) fn base_image(df: &Dockerfile, stage: usize) -> Option<BaseImage> {
    let written = df.stages.get(stage)?.base.as_str();
    if written.is_empty() || is_template_placeholder(written) {
        return None;
    }
    let reference = substitute(written, &global_args(df))?;
    if reference.is_empty()
        || reference.eq_ignore_ascii_case("scratch")
        || earlier_stage(df, &reference, stage).is_some()
    {
        return None;
    }
    Some(BaseImage {
        written: (reference != written).then(|| written.to_owned()),
        reference,
    })
}

/// One port or port range of an `EXPOSE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExposedPort {
    /// As written after substitution (`22/tcp`, `8000-8010`).
    pub text: String,
    /// First port.
    pub start: u16,
    /// Last port (same as `start` for a single port).
    pub end: u16,
    /// `tcp` (the default), `udp` or `sctp`.
    pub protocol: String,
}

impl ExposedPort {
    /// Does this entry cover TCP port `port`?
    pub fn covers_tcp(&self, port: u16) -> bool {
        self.protocol == "tcp" && (self.start..=self.end).contains(&port)
    }
}

/// Parse `80`, `80/udp`, `8000-8010/tcp` (also the `host:container` form Compose uses).
pub(crate) fn parse_port_range(text: &str) -> Option<(u16, u16, String)> {
    let (ports, protocol) = match text.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (text, "tcp".to_owned()),
    };
    let (start, end) = match ports.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let p = ports.trim().parse().ok()?;
            (p, p)
        }
    };
    (start <= end).then_some((start, end, protocol))
}

/// The ports of an `EXPOSE` instruction, with `ARG`/`ENV` values substituted (entries whose
/// variables are unknown are left out).
pub(crate) fn exposed_ports(df: &Dockerfile, instruction: &Instruction) -> Vec<ExposedPort> {
    let vars = vars_before(df, instruction);
    split_words(&instruction.args)
        .into_iter()
        .filter_map(|word| {
            let text = substitute(&word, &vars)?;
            // One variable may hold several ports (`EXPOSE $PORTS`).
            Some(split_words(&text))
        })
        .flatten()
        .filter_map(|text| {
            let (start, end, protocol) = parse_port_range(&text)?;
            Some(ExposedPort {
                text,
                start,
                end,
                protocol,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Secret files
// ---------------------------------------------------------------------------------------

/// File names that hold credentials whatever directory they are in.
const SECRET_FILE_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".pgpass",
    ".htpasswd",
    "kubeconfig",
    "credentials.json",
    "client_secret.json",
    "service-account.json",
    "terraform.tfvars",
];

/// Path endings (after normalisation) that hold credentials.
const SECRET_PATH_ENDINGS: &[&str] = &[
    ".aws/credentials",
    ".aws",
    ".ssh",
    ".kube/config",
    ".kube",
    ".docker/config.json",
    ".gnupg",
    ".config/gcloud",
];

/// Extensions of private-key and keystore files.
const SECRET_EXTENSIONS: &[&str] = &[".key", ".p12", ".pfx", ".jks", ".keystore"];

/// `.env` files that hold values rather than documenting them.
fn is_dotenv(name: &str) -> bool {
    name == ".env"
        || name.strip_prefix(".env.").is_some_and(|suffix| {
            !matches!(
                suffix,
                "example" | "sample" | "template" | "dist" | "defaults" | "schema" | "tpl"
            )
        })
}

/// Does a `COPY`/`ADD` source path (possibly a glob) name a credential file? `*.pem` counts
/// unless the name says it is a certificate (`cert.pem`, `ca.pem`, `fullchain.pem`): a
/// certificate is public, a `.pem` private key is not. `.pub` files are public keys.
pub(crate) fn secret_file_kind(source: &str) -> Option<&'static str> {
    let path = normalize_path(&source.replace('\\', "/")).to_ascii_lowercase();
    let name = basename(&path);
    if name.ends_with(".pub") {
        return None;
    }
    if let Some(n) = SECRET_FILE_NAMES.iter().find(|n| name == **n) {
        return Some(n);
    }
    if name.ends_with(".kubeconfig") {
        return Some("kubeconfig");
    }
    if is_dotenv(name) {
        return Some(".env");
    }
    if let Some(e) = SECRET_PATH_ENDINGS
        .iter()
        .find(|e| path == **e || path.ends_with(&format!("/{e}")))
    {
        return Some(e);
    }
    if let Some(e) = SECRET_EXTENSIONS.iter().find(|e| name.ends_with(**e)) {
        return Some(e);
    }
    if let Some(stem) = name.strip_suffix(".pem") {
        let certificate = stem.split(['.', '-', '_']).any(|part| {
            part.starts_with("cert")
                || part.ends_with("cert")
                || part.ends_with("chain")
                || matches!(part, "crt" | "ca" | "bundle" | "pub" | "public" | "root")
        });
        if !certificate {
            return Some(".pem");
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------

/// Normalise a Unix path for comparison: collapse `//`, drop `.` components and a trailing
/// `/`, resolve `..` lexically. Relative paths stay relative.
pub(crate) fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Is `path` equal to `dir` or inside it (both normalised absolute paths)?
pub(crate) fn is_under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Test helper: `(line, message)` of every finding of `check` when `src` is scanned as the
/// file `path` (`Dockerfile`, `compose.yaml`) with default options.
#[cfg(test)]
pub(crate) fn findings(check: &str, path: &str, src: &str) -> Vec<(u32, String)> {
    use crate::{ScanOptions, Source, scan_sources};
    scan_sources(vec![Source::new(path, src)], &ScanOptions::default())
        .findings
        .into_iter()
        .filter(|f| f.check == check)
        .map(|f| (f.location.line, f.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse_dockerfile;

    fn words(commands: &[Command]) -> Vec<Vec<&str>> {
        commands
            .iter()
            .map(|c| c.words.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn image_references() {
        let r = parse_image_ref("python");
        assert_eq!((r.name, r.tag, r.digest), ("python", None, None));
        assert!(r.mutable_tag().is_some());
        let r = parse_image_ref("localhost:5000/team/app");
        assert_eq!((r.name, r.tag), ("localhost:5000/team/app", None));
        let r = parse_image_ref("localhost:5000/team/app:1.2");
        assert_eq!((r.name, r.tag), ("localhost:5000/team/app", Some("1.2")));
        assert!(r.mutable_tag().is_none() && !r.has_digest());
        assert!(parse_image_ref("nginx:latest").mutable_tag().is_some());
        let r = parse_image_ref("nginx:latest@sha256:0123abcd");
        assert!(r.has_digest() && r.mutable_tag().is_none());
        let r = parse_image_ref("ghcr.io/o/app@sha256:0123abcd");
        assert_eq!((r.name, r.tag), ("ghcr.io/o/app", None));
        assert!(r.has_digest() && r.mutable_tag().is_none());
    }

    #[test]
    fn secret_names() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "DBPASSWORD",
            "db_pass",
            "GITHUB_TOKEN",
            "NPM_AUTH_TOKEN",
            "API_KEY",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY",
            "PRIVATE_KEY",
            "CLIENT_SECRET",
            "JWT_SECRET",
            "SECRET_KEY_BASE",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "REGISTRY_CREDENTIALS",
            "DB_PWD",
            "SSH_PASSPHRASE",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PWD",
            "GPG_KEY",
            "BYPASS_CACHE",
            "TOKENIZERS_PARALLELISM",
            "POSTGRES_PASSWORD_FILE",
            "TOKEN_URL",
            "AWS_ACCESS_KEY_ID",
            "PASSWORD_MIN_LENGTH",
            "SECRET_NAME",
            "KEYCLOAK_USER",
            "PATH",
            "PASSENGER_VERSION",
            "COMPASS_URL",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn literal_values() {
        assert!(is_literal_value("hunter2"));
        assert!(is_literal_value("\"s3cr3t\""));
        assert!(is_literal_value("${PASSWORD:-changeme}"));
        assert!(is_literal_value("pre-$X"));
        assert!(!is_literal_value(""));
        assert!(!is_literal_value("\"\""));
        assert!(!is_literal_value("$TOKEN"));
        assert!(!is_literal_value("${TOKEN}"));
        assert!(!is_literal_value("${A} $B"));
        assert!(could_be_secret_value("0000") && could_be_secret_value("'s3cr3t'"));
        assert!(!could_be_secret_value("yes") && !could_be_secret_value("\"TRUE\""));
    }

    #[test]
    fn shell_lexer_splits_commands_and_keeps_quotes_together() {
        let cmds = shell_commands(
            "set -eux; apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y 'a b' \"c\\\"d\" # note\n echo x | chpasswd || true",
        );
        assert_eq!(
            words(&cmds),
            vec![
                vec!["set", "-eux"],
                vec!["apt-get", "update"],
                vec![
                    "DEBIAN_FRONTEND=noninteractive",
                    "apt-get",
                    "install",
                    "-y",
                    "a b",
                    "c\"d"
                ],
                vec!["echo", "x"],
                vec!["chpasswd"],
                vec!["true"],
            ]
        );
        assert!(cmds[4].piped && !cmds[5].piped);
        let cmds = shell_commands("x=$(curl -k https://h) ; echo ok>/dev/null 2>&1");
        assert_eq!(
            words(&cmds),
            vec![
                vec!["x="],
                vec!["curl", "-k", "https://h"],
                vec!["echo", "ok", ">", "/dev/null", "2", ">&", "1"]
            ]
        );
    }

    #[test]
    fn sh_c_scripts_and_wrappers_are_looked_through() {
        let cmds = shell_commands("sudo -E bash -euxc 'curl -k https://x && sudo -u app id'");
        let inv = invocation(&cmds[1].words).unwrap();
        assert_eq!(inv.name, "curl");
        let inv = invocation(&cmds[2].words).unwrap();
        assert_eq!((inv.name, inv.sudo), ("id", true));
        let inv = invocation(&cmds[0].words).unwrap();
        assert_eq!((inv.name, inv.sudo), ("bash", true));
        let w: Vec<String> = ["env", "-u", "X", "A=1", "/usr/bin/wget", "u"]
            .map(String::from)
            .to_vec();
        assert_eq!(invocation(&w).unwrap().name, "wget");
    }

    #[test]
    fn run_commands_cover_exec_form_and_shell_heredocs_only() {
        let df = parse_dockerfile(
            "Dockerfile",
            "FROM a:1\nRUN [\"/bin/sh\", \"-c\", \"curl -k https://x\"]\nRUN <<EOF\napk add sudo\nEOF\nRUN python3 <<EOF\nimport os; sudo = 1\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nsudo(1)\nEOF\n",
        );
        let names = |i: usize| -> Vec<String> {
            run_commands(&df.instructions[i])
                .iter()
                .filter_map(|c| invocation(&c.words).map(|v| v.name.to_owned()))
                .collect()
        };
        assert_eq!(names(1), vec!["sh", "curl"]);
        assert_eq!(names(2), vec!["apk"]);
        assert_eq!(names(3), vec!["python3"]);
        assert!(names(4).is_empty());
    }

    #[test]
    fn package_installs() {
        let pk = |s: &str| {
            let cmds = shell_commands(s);
            let inv = invocation(&cmds[0].words).unwrap();
            installed_packages(&inv).map(|(m, p)| (m, p.join(",")))
        };
        assert_eq!(
            pk(
                "apt-get -o Dpkg::Options::=--force-confold install -y --no-install-recommends sudo=1.9* openssh-server/bookworm-backports"
            ),
            Some((PackageManager::Apt, "sudo,openssh-server".into()))
        );
        assert_eq!(
            pk("apk add --no-cache --virtual .deps gcc openssh@edge"),
            Some((PackageManager::Apk, "gcc,openssh".into()))
        );
        assert_eq!(
            pk("dnf -y install sudo-1.9.5"),
            Some((PackageManager::Rpm, "sudo-1.9.5".into()))
        );
        assert_eq!(
            pk("pacman -Syu --noconfirm sudo"),
            Some((PackageManager::Pacman, "sudo".into()))
        );
        assert_eq!(pk("apt-get remove -y sudo"), None);
        assert_eq!(pk("pacman -Ss sudo"), None);
        assert_eq!(
            pk("apk add --allow-untrusted /tmp/packages/nginx-module-${m}*.apk ./b.apk"),
            Some((
                PackageManager::Apk,
                "/tmp/packages/nginx-module-${m}*.apk,./b.apk".into()
            ))
        );
        assert!(package_is("sudo-1.9.5", "sudo") && !package_is("sudo-ldap", "sudo"));
    }

    #[test]
    fn env_and_arg_pairs_and_substitution() {
        let df = parse_dockerfile(
            "Dockerfile",
            "ARG BASE=python:3.12\nARG REG\nFROM ${BASE}\nENV A=1 B=\"two words\"\nENV LEGACY some value\nARG X\nARG REG=r.io\nUSER ${A}:$B\n",
        );
        let pairs: Vec<_> = assignments(&df.instructions[3]);
        assert_eq!(
            pairs,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two words".into()))
            ]
        );
        assert_eq!(
            assignments(&df.instructions[4]),
            vec![("LEGACY".into(), Some("some value".into()))]
        );
        assert_eq!(assignments(&df.instructions[5]), vec![("X".into(), None)]);
        let global = global_args(&df);
        assert_eq!(
            substitute("${BASE}", &global).as_deref(),
            Some("python:3.12")
        );
        assert_eq!(substitute("$REG/x", &global), None);
        assert_eq!(
            substitute("${REG:-docker.io}/x:${T:+y}", &global).as_deref(),
            Some("docker.io/x:")
        );
        let vars = vars_before(&df, &df.instructions[7]);
        assert_eq!(
            substitute(&df.instructions[7].args, &vars).as_deref(),
            Some("1:two words")
        );
        assert_eq!(vars.get("REG").map(String::as_str), Some("r.io"));
    }

    #[test]
    fn secret_files() {
        for (path, kind) in [
            ("/home/u/.ssh/id_rsa", "id_rsa"),
            ("id_ed25519", "id_ed25519"),
            ("certs/server.key", ".key"),
            ("tls/privkey.pem", ".pem"),
            ("*.pem", ".pem"),
            (".env", ".env"),
            ("./.env.production", ".env"),
            ("config/.npmrc", ".npmrc"),
            ("~/.aws/credentials", ".aws/credentials"),
            (".aws", ".aws"),
            ("./.docker/config.json", ".docker/config.json"),
            ("deploy/prod.kubeconfig", "kubeconfig"),
            ("gcp/credentials.json", "credentials.json"),
            ("C:\\Users\\me\\.netrc", ".netrc"),
        ] {
            assert_eq!(secret_file_kind(path), Some(kind), "{path}");
        }
        for path in [
            "id_rsa.pub",
            "ca.pem",
            "tls/fullchain.pem",
            "server-cert.pem",
            ".env.example",
            "environment.py",
            "keys/",
            "package.json",
            "docker/config.json",
            "app.keystore.example",
        ] {
            assert_eq!(secret_file_kind(path), None, "{path}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("/var/run/"), "/var/run");
        assert_eq!(normalize_path("//etc/../var/./lib"), "/var/lib");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path("./data"), "data");
        assert!(is_under("/etc/ssl", "/etc") && !is_under("/etcetera", "/etc"));
        assert!(is_under("/anything", "/"));
    }
}
