//! The entities of an alert (identities, workloads) and its join keys.

use crate::event::{Event, concat};
use crate::hash::FastHasher2;
use crate::options::Options;

/// Characters Kubernetes uses for generated name suffixes (no vowels, no `0`, `1`, `3`).
const SAFE_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

/// A non-system identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Identity {
    ServiceAccount { namespace: String, name: String },
    User(String),
    Anonymous(Option<String>),
}

impl Identity {
    /// `system:serviceaccount:ns:name` → service account; `system:anonymous` →
    /// anonymous; anything else → user.
    pub(crate) fn from_username(user: &str, first_ip: Option<&str>) -> Identity {
        if let Some(rest) = user.strip_prefix("system:serviceaccount:")
            && let Some((ns, name)) = rest.split_once(':')
            && !ns.is_empty()
            && !name.is_empty()
        {
            return Identity::ServiceAccount {
                namespace: ns.to_string(),
                name: name.to_string(),
            };
        }
        if user == "system:anonymous" {
            return Identity::Anonymous(first_ip.map(str::to_string));
        }
        Identity::User(user.to_string())
    }

    /// A pod's service account: `ci` in `shop`, or the full user name form.
    pub(crate) fn service_account(namespace: &str, sa: &str) -> Identity {
        match Identity::from_username(sa, None) {
            id @ Identity::ServiceAccount { .. } => id,
            _ => Identity::ServiceAccount {
                namespace: namespace.to_string(),
                name: sa.to_string(),
            },
        }
    }

    /// The documented key: `sa:shop/ci`, `user:alice`, `anonymous@203.0.113.50`.
    pub(crate) fn key(&self) -> String {
        match self {
            Identity::ServiceAccount { namespace, name } => concat(&["sa:", namespace, "/", name]),
            Identity::User(name) => concat(&["user:", name]),
            Identity::Anonymous(Some(ip)) => concat(&["anonymous@", ip]),
            Identity::Anonymous(None) => "anonymous".to_string(),
        }
    }

    /// `service account shop/ci`, `user alice`, `anonymous requests from 203.0.113.50`.
    pub(crate) fn display(&self) -> String {
        match self {
            Identity::ServiceAccount { namespace, name } => {
                concat(&["service account ", namespace, "/", name])
            }
            Identity::User(name) => concat(&["user ", name]),
            Identity::Anonymous(Some(ip)) => concat(&["anonymous requests from ", ip]),
            Identity::Anonymous(None) => "anonymous requests".to_string(),
        }
    }
}

/// An identity borrowed from an alert (see [`Identity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdRef<'a> {
    ServiceAccount { namespace: &'a str, name: &'a str },
    User(&'a str),
    Anonymous(Option<&'a str>),
}

impl<'a> IdRef<'a> {
    /// See [`Identity::from_username`].
    pub(crate) fn from_username(user: &'a str, first_ip: Option<&'a str>) -> IdRef<'a> {
        if let Some(rest) = user.strip_prefix("system:serviceaccount:")
            && let Some((ns, name)) = rest.split_once(':')
            && !ns.is_empty()
            && !name.is_empty()
        {
            return IdRef::ServiceAccount {
                namespace: ns,
                name,
            };
        }
        if user == "system:anonymous" {
            return IdRef::Anonymous(first_ip);
        }
        IdRef::User(user)
    }

    /// See [`Identity::service_account`].
    pub(crate) fn service_account(namespace: &'a str, sa: &'a str) -> IdRef<'a> {
        match IdRef::from_username(sa, None) {
            id @ IdRef::ServiceAccount { .. } => id,
            _ => IdRef::ServiceAccount {
                namespace,
                name: sa,
            },
        }
    }

    /// The join key, scoped to `cluster`; `None` when this identity is not one.
    fn join_key(self, keys: &KeyHasher, cluster: &str, options: &Options) -> Option<Key> {
        match self {
            IdRef::ServiceAccount { namespace, name } => {
                Some(keys.key(KeyKind::ServiceAccount, &[cluster, namespace, name]))
            }
            IdRef::User(name) => Some(keys.key(KeyKind::User, &[cluster, name])),
            IdRef::Anonymous(Some(ip)) if options.join_anonymous_by_source_ip => {
                Some(keys.key(KeyKind::Anonymous, &[cluster, ip]))
            }
            IdRef::Anonymous(_) => None,
        }
    }
}

/// What a join key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum KeyKind {
    ServiceAccount,
    User,
    Anonymous,
    Pod,
    Container,
    /// A workload controller, by name (any kind).
    Owner,
    Node,
    /// A single alert without entities.
    Event,
}

/// A join key: a 128-bit keyed hash of the key's kind and parts (see
/// docs/correlation.md). Two different keys collide with probability about 2^-128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub kind: KeyKind,
    pub hash: u128,
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Already a keyed, uniform hash (of the kind too): one word is enough.
        state.write_u64(self.hash as u64);
    }
}

/// Makes [`Key`]s with two per-correlator random seeds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyHasher {
    a: crate::hash::FastState,
    b: crate::hash::FastState,
}

impl KeyHasher {
    /// A keyed 128-bit hash of an event's whole content, to recognise duplicates
    /// (keyed, so crafted alerts cannot pass for duplicates of others).
    pub(crate) fn content(&self, ev: &Event) -> u128 {
        let mut h = FastHasher2::new(&self.a, &self.b);
        ev.hash_content(&mut h);
        h.finish()
    }

    pub(crate) fn key(&self, kind: KeyKind, parts: &[&str]) -> Key {
        let mut h = FastHasher2::new(&self.a, &self.b);
        h.u64(kind as u64);
        for p in parts {
            h.str(p);
        }
        Key {
            kind,
            hash: h.finish(),
        }
    }
}

/// Kubernetes workload kinds by API resource name.
pub(crate) fn workload_kind(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "pods" => "Pod",
        "deployments" => "Deployment",
        "replicasets" => "ReplicaSet",
        "daemonsets" => "DaemonSet",
        "statefulsets" => "StatefulSet",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "replicationcontrollers" => "ReplicationController",
        _ => return None,
    })
}

/// The kind of a (non-workload) resource, for display and finding lookups.
pub(crate) fn object_kind(resource: &str) -> &str {
    match resource {
        "secrets" => "Secret",
        "configmaps" => "ConfigMap",
        "serviceaccounts" => "ServiceAccount",
        "services" => "Service",
        "namespaces" => "Namespace",
        "nodes" => "Node",
        "roles" => "Role",
        "rolebindings" => "RoleBinding",
        "clusterroles" => "ClusterRole",
        "clusterrolebindings" => "ClusterRoleBinding",
        "ingresses" => "Ingress",
        "networkpolicies" => "NetworkPolicy",
        "persistentvolumes" => "PersistentVolume",
        "persistentvolumeclaims" => "PersistentVolumeClaim",
        "events" => "Event",
        "mutatingwebhookconfigurations" => "MutatingWebhookConfiguration",
        "validatingwebhookconfigurations" => "ValidatingWebhookConfiguration",
        "customresourcedefinitions" => "CustomResourceDefinition",
        "podsecuritypolicies" => "PodSecurityPolicy",
        other => workload_kind(other).unwrap_or(other),
    }
}

fn all_safe(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| SAFE_ALPHABET.as_bytes().contains(&b))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The controllers a pod could belong to, guessed from the generated parts of its name:
/// `web-7d9f8c6b5-x2x4q` (Deployment `web`, ReplicaSet `web-7d9f8c6b5`),
/// `agent-x2x4q` (DaemonSet, ReplicaSet or Job `agent`), `log-rotate-29012345-x2x4q`
/// (CronJob `log-rotate`, Job `log-rotate-29012345`), `db-0` (StatefulSet `db`).
pub(crate) fn owner_guesses(pod: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    each_owner_guess(pod, |kind, name| out.push((kind, name)));
    out
}

/// [`owner_guesses`] without collecting them.
fn each_owner_guess<'a>(pod: &'a str, mut f: impl FnMut(&'static str, &'a str)) {
    let Some((head, suffix)) = pod.rsplit_once('-') else {
        return;
    };
    if head.is_empty() {
        return;
    }
    if suffix.len() == 5 && all_safe(suffix) {
        for kind in ["ReplicaSet", "DaemonSet", "Job", "ReplicationController"] {
            f(kind, head);
        }
        if let Some((owner, middle)) = head.rsplit_once('-')
            && !owner.is_empty()
        {
            if (5..=10).contains(&middle.len()) && (all_safe(middle) || all_digits(middle)) {
                f("Deployment", owner);
            }
            if middle.len() >= 8 && all_digits(middle) {
                f("CronJob", owner);
            }
        }
    }
    if suffix.len() <= 5 && all_digits(suffix) {
        f("StatefulSet", head);
    }
}

/// The distinct owner names of [`owner_guesses`] (at most three).
fn owner_names(pod: &str) -> Few<&str, 4> {
    let mut names = Few::default();
    each_owner_guess(pod, |_, n| names.push_unique(n));
    names
}

/// A small inline list (no allocation). Pushing past `N` is ignored; every caller sizes
/// `N` for the most it can push.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Few<T: Copy, const N: usize> {
    items: [Option<T>; N],
    len: usize,
}

impl<T: Copy, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few {
            items: [None; N],
            len: 0,
        }
    }
}

impl<T: Copy + PartialEq, const N: usize> Few<T, N> {
    pub(crate) fn push(&mut self, v: T) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = Some(v);
            self.len += 1;
        }
    }

    /// Push unless already present.
    pub(crate) fn push_unique(&mut self, v: T) {
        if !self.contains(&v) {
            self.push(v);
        }
    }

    pub(crate) fn contains(&self, v: &T) -> bool {
        self.iter().any(|x| x == *v)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items.iter().take(self.len).filter_map(|x| *x)
    }

    pub(crate) fn first(&self) -> Option<T> {
        self.iter().next()
    }
}

/// A workload an alert is about. Within one cluster, kind, namespace and name identify
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkloadFact<'a> {
    pub namespace: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub container: Option<&'a str>,
    pub image: Option<&'a str>,
    pub service_account: Option<&'a str>,
    pub node: Option<&'a str>,
    pub container_id: Option<&'a str>,
}

/// The entities of one alert and its join keys, borrowed from the [`Event`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts<'a> {
    /// Keys that join any open incident holding the same key (at most: actor,
    /// container, pod, node, owner; or the event itself).
    pub explicit: Few<Key, 6>,
    /// Keys that join only incidents holding the same key as an explicit key (at most
    /// three owner names, the service account, the node).
    pub derived: Few<Key, 6>,
    /// The acting identity (audit alerts, not system identities).
    pub actor: Option<IdRef<'a>>,
    /// The service account the alert's pod runs as.
    pub runs_as: Option<IdRef<'a>>,
    pub workloads: Few<WorkloadFact<'a>, 2>,
    /// A non-workload object the alert targets: (kind, namespace or "", name).
    pub object: Option<(&'a str, &'a str, &'a str)>,
    /// A container seen only by id (no pod known in this alert).
    pub bare_container: Option<&'a str>,
    /// Host-level activity on this node (outside any container).
    pub host_node: Option<&'a str>,
    /// The actor's groups are part of the identity (a non-system audit actor).
    pub has_groups: bool,
}

/// Techniques after which activity on the node is attributed to the pod's incident.
const ESCAPE_TECHNIQUES: &[&str] = &["T1611"];

impl<'a> Facts<'a> {
    /// The entities of `ev` and, with `keys`, its join keys (without, `explicit` and
    /// `derived` stay empty: what aggregation needs is cheaper to get).
    pub(crate) fn of(ev: &'a Event, options: &Options, keys: Option<&KeyHasher>) -> Facts<'a> {
        let mut f = Facts::default();
        let cluster = ev.cluster().unwrap_or("");
        let key = |kind: KeyKind, parts: &[&str]| keys.map(|k| k.key(kind, parts));
        // Who acted.
        if ev.is_audit()
            && let Some(user) = ev.user()
            && !options.is_system_identity_iter(user, ev.groups())
        {
            let id = IdRef::from_username(user, ev.source_ips().next());
            if let Some(k) = keys.and_then(|keys| id.join_key(keys, cluster, options)) {
                f.explicit.push_unique(k);
            }
            f.has_groups = true;
            f.actor = Some(id);
        }
        // The pod, its container and service account.
        let resource = ev.target_resource();
        let pod: Option<(&str, &str)> = match (ev.namespace(), ev.pod()) {
            (Some(ns), Some(p)) => Some((ns, p)),
            _ => (resource == Some("pods"))
                .then(|| Some((ev.target_namespace().or(ev.namespace())?, ev.target_name()?)))
                .flatten(),
        };
        let host_level = !ev.is_audit() && ev.container_id() == Some("host") && ev.pod().is_none();
        let container_id = ev.container_id().filter(|c| *c != "host");
        if let Some(cid) = container_id
            && let Some(k) = key(KeyKind::Container, &[cluster, cid])
        {
            f.explicit.push_unique(k);
        }
        if let Some((ns, name)) = pod {
            if let Some(keys) = keys {
                f.explicit
                    .push_unique(keys.key(KeyKind::Pod, &[cluster, ns, name]));
                for owner in owner_names(name).iter() {
                    f.derived
                        .push_unique(keys.key(KeyKind::Owner, &[cluster, ns, owner]));
                }
            }
            if let Some(sa) = ev.service_account() {
                let id = IdRef::service_account(ns, sa);
                if let Some(keys) = keys
                    && let IdRef::ServiceAccount { namespace, name } = id
                    && name != "default"
                    && !is_system_service_account(options, namespace, name)
                {
                    f.derived.push_unique(
                        keys.key(KeyKind::ServiceAccount, &[cluster, namespace, name]),
                    );
                }
                f.runs_as = Some(id);
            }
            if let Some(keys) = keys
                && let Some(node) = ev.node()
                && ev.techniques().any(|t| ESCAPE_TECHNIQUES.contains(&t))
            {
                f.derived
                    .push_unique(keys.key(KeyKind::Node, &[cluster, node]));
            }
            f.workloads.push(WorkloadFact {
                namespace: ns,
                kind: "Pod",
                name,
                container: ev.container(),
                image: ev.image(),
                service_account: ev.service_account(),
                node: ev.node(),
                container_id,
            });
        } else if let Some(cid) = container_id {
            f.bare_container = Some(cid);
        }
        if host_level && let Some(node) = ev.node() {
            if let Some(k) = key(KeyKind::Node, &[cluster, node]) {
                f.explicit.push_unique(k);
            }
            f.host_node = Some(node);
        }
        // Other objects an audit alert targets.
        if let Some(resource) = resource
            && resource != "pods"
        {
            let ns = ev.target_namespace().or(ev.namespace());
            match (workload_kind(resource), ev.target_name(), ns) {
                (Some(kind), Some(name), Some(ns)) => {
                    if let Some(k) = key(KeyKind::Owner, &[cluster, ns, name]) {
                        f.explicit.push_unique(k);
                    }
                    f.workloads.push(WorkloadFact {
                        namespace: ns,
                        kind,
                        name,
                        container: None,
                        image: None,
                        service_account: None,
                        node: None,
                        container_id: None,
                    });
                }
                (_, Some(name), _) => {
                    f.object = Some((object_kind(resource), ns.unwrap_or_default(), name));
                }
                _ => {}
            }
        }
        if keys.is_none() {
            return f;
        }
        // A derived key that is also explicit is just explicit.
        let mut derived = Few::default();
        for k in f.derived.iter() {
            if !f.explicit.contains(&k) {
                derived.push(k);
            }
        }
        f.derived = derived;
        if f.explicit.is_empty() {
            // Nothing to join on: the alert is an incident of its own (and exact
            // duplicates of it land in the same one).
            f.explicit.push_unique(Key {
                kind: KeyKind::Event,
                hash: u128::from(ev.fp()),
            });
        }
        f
    }
}

/// Whether `system:serviceaccount:<namespace>:<name>` is a system identity.
fn is_system_service_account(options: &Options, namespace: &str, name: &str) -> bool {
    let prefix = "system:serviceaccount:";
    options.system_users.iter().any(|s| {
        // Compare without building the user name.
        let full_len = prefix.len() + namespace.len() + 1 + name.len();
        let matches_prefix_of_full = |pat: &str| -> bool {
            let mut rest = pat;
            for part in [prefix, namespace, ":", name] {
                if rest.is_empty() {
                    return true;
                }
                let n = rest.len().min(part.len());
                if rest.get(..n) != part.get(..n) {
                    return false;
                }
                rest = rest.get(n..).unwrap_or_default();
            }
            rest.is_empty()
        };
        if s.ends_with(':') {
            s.len() <= full_len && matches_prefix_of_full(s)
        } else {
            s.len() == full_len && matches_prefix_of_full(s)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_usernames_normalise() {
        let a = Identity::from_username("system:serviceaccount:shop:ci", None);
        let b = Identity::service_account("shop", "ci");
        assert_eq!(a, b);
        assert_eq!(a.key(), "sa:shop/ci");
        assert_eq!(
            Identity::service_account("other", "system:serviceaccount:shop:ci"),
            a
        );
        assert_eq!(
            Identity::from_username("system:serviceaccount:broken", None),
            Identity::User("system:serviceaccount:broken".into())
        );
        assert_eq!(
            Identity::from_username("system:anonymous", Some("1.2.3.4")).key(),
            "anonymous@1.2.3.4"
        );
    }

    #[test]
    fn owner_guesses_follow_kubernetes_naming() {
        let g = owner_guesses("web-7d9f8c6b5-x2x4q");
        assert!(g.contains(&("Deployment", "web")));
        assert!(g.contains(&("ReplicaSet", "web-7d9f8c6b5")));
        let names: Vec<&str> = owner_names("web-7d9f8c6b5-x2x4q").iter().collect();
        assert_eq!(names, vec!["web-7d9f8c6b5", "web"]);
        let g = owner_guesses("log-rotate-29012345-x7k9q");
        assert!(g.contains(&("CronJob", "log-rotate")));
        assert!(g.contains(&("Job", "log-rotate-29012345")));
        assert_eq!(owner_guesses("db-0"), vec![("StatefulSet", "db")]);
        // "api" has vowels: not a generated hash, so no Deployment `web`.
        let g = owner_guesses("web-api-x2x4q");
        assert!(!g.iter().any(|(k, _)| *k == "Deployment"));
        assert!(owner_guesses("plainname").is_empty());
        assert!(owner_guesses("-x2x4q").is_empty());
    }

    #[test]
    fn keys_are_unambiguous() {
        let k = KeyHasher::default();
        assert_ne!(
            k.key(KeyKind::Pod, &["a", "bc"]),
            k.key(KeyKind::Pod, &["ab", "c"])
        );
        assert_ne!(k.key(KeyKind::Pod, &["a"]), k.key(KeyKind::Node, &["a"]));
        assert_eq!(k.key(KeyKind::Pod, &["a"]), k.key(KeyKind::Pod, &["a"]));
    }

    #[test]
    fn system_service_accounts_are_recognised_without_allocating() {
        let o = Options::default();
        assert!(is_system_service_account(&o, "kube-system", "coredns"));
        assert!(!is_system_service_account(&o, "shop", "ci"));
        let exact = Options {
            system_users: vec!["system:serviceaccount:shop:ci".into()],
            ..Options::default()
        };
        assert!(is_system_service_account(&exact, "shop", "ci"));
        assert!(!is_system_service_account(&exact, "shop", "cid"));
        assert!(!is_system_service_account(&exact, "shop", "c"));
    }
}
