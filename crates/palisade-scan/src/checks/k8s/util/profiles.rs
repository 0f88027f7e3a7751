//! Effective seccomp and AppArmor profiles of a container, from the `securityContext` fields
//! and the legacy annotations the API server still maps onto them when a pod is created.
//!
//! Precedence, as the kubelet sees it: the container's field, then the container's annotation
//! (copied onto the container field at pod creation), then the pod's field, then the pod's
//! annotation.

use super::{at, text};
use crate::k8s::{Container, Workload};
use crate::spot::Cursor;

/// A profile type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// The runtime's default profile.
    RuntimeDefault,
    /// A profile loaded on the node.
    Localhost,
    /// No confinement.
    Unconfined,
    /// Something the API server would reject; treated as "set".
    Unknown,
}

/// Where a container's profile comes from.
#[derive(Debug, Clone)]
pub(crate) struct ProfileSetting<'a> {
    /// The node that sets it (`type`, or the annotation's value).
    pub cursor: Cursor<'a>,
    /// The profile.
    pub profile: Profile,
}

fn field_profile(value: &str) -> Profile {
    match value {
        v if v.eq_ignore_ascii_case("RuntimeDefault") => Profile::RuntimeDefault,
        v if v.eq_ignore_ascii_case("Localhost") => Profile::Localhost,
        v if v.eq_ignore_ascii_case("Unconfined") => Profile::Unconfined,
        _ => Profile::Unknown,
    }
}

fn annotation_profile(value: &str) -> Profile {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "unconfined" => Profile::Unconfined,
        "runtime/default" | "docker/default" => Profile::RuntimeDefault,
        _ if v.starts_with("localhost/") => Profile::Localhost,
        _ => Profile::Unknown,
    }
}

fn from_field<'a>(base: &Cursor<'a>, field: &str) -> Option<ProfileSetting<'a>> {
    let cursor = at(base, &["securityContext", field, "type"])?;
    let profile = field_profile(text(&cursor)?);
    Some(ProfileSetting { cursor, profile })
}

fn from_annotation<'a>(workload: &Workload<'a>, key: &str) -> Option<ProfileSetting<'a>> {
    let cursor = at(workload.pod_meta.as_ref()?, &["annotations", key])?;
    let profile = annotation_profile(text(&cursor)?);
    Some(ProfileSetting { cursor, profile })
}

/// The container's effective seccomp profile, `None` when nothing sets one (the container
/// then runs Unconfined unless the kubelet runs with `--seccomp-default`).
pub(crate) fn seccomp<'a>(
    workload: &Workload<'a>,
    container: &Container<'a>,
) -> Option<ProfileSetting<'a>> {
    from_field(&container.cursor, "seccompProfile")
        .or_else(|| {
            from_annotation(
                workload,
                &format!(
                    "container.seccomp.security.alpha.kubernetes.io/{}",
                    container.name
                ),
            )
        })
        .or_else(|| from_field(&workload.pod_spec, "seccompProfile"))
        .or_else(|| from_annotation(workload, "seccomp.security.alpha.kubernetes.io/pod"))
}

/// The container's effective AppArmor profile, `None` when nothing sets one (the runtime's
/// default then applies on nodes with AppArmor).
pub(crate) fn apparmor<'a>(
    workload: &Workload<'a>,
    container: &Container<'a>,
) -> Option<ProfileSetting<'a>> {
    from_field(&container.cursor, "appArmorProfile")
        .or_else(|| {
            from_annotation(
                workload,
                &format!(
                    "container.apparmor.security.beta.kubernetes.io/{}",
                    container.name
                ),
            )
        })
        .or_else(|| from_field(&workload.pod_spec, "appArmorProfile"))
}

/// Report every container whose effective profile (`resolve`) is Unconfined, grouped by the
/// node that sets it. `annotation` and `field` describe the two spellings in the message;
/// `mechanism` names what is switched off.
pub(crate) fn report_unconfined<'a>(
    workload: &Workload<'a>,
    out: &mut crate::checks::Reporter<'_>,
    resolve: fn(&Workload<'a>, &Container<'a>) -> Option<ProfileSetting<'a>>,
    annotation: &str,
    field: &str,
    mechanism: &str,
) {
    if super::is_windows(workload) {
        return;
    }
    let mut unconfined = super::Grouped::default();
    for container in workload.containers() {
        if let Some(setting) = resolve(workload, &container)
            && setting.profile == Profile::Unconfined
        {
            unconfined.add(setting.cursor, container.label());
        }
    }
    unconfined.report(out, |cursor, who| {
        let how = if cursor.pointer.contains("/annotations/") {
            annotation
        } else {
            field
        };
        format!("{how} disables {mechanism} for {who}")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_spellings() {
        assert_eq!(field_profile("RuntimeDefault"), Profile::RuntimeDefault);
        assert_eq!(field_profile("Unconfined"), Profile::Unconfined);
        assert_eq!(field_profile("unconfined"), Profile::Unconfined);
        assert_eq!(field_profile("Localhost"), Profile::Localhost);
        assert_eq!(field_profile("bogus"), Profile::Unknown);
        assert_eq!(annotation_profile("unconfined"), Profile::Unconfined);
        assert_eq!(
            annotation_profile("runtime/default"),
            Profile::RuntimeDefault
        );
        assert_eq!(
            annotation_profile("docker/default"),
            Profile::RuntimeDefault
        );
        assert_eq!(
            annotation_profile("localhost/my-profile"),
            Profile::Localhost
        );
        assert_eq!(annotation_profile("whatever"), Profile::Unknown);
    }
}
