//! PAL-DF-003: `ADD` downloads a URL or clones a git repository without pinning its content.

use super::util::{effective_keyword, split_words};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-003",
        name: "add-from-url-without-checksum",
        title: "ADD fetches remote content without a checksum",
        severity: Severity::High,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Dockerfile,
        rationale: "`ADD https://...` puts whatever the server returns into the image, and \
            `ADD <repo>.git#<branch-or-tag>` whatever the ref points to at build time. Whoever \
            controls the server, the repository or the network path can swap the content and \
            have it shipped in every image built from this file.",
        remediation: "Add `--checksum=sha256:<digest>` to `ADD <url>`, and pin git sources to a \
            full commit id (`#<40-hex commit>` or `--checksum=<commit>`); or download in a `RUN` \
            step that verifies a checksum or signature.",
        bad_example: "FROM alpine:3.20\nADD https://example.com/tool-1.4.tar.gz /opt/\n",
        good_example: "FROM alpine:3.20\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool-1.4.tar.gz /opt/\n",
    },
    run: Run::Dockerfile(run),
};

/// What is remote about an `ADD` source.
#[derive(Debug, PartialEq, Eq)]
enum Remote {
    /// A plain http(s) download.
    Url,
    /// A git repository; `true` when its ref is a full commit id.
    Git { pinned: bool },
}

fn is_commit_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.chars().all(|c| c.is_ascii_hexdigit())
}

fn classify(source: &str) -> Option<Remote> {
    let lower = source.to_ascii_lowercase();
    let is_git = lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
        || {
            let path = lower.split(['#', '?']).next().unwrap_or("");
            path.ends_with(".git") || path.ends_with(".git/")
        };
    if is_git {
        // `repo.git#ref[:subdir]` or `repo.git?ref=...&commit=...` (BuildKit query form).
        let fragment_ref = source
            .split_once('#')
            .map(|(_, f)| f.split(':').next().unwrap_or(""));
        let query_ref = source.split_once('?').and_then(|(_, q)| {
            q.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                matches!(k, "ref" | "commit").then_some(v)
            })
        });
        let pinned = fragment_ref.into_iter().chain(query_ref).any(is_commit_id)
            || source.split_once('?').is_some_and(|(_, q)| {
                q.split('&').any(|kv| {
                    kv.split_once('=')
                        .is_some_and(|(k, v)| k == "checksum" && !v.is_empty())
                })
            });
        return Some(Remote::Git { pinned });
    }
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(Remote::Url)
}

/// The URL without any `user:password@` part, safe to print.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if effective_keyword(instruction) != "ADD" {
            continue;
        }
        let words = match &instruction.exec_form {
            Some(argv) => argv.clone(),
            None => split_words(&instruction.args),
        };
        let Some((_, sources)) = words.split_last() else {
            continue;
        };
        let checksum = instruction.flag("checksum").is_some_and(|c| !c.is_empty());
        for source in sources {
            let message = match classify(source) {
                Some(Remote::Url) if !checksum => {
                    format!("ADD downloads `{}` without --checksum", redact(source))
                }
                Some(Remote::Git { pinned: false }) if !checksum => format!(
                    "ADD clones `{}` at a movable ref (no commit id, no --checksum)",
                    redact(source)
                ),
                _ => continue,
            };
            out.report(df.spot(instruction), message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_sources() {
        assert_eq!(classify("https://x.io/a.tgz"), Some(Remote::Url));
        assert_eq!(classify("./local.tgz"), None);
        assert_eq!(
            classify("https://github.com/moby/buildkit.git#v0.10.1"),
            Some(Remote::Git { pinned: false })
        );
        assert_eq!(
            classify("git@github.com:o/r.git#0123456789abcdef0123456789abcdef01234567:sub"),
            Some(Remote::Git { pinned: true })
        );
        assert_eq!(
            classify("https://github.com/o/r.git?ref=main&checksum=0123"),
            Some(Remote::Git { pinned: true })
        );
        assert_eq!(
            classify("git@github.com:o/r"),
            Some(Remote::Git { pinned: false })
        );
        assert_eq!(
            redact("https://u:p@h.io/x@y"),
            "https://***@h.io/x@y".to_owned()
        );
    }
}
