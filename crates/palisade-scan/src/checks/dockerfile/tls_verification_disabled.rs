//! PAL-DF-005: a build step turns off TLS certificate or package signature verification.

use super::util::{
    assignments, effective_keyword, installed_packages, invocation, is_local_package_file,
    run_commands,
};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::{Dockerfile, Instruction};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-005",
        name: "tls-verification-disabled",
        title: "TLS or package signature verification disabled in the build",
        severity: Severity::High,
        techniques: &["T1204.003"],
        target: CheckTarget::Dockerfile,
        rationale: "`curl -k`, `wget --no-check-certificate`, `pip --trusted-host`, \
            `git http.sslVerify false`, `apk --allow-untrusted` and their relatives accept \
            whatever answers on the network path. Anyone who can intercept the build's traffic \
            (a proxy, a hostile Wi-Fi or CI network, a poisoned DNS answer) can substitute the \
            downloaded code, and it ships in the image. Set in `ENV`, the setting also stays \
            active in every running container.",
        remediation: "Remove the flag or setting. If a private registry or proxy uses its own \
            certificate authority, add that CA to the image's trust store (`COPY ca.crt \
            /usr/local/share/ca-certificates/ && update-ca-certificates`) or point the tool at \
            it (`--cacert`, `PIP_CERT`, `NODE_EXTRA_CA_CERTS`).",
        bad_example: "FROM node:22-slim\nENV NODE_TLS_REJECT_UNAUTHORIZED=0\nRUN curl -fsSLk -o /tmp/tool.tgz https://downloads.example.com/tool.tgz\n",
        good_example: "FROM node:22-slim\nCOPY corp-ca.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates && curl -fsSL -o /tmp/tool.tgz https://downloads.example.com/tool.tgz\n",
    },
    run: Run::Dockerfile(run),
};

/// What the value after a setting's key must look like for the setting to disable checks.
#[derive(Clone, Copy)]
enum Disabled {
    /// `false`, `0`, `no` or `off` (after `=`, `:`, spaces or quotes).
    Falsy,
    /// `true`, `1` or `yes`.
    Truthy,
    /// Exactly `0`.
    Zero,
    /// Exactly `off`.
    Off,
    /// Any value (the variable or option being set at all disables checks).
    Any,
}

/// Settings, matched case-insensitively after a non-alphanumeric character, in commands,
/// config files written by the build, and `ENV`.
const SETTINGS: &[(&str, Disabled, &str)] = &[
    ("sslverify", Disabled::Falsy, "sslVerify=false"),
    ("strict-ssl", Disabled::Falsy, "strict-ssl=false"),
    ("strict_ssl", Disabled::Falsy, "strict-ssl=false"),
    (
        "check_certificate",
        Disabled::Falsy,
        "wget check_certificate=off",
    ),
    (
        "check-certificate",
        Disabled::Falsy,
        "wget check_certificate=off",
    ),
    (
        "allowunauthenticated",
        Disabled::Truthy,
        "apt AllowUnauthenticated",
    ),
    (
        "allowinsecurerepositories",
        Disabled::Truthy,
        "apt AllowInsecureRepositories",
    ),
    ("verify-peer", Disabled::Falsy, "apt Verify-Peer=false"),
    ("verify-host", Disabled::Falsy, "apt Verify-Host=false"),
    ("gpgcheck", Disabled::Falsy, "gpgcheck=0"),
    ("trusted=yes", Disabled::Any, "apt source [trusted=yes]"),
    ("trusted-host", Disabled::Any, "pip trusted-host"),
    ("trusted_host", Disabled::Any, "pip trusted-host"),
    (
        "node_tls_reject_unauthorized",
        Disabled::Zero,
        "NODE_TLS_REJECT_UNAUTHORIZED=0",
    ),
    ("pythonhttpsverify", Disabled::Zero, "PYTHONHTTPSVERIFY=0"),
    ("git_ssl_no_verify", Disabled::Any, "GIT_SSL_NO_VERIFY"),
    ("goinsecure", Disabled::Any, "GOINSECURE"),
    ("gosumdb", Disabled::Off, "GOSUMDB=off"),
];

/// Flags that disable checks wherever they appear.
const FLAGS: &[(&str, &str)] = &[
    ("--no-check-certificate", "wget --no-check-certificate"),
    ("--allow-untrusted", "apk --allow-untrusted"),
    ("--allow-unauthenticated", "apt --allow-unauthenticated"),
    (
        "--allow-insecure-repositories",
        "apt --allow-insecure-repositories",
    ),
    ("--nogpgcheck", "--nogpgcheck"),
    ("--no-gpg-checks", "zypper --no-gpg-checks"),
];

/// curl short options that take a value (a `k` after one of them is part of the value).
const CURL_SHORT_WITH_VALUE: &str = "AbcCdDeEFHKmoPQrTtuUwxXyYz";

fn push(reasons: &mut Vec<&'static str>, reason: &'static str) {
    if !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// `key` settings in `text` whose value disables verification.
fn setting_reasons(text: &str, reasons: &mut Vec<&'static str>) {
    let lower = text.to_ascii_lowercase();
    for &(key, disabled, reason) in SETTINGS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let start = from + pos;
            from = start + key.len();
            let boundary = lower[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            if !boundary {
                continue;
            }
            let after = &lower[from..];
            let value_start = after
                .find(|c: char| !matches!(c, ' ' | '\t' | '"' | '\'' | '=' | ':'))
                .unwrap_or(after.len());
            let separator = &after[..value_start];
            let value: String = after[value_start..]
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*' | '/')
                })
                .collect();
            let hit = match disabled {
                Disabled::Falsy => {
                    !separator.is_empty() && matches!(value.as_str(), "false" | "0" | "no" | "off")
                }
                Disabled::Truthy => {
                    !separator.is_empty() && matches!(value.as_str(), "true" | "1" | "yes")
                }
                Disabled::Zero => separator.contains(['=', ':', ' ']) && value == "0",
                Disabled::Off => separator.contains(['=', ':', ' ']) && value == "off",
                Disabled::Any => key.contains('=') || (!separator.is_empty() && !value.is_empty()),
            };
            // `deb [trusted=yes] file:///tmp/repo ./`: a local repository the build just
            // made, nothing crosses the network.
            let local_repo = key == "trusted=yes" && {
                let line = after.lines().next().unwrap_or("");
                let uri = line.split_once(']').map_or("", |(_, rest)| {
                    rest.trim_start().trim_start_matches(['"', '\''])
                });
                uri.starts_with("file:") || uri.starts_with("copy:") || uri.starts_with('/')
            };
            if hit && !local_repo {
                push(reasons, reason);
            }
        }
    }
    if lower
        .lines()
        .any(|l| l.contains(".curlrc") && l.contains("insecure"))
    {
        push(reasons, "curl insecure in .curlrc");
    }
}

/// `curl -k` / `curl --insecure`, including clusters such as `-fsSLk`.
fn curl_insecure(args: &[String]) -> bool {
    for arg in args {
        if arg == "--insecure" {
            return true;
        }
        if let Some(cluster) = arg.strip_prefix('-')
            && !cluster.starts_with('-')
        {
            for c in cluster.chars() {
                if c == 'k' {
                    return true;
                }
                if CURL_SHORT_WITH_VALUE.contains(c) {
                    break;
                }
            }
        }
    }
    false
}

fn instruction_reasons(instruction: &Instruction) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    match effective_keyword(instruction) {
        "RUN" => {
            for command in run_commands(instruction) {
                if let Some(inv) = invocation(&command.words)
                    && inv.name == "curl"
                    && curl_insecure(inv.args)
                {
                    push(&mut reasons, "curl -k/--insecure");
                }
                // Installing package files from the local disk (built in an earlier stage)
                // needs no repository signature.
                let local_files_only = invocation(&command.words)
                    .and_then(|inv| installed_packages(&inv))
                    .is_some_and(|(_, packages)| {
                        !packages.is_empty() && packages.iter().all(|p| is_local_package_file(p))
                    });
                if local_files_only {
                    continue;
                }
                for word in &command.words {
                    for &(flag, reason) in FLAGS {
                        if word == flag {
                            push(&mut reasons, reason);
                        }
                    }
                }
            }
            setting_reasons(&instruction.command_text(), &mut reasons);
        }
        "ENV" => {
            for (name, value) in assignments(instruction) {
                if let Some(value) = value {
                    setting_reasons(&format!("{name}={value}"), &mut reasons);
                }
            }
        }
        // Config files written with `COPY <<EOF /etc/apt/apt.conf.d/...`.
        "COPY" | "ADD" => {
            for heredoc in &instruction.heredocs {
                setting_reasons(&heredoc.body, &mut reasons);
            }
        }
        _ => {}
    }
    reasons
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        let reasons = instruction_reasons(instruction);
        if !reasons.is_empty() {
            out.report(
                df.spot(instruction),
                format!(
                    "{} disables TLS or signature verification: {}",
                    effective_keyword(instruction),
                    reasons.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse_dockerfile;

    fn reasons(src: &str) -> Vec<Vec<&'static str>> {
        let df = parse_dockerfile("Dockerfile", src);
        df.instructions.iter().map(instruction_reasons).collect()
    }

    #[test]
    fn commands() {
        let r = reasons(
            "FROM a:1\nRUN curl -fsSLk https://x -o y\nRUN curl -o k https://x && curl -H 'k: v' https://x\nRUN [\"curl\", \"--insecure\", \"https://x\"]\nRUN wget --no-check-certificate https://x\nRUN pip install --trusted-host pypi.internal x && pip install --trusted-host=h y\nRUN apk add --allow-untrusted --repository http://r.example/ x\nRUN git config --global http.sslVerify false && git -c http.sslverify=true clone x\nRUN npm config set strict-ssl false\nRUN GIT_SSL_NO_VERIFY=1 git clone https://x\nRUN export NODE_TLS_REJECT_UNAUTHORIZED=0 && node x\n",
        );
        assert_eq!(
            r,
            vec![
                vec![],
                vec!["curl -k/--insecure"],
                vec![],
                vec!["curl -k/--insecure"],
                vec!["wget --no-check-certificate"],
                vec!["pip trusted-host"],
                vec!["apk --allow-untrusted"],
                vec!["sslVerify=false"],
                vec!["strict-ssl=false"],
                vec!["GIT_SSL_NO_VERIFY"],
                vec!["NODE_TLS_REJECT_UNAUTHORIZED=0"],
            ]
        );
    }

    #[test]
    fn config_files_env_and_heredocs() {
        let r = reasons(
            "FROM a:1\nRUN echo 'APT::Get::AllowUnauthenticated \"true\";' > /etc/apt/apt.conf.d/99x\nRUN apt-get install -y --allow-unauthenticated x\nENV PYTHONHTTPSVERIFY 0\nENV GIT_SSL_NO_VERIFY=true PIP_TRUSTED_HOST=h\nCOPY <<EOF /etc/apt/sources.list.d/x.list\ndeb [trusted=yes] http://r/ ./\nEOF\nRUN <<EOF\nset -e\nwget --no-check-certificate https://x\nEOF\nENV NODE_TLS_REJECT_UNAUTHORIZED=1 PYTHONHTTPSVERIFY=1\nRUN git config http.sslVerify true && dnf install -y --nogpgcheck x\nRUN echo \"deb [ trusted=yes ] file://$tempDir ./\" > /etc/apt/sources.list.d/temp.list && apk add --allow-untrusted /tmp/pkgs/*.apk\nRUN echo 'deb [trusted=yes] http://repo.example/ ./' > /etc/apt/sources.list.d/x.list\n",
        );
        assert_eq!(
            r,
            vec![
                vec![],
                vec!["apt AllowUnauthenticated"],
                vec!["apt --allow-unauthenticated"],
                vec!["PYTHONHTTPSVERIFY=0"],
                vec!["GIT_SSL_NO_VERIFY", "pip trusted-host"],
                vec!["apt source [trusted=yes]"],
                vec!["wget --no-check-certificate"],
                vec![],
                vec!["--nogpgcheck"],
                vec![],
                vec!["apt source [trusted=yes]"],
            ]
        );
    }
}
