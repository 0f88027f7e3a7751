//! PAL-DF-004: `ENV` or `ARG` writes a literal secret into the Dockerfile.

use super::util::{
    assignments, could_be_secret_value, effective_keyword, is_literal_value, is_secret_name,
};
use crate::checks::{Check, Reporter, Run};
use crate::dockerfile::Dockerfile;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-DF-004",
        name: "secret-in-env-or-arg",
        title: "Secret written in an ENV or ARG instruction",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::Dockerfile,
        rationale: "A value given to `ENV` is stored in the image configuration and shown by \
            `docker inspect` and `docker history`, and an `ARG` default is recorded in the \
            build history of every layer that uses it. Anyone who can pull the image, or read \
            the repository, has the credential.",
        remediation: "Remove the value from the Dockerfile. Pass build-time secrets with \
            `RUN --mount=type=secret,id=...` and runtime secrets through the orchestrator \
            (Compose/Kubernetes secrets or an environment injected at run time).",
        bad_example: "FROM python:3.12-slim\nENV DJANGO_SECRET_KEY=6f1d0c3b9a7e\nARG PIP_INDEX_TOKEN=glpat-example\n",
        good_example: "FROM python:3.12-slim\nARG PIP_INDEX_TOKEN\nENV DJANGO_SECRET_KEY_FILE=/run/secrets/django_key\nRUN --mount=type=secret,id=pip_token pip install -r requirements.txt\n",
    },
    run: Run::Dockerfile(run),
};

fn run(df: &Dockerfile, out: &mut Reporter<'_>) {
    for instruction in &df.instructions {
        let keyword = effective_keyword(instruction);
        if keyword != "ENV" && keyword != "ARG" {
            continue;
        }
        for (name, value) in assignments(instruction) {
            let literal = value
                .as_deref()
                .is_some_and(|v| is_literal_value(v) && could_be_secret_value(v));
            if literal && is_secret_name(&name) {
                // Never print the value itself.
                out.report(
                    df.spot(instruction),
                    format!("{keyword} sets `{name}` to a literal value"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    fn messages(src: &str) -> Vec<String> {
        findings("PAL-DF-004", "Dockerfile", src)
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    #[test]
    fn env_forms_and_values() {
        let m = messages(
            "FROM a:1\nENV DB_PASSWORD hunter2\nENV A=1 API_KEY=\"k e y\" GPG_KEY=ABCD\nARG TOKEN\nARG NPM_TOKEN=$NPM_TOKEN\nENV SECRET=\"\"\nENV MYSQL_ALLOW_EMPTY_PASSWORD=yes\nONBUILD ENV JWT_SECRET=x\n",
        );
        assert_eq!(
            m,
            vec![
                "ENV sets `DB_PASSWORD` to a literal value",
                "ENV sets `API_KEY` to a literal value",
                "ENV sets `JWT_SECRET` to a literal value",
            ]
        );
        assert!(
            m.iter()
                .all(|m| !m.contains("hunter2") && !m.contains("k e y"))
        );
    }
}
