//! The Docker Engine API metadata source against a real server: podman's
//! Docker-compatible API service on a private socket (no Docker engine runs on our CI
//! machines). Needs root and podman; skips with a notice without them, fails instead under
//! `PALISADE_REQUIRE_SENSOR=1`.

use palisade_runtime::cgroup::CgroupContainer;
use palisade_sensor::directory::{DockerApi, MetadataSource};
use palisade_testkit::{Need, PODMAN_RUN, Rootfs, run};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn docker_api_names_a_running_container() {
    if !palisade_testkit::ready(
        "the Docker API test",
        &[Need::Root, Need::Binary("podman"), Need::StaticBusybox],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = "localhost/palisade-dockerapi:1";
    Rootfs::busybox(dir.path(), Some(&["sleep"])).import(image, r#"["/bin/sleep", "3600"]"#);

    let socket = dir.path().join("podman.sock");
    let _service = Service(
        Command::new("podman")
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman system service"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "podman's API socket did not appear"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("podman")
        .args(["rm", "-f", "pal-dockerapi"])
        .output();
    let id = run(Command::new("podman").args(PODMAN_RUN).args([
        "-d",
        "--name",
        "pal-dockerapi",
        "--label",
        "team=payments",
        image,
        "/bin/sleep",
        "30",
    ]));
    let source = DockerApi {
        socket: socket.clone(),
        runtimes: vec!["podman".into()],
    };
    assert!(source.handles("podman"));
    let found = source.inspect(&CgroupContainer {
        id: id.clone(),
        runtime: "podman".into(),
        pod_uid: None,
    });
    let missing = source.inspect(&CgroupContainer {
        id: "0".repeat(64),
        runtime: "podman".into(),
        pod_uid: None,
    });
    let _ = Command::new("podman")
        .args(["rm", "-f", "-t", "0", "pal-dockerapi"])
        .output();
    let c = found
        .expect("the API answered")
        .expect("the container is known");
    assert_eq!(c.id, id);
    assert_eq!(c.name.as_deref(), Some("pal-dockerapi"));
    assert_eq!(c.image.as_deref(), Some(image));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("payments"));
    palisade_testkit::assert_started_recently(c.start_ns);
    assert_eq!(missing.expect("a 404 is an answer"), None);
}
