//! PAL-CMP-015: a Compose service is given host devices.

use crate::checks::{Check, Reporter, Run};
use crate::compose::ComposeService;
use palisade_core::{CheckInfo, CheckTarget, Severity};

pub(crate) const CHECK: Check = Check {
    info: CheckInfo {
        id: "PAL-CMP-015",
        name: "host-devices-mapped",
        title: "Host device mapped into a Compose service",
        severity: Severity::Medium,
        techniques: &["T1611"],
        target: CheckTarget::Compose,
        rationale: "`devices:` gives the container direct access to host device nodes. A disk \
            (`/dev/sda`), `/dev/mem`, `/dev/kmsg` or a GPU/USB driver is kernel-level attack \
            surface and, for block devices, a way to read or modify the host's filesystem \
            underneath it.",
        remediation: "Remove the device mapping, or map only the specific device the service \
            needs with the narrowest permissions (`/dev/ttyUSB0:/dev/ttyUSB0:r`), and never a \
            disk or memory device.",
        bad_example: "services:\n  zigbee:\n    image: example/zigbee-bridge:1.40\n    devices:\n      - /dev/ttyACM0:/dev/ttyACM0\n",
        good_example: "services:\n  zigbee:\n    image: example/zigbee-bridge:1.40\n    environment:\n      SERIAL_PORT: tcp://192.0.2.10:6638\n",
    },
    run: Run::Compose(run),
};

fn run(service: &ComposeService, out: &mut Reporter<'_>) {
    let Some(devices) = service.cursor().get("devices") else {
        return;
    };
    for item in devices.items() {
        // Short syntax `HOST[:CONTAINER[:PERMS]]` (or a CDI name `vendor.com/class=name`),
        // long syntax `{source, target, permissions}`.
        let device = match item.text() {
            Some(text) => text.split(':').next().unwrap_or(text).trim().to_owned(),
            None => match item.text_of("source") {
                Some(source) => source.to_owned(),
                None => continue,
            },
        };
        if device.is_empty() {
            continue;
        }
        out.report(
            item.spot(),
            format!("service `{}` is given host device `{device}`", service.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::dockerfile::util::findings;

    #[test]
    fn short_and_long_forms() {
        let f = findings(
            "PAL-CMP-015",
            "compose.yaml",
            "services:\n  a:\n    image: x:1\n    devices:\n      - \"/dev/sda:/dev/xvda:rwm\"\n      - /dev/fuse\n      - source: /dev/kvm\n        target: /dev/kvm\n        permissions: rwm\n",
        );
        let messages: Vec<&str> = f.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "service `a` is given host device `/dev/sda`",
                "service `a` is given host device `/dev/fuse`",
                "service `a` is given host device `/dev/kvm`",
            ]
        );
    }
}
