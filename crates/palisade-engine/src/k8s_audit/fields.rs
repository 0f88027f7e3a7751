//! The `k8s_audit` field table: every `ka.*` field of Falco's k8saudit plugin plus the json
//! plugin's `json.*` fields and their `jevt.*` aliases.

use crate::field::{FieldArg, FieldInfo, FieldTable, ResolvedField};

/// The source name rules use (`source: k8s_audit`).
pub const SOURCE: &str = "k8s_audit";

/// Field table of the Kubernetes audit source.
#[derive(Debug, Clone, Copy, Default)]
pub struct K8sAuditFields;

/// Which annotation a `ka.*` annotation field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Annot {
    Decision,
    Reason,
    OpenshiftDecision,
    OpenshiftUsername,
    AdmissionFailure,
    PodSecurityViolations,
    ClusterName,
}

/// Binding subject filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subj {
    User,
    ServiceAccount,
    NamespacedServiceAccount,
    Group,
}

/// Which container list of the pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CList {
    Containers,
    Init,
    Ephemeral,
}

impl CList {
    pub(crate) fn key(self) -> &'static str {
        match self {
            CList::Containers => "containers",
            CList::Init => "initContainers",
            CList::Ephemeral => "ephemeralContainers",
        }
    }
}

/// Per-container sub-field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CSub {
    Args,
    Command,
    Name,
    Image,
    ImageRepo,
    HostPort,
    Privileged,
    AllowPrivEsc,
    ReadOnlyFs,
    RunAsUser,
    EffRunAsUser,
    RunAsGroup,
    EffRunAsGroup,
    ProcMount,
    AddCaps,
}

/// What a field extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    AuditId,
    Stage,
    Annotation(Annot),
    UserName,
    UserGroups,
    ImpUserName,
    Verb,
    Uri,
    UriParam,
    TargetName,
    TargetNamespace,
    TargetResource,
    TargetSubresource,
    TargetPodName,
    BindingSubjects,
    SubjectNames(Subj),
    BindingRole,
    SubjectHasName,
    ConfigmapObj,
    Container(CList, CSub),
    FirstImage,
    FirstImageRepo,
    HostIpc,
    HostNetwork,
    HostPid,
    AnyPrivileged,
    PodRunAsUser,
    PodRunAsGroup,
    RoleRules,
    RoleRuleItems(&'static str),
    FsGroup,
    SupplementalGroups,
    ServiceType,
    ServicePorts,
    VolumeHostPaths,
    VolumeHostPathMatch,
    FlexVolumeDrivers,
    VolumeTypes,
    RespName,
    ResponseCode,
    ResponseReason,
    UserAgent,
    SourceIps,
    /// The first of `sourceIPs`, compared by network (Palisade's own field).
    SourceIpNet,
    JsonValue,
    JsonObj,
    JsonRawTime,
}

impl Kind {
    /// `ka.*` fields are absent on JSON that is not an audit event (no `auditID`).
    pub(crate) fn needs_audit_id(self) -> bool {
        !matches!(self, Kind::JsonValue | Kind::JsonObj | Kind::JsonRawTime)
    }
}

/// (arg_required, arg_index)
type ArgSpec = (Option<bool>, bool);
const NO: ArgSpec = (None, false);
const IDX: ArgSpec = (Some(false), true);
const KEY: ArgSpec = (Some(true), false);

macro_rules! table {
    ($( $name:literal, $list:literal, $arg:ident, $kind:expr, $desc:literal; )*) => {
        static FIELDS: &[FieldInfo] = &[$(FieldInfo {
            name: $name,
            list: $list,
            arg_required: $arg.0,
            arg_index: $arg.1,
            desc: $desc,
        }),*];
        static KINDS: &[Kind] = &[$($kind),*];
    };
}

use Annot as A;
use CList::{Containers as C, Ephemeral as E, Init as I};
use CSub as S;
use Kind as K;

table! {
    "ka.auditid", false, NO, K::AuditId, "Unique ID of the audit event (one per request, shared by its stages).";
    "ka.stage", false, NO, K::Stage, "Stage of the request: RequestReceived, ResponseStarted, ResponseComplete or Panic.";
    "ka.auth.decision", false, NO, K::Annotation(A::Decision), "Authorization decision annotation (allow or forbid).";
    "ka.auth.reason", false, NO, K::Annotation(A::Reason), "Authorization reason annotation (which RBAC rule allowed the request).";
    "ka.auth.openshift.decision", false, NO, K::Annotation(A::OpenshiftDecision), "OpenShift authentication decision annotation.";
    "ka.validations.admission.policy.failure", false, NO, K::Annotation(A::AdmissionFailure), "ValidatingAdmissionPolicy failure annotation.";
    "ka.security.pod.violations", false, NO, K::Annotation(A::PodSecurityViolations), "Pod Security admission audit-violations annotation.";
    "ka.auth.openshift.username", false, NO, K::Annotation(A::OpenshiftUsername), "OpenShift authenticated user name annotation.";
    "ka.user.name", false, NO, K::UserName, "Name of the user who made the request.";
    "ka.user.groups", true, NO, K::UserGroups, "Groups of the user who made the request.";
    "ka.impuser.name", false, NO, K::ImpUserName, "User name being impersonated, if any.";
    "ka.verb", false, NO, K::Verb, "Request verb (get, list, watch, create, update, patch, delete...).";
    "ka.uri", false, NO, K::Uri, "Request URI as sent by the client, query string included.";
    "ka.uri.param", false, KEY, K::UriParam, "First value of the named query parameter of the request URI.";
    "ka.target.name", false, NO, K::TargetName, "Name of the object the request targets.";
    "ka.target.namespace", false, NO, K::TargetNamespace, "Namespace of the object the request targets.";
    "ka.target.resource", false, NO, K::TargetResource, "Resource type the request targets (pods, secrets...).";
    "ka.target.subresource", false, NO, K::TargetSubresource, "Subresource the request targets (exec, attach, log...).";
    "ka.target.pod.name", false, NO, K::TargetPodName, "Pod name from the response object, for requests on pods without subresource.";
    "ka.req.binding.subjects", true, NO, K::BindingSubjects, "Subjects of a (cluster) role binding in the request, each as JSON.";
    "ka.req.binding.subjects.user_names", true, NO, K::SubjectNames(Subj::User), "Names of the User subjects of a binding in the request.";
    "ka.req.binding.subjects.serviceaccount_names", true, NO, K::SubjectNames(Subj::ServiceAccount), "Names of the ServiceAccount subjects of a binding in the request.";
    "ka.req.binding.subjects.serviceaccount_ns_names", true, NO, K::SubjectNames(Subj::NamespacedServiceAccount), "ServiceAccount subjects of a binding in the request as namespace:name.";
    "ka.req.binding.subjects.group_names", true, NO, K::SubjectNames(Subj::Group), "Names of the Group subjects of a binding in the request.";
    "ka.req.binding.role", false, NO, K::BindingRole, "Role a binding in the request refers to (roleRef.name).";
    "ka.req.binding.subject.has_name", false, KEY, K::SubjectHasName, "Deprecated; always true (kept for old rules).";
    "ka.req.configmap.name", false, NO, K::TargetName, "Name of the ConfigMap the request targets.";
    "ka.req.configmap.obj", false, NO, K::ConfigmapObj, "The data of a ConfigMap in the request, as JSON.";
    "ka.req.pod.containers.args", true, IDX, K::Container(C, S::Args), "Arguments of each container of a pod in the request, joined with spaces.";
    "ka.req.pod.containers.command", true, IDX, K::Container(C, S::Command), "Command of each container of a pod in the request, joined with spaces.";
    "ka.req.pod.containers.name", true, IDX, K::Container(C, S::Name), "Names of the containers of a pod in the request.";
    "ka.req.pod.containers.image", true, IDX, K::Container(C, S::Image), "Images of the containers of a pod in the request.";
    "ka.req.container.image", false, NO, K::FirstImage, "Deprecated: image of the first container of a pod in the request.";
    "ka.req.pod.containers.image.repository", true, IDX, K::Container(C, S::ImageRepo), "Image repositories (no tag or digest) of the containers of a pod in the request.";
    "ka.req.container.image.repository", false, NO, K::FirstImageRepo, "Deprecated: image repository of the first container of a pod in the request.";
    "ka.req.pod.host_ipc", false, NO, K::HostIpc, "hostIPC of a pod in the request.";
    "ka.req.pod.host_network", false, NO, K::HostNetwork, "hostNetwork of a pod in the request.";
    "ka.req.container.host_network", false, NO, K::HostNetwork, "Deprecated alias of ka.req.pod.host_network.";
    "ka.req.pod.host_pid", false, NO, K::HostPid, "hostPID of a pod in the request.";
    "ka.req.pod.containers.host_port", true, IDX, K::Container(C, S::HostPort), "Host ports of the containers of a pod in the request (containerPort when no hostPort).";
    "ka.req.pod.containers.privileged", true, IDX, K::Container(C, S::Privileged), "securityContext.privileged of the containers of a pod in the request.";
    "ka.req.container.privileged", false, NO, K::AnyPrivileged, "Deprecated: true if any container of a pod in the request is privileged, else false.";
    "ka.req.pod.containers.allow_privilege_escalation", true, IDX, K::Container(C, S::AllowPrivEsc), "securityContext.allowPrivilegeEscalation of the containers of a pod in the request.";
    "ka.req.pod.containers.read_only_fs", true, IDX, K::Container(C, S::ReadOnlyFs), "securityContext.readOnlyRootFilesystem of the containers of a pod in the request.";
    "ka.req.pod.run_as_user", false, NO, K::PodRunAsUser, "Pod-level securityContext.runAsUser of a pod in the request.";
    "ka.req.pod.containers.run_as_user", true, IDX, K::Container(C, S::RunAsUser), "securityContext.runAsUser of the containers of a pod in the request.";
    "ka.req.pod.containers.eff_run_as_user", true, IDX, K::Container(C, S::EffRunAsUser), "Effective runAsUser of each container: its own, else the pod's, else 0.";
    "ka.req.pod.run_as_group", false, NO, K::PodRunAsGroup, "Pod-level securityContext.runAsGroup of a pod in the request.";
    "ka.req.pod.containers.run_as_group", true, IDX, K::Container(C, S::RunAsGroup), "securityContext.runAsGroup of the containers of a pod in the request.";
    "ka.req.pod.containers.eff_run_as_group", true, IDX, K::Container(C, S::EffRunAsGroup), "Effective runAsGroup of each container: its own, else the pod's, else 0.";
    "ka.req.pod.containers.proc_mount", true, IDX, K::Container(C, S::ProcMount), "securityContext.procMount of the containers of a pod in the request.";
    "ka.req.role.rules", true, NO, K::RoleRules, "Rules of a (cluster) role in the request, each as JSON.";
    "ka.req.role.rules.apiGroups", true, IDX, K::RoleRuleItems("apiGroups"), "API groups of the rules of a role in the request.";
    "ka.req.role.rules.nonResourceURLs", true, IDX, K::RoleRuleItems("nonResourceURLs"), "Non-resource URLs of the rules of a role in the request.";
    "ka.req.role.rules.verbs", true, IDX, K::RoleRuleItems("verbs"), "Verbs of the rules of a role in the request.";
    "ka.req.role.rules.resources", true, IDX, K::RoleRuleItems("resources"), "Resources of the rules of a role in the request.";
    "ka.req.pod.fs_group", false, NO, K::FsGroup, "Pod-level securityContext.fsGroup of a pod in the request.";
    "ka.req.pod.supplemental_groups", true, NO, K::SupplementalGroups, "Pod-level securityContext.supplementalGroups of a pod in the request.";
    "ka.req.pod.containers.add_capabilities", true, IDX, K::Container(C, S::AddCaps), "Capabilities added by the containers of a pod in the request.";
    "ka.req.service.type", false, NO, K::ServiceType, "Type of a Service in the request (ClusterIP, NodePort, LoadBalancer...).";
    "ka.req.service.ports", true, IDX, K::ServicePorts, "Ports of a Service in the request, each as JSON.";
    "ka.req.pod.volumes.hostpath", true, IDX, K::VolumeHostPaths, "hostPath paths of the volumes of a pod in the request.";
    "ka.req.volume.hostpath", false, KEY, K::VolumeHostPathMatch, "true if a hostPath volume of a pod in the request uses the path (prefix if it ends with *), else false.";
    "ka.req.pod.volumes.flexvolume_driver", true, IDX, K::FlexVolumeDrivers, "flexVolume drivers of the volumes of a pod in the request.";
    "ka.req.pod.volumes.volume_type", true, IDX, K::VolumeTypes, "Volume source types (every key but name) of the volumes of a pod in the request.";
    "ka.resp.name", false, NO, K::RespName, "Name of the object in the response.";
    "ka.response.code", false, NO, K::ResponseCode, "HTTP status code of the response.";
    "ka.response.reason", false, NO, K::ResponseReason, "Reason of the response status (mostly on failures).";
    "ka.useragent", false, NO, K::UserAgent, "User agent of the client.";
    "ka.sourceips", true, IDX, K::SourceIps, "Client IP addresses of the request.";
    "ka.sourceip.net", false, NO, K::SourceIpNet, "The client's address (the first of sourceIPs), compared by network: `not ka.sourceip.net in (\"10.0.0.0/8\")`. Palisade's own field: Falco's plugin has no network fields.";
    "ka.cluster.name", false, NO, K::Annotation(A::ClusterName), "Cluster name annotation (cluster_name), when the pipeline adds one.";
    "ka.req.pod.initContainers.args", true, IDX, K::Container(I, S::Args), "Arguments of each init container, joined with spaces.";
    "ka.req.pod.initContainers.command", true, IDX, K::Container(I, S::Command), "Command of each init container, joined with spaces.";
    "ka.req.pod.initContainers.name", true, IDX, K::Container(I, S::Name), "Names of the init containers of a pod in the request.";
    "ka.req.pod.initContainers.image", true, IDX, K::Container(I, S::Image), "Images of the init containers of a pod in the request.";
    "ka.req.pod.initContainers.image.repository", true, IDX, K::Container(I, S::ImageRepo), "Image repositories of the init containers of a pod in the request.";
    "ka.req.pod.initContainers.host_port", true, IDX, K::Container(I, S::HostPort), "Host ports of the init containers (containerPort when no hostPort).";
    "ka.req.pod.initContainers.privileged", true, IDX, K::Container(I, S::Privileged), "securityContext.privileged of the init containers.";
    "ka.req.pod.initContainers.allow_privilege_escalation", true, IDX, K::Container(I, S::AllowPrivEsc), "securityContext.allowPrivilegeEscalation of the init containers.";
    "ka.req.pod.initContainers.read_only_fs", true, IDX, K::Container(I, S::ReadOnlyFs), "securityContext.readOnlyRootFilesystem of the init containers.";
    "ka.req.pod.initContainers.run_as_user", true, IDX, K::Container(I, S::RunAsUser), "securityContext.runAsUser of the init containers.";
    "ka.req.pod.initContainers.eff_run_as_user", true, IDX, K::Container(I, S::EffRunAsUser), "Effective runAsUser of each init container: its own, else the pod's, else 0.";
    "ka.req.pod.initContainers.run_as_group", true, IDX, K::Container(I, S::RunAsGroup), "securityContext.runAsGroup of the init containers.";
    "ka.req.pod.initContainers.eff_run_as_group", true, IDX, K::Container(I, S::EffRunAsGroup), "Effective runAsGroup of each init container: its own, else the pod's, else 0.";
    "ka.req.pod.initContainers.proc_mount", true, IDX, K::Container(I, S::ProcMount), "securityContext.procMount of the init containers.";
    "ka.req.pod.initContainers.add_capabilities", true, IDX, K::Container(I, S::AddCaps), "Capabilities added by the init containers.";
    "ka.req.pod.ephemeralContainers.args", true, IDX, K::Container(E, S::Args), "Arguments of each ephemeral container, joined with spaces.";
    "ka.req.pod.ephemeralContainers.command", true, IDX, K::Container(E, S::Command), "Command of each ephemeral container, joined with spaces.";
    "ka.req.pod.ephemeralContainers.name", true, IDX, K::Container(E, S::Name), "Names of the ephemeral containers of a pod in the request.";
    "ka.req.pod.ephemeralContainers.image", true, IDX, K::Container(E, S::Image), "Images of the ephemeral containers of a pod in the request.";
    "ka.req.pod.ephemeralContainers.image.repository", true, IDX, K::Container(E, S::ImageRepo), "Image repositories of the ephemeral containers of a pod in the request.";
    "ka.req.pod.ephemeralContainers.privileged", true, IDX, K::Container(E, S::Privileged), "securityContext.privileged of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.allow_privilege_escalation", true, IDX, K::Container(E, S::AllowPrivEsc), "securityContext.allowPrivilegeEscalation of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.read_only_fs", true, IDX, K::Container(E, S::ReadOnlyFs), "securityContext.readOnlyRootFilesystem of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.run_as_user", true, IDX, K::Container(E, S::RunAsUser), "securityContext.runAsUser of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.eff_run_as_user", true, IDX, K::Container(E, S::EffRunAsUser), "Effective runAsUser of each ephemeral container: its own, else the pod's, else 0.";
    "ka.req.pod.ephemeralContainers.run_as_group", true, IDX, K::Container(E, S::RunAsGroup), "securityContext.runAsGroup of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.eff_run_as_group", true, IDX, K::Container(E, S::EffRunAsGroup), "Effective runAsGroup of each ephemeral container: its own, else the pod's, else 0.";
    "ka.req.pod.ephemeralContainers.proc_mount", true, IDX, K::Container(E, S::ProcMount), "securityContext.procMount of the ephemeral containers.";
    "ka.req.pod.ephemeralContainers.add_capabilities", true, IDX, K::Container(E, S::AddCaps), "Capabilities added by the ephemeral containers.";
    "json.value", false, KEY, K::JsonValue, "Value at a JSON pointer into the event (strings as-is, anything else as compact JSON).";
    "json.obj", false, NO, K::JsonObj, "The whole event as indented JSON.";
    "json.rawtime", false, NO, K::JsonRawTime, "Event time in nanoseconds since the Unix epoch (from stageTimestamp).";
    "jevt.value", false, KEY, K::JsonValue, "Alias of json.value.";
    "jevt.obj", false, NO, K::JsonObj, "Alias of json.obj.";
    "jevt.rawtime", false, NO, K::JsonRawTime, "Alias of json.rawtime.";
}

/// What a resolved field id extracts (`None` for ids this table never issued).
pub(crate) fn kind_of(id: u16) -> Option<Kind> {
    KINDS.get(usize::from(id)).copied()
}

impl FieldTable for K8sAuditFields {
    fn source(&self) -> &'static str {
        SOURCE
    }

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String> {
        // A pointer to a member decoded at parse time reads that member directly instead of
        // parsing the whole event (same text; absent, like every ka.* field, when the event
        // has no auditID).
        if matches!(name, "jevt.value" | "json.value")
            && let Some(pointer) = arg
            && let Some((_, ka)) = HOT_POINTERS.iter().find(|(p, _)| *p == pointer)
        {
            let mut resolved = self.resolve(ka, None)?;
            resolved.display = format!("{name}[{pointer}]");
            // Marks a json-plugin alias: unlike ka.* it does not need an auditID.
            resolved.id |= JSON_ALIAS;
            return Ok(resolved);
        }
        let (id, info) = FIELDS
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
            .ok_or_else(|| format!("unknown field `{name}` for source {SOURCE}"))?;
        let id = u16::try_from(id).map_err(|_| format!("field table too large at `{name}`"))?;
        let resolved_arg = match (info.arg_required, arg) {
            (None, None) | (Some(false), None) => None,
            (None, Some(a)) => {
                return Err(format!(
                    "field `{name}` takes no argument, got `{name}[{a}]`"
                ));
            }
            (Some(true), None) => {
                let what = if info.arg_index { "an index" } else { "a key" };
                return Err(format!(
                    "field `{name}` requires an argument ({what}), e.g. `{name}[...]`"
                ));
            }
            (Some(_), Some(a)) if info.arg_index => Some(FieldArg::Index(parse_index(name, a)?)),
            (Some(_), Some(a)) => Some(FieldArg::Key(check_key(name, a)?)),
        };
        let display = match arg {
            Some(a) => format!("{name}[{a}]"),
            None => name.to_owned(),
        };
        Ok(ResolvedField {
            id,
            arg: resolved_arg,
            list: info.list,
            // Falco's json lists: `in` means every element, other operators are refused.
            any_element: false,
            network: info.name == "ka.sourceip.net",
            display,
        })
    }

    fn fields(&self) -> &'static [FieldInfo] {
        FIELDS
    }

    fn cost(&self, field: &ResolvedField) -> u32 {
        let name = field.display.split('[').next().unwrap_or("");
        match name {
            // Parsed lazily from raw JSON (groups, source IPs) or the request/response bodies.
            "ka.user.groups" | "ka.sourceips" | "ka.sourceip.net" => 6,
            "jevt.obj" | "json.obj" => 40,
            // (`ka.resp.name`; `ka.response.*` are decoded at parse time.)
            n if n.starts_with("ka.req.")
                || n.starts_with("ka.resp.")
                || n == "ka.target.pod.name" =>
            {
                12
            }
            n if n.starts_with("jevt.") || n.starts_with("json.") => {
                let pointer = field
                    .display
                    .split_once('[')
                    .map_or("", |(_, rest)| rest.trim_end_matches(']'));
                if HOT_POINTERS.iter().any(|(p, _)| *p == pointer) {
                    1
                } else {
                    20
                }
            }
            "ka.uri.param" => 3,
            _ => 1,
        }
    }

    fn index_field(&self) -> Option<&'static str> {
        Some("ka.verb")
    }

    fn request_id_field(&self) -> Option<&'static str> {
        Some("ka.auditid")
    }

    fn is_stage_field(&self, display: &str) -> bool {
        matches!(
            display,
            "ka.stage" | "jevt.value[/stage]" | "json.value[/stage]" | "jevt.obj" | "json.obj"
        )
    }
}

/// A field index: digits only, no leading zero (`0` itself is fine).
fn parse_index(name: &str, a: &str) -> Result<usize, String> {
    let b = a.as_bytes();
    let digits = !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    if !digits || (b.len() > 1 && b[0] == b'0') {
        return Err(format!(
            "field `{name}` takes an index argument: `{a}` is not one (digits without a leading zero)"
        ));
    }
    a.parse()
        .map_err(|_| format!("field `{name}`: index `{a}` is too large"))
}

fn check_key(name: &str, a: &str) -> Result<String, String> {
    if a.is_empty() {
        return Err(format!("field `{name}` requires a non-empty argument"));
    }
    if matches!(name, "json.value" | "jevt.value") {
        if !a.starts_with('/') {
            return Err(format!(
                "field `{name}`: `{a}` is not a JSON pointer (it must start with `/`)"
            ));
        }
        let b = a.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')) {
                return Err(format!(
                    "field `{name}`: `{a}` is not a valid JSON pointer (`~` must be followed by 0 or 1)"
                ));
            }
        }
    }
    Ok(a.to_owned())
}

/// Bit set on the id of a `jevt.value[...]` field served by a decoded `ka.*` member.
pub(crate) const JSON_ALIAS: u16 = 0x8000;

/// JSON pointers that read the same member as a decoded `ka.*` field.
pub(crate) const HOT_POINTERS: &[(&str, &str)] = &[
    ("/stage", "ka.stage"),
    ("/verb", "ka.verb"),
    ("/auditID", "ka.auditid"),
    ("/requestURI", "ka.uri"),
    ("/userAgent", "ka.useragent"),
    ("/user/username", "ka.user.name"),
    ("/objectRef/resource", "ka.target.resource"),
    ("/objectRef/subresource", "ka.target.subresource"),
    ("/objectRef/namespace", "ka.target.namespace"),
    ("/objectRef/name", "ka.target.name"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(FIELDS.len(), KINDS.len());
        // Falco's k8saudit plugin's 100, plus Palisade's own `ka.sourceip.net`.
        let ka = FIELDS.iter().filter(|f| f.name.starts_with("ka.")).count();
        assert_eq!(ka, 101);
        assert!(FIELDS.iter().any(|f| f.name == "ka.sourceip.net"));
        assert_eq!(
            FIELDS
                .iter()
                .filter(|f| f.name.contains(".initContainers."))
                .count(),
            15
        );
        assert_eq!(
            FIELDS
                .iter()
                .filter(|f| f.name.contains(".ephemeralContainers."))
                .count(),
            14
        );
        assert_eq!(FIELDS.len(), 107);
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len(), "duplicate field name");
        for f in FIELDS {
            assert!(!f.desc.is_empty() && !f.desc.contains('\n'), "{}", f.name);
            assert!(!(f.arg_index && f.arg_required == Some(true)), "{}", f.name);
            if f.arg_index {
                assert!(f.list, "index args only on list fields: {}", f.name);
            }
        }
    }

    #[test]
    fn mirrors_match_containers() {
        let subs: Vec<&str> = FIELDS
            .iter()
            .filter_map(|f| f.name.strip_prefix("ka.req.pod.containers."))
            .collect();
        assert_eq!(subs.len(), 15);
        for s in &subs {
            let init = format!("ka.req.pod.initContainers.{s}");
            assert!(FIELDS.iter().any(|f| f.name == init), "{init}");
            let eph = format!("ka.req.pod.ephemeralContainers.{s}");
            assert_eq!(
                FIELDS.iter().any(|f| f.name == eph),
                *s != "host_port",
                "{eph}"
            );
        }
    }
}
