//! The Docker Engine API metadata source against a real server: podman's
//! Docker-compatible API service on a private socket (no Docker engine runs on our CI
//! machines). Needs root and podman; skips with a notice without them, fails instead under
//! `PALISADE_REQUIRE_SENSOR=1`.

use palisade_runtime::cgroup::CgroupContainer;
use palisade_sensor::directory::{DockerApi, MetadataSource};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ready() -> bool {
    let podman = Command::new("sh")
        .args(["-c", "command -v podman"])
        .output()
        .is_ok_and(|o| o.status.success());
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if podman && root && Path::new("/bin/busybox").exists() {
        return true;
    }
    if std::env::var("PALISADE_REQUIRE_SENSOR").as_deref() == Ok("1") {
        panic!("Docker API test required but root, podman or /bin/busybox is missing");
    }
    eprintln!("NOTICE: skipping the Docker API test: needs root, podman and /bin/busybox");
    false
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn docker_api_names_a_running_container() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sleep")).unwrap();
    let tar = dir.path().join("rootfs.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg("."));
    let image = "localhost/palisade-dockerapi:1";
    run(Command::new("podman").arg("import").arg(&tar).arg(image));

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
    let id = run(Command::new("podman").args([
        "run",
        "-d",
        "--rm",
        "--runtime",
        "runc",
        "--network",
        "none",
        "--ulimit",
        "nofile=4096:4096",
        "--ulimit",
        "nproc=4096:4096",
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
    // Started moments ago, by the runtime's clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let start = c.start_ns.expect("the start time");
    assert!(
        start <= now && now - start < 600_000_000_000,
        "{start} vs {now}"
    );
    assert_eq!(missing.expect("a 404 is an answer"), None);
}
