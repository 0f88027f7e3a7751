//! PAL-DF-001: a build step pipes a downloaded script into a shell.

use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-001",
        name: "remote-script-piped-to-shell",
        title: "Downloaded script piped into a shell during the build",
        severity: Severity::High,
        techniques: &["T1204.003", "T1525"],
        target: CheckTarget::Dockerfile,
        rationale: "`curl ... | sh` runs whatever the server returns at build time, with no \
            checksum or signature. A compromised or spoofed download host puts its code into \
            every image built from this file, and every container started from it.",
        remediation: "Download to a file, verify a pinned checksum or signature (`sha256sum -c`), \
            then run it; or install from the distribution's signed packages.",
        bad_example: "FROM debian:12\nRUN curl -fsSL https://get.example.com/install.sh | sh\n",
        good_example: "FROM debian:12\nRUN curl -fsSLo /tmp/i.sh https://get.example.com/install.sh \\\n && echo \"5d41402abc4b2a76b9719d911017c592  /tmp/i.sh\" | sha256sum -c - \\\n && sh /tmp/i.sh\n",
    },
    run: Run::Dockerfile(run),
};

const FETCHERS: &[&str] = &["curl", "wget"];
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ash", "ksh", "python", "python3", "perl", "ruby", "node",
];

/// `curl URL | sh`, `wget -O- URL | sudo bash`, `sh -c "$(curl URL)"`, `bash <(curl URL)`.
pub(crate) fn pipes_download_to_shell(command: &str) -> bool {
    for segment in command
        .split(['\n', ';'])
        .flat_map(|s| s.split("&&"))
        .flat_map(|s| s.split("||"))
    {
        let stages: Vec<&str> = segment
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let fetch_at = stages.iter().position(|s| first_word_is(s, FETCHERS));
        if let Some(i) = fetch_at
            && stages[i + 1..]
                .iter()
                .any(|s| first_word_is(s.trim_start_matches("sudo "), SHELLS))
        {
            return true;
        }
        let words: Vec<&str> = segment.split_whitespace().collect();
        if words.first().is_some_and(|w| SHELLS.contains(&base(w)))
            && FETCHERS.iter().any(|f| {
                segment.contains(&format!("$({f}"))
                    || segment.contains(&format!("<({f}"))
                    || segment.contains(&format!("`{f}"))
            })
        {
            return true;
        }
    }
    false
}

fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn first_word_is(stage: &str, names: &[&str]) -> bool {
    stage
        .split_whitespace()
        .next()
        .is_some_and(|w| names.contains(&base(w)))
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        if instruction.keyword == "RUN" && pipes_download_to_shell(&instruction.command_text()) {
            out.report(
                df.spot(instruction),
                "RUN pipes a downloaded script straight into an interpreter".to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pipes_download_to_shell as piped;

    #[test]
    fn recognises_the_common_spellings() {
        assert!(piped("curl -sL https://x/i.sh | bash -s -- --yes"));
        assert!(piped("apt-get update && wget -qO- https://x | sudo sh"));
        assert!(piped("sh -c \"$(curl -fsSL https://x)\""));
        assert!(piped("bash <(curl -s https://x)"));
        assert!(piped("curl https://x | /bin/sh"));
        assert!(!piped(
            "curl -o /tmp/x https://x && sha256sum -c sums && sh /tmp/x"
        ));
        assert!(!piped("curl https://x | tar xz"));
    }
}
