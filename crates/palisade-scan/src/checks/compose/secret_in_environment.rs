//! PAL-CMP-013: a Compose service's environment holds a literal secret.

use super::super::dockerfile::util::{could_be_secret_value, is_secret_name};
use super::util::environment;
use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-013",
        name: "secret-in-environment",
        title: "Secret written in a Compose service's environment",
        severity: Severity::High,
        techniques: &["T1552.001"],
        target: CheckTarget::Compose,
        rationale: "A password or token written in the Compose file is readable by everyone \
            with access to the repository and its history, and the container's environment is \
            shown by `docker inspect` to anyone with access to the Docker API and is inherited \
            by every process in the container.",
        remediation: "Use Compose `secrets:` (mounted under `/run/secrets`, with the image's \
            `*_FILE` variables) or take the value from an untracked `.env` file or the shell \
            (`${DB_PASSWORD:?}`) instead of writing it in the file.",
        bad_example: "services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: example\n  app:\n    image: example/app:1.0\n    environment:\n      - API_KEY=${API_KEY:-dev-key-123}\n",
        good_example: "services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n      POSTGRES_USER: app\n    secrets: [db_password]\n  app:\n    image: example/app:1.0\n    environment:\n      - API_KEY\n      - DB_PASSWORD=${DB_PASSWORD}\nsecrets:\n  db_password:\n    file: ./db_password.txt\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    for entry in environment(service) {
        // Values are already interpolated: `${VAR}` with VAR unset is empty here and not
        // reported; a `${VAR:-default}` default written in the file is. Boolean words are
        // settings (`MYSQL_RANDOM_ROOT_PASSWORD: "yes"`).
        let literal = entry.value.is_some_and(could_be_secret_value);
        if literal && is_secret_name(entry.name) {
            // Never print the value itself.
            out.report(
                entry.cursor.spot(),
                format!(
                    "service `{}` sets `{}` to a literal value in `environment`",
                    service.name, entry.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn map_and_list_forms_without_printing_values() {
        let f = findings(
            "PAL-CMP-013",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    environment:\n      DB_PASSWORD: hunter2\n      REDIS_PASSWORD:\n      PIN_PASSWORD: 1234\n      API_TOKEN: ${API_TOKEN}\n      JWT_SECRET: \"${JWT_SECRET:-dev-secret}\"\n      POSTGRES_PASSWORD_FILE: /run/secrets/pg\n  b:\n    image: x:1\n    environment:\n      - GITHUB_TOKEN=ghp_example\n      - AWS_SECRET_ACCESS_KEY\n      - SECRET_KEY=\n      - LOG_LEVEL=debug\n      - MYSQL_ALLOW_EMPTY_PASSWORD=yes\n",
        );
        let got: Vec<(u32, &str)> = f.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    5,
                    "service `a` sets `DB_PASSWORD` to a literal value in `environment`"
                ),
                (
                    7,
                    "service `a` sets `PIN_PASSWORD` to a literal value in `environment`"
                ),
                (
                    9,
                    "service `a` sets `JWT_SECRET` to a literal value in `environment`"
                ),
                (
                    14,
                    "service `b` sets `GITHUB_TOKEN` to a literal value in `environment`"
                ),
            ]
        );
        for secret in ["hunter2", "1234", "dev-secret", "ghp_example"] {
            assert!(f.iter().all(|(_, m)| !m.contains(secret)));
        }
    }
}
