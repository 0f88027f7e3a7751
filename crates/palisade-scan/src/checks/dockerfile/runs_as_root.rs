//! PAL-DF-002: the image that ships runs as root.

use super::util::{earlier_stage, global_args, parse_image_ref, substitute, vars_before};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::{Dockerfile, Instruction};
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-002",
        name: "image-runs-as-root",
        title: "Image runs as root",
        severity: Severity::Medium,
        techniques: &["T1611", "T1068"],
        target: CheckTarget::Dockerfile,
        rationale: "Without a non-root `USER` in the final stage, every container started from \
            the image runs its process as uid 0 unless the platform overrides it. Code execution \
            in the application is then root inside the container: it can rewrite the image's \
            binaries, read every mounted secret, and use whatever kernel bug, writable host \
            mount or extra capability is available to reach the host.",
        remediation: "Create an unprivileged account and end the final stage with `USER <name>` \
            or a numeric `USER 10001:10001`; if the entrypoint must start as root, have it drop \
            privileges (`gosu`, `su-exec`) and say so in a suppression.",
        bad_example: "FROM node:22-slim\nWORKDIR /app\nCOPY . .\nUSER root\nCMD [\"node\", \"server.js\"]\n",
        good_example: "FROM node:22-slim AS build\nUSER root\nRUN npm ci\nFROM node:22-slim\nCOPY --from=build /app /app\nUSER node\nCMD [\"node\", \"/app/server.js\"]\n",
    },
    run: Run::Dockerfile(run),
};

/// Users that are root: `root`, uid `0` (with or without a group), Windows'
/// `ContainerAdministrator`.
fn is_root_user(user_spec: &str) -> bool {
    let user = user_spec.split(':').next().unwrap_or("").trim();
    user == "0" || user == "root" || user.eq_ignore_ascii_case("ContainerAdministrator")
}

/// Base images that are known to set a non-root user themselves (distroless `:nonroot`,
/// `*-rootless`, Windows Nano Server, which defaults to `ContainerUser`).
fn base_sets_non_root_user(base: &str) -> bool {
    let lower = base.to_ascii_lowercase();
    let image = parse_image_ref(&lower);
    ["nonroot", "non-root", "rootless"]
        .iter()
        .any(|w| image.tag.is_some_and(|t| t.contains(w)) || image.name.contains(w))
        || image.name.ends_with("windows/nanoserver")
}

/// The last `USER` that applies to `stage`: its own, or inherited from the earlier stage it is
/// built `FROM`.
fn effective_user(df: &Dockerfile, stage: usize, depth: u8) -> Result<&Instruction, usize> {
    if let Some(user) = df
        .stage_instructions(stage)
        .filter(|i| i.keyword == "USER")
        .last()
    {
        return Ok(user);
    }
    let base = &df.stages[stage].base;
    let base = substitute(base, &global_args(df)).unwrap_or_else(|| base.clone());
    match earlier_stage(df, &base, stage) {
        Some(parent) if depth < 16 => effective_user(df, parent, depth + 1),
        _ => Err(stage),
    }
}

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    let Some(last) = df.final_stage() else {
        return;
    };
    match effective_user(df, last.index, 0) {
        Ok(user) => {
            // `USER $APP_UID` with no known value: not something to guess about.
            let Some(spec) = substitute(user.args.trim(), &vars_before(df, user)) else {
                return;
            };
            if is_root_user(&spec) {
                let inherited = match user.stage {
                    Some(s) if s != last.index => format!(
                        " (inherited from stage `{}`)",
                        df.stages[s].name.as_deref().unwrap_or("?")
                    ),
                    _ => String::new(),
                };
                out.report(
                    df.spot(user),
                    format!("the final stage runs as `{}`{inherited}", user.args.trim()),
                );
            }
        }
        Err(root_stage) => {
            let from = &df.stages[root_stage];
            let base = substitute(&from.base, &global_args(df)).unwrap_or(from.base.clone());
            if base_sets_non_root_user(&base) {
                return;
            }
            let via = if root_stage == last.index {
                String::new()
            } else {
                format!(", via stage `{}`", from.name.as_deref().unwrap_or("?"))
            };
            let lower = base.to_ascii_lowercase();
            let message = if lower == "scratch" {
                format!(
                    "the final stage sets no USER and is built FROM scratch{via}, so it runs as uid 0"
                )
            } else if lower.contains("windows/servercore") || lower.contains("windows/server:") {
                format!(
                    "the final stage sets no USER, so it runs as ContainerAdministrator, the \
                     default user of `{base}`{via}"
                )
            } else {
                format!(
                    "the final stage sets no USER, so it runs as the user of `{base}`{via}: \
                     root unless that image sets another"
                )
            };
            if let Some(from_instruction) = df.instructions.get(last.from) {
                out.report(df.spot(from_instruction), message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn fired(src: &str) -> Vec<(u32, String)> {
        findings("PAL-DF-002", "Dockerfile", src)
    }

    #[test]
    fn only_the_final_stage_counts() {
        assert!(fired("FROM a:1 AS b\nUSER root\nFROM c:1\nUSER app\n").is_empty());
        assert_eq!(fired("FROM a:1 AS b\nUSER app\nFROM c:1\n")[0].0, 3);
        assert_eq!(fired("FROM a:1\nUSER app\nUSER 0:0\n")[0].0, 3);
        assert!(fired("FROM a:1\nUSER root\nRUN x\nUSER 1000\n").is_empty());
    }

    #[test]
    fn user_inherited_through_stage_names() {
        assert!(fired("FROM a:1 AS base\nUSER app\nFROM base\nRUN x\n").is_empty());
        let f = fired("FROM a:1 AS base\nUSER root\nFROM base AS final\n");
        assert_eq!(f[0].0, 2);
        assert!(f[0].1.contains("inherited from stage `base`"), "{f:?}");
    }

    #[test]
    fn variables_and_special_bases() {
        assert!(fired("FROM a:1\nARG UID=1000\nUSER ${UID}\n").is_empty());
        assert_eq!(fired("FROM a:1\nARG UID=0\nUSER $UID\n").len(), 1);
        assert!(fired("FROM a:1\nARG UID\nUSER $UID\n").is_empty());
        assert!(fired("FROM gcr.io/distroless/static:nonroot\nCOPY app /\n").is_empty());
        assert_eq!(fired("FROM scratch\nCOPY app /\n").len(), 1);
        assert_eq!(
            fired(
                "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n"
            )
            .len(),
            1
        );
    }
}
