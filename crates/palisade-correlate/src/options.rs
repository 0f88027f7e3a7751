//! Correlator settings.

use std::time::Duration;

/// User names that are never join keys by default: the control plane, kubelets and the
/// `kube-system` controllers act on every workload, so joining on them would merge
/// everything. An entry ending in `:` is a prefix; any other entry must match exactly.
pub const DEFAULT_SYSTEM_USERS: &[&str] = &[
    "system:node:",
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:kube-proxy",
    "system:apiserver",
    "system:kube-aggregator",
    "system:volume-scheduler",
    "system:konnectivity-server",
    "system:serviceaccount:kube-system:",
];

/// Groups whose members are system identities (kubelets).
pub const DEFAULT_SYSTEM_GROUPS: &[&str] = &["system:nodes"];

/// How the [`crate::Correlator`] groups alerts. `Options::default()` is what the
/// documentation (docs/correlation.md) describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Inactivity that closes an incident: an alert joins an open incident only when it
    /// happens at most this long after the incident's last alert. Default 30 minutes.
    pub window: Duration,
    /// Longest time span of one incident: an alert later than `first_seen + max_span`
    /// starts a new incident even if the old one is still active. Default 24 hours.
    pub max_span: Duration,
    /// How far out of time order alerts may arrive and still be processed exactly as if
    /// they had arrived sorted (a reorder buffer). Alerts later than this are still used,
    /// but counted as late; see docs/correlation.md. Default 5 minutes.
    pub reorder_slack: Duration,
    /// Alerts kept as evidence per incident: an incident with at most this many alerts
    /// lists them all; a larger one lists its first half and its last half of this many
    /// (in time order) and counts the rest in `evidence_omitted`. Techniques, counts,
    /// times and entities always cover every alert. Default 16 (every alert of most
    /// incidents; the first and last 8 of a noisy one: each listed alert is rendered in
    /// full, and the store keeps them all); at least 2.
    pub max_evidence: usize,
    /// An alert whose only link to open incidents is a weak, derived one (the service
    /// account a pod runs as, the owner guessed from a pod name, the node of a pod that
    /// escaped to its host) joins them only when at most this many open incidents share
    /// that link; more means the link is ambiguous (counted in
    /// [`crate::Stats::ambiguous_links`]). Default 4. Host activity is always attributed
    /// to at most one escaped pod, whatever this says.
    pub max_link_fanout: usize,
    /// Cluster assumed for alerts that do not name one. Alerts of different clusters
    /// never join, and "no cluster" is a cluster of its own. Default `None`.
    pub default_cluster: Option<String>,
    /// User names that are not join keys; see [`DEFAULT_SYSTEM_USERS`].
    pub system_users: Vec<String>,
    /// Groups whose members are not join keys; see [`DEFAULT_SYSTEM_GROUPS`].
    pub system_groups: Vec<String>,
    /// Join anonymous (`system:anonymous`) requests by their first source IP. Anonymous
    /// is not an identity, so without this every anonymous alert is an incident of its
    /// own. Default `true`; see docs/correlation.md for the NAT caveat.
    pub join_anonymous_by_source_ip: bool,
    /// Assemble closed incidents (render their evidence, name techniques, write the
    /// explanation) on a second thread while the next alerts are processed, when the
    /// machine has more than one CPU. The incidents are exactly the same either way.
    /// Default `true`.
    pub background_assembly: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window: Duration::from_secs(30 * 60),
            max_span: Duration::from_secs(24 * 3600),
            reorder_slack: Duration::from_secs(5 * 60),
            max_evidence: 16,
            max_link_fanout: 4,
            default_cluster: None,
            system_users: DEFAULT_SYSTEM_USERS.iter().map(|s| s.to_string()).collect(),
            system_groups: DEFAULT_SYSTEM_GROUPS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            join_anonymous_by_source_ip: true,
            background_assembly: true,
        }
    }
}

/// A duration in nanoseconds, saturating at `i64::MAX`.
pub(crate) fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl Options {
    /// Whether `user` (with `groups`) is a system identity.
    pub fn is_system_identity(&self, user: &str, groups: &[String]) -> bool {
        self.is_system_identity_iter(user, groups.iter().map(String::as_str))
    }

    pub(crate) fn is_system_identity_iter<'a>(
        &self,
        user: &str,
        mut groups: impl Iterator<Item = &'a str>,
    ) -> bool {
        self.system_users.iter().any(|s| {
            if s.ends_with(':') {
                user.starts_with(s.as_str())
            } else {
                user == s
            }
        }) || groups.any(|g| self.system_groups.iter().any(|s| s == g))
    }
}
