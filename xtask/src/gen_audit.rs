//! `xtask gen-audit`: a synthetic but realistic Kubernetes audit log (audit.k8s.io/v1 Event
//! JSON lines) for the detection benchmark (bench/detect_bench.py).
//!
//! The output is a deterministic function of `--events` and `--seed` (a xorshift64* PRNG, no
//! clock, no hash-map iteration order). The traffic imitates a mid-sized cluster (40 nodes,
//! a dozen application namespaces, the usual add-ons) as the API server's log backend writes
//! it:
//!
//! * most requests are get/list/watch and lease renewals by kubelets (`system:node:*`,
//!   group `system:nodes`), control-plane components and the kube-controller-manager
//!   controllers (`system:serviceaccount:kube-system:*`), status patches and event writes;
//! * operators and add-ons (Prometheus, cert-manager, ingress-nginx, Argo CD, Cilium...)
//!   with pod-bound service-account tokens (`user.extra` with pod and node names);
//! * pods created by the ReplicaSet controller with full pod specs (containers, images,
//!   securityContext, volumes, ports, env, probes), deployments written by CI and Argo CD,
//!   config maps, secrets (get/list, Helm release records), role bindings with subjects,
//!   TokenRequests, pods/exec with `?command=...&container=...`, discovery, health checks;
//! * about 3% failures (403 by RBAC, 401 for expired or bad tokens), a few anonymous
//!   requests;
//! * stages: ResponseComplete, sometimes preceded by RequestReceived (same auditID), watches
//!   and exec sessions by ResponseStarted; the second stage of a request is written a few
//!   lines later, interleaved with other requests, as on a busy API server;
//! * `stageTimestamp` advances (RFC 3339, microseconds, UTC, as the API server writes it);
//! * about 0.1% of requests are suspicious (privileged pod, exec by a person, cluster-admin
//!   binding, miner image, secret read by a person, token minted by a person, raw HTTP
//!   client with a pod's token, anonymous access, host-path DaemonSet, NodePort service)
//!   so that rules fire.
//!
//! Levels follow a typical policy: Metadata for reads, leases, secrets and events; Request
//! for writes of pods, workloads, RBAC, config maps, services and token requests;
//! RequestResponse for some pod creations.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Generate a synthetic audit log (JSON lines).
#[derive(Debug, Args)]
pub struct GenAuditArgs {
    /// Number of audit events (lines) to write.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// PRNG seed: the same seed and count give the same file, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of requests that are suspicious (so that rules fire).
    #[arg(long, default_value_t = 0.001)]
    pub suspicious: f64,
    /// Output file (`-` for stdout).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &GenAuditArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.suspicious) {
        bail!("--suspicious must be between 0 and 1");
    }
    let to_stdout = args.out.as_os_str() == "-";
    let sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(&args.out)
                .with_context(|| format!("cannot write {}", args.out.display()))?,
        )
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let started = std::time::Instant::now();
    let stats = generate(args.events, args.seed, args.suspicious, &mut out)?;
    out.flush().context("cannot write the output")?;
    let mib = stats.bytes as f64 / (1024.0 * 1024.0);
    let mean = if stats.events == 0 {
        0.0
    } else {
        stats.bytes as f64 / stats.events as f64
    };
    let target = if to_stdout {
        "stdout".to_owned()
    } else {
        args.out.display().to_string()
    };
    eprintln!(
        "wrote {} events, {} bytes ({mib:.1} MiB, mean {mean:.0} bytes/event) to {target} in {:.1}s \
         (seed {}; {} requests, {} suspicious, {} failed)",
        stats.events,
        stats.bytes,
        started.elapsed().as_secs_f64(),
        args.seed,
        stats.requests,
        stats.suspicious,
        stats.failed,
    );
    Ok(())
}

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GenStats {
    pub events: u64,
    pub bytes: u64,
    pub requests: u64,
    pub suspicious: u64,
    pub failed: u64,
}

/// Write `events` lines of audit events generated from `seed` to `out`.
pub fn generate(events: u64, seed: u64, suspicious: f64, out: &mut dyn Write) -> Result<GenStats> {
    let mut g = Gen::new(seed, suspicious);
    let mut stats = GenStats::default();
    // Second stages waiting to be written: (lines still to go before it, request, stage).
    let mut pending: VecDeque<(u32, Req, &'static str)> = VecDeque::new();
    let mut line = String::with_capacity(8192);
    while stats.events < events {
        let room = events - stats.events - pending.len() as u64;
        if room > 0 {
            let (req, kind) = g.request();
            stats.requests += 1;
            match kind {
                Class::Suspicious => stats.suspicious += 1,
                Class::Failed => stats.failed += 1,
                Class::Normal => {}
            }
            let (first, second) = g.stages(&req);
            match second {
                Some(second) if room >= 2 => {
                    line.clear();
                    g.render(&req, first, &mut line);
                    write_line(out, &line, &mut stats)?;
                    let wait = g.rng.below(8) as u32;
                    pending.push_back((wait, req, second));
                }
                _ => {
                    let only = if second.is_some() {
                        "ResponseComplete"
                    } else {
                        first
                    };
                    line.clear();
                    g.render(&req, only, &mut line);
                    write_line(out, &line, &mut stats)?;
                }
            }
        }
        // Second stages whose turn has come (all of them once no new request fits).
        let flush_all = events - stats.events <= pending.len() as u64;
        let mut i = 0;
        while i < pending.len() && stats.events < events {
            if flush_all || pending[i].0 == 0 {
                let (_, req, stage) = pending.remove(i).expect("index in range");
                line.clear();
                g.render(&req, stage, &mut line);
                write_line(out, &line, &mut stats)?;
            } else {
                pending[i].0 -= 1;
                i += 1;
            }
        }
    }
    Ok(stats)
}

fn write_line(out: &mut dyn Write, line: &str, stats: &mut GenStats) -> Result<()> {
    out.write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .context("cannot write the output")?;
    stats.events += 1;
    stats.bytes += line.len() as u64 + 1;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------

/// xorshift64* (Vigna), seeded through splitmix64 so that nearby seeds diverge at once.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below((hi - lo + 1) as usize) as u64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..n).map(|_| DIGITS[self.below(16)] as char).collect()
    }

    /// Lower-case alphanumerics without vowels, like Kubernetes' generated name suffixes.
    fn suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len())] as char)
            .collect()
    }

    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

// ---------------------------------------------------------------------------------------
// A tiny ordered JSON value (the API server writes keys in struct order, not sorted)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum V {
    Null,
    B(bool),
    I(i64),
    S(Cow<'static, str>),
    A(Vec<V>),
    O(Vec<(Cow<'static, str>, V)>),
}

impl From<&'static str> for V {
    fn from(s: &'static str) -> V {
        V::S(Cow::Borrowed(s))
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::S(Cow::Owned(s))
    }
}
impl From<&String> for V {
    fn from(s: &String) -> V {
        V::S(Cow::Owned(s.clone()))
    }
}
impl From<i64> for V {
    fn from(n: i64) -> V {
        V::I(n)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::B(b)
    }
}
impl From<Vec<V>> for V {
    fn from(items: Vec<V>) -> V {
        V::A(items)
    }
}

/// An ordered JSON object: `obj! { "key" => value, ... }`.
macro_rules! obj {
    ($($k:expr => $v:expr),* $(,)?) => {
        V::O(vec![$((Cow::from($k), V::from($v))),*])
    };
}

/// A JSON array of strings.
fn strs<S: AsRef<str>>(items: &[S]) -> V {
    V::A(
        items
            .iter()
            .map(|s| V::S(Cow::Owned(s.as_ref().to_owned())))
            .collect(),
    )
}

impl V {
    fn push(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<V>) {
        if let V::O(pairs) = self {
            pairs.push((key.into(), value.into()));
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            V::Null => out.push_str("null"),
            V::B(b) => out.push_str(if *b { "true" } else { "false" }),
            V::I(n) => out.push_str(&n.to_string()),
            V::S(s) => write_str(s, out),
            V::A(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            V::O(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string, escaped as Go's encoding/json does (`<`, `>`, `&` as \u escapes).
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------

/// 2025-06-02T08:00:00Z in microseconds since the epoch.
const START_MICROS: i64 = 1_748_851_200_000_000;

/// RFC 3339 with microseconds in UTC (`metav1.MicroTime`).
fn rfc3339_micros(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = palisade_core::time::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

// ---------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------

const K8S_VERSION: &str = "v1.30.4";
const K8S_COMMIT: &str = "a51b3b711150f57ffc1f526a640ec058514ed596";
const ACCOUNT: &str = "412367935104.dkr.ecr.eu-west-1.amazonaws.com";

/// An authenticated identity and how it shows up in the log.
#[derive(Debug, Clone)]
struct Ident {
    username: String,
    uid: Option<String>,
    groups: Vec<String>,
    extra: Vec<(String, String)>,
    user_agent: String,
    source_ip: String,
    /// `authorization.k8s.io/reason` of an allowed request ("" for the Node authorizer).
    reason: String,
}

impl Ident {
    fn user(&self) -> V {
        let mut u = obj! { "username" => &self.username };
        if let Some(uid) = &self.uid {
            u.push("uid", uid);
        }
        u.push("groups", strs(&self.groups));
        if !self.extra.is_empty() {
            let mut extra = V::O(Vec::new());
            for (k, v) in &self.extra {
                extra.push(k.clone(), strs(&[v]));
            }
            u.push("extra", extra);
        }
        u
    }

    fn is_node(&self) -> bool {
        self.username.starts_with("system:node:")
    }
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    ip: String,
    uid: String,
    kubelet: Ident,
}

/// An application Deployment.
#[derive(Debug, Clone)]
struct App {
    namespace: &'static str,
    name: &'static str,
    image: String,
    port: i64,
    service_account: String,
    template_hash: String,
    rs_uid: String,
    sidecar: bool,
    /// Pods of the current ReplicaSet, each with its node.
    pods: Vec<(String, usize)>,
}

/// An add-on or operator running in a pod with its own service account.
#[derive(Debug, Clone)]
struct Operator {
    ident: Ident,
    /// (resource, api group, namespaced) it reads.
    reads: &'static [(&'static str, &'static str, bool)],
    /// Namespace of its own objects (leases, config maps).
    namespace: &'static str,
    lease: &'static str,
}

const APP_NAMESPACES: &[(&str, &[&str])] = &[
    ("payments", &["api", "ledger", "fraud-scorer", "webhooks"]),
    ("checkout", &["cart", "checkout-api", "pricing"]),
    ("catalog", &["catalog-api", "search-indexer", "images"]),
    ("identity", &["auth", "sessions", "user-profile"]),
    ("web", &["storefront", "bff", "static-assets"]),
    ("data", &["etl-scheduler", "kafka-connect", "reporting"]),
    ("ml", &["recommender", "feature-store"]),
    ("notifications", &["mailer", "push-gateway", "sms"]),
];

const CONTROLLERS: &[&str] = &[
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "endpoint-controller",
    "endpointslicemirroring-controller",
    "node-controller",
    "namespace-controller",
    "generic-garbage-collector",
    "job-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "statefulset-controller",
    "horizontal-pod-autoscaler",
    "resourcequota-controller",
    "pvc-protection-controller",
    "persistent-volume-binder",
    "attachdetach-controller",
    "disruption-controller",
    "ttl-controller",
    "service-account-controller",
    "root-ca-cert-publisher",
];

/// (resource, api group, namespaced) that controllers read.
const CONTROLLER_READS: &[(&str, &str, bool)] = &[
    ("pods", "", true),
    ("pods", "", true),
    ("replicasets", "apps", true),
    ("deployments", "apps", true),
    ("endpointslices", "discovery.k8s.io", true),
    ("endpoints", "", true),
    ("services", "", true),
    ("nodes", "", false),
    ("namespaces", "", false),
    ("configmaps", "", true),
    ("serviceaccounts", "", true),
    ("persistentvolumeclaims", "", true),
    ("jobs", "batch", true),
    ("cronjobs", "batch", true),
    ("daemonsets", "apps", true),
    ("statefulsets", "apps", true),
    ("poddisruptionbudgets", "policy", true),
    ("horizontalpodautoscalers", "autoscaling", true),
    ("resourcequotas", "", true),
    ("controllerrevisions", "apps", true),
];

struct Cluster {
    nodes: Vec<Node>,
    apps: Vec<App>,
    controllers: Vec<Ident>,
    kcm: Ident,
    scheduler: Ident,
    apiserver: Ident,
    kube_proxy: Vec<Ident>,
    coredns: Ident,
    operators: Vec<Operator>,
    app_sas: Vec<Ident>,
    humans: Vec<Ident>,
    ci: Vec<Ident>,
    argocd: Ident,
    /// Addresses that keep sending expired or bad tokens.
    stale_clients: Vec<String>,
}

fn sa_groups(namespace: &str) -> Vec<String> {
    vec![
        "system:serviceaccounts".into(),
        format!("system:serviceaccounts:{namespace}"),
        "system:authenticated".into(),
    ]
}

fn go_agent(binary: &str, suffix: &str) -> String {
    format!(
        "{binary}/{K8S_VERSION} (linux/amd64) kubernetes/{}{suffix}",
        &K8S_COMMIT[..7]
    )
}

impl Cluster {
    fn new(rng: &mut Rng) -> Cluster {
        let control_plane_ips: Vec<String> = (0..3).map(|i| format!("10.0.0.{}", 10 + i)).collect();
        let nodes: Vec<Node> = (0..40)
            .map(|i| {
                let ip = format!("10.0.{}.{}", 16 + i / 12, 20 + (i % 12) * 7 + rng.below(7));
                let name = format!("ip-{}.eu-west-1.compute.internal", ip.replace('.', "-"));
                let kubelet = Ident {
                    username: format!("system:node:{name}"),
                    uid: None,
                    groups: vec!["system:nodes".into(), "system:authenticated".into()],
                    extra: Vec::new(),
                    user_agent: go_agent("kubelet", ""),
                    source_ip: ip.clone(),
                    reason: String::new(),
                };
                Node {
                    name,
                    ip,
                    uid: rng.uuid(),
                    kubelet,
                }
            })
            .collect();
        let pod_sa =
            |rng: &mut Rng, ns: &str, sa: &str, pod: String, agent: String, reason: String| {
                let node = &nodes[rng.below(nodes.len())];
                Ident {
                    username: format!("system:serviceaccount:{ns}:{sa}"),
                    uid: Some(rng.uuid()),
                    groups: sa_groups(ns),
                    extra: vec![
                        (
                            "authentication.kubernetes.io/credential-id".into(),
                            format!("JTI={}", rng.uuid()),
                        ),
                        (
                            "authentication.kubernetes.io/node-name".into(),
                            node.name.clone(),
                        ),
                        (
                            "authentication.kubernetes.io/node-uid".into(),
                            node.uid.clone(),
                        ),
                        ("authentication.kubernetes.io/pod-name".into(), pod),
                        ("authentication.kubernetes.io/pod-uid".into(), rng.uuid()),
                    ],
                    user_agent: agent,
                    source_ip: format!("10.42.{}.{}", rng.below(40), 2 + rng.below(250)),
                    reason,
                }
            };
        let crb = |name: &str, role: &str, sa: &str, ns: &str| {
            format!(
                "RBAC: allowed by ClusterRoleBinding \"{name}\" of ClusterRole \"{role}\" to ServiceAccount \"{sa}/{ns}\""
            )
        };

        let mut apps = Vec::new();
        for (ns, names) in APP_NAMESPACES {
            for name in *names {
                let replicas = 2 + rng.below(5);
                let template_hash = format!("{}{}", rng.suffix(1), rng.hex(9));
                let pods = (0..replicas)
                    .map(|_| {
                        (
                            format!("{name}-{template_hash}-{}", rng.suffix(5)),
                            rng.below(nodes.len()),
                        )
                    })
                    .collect();
                apps.push(App {
                    namespace: ns,
                    name,
                    image: format!(
                        "{ACCOUNT}/{ns}/{name}:{}.{}.{}",
                        1 + rng.below(3),
                        rng.below(20),
                        rng.below(10)
                    ),
                    port: *rng.pick(&[8080, 8080, 8000, 3000, 9090, 5000]),
                    service_account: (*name).to_owned(),
                    template_hash,
                    rs_uid: rng.uuid(),
                    sidecar: rng.chance(0.3),
                    pods,
                });
            }
        }

        let controllers = CONTROLLERS
            .iter()
            .map(|c| Ident {
                username: format!("system:serviceaccount:kube-system:{c}"),
                uid: Some(rng.uuid()),
                groups: sa_groups("kube-system"),
                extra: Vec::new(),
                user_agent: go_agent(
                    "kube-controller-manager",
                    &format!("/system:serviceaccount:kube-system:{c}"),
                ),
                source_ip: control_plane_ips[0].clone(),
                reason: format!(
                    "RBAC: allowed by ClusterRoleBinding \"system:controller:{c}\" of ClusterRole \"system:controller:{c}\" to ServiceAccount \"{c}/kube-system\""
                ),
            })
            .collect();
        let component = |name: &str, binary: &str, ip: &str, suffix: &str| Ident {
            username: name.to_owned(),
            uid: None,
            groups: vec!["system:authenticated".into()],
            extra: Vec::new(),
            user_agent: go_agent(binary, suffix),
            source_ip: ip.to_owned(),
            reason: format!(
                "RBAC: allowed by ClusterRoleBinding \"{name}\" of ClusterRole \"{name}\" to User \"{name}\""
            ),
        };
        let kcm = component(
            "system:kube-controller-manager",
            "kube-controller-manager",
            &control_plane_ips[0],
            "/leader-election",
        );
        let scheduler = component(
            "system:kube-scheduler",
            "kube-scheduler",
            &control_plane_ips[1],
            "/scheduler",
        );
        let mut apiserver = component("system:apiserver", "kube-apiserver", "::1", "");
        apiserver.groups = vec!["system:masters".into(), "system:authenticated".into()];
        apiserver.uid = Some(rng.uuid());
        apiserver.reason = String::new();

        let kube_proxy = (0..nodes.len())
            .step_by(4)
            .map(|i| {
                let mut id = pod_sa(
                    rng,
                    "kube-system",
                    "kube-proxy",
                    String::new(),
                    go_agent("kube-proxy", ""),
                    crb(
                        "kubeadm:node-proxier",
                        "system:node-proxier",
                        "kube-proxy",
                        "kube-system",
                    ),
                );
                let suffix = rng.suffix(5);
                id.extra[1].1 = nodes[i].name.clone();
                id.extra[2].1 = nodes[i].uid.clone();
                id.extra[3].1 = format!("kube-proxy-{suffix}");
                id.source_ip = nodes[i].ip.clone();
                id
            })
            .collect();
        let coredns_pod = format!("coredns-7db6d8ff4d-{}", rng.suffix(5));
        let coredns = pod_sa(
            rng,
            "kube-system",
            "coredns",
            coredns_pod,
            "coredns/v1.11.1 (linux/amd64) kubernetes/$Format".into(),
            crb("system:coredns", "system:coredns", "coredns", "kube-system"),
        );

        const PROM_READS: &[(&str, &str, bool)] = &[
            ("pods", "", true),
            ("endpoints", "", true),
            ("endpointslices", "discovery.k8s.io", true),
            ("services", "", true),
            ("nodes", "", false),
            ("ingresses", "networking.k8s.io", true),
        ];
        const CERT_READS: &[(&str, &str, bool)] = &[
            ("secrets", "", true),
            ("certificates", "cert-manager.io", true),
            ("certificaterequests", "cert-manager.io", true),
            ("issuers", "cert-manager.io", true),
            ("challenges", "acme.cert-manager.io", true),
            ("ingresses", "networking.k8s.io", true),
        ];
        const NGINX_READS: &[(&str, &str, bool)] = &[
            ("ingresses", "networking.k8s.io", true),
            ("endpointslices", "discovery.k8s.io", true),
            ("services", "", true),
            ("secrets", "", true),
            ("configmaps", "", true),
            ("ingressclasses", "networking.k8s.io", false),
        ];
        const ARGO_READS: &[(&str, &str, bool)] = &[
            ("applications", "argoproj.io", true),
            ("deployments", "apps", true),
            ("services", "", true),
            ("configmaps", "", true),
            ("secrets", "", true),
            ("replicasets", "apps", true),
            ("pods", "", true),
            ("rolebindings", "rbac.authorization.k8s.io", true),
        ];
        const CILIUM_READS: &[(&str, &str, bool)] = &[
            ("ciliumendpoints", "cilium.io", true),
            ("ciliumidentities", "cilium.io", false),
            ("ciliumnodes", "cilium.io", false),
            ("ciliumnetworkpolicies", "cilium.io", true),
            ("networkpolicies", "networking.k8s.io", true),
            ("namespaces", "", false),
            ("pods", "", true),
            ("endpointslices", "discovery.k8s.io", true),
        ];
        const METRICS_READS: &[(&str, &str, bool)] = &[("nodes", "", false), ("pods", "", true)];
        const FLUENT_READS: &[(&str, &str, bool)] =
            &[("pods", "", true), ("namespaces", "", false)];
        const AUTOSCALER_READS: &[(&str, &str, bool)] = &[
            ("nodes", "", false),
            ("pods", "", true),
            ("poddisruptionbudgets", "policy", true),
            ("csinodes", "storage.k8s.io", false),
            ("persistentvolumeclaims", "", true),
        ];
        let op = |rng: &mut Rng,
                  ns: &'static str,
                  sa: &str,
                  pod: &str,
                  agent: &str,
                  reads: &'static [(&'static str, &'static str, bool)],
                  lease: &'static str| {
            let pod = format!("{pod}-{}", rng.suffix(5));
            let reason = crb(sa, sa, sa, ns);
            Operator {
                ident: pod_sa(rng, ns, sa, pod, agent.to_owned(), reason),
                reads,
                namespace: ns,
                lease,
            }
        };
        let operators = vec![
            op(
                rng,
                "monitoring",
                "prometheus-k8s",
                "prometheus-k8s-0",
                "Prometheus/2.53.0",
                PROM_READS,
                "",
            ),
            op(
                rng,
                "monitoring",
                "kube-state-metrics",
                "kube-state-metrics-6f8c5d9b7c",
                "kube-state-metrics/v2.12.0 (linux/amd64) kubernetes/$Format",
                CONTROLLER_READS,
                "",
            ),
            op(
                rng,
                "cert-manager",
                "cert-manager",
                "cert-manager-7d9f8b6c54",
                "cert-manager-controller/v1.15.1 (linux/amd64) cert-manager/6f4a3c12e9e0",
                CERT_READS,
                "cert-manager-controller",
            ),
            op(
                rng,
                "ingress-nginx",
                "ingress-nginx",
                "ingress-nginx-controller-5c8d66c76d",
                "nginx-ingress-controller/v1.10.1 (linux/amd64) ingress-nginx/4fb5aac1dd",
                NGINX_READS,
                "ingress-nginx-leader",
            ),
            op(
                rng,
                "argocd",
                "argocd-application-controller",
                "argocd-application-controller-0",
                "argocd-application-controller/v2.11.3 (linux/amd64) kubernetes/f7d5ee1",
                ARGO_READS,
                "",
            ),
            op(
                rng,
                "kube-system",
                "cilium-operator",
                "cilium-operator-6c4b7f6d5",
                "cilium-operator-generic/v1.15.6 (linux/amd64) kubernetes/$Format",
                CILIUM_READS,
                "cilium-operator-resource-lock",
            ),
            op(
                rng,
                "kube-system",
                "cilium",
                "cilium",
                "cilium-agent/v1.15.6 (linux/amd64) kubernetes/$Format",
                CILIUM_READS,
                "",
            ),
            op(
                rng,
                "kube-system",
                "metrics-server",
                "metrics-server-5b76987ff",
                "metrics-server/v0.7.1 (linux/amd64) kubernetes/$Format",
                METRICS_READS,
                "",
            ),
            op(
                rng,
                "logging",
                "fluent-bit",
                "fluent-bit",
                "fluent-bit/3.0.7",
                FLUENT_READS,
                "",
            ),
            op(
                rng,
                "kube-system",
                "cluster-autoscaler",
                "cluster-autoscaler-7f9c6d8d4b",
                "cluster-autoscaler/v1.30.1 (linux/amd64) kubernetes/$Format",
                AUTOSCALER_READS,
                "cluster-autoscaler",
            ),
        ];
        let argocd = operators[4].ident.clone();

        let app_sas = apps
            .iter()
            .map(|a| {
                let (pod, _) = &a.pods[0];
                pod_sa(
                    rng,
                    a.namespace,
                    &a.service_account,
                    pod.clone(),
                    "Go-client/1.0 (linux/amd64) kubernetes/$Format".replace("Go-client", a.name),
                    format!(
                        "RBAC: allowed by RoleBinding \"{}/{}\" of Role \"{}\" to ServiceAccount \"{}/{}\"",
                        a.name, a.namespace, a.name, a.service_account, a.namespace
                    ),
                )
            })
            .collect();

        let human = |rng: &mut Rng, user: &str, group: &str, os: &str, binding: &str| Ident {
            username: user.to_owned(),
            uid: None,
            groups: vec![group.to_owned(), "system:authenticated".into()],
            extra: Vec::new(),
            user_agent: format!("kubectl/v1.30.2 ({os}) kubernetes/3968350"),
            source_ip: format!("10.8.{}.{}", rng.below(4), 10 + rng.below(200)),
            reason: format!(
                "RBAC: allowed by ClusterRoleBinding \"{binding}\" of ClusterRole \"{binding}\" to Group \"{group}\""
            ),
        };
        let humans = vec![
            human(
                rng,
                "alice@example.com",
                "platform-admins",
                "darwin/arm64",
                "cluster-admin",
            ),
            human(rng, "bob@example.com", "developers", "linux/amd64", "view"),
            human(
                rng,
                "carol@example.com",
                "developers",
                "darwin/arm64",
                "view",
            ),
            human(rng, "dave@example.com", "sre", "windows/amd64", "admin"),
            human(
                rng,
                "erin@example.com",
                "developers",
                "darwin/amd64",
                "view",
            ),
            human(
                rng,
                "kubernetes-admin",
                "kubeadm:cluster-admins",
                "linux/amd64",
                "cluster-admin",
            ),
        ];
        let ci_ident = |rng: &mut Rng, sa: &str, agent: &str| Ident {
            username: format!("system:serviceaccount:ci:{sa}"),
            uid: Some(rng.uuid()),
            groups: sa_groups("ci"),
            extra: vec![(
                "authentication.kubernetes.io/credential-id".into(),
                format!("JTI={}", rng.uuid()),
            )],
            user_agent: agent.to_owned(),
            source_ip: format!("198.51.100.{}", 10 + rng.below(40)),
            reason: format!(
                "RBAC: allowed by ClusterRoleBinding \"ci-deployer\" of ClusterRole \"ci-deployer\" to ServiceAccount \"{sa}/ci\""
            ),
        };
        let ci = vec![
            ci_ident(rng, "gitlab-deployer", "Helm/3.15.2"),
            ci_ident(
                rng,
                "github-actions",
                "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350",
            ),
        ];
        let stale_clients = (0..60)
            .map(|i| {
                if i % 3 == 0 {
                    format!("198.51.100.{}", 100 + rng.below(150))
                } else {
                    format!("10.42.{}.{}", rng.below(40), 2 + rng.below(250))
                }
            })
            .collect();
        Cluster {
            nodes,
            apps,
            controllers,
            kcm,
            scheduler,
            apiserver,
            kube_proxy,
            coredns,
            operators,
            app_sas,
            humans,
            ci,
            argocd,
            stale_clients,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Normal,
    Failed,
    Suspicious,
}

/// The target of a resource request.
#[derive(Debug, Clone, Default)]
struct Target {
    resource: &'static str,
    group: &'static str,
    version: &'static str,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<&'static str>,
}

impl Target {
    fn new(resource: &'static str, group: &'static str) -> Target {
        Target {
            resource,
            group,
            version: "v1",
            ..Target::default()
        }
    }
    fn ns(mut self, ns: impl Into<String>) -> Target {
        self.namespace = Some(ns.into());
        self
    }
    fn name(mut self, name: impl Into<String>) -> Target {
        self.name = Some(name.into());
        self
    }
    fn sub(mut self, sub: &'static str) -> Target {
        self.subresource = Some(sub);
        self
    }

    fn path(&self) -> String {
        let mut p = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if let Some(ns) = &self.namespace {
            p.push_str("/namespaces/");
            p.push_str(ns);
        }
        p.push('/');
        p.push_str(self.resource);
        if let Some(name) = &self.name {
            p.push('/');
            p.push_str(name);
        }
        if let Some(sub) = self.subresource {
            p.push('/');
            p.push_str(sub);
        }
        p
    }

    fn object_ref(&self, resource_version: Option<String>) -> V {
        let mut o = obj! { "resource" => self.resource };
        if let Some(ns) = &self.namespace {
            o.push("namespace", ns);
        }
        if let Some(name) = &self.name {
            o.push("name", name);
        }
        if !self.group.is_empty() {
            o.push("apiGroup", self.group);
        }
        o.push("apiVersion", self.version);
        if let Some(rv) = resource_version {
            o.push("resourceVersion", rv);
        }
        if let Some(sub) = self.subresource {
            o.push("subresource", sub);
        }
        o
    }
}

/// One API request, rendered once per stage.
#[derive(Debug, Clone)]
struct Req {
    audit_id: String,
    level: &'static str,
    verb: &'static str,
    uri: String,
    user: V,
    source_ips: Vec<String>,
    user_agent: String,
    target: Option<Target>,
    resource_version: Option<String>,
    code: i64,
    /// (message, reason) of a failure.
    failure: Option<(String, &'static str)>,
    request_object: Option<V>,
    response_object: Option<V>,
    received_us: i64,
    /// authorization.k8s.io/decision and reason; None when authentication failed.
    authz: Option<(&'static str, String)>,
    annotations: Vec<(&'static str, String)>,
    long_running: bool,
}

struct Gen {
    rng: Rng,
    cluster: Cluster,
    now_us: i64,
    resource_version: u64,
    suspicious: f64,
}

/// What kind of normal request to make, with its weight (per 10,000 requests).
#[derive(Debug, Clone, Copy)]
enum Kind {
    NodeLease,
    LeaderLease,
    NodeStatus,
    KubeletWatch,
    KubeletGet,
    PodStatus,
    KubeletToken,
    ControllerRead,
    ControllerWrite,
    EventCreate,
    SchedulerBind,
    SchedulerRead,
    PodCreate,
    PodDelete,
    ProxyDnsWatch,
    OperatorRead,
    OperatorWrite,
    AppRead,
    Discovery,
    Health,
    HumanRead,
    HumanWrite,
    CiDeploy,
    ArgoSync,
    RbacWrite,
    SelfReview,
    Unauthorized,
    Exec,
}

const MIX: &[(u32, Kind)] = &[
    (1500, Kind::NodeLease),
    (700, Kind::LeaderLease),
    (420, Kind::NodeStatus),
    (600, Kind::KubeletWatch),
    (350, Kind::KubeletGet),
    (380, Kind::PodStatus),
    (120, Kind::KubeletToken),
    (1250, Kind::ControllerRead),
    (650, Kind::ControllerWrite),
    (650, Kind::EventCreate),
    (120, Kind::SchedulerBind),
    (200, Kind::SchedulerRead),
    (200, Kind::PodCreate),
    (150, Kind::PodDelete),
    (330, Kind::ProxyDnsWatch),
    (1000, Kind::OperatorRead),
    (250, Kind::OperatorWrite),
    (300, Kind::AppRead),
    (420, Kind::Discovery),
    (130, Kind::Health),
    (80, Kind::HumanRead),
    (15, Kind::HumanWrite),
    (40, Kind::CiDeploy),
    (20, Kind::ArgoSync),
    (6, Kind::RbacWrite),
    (10, Kind::SelfReview),
    (100, Kind::Unauthorized),
    (1, Kind::Exec),
];

/// Share of requests refused by authorization (403), by caller, on top of the 401s of the
/// mix: the control plane almost never, kubelets now and then (the Node authorizer refuses
/// objects not bound to their pods), operators, workloads, CI and people more often
/// (missing RBAC). About 2% of all requests.
const FORBIDDEN_CONTROL_PLANE: f64 = 0.002;
const FORBIDDEN_KUBELET: f64 = 0.01;
const FORBIDDEN_OTHER: f64 = 0.07;

impl Gen {
    fn new(seed: u64, suspicious: f64) -> Gen {
        let mut rng = Rng::new(seed);
        let cluster = Cluster::new(&mut rng);
        Gen {
            rng,
            cluster,
            now_us: START_MICROS,
            resource_version: 48_000_000,
            suspicious,
        }
    }

    fn rv(&mut self) -> String {
        self.resource_version += 1 + self.rng.below(7) as u64;
        self.resource_version.to_string()
    }

    fn base(&mut self, ident: &Ident, verb: &'static str, target: Target, query: &str) -> Req {
        let mut uri = target.path();
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(query);
        }
        Req {
            audit_id: self.rng.uuid(),
            level: "Metadata",
            verb,
            uri,
            user: ident.user(),
            source_ips: vec![ident.source_ip.clone()],
            user_agent: ident.user_agent.clone(),
            target: Some(target),
            resource_version: None,
            code: 200,
            failure: None,
            request_object: None,
            response_object: None,
            received_us: self.now_us - self.rng.range(300, 9000) as i64,
            authz: Some(("allow", ident.reason.clone())),
            annotations: Vec::new(),
            long_running: false,
        }
    }

    /// A request without a resource (discovery, health).
    fn non_resource(&mut self, ident: &Ident, uri: &str) -> Req {
        let mut r = self.base(ident, "get", Target::new("", ""), "");
        r.uri = uri.to_owned();
        r.target = None;
        r
    }

    fn read(
        &mut self,
        ident: &Ident,
        resource: &'static str,
        group: &'static str,
        ns: Option<String>,
    ) -> Req {
        let verb = *self
            .rng
            .pick(&["get", "get", "list", "watch", "watch", "watch"]);
        self.read_verb(ident, verb, resource, group, ns)
    }

    fn read_verb(
        &mut self,
        ident: &Ident,
        verb: &'static str,
        resource: &'static str,
        group: &'static str,
        ns: Option<String>,
    ) -> Req {
        let mut target = Target::new(resource, group);
        if let Some(ns) = ns {
            target = target.ns(ns);
        }
        let query = match verb {
            "get" => {
                target = target.name(self.object_name(resource));
                String::new()
            }
            "list" => {
                if self.rng.chance(0.5) {
                    "limit=500&resourceVersion=0".to_owned()
                } else {
                    format!(
                        "limit=500&labelSelector=app.kubernetes.io%2Fname%3D{}",
                        self.rng.suffix(6)
                    )
                }
            }
            _ => {
                let timeout = self.rng.range(300, 600);
                format!(
                    "allowWatchBookmarks=true&resourceVersion={}&timeout={}m{}s&timeoutSeconds={timeout}&watch=true",
                    self.resource_version - self.rng.range(100, 5000),
                    timeout / 60,
                    timeout % 60
                )
            }
        };
        let mut r = self.base(ident, verb, target, &query);
        if verb == "watch" {
            r.long_running = true;
            r.received_us = self.now_us - self.rng.range(1_000_000, 590_000_000) as i64;
        }
        r
    }

    fn object_name(&mut self, resource: &str) -> String {
        let app = self.cluster.apps[self.rng.below(self.cluster.apps.len())].clone();
        match resource {
            "pods" => app.pods[self.rng.below(app.pods.len())].0.clone(),
            "replicasets" => format!("{}-{}", app.name, app.template_hash),
            "nodes" | "ciliumnodes" | "csinodes" => self.cluster.nodes
                [self.rng.below(self.cluster.nodes.len())]
            .name
            .clone(),
            "namespaces" => app.namespace.to_owned(),
            "configmaps" => {
                if self.rng.chance(0.3) {
                    "kube-root-ca.crt".into()
                } else {
                    format!("{}-config", app.name)
                }
            }
            "secrets" => {
                if self.rng.chance(0.5) {
                    format!("{}-tls", app.name)
                } else {
                    format!("{}-credentials", app.name)
                }
            }
            "serviceaccounts" => app.service_account.clone(),
            _ => app.name.to_owned(),
        }
    }

    fn app(&mut self) -> App {
        self.cluster.apps[self.rng.below(self.cluster.apps.len())].clone()
    }

    fn node(&mut self) -> Node {
        self.cluster.nodes[self.rng.below(self.cluster.nodes.len())].clone()
    }

    fn request(&mut self) -> (Req, Class) {
        // Time moves on by 0 to 10 ms per request (about 200 requests a second).
        self.now_us += self.rng.range(0, 10_000) as i64;
        if self.rng.chance(self.suspicious) {
            return (self.suspicious_request(), Class::Suspicious);
        }
        let total: u32 = MIX.iter().map(|(w, _)| w).sum();
        let mut pick = self.rng.below(total as usize) as u32;
        let mut kind = Kind::NodeLease;
        for (w, k) in MIX {
            if pick < *w {
                kind = *k;
                break;
            }
            pick -= w;
        }
        let mut req = self.normal_request(kind);
        if matches!(kind, Kind::Unauthorized) {
            return (req, Class::Failed);
        }
        let user = req.username();
        let rate = if user.starts_with("system:node:") {
            FORBIDDEN_KUBELET
        } else if user.starts_with("system:serviceaccount:kube-system:")
            && self.cluster.controllers.iter().any(|c| c.username == user)
            || matches!(
                user.as_str(),
                "system:kube-controller-manager" | "system:kube-scheduler" | "system:apiserver"
            )
        {
            FORBIDDEN_CONTROL_PLANE
        } else {
            FORBIDDEN_OTHER
        };
        if !matches!(kind, Kind::Health) && self.rng.chance(rate) {
            self.forbid(&mut req);
            return (req, Class::Failed);
        }
        (req, Class::Normal)
    }

    fn forbid(&mut self, req: &mut Req) {
        let user = req.username();
        let (what, scope) = match &req.target {
            Some(t) => {
                let group = if t.group.is_empty() {
                    String::new()
                } else {
                    t.group.to_owned()
                };
                let resource = match t.subresource {
                    Some(s) => format!("{}/{s}", t.resource),
                    None => t.resource.to_owned(),
                };
                let scope = match &t.namespace {
                    Some(ns) => format!("in the namespace \"{ns}\""),
                    None => "at the cluster scope".to_owned(),
                };
                let name = t
                    .name
                    .as_ref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default();
                (
                    format!(
                        "{resource}{name} is forbidden: User \"{user}\" cannot {} resource \"{resource}\" in API group \"{group}\"",
                        req.verb
                    ),
                    scope,
                )
            }
            None => (
                format!("forbidden: User \"{user}\" cannot get path \"{}\"", req.uri),
                String::new(),
            ),
        };
        let mut message = if scope.is_empty() {
            what
        } else {
            format!("{what} {scope}")
        };
        if let Some(node) = user.strip_prefix("system:node:") {
            message.push_str(&format!(
                ": no relationship found between node '{node}' and this object"
            ));
        }
        req.code = 403;
        req.failure = Some((message, "Forbidden"));
        req.authz = Some(("forbid", String::new()));
        req.request_object = None;
        req.response_object = None;
        req.long_running = false;
        req.level = "Metadata";
    }

    fn normal_request(&mut self, kind: Kind) -> Req {
        match kind {
            Kind::NodeLease => {
                let node = self.node();
                let target = Target::new("leases", "coordination.k8s.io")
                    .ns("kube-node-lease")
                    .name(node.name.clone());
                let verb = if self.rng.chance(0.85) {
                    "update"
                } else {
                    "get"
                };
                let mut r = self.base(&node.kubelet, verb, target, "timeout=10s");
                if verb == "update" {
                    let rv = self.rv();
                    r.resource_version = Some(rv.clone());
                    r.level = "Request";
                    let owner = obj! { "apiVersion" => "v1", "kind" => "Node", "name" => node.name.clone(), "uid" => node.uid.clone() };
                    r.request_object = Some(self.lease(
                        &node.name,
                        "kube-node-lease",
                        &node.name,
                        40,
                        Some(owner),
                        rv,
                    ));
                }
                r
            }
            Kind::LeaderLease => {
                let (ident, name, ns) = match self.rng.below(5) {
                    0 => (
                        self.cluster.kcm.clone(),
                        "kube-controller-manager",
                        "kube-system",
                    ),
                    1 => (
                        self.cluster.scheduler.clone(),
                        "kube-scheduler",
                        "kube-system",
                    ),
                    _ => {
                        let leaders: Vec<Operator> = self
                            .cluster
                            .operators
                            .iter()
                            .filter(|o| !o.lease.is_empty())
                            .cloned()
                            .collect();
                        let o = self.rng.pick(&leaders).clone();
                        (o.ident, o.lease, o.namespace)
                    }
                };
                let target = Target::new("leases", "coordination.k8s.io")
                    .ns(ns)
                    .name(name);
                let verb = if self.rng.chance(0.5) {
                    "update"
                } else {
                    "get"
                };
                let mut r = self.base(&ident, verb, target, "timeout=5s");
                if verb == "update" {
                    let rv = self.rv();
                    r.level = "Request";
                    let holder = format!(
                        "{}_{}",
                        ident.username.rsplit(':').next().unwrap_or_default(),
                        self.rng.uuid()
                    );
                    r.request_object = Some(self.lease(name, ns, &holder, 15, None, rv));
                }
                r
            }
            Kind::NodeStatus => {
                let node = self.node();
                let target = Target::new("nodes", "")
                    .name(node.name.clone())
                    .sub("status");
                let mut r = self.base(&node.kubelet, "patch", target, "timeout=10s");
                r.level = "Request";
                let t = rfc3339_seconds(self.now_us);
                r.request_object = Some(obj! {
                    "status" => obj! {
                        "$setElementOrder/conditions" => V::A(
                            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                                .iter()
                                .map(|c| obj! { "type" => *c })
                                .collect()
                        ),
                        "conditions" => V::A(
                            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                                .iter()
                                .map(|c| obj! { "lastHeartbeatTime" => t.clone(), "type" => *c })
                                .collect()
                        ),
                    },
                });
                r
            }
            Kind::KubeletWatch => {
                let node = self.node();
                let app = self.app();
                let (resource, name) = match self.rng.below(3) {
                    0 => ("secrets", format!("{}-credentials", app.name)),
                    1 => ("configmaps", format!("{}-config", app.name)),
                    _ => ("configmaps", "kube-root-ca.crt".to_owned()),
                };
                let target = Target::new(resource, "").ns(app.namespace);
                let timeout = self.rng.range(300, 600);
                let query = format!(
                    "allowWatchBookmarks=true&fieldSelector=metadata.name%3D{name}&resourceVersion={}&timeout={}m{}s&timeoutSeconds={timeout}&watch=true",
                    self.resource_version - self.rng.range(100, 50_000),
                    timeout / 60,
                    timeout % 60
                );
                let verb = if self.rng.chance(0.8) {
                    "watch"
                } else {
                    "list"
                };
                let query = if verb == "list" {
                    format!("fieldSelector=metadata.name%3D{name}&limit=500&resourceVersion=0")
                } else {
                    query
                };
                let mut r = self.base(&node.kubelet, verb, target, &query);
                r.long_running = verb == "watch";
                if r.long_running {
                    r.received_us = self.now_us - self.rng.range(1_000_000, 590_000_000) as i64;
                }
                r
            }
            Kind::KubeletGet => {
                let node = self.node();
                let app = self.app();
                let target = match self.rng.below(4) {
                    0 => Target::new("nodes", "").name(node.name.clone()),
                    1 => Target::new("pods", "")
                        .ns(app.namespace)
                        .name(app.pods[0].0.clone()),
                    2 => Target::new("configmaps", "")
                        .ns(app.namespace)
                        .name(format!("{}-config", app.name)),
                    _ => Target::new("secrets", "")
                        .ns(app.namespace)
                        .name(format!("{}-credentials", app.name)),
                };
                let verb = "get";
                self.base(&node.kubelet, verb, target, "")
            }
            Kind::PodStatus => {
                let app = self.app();
                let (pod, node_index) = app.pods[self.rng.below(app.pods.len())].clone();
                let node = self.cluster.nodes[node_index].clone();
                let target = Target::new("pods", "")
                    .ns(app.namespace)
                    .name(pod)
                    .sub("status");
                let mut r = self.base(&node.kubelet, "patch", target, "");
                r.level = "Request";
                let ready = if self.rng.chance(0.9) {
                    "True"
                } else {
                    "False"
                };
                let t = rfc3339_seconds(self.now_us);
                r.request_object = Some(obj! {
                    "metadata" => obj! { "uid" => self.rng.uuid() },
                    "status" => obj! {
                        "$setElementOrder/conditions" => V::A(
                            ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
                                .iter()
                                .map(|c| obj! { "type" => *c })
                                .collect()
                        ),
                        "conditions" => V::A(vec![
                            obj! { "lastTransitionTime" => t.clone(), "status" => ready, "type" => "Ready" },
                            obj! { "lastTransitionTime" => t, "status" => ready, "type" => "ContainersReady" },
                        ]),
                    },
                });
                r
            }
            Kind::KubeletToken => {
                let app = self.app();
                let (pod, node_index) = app.pods[self.rng.below(app.pods.len())].clone();
                let node = self.cluster.nodes[node_index].clone();
                self.token_request(
                    &node.kubelet,
                    app.namespace,
                    &app.service_account,
                    Some(&pod),
                )
            }
            Kind::ControllerRead => {
                let ident = self.rng.pick(&self.cluster.controllers).clone();
                let (resource, group, namespaced) = *self.rng.pick(CONTROLLER_READS);
                let ns = if namespaced && self.rng.chance(0.7) {
                    Some(self.app().namespace.to_owned())
                } else {
                    None
                };
                self.read(&ident, resource, group, ns)
            }
            Kind::ControllerWrite => self.controller_write(),
            Kind::EventCreate => {
                let app = self.app();
                let (ident, reason, note) = match self.rng.below(4) {
                    0 => (
                        self.cluster.nodes[app.pods[0].1].kubelet.clone(),
                        "Pulled",
                        format!(
                            "Container image \"{}\" already present on machine",
                            app.image
                        ),
                    ),
                    1 => (
                        self.cluster.scheduler.clone(),
                        "Scheduled",
                        format!(
                            "Successfully assigned {}/{} to {}",
                            app.namespace, app.pods[0].0, self.cluster.nodes[app.pods[0].1].name
                        ),
                    ),
                    2 => (
                        self.cluster.controllers[0].clone(),
                        "SuccessfulCreate",
                        format!("Created pod: {}", app.pods[0].0),
                    ),
                    _ => (
                        self.cluster.nodes[app.pods[0].1].kubelet.clone(),
                        "Unhealthy",
                        "Readiness probe failed: HTTP probe failed with statuscode: 503".to_owned(),
                    ),
                };
                let events_k8s = self.rng.chance(0.5);
                let target = if events_k8s {
                    Target::new("events", "events.k8s.io").ns(app.namespace)
                } else {
                    Target::new("events", "").ns(app.namespace)
                };
                let verb = if self.rng.chance(0.8) {
                    "create"
                } else {
                    "patch"
                };
                let mut r = self.base(&ident, verb, target, "");
                r.level = "Request";
                let t = rfc3339_micros(self.now_us);
                let pod = app.pods[0].0.clone();
                r.request_object = Some(if verb == "create" {
                    r.code = 201;
                    obj! {
                        "kind" => "Event",
                        "apiVersion" => if events_k8s { "events.k8s.io/v1" } else { "v1" },
                        "metadata" => obj! { "name" => format!("{pod}.{}", self.rng.hex(16)), "namespace" => app.namespace },
                        "eventTime" => t,
                        "reportingController" => if ident.is_node() { "kubelet" } else { "default-scheduler" },
                        "reportingInstance" => ident.username.rsplit(':').next().unwrap_or_default().to_owned(),
                        "action" => "Binding",
                        "reason" => reason,
                        "regarding" => obj! { "kind" => "Pod", "namespace" => app.namespace, "name" => pod, "uid" => self.rng.uuid(), "apiVersion" => "v1" },
                        "note" => note,
                        "type" => if reason == "Unhealthy" { "Warning" } else { "Normal" },
                    }
                } else {
                    obj! {
                        "count" => (2 + self.rng.below(40)) as i64,
                        "lastTimestamp" => rfc3339_seconds(self.now_us),
                    }
                });
                r
            }
            Kind::SchedulerBind => {
                let app = self.app();
                let (pod, node_index) = app.pods[self.rng.below(app.pods.len())].clone();
                let node = self.cluster.nodes[node_index].name.clone();
                let ident = self.cluster.scheduler.clone();
                let target = Target::new("pods", "")
                    .ns(app.namespace)
                    .name(pod.clone())
                    .sub("binding");
                let mut r = self.base(&ident, "create", target, "");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "Binding",
                    "apiVersion" => "v1",
                    "metadata" => obj! { "name" => pod, "namespace" => app.namespace, "uid" => self.rng.uuid() },
                    "target" => obj! { "kind" => "Node", "name" => node },
                });
                r
            }
            Kind::SchedulerRead => {
                let ident = self.cluster.scheduler.clone();
                let (resource, group) = *self.rng.pick(&[
                    ("pods", ""),
                    ("nodes", ""),
                    ("persistentvolumeclaims", ""),
                    ("csinodes", "storage.k8s.io"),
                    ("storageclasses", "storage.k8s.io"),
                    ("poddisruptionbudgets", "policy"),
                ]);
                let verb = *self.rng.pick(&["list", "watch", "watch"]);
                self.read_verb(&ident, verb, resource, group, None)
            }
            Kind::PodCreate => {
                let app = self.app();
                let ident = self.cluster.controllers[0].clone();
                let pod = format!("{}-{}-{}", app.name, app.template_hash, self.rng.suffix(5));
                let target = Target::new("pods", "").ns(app.namespace);
                let mut r = self.base(&ident, "create", target, "");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(self.pod(&app, None, false));
                if self.rng.chance(0.3) {
                    r.level = "RequestResponse";
                    let mut resp = self.pod(&app, Some(&pod), true);
                    if let V::O(pairs) = &mut resp {
                        pairs.push((
                            "status".into(),
                            obj! { "phase" => "Pending", "qosClass" => "Burstable" },
                        ));
                    }
                    r.response_object = Some(resp);
                }
                r.annotations.push((
                    "pod-security.kubernetes.io/enforce-policy",
                    "baseline:latest".to_owned(),
                ));
                r
            }
            Kind::PodDelete => {
                let app = self.app();
                let pod = app.pods[self.rng.below(app.pods.len())].0.clone();
                let ident = if self.rng.chance(0.7) {
                    self.cluster.controllers[0].clone()
                } else {
                    self.cluster.controllers[7].clone()
                };
                let target = Target::new("pods", "").ns(app.namespace).name(pod);
                let mut r = self.base(&ident, "delete", target, "");
                r.level = "Request";
                r.request_object = Some(obj! {
                    "kind" => "DeleteOptions",
                    "apiVersion" => "v1",
                    "preconditions" => obj! { "uid" => self.rng.uuid() },
                    "propagationPolicy" => "Background",
                });
                r
            }
            Kind::ProxyDnsWatch => {
                let ident = if self.rng.chance(0.7) {
                    self.rng.pick(&self.cluster.kube_proxy).clone()
                } else {
                    self.cluster.coredns.clone()
                };
                let (resource, group) = *self.rng.pick(&[
                    ("endpointslices", "discovery.k8s.io"),
                    ("services", ""),
                    ("nodes", ""),
                    ("namespaces", ""),
                ]);
                let verb = if self.rng.chance(0.85) {
                    "watch"
                } else {
                    "list"
                };
                self.read_verb(&ident, verb, resource, group, None)
            }
            Kind::OperatorRead => {
                let op = self.rng.pick(&self.cluster.operators).clone();
                let (resource, group, namespaced) = *self.rng.pick(op.reads);
                let ns = if namespaced && self.rng.chance(0.4) {
                    Some(self.app().namespace.to_owned())
                } else {
                    None
                };
                // Informers: mostly watches, lists on resync, a few gets.
                let verb = *self
                    .rng
                    .pick(&["watch", "watch", "watch", "watch", "list", "get"]);
                self.read_verb(&op.ident, verb, resource, group, ns)
            }
            Kind::OperatorWrite => self.operator_write(),
            Kind::AppRead => {
                let i = self.rng.below(self.cluster.apps.len());
                let app = self.cluster.apps[i].clone();
                let ident = self.cluster.app_sas[i].clone();
                match self.rng.below(3) {
                    0 => {
                        let target = Target::new("leases", "coordination.k8s.io")
                            .ns(app.namespace)
                            .name(format!("{}-leader", app.name));
                        let verb = if self.rng.chance(0.5) {
                            "get"
                        } else {
                            "update"
                        };
                        self.base(&ident, verb, target, "")
                    }
                    1 => {
                        let target = Target::new("configmaps", "")
                            .ns(app.namespace)
                            .name(format!("{}-config", app.name));
                        self.base(&ident, "get", target, "")
                    }
                    _ => self.read_verb(
                        &ident,
                        "watch",
                        "configmaps",
                        "",
                        Some(app.namespace.to_owned()),
                    ),
                }
            }
            Kind::Discovery => {
                let ident = match self.rng.below(4) {
                    0 => self.rng.pick(&self.cluster.controllers).clone(),
                    1 => self.rng.pick(&self.cluster.operators).ident.clone(),
                    2 => self.node().kubelet,
                    _ => self.cluster.apiserver.clone(),
                };
                let uri = *self.rng.pick(&[
                    "/api?timeout=32s",
                    "/apis?timeout=32s",
                    "/openapi/v3?timeout=32s",
                    "/version?timeout=32s",
                ]);
                let mut r = self.non_resource(&ident, uri);
                r.authz = Some((
                    "allow",
                    "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"".to_owned(),
                ));
                r
            }
            Kind::Health => {
                let anon = Ident {
                    username: "system:anonymous".into(),
                    uid: None,
                    groups: vec!["system:unauthenticated".into()],
                    extra: Vec::new(),
                    user_agent: (*self.rng.pick(&["ELB-HealthChecker/2.0", "kube-probe/1.30", "Go-http-client/2.0"])).to_owned(),
                    source_ip: format!("10.0.{}.{}", 1 + self.rng.below(3), 4 + self.rng.below(250)),
                    reason: "RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\"".into(),
                };
                let uri = *self.rng.pick(&[
                    "/healthz",
                    "/livez",
                    "/readyz",
                    "/readyz?verbose",
                    "/version",
                ]);
                self.non_resource(&anon, uri)
            }
            Kind::HumanRead => {
                let ident = self.rng.pick(&self.cluster.humans).clone();
                let app = self.app();
                match self.rng.below(6) {
                    0 | 1 => {
                        self.read_verb(&ident, "list", "pods", "", Some(app.namespace.to_owned()))
                    }
                    2 => {
                        let pod = app.pods[0].0.clone();
                        let target = Target::new("pods", "")
                            .ns(app.namespace)
                            .name(pod)
                            .sub("log");
                        let container = app.name;
                        self.base(
                            &ident,
                            "get",
                            target,
                            &format!("container={container}&follow=true&tailLines=100"),
                        )
                    }
                    3 => self.read_verb(
                        &ident,
                        "get",
                        "deployments",
                        "apps",
                        Some(app.namespace.to_owned()),
                    ),
                    4 => {
                        self.read_verb(&ident, "list", "events", "", Some(app.namespace.to_owned()))
                    }
                    _ => self.read_verb(
                        &ident,
                        "list",
                        "services",
                        "",
                        Some(app.namespace.to_owned()),
                    ),
                }
            }
            Kind::HumanWrite => {
                let ident = self.rng.pick(&self.cluster.humans).clone();
                let app = self.app();
                match self.rng.below(3) {
                    0 => {
                        let pod = app.pods[self.rng.below(app.pods.len())].0.clone();
                        let target = Target::new("pods", "").ns(app.namespace).name(pod);
                        self.base(&ident, "delete", target, "")
                    }
                    1 => {
                        let target = Target::new("deployments", "apps")
                            .ns(app.namespace)
                            .name(app.name)
                            .sub("scale");
                        let mut r = self.base(&ident, "patch", target, "");
                        r.level = "Request";
                        r.request_object = Some(
                            obj! { "spec" => obj! { "replicas" => (2 + self.rng.below(6)) as i64 } },
                        );
                        r
                    }
                    _ => {
                        let target = Target::new("deployments", "apps")
                            .ns(app.namespace)
                            .name(app.name);
                        let mut r =
                            self.base(&ident, "patch", target, "fieldManager=kubectl-rollout");
                        r.level = "Request";
                        r.request_object = Some(obj! {
                            "spec" => obj! { "template" => obj! { "metadata" => obj! {
                                "annotations" => obj! { "kubectl.kubernetes.io/restartedAt" => rfc3339_seconds(self.now_us) },
                            } } },
                        });
                        r
                    }
                }
            }
            Kind::CiDeploy => self.ci_deploy(),
            Kind::ArgoSync => {
                let ident = self.cluster.argocd.clone();
                let app = self.app();
                let target = Target::new("deployments", "apps")
                    .ns(app.namespace)
                    .name(app.name);
                let mut r = self.base(
                    &ident,
                    "patch",
                    target,
                    "fieldManager=argocd-controller&force=true",
                );
                r.level = "Request";
                r.request_object = Some(self.deployment(&app));
                r
            }
            Kind::RbacWrite => {
                let ident = if self.rng.chance(0.5) {
                    self.cluster.argocd.clone()
                } else {
                    self.cluster.ci[0].clone()
                };
                let app = self.app();
                let target =
                    Target::new("rolebindings", "rbac.authorization.k8s.io").ns(app.namespace);
                let mut r = self.base(&ident, "create", target, "fieldManager=helm");
                r.level = "Request";
                r.code = 201;
                let role = *self.rng.pick(&["view", "app-reader", "leader-election"]);
                r.request_object = Some(obj! {
                    "kind" => "RoleBinding",
                    "apiVersion" => "rbac.authorization.k8s.io/v1",
                    "metadata" => obj! {
                        "name" => format!("{}-{role}", app.name),
                        "namespace" => app.namespace,
                        "labels" => obj! { "app.kubernetes.io/managed-by" => "Helm", "app.kubernetes.io/name" => app.name },
                    },
                    "subjects" => V::A(vec![
                        obj! { "kind" => "ServiceAccount", "name" => app.service_account.clone(), "namespace" => app.namespace },
                        obj! { "kind" => "Group", "apiGroup" => "rbac.authorization.k8s.io", "name" => format!("{}-oncall", app.namespace) },
                    ]),
                    "roleRef" => obj! { "apiGroup" => "rbac.authorization.k8s.io", "kind" => "ClusterRole", "name" => role },
                });
                r
            }
            Kind::SelfReview => {
                let ident = if self.rng.chance(0.5) {
                    self.rng.pick(&self.cluster.humans).clone()
                } else {
                    self.cluster.argocd.clone()
                };
                let target = Target::new("selfsubjectaccessreviews", "authorization.k8s.io");
                let mut r = self.base(&ident, "create", target, "");
                r.level = "Request";
                r.code = 201;
                let app = self.app();
                r.request_object = Some(obj! {
                    "kind" => "SelfSubjectAccessReview",
                    "apiVersion" => "authorization.k8s.io/v1",
                    "metadata" => obj! { "creationTimestamp" => V::Null },
                    "spec" => obj! { "resourceAttributes" => obj! { "namespace" => app.namespace, "verb" => "create", "resource" => "deployments", "group" => "apps" } },
                    "status" => obj! { "allowed" => false },
                });
                r
            }
            Kind::Unauthorized => {
                let ip = self.rng.pick(&self.cluster.stale_clients).clone();
                let app = self.app();
                let agent = *self.rng.pick(&[
                    "Go-client/1.0 (linux/amd64) kubernetes/$Format",
                    "kubectl/v1.27.3 (linux/amd64) kubernetes/25b4e43",
                    "OpenAPI-Generator/29.0.0/python",
                ]);
                let resource = *self
                    .rng
                    .pick(&["pods", "configmaps", "services", "endpoints"]);
                let nobody = Ident {
                    username: String::new(),
                    uid: None,
                    groups: Vec::new(),
                    extra: Vec::new(),
                    user_agent: agent.to_owned(),
                    source_ip: ip,
                    reason: String::new(),
                };
                let mut r = self.read_verb(
                    &nobody,
                    "list",
                    resource,
                    "",
                    Some(app.namespace.to_owned()),
                );
                r.user = V::O(Vec::new());
                r.code = 401;
                r.failure = Some(("Unauthorized".into(), "Unauthorized"));
                r.authz = None;
                r
            }
            Kind::Exec => {
                // A CI job running a command in a job pod (Kubernetes executor).
                let ident = self.cluster.ci[0].clone();
                let app = self.app();
                let pod = app.pods[0].0.clone();
                self.exec(
                    &ident,
                    app.namespace,
                    &pod,
                    app.name,
                    "sh%20-c%20make%20test",
                )
            }
        }
    }

    fn controller_write(&mut self) -> Req {
        let app = self.app();
        match self.rng.below(6) {
            0 | 1 => {
                // Status updates of workloads.
                let (ident, target) = if self.rng.chance(0.5) {
                    (
                        self.cluster.controllers[0].clone(),
                        Target::new("replicasets", "apps")
                            .ns(app.namespace)
                            .name(format!("{}-{}", app.name, app.template_hash))
                            .sub("status"),
                    )
                } else {
                    (
                        self.cluster.controllers[1].clone(),
                        Target::new("deployments", "apps")
                            .ns(app.namespace)
                            .name(app.name)
                            .sub("status"),
                    )
                };
                let mut r = self.base(&ident, "update", target, "");
                let rv = self.rv();
                r.resource_version = Some(rv.clone());
                r.level = "Request";
                let replicas = app.pods.len() as i64;
                let t = rfc3339_seconds(self.now_us);
                r.request_object = Some(obj! {
                    "metadata" => obj! {
                        "name" => r.target.as_ref().and_then(|t| t.name.clone()).unwrap_or_default(),
                        "namespace" => app.namespace,
                        "uid" => app.rs_uid.clone(),
                        "resourceVersion" => rv,
                        "generation" => (3 + self.rng.below(40)) as i64,
                        "labels" => Gen::labels(&app),
                    },
                    "status" => obj! {
                        "replicas" => replicas,
                        "fullyLabeledReplicas" => replicas,
                        "readyReplicas" => replicas,
                        "availableReplicas" => replicas,
                        "observedGeneration" => (3 + self.rng.below(40)) as i64,
                        "conditions" => V::A(vec![obj! {
                            "type" => "Available", "status" => "True", "lastUpdateTime" => t.clone(), "lastTransitionTime" => t,
                            "reason" => "MinimumReplicasAvailable", "message" => "Deployment has minimum availability.",
                        }]),
                    },
                });
                r
            }
            2 | 3 => {
                let ident = self.cluster.controllers[2].clone();
                let slice = format!("{}-{}", app.name, self.rng.suffix(5));
                let target = Target::new("endpointslices", "discovery.k8s.io")
                    .ns(app.namespace)
                    .name(slice.clone());
                let mut r = self.base(&ident, "update", target, "");
                let rv = self.rv();
                r.resource_version = Some(rv.clone());
                r.level = "Request";
                let endpoints = app
                    .pods
                    .iter()
                    .map(|(pod, node)| {
                        obj! {
                            "addresses" => strs(&[format!("10.42.{}.{}", node, 2 + pod.len() * 3)]),
                            "conditions" => obj! { "ready" => true, "serving" => true, "terminating" => false },
                            "targetRef" => obj! { "kind" => "Pod", "namespace" => app.namespace, "name" => pod.clone() },
                            "nodeName" => self.cluster.nodes[*node].name.clone(),
                        }
                    })
                    .collect();
                r.request_object = Some(obj! {
                    "kind" => "EndpointSlice",
                    "apiVersion" => "discovery.k8s.io/v1",
                    "metadata" => obj! {
                        "name" => slice,
                        "generateName" => format!("{}-", app.name),
                        "namespace" => app.namespace,
                        "resourceVersion" => rv,
                        "labels" => obj! { "endpointslice.kubernetes.io/managed-by" => "endpointslice-controller.k8s.io", "kubernetes.io/service-name" => app.name },
                    },
                    "addressType" => "IPv4",
                    "endpoints" => V::A(endpoints),
                    "ports" => V::A(vec![obj! { "name" => "http", "protocol" => "TCP", "port" => app.port }]),
                });
                r
            }
            4 => {
                let ident = self.cluster.controllers[3].clone();
                let target = Target::new("endpoints", "")
                    .ns(app.namespace)
                    .name(app.name);
                self.base(&ident, "update", target, "")
            }
            _ => {
                let ident = self.cluster.controllers[4].clone();
                let target = Target::new("endpointslices", "discovery.k8s.io")
                    .ns("default")
                    .name("kubernetes");
                self.base(&ident, "get", target, "")
            }
        }
    }

    fn operator_write(&mut self) -> Req {
        let op = self.rng.pick(&self.cluster.operators).clone();
        let app = self.app();
        match op.ident.username.rsplit(':').next().unwrap_or_default() {
            "cert-manager" => {
                let target = Target::new("certificates", "cert-manager.io")
                    .ns(app.namespace)
                    .name(format!("{}-tls", app.name))
                    .sub("status");
                let mut r = self.base(&op.ident, "update", target, "");
                r.resource_version = Some(self.rv());
                r
            }
            "ingress-nginx" => {
                let target = Target::new("ingresses", "networking.k8s.io")
                    .ns(app.namespace)
                    .name(app.name)
                    .sub("status");
                self.base(&op.ident, "update", target, "")
            }
            "argocd-application-controller" => {
                let target = Target::new("applications", "argoproj.io")
                    .ns("argocd")
                    .name(format!("{}-{}", app.namespace, app.name));
                let mut r = self.base(&op.ident, "patch", target, "");
                r.level = "Request";
                r.request_object = Some(obj! {
                    "status" => obj! {
                        "health" => obj! { "status" => "Healthy" },
                        "reconciledAt" => rfc3339_seconds(self.now_us),
                        "sync" => obj! { "status" => "Synced", "revision" => self.rng.hex(40) },
                    },
                });
                r
            }
            "cilium" | "cilium-operator" => {
                let target = Target::new("ciliumendpoints", "cilium.io")
                    .ns(app.namespace)
                    .name(app.pods[0].0.clone())
                    .sub("status");
                self.base(&op.ident, "patch", target, "")
            }
            _ => {
                let target = Target::new("configmaps", "").ns(op.namespace).name(format!(
                    "{}-state",
                    op.ident.username.rsplit(':').next().unwrap_or("op")
                ));
                let mut r = self.base(&op.ident, "update", target, "");
                r.level = "Request";
                r.request_object = Some(obj! {
                    "kind" => "ConfigMap",
                    "apiVersion" => "v1",
                    "metadata" => obj! { "name" => "state", "namespace" => op.namespace, "resourceVersion" => self.rv() },
                    "data" => obj! { "last-scan" => rfc3339_seconds(self.now_us), "nodes" => "40", "status" => "ok" },
                });
                r
            }
        }
    }

    fn ci_deploy(&mut self) -> Req {
        let ident = self.rng.pick(&self.cluster.ci).clone();
        let app = self.app();
        match self.rng.below(8) {
            0 | 1 => self.read_verb(
                &ident,
                "get",
                "deployments",
                "apps",
                Some(app.namespace.to_owned()),
            ),
            2 => {
                let target = Target::new("deployments", "apps")
                    .ns(app.namespace)
                    .name(app.name);
                let mut r = self.base(&ident, "patch", target, "fieldManager=helm");
                r.level = "Request";
                r.request_object = Some(self.deployment(&app));
                r
            }
            3 => {
                // Helm release records.
                let target = Target::new("secrets", "").ns(app.namespace).name(format!(
                    "sh.helm.release.v1.{}.v{}",
                    app.name,
                    10 + self.rng.below(90)
                ));
                let verb = if self.rng.chance(0.5) {
                    "get"
                } else {
                    "create"
                };
                let mut r = self.base(&ident, verb, target, "");
                if verb == "create" {
                    r.code = 201;
                }
                r
            }
            4 => self
                .read_verb(
                    &ident,
                    "list",
                    "secrets",
                    "",
                    Some(app.namespace.to_owned()),
                )
                .with_query("labelSelector=owner%3Dhelm&limit=500"),
            5 => {
                let target = Target::new("configmaps", "").ns(app.namespace);
                let mut r = self.base(&ident, "create", target, "fieldManager=helm");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "ConfigMap",
                    "apiVersion" => "v1",
                    "metadata" => obj! {
                        "name" => format!("{}-config-{}", app.name, self.rng.hex(8)),
                        "namespace" => app.namespace,
                        "labels" => obj! { "app.kubernetes.io/managed-by" => "Helm", "app.kubernetes.io/name" => app.name },
                    },
                    "data" => obj! {
                        "LOG_LEVEL" => "info",
                        "FEATURE_FLAGS" => "new-checkout,fast-search",
                        "UPSTREAM_URL" => format!("http://{}.{}.svc.cluster.local:8080", app.name, app.namespace),
                        "config.yaml" => "server:\n  port: 8080\n  gracefulShutdown: 20s\nmetrics:\n  enabled: true\n",
                    },
                });
                r
            }
            6 => {
                let target = Target::new("services", "").ns(app.namespace).name(app.name);
                let mut r = self.base(&ident, "patch", target, "fieldManager=helm");
                r.level = "Request";
                r.request_object = Some(obj! {
                    "metadata" => obj! { "labels" => obj! { "helm.sh/chart" => format!("{}-1.{}.0", app.name, self.rng.below(30)) } },
                });
                r
            }
            _ => self.read_verb(&ident, "list", "pods", "", Some(app.namespace.to_owned())),
        }
    }

    fn lease(
        &mut self,
        name: &str,
        ns: &str,
        holder: &str,
        duration: i64,
        owner: Option<V>,
        rv: String,
    ) -> V {
        let mut meta = obj! {
            "name" => name.to_owned(),
            "namespace" => ns.to_owned(),
            "uid" => self.rng.uuid(),
            "resourceVersion" => rv,
            "creationTimestamp" => rfc3339_seconds(START_MICROS - 86_400_000_000 * 12),
        };
        if let Some(owner) = owner {
            meta.push("ownerReferences", V::A(vec![owner]));
        }
        obj! {
            "kind" => "Lease",
            "apiVersion" => "coordination.k8s.io/v1",
            "metadata" => meta,
            "spec" => obj! {
                "holderIdentity" => holder.to_owned(),
                "leaseDurationSeconds" => duration,
                "acquireTime" => rfc3339_micros(START_MICROS - 3_600_000_000),
                "renewTime" => rfc3339_micros(self.now_us),
                "leaseTransitions" => 3_i64,
            },
        }
    }

    fn token_request(&mut self, ident: &Ident, ns: &str, sa: &str, pod: Option<&str>) -> Req {
        let target = Target::new("serviceaccounts", "")
            .ns(ns)
            .name(sa)
            .sub("token");
        let mut r = self.base(ident, "create", target, "");
        r.level = "Request";
        r.code = 201;
        let mut spec = obj! {
            "audiences" => strs(&["https://kubernetes.default.svc.cluster.local"]),
            "expirationSeconds" => 3607_i64,
        };
        if let Some(pod) = pod {
            spec.push(
                "boundObjectRef",
                obj! { "kind" => "Pod", "apiVersion" => "v1", "name" => pod.to_owned(), "uid" => self.rng.uuid() },
            );
        } else {
            spec.push("boundObjectRef", V::Null);
        }
        r.request_object = Some(obj! {
            "kind" => "TokenRequest",
            "apiVersion" => "authentication.k8s.io/v1",
            "metadata" => obj! { "creationTimestamp" => V::Null },
            "spec" => spec,
            "status" => obj! { "token" => "", "expirationTimestamp" => V::Null },
        });
        r
    }

    fn exec(&mut self, ident: &Ident, ns: &str, pod: &str, container: &str, command: &str) -> Req {
        let target = Target::new("pods", "")
            .ns(ns.to_owned())
            .name(pod.to_owned())
            .sub("exec");
        let mut query = String::new();
        for part in command.split("%20") {
            query.push_str("command=");
            query.push_str(part);
            query.push('&');
        }
        query.push_str(&format!(
            "container={container}&stdin=true&stdout=true&tty=true"
        ));
        let mut r = self.base(ident, "create", target, &query);
        r.verb = "create";
        r.code = 101;
        r.long_running = true;
        r
    }

    fn container(&mut self, name: &str, image: &str, port: i64, hardened: bool) -> V {
        let mut c = obj! {
            "name" => name.to_owned(),
            "image" => image.to_owned(),
        };
        if self.rng.chance(0.3) {
            c.push(
                "args",
                strs(&["--config=/etc/app/config.yaml", "--log-format=json"]),
            );
        }
        c.push(
            "ports",
            V::A(vec![
                obj! { "name" => "http", "containerPort" => port, "protocol" => "TCP" },
                obj! { "name" => "metrics", "containerPort" => 9102_i64, "protocol" => "TCP" },
            ]),
        );
        c.push(
            "env",
            V::A(vec![
                obj! { "name" => "LOG_LEVEL", "value" => "info" },
                obj! { "name" => "POD_NAME", "valueFrom" => obj! { "fieldRef" => obj! { "apiVersion" => "v1", "fieldPath" => "metadata.name" } } },
                obj! { "name" => "POD_NAMESPACE", "valueFrom" => obj! { "fieldRef" => obj! { "apiVersion" => "v1", "fieldPath" => "metadata.namespace" } } },
                obj! { "name" => "DB_PASSWORD", "valueFrom" => obj! { "secretKeyRef" => obj! { "name" => format!("{name}-credentials"), "key" => "password" } } },
            ]),
        );
        c.push(
            "resources",
            obj! {
                "limits" => obj! { "cpu" => "1", "memory" => "512Mi" },
                "requests" => obj! { "cpu" => "100m", "memory" => "256Mi" },
            },
        );
        c.push(
            "volumeMounts",
            V::A(vec![
                obj! { "name" => "config", "readOnly" => true, "mountPath" => "/etc/app" },
                obj! { "name" => "tmp", "mountPath" => "/tmp" },
            ]),
        );
        let probe = |path: &'static str| {
            obj! {
                "httpGet" => obj! { "path" => path, "port" => port, "scheme" => "HTTP" },
                "timeoutSeconds" => 1_i64,
                "periodSeconds" => 10_i64,
                "successThreshold" => 1_i64,
                "failureThreshold" => 3_i64,
            }
        };
        c.push("livenessProbe", probe("/healthz"));
        c.push("readinessProbe", probe("/readyz"));
        c.push("terminationMessagePath", "/dev/termination-log");
        c.push("terminationMessagePolicy", "File");
        c.push("imagePullPolicy", "IfNotPresent");
        if hardened {
            c.push(
                "securityContext",
                obj! {
                    "capabilities" => obj! { "drop" => strs(&["ALL"]) },
                    "runAsNonRoot" => true,
                    "readOnlyRootFilesystem" => true,
                    "allowPrivilegeEscalation" => false,
                },
            );
        } else {
            c.push(
                "securityContext",
                obj! { "allowPrivilegeEscalation" => false },
            );
        }
        c
    }

    fn pod_spec(&mut self, app: &App) -> V {
        let hardened = self.rng.chance(0.8);
        let mut containers = vec![self.container(app.name, &app.image, app.port, hardened)];
        if app.sidecar {
            let mut sidecar = obj! {
                "name" => "log-shipper",
                "image" => "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2",
                "resources" => obj! { "limits" => obj! { "memory" => "128Mi" }, "requests" => obj! { "cpu" => "20m", "memory" => "64Mi" } },
                "volumeMounts" => V::A(vec![obj! { "name" => "tmp", "mountPath" => "/var/log/app" }]),
                "terminationMessagePath" => "/dev/termination-log",
                "terminationMessagePolicy" => "File",
                "imagePullPolicy" => "IfNotPresent",
            };
            sidecar.push(
                "securityContext",
                obj! { "runAsUser" => 0_i64, "readOnlyRootFilesystem" => true },
            );
            containers.push(sidecar);
        }
        obj! {
            "volumes" => V::A(vec![
                obj! { "name" => "config", "configMap" => obj! { "name" => format!("{}-config", app.name), "defaultMode" => 420_i64 } },
                obj! { "name" => "tmp", "emptyDir" => obj! { "sizeLimit" => "256Mi" } },
            ]),
            "containers" => V::A(containers),
            "restartPolicy" => "Always",
            "terminationGracePeriodSeconds" => 30_i64,
            "dnsPolicy" => "ClusterFirst",
            "serviceAccountName" => app.service_account.clone(),
            "serviceAccount" => app.service_account.clone(),
            "securityContext" => obj! {
                "runAsUser" => 10001_i64,
                "runAsGroup" => 10001_i64,
                "fsGroup" => 10001_i64,
                "seccompProfile" => obj! { "type" => "RuntimeDefault" },
            },
            "affinity" => obj! { "podAntiAffinity" => obj! { "preferredDuringSchedulingIgnoredDuringExecution" => V::A(vec![obj! {
                "weight" => 100_i64,
                "podAffinityTerm" => obj! {
                    "labelSelector" => obj! { "matchLabels" => obj! { "app.kubernetes.io/name" => app.name } },
                    "topologyKey" => "kubernetes.io/hostname",
                },
            }]) } },
            "schedulerName" => "default-scheduler",
            "tolerations" => V::A(vec![
                obj! { "key" => "node.kubernetes.io/not-ready", "operator" => "Exists", "effect" => "NoExecute", "tolerationSeconds" => 300_i64 },
            ]),
            "enableServiceLinks" => false,
        }
    }

    fn labels(app: &App) -> V {
        obj! {
            "app.kubernetes.io/name" => app.name,
            "app.kubernetes.io/part-of" => app.namespace,
            "pod-template-hash" => app.template_hash.clone(),
        }
    }

    fn pod(&mut self, app: &App, name: Option<&str>, response: bool) -> V {
        let mut meta = match name {
            Some(name) => {
                obj! { "name" => name.to_owned(), "generateName" => format!("{}-{}-", app.name, app.template_hash) }
            }
            None => obj! { "generateName" => format!("{}-{}-", app.name, app.template_hash) },
        };
        meta.push("namespace", app.namespace);
        if response {
            meta.push("uid", self.rng.uuid());
            meta.push("resourceVersion", self.rv());
            meta.push("creationTimestamp", rfc3339_seconds(self.now_us));
        } else {
            meta.push("creationTimestamp", V::Null);
        }
        meta.push("labels", Gen::labels(app));
        meta.push(
            "annotations",
            obj! { "prometheus.io/scrape" => "true", "prometheus.io/port" => "9102" },
        );
        meta.push(
            "ownerReferences",
            V::A(vec![obj! {
                "apiVersion" => "apps/v1",
                "kind" => "ReplicaSet",
                "name" => format!("{}-{}", app.name, app.template_hash),
                "uid" => app.rs_uid.clone(),
                "controller" => true,
                "blockOwnerDeletion" => true,
            }]),
        );
        obj! {
            "kind" => "Pod",
            "apiVersion" => "v1",
            "metadata" => meta,
            "spec" => self.pod_spec(app),
        }
    }

    fn deployment(&mut self, app: &App) -> V {
        let spec = self.pod_spec(app);
        obj! {
            "apiVersion" => "apps/v1",
            "kind" => "Deployment",
            "metadata" => obj! {
                "name" => app.name,
                "namespace" => app.namespace,
                "labels" => obj! { "app.kubernetes.io/name" => app.name, "app.kubernetes.io/managed-by" => "Helm" },
            },
            "spec" => obj! {
                "replicas" => app.pods.len() as i64,
                "selector" => obj! { "matchLabels" => obj! { "app.kubernetes.io/name" => app.name } },
                "strategy" => obj! { "type" => "RollingUpdate", "rollingUpdate" => obj! { "maxSurge" => "25%", "maxUnavailable" => 0_i64 } },
                "template" => obj! {
                    "metadata" => obj! { "labels" => obj! { "app.kubernetes.io/name" => app.name } },
                    "spec" => spec,
                },
            },
        }
    }

    // -----------------------------------------------------------------------------------
    // Suspicious requests (about 0.1%)
    // -----------------------------------------------------------------------------------

    fn suspicious_request(&mut self) -> Req {
        let human = self.cluster.humans[1 + self.rng.below(self.cluster.humans.len() - 1)].clone();
        let app = self.app();
        match self.rng.below(10) {
            0 => {
                // Privileged pod with the host's PID namespace and root filesystem.
                let target = Target::new("pods", "").ns("default");
                let mut r = self.base(&human, "create", target, "fieldManager=kubectl-run");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "Pod",
                    "apiVersion" => "v1",
                    "metadata" => obj! { "name" => format!("debug-{}", self.rng.suffix(5)), "namespace" => "default", "creationTimestamp" => V::Null },
                    "spec" => obj! {
                        "volumes" => V::A(vec![obj! { "name" => "host", "hostPath" => obj! { "path" => "/", "type" => "" } }]),
                        "containers" => V::A(vec![obj! {
                            "name" => "debug",
                            "image" => "docker.io/library/ubuntu:22.04",
                            "command" => strs(&["sleep", "infinity"]),
                            "resources" => obj! {},
                            "volumeMounts" => V::A(vec![obj! { "name" => "host", "mountPath" => "/host" }]),
                            "imagePullPolicy" => "IfNotPresent",
                            "securityContext" => obj! { "privileged" => true },
                        }]),
                        "restartPolicy" => "Never",
                        "hostPID" => true,
                        "hostNetwork" => true,
                    },
                });
                r
            }
            1 => {
                let pod = app.pods[0].0.clone();
                self.exec(&human, app.namespace, &pod, app.name, "%2Fbin%2Fsh")
            }
            2 => {
                // cluster-admin for a service account, from a CI token.
                let ident = self.cluster.ci[1].clone();
                let target = Target::new("clusterrolebindings", "rbac.authorization.k8s.io");
                let mut r = self.base(&ident, "create", target, "fieldManager=kubectl-create");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "ClusterRoleBinding",
                    "apiVersion" => "rbac.authorization.k8s.io/v1",
                    "metadata" => obj! { "name" => format!("maintenance-{}", self.rng.suffix(4)), "creationTimestamp" => V::Null },
                    "subjects" => V::A(vec![obj! { "kind" => "ServiceAccount", "name" => "default", "namespace" => app.namespace }]),
                    "roleRef" => obj! { "apiGroup" => "rbac.authorization.k8s.io", "kind" => "ClusterRole", "name" => "cluster-admin" },
                });
                r
            }
            3 => {
                // A miner, as a pod created with an app's stolen token.
                let i = self.rng.below(self.cluster.apps.len());
                let ident = self.cluster.app_sas[i].clone();
                let ns = self.cluster.apps[i].namespace;
                let target = Target::new("pods", "").ns(ns);
                let mut r = self.base(&ident, "create", target, "");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "Pod",
                    "apiVersion" => "v1",
                    "metadata" => obj! { "name" => format!("kube-metrics-{}", self.rng.suffix(5)), "namespace" => ns },
                    "spec" => obj! {
                        "containers" => V::A(vec![obj! {
                            "name" => "worker",
                            "image" => "xmrig/xmrig:latest",
                            "args" => strs(&["-o", "stratum+tcp://pool.supportxmr.com:3333", "--donate-level=1", "-u", "44AFFq5kSiGBoZ"]),
                            "resources" => obj! { "limits" => obj! { "cpu" => "4" } },
                        }]),
                        "restartPolicy" => "Always",
                    },
                });
                r
            }
            4 => {
                let target = Target::new("secrets", "")
                    .ns(app.namespace)
                    .name(format!("{}-credentials", app.name));
                self.base(&human, "get", target, "")
            }
            5 => self.token_request(
                &human,
                "kube-system",
                "clusterrole-aggregation-controller",
                None,
            ),
            6 => {
                // A pod's token used with curl to list secrets.
                let i = self.rng.below(self.cluster.apps.len());
                let mut ident = self.cluster.app_sas[i].clone();
                ident.user_agent = "curl/8.5.0".into();
                let ns = self.cluster.apps[i].namespace.to_owned();
                self.read_verb(&ident, "list", "secrets", "", Some(ns))
            }
            7 => {
                let anon = Ident {
                    username: "system:anonymous".into(),
                    uid: None,
                    groups: vec!["system:unauthenticated".into()],
                    extra: Vec::new(),
                    user_agent: "python-requests/2.31.0".into(),
                    source_ip: format!("203.0.113.{}", self.rng.below(250)),
                    reason: "RBAC: allowed by ClusterRoleBinding \"debug-anon\" of ClusterRole \"view\" to User \"system:anonymous\"".into(),
                };
                self.read_verb(&anon, "list", "pods", "", None)
            }
            8 => {
                // A DaemonSet mounting the container runtime socket.
                let target = Target::new("daemonsets", "apps").ns("kube-system");
                let mut r = self.base(
                    &human,
                    "create",
                    target,
                    "fieldManager=kubectl-client-side-apply",
                );
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "DaemonSet",
                    "apiVersion" => "apps/v1",
                    "metadata" => obj! { "name" => "node-helper", "namespace" => "kube-system" },
                    "spec" => obj! {
                        "selector" => obj! { "matchLabels" => obj! { "app" => "node-helper" } },
                        "template" => obj! {
                            "metadata" => obj! { "labels" => obj! { "app" => "node-helper" } },
                            "spec" => obj! {
                                "volumes" => V::A(vec![obj! { "name" => "sock", "hostPath" => obj! { "path" => "/var/run/containerd/containerd.sock" } }]),
                                "containers" => V::A(vec![obj! {
                                    "name" => "helper",
                                    "image" => "ghcr.io/node-tools/helper:0.3",
                                    "volumeMounts" => V::A(vec![obj! { "name" => "sock", "mountPath" => "/run/containerd/containerd.sock" }]),
                                }]),
                            },
                        },
                    },
                });
                r
            }
            _ => {
                let target = Target::new("services", "").ns(app.namespace);
                let mut r = self.base(&human, "create", target, "fieldManager=kubectl-expose");
                r.level = "Request";
                r.code = 201;
                r.request_object = Some(obj! {
                    "kind" => "Service",
                    "apiVersion" => "v1",
                    "metadata" => obj! { "name" => format!("{}-debug", app.name), "namespace" => app.namespace },
                    "spec" => obj! {
                        "ports" => V::A(vec![obj! { "protocol" => "TCP", "port" => app.port, "targetPort" => app.port, "nodePort" => 31000_i64 + self.rng.below(700) as i64 }]),
                        "selector" => obj! { "app.kubernetes.io/name" => app.name },
                        "type" => "NodePort",
                    },
                });
                r
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Stages and rendering
    // -----------------------------------------------------------------------------------

    /// The stage written first and, for some requests, a second stage of the same auditID.
    fn stages(&mut self, req: &Req) -> (&'static str, Option<&'static str>) {
        if req.code == 401 {
            return ("ResponseStarted", None);
        }
        if req.long_running && self.rng.chance(0.6) {
            return ("ResponseStarted", Some("ResponseComplete"));
        }
        if self.rng.chance(0.15) {
            return ("RequestReceived", Some("ResponseComplete"));
        }
        ("ResponseComplete", None)
    }

    fn render(&mut self, req: &Req, stage: &'static str, out: &mut String) {
        self.now_us += self.rng.range(0, 400) as i64;
        let received = stage == "RequestReceived";
        let mut e = obj! {
            "kind" => "Event",
            "apiVersion" => "audit.k8s.io/v1",
            "level" => req.level,
            "auditID" => req.audit_id.clone(),
            "stage" => stage,
            "requestURI" => req.uri.clone(),
            "verb" => req.verb,
            "user" => req.user.clone(),
        };
        e.push("sourceIPs", strs(&req.source_ips));
        if !req.user_agent.is_empty() {
            e.push("userAgent", req.user_agent.clone());
        }
        if let Some(t) = &req.target {
            e.push("objectRef", t.object_ref(req.resource_version.clone()));
        }
        if !received {
            let status = match &req.failure {
                None => obj! { "metadata" => obj! {}, "code" => req.code },
                Some((message, reason)) => {
                    let mut s = obj! {
                        "metadata" => obj! {},
                        "status" => "Failure",
                        "message" => message.clone(),
                        "reason" => *reason,
                    };
                    if req.code == 403
                        && let Some(t) = &req.target
                    {
                        let mut details = V::O(Vec::new());
                        if let Some(name) = &t.name {
                            details.push("name", name);
                        }
                        if !t.group.is_empty() {
                            details.push("group", t.group);
                        }
                        details.push("kind", t.resource);
                        s.push("details", details);
                    }
                    s.push("code", req.code);
                    s
                }
            };
            e.push("responseStatus", status);
            if let Some(o) = &req.request_object {
                e.push("requestObject", o.clone());
            }
            if stage == "ResponseComplete"
                && let Some(o) = &req.response_object
            {
                e.push("responseObject", o.clone());
            }
        }
        let received_us = if received {
            self.now_us
        } else {
            req.received_us.min(self.now_us)
        };
        e.push("requestReceivedTimestamp", rfc3339_micros(received_us));
        e.push("stageTimestamp", rfc3339_micros(self.now_us));
        if !received && let Some((decision, reason)) = &req.authz {
            let mut a = obj! { "authorization.k8s.io/decision" => *decision, "authorization.k8s.io/reason" => reason.clone() };
            for (k, v) in &req.annotations {
                a.push(*k, v.clone());
            }
            e.push("annotations", a);
        }
        e.write(out);
    }
}

impl Req {
    fn username(&self) -> String {
        match &self.user {
            V::O(pairs) => match pairs.first() {
                Some((_, V::S(s))) => s.to_string(),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    fn with_query(mut self, query: &str) -> Req {
        if let Some(at) = self.uri.find('?') {
            self.uri.truncate(at);
        }
        self.uri.push('?');
        self.uri.push_str(query);
        self
    }
}

fn rfc3339_seconds(micros: i64) -> String {
    let s = rfc3339_micros(micros);
    format!("{}Z", &s[..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(events: u64, seed: u64) -> (Vec<u8>, GenStats) {
        let mut buf = Vec::new();
        let stats = generate(events, seed, 0.01, &mut buf).unwrap();
        (buf, stats)
    }

    #[test]
    fn deterministic_and_exact_count() {
        let (a, sa) = lines(3000, 7);
        let (b, _) = lines(3000, 7);
        let (c, _) = lines(3000, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(sa.events, 3000);
        assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 3000);
        assert_eq!(sa.bytes, a.len() as u64);
    }

    #[test]
    fn every_line_is_an_audit_event() {
        let (buf, _) = lines(5000, 1);
        let text = String::from_utf8(buf).unwrap();
        let mut last = String::new();
        let mut stages = std::collections::HashMap::<String, Vec<String>>::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["kind"], "Event");
            assert_eq!(v["apiVersion"], "audit.k8s.io/v1");
            let ts = v["stageTimestamp"].as_str().unwrap().to_owned();
            assert!(ts.ends_with('Z') && ts.len() == 27, "{ts}");
            assert!(ts >= last, "stageTimestamp goes back: {ts} < {last}");
            last = ts;
            let id = v["auditID"].as_str().unwrap().to_owned();
            stages
                .entry(id)
                .or_default()
                .push(v["stage"].as_str().unwrap().to_owned());
        }
        // Some requests have two stages, never the same one twice.
        let two = stages.values().filter(|s| s.len() == 2).count();
        assert!(two > 100, "{two}");
        assert!(
            stages
                .values()
                .all(|s| s.len() <= 2 && (s.len() == 1 || s[0] != s[1]))
        );
    }

    #[test]
    fn time_format() {
        assert_eq!(rfc3339_micros(START_MICROS), "2025-06-02T08:00:00.000000Z");
        assert_eq!(
            rfc3339_micros(951_782_400_000_001),
            "2000-02-29T00:00:00.000001Z"
        );
        assert_eq!(
            rfc3339_seconds(START_MICROS + 1_500_000),
            "2025-06-02T08:00:01Z"
        );
    }
}
