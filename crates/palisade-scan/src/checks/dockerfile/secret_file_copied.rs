//! PAL-DF-012: `COPY`/`ADD` puts a credential file into the image.

use super::util::{effective_keyword, secret_file_kind, split_words};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-012",
        name: "secret-file-copied",
        title: "Credential file copied into the image",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::Dockerfile,
        rationale: "SSH and TLS private keys, `.env` files, `.npmrc`/`.pypirc`/`.netrc` tokens, \
            cloud credentials and kubeconfigs copied into a layer stay in the image even if a \
            later step deletes them. Anyone who can pull the image extracts them with \
            `docker save` and reuses them against the registry, cloud account or cluster they \
            unlock.",
        remediation: "Keep credential files out of the build context (`.dockerignore`) and the \
            image. Use `RUN --mount=type=secret` or `--mount=type=ssh` for build-time access \
            and mount runtime secrets from the orchestrator.",
        bad_example: "FROM node:22-slim\nWORKDIR /app\nCOPY .npmrc package.json ./\nCOPY deploy/id_ed25519 /root/.ssh/\nRUN npm ci\n",
        good_example: "FROM node:22-slim\nWORKDIR /app\nCOPY package.json ./\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci\nCOPY deploy/id_ed25519.pub /etc/ssh/authorized_keys\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        let keyword = effective_keyword(instruction);
        if keyword != "COPY" && keyword != "ADD" {
            continue;
        }
        let words = match &instruction.exec_form {
            Some(argv) => argv.clone(),
            None => split_words(&instruction.args),
        };
        let Some((_, sources)) = words.split_last() else {
            continue;
        };
        for source in sources {
            // Heredoc sources (`COPY <<EOF /dest`) are inline content, URLs are PAL-DF-003's.
            if source.starts_with("<<") || source.contains("://") {
                continue;
            }
            if let Some(kind) = secret_file_kind(source) {
                let from = instruction
                    .flag("from")
                    .map(|f| format!(" from `{f}`"))
                    .unwrap_or_default();
                out.report(
                    df.spot(instruction),
                    format!("{keyword} copies `{source}`{from} into the image ({kind})"),
                );
            }
        }
    }
}
