//! Container image references: `[registry[:port]/]path[:tag][@digest]`.

/// The parts of an image reference. Nothing is defaulted: `nginx` has no registry and no tag
/// (the runtime reads it as `docker.io/library/nginx:latest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// `registry.example.com:5000`, `localhost`, when the first component names a host.
    pub registry: Option<&'a str>,
    /// The path without registry, tag or digest: `library/nginx`, `team/app`.
    pub repository: &'a str,
    /// The tag, when one is written (never empty).
    pub tag: Option<&'a str>,
    /// The digest after `@`, when one is written (never empty): `sha256:…`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parse a reference. The colon of a registry port (`host:5000/app`) is not a tag
    /// separator: only a colon after the last `/` is.
    pub(crate) fn parse(reference: &'a str) -> ImageRef<'a> {
        let reference = reference.trim();
        let (name, digest) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest).filter(|d| !d.is_empty())),
            None => (reference, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &name[last_slash + i + 1..];
                (&name[..last_slash + i], Some(tag).filter(|t| !t.is_empty()))
            }
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// A content digest is written (`@sha256:<hex>`, or another `algorithm:hex` the OCI
    /// spec allows such as `sha512`).
    pub(crate) fn is_pinned(&self) -> bool {
        self.digest.is_some_and(|d| {
            d.split_once(':').is_some_and(|(alg, hex)| {
                !alg.is_empty()
                    && alg
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                    && hex.len() >= 32
                    && hex.chars().all(|c| c.is_ascii_hexdigit())
            })
        })
    }

    /// Why the image can change under the same reference without a digest to fix it: no tag
    /// at all, or the tag `latest`. `None` when it is pinned or carries another tag.
    pub(crate) fn mutable_tag(&self) -> Option<MutableTag> {
        if self.is_pinned() {
            return None;
        }
        match self.tag {
            None => Some(MutableTag::Missing),
            Some("latest") => Some(MutableTag::Latest),
            Some(_) => None,
        }
    }
}

/// How an image reference floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MutableTag {
    /// No tag and no digest: the runtime pulls `latest`.
    Missing,
    /// The tag `latest`.
    Latest,
}

/// Whether an image text is worth judging: empty images, unrendered placeholders
/// (`${IMAGE}`, `{{ .Values.image }}`, `$(IMAGE)`, `<image_url>`) and text with spaces are
/// skipped rather than misread.
pub(crate) fn is_judgeable(image: &str) -> bool {
    let image = image.trim();
    !image.is_empty()
        && !image.contains("${")
        && !image.contains("{{")
        && !image.contains("$(")
        && !image.contains(['<', '>'])
        && !image.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:4b8e8c1a1c5a7f0d2e9b7c3a6d5f4e3b2a1908f7e6d5c4b3a29181706f5e4d3c";

    #[test]
    fn parses_the_usual_shapes() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            (None, "nginx", None, None)
        );
        let r = ImageRef::parse("nginx:1.27");
        assert_eq!((r.repository, r.tag), ("nginx", Some("1.27")));
        let r = ImageRef::parse("ghcr.io/org/app:v2");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("ghcr.io"), "org/app", Some("v2"))
        );
        let r = ImageRef::parse("library/redis");
        assert_eq!((r.registry, r.repository), (None, "library/redis"));
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        let r = ImageRef::parse("registry.local:5000/app");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("registry.local:5000"), "app", None)
        );
        assert_eq!(r.mutable_tag(), Some(MutableTag::Missing));
        let r = ImageRef::parse("host:5000/team/app:1.0");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("host:5000"), "team/app", Some("1.0"))
        );
        let r = ImageRef::parse("localhost/app:latest");
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("localhost"), "app", Some("latest"))
        );
        assert_eq!(r.mutable_tag(), Some(MutableTag::Latest));
    }

    #[test]
    fn digests_pin() {
        let with_digest = format!("registry.local:5000/app@{DIGEST}");
        let r = ImageRef::parse(&with_digest);
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("registry.local:5000"), "app", None)
        );
        assert!(r.is_pinned());
        assert_eq!(r.mutable_tag(), None);
        let both = format!("nginx:latest@{DIGEST}");
        let r = ImageRef::parse(&both);
        assert_eq!((r.tag, r.is_pinned()), (Some("latest"), true));
        assert_eq!(r.mutable_tag(), None, "the digest wins over the tag");
        assert!(!ImageRef::parse("nginx@").is_pinned());
        assert!(!ImageRef::parse("nginx@sha256:").is_pinned());
        assert!(!ImageRef::parse("nginx@sha256:not-hex").is_pinned());
        assert_eq!(ImageRef::parse("nginx:").tag, None);
        assert_eq!(ImageRef::parse("nginx:1.27").mutable_tag(), None);
        assert_eq!(
            ImageRef::parse("nginx:LATEST").mutable_tag(),
            None,
            "tags are case-sensitive"
        );
    }

    #[test]
    fn placeholders_are_not_judged() {
        assert!(is_judgeable("nginx"));
        assert!(!is_judgeable(" "));
        assert!(!is_judgeable("${IMAGE}"));
        assert!(!is_judgeable("{{ .Values.image }}"));
        assert!(!is_judgeable("<image_url>"));
        assert!(!is_judgeable("my image"));
    }
}
