//! PAL-DF-011: a build step sets an account password.

use super::util::{Invocation, effective_keyword, invocation, run_commands};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-011",
        name: "password-set-in-build",
        title: "Account password set during the build",
        severity: Severity::Medium,
        techniques: &["T1078.003"],
        target: CheckTarget::Dockerfile,
        rationale: "A password set with `chpasswd`, `passwd --stdin` or `useradd -p` (or emptied \
            with `passwd -d`) is written \
            in the Dockerfile and in the image's build history, and its hash lands in \
            `/etc/shadow` of every container. It is the same in every copy of the image, so \
            anyone who reads the repository or pulls the image can log in to an SSH server, \
            `su` or `sudo` in any of them with a valid local account.",
        remediation: "Do not give image accounts passwords: create them with `useradd` and no \
            password (locked), authenticate with per-deployment keys injected at run time, and \
            use `docker exec` instead of logins.",
        bad_example: "FROM ubuntu:24.04\nRUN useradd -m app && echo 'app:changeme' | chpasswd\n",
        good_example: "FROM ubuntu:24.04\nRUN useradd --no-create-home --shell /usr/sbin/nologin app && passwd -l app\n",
    },
    run: Run::Dockerfile(run),
};

/// `-p '*'` / `-p '!'` lock the account instead of setting a password.
fn is_lock_marker(value: &str) -> bool {
    value.is_empty() || value.chars().all(|c| c == '*' || c == '!')
}

/// What this command does to a password, if it sets one.
fn sets_password(inv: &Invocation<'_>, piped: bool) -> Option<&'static str> {
    let args = inv.args;
    match inv.name {
        "chpasswd" => Some("chpasswd"),
        "passwd" if args.iter().any(|a| a == "--stdin") => Some("passwd --stdin"),
        // An empty password is a password everybody knows.
        "passwd" if args.iter().any(|a| a == "-d" || a == "--delete") => {
            Some("passwd -d (empty password)")
        }
        // `echo -e "pw\npw" | passwd user`: a password fed on stdin.
        "passwd" if piped && !args.iter().any(|a| a.starts_with('-')) => {
            Some("passwd reading a pipe")
        }
        "useradd" | "usermod" | "adduser" => {
            let mut i = 0;
            while i < args.len() {
                let arg = args[i].as_str();
                let value = match arg {
                    "-p" | "--password" => args.get(i + 1).map(String::as_str),
                    _ => arg
                        .strip_prefix("--password=")
                        .or_else(|| arg.strip_prefix("-p").filter(|v| !v.is_empty())),
                };
                if let Some(value) = value
                    && !is_lock_marker(value)
                {
                    return Some(if inv.name == "usermod" {
                        "usermod -p"
                    } else {
                        "useradd -p"
                    });
                }
                i += 1;
            }
            None
        }
        _ => None,
    }
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "RUN" {
            continue;
        }
        let mut how: Vec<&str> = Vec::new();
        for command in run_commands(instruction) {
            if let Some(inv) = invocation(&command.words)
                && let Some(what) = sets_password(&inv, command.piped)
                && !how.contains(&what)
            {
                how.push(what);
            }
        }
        if !how.is_empty() {
            out.report(
                df.spot(instruction),
                format!("RUN sets an account password ({})", how.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn messages(src: &str) -> Vec<(u32, String)> {
        findings("PAL-DF-011", "Dockerfile", src)
    }

    #[test]
    fn password_setters() {
        let m = messages(
            "FROM a:1\nRUN echo \"root:root\" | chpasswd\nRUN echo pw | passwd --stdin root\nRUN useradd -m -p \"$(openssl passwd -1 pw)\" app\nRUN usermod -p '*' app && useradd -p ! x\nRUN passwd -l root && passwd -d app\nRUN printf 'pw\\npw\\n' | passwd app\nRUN <<EOF\nusermod --password=abc app\nEOF\nRUN echo chpasswd\n",
        );
        let lines: Vec<u32> = m.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 3, 4, 6, 7, 8]);
        assert!(m[0].1.contains("chpasswd") && !m[0].1.contains("root:root"));
    }
}
